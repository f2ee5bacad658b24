"""Writes float64 PyTorch reference fixtures for the KTO and ORPO entries of src-main/train's loss table.

Run with Debian's PyTorch (CPU): /usr/bin/python3 scripts/train-fixtures/make_kto_orpo_fixtures.py
Writes src-main/train/fixtures/{kto,orpo}-losses.json; then `npx prettier --write src-main/train/fixtures`.
The formulas are TRL >= 0.29's KTOTrainer.kto_loss / get_batch_loss_metrics / log and ORPOTrainer.odds_ratio_loss /
get_batch_loss_metrics, written out here because TRL is not installed here.
"""

import json
import pathlib

import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).resolve().parents[2] / "src-main" / "train" / "fixtures"


def flat(t):
    return t.detach().reshape(-1).tolist()


def write(name, fixture):
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"torch": torch.__version__, **fixture}, separators=(",", ":")) + "\n")
    print(f"{path.name}: {path.stat().st_size} bytes")


def kto_case(name, beta, labels, desirable_weight=1.0, undesirable_weight=1.0, kl_shift=-2.0):
    n = len(labels)
    lengths = torch.randint(3, 40, (n,)).double()
    policy = (-lengths * (1 + torch.rand(n, dtype=torch.float64))).requires_grad_(True)
    reference = policy.detach() + torch.randn(n, dtype=torch.float64) * 2
    # KL rows: another example's completion for this prompt (TRL's +1 offset), scored by both models.
    policy_kl = (-lengths.roll(1) * (1.5 + torch.rand(n, dtype=torch.float64))).requires_grad_(True)
    reference_kl = policy_kl.detach() + torch.randn(n, dtype=torch.float64) + kl_shift
    label = torch.tensor(labels, dtype=torch.bool)
    # kto_loss: kl from the KL rows (no_grad), clamped at 0
    kl = (policy_kl - reference_kl).mean().detach().clamp(min=0)
    chosen_logratios = policy[label] - reference[label]
    rejected_logratios = policy[~label] - reference[~label]
    chosen_losses = 1 - F.sigmoid(beta * (chosen_logratios - kl))
    rejected_losses = 1 - F.sigmoid(beta * (kl - rejected_logratios))
    losses = torch.cat((desirable_weight * chosen_losses, undesirable_weight * rejected_losses), 0)
    loss = losses.nanmean()
    loss.backward()
    chosen_rewards = beta * chosen_logratios.detach()
    rejected_rewards = beta * rejected_logratios.detach()
    # log(): sums over counts, the margin when both sides are present, kl as stored
    metrics = {"loss": loss.item(), "kl": kl.item()}
    for side, rewards, logps in (("chosen", chosen_rewards, policy[label]), ("rejected", rejected_rewards, policy[~label])):
        if rewards.numel() > 0:
            metrics[f"rewards/{side}"] = rewards.sum().item() / rewards.numel()
            metrics[f"logps/{side}"] = logps.detach().sum().item() / rewards.numel()
    if "rewards/chosen" in metrics and "rewards/rejected" in metrics:
        metrics["rewards/margins"] = metrics["rewards/chosen"] - metrics["rewards/rejected"]
    # per-example losses in input order (TRL concatenates chosen then rejected)
    in_order = torch.empty(n, dtype=torch.float64)
    in_order[label] = (desirable_weight * chosen_losses).detach()
    in_order[~label] = (undesirable_weight * rejected_losses).detach()
    return {
        "name": name,
        "beta": beta,
        "desirableWeight": desirable_weight,
        "undesirableWeight": undesirable_weight,
        "inputs": {
            "policy": flat(policy),
            "reference": flat(reference),
            "policyKl": flat(policy_kl),
            "referenceKl": flat(reference_kl),
            "labels": labels,
        },
        "losses": flat(in_order),
        "metrics": metrics,
        "grad": flat(policy.grad),
        "gradKl": flat(policy_kl.grad) if policy_kl.grad is not None else [0.0] * n,
    }


def orpo_case(name, beta, batch=6):
    lengths_c = torch.randint(3, 40, (batch,)).double()
    lengths_r = torch.randint(3, 40, (batch,)).double()
    pc = (-lengths_c * (0.2 + 1.8 * torch.rand(batch, dtype=torch.float64))).requires_grad_(True)
    pr = (-lengths_r * (0.2 + 1.8 * torch.rand(batch, dtype=torch.float64))).requires_grad_(True)
    c, r = pc / lengths_c, pr / lengths_r  # average_log_prob=True
    # odds_ratio_loss (ORPO paper eqs. 4 and 7)
    log_odds = (c - r) - (torch.log1p(-torch.exp(c)) - torch.log1p(-torch.exp(r)))
    ratio = F.logsigmoid(log_odds)
    losses = beta * ratio
    nll = -pc.sum() / lengths_c.sum()  # cross-entropy over the chosen half, mean over its tokens
    loss = nll - losses.mean()
    loss.backward()
    chosen_rewards, rejected_rewards = beta * c.detach(), beta * r.detach()
    metrics = {
        "loss": loss.item(),
        "rewards/chosen": chosen_rewards.mean().item(),
        "rewards/rejected": rejected_rewards.mean().item(),
        "rewards/accuracies": (chosen_rewards > rejected_rewards).double().mean().item(),
        "rewards/margins": (chosen_rewards - rejected_rewards).mean().item(),
        "logps/chosen": c.detach().mean().item(),
        "logps/rejected": r.detach().mean().item(),
        "nll_loss": nll.item(),
        "log_odds_ratio": ratio.mean().item(),
        "log_odds_chosen": log_odds.mean().item(),
    }
    return {
        "name": name,
        "beta": beta,
        "inputs": {
            "policyChosen": flat(pc),
            "policyRejected": flat(pr),
            "chosenLengths": flat(lengths_c),
            "rejectedLengths": flat(lengths_r),
        },
        "losses": flat(losses),
        "metrics": metrics,
        "gradChosen": flat(pc.grad),
        "gradRejected": flat(pr.grad),
    }


if __name__ == "__main__":
    torch.manual_seed(16)
    write(
        "kto-losses",
        {
            "cases": [
                kto_case("mixed", 0.1, [True, False, True, True, False, False]),
                kto_case("weighted-beta-0.5", 0.5, [True, False, False, False, True], 1.33, 0.75),
                kto_case("kl-clamped-at-0", 0.1, [True, False, True, False], kl_shift=30.0),
                kto_case("all-undesirable", 0.2, [False, False, False]),
            ]
        },
    )
    write("orpo-losses", {"cases": [orpo_case("beta-0.1", 0.1), orpo_case("beta-1", 1.0)]})
