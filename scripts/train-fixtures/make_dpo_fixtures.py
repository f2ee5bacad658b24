"""Writes float64 PyTorch reference fixtures for src-main/train (DPO losses, LoRA, LR schedules).

Run with Debian's PyTorch (CPU): /usr/bin/python3 scripts/train-fixtures/make_dpo_fixtures.py
Writes src-main/train/fixtures/{dpo-losses,lora,schedules}.json; then run
`npx prettier --write src-main/train/fixtures` (the repo's prettier check covers that folder). The formulas are TRL >= 0.29's
DPOTrainer.dpo_loss and transformers' schedule lambdas, written out here because neither package exists here.

`--read-safetensors FILE` instead reads a .safetensors file with the format spec (8-byte little-endian header
length, JSON header, 8-byte aligned, offsets relative to the data start) and torch, and prints the tensors as
JSON; the TS tests use it to prove the bytes we write are readable outside our own reader.
"""

import json
import math
import pathlib
import struct
import sys

import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).resolve().parents[2] / "src-main" / "train" / "fixtures"


def flat(t):
    return t.detach().reshape(-1).tolist()


def write(name, fixture):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"torch": torch.__version__, **fixture}, separators=(",", ":")) + "\n")
    print(f"{path.name}: {path.stat().st_size} bytes")


def dpo_losses(loss_type, h, beta, eps):
    """TRL DPOTrainer.dpo_loss; h = (pi_c - pi_r) - (ref_c - ref_r)."""
    if loss_type == "sigmoid":  # Rafailov et al. 2023 eq. 7, with cDPO label smoothing
        return -F.logsigmoid(beta * h) * (1 - eps) - F.logsigmoid(-beta * h) * eps
    if loss_type == "robust":  # Chowdhury et al. 2024
        return (-F.logsigmoid(beta * h) * (1 - eps) + F.logsigmoid(-beta * h) * eps) / (1 - 2 * eps)
    if loss_type == "hinge":
        return torch.relu(1 - beta * h)
    if loss_type == "ipo":  # Azar et al. 2023, on length-normalised log-probs
        return (h - 1 / (2 * beta)) ** 2
    raise ValueError(loss_type)


def dpo_case(name, loss_type, beta, eps=0.0, sft_weight=0.0, weighted=False, batch=6):
    lengths_c = torch.randint(3, 40, (batch,)).double()
    lengths_r = torch.randint(3, 40, (batch,)).double()
    pc = (-lengths_c * (1 + torch.rand(batch, dtype=torch.float64))).requires_grad_(True)
    pr = (-lengths_r * (1 + torch.rand(batch, dtype=torch.float64))).requires_grad_(True)
    rc = (pc.detach() + torch.randn(batch, dtype=torch.float64) * 2).clone()
    rr = (pr.detach() + torch.randn(batch, dtype=torch.float64) * 2).clone()
    weights = torch.rand(batch, dtype=torch.float64) + 0.25 if weighted else None
    c, r, ref_c, ref_r = pc, pr, rc, rr
    if loss_type == "ipo":
        c, r, ref_c, ref_r = pc / lengths_c, pr / lengths_r, rc / lengths_c, rr / lengths_r
    h = (c - r) - (ref_c - ref_r)
    losses = dpo_losses(loss_type, h, beta, eps)
    loss = (losses * weights).sum() / weights.sum() if weighted else losses.mean()
    if sft_weight > 0:  # TRL's nll_loss: token-mean cross-entropy over all chosen completion tokens
        loss = loss + sft_weight * (-pc.sum() / lengths_c.sum())
    loss.backward()
    chosen_rewards = beta * (c - ref_c).detach()
    rejected_rewards = beta * (r - ref_r).detach()
    metrics = {
        "loss": loss.item(),
        "rewards/chosen": chosen_rewards.mean().item(),
        "rewards/rejected": rejected_rewards.mean().item(),
        "rewards/accuracies": (chosen_rewards > rejected_rewards).double().mean().item(),
        "rewards/margins": (chosen_rewards - rejected_rewards).mean().item(),
        "logps/chosen": c.detach().mean().item(),
        "logps/rejected": r.detach().mean().item(),
    }
    return {
        "name": name,
        "type": loss_type,
        "beta": beta,
        "labelSmoothing": eps,
        "sftWeight": sft_weight,
        "inputs": {
            "policyChosen": flat(pc),
            "policyRejected": flat(pr),
            "refChosen": flat(rc),
            "refRejected": flat(rr),
            "chosenLengths": flat(lengths_c),
            "rejectedLengths": flat(lengths_r),
            "weights": flat(weights) if weighted else None,
        },
        "losses": flat(losses),
        "metrics": metrics,
        "gradChosen": flat(pc.grad),
        "gradRejected": flat(pr.grad),
    }


def dpo_fixtures():
    cases = [
        dpo_case("sigmoid", "sigmoid", 0.1),
        dpo_case("sigmoid-smoothed", "sigmoid", 0.1, eps=0.1),
        dpo_case("hinge", "hinge", 0.1),
        dpo_case("ipo", "ipo", 0.1),
        dpo_case("robust", "robust", 0.1, eps=0.2),
        dpo_case("sigmoid-sft-weighted", "sigmoid", 0.5, eps=0.05, sft_weight=0.3, weighted=True),
        dpo_case("ipo-sft", "ipo", 0.5, sft_weight=1.0),
    ]
    write("dpo-losses", {"cases": cases})


def lora_fixture():
    """PEFT LoRA linear: y = x W^T + b + (alpha/r) (x A^T) B^T, its grads, and one torch.optim.SGD step."""
    n_in, n_out, r, alpha, lr = 5, 4, 3, 6.0, 0.1
    x = torch.randn(2, 3, n_in, dtype=torch.float64)
    w = torch.randn(n_out, n_in, dtype=torch.float64)
    b = torch.randn(n_out, dtype=torch.float64)
    a = torch.randn(r, n_in, dtype=torch.float64).requires_grad_(True)
    bb = (torch.randn(n_out, r, dtype=torch.float64) * 0.5).requires_grad_(True)
    weights = torch.randn(2, 3, n_out, dtype=torch.float64)
    inputs = {"x": flat(x), "w": flat(w), "b": flat(b), "a": flat(a), "bb": flat(bb), "weights": flat(weights)}
    y = F.linear(x, w, b) + (alpha / r) * F.linear(F.linear(x, a), bb)
    loss = (y * weights).sum()
    opt = torch.optim.SGD([a, bb], lr=lr)
    loss.backward()
    grads = {"a": flat(a.grad), "bb": flat(bb.grad)}
    opt.step()
    # PEFT's init of lora_A: nn.init.kaiming_uniform_(A, a=math.sqrt(5)); the bound torch computes for it.
    fan_in = 64
    gain = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    probe = torch.empty(8, fan_in)
    torch.nn.init.kaiming_uniform_(probe, a=math.sqrt(5))
    write(
        "lora",
        {
            "dims": {"in": n_in, "out": n_out, "r": r, "alpha": alpha, "lr": lr, "x": list(x.shape)},
            "inputs": inputs,
            "y": flat(y),
            "loss": loss.item(),
            "grads": grads,
            "afterSgd": {"a": flat(a), "bb": flat(bb)},
            "kaiming": {"fanIn": fan_in, "bound": math.sqrt(3.0) * gain / math.sqrt(fan_in), "maxAbs": probe.abs().max().item()},
        },
    )


def schedule_lambdas(warmup, total):
    """transformers.optimization: the lr_lambda of each get_*_schedule_* (cosine with num_cycles=0.5)."""

    def warm(step):
        return float(step) / float(max(1, warmup))

    def constant(_step):
        return 1.0

    def constant_with_warmup(step):
        return warm(step) if step < warmup else 1.0

    def linear(step):
        if step < warmup:
            return warm(step)
        return max(0.0, float(total - step) / float(max(1, total - warmup)))

    def cosine(step):
        if step < warmup:
            return warm(step)
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))

    return {"constant": constant, "constant_with_warmup": constant_with_warmup, "linear": linear, "cosine": cosine}


def schedule_fixtures():
    cases = []
    for total, warmup_ratio, base_lr in ((10, 0.1, 5e-6), (37, 0.25, 1e-4), (8, 0.0, 3e-4), (100, 0.03, 1e-6)):
        warmup = math.ceil(total * warmup_ratio)  # TrainingArguments.get_warmup_steps
        for kind, fn in schedule_lambdas(warmup, total).items():
            p = torch.zeros(1, requires_grad=True)
            opt = torch.optim.SGD([p], lr=base_lr)
            sched = torch.optim.lr_scheduler.LambdaLR(opt, fn)
            lrs = []
            for _ in range(total):
                lrs.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
            cases.append({"kind": kind, "total": total, "warmupRatio": warmup_ratio, "warmup": warmup, "lr": base_lr, "lrs": lrs})
    write("schedules", {"cases": cases})


DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "F16": (torch.float16, 2), "I64": (torch.int64, 8)}


def read_safetensors(path):
    raw = pathlib.Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    assert (8 + header_len) % 8 == 0, "data must start 8-byte aligned"
    header = json.loads(raw[8 : 8 + header_len].decode("utf-8"))
    data = raw[8 + header_len :]
    out, end = {}, 0
    for name, info in sorted(((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype, width = DTYPES[info["dtype"]]
        start, stop = info["data_offsets"]
        assert start == end, f"{name}: offsets must be contiguous"
        count = math.prod(info["shape"])
        assert stop - start == count * width, f"{name}: byte length does not match shape"
        t = torch.frombuffer(bytearray(data[start:stop]), dtype=dtype).reshape(info["shape"]) if count else torch.empty(info["shape"], dtype=dtype)
        out[name] = {"dtype": info["dtype"], "shape": info["shape"], "data": flat(t.double())}
        end = stop
    assert end == len(data), "trailing bytes after the last tensor"
    print(json.dumps({"metadata": header.get("__metadata__"), "tensors": out}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--read-safetensors":
        read_safetensors(sys.argv[2])
        sys.exit(0)
    torch.manual_seed(0)
    dpo_fixtures()
    lora_fixture()
    schedule_fixtures()
