# %% [markdown]
# # LayerNorm and RMSNorm
#
# This is the notebook of the *LayerNorm and RMSNorm* page of *Why N(0, 1)?*.

# %% [markdown]
# ## Which entries share statistics
#
# Perturb one input entry and see which outputs of torch's own modules change.

# %%
# --8<-- [start:groups]
import torch
from torch import nn


def shared_entries(norm: nn.Module, shape: tuple, seed: int = 0) -> torch.Tensor:
    """Boolean mask of the outputs that change when input entry [0, 0, ...] moves.

    Those outputs are exactly the entries that share statistics with it.
    """
    torch.manual_seed(seed)
    norm = norm.double().train()  # training mode: BatchNorm uses batch stats
    x = torch.randn(shape, dtype=torch.float64)
    x2 = x.clone()
    x2.view(-1)[0] += 1.0  # perturb a single entry
    with torch.no_grad():
        return (norm(x2) - norm(x)).abs() > 1e-12


def image_norms(C: int = 6, H: int = 2, W: int = 2, groups: int = 2) -> dict:
    """The four layers on an (N, C, H, W) tensor, each as PyTorch builds it."""
    return {
        "BatchNorm": nn.BatchNorm2d(C),
        "LayerNorm": nn.LayerNorm([C, H, W]),
        "GroupNorm": nn.GroupNorm(groups, C),
        "RMSNorm": nn.RMSNorm([C, H, W]),
    }


def token_norms(features: int = 8) -> dict:
    """On (batch, tokens, features): BatchNorm1d wants features in dim 1."""

    class TokenBatchNorm(nn.BatchNorm1d):
        def forward(self, x):
            return super().forward(x.transpose(1, 2)).transpose(1, 2)

    return {
        "BatchNorm": TokenBatchNorm(features),
        "LayerNorm": nn.LayerNorm(features),
        "RMSNorm": nn.RMSNorm(features),
    }


if __name__ == "__main__":
    N, C, H, W = 4, 6, 2, 2
    for name, norm in image_norms(C, H, W).items():
        mask = shared_entries(norm, (N, C, H, W))
        print(f"(N, C, H, W) = {(N, C, H, W)}  {name:9s} shares statistics "
              f"with {int(mask.sum()):2d} entries:")
        print("   (sample, channel) pairs:",
              mask.any(dim=(2, 3)).nonzero().tolist())
    B, T, D = 4, 5, 8
    for name, norm in token_norms(D).items():
        mask = shared_entries(norm, (B, T, D))
        print(f"(batch, tokens, features) = {(B, T, D)}  {name:9s}: "
              f"{int(mask.sum())} entries")
# --8<-- [end:groups]

# %% [markdown]
# ## Invariances, and where epsilon breaks them
#
# Rescaling, shifting, and the shape of the values, on real digit images.

# %%
# --8<-- [start:invariance]
import torch
from sklearn.datasets import load_digits
from torch import nn


def digit_rows(n: int = 200) -> torch.Tensor:
    """The first n 8x8 digits as 64-feature rows (raw pixels 0..16)."""
    X = load_digits().data[:n]
    return torch.tensor(X, dtype=torch.float32)


def scale_sweep(
    eps: float = 1e-5, c_min_exp: int = -7, c_max_exp: int = 3
) -> dict:
    """Output RMS of LayerNorm and RMSNorm (no affine) for inputs c * x."""
    x = digit_rows()
    x = (x - x.mean(1, keepdim=True)) / x.std(1, unbiased=False, keepdim=True)
    ln = nn.LayerNorm(64, eps=eps, elementwise_affine=False)
    rms = nn.RMSNorm(64, eps=eps, elementwise_affine=False)
    cs = torch.logspace(c_min_exp, c_max_exp, 41)
    out = {"c": cs.tolist(), "layernorm": [], "rmsnorm": []}
    for c in cs:
        out["layernorm"].append(ln(c * x).pow(2).mean().sqrt().item())
        out["rmsnorm"].append(rms(c * x).pow(2).mean().sqrt().item())
    return out


def invariances(scale: float = 10.0, shift: float = 3.0) -> dict:
    """Max |change| of the output when the input is rescaled or shifted."""
    x = digit_rows()
    ln = nn.LayerNorm(64, elementwise_affine=False)
    rms = nn.RMSNorm(64, eps=1e-5, elementwise_affine=False)
    with torch.no_grad():
        return {
            "ln_scale": (ln(scale * x) - ln(x)).abs().max().item(),
            "rms_scale": (rms(scale * x) - rms(x)).abs().max().item(),
            "ln_shift": (ln(x + shift) - ln(x)).abs().max().item(),
            "rms_shift": (rms(x + shift) - rms(x)).abs().max().item(),
            "ln_out_mean": ln(x).mean(1).abs().max().item(),
            "rms_out_mean": rms(x).mean(1).mean().item(),
            "ln_out_mean_shifted": ln(x + shift).mean(1).abs().max().item(),
            "rms_out_mean_shifted": rms(x + shift).mean(1).mean().item(),
        }


def shape_kept(index: int = 0) -> dict:
    """Skewness of one digit's 64 values before and after LayerNorm."""

    def skew(v):
        z = (v - v.mean()) / v.std(unbiased=False)
        return z.pow(3).mean().item()

    x = digit_rows()[index]
    y = nn.LayerNorm(64, elementwise_affine=False)(x)
    return {"skew_in": skew(x), "skew_out": skew(y.detach()),
            "distinct_in": len(set(x.tolist())),
            "distinct_out": len(set(y.detach().tolist()))}


if __name__ == "__main__":
    sweep = scale_sweep()
    for c, a, b in list(zip(sweep["c"], sweep["layernorm"],
                            sweep["rmsnorm"]))[::8]:
        print(f"c = {c:8.1e}: output RMS  LayerNorm {a:.4f}  RMSNorm {b:.4f}")
    for k, v in invariances().items():
        print(f"{k:22s} {v:.2e}")
    print(shape_kept())
# --8<-- [end:invariance]

# %% [markdown]
# ## BatchNorm depends on the batch; LayerNorm does not
#
# Other samples, padding, train() vs eval(), a batch of one.

# %%
# --8<-- [start:batch]
import torch
from sklearn.datasets import load_digits
from torch import nn


def digit_rows(n: int = 200) -> torch.Tensor:
    """The first n 8x8 digits as 64-feature rows (raw pixels 0..16)."""
    X = load_digits().data[:n]
    return torch.tensor(X, dtype=torch.float32)


def batch_dependence(batch_size: int = 16, seed: int = 0) -> dict:
    """Max |change| of sample 0's output when the rest of its batch changes,
    and between train() and eval() after a few training-mode batches."""
    torch.manual_seed(seed)
    x = digit_rows()
    a = x[:batch_size]
    b = torch.cat([x[:1], x[100 : 99 + batch_size]])  # same sample 0
    out = {}
    for name, norm in [("bn", nn.BatchNorm1d(64)), ("ln", nn.LayerNorm(64))]:
        norm.train()
        with torch.no_grad():
            for i in range(0, 200, batch_size):  # update running stats
                norm(x[i : i + batch_size])
            out[f"{name}_other_samples"] = (
                (norm(a)[0] - norm(b)[0]).abs().max().item()
            )
            train_out = norm(a)
            norm.eval()
            out[f"{name}_train_vs_eval"] = (
                (train_out - norm(a)).abs().max().item()
            )
    return out


def padding_dependence(
    tokens: int = 5, pad_to: int = 20, features: int = 8, seed: int = 0
) -> dict:
    """Sequence 0 has `tokens` real tokens; a batch-mate sets the padded
    length. Max |change| of sequence 0's real outputs, padded vs not."""
    torch.manual_seed(seed)
    seq = torch.randn(1, tokens, features)
    mate = torch.randn(1, tokens, features)
    short = torch.cat([seq, mate])  # (2, tokens, features)
    pad = torch.zeros(2, pad_to - tokens, features)
    long_ = torch.cat([short, pad], dim=1)  # zero padding to pad_to
    bn = nn.BatchNorm1d(features)  # normalizes each feature over (B, T)
    ln = nn.LayerNorm(features)
    with torch.no_grad():
        bn_short = bn(short.transpose(1, 2)).transpose(1, 2)[0]
        bn_long = bn(long_.transpose(1, 2)).transpose(1, 2)[0, :tokens]
        ln_change = (ln(short)[0] - ln(long_)[0, :tokens]).abs().max()
    return {"bn": (bn_short - bn_long).abs().max().item(),
            "ln": ln_change.item()}


def batch_of_one() -> dict:
    """One token of one sequence, as in autoregressive decoding."""
    x = torch.randn(1, 64)
    try:
        nn.BatchNorm1d(64).train()(x)
        bn = "ran"
    except ValueError as err:
        bn = f"ValueError: {err}"
    ln_out = nn.LayerNorm(64)(x)
    return {"bn": bn, "ln_rms": ln_out.pow(2).mean().sqrt().item()}


if __name__ == "__main__":
    print(batch_dependence())
    print("padding:", padding_dependence())
    print(batch_of_one())
# --8<-- [end:batch]

# %% [markdown]
# ## Post-LN versus Pre-LN at initialization
#
# Gradient norm per residual block in a tiny stack (Xiong et al. 2020).

# %%
# --8<-- [start:pre_post]
import torch
from sklearn.datasets import load_digits
from torch import nn


class Block(nn.Module):
    """Residual feed-forward block, Post-LN or Pre-LN."""

    def __init__(self, d: int, pre: bool):
        super().__init__()
        self.pre = pre
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.ReLU(),
                                nn.Linear(4 * d, d))
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        if self.pre:
            return x + self.ff(self.norm(x))  # x_{l+1} = x_l + F(LN(x_l))
        return self.norm(x + self.ff(x))  # x_{l+1} = LN(x_l + F(x_l))


def grad_norms(
    pre: bool, n_layers: int = 12, d: int = 64, batch: int = 256,
    seed: int = 0,
) -> list[float]:
    """Gradient norm of each block's weights at init on a digits batch."""
    torch.manual_seed(seed)
    digits = load_digits()
    x = torch.tensor(digits.data[:batch], dtype=torch.float32) / 16
    y = torch.tensor(digits.target[:batch])
    embed = nn.Linear(64, d)
    blocks = nn.ModuleList(Block(d, pre) for _ in range(n_layers))
    final = nn.LayerNorm(d) if pre else nn.Identity()  # Pre-LN ends with LN
    head = nn.Linear(d, 10)
    h = embed(x)
    for block in blocks:
        h = block(h)
    nn.functional.cross_entropy(head(final(h)), y).backward()
    return [
        torch.sqrt(sum(p.grad.pow(2).sum() for n, p in b.named_parameters()
                       if "weight" in n and "norm" not in n)).item()
        for b in blocks
    ]


if __name__ == "__main__":
    for pre in [False, True]:
        g = grad_norms(pre)
        name = "Pre-LN " if pre else "Post-LN"
        print(f"{name} gradient norm, block 1 .. 12: "
              + " ".join(f"{v:.3f}" for v in g))
# --8<-- [end:pre_post]

# %% [markdown]
# ## The page's numbers and figures
#
# `results()` computes every number the page quotes; `figures()` draws the page's figures
# from them (the site's build renders them in its light and dark themes, in English and Chinese).

# %%
import inspect
import json

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

GRID = (4, 6, 2, 2)  # (N, C, H, W) of the groups figure
TOKENS = (4, 5, 8)  # (batch, tokens, features)
DEPTHS = [6, 12, 24]


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _groups_results() -> dict:
    N, C, H, W = GRID
    out = {"shape": list(GRID), "token_shape": list(TOKENS), "image": {},
           "tokens": {}, **_defaults(image_norms)}
    for name, norm in image_norms(C, H, W).items():
        mask = shared_entries(norm, GRID)
        out["image"][name] = {
            "count": int(mask.sum()),
            "grid": mask.any(dim=(2, 3)).int().tolist(),
            "full_cells": bool(
                (mask.any(dim=(2, 3)) == mask.all(dim=(2, 3))).all()
            ),
        }
    for name, norm in token_norms(TOKENS[2]).items():
        out["tokens"][name] = int(shared_entries(norm, TOKENS).sum())
    return out


def _invariance_results() -> dict:
    sweep = scale_sweep()
    c = np.array(sweep["c"])
    eps = _defaults(scale_sweep)["eps"]
    half = float(np.interp(0.5, sweep["layernorm"], c))
    return {
        **_defaults(scale_sweep, invariances),
        "sweep": sweep,
        "sqrt_eps": eps**0.5,
        "c_half": half,
        "rms_at_sqrt_eps": float(np.interp(eps**0.5, c, sweep["layernorm"])),
        "ln_rms_small": sweep["layernorm"][0],
        "ln_rms_c1": float(np.interp(1.0, c, sweep["layernorm"])),
        **invariances(),
        **shape_kept(),
    }


def _batch_results() -> dict:
    return {
        **_defaults(batch_dependence, padding_dependence),
        **batch_dependence(),
        "padding": padding_dependence(),
        "one_bn_error": batch_of_one()["bn"].startswith("ValueError"),
        "one_ln_rms": batch_of_one()["ln_rms"],
    }


def _pre_post_results() -> dict:
    out = {**_defaults(grad_norms), "depths": DEPTHS}
    for key, pre in [("post", False), ("pre", True)]:
        g = grad_norms(pre)
        out[key] = {
            "grads": g,
            "first": g[0],
            "last": g[-1],
            "first_over_last": g[0] / g[-1],
            "max_over_min": max(g) / min(g),
            "last_by_depth": [grad_norms(pre, n_layers=L)[-1] for L in DEPTHS],
        }
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    return {
        "groups": _groups_results(),
        "invariance": _invariance_results(),
        "batch": _batch_results(),
        "pre_post": _pre_post_results(),
    }


LABELS = {
    "en": {
        "sample": "sample n",
        "channel": "channel c",
        "perturbed": "perturbed entry",
        "shared": "outputs that change",
        "BatchNorm": "BatchNorm",
        "LayerNorm": "LayerNorm",
        "GroupNorm": "GroupNorm (2 groups)",
        "RMSNorm": "RMSNorm",
        "scale": "input scale c",
        "out_rms": "output RMS",
        "theory": "c / √(c² + ε)",
        "sqrt_eps": "c = √ε",
        "block": "residual block",
        "grad_norm": "gradient norm of the block's weights",
        "post": "Post-LN",
        "pre": "Pre-LN",
    },
    "zh": {
        "sample": "样本n",
        "channel": "通道c",
        "perturbed": "被扰动的元素",
        "shared": "随之改变的输出",
        "BatchNorm": "BatchNorm",
        "LayerNorm": "LayerNorm",
        "GroupNorm": "GroupNorm（2组）",
        "RMSNorm": "RMSNorm",
        "scale": "输入尺度c",
        "out_rms": "输出的均方根",
        "theory": "c / √(c² + ε)",
        "sqrt_eps": "c = √ε",
        "block": "残差块",
        "grad_norm": "该块权重的梯度范数",
        "post": "Post-LN",
        "pre": "Pre-LN",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Normalization groups on (N, C, H, W)
    g = res["groups"]
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 5.0), layout="constrained")
    for ax, name in zip(axes.flat, ["BatchNorm", "LayerNorm", "GroupNorm",
                                    "RMSNorm"]):
        grid = np.array(g["image"][name]["grid"])
        n_rows, n_cols = grid.shape
        for n in range(n_rows):
            for c in range(n_cols):
                ax.add_patch(Rectangle(
                    (c, n), 1, 1, facecolor="C0" if grid[n, c] else "none",
                    edgecolor="C0", alpha=0.8 if grid[n, c] else 1.0,
                    label=L["shared"] if (n, c) == (0, 0) else None))
        ax.plot([0.5], [0.5], marker="x", color="C1", markersize=10,
                linestyle="none", label=L["perturbed"])
        ax.set_xlim(0, n_cols)
        ax.set_ylim(n_rows, 0)
        ax.set_aspect("equal")
        ax.set_xticks(np.arange(n_cols) + 0.5, range(n_cols))
        ax.set_yticks(np.arange(n_rows) + 0.5, range(n_rows))
        ax.set_title(L[name])
        ax.set_xlabel(L["channel"])
        ax.set_ylabel(L["sample"])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    figs["groups"] = fig

    # Scale sweep: epsilon breaks scale invariance for tiny inputs
    s = res["invariance"]
    c = np.array(s["sweep"]["c"])
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    ax.plot(c, s["sweep"]["layernorm"], color="C0", marker="o", markersize=4,
            linestyle="none", label=L["LayerNorm"])
    ax.plot(c, s["sweep"]["rmsnorm"], color="C1", marker="x", markersize=4,
            linestyle="none", label=L["RMSNorm"])
    ax.plot(c, c / np.sqrt(c**2 + s["eps"]), color="C2", linestyle="--",
            label=L["theory"])
    ax.axvline(s["sqrt_eps"], color="C7", linestyle=":", label=L["sqrt_eps"])
    ax.set_xscale("log")
    ax.set_xlabel(L["scale"])
    ax.set_ylabel(L["out_rms"])
    ax.legend(loc="lower right")
    figs["eps_scale"] = fig

    # Gradient norm per block at initialization
    p = res["pre_post"]
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    for key, color, marker in [("post", "C0", "o"), ("pre", "C1", "s")]:
        grads = p[key]["grads"]
        ax.plot(range(1, len(grads) + 1), grads, color=color, marker=marker,
                label=L[key])
    ax.set_ylim(bottom=0)
    ax.set_xlabel(L["block"])
    ax.set_ylabel(L["grad_norm"])
    ax.legend()
    figs["grad_norms"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
