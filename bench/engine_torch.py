"""PyTorch reference for bench/engine.bench.ts: the same cases, timed the same way, printed as one JSON line.

Run by the TypeScript bench with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread so that Debian's
torch picks OpenBLAS instead of the reference netlib BLAS. Usage: engine_torch.py THREADS REPEATS
"""

import json
import sys
import time

import torch

THREADS, REPEATS = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def median_ms(fn):
    fn()  # warm-up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


def loaded_blas():
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower()}
    return sorted(libs)


n = 1024
x = torch.randn(n, n)
chain = [torch.randn(n, n) / n**0.5 for _ in range(8)]


def matmul_chain():
    y = x
    for w in chain:
        y = y @ w
    return y


batch, width = 256, 1024
inputs = torch.randn(batch, width)
layers = [(torch.randn(width, width) / width**0.5).requires_grad_(True) for _ in range(4)]


def mlp_forward_backward():
    h = inputs
    for w in layers:
        h = torch.tanh(h @ w.T)
    loss = (h * h).mean()
    return torch.autograd.grad(loss, layers)


with torch.no_grad():
    chain_ms = median_ms(matmul_chain)
mlp_ms = median_ms(mlp_forward_backward)
print(json.dumps({"matmul_chain": chain_ms, "mlp_fwd_bwd": mlp_ms, "blas": loaded_blas(), "torch": torch.__version__}))
