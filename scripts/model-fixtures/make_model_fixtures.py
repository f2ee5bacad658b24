"""Writes tiny random Hugging Face checkpoints and their reference logits to src-main/models/fixtures/<name>/.

Run with Debian's PyTorch (CPU): /usr/bin/python3 scripts/model-fixtures/make_model_fixtures.py [NAME ...]
There is no transformers or safetensors package here, so the forward passes below transcribe the math of
transformers' LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and GPT2LMHeadModel (eager attention)
in plain torch (and families.py those of Qwen3, Gemma 3 text, Phi-3 and SmolLM3, which also get a PEFT
adapter under adapter/ and its reference), and safetensors files are written by hand (8-byte header length, JSON header, raw bytes).
Checkpoints stored in F16/BF16 are scored with their rounded weights upcast to float32, as transformers does
when loading with torch_dtype=torch.float32. The JSON files are then formatted with the repository's Prettier
(`npm run lint` checks them), so a rerun reproduces the committed bytes.
"""

import json
import math
import pathlib
import struct
import subprocess
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import families  # noqa: E402

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

# Real hub config.json fields of each family, at tiny sizes. Loud cases: an RMS eps large enough to matter,
# head_dim unlike hidden / heads, a Gemma window (3) shorter than the sequence (7) with a local and a global
# layer, partial rotary and GQA in Phi-3's fused qkv_proj, longrope past its original context.
QWEN3 = {
    "architectures": ["Qwen3ForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "head_dim": 16,
    "hidden_act": "silu",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
    "max_window_layers": 2,
    "model_type": "qwen3",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "rms_norm_eps": 0.5,
    "rope_scaling": None,
    "rope_theta": 1000000,
    "sliding_window": None,
    "tie_word_embeddings": True,
    "torch_dtype": "float32",
    "transformers_version": "4.51.0",
    "use_cache": True,
    "use_sliding_window": False,
    "vocab_size": 96,
}
GEMMA3 = {
    "architectures": ["Gemma3ForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "attn_logit_softcapping": None,
    "bos_token_id": 2,
    "cache_implementation": "hybrid",
    "eos_token_id": [1, 3],
    "final_logit_softcapping": 2.5,
    "head_dim": 16,
    "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_types": ["sliding_attention", "full_attention", "sliding_attention"],
    "max_position_embeddings": 64,
    "model_type": "gemma3_text",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 1,
    "pad_token_id": 0,
    "query_pre_attn_scalar": 24,
    "rms_norm_eps": 0.25,
    "rope_local_base_freq": 10000.0,
    "rope_scaling": {"rope_type": "linear", "factor": 4.0},
    "rope_theta": 1000000.0,
    "sliding_window": 3,
    "sliding_window_pattern": 2,
    "torch_dtype": "float32",
    "transformers_version": "4.55.0",
    "use_bidirectional_attention": False,
    "use_cache": True,
    "vocab_size": 96,
}
PHI3 = {
    "architectures": ["Phi3ForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 1,
    "embd_pdrop": 0.0,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
    "model_type": "phi3",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "original_max_position_embeddings": 64,
    "pad_token_id": 0,
    "partial_rotary_factor": 0.5,
    "resid_pdrop": 0.0,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "sliding_window": 4,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "transformers_version": "4.45.0",
    "use_cache": True,
    "vocab_size": 96,
}
PHI3_LONGROPE = {
    **PHI3,
    "hidden_size": 64,
    "intermediate_size": 96,
    "max_position_embeddings": 16,
    "original_max_position_embeddings": 4,
    "partial_rotary_factor": 0.75,
    "rope_scaling": {
        "long_factor": [1.0, 1.5, 2.0, 3.0, 5.0, 8.0],
        "short_factor": [1.0, 1.1, 1.2, 1.3, 1.5, 2.0],
        "type": "longrope",
    },
    "sliding_window": 262144,
    "tie_word_embeddings": True,
}
SMOLLM3 = {
    "architectures": ["SmolLM3ForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": None,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 32,
    "initializer_range": 0.02,
    "intermediate_size": 64,
    "layer_types": ["full_attention", "full_attention", "full_attention"],
    "max_position_embeddings": 64,
    "max_window_layers": 3,
    "mlp_bias": False,
    "model_type": "smollm3",
    "no_rope_layer_interval": 4,
    "no_rope_layers": [1, 0, 1],
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 2,
    "pad_token_id": 0,
    "pretraining_tp": 2,
    "rms_norm_eps": 1e-06,
    "rope_scaling": None,
    "rope_theta": 5000000.0,
    "sliding_window": None,
    "torch_dtype": "float32",
    "transformers_version": "4.54.0",
    "use_cache": False,
    "use_sliding_window": False,
    "vocab_size": 96,
}
FIXTURES.update(
    {
        "qwen3": (QWEN3, "F32", 1),
        "gemma3": (GEMMA3, "F32", 1),
        "phi3": (PHI3, "F32", 1),
        "phi3-longrope": (PHI3_LONGROPE, "F32", 1),
        "smollm3": (SMOLLM3, "F32", 1),
    }
)

PROMPT_LENGTH = 3
LORA_R, LORA_ALPHA = 4, 8.0


def family_forward(cfg):
    name = cfg["architectures"][0]
    if name == "GPT2LMHeadModel":
        return gpt2_forward
    return families.forward if name in families.FAMILIES else llama_forward


def scored(cfg, w, ids, mask, prompt_length):
    with torch.no_grad():
        logits = family_forward(cfg)(cfg, w, ids, mask)
    # transformers' way: shift, log_softmax, gather the next token; completion = tokens after the prompt.
    logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    completion = (logps * mask[:, 1:] * (torch.arange(1, ids.shape[1]) >= prompt_length)).sum(-1)
    return {
        "logits_shape": list(logits.shape),
        "logits": [round(v, 7) for v in logits.reshape(-1).tolist()],
        "next_token_logprobs": logps.tolist(),
        "completion_logprobs": completion.tolist(),
    }


def write_adapter(folder, cfg, pairs):
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for module, (a, b) in pairs.items():
        tensors[f"base_model.model.{module}.lora_A.weight"] = a
        tensors[f"base_model.model.{module}.lora_B.weight"] = b
    write_safetensors(folder / "adapter_model.safetensors", tensors, "F32")
    config = {
        "base_model_name_or_path": "..",
        "bias": "none",
        "fan_in_fan_out": False,
        "lora_alpha": LORA_ALPHA,
        "lora_dropout": 0.0,
        "peft_type": "LORA",
        "r": LORA_R,
        "target_modules": families.TARGETS[cfg["architectures"][0]],
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    }
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n")


def make(name, cfg, dtype, shards, seed):
    gen = torch.Generator().manual_seed(seed)
    gpt2 = cfg["architectures"][0] == "GPT2LMHeadModel"
    family = cfg["architectures"][0] in families.FAMILIES
    weights = families.weights(cfg, gen) if family else (gpt2_weights if gpt2 else llama_weights)(cfg, gen)
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
    # longrope: a prompt that already reaches past the original context, so a cached decode uses the long
    # factors throughout, as the full forward does.
    prompt_length = 5 if (cfg.get("rope_scaling") or {}).get("type") == "longrope" else PROMPT_LENGTH
    reference = {"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "prompt_length": prompt_length}
    reference.update(scored(cfg, rounded(weights, dtype), ids, mask, prompt_length))
    if family:
        pairs = families.adapter(cfg, weights, gen, LORA_R)
        write_adapter(folder / "adapter", cfg, pairs)
        reference["adapter"] = scored(cfg, families.merged(weights, pairs, LORA_ALPHA / LORA_R), ids, mask, prompt_length)
    (folder / "reference.json").write_text(json.dumps(reference) + "\n")


def main(only):
    """Writes every fixture, or those named on the command line (each keeps its own seed)."""
    for seed, (name, (cfg, dtype, shards)) in enumerate(FIXTURES.items()):
        if not only or name in only:
            make(name, cfg, dtype, shards, seed + 1)
    subprocess.run(["npx", "prettier", "--log-level", "warn", "--write", str(OUT)], cwd=ROOT, check=True)
    print(f"wrote {len(FIXTURES)} fixtures to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
