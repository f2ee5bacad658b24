"""Writes PyTorch reference fixtures for the engine tests to src-main/engine/fixtures/*.json.

Run with Debian's PyTorch (CPU): /usr/bin/python3 scripts/torch-fixtures/make_fixtures.py
Each fixture holds float32 inputs, outputs and gradients for one composite case; the engine rebuilds the
same computation from its DSL and must agree to 1e-5 (see src-main/engine/torch-fixtures.test.ts).
"""

import json
import math
import pathlib

import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).resolve().parents[2] / "src-main" / "engine" / "fixtures"


def pack(tensors):
    return {name: {"shape": list(t.shape), "data": t.detach().reshape(-1).tolist()} for name, t in tensors.items()}


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_(True)


def write(name, inputs, outputs, loss, wrt):
    loss.backward()
    grads = {key: t.grad for key, t in wrt.items()}
    fixture = {
        "name": name,
        "torch": torch.__version__,
        "inputs": pack(inputs),
        "outputs": pack(outputs),
        "grads": pack(grads),
    }
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(fixture, indent=None, separators=(",", ":")) + "\n")
    print(f"{path.name}: {path.stat().st_size} bytes")


def mlp_gelu():
    x, w1, b1, w2, b2 = leaf(3, 4), leaf(6, 4, scale=0.5), leaf(6), leaf(2, 6, scale=0.5), leaf(2)
    weights = torch.randn(3, 2)
    y = F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2)
    loss = (y * weights).sum()
    inputs = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "weights": weights}
    write("mlp_gelu", inputs, {"y": y, "loss": loss}, loss, {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2})


def gpt2_mlp():
    """LayerNorm then the GPT-2 MLP with gelu_new (tanh approximation)."""
    x, ln_w, ln_b, w1, w2 = leaf(2, 3, 8), leaf(8), leaf(8), leaf(16, 8, scale=0.3), leaf(8, 16, scale=0.3)
    weights = torch.randn(2, 3, 8)
    h = F.layer_norm(x, (8,), ln_w, ln_b, eps=1e-5)
    y = x + F.linear(F.gelu(F.linear(h, w1), approximate="tanh"), w2)
    loss = (y * weights).sum()
    inputs = {"x": x, "ln_w": ln_w, "ln_b": ln_b, "w1": w1, "w2": w2, "weights": weights}
    write("gpt2_mlp", inputs, {"y": y}, loss, {"x": x, "ln_w": ln_w, "ln_b": ln_b, "w1": w1, "w2": w2})


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rmsnorm():
    x, w = leaf(3, 5), leaf(5)
    weights = torch.randn(3, 5)
    y = rms_norm(x, w, 1e-6)
    write("rmsnorm", {"x": x, "w": w, "weights": weights}, {"y": y}, (y * weights).sum(), {"x": x, "w": w})


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def attention_block():
    """Llama-style pre-norm attention: RMSNorm, q/k/v, RoPE, causal GQA (2 heads, 1 kv head), o, residual."""
    batch, seq, dim, heads, kv_heads, head_dim = 2, 5, 8, 2, 1, 4
    x = leaf(batch, seq, dim)
    norm = leaf(dim)
    wq, wk = leaf(heads * head_dim, dim, scale=0.4), leaf(kv_heads * head_dim, dim, scale=0.4)
    wv, wo = leaf(kv_heads * head_dim, dim, scale=0.4), leaf(dim, heads * head_dim, scale=0.4)
    positions = torch.tensor([[0, 1, 2, 3, 4], [3, 4, 5, 6, 7]])
    weights = torch.randn(batch, seq, dim)

    inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
    freqs = positions[..., None].float() * inv_freq  # (B, T, D/2)
    emb = torch.cat((freqs, freqs), dim=-1)[:, None]  # (B, 1, T, D)
    cos, sin = emb.cos(), emb.sin()

    h = rms_norm(x, norm, 1e-6)
    q = F.linear(h, wq).view(batch, seq, heads, head_dim).transpose(1, 2)
    k = F.linear(h, wk).view(batch, seq, kv_heads, head_dim).transpose(1, 2)
    v = F.linear(h, wv).view(batch, seq, kv_heads, head_dim).transpose(1, 2)
    q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
    k = k.repeat_interleave(heads // kv_heads, dim=1)
    v = v.repeat_interleave(heads // kv_heads, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim)
    causal = torch.ones(seq, seq, dtype=torch.bool).tril()
    probs = scores.masked_fill(~causal, float("-inf")).softmax(-1)
    y = x + F.linear((probs @ v).transpose(1, 2).reshape(batch, seq, heads * head_dim), wo)
    loss = (y * weights).sum()
    inputs = {"x": x, "norm": norm, "wq": wq, "wk": wk, "wv": wv, "wo": wo, "positions": positions, "weights": weights}
    write("attention_block", inputs, {"y": y}, loss, {"x": x, "norm": norm, "wq": wq, "wk": wk, "wv": wv, "wo": wo})


def token_logprobs():
    """Shifted next-token log-probs summed over completion tokens (the DPO sequence log-prob)."""
    logits = leaf(2, 6, 7, scale=2.0)
    tokens = torch.randint(0, 7, (2, 6))
    completion = torch.tensor([[0, 0, 1, 1, 1], [0, 1, 1, 1, 0]], dtype=torch.float32)  # over positions 1..5
    logps = torch.gather(logits[:, :-1].log_softmax(-1), 2, tokens[:, 1:, None]).squeeze(-1)  # (B, T-1)
    seq_logp = (logps * completion).sum(-1)
    loss = seq_logp.sum()
    inputs = {"logits": logits, "tokens": tokens, "completion": completion}
    write("token_logprobs", inputs, {"logps": logps, "seq_logp": seq_logp}, loss, {"logits": logits})


def dpo_sigmoid():
    """TRL's sigmoid DPO loss with label smoothing on toy sequence log-probs (one exact-zero margin)."""
    beta, smoothing = 0.1, 0.1
    chosen = torch.tensor([-12.5, -30.0, -7.25, -20.0], requires_grad=True)
    rejected = torch.tensor([-14.0, -28.5, -9.0, -20.0], requires_grad=True)
    ref_chosen = torch.tensor([-13.0, -29.0, -8.0, -21.0])
    ref_rejected = torch.tensor([-13.5, -29.5, -8.5, -21.0])
    logits = (chosen - rejected) - (ref_chosen - ref_rejected)
    losses = -F.logsigmoid(beta * logits) * (1 - smoothing) - F.logsigmoid(-beta * logits) * smoothing
    loss = losses.mean()
    inputs = {"chosen": chosen, "rejected": rejected, "ref_chosen": ref_chosen, "ref_rejected": ref_rejected}
    write("dpo_sigmoid", inputs, {"losses": losses, "loss": loss}, loss, {"chosen": chosen, "rejected": rejected})


def mlp_adamw():
    """Two clipped AdamW steps on a tanh MLP (torch.optim.AdamW + clip_grad_norm_)."""
    x, target = torch.randn(4, 3), torch.randn(4, 2)
    w1, w2 = leaf(5, 3, scale=0.5), leaf(2, 5, scale=0.5)
    initial = {"w1": w1.detach().clone(), "w2": w2.detach().clone()}
    opt = torch.optim.AdamW([w1, w2], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    losses, norms = [], []
    for _ in range(2):
        opt.zero_grad()
        loss = ((F.linear(torch.tanh(F.linear(x, w1)), w2) - target) ** 2).mean()
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_([w1, w2], max_norm=0.5))
        losses.append(loss.detach())
        opt.step()
    fixture = {
        "name": "mlp_adamw",
        "torch": torch.__version__,
        "inputs": pack({"x": x, "target": target, **initial}),
        "outputs": pack({"w1": w1, "w2": w2, "loss": torch.stack(losses), "grad_norm": torch.stack(norms)}),
        "grads": {},
    }
    path = OUT / "mlp_adamw.json"
    path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    for make in (mlp_gelu, gpt2_mlp, rmsnorm, attention_block, token_logprobs, dpo_sigmoid, mlp_adamw):
        make()
