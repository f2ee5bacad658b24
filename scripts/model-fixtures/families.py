"""The forward passes of Qwen3, Gemma 3 (text), Phi-3 and SmolLM3 as transformers computes them (eager
attention), written out in plain torch for make_model_fixtures.py, with random weights in each family's
checkpoint layout and a random PEFT LoRA adapter over each family's default target modules.

Followed: transformers models/qwen3/modeling_qwen3.py, models/gemma3/modeling_gemma3.py (Gemma3ForCausalLM),
models/phi3/modeling_phi3.py, models/smollm3/modeling_smollm3.py, and modeling_rope_utils.py
(_compute_default_rope_parameters, _compute_linear_scaling_rope_parameters, _compute_longrope_parameters,
longrope_frequency_update).
"""

import math

import torch

ARCH_QWEN3, ARCH_GEMMA3, ARCH_PHI3, ARCH_SMOLLM3 = (
    "Qwen3ForCausalLM",
    "Gemma3ForCausalLM",
    "Phi3ForCausalLM",
    "SmolLM3ForCausalLM",
)
FAMILIES = (ARCH_QWEN3, ARCH_GEMMA3, ARCH_PHI3, ARCH_SMOLLM3)

# PEFT target modules: every attention and MLP projection (Phi-3's are fused).
TARGETS = {
    ARCH_QWEN3: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    ARCH_GEMMA3: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    ARCH_SMOLLM3: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    ARCH_PHI3: ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
}


def arch(cfg):
    return cfg["architectures"][0]


def dims(cfg):
    C, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    D = cfg.get("head_dim") or C // H
    return C, H, KV, D


def tied(cfg):
    # Gemma3TextConfig and SmolLM3Config default to tied embeddings; Qwen3Config and Phi3Config do not.
    return cfg.get("tie_word_embeddings", arch(cfg) in (ARCH_GEMMA3, ARCH_SMOLLM3))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def layer_types(cfg):
    n = cfg["num_hidden_layers"]
    if arch(cfg) == ARCH_GEMMA3:
        pattern = cfg.get("sliding_window_pattern", 6)
        return cfg.get("layer_types") or ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(n)]
    if arch(cfg) == ARCH_PHI3 and cfg.get("sliding_window") is not None:
        return ["sliding_attention"] * n
    return ["full_attention"] * n


def inv_freq_and_scale(cfg, local, positions):
    """(inv_freq, attention_scaling) of the layer's rotary embedding."""
    _, _, _, D = dims(cfg)
    dim = int(D * cfg.get("partial_rotary_factor", 1.0)) if arch(cfg) == ARCH_PHI3 else D
    base = cfg.get("rope_local_base_freq", 10000.0) if local else cfg.get("rope_theta", 10000.0)
    shape = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    scaling = {} if local else (cfg.get("rope_scaling") or {})
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return 1.0 / (base**shape), 1.0
    if kind == "linear":
        return 1.0 / (base**shape) / scaling["factor"], 1.0
    assert kind == "longrope", kind
    original = cfg["original_max_position_embeddings"]
    factor = cfg["max_position_embeddings"] / original
    attention = scaling.get("attention_factor") or (1.0 if factor <= 1 else math.sqrt(1 + math.log(factor) / math.log(original)))
    seq_len = int(positions.max()) + 1
    ext = torch.tensor(scaling["long_factor"] if seq_len > original else scaling["short_factor"], dtype=torch.float32)
    return 1.0 / (ext * base**shape), attention


def rope(cfg, local, positions, dtype):
    inv, scale = inv_freq_and_scale(cfg, local, positions)
    freqs = positions[:, :, None].float() * inv[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * scale).to(dtype)[:, None], (emb.sin() * scale).to(dtype)[:, None]  # (B, 1, T, R)


def apply_rope(x, cos, sin):
    r = cos.shape[-1]  # Phi-3's partial rotary: the rest of each head passes through
    rot, rest = x[..., :r], x[..., r:]
    return torch.cat((rot * cos + rotate_half(rot) * sin, rest), dim=-1)


def rms(x, w, eps, unit_offset=False):
    out = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return out * (1.0 + w) if unit_offset else w * out


def gelu_tanh(x):
    return torch.nn.functional.gelu(x, approximate="tanh")


def mask_4d(mask, seq, window, dtype):
    i = torch.arange(seq)[:, None]
    j = torch.arange(seq)[None, :]
    allowed = (j <= i)[None, None] & mask[:, None, None, :].bool()
    if window is not None:
        allowed = allowed & (i - j < window)[None, None]
    return torch.where(allowed, 0.0, torch.finfo(torch.float32).min).to(dtype)


def forward(cfg, w, ids, mask, positions=None):
    """Logits (B, T, V) of the family's ForCausalLM on right-padded ids."""
    a = arch(cfg)
    gemma = a == ARCH_GEMMA3
    B, T = ids.shape
    C, H, KV, D = dims(cfg)
    eps = cfg.get("rms_norm_eps", 1e-6 if a != ARCH_PHI3 else 1e-5)
    dtype = w["model.embed_tokens.weight"].dtype
    positions = torch.arange(T)[None].expand(B, T) if positions is None else positions
    types = layer_types(cfg)
    if a == ARCH_SMOLLM3:
        interval = cfg.get("no_rope_layer_interval", 4)
        use_rope = cfg.get("no_rope_layers") or [int((i + 1) % interval != 0) for i in range(len(types))]
    else:
        use_rope = [1] * len(types)
    global_rope = rope(cfg, False, positions, dtype)
    local_rope = rope(cfg, True, positions, dtype) if gemma else None
    full_mask = mask_4d(mask, T, None, dtype)
    sliding_mask = mask_4d(mask, T, cfg.get("sliding_window"), dtype)
    scaling = cfg.get("query_pre_attn_scalar", 256) ** -0.5 if gemma else D**-0.5
    x = w["model.embed_tokens.weight"][ids]
    if gemma:  # Gemma3TextScaledWordEmbedding
        x = x * torch.tensor(C**0.5, dtype=torch.float32).to(dtype)
    norm = lambda t, name: rms(t, w[name], eps, gemma)  # noqa: E731
    for l, kind in enumerate(types):
        p = f"model.layers.{l}."
        h = norm(x, p + "input_layernorm.weight")
        if a == ARCH_PHI3:
            qkv = h @ w[p + "self_attn.qkv_proj.weight"].T
            q, k, v = qkv[..., : H * D], qkv[..., H * D : (H + KV) * D], qkv[..., (H + KV) * D :]
        else:
            q, k, v = (h @ w[p + f"self_attn.{n}_proj.weight"].T for n in "qkv")
        q, k, v = q.view(B, T, H, D), k.view(B, T, KV, D), v.view(B, T, KV, D)
        if a in (ARCH_QWEN3, ARCH_GEMMA3):
            q, k = norm(q, p + "self_attn.q_norm.weight"), norm(k, p + "self_attn.k_norm.weight")
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        if use_rope[l]:
            cos, sin = local_rope if (gemma and kind == "sliding_attention") else global_rope
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        add_mask = sliding_mask if kind == "sliding_attention" else full_mask
        scores = q @ k.transpose(2, 3) * scaling + add_mask
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, H * D)
        y = y @ w[p + "self_attn.o_proj.weight"].T
        if gemma:
            y = norm(y, p + "post_attention_layernorm.weight")
            h = norm(x + y, p + "pre_feedforward_layernorm.weight")
        else:
            h = norm(x + y, p + "post_attention_layernorm.weight")
        x = x + y
        if a == ARCH_PHI3:
            gate, up = (h @ w[p + "mlp.gate_up_proj.weight"].T).chunk(2, dim=-1)
            m = (up * torch.nn.functional.silu(gate)) @ w[p + "mlp.down_proj.weight"].T
        else:
            act = gelu_tanh if gemma else torch.nn.functional.silu
            m = (act(h @ w[p + "mlp.gate_proj.weight"].T) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
        if gemma:
            m = norm(m, p + "post_feedforward_layernorm.weight")
        x = x + m
    x = norm(x, "model.norm.weight")
    head = w["model.embed_tokens.weight"] if tied(cfg) else w["lm_head.weight"]
    logits = x @ head.T
    cap = cfg.get("final_logit_softcapping")
    if cap is not None:
        logits = torch.tanh(logits / cap) * cap
    return logits


def weights(cfg, gen):
    a = arch(cfg)
    C, H, KV, D = dims(cfg)
    I, V = cfg["intermediate_size"], cfg["vocab_size"]
    rnd = lambda *s: torch.randn(*s, generator=gen) * 0.2  # noqa: E731
    # Gemma stores norm weights as offsets from one; the others around one.
    unit = (lambda n: rnd(n)) if a == ARCH_GEMMA3 else (lambda n: 1 + rnd(n))  # noqa: E731
    w = {"model.embed_tokens.weight": rnd(V, C), "model.norm.weight": unit(C)}
    if not tied(cfg):
        w["lm_head.weight"] = rnd(V, C)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        norms = ["input_layernorm", "post_attention_layernorm"]
        if a == ARCH_GEMMA3:
            norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
        for n in norms:
            w[p + n + ".weight"] = unit(C)
        if a == ARCH_PHI3:
            w[p + "self_attn.qkv_proj.weight"] = rnd((H + 2 * KV) * D, C)
            w[p + "mlp.gate_up_proj.weight"] = rnd(2 * I, C)
        else:
            for n, out in (("q", H * D), ("k", KV * D), ("v", KV * D)):
                w[p + f"self_attn.{n}_proj.weight"] = rnd(out, C)
            w[p + "mlp.gate_proj.weight"] = rnd(I, C)
            w[p + "mlp.up_proj.weight"] = rnd(I, C)
        if a in (ARCH_QWEN3, ARCH_GEMMA3):
            w[p + "self_attn.q_norm.weight"] = unit(D)
            w[p + "self_attn.k_norm.weight"] = unit(D)
        w[p + "self_attn.o_proj.weight"] = rnd(C, H * D)
        w[p + "mlp.down_proj.weight"] = rnd(C, I)
    return w


def adapter(cfg, w, gen, r=4):
    """A PEFT LoRA adapter (module path -> (A [r, in], B [out, r])) on every target module, B nonzero."""
    pairs = {}
    for name in sorted(w):
        module = name[: -len(".weight")]
        if w[name].dim() != 2 or module.split(".")[-1] not in TARGETS[arch(cfg)]:
            continue
        out_f, in_f = w[name].shape
        pairs[module] = (torch.randn(r, in_f, generator=gen) * 0.2, torch.randn(out_f, r, generator=gen) * 0.2)
    return pairs


def merged(w, pairs, scale):
    """W + scale * B A: the function of PEFT's LoRA branch."""
    out = dict(w)
    for module, (a, b) in pairs.items():
        out[module + ".weight"] = w[module + ".weight"] + scale * (b @ a)
    return out
