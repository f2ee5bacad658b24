"""Helpers shared by the PyTorch reference scripts (generate_torch.py, train_torch.py)."""

import json
import struct

import torch


def read_safetensors(path):
    """A F32 or BF16 .safetensors file as {name: float32 tensor}, read directly (no safetensors package here)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = {"F32": torch.float32, "BF16": torch.bfloat16}[info["dtype"]]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=dtype).reshape(info["shape"]).float()
    return out


def rotate_half(x):
    """transformers' rotate_half for rotary embeddings."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def loaded_blas():
    """The BLAS libraries this process mapped (netlib's reference BLAS is ~20x slower than OpenBLAS)."""
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if "blas" in line.lower()})


def refuse_netlib(libraries):
    """Exit when torch runs on netlib's reference BLAS: a baseline on it flatters the workbench ~20x."""
    if not any("openblas" in lib or "mkl" in lib for lib in libraries):
        raise SystemExit(f"torch loaded no optimized BLAS ({libraries or 'none'}); install libopenblas0-pthread")
