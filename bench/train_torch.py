"""PyTorch reference for bench/train.bench.ts: the same DPO step, timed the same way, printed as one JSON line.

Policy = the Llama checkpoint (frozen, float32) with PEFT-style LoRA branches y = x W^T + (alpha/r) (x A^T) B^T
on q,k,v,o,gate,up,down, starting from the workbench's A (lora-init.safetensors) and B = 0. Reference
log-probs are computed once without the adapter (not timed), as the workbench precomputes them. A step is
forward on [chosen; rejected], sigmoid DPO loss, backward, clip_grad_norm_(1.0), AdamW, zero_grad.
The forward transcribes transformers' LlamaForCausalLM with eager attention (no transformers package here).

Usage: train_torch.py DIR THREADS WARMUP STEPS '{"R":16,"ALPHA":32,"LR":5e-5,"BETA":0.1}'
"""

import json
import pathlib
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch_common import read_safetensors, rotate_half

DIR, THREADS, WARMUP, STEPS = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
H = json.loads(sys.argv[5])
torch.set_num_threads(THREADS)
MODULES = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
           "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def forward(cfg, w, lora, scale, ids, mask):
    B, T = ids.shape
    C, NH, KV, D = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    freqs = torch.arange(T).float()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]  # (1, 1, T, D)
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    allowed = (j <= i)[None, None] & mask[:, None, None, :].bool()
    add_mask = torch.where(allowed, 0.0, torch.finfo(torch.float32).min)  # (B, 1, T, T)

    def linear(x, module):
        y = x @ w[module + ".weight"].T
        if lora is not None and module in lora:
            a, b = lora[module]
            y = y + ((x @ a.T) @ b.T) * scale
        return y

    x = w["model.embed_tokens.weight"][ids]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(h, p + "self_attn.q_proj").view(B, T, NH, D).transpose(1, 2)
        k = linear(h, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
        v = linear(h, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(NH // KV, dim=1), v.repeat_interleave(NH // KV, dim=1)
        scores = q @ k.transpose(2, 3) * D**-0.5 + add_mask
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, NH * D)
        x = x + linear(y, p + "self_attn.o_proj")
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = F.silu(linear(h, p + "mlp.gate_proj"))
        x = x + linear(gate * linear(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w["model.embed_tokens.weight"].T  # tied head


def sequence_logps(logits, targets, completion_mask):
    token = torch.log_softmax(logits, dim=-1).gather(-1, targets[..., None]).squeeze(-1)
    return (token * completion_mask).sum(-1)


def collate(pairs):
    """[chosen; rejected], all rows the same length here: targets = next token, mask = completion targets."""
    rows = [p["prompt"] + p["chosen"] for p in pairs] + [p["prompt"] + p["rejected"] for p in pairs]
    ids = torch.tensor(rows)
    targets = torch.cat([ids[:, 1:], torch.zeros(len(rows), 1, dtype=torch.int64)], dim=1)
    mask = torch.zeros(ids.shape)
    for r, pair in enumerate(pairs + pairs):
        start = max(1, len(pair["prompt"]))
        mask[r, start - 1:ids.shape[1] - 1] = 1
    return ids, torch.ones_like(ids), targets, mask


def loaded_blas():
    with open("/proc/self/maps") as maps:
        return sorted({line.split()[-1] for line in maps if "blas" in line.lower()})


def main():
    started = time.perf_counter()
    cfg = json.loads((DIR / "model" / "config.json").read_text())
    w = read_safetensors(DIR / "model" / "model.safetensors")
    init = read_safetensors(DIR / "lora-init.safetensors")
    pairs = json.loads((DIR / "pairs.json").read_text())
    ids, attn, targets, cmask = collate(pairs)
    n = len(pairs)
    with torch.no_grad():
        ref = sequence_logps(forward(cfg, w, None, 1.0, ids, attn), targets, cmask)
    ref_chosen, ref_rejected = ref[:n], ref[n:]
    lora = {}
    for name, a in init.items():
        module = name[: -len(".lora_A.weight")]
        out_features = w[module + ".weight"].shape[0]
        lora[module] = (a.clone().requires_grad_(True), torch.zeros(out_features, H["R"], requires_grad=True))
    params = [t for pair in lora.values() for t in pair]
    opt = torch.optim.AdamW(params, lr=H["LR"], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    scale = H["ALPHA"] / H["R"]
    setup = time.perf_counter() - started

    seconds, losses, norms = [], [], []
    for _ in range(WARMUP + STEPS):
        t0 = time.perf_counter()
        logps = sequence_logps(forward(cfg, w, lora, scale, ids, attn), targets, cmask)
        h = (logps[:n] - logps[n:]) - (ref_chosen - ref_rejected)
        loss = (-F.logsigmoid(H["BETA"] * h)).mean()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        seconds.append(time.perf_counter() - t0)
        losses.append(loss.item())
        norms.append(norm.item())
    print(json.dumps({
        "side": "torch",
        "step_seconds": seconds,
        "setup_seconds": setup,
        "tokens": int(attn.sum()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "losses": losses,
        "grad_norms": norms,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "blas": loaded_blas(),
    }))


if __name__ == "__main__":
    main()
