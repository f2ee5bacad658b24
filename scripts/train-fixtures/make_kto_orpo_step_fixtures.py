"""Writes src-main/train/fixtures/{kto-step,orpo-step,kl-estimate}.json: one KTO and one ORPO step (LoRA, clip, SGD) on the llama
model fixture in float64, with the plain-torch transformer of scripts/model-fixtures and the adapter and pairs of
make_step_fixtures.py.

Run with Debian's PyTorch (CPU): /usr/bin/python3 scripts/train-fixtures/make_kto_orpo_step_fixtures.py
then `npx prettier --write src-main/train/fixtures`. KTO is TRL's KTOTrainer (loss_type kto) on the pairs unpaired
(chosen desirable, rejected undesirable) with the KL completions of _get_kl_dataset (+1 offset within the batch);
ORPO is TRL's ORPOTrainer (odds_ratio_loss on mean log-probs, plus the chosen NLL), without a reference model.
kl-estimate is the sequence-level KL(tuned || base) on samples drawn from the tuned model.
"""

import importlib.util
import json
import pathlib

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("msf", ROOT / "scripts" / "train-fixtures" / "make_step_fixtures.py")
msf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(msf)

OUT = ROOT / "src-main" / "train" / "fixtures"
BETA, LR, MAX_NORM = 0.1, 0.5, 0.5


def adapter_and_weights(cfg, base):
    gen = torch.Generator().manual_seed(7)  # the same adapter as dpo-step.json
    adapter = {}
    for layer in range(cfg["num_hidden_layers"]):
        for name in msf.MODULES:
            part = "self_attn" if name.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else "mlp"
            module = f"model.layers.{layer}.{part}.{name}"
            out_f, in_f = base[module + ".weight"].shape
            a = (torch.rand(msf.R, in_f, generator=gen, dtype=torch.float64) * 2 - 1) / in_f**0.5
            b = torch.randn(out_f, msf.R, generator=gen, dtype=torch.float64) * 0.05
            adapter[module] = (a.requires_grad_(True), b.requires_grad_(True))

    def policy_weights():
        w = dict(base)
        for module, (a, b) in adapter.items():
            w[module + ".weight"] = base[module + ".weight"] + (msf.ALPHA / msf.R) * b @ a
        return w

    return adapter, policy_weights


def step(adapter, loss):
    params = [t for pair in adapter.values() for t in pair]
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(params, MAX_NORM).item()
    torch.optim.SGD(params, lr=LR).step()
    return grad_norm


flat = lambda t: t.detach().reshape(-1).tolist()  # noqa: E731


def kto(cfg, base):
    adapter, policy_weights = adapter_and_weights(cfg, base)
    # unpair_preference_dataset: (prompt, chosen, True), (prompt, rejected, False), pair by pair
    examples = []
    for p in msf.PAIRS:
        examples.append({"prompt_ids": p["prompt_input_ids"], "completion_ids": p["chosen_input_ids"], "label": True})
        examples.append({"prompt_ids": p["prompt_input_ids"], "completion_ids": p["rejected_input_ids"], "label": False})
    examples = examples[:4]  # one batch of 4: two desirable, two undesirable
    kl_completions = [examples[-1]["completion_ids"]] + [e["completion_ids"] for e in examples[:-1]]
    w = policy_weights()
    with torch.no_grad():
        ref = torch.tensor([msf.sequence_logps(cfg, base, e["prompt_ids"], e["completion_ids"])[0].item() for e in examples])
        ref_kl = torch.tensor([msf.sequence_logps(cfg, base, e["prompt_ids"], k)[0].item() for e, k in zip(examples, kl_completions)])
        pol_kl = torch.stack([msf.sequence_logps(cfg, w, e["prompt_ids"], k)[0] for e, k in zip(examples, kl_completions)])
    pol = torch.stack([msf.sequence_logps(cfg, w, e["prompt_ids"], e["completion_ids"])[0] for e in examples])
    label = torch.tensor([e["label"] for e in examples])
    kl = (pol_kl - ref_kl).mean().detach().clamp(min=0)
    chosen_lr, rejected_lr = pol[label] - ref[label], pol[~label] - ref[~label]
    losses = torch.cat((1 - torch.sigmoid(BETA * (chosen_lr - kl)), 1 - torch.sigmoid(BETA * (kl - rejected_lr))))
    loss = losses.nanmean()
    rc, rr = BETA * chosen_lr.detach(), BETA * rejected_lr.detach()
    metrics = {
        "loss": loss.item(),
        "kl": kl.item(),
        "rewards/chosen": rc.mean().item(),
        "rewards/rejected": rr.mean().item(),
        "rewards/margins": (rc.mean() - rr.mean()).item(),
        "logps/chosen": pol[label].detach().mean().item(),
        "logps/rejected": pol[~label].detach().mean().item(),
    }
    before = {m: (a.detach().clone(), b.detach().clone()) for m, (a, b) in adapter.items()}
    grad_norm = step(adapter, loss)
    return {
        "examples": examples,
        "metrics": metrics,
        "grad_norm": grad_norm,
        "adapter_before": {m: {"A": flat(a), "B": flat(b)} for m, (a, b) in before.items()},
        "adapter_after": {m: {"A": flat(a), "B": flat(b)} for m, (a, b) in adapter.items()},
    }


def orpo(cfg, base):
    adapter, policy_weights = adapter_and_weights(cfg, base)
    w = policy_weights()
    sums = [[msf.sequence_logps(cfg, w, p["prompt_input_ids"], p[k]) for k in ("chosen_input_ids", "rejected_input_ids")] for p in msf.PAIRS]
    pc = torch.stack([c[0] for c, _ in sums])
    pr = torch.stack([r[0] for _, r in sums])
    nc = torch.tensor([float(c[1]) for c, _ in sums], dtype=torch.float64)
    nr = torch.tensor([float(r[1]) for _, r in sums], dtype=torch.float64)
    c, r = pc / nc, pr / nr
    log_odds = (c - r) - (torch.log1p(-torch.exp(c)) - torch.log1p(-torch.exp(r)))
    ratio = F.logsigmoid(log_odds)
    nll = -pc.sum() / nc.sum()
    loss = nll - (BETA * ratio).mean()
    rc, rr = BETA * c.detach(), BETA * r.detach()
    metrics = {
        "loss": loss.item(),
        "rewards/chosen": rc.mean().item(),
        "rewards/rejected": rr.mean().item(),
        "rewards/accuracies": (rc > rr).double().mean().item(),
        "rewards/margins": (rc - rr).mean().item(),
        "logps/chosen": c.detach().mean().item(),
        "logps/rejected": r.detach().mean().item(),
        "nll_loss": nll.item(),
        "log_odds_ratio": ratio.mean().item(),
        "log_odds_chosen": log_odds.mean().item(),
    }
    before = {m: (a.detach().clone(), b.detach().clone()) for m, (a, b) in adapter.items()}
    grad_norm = step(adapter, loss)
    return {
        "pairs": msf.PAIRS,
        "metrics": metrics,
        "grad_norm": grad_norm,
        "adapter_before": {m: {"A": flat(a), "B": flat(b)} for m, (a, b) in before.items()},
        "adapter_after": {m: {"A": flat(a), "B": flat(b)} for m, (a, b) in adapter.items()},
    }


def kl(cfg, base):
    """Samples drawn from base + adapter (multinomial, 4 new tokens), and the KL estimate over them:
    the mean over samples of log p_tuned(y|x) - log p_base(y|x), each a sum over the sampled tokens."""
    adapter, policy_weights = adapter_and_weights(cfg, base)
    w = {k: v.detach() for k, v in policy_weights().items()}
    gen = torch.Generator().manual_seed(3)
    samples = []
    with torch.no_grad():
        for prompt in ([1, 17, 40, 5], [1, 70], [1, 4, 4, 4, 9, 22]):
            for _ in range(2):
                ids = list(prompt)
                for _ in range(4):
                    logits = msf.mmf.llama_forward(cfg, w, torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
                    probs = torch.softmax(logits[0, -1], dim=-1)
                    ids.append(int(torch.multinomial(probs, 1, generator=gen)))
                samples.append({"prompt": prompt, "completion": ids[len(prompt):]})
        tuned = [msf.sequence_logps(cfg, w, x["prompt"], x["completion"])[0].item() for x in samples]
        base_logps = [msf.sequence_logps(cfg, base, x["prompt"], x["completion"])[0].item() for x in samples]
    diffs = torch.tensor(tuned, dtype=torch.float64) - torch.tensor(base_logps, dtype=torch.float64)
    return {
        "samples": samples,
        "tuned_logps": tuned,
        "base_logps": base_logps,
        "kl": diffs.mean().item(),
        "stderr": (diffs.std(unbiased=True) / len(samples) ** 0.5).item(),
        "adapter": {m: {"A": flat(a), "B": flat(b)} for m, (a, b) in adapter.items()},
    }


def main():
    cfg = json.loads((msf.FIXTURE / "config.json").read_text())
    base = msf.read_safetensors(msf.FIXTURE / "model.safetensors")
    common = {"torch": torch.__version__, "model": "llama", "r": msf.R, "alpha": msf.ALPHA, "beta": BETA, "lr": LR, "max_grad_norm": MAX_NORM}
    for name, make in (("kto-step", kto), ("orpo-step", orpo), ("kl-estimate", kl)):
        fixture = {**common, **make(cfg, base)}
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
