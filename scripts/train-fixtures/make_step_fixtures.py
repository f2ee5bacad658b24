"""Writes src-main/train/fixtures/dpo-step.json: sequence log-probs and one DPO + LoRA + SGD step on the llama
model fixture, computed in float64 with the plain-torch transformer of scripts/model-fixtures, and
dpo-step-<family>.json the same on the qwen3, gemma3, phi3 and smollm3 fixtures (LoRA on each family's
default target modules: Phi-3's fused qkv_proj and gate_up_proj get one pair each).

Run with Debian's PyTorch (CPU): /usr/bin/python3 scripts/train-fixtures/make_step_fixtures.py
then `npx prettier --write src-main/train/fixtures`. The step is TRL's DPOTrainer with a PEFT model: policy =
base + LoRA (W' = W + (alpha/r) B A, the same function as PEFT's branch), reference = base without the
adapter, loss_type sigmoid, then torch.nn.utils.clip_grad_norm_ and torch.optim.SGD (momentum 0).
"""

import importlib.util
import json
import pathlib
import struct
import sys

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("mmf", ROOT / "scripts" / "model-fixtures" / "make_model_fixtures.py")
mmf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mmf)
families = mmf.families

FIXTURE = ROOT / "src-main" / "models" / "fixtures" / "llama"
OUT = ROOT / "src-main" / "train" / "fixtures" / "dpo-step.json"
MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
R, ALPHA, BETA, LR, MAX_NORM = 2, 4.0, 0.1, 0.5, 0.5

# Pre-tokenized pairs (ids < vocab 96): prompt, chosen, rejected; lengths differ so padding is exercised.
PAIRS = [
    {"prompt_input_ids": [1, 17, 40, 5], "chosen_input_ids": [33, 8, 2], "rejected_input_ids": [60, 61, 62, 63, 2]},
    {"prompt_input_ids": [1, 70], "chosen_input_ids": [12, 13, 14, 15], "rejected_input_ids": [90, 2]},
    {"prompt_input_ids": [1, 4, 4, 4, 9, 22], "chosen_input_ids": [7], "rejected_input_ids": [8, 9]},
]


def read_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + a : 8 + n + b]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).double()
    return out


def sequence_logps(cfg, w, prompt, completion):
    ids = torch.tensor([prompt + completion])
    mask = torch.ones_like(ids)
    logits = mmf.family_forward(cfg)(cfg, w, ids, mask)
    logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)[0]
    start = max(1, len(prompt))  # token t is scored from position t-1
    return logps[start - 1 :].sum(), len(prompt + completion) - start


def target_modules(cfg, base):
    """Module paths in layer order, each layer's targets in the family's target order."""
    names = families.TARGETS.get(cfg["architectures"][0], MODULES)
    found = {k[: -len(".weight")] for k, v in base.items() if v.dim() == 2 and k.split(".")[-2] in names}
    order = lambda m: (int(m.split(".")[2]), names.index(m.split(".")[-1]))  # noqa: E731
    return sorted(found, key=order)


def main(fixture, out):
    cfg = json.loads((fixture / "config.json").read_text())
    base = read_safetensors(fixture / "model.safetensors")
    gen = torch.Generator().manual_seed(7)
    adapter = {}
    for module in target_modules(cfg, base):
        out_f, in_f = base[module + ".weight"].shape
        a = (torch.rand(R, in_f, generator=gen, dtype=torch.float64) * 2 - 1) / in_f**0.5
        b = torch.randn(out_f, R, generator=gen, dtype=torch.float64) * 0.05
        adapter[module] = (a.requires_grad_(True), b.requires_grad_(True))

    def policy_weights():
        w = dict(base)
        for module, (a, b) in adapter.items():
            w[module + ".weight"] = base[module + ".weight"] + (ALPHA / R) * b @ a
        return w

    with torch.no_grad():
        ref = [[sequence_logps(cfg, base, p["prompt_input_ids"], p[k])[0].item() for k in ("chosen_input_ids", "rejected_input_ids")] for p in PAIRS]
        counts = [[sequence_logps(cfg, base, p["prompt_input_ids"], p[k])[1] for k in ("chosen_input_ids", "rejected_input_ids")] for p in PAIRS]
    w = policy_weights()
    pol = [[sequence_logps(cfg, w, p["prompt_input_ids"], p[k])[0] for k in ("chosen_input_ids", "rejected_input_ids")] for p in PAIRS]
    pc, pr = torch.stack([c for c, _ in pol]), torch.stack([r for _, r in pol])
    rc, rr = torch.tensor([c for c, _ in ref], dtype=torch.float64), torch.tensor([r for _, r in ref], dtype=torch.float64)
    h = (pc - pr) - (rc - rr)
    loss = (-F.logsigmoid(BETA * h)).mean()
    chosen_rewards, rejected_rewards = BETA * (pc - rc).detach(), BETA * (pr - rr).detach()
    metrics = {
        "loss": loss.item(),
        "rewards/chosen": chosen_rewards.mean().item(),
        "rewards/rejected": rejected_rewards.mean().item(),
        "rewards/accuracies": (chosen_rewards > rejected_rewards).double().mean().item(),
        "rewards/margins": (chosen_rewards - rejected_rewards).mean().item(),
        "logps/chosen": pc.mean().item(),
        "logps/rejected": pr.mean().item(),
    }
    params = [t for pair in adapter.values() for t in pair]
    before = {m: (a.detach().clone(), b.detach().clone()) for m, (a, b) in adapter.items()}
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(params, MAX_NORM).item()
    torch.optim.SGD(params, lr=LR).step()
    flat = lambda t: t.detach().reshape(-1).tolist()  # noqa: E731
    result = {
        "torch": torch.__version__,
        "model": fixture.name,
        "r": R,
        "alpha": ALPHA,
        "beta": BETA,
        "lr": LR,
        "max_grad_norm": MAX_NORM,
        "pairs": PAIRS,
        "reference_logps": ref,
        "completion_tokens": counts,
        "policy_logps": [[c.item(), r.item()] for c, r in pol],
        "metrics": metrics,
        "grad_norm": grad_norm,
        "adapter_before": {m: {"A": flat(a), "B": flat(b)} for m, (a, b) in before.items()},
        "adapter_after": {m: {"A": flat(a), "B": flat(b)} for m, (a, b) in adapter.items()},
    }
    out.write_text(json.dumps(result, separators=(",", ":")) + "\n")
    print(f"{out.name}: {out.stat().st_size} bytes; loss {metrics['loss']:.6f} grad_norm {grad_norm:.6f}")


if __name__ == "__main__":
    # The llama step as before; then one per new family.
    for name in sys.argv[1:] or ["llama", "qwen3", "gemma3", "phi3", "smollm3"]:
        target = OUT if name == "llama" else OUT.with_name(f"dpo-step-{name}.json")
        main(FIXTURE.parent / name, target)
