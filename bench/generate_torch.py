"""PyTorch reference for bench/generate.bench.ts: best-of-N with a KV cache, timed the same way.

The prompt is prefilled once (batch 1), its cache expanded to N rows, then each step decodes one token per
row, as transformers' generate does with num_return_sequences (minus the repeated prompt). The forward
transcribes transformers' LlamaForCausalLM with eager attention and a cat-appended cache (DynamicCache);
the warpers are transformers' Temperature, TopK, TopP in that order, then torch.multinomial. No eos: every
row runs the full count. Timed: prefill + all decode steps + sampling; one warm-up, then REPEATS runs.

Usage: generate_torch.py CHECKPOINT_DIR '{"threads":2,"repeats":3,"n":8,"newTokens":64,"promptIds":[...],
"temperature":1,"topK":50,"topP":0.9}'
"""

import json
import pathlib
import sys
import time

import torch
import torch.nn.functional as F
import resource

from torch_common import loaded_blas, read_safetensors, refuse_netlib, rotate_half

DIR, S = pathlib.Path(sys.argv[1]), json.loads(sys.argv[2])
torch.set_num_threads(S["threads"])
torch.manual_seed(0)


CFG = json.loads((DIR / "config.json").read_text())
W = read_safetensors(DIR / "model.safetensors")
C, NH, KV = CFG["hidden_size"], CFG["num_attention_heads"], CFG["num_key_value_heads"]
D = CFG.get("head_dim", C // NH)
EPS = CFG["rms_norm_eps"]
INV_FREQ = 1.0 / (CFG["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))


def rms_norm(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))


def proj(h, name):
    """h @ W^T (+ b where the checkpoint has a bias: Qwen2's q, k, v)."""
    y = h @ W[name + ".weight"].T
    return y + W[name + ".bias"] if name + ".bias" in W else y


def step(ids, past):
    """ids (B, T) after `past` (a list of (k, v) per layer, (B, KV, P, D), or None): last logits, new past."""
    B, T = ids.shape
    P = 0 if past is None else past[0][0].shape[2]
    freqs = torch.arange(P, P + T).float()[:, None] * INV_FREQ[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]  # (1, 1, T, D)
    causal = torch.arange(P + T)[None, :] <= torch.arange(P, P + T)[:, None]  # (T, P+T)
    add_mask = torch.where(causal, 0.0, torch.finfo(torch.float32).min)[None, None]
    x = W["model.embed_tokens.weight"][ids]
    present = []
    for layer in range(CFG["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms_norm(x, W[p + "input_layernorm.weight"])
        q = proj(h, p + "self_attn.q_proj").view(B, T, NH, D).transpose(1, 2)
        k = proj(h, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
        v = proj(h, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k, v = torch.cat([past[layer][0], k], dim=2), torch.cat([past[layer][1], v], dim=2)
        present.append((k, v))
        kr, vr = k.repeat_interleave(NH // KV, dim=1), v.repeat_interleave(NH // KV, dim=1)
        scores = q @ kr.transpose(2, 3) * D**-0.5 + add_mask
        y = (torch.softmax(scores, dim=-1) @ vr).transpose(1, 2).reshape(B, T, NH * D)
        x = x + y @ W[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"])
        gate = F.silu(h @ W[p + "mlp.gate_proj.weight"].T)
        x = x + (gate * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    x = rms_norm(x[:, -1, :], W["model.norm.weight"])
    return x @ W["model.embed_tokens.weight"].T, present  # tied head, (B, V)


def warp(logits):
    """transformers' TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper (min_tokens_to_keep 1)."""
    scores = logits / S["temperature"]
    if S["topK"] > 0:
        kth = torch.topk(scores, min(S["topK"], scores.shape[-1]))[0][..., -1, None]
        scores = scores.masked_fill(scores < kth, -float("inf"))
    if S["topP"] < 1:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove = cumulative <= (1 - S["topP"])
        remove[..., -1:] = False
        scores = scores.masked_fill(remove.scatter(1, sorted_indices, remove), -float("inf"))
    return scores


def sample(logits):
    return torch.multinomial(torch.softmax(warp(logits), dim=-1), num_samples=1)  # (B, 1)


def generate():
    logits, past = step(torch.tensor([S["promptIds"]]), None)
    n = S["n"]
    past = [(k.expand(n, -1, -1, -1).contiguous(), v.expand(n, -1, -1, -1).contiguous()) for k, v in past]
    token = sample(logits.expand(n, -1))
    generated = [token]
    for _ in range(S["newTokens"] - 1):
        logits, past = step(token, past)
        token = sample(logits)
        generated.append(token)
    return torch.cat(generated, dim=1)


def main():
    refuse_netlib(loaded_blas())
    seconds = []
    with torch.inference_mode():
        for run in range(S["repeats"] + 1):
            start = time.perf_counter()
            out = generate()
            if run > 0:
                seconds.append(time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "tokens": out.numel(), "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "blas": loaded_blas(),
                      "maxRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
