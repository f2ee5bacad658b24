"""Writes tiny random Hugging Face checkpoints and their reference logits to src-main/models/fixtures/<name>/.

Run with Debian's PyTorch (CPU): /usr/bin/python3 scripts/model-fixtures/make_model_fixtures.py
There is no transformers or safetensors package here, so the forward passes below transcribe the math of
transformers' LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and GPT2LMHeadModel (eager attention)
in plain torch, and safetensors files are written by hand (8-byte header length, JSON header, raw bytes).
Checkpoints stored in F16/BF16 are scored with their rounded weights upcast to float32, as transformers does
when loading with torch_dtype=torch.float32. The JSON files are then formatted with the repository's Prettier
(`npm run lint` checks them), so a rerun reproduces the committed bytes.
"""

import json
import math
import pathlib
import struct
import subprocess

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "src-main" / "models" / "fixtures"
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def tensor_bytes(t, dtype):
    t = t.detach().contiguous().to(DTYPES[dtype])
    if dtype == "BF16":
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, dtype):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        data = tensor_bytes(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))


def rounded(tensors, dtype):
    """The weights as the checkpoint stores them, back in float32."""
    return {k: v.to(DTYPES[dtype]).to(torch.float32) for k, v in tensors.items()}


# ---- Llama family (Llama, Mistral, Qwen2): transformers' modeling_llama.py math ----


def rope_inv_freq(cfg, head_dim):
    base = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    scaling = cfg.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "linear":
        inv_freq = inv_freq / scaling["factor"]
    elif kind == "llama3":  # transformers' _compute_llama3_parameters
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old_len = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old_len / low, old_len / high
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old_len / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        inv_freq = torch.where(medium, smoothed, scaled)
    return inv_freq


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rms_norm(x, w, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(variance + eps))


def attention_mask_4d(mask, seq, window=None):
    """Additive (B, 1, T, T) mask: causal, padding on keys, and an optional sliding window."""
    i = torch.arange(seq)[:, None]
    j = torch.arange(seq)[None, :]
    allowed = (j <= i)[None, None] & mask[:, None, None, :].bool()
    if window is not None:
        allowed = allowed & (i - j < window)[None, None]
    return torch.where(allowed, 0.0, torch.finfo(torch.float32).min)


def llama_forward(cfg, w, ids, mask):
    B, T = ids.shape
    C, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    D = cfg.get("head_dim") or C // H
    eps = cfg["rms_norm_eps"]
    window = cfg.get("sliding_window") if cfg["architectures"][0] == "MistralForCausalLM" else None
    pos = torch.arange(T)[None, :].float()
    freqs = (rope_inv_freq(cfg, D)[None, :, None] @ pos[:, None, :]).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # (1, 1, T, D)
    add_mask = attention_mask_4d(mask, T, window)
    x = w["model.embed_tokens.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)

        def proj(name, n):
            y = h @ w[p + f"self_attn.{name}.weight"].T
            if p + f"self_attn.{name}.bias" in w:
                y = y + w[p + f"self_attn.{name}.bias"]
            return y.view(B, T, n, D).transpose(1, 2)

        q, k, v = proj("q_proj", H), proj("k_proj", KV), proj("v_proj", KV)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        scores = q @ k.transpose(2, 3) * D**-0.5 + add_mask
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, H * D)
        x = x + y @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = torch.nn.functional.silu(h @ w[p + "mlp.gate_proj.weight"].T)
        x = x + (gate * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T


def llama_weights(cfg, gen):
    C, H, I = cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"]
    KV, V = cfg.get("num_key_value_heads", H), cfg["vocab_size"]
    D = cfg.get("head_dim") or C // H
    bias = cfg["architectures"][0] == "Qwen2ForCausalLM"
    rnd = lambda *s: torch.randn(*s, generator=gen) * 0.2  # noqa: E731
    w = {"model.embed_tokens.weight": rnd(V, C), "model.norm.weight": 1 + rnd(C)}
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(V, C)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + rnd(C)
        w[p + "post_attention_layernorm.weight"] = 1 + rnd(C)
        for name, out in (("q_proj", H * D), ("k_proj", KV * D), ("v_proj", KV * D)):
            w[p + f"self_attn.{name}.weight"] = rnd(out, C)
            if bias:
                w[p + f"self_attn.{name}.bias"] = rnd(out)
        w[p + "self_attn.o_proj.weight"] = rnd(C, H * D)
        w[p + "mlp.gate_proj.weight"] = rnd(I, C)
        w[p + "mlp.up_proj.weight"] = rnd(I, C)
        w[p + "mlp.down_proj.weight"] = rnd(C, I)
    return w


# ---- GPT-2: transformers' modeling_gpt2.py math (Conv1D weights are [in, out]) ----


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_forward(cfg, w, ids, mask):
    B, T = ids.shape
    C, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    D = C // H
    add_mask = attention_mask_4d(mask, T)
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][torch.arange(T)][None]
    for l in range(cfg["n_layer"]):
        p = f"transformer.h.{l}."
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in qkv.split(C, dim=2))
        scores = q @ k.transpose(-1, -2) / math.sqrt(D) + add_mask
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    return x @ w["transformer.wte.weight"].T


def gpt2_weights(cfg, gen):
    C, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    rnd = lambda *s: torch.randn(*s, generator=gen) * 0.2  # noqa: E731
    w = {
        "transformer.wte.weight": rnd(V, C),
        "transformer.wpe.weight": rnd(P, C),
        "transformer.ln_f.weight": 1 + rnd(C),
        "transformer.ln_f.bias": rnd(C),
    }
    for l in range(cfg["n_layer"]):
        p = f"transformer.h.{l}."
        for ln in ("ln_1", "ln_2"):
            w[p + ln + ".weight"], w[p + ln + ".bias"] = 1 + rnd(C), rnd(C)
        for name, i, o in (("attn.c_attn", C, 3 * C), ("attn.c_proj", C, C), ("mlp.c_fc", C, 4 * C), ("mlp.c_proj", 4 * C, C)):
            w[p + name + ".weight"], w[p + name + ".bias"] = rnd(i, o), rnd(o)
    return w


# ---- fixtures ----

LLAMA = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 48,
    "intermediate_size": 96,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "vocab_size": 96,
    "max_position_embeddings": 64,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "hidden_act": "silu",
    "attention_bias": False,
    "mlp_bias": False,
    "tie_word_embeddings": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "torch_dtype": "float32",
}
SMALL = {**LLAMA, "hidden_size": 32, "intermediate_size": 64}

FIXTURES = {
    "llama": (LLAMA, "F32", 1),
    "llama-tied-llama3": (
        {
            **SMALL,
            # head_dim 16 and an original context of 64 put RoPE's 8 wavelengths in all three llama3 bands:
            # 6.3 (kept), 32 (interpolated), 167 and longer (divided by the factor).
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "tie_word_embeddings": True,
            "rope_theta": 500000.0,
            "rope_scaling": {
                "rope_type": "llama3",
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 64,
            },
            "eos_token_id": [2, 3],
        },
        "F32",
        1,
    ),
    "mistral": (
        {
            **SMALL,
            "architectures": ["MistralForCausalLM"],
            "model_type": "mistral",
            "head_dim": 16,
            "sliding_window": 4,
        },
        "F32",
        1,
    ),
    "qwen2": (
        {
            **SMALL,
            "architectures": ["Qwen2ForCausalLM"],
            "model_type": "qwen2",
            "tie_word_embeddings": True,
            "rope_theta": 1000000.0,
            "rope_scaling": {"type": "linear", "factor": 2.0},
            "use_sliding_window": False,
            "sliding_window": None,
            "rms_norm_eps": 1e-6,
        },
        "F32",
        1,
    ),
    "llama-sharded-f16": ({**SMALL, "torch_dtype": "float16"}, "F16", 2),
    "llama-bf16": ({**SMALL, "num_key_value_heads": 4, "torch_dtype": "bfloat16"}, "BF16", 1),
    "gpt2": (
        {
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "n_embd": 32,
            "n_head": 4,
            "n_layer": 2,
            "n_positions": 32,
            "n_inner": None,
            "vocab_size": 96,
            "layer_norm_epsilon": 1e-5,
            "activation_function": "gelu_new",
            "bos_token_id": 0,
            "eos_token_id": 0,
            "torch_dtype": "float32",
        },
        "F32",
        1,
    ),
}

PROMPT_LENGTH = 3


def make(name, cfg, dtype, shards, seed):
    gen = torch.Generator().manual_seed(seed)
    gpt2 = cfg["architectures"][0] == "GPT2LMHeadModel"
    weights = (gpt2_weights if gpt2 else llama_weights)(cfg, gen)
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    names = sorted(weights)
    if shards == 1:
        write_safetensors(folder / "model.safetensors", weights, dtype)
    else:
        weight_map, per = {}, (len(names) + shards - 1) // shards
        for s in range(shards):
            file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {k: weights[k] for k in names[s * per : (s + 1) * per]}
            write_safetensors(folder / file, part, dtype)
            weight_map.update({k: file for k in part})
        index = {"metadata": {"total_size": sum(v.numel() * 2 for v in weights.values())}, "weight_map": weight_map}
        (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    V = cfg["vocab_size"]
    ids = torch.randint(4, V, (2, 7), generator=gen)
    mask = torch.ones(2, 7, dtype=torch.int64)
    mask[1, 5:] = 0
    ids[1, 5:] = 0
    with torch.no_grad():
        logits = (gpt2_forward if gpt2 else llama_forward)(cfg, rounded(weights, dtype), ids, mask)
    # transformers' way: shift, log_softmax, gather the next token; completion = tokens after the prompt.
    logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    completion = (logps * mask[:, 1:] * (torch.arange(1, 7) >= PROMPT_LENGTH)).sum(-1)
    reference = {
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "prompt_length": PROMPT_LENGTH,
        "logits_shape": list(logits.shape),
        "logits": [round(v, 7) for v in logits.reshape(-1).tolist()],
        "next_token_logprobs": logps.tolist(),
        "completion_logprobs": completion.tolist(),
    }
    (folder / "reference.json").write_text(json.dumps(reference) + "\n")


def main():
    for seed, (name, (cfg, dtype, shards)) in enumerate(FIXTURES.items()):
        make(name, cfg, dtype, shards, seed + 1)
    subprocess.run(["npx", "prettier", "--log-level", "warn", "--write", str(OUT)], cwd=ROOT, check=True)
    print(f"wrote {len(FIXTURES)} fixtures to {OUT}")


if __name__ == "__main__":
    main()
