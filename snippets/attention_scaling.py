# %% [markdown]
# # Attention scaling
#
# This is the notebook of the *Attention scaling* page of *Why N(0, 1)?*.

# %% [markdown]
# ## The variance of a dot product
#
# For independent unit-variance entries Var(q·k) = d_k; dividing by sqrt(d_k): 1.

# %%
# --8<-- [start:dot_variance]
import math

import torch


def dot_product_variance(
    d_ks: tuple[int, ...] = (4, 16, 64, 256, 1024),
    n_pairs: int = 10_000,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Var(q.k) and Var(q.k / sqrt(d_k)) for q, k with i.i.d. N(0, 1) entries."""
    g = torch.Generator().manual_seed(seed)
    raw, scaled = [], []
    for d in d_ks:
        q = torch.randn(n_pairs, d, generator=g)
        k = torch.randn(n_pairs, d, generator=g)
        dots = (q * k).sum(dim=1)
        raw.append(dots.var().item())
        scaled.append((dots / math.sqrt(d)).var().item())
    return {"d_k": list(d_ks), "var_raw": raw, "var_scaled": scaled}


if __name__ == "__main__":
    out = dot_product_variance()
    for d, v, s in zip(out["d_k"], out["var_raw"], out["var_scaled"]):
        print(f"d_k={d:5d}  Var(q.k)={v:8.1f}  Var(q.k/sqrt(d_k))={s:.3f}")
# --8<-- [end:dot_variance]

# %% [markdown]
# ## Softmax saturation
#
# Without the scale the logits' std grows like sqrt(d_k): softmax becomes one-hot
# and its Jacobian vanishes.

# %%
# --8<-- [start:saturation]
import math

import torch


def softmax_stats(
    d_k: int, scaled: bool, n_keys: int = 64, n_queries: int = 300, seed: int = 0
) -> dict[str, float]:
    """Mean max probability, entropy, Jacobian spectral norm of softmax(q K^T)."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, d_k, generator=g, dtype=torch.float64)
    k = torch.randn(n_keys, d_k, generator=g, dtype=torch.float64)
    logits = q @ k.T / (math.sqrt(d_k) if scaled else 1.0)
    p = torch.softmax(logits, dim=-1)
    entropy = -(p * torch.log(p.clamp_min(1e-300))).sum(-1)
    # Jacobian of softmax: diag(p) - p p^T (symmetric, positive semi-definite)
    jac = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    spectral = torch.linalg.eigvalsh(jac)[:, -1]
    return {
        "logit_std": logits.std().item(),
        "max_prob": p.max(-1).values.mean().item(),
        "entropy": entropy.mean().item(),
        "jacobian_norm": spectral.mean().item(),
    }


if __name__ == "__main__":
    print(f"uniform attention over 64 keys: entropy ln 64 = {math.log(64):.2f}")
    for d in (4, 64, 1024):
        for scaled in (False, True):
            s = softmax_stats(d, scaled)
            print(
                f"d_k={d:4d} {'scaled  ' if scaled else 'unscaled'} "
                f"max p={s['max_prob']:.3f} entropy={s['entropy']:.3f} "
                f"||J||={s['jacobian_norm']:.4f}"
            )
# --8<-- [end:saturation]

# %% [markdown]
# ## PyTorch's default scale
#
# `scaled_dot_product_attention` divides by sqrt(d_k) unless `scale=` says so.

# %%
# --8<-- [start:sdpa]
import math

import torch
import torch.nn.functional as F


def compare_sdpa(
    batch: int = 2, heads: int = 4, seq: int = 32, d_k: int = 64, seed: int = 0
) -> dict[str, float]:
    """Max |difference| between F.scaled_dot_product_attention and manual code."""
    g = torch.Generator().manual_seed(seed)
    Q, K, V = (
        torch.randn(batch, heads, seq, d_k, generator=g, dtype=torch.float64)
        for _ in range(3)
    )

    def manual(scale: float) -> torch.Tensor:
        return torch.softmax(Q @ K.transpose(-2, -1) * scale, dim=-1) @ V

    default = F.scaled_dot_product_attention(Q, K, V)
    unit = F.scaled_dot_product_attention(Q, K, V, scale=1.0)
    return {
        "default_vs_manual_scaled": (default - manual(1 / math.sqrt(d_k)))
        .abs().max().item(),
        "scale1_vs_manual_unscaled": (unit - manual(1.0)).abs().max().item(),
        "default_vs_manual_unscaled": (default - manual(1.0)).abs().max().item(),
    }


if __name__ == "__main__":
    for name, diff in compare_sdpa().items():
        print(f"{name:28s} max |diff| = {diff:.2e}")
# --8<-- [end:sdpa]

# %% [markdown]
# ## When the entries are not independent
#
# Standardized features of real data are correlated, so Var(q·k) exceeds d_k.

# %%
# --8<-- [start:assumption]
import math

import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split


def real_data_dot_variance(n_pairs: int = 20_000, seed: int = 0) -> dict:
    """Var(q . k) / d_k for pairs of standardized wine samples (training split)."""
    X, y = load_wine(return_X_y=True)
    X_tr, _, _, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    Z = (X_tr - X_tr.mean(0)) / X_tr.std(0)  # each feature: mean 0, variance 1
    d = Z.shape[1]
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(Z), n_pairs)
    j = rng.integers(0, len(Z), n_pairs)
    keep = i != j  # q and k: two different samples
    dots = (Z[i[keep]] * Z[j[keep]]).sum(1)
    corr = np.corrcoef(Z, rowvar=False)
    return {
        "d_k": d,
        "var_over_d": float(dots.var() / d),
        "sum_sq_corr_over_d": float((corr**2).sum() / d),  # tr(C^2) / d
        "scaled_logit_std": float(dots.std() / math.sqrt(d)),
    }


if __name__ == "__main__":
    r = real_data_dot_variance()
    print(f"wine, d_k = {r['d_k']}: Var(q.k)/d_k = {r['var_over_d']:.2f}"
          f" (i.i.d. theory 1, correlation theory {r['sum_sq_corr_over_d']:.2f})")
# --8<-- [end:assumption]

# %% [markdown]
# ## The page's numbers and figures
#
# `results()` computes every number the page quotes; `figures()` draws the page's
# figures from them (the site's build renders them in light and dark themes, in
# English and Chinese).

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import torch

SWEEP = [4, 16, 64, 256, 1024]
MAP_QUERIES = 16
MAP_D_K = 1024


def _defaults(*functions) -> dict:
    """The default arguments of the experiments: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _saturation_results() -> dict:
    out = {"d_k": SWEEP, "ln_n_keys": math.log(_defaults(softmax_stats)["n_keys"])}
    for scaled, key in [(False, "unscaled"), (True, "scaled")]:
        stats = [softmax_stats(d, scaled) for d in SWEEP]
        out[key] = {name: [s[name] for s in stats] for name in stats[0]}
    return out | _defaults(softmax_stats)


def _maps() -> dict:
    g = torch.Generator().manual_seed(1)
    n_keys = _defaults(softmax_stats)["n_keys"] // 2
    q = torch.randn(MAP_QUERIES, MAP_D_K, generator=g, dtype=torch.float64)
    k = torch.randn(n_keys, MAP_D_K, generator=g, dtype=torch.float64)
    logits = q @ k.T
    return {
        "d_k": MAP_D_K,
        "n_queries": MAP_QUERIES,
        "n_keys": n_keys,
        "unscaled": torch.softmax(logits, -1).tolist(),
        "scaled": torch.softmax(logits / math.sqrt(MAP_D_K), -1).tolist(),
    }


def results() -> dict:
    dot = dot_product_variance()
    return {
        "dot": dot | _defaults(dot_product_variance) | {"d_k": dot["d_k"]},
        "saturation": _saturation_results(),
        "maps": _maps(),
        "sdpa": compare_sdpa() | _defaults(compare_sdpa),
        "wine": real_data_dot_variance() | {"n_pairs": 20_000},
    }


LABELS = {
    "en": {
        "d_k": "d_k (log scale)",
        "variance": "variance (log scale)",
        "theory": "theory: d_k",
        "raw": "q·k",
        "scaled": "q·k / √d_k",
        "unscaled_label": "no scaling",
        "scaled_label": "divided by √d_k",
        "max_prob": "mean max probability",
        "jacobian": "softmax Jacobian norm",
        "key": "key",
        "query": "query",
    },
    "zh": {
        "d_k": "d_k（对数坐标）",
        "variance": "方差（对数坐标）",
        "theory": "理论值：d_k",
        "raw": "q·k",
        "scaled": "q·k / √d_k",
        "unscaled_label": "不缩放",
        "scaled_label": "除以√d_k",
        "max_prob": "平均最大概率",
        "jacobian": "softmax雅可比范数",
        "key": "键",
        "query": "查询",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    d = res["dot"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    ax.plot(d["d_k"], d["var_raw"], "o-", color="C1", label=L["raw"])
    ax.plot(d["d_k"], d["var_scaled"], "s-", color="C0", label=L["scaled"])
    ax.plot(d["d_k"], d["d_k"], color="C2", linestyle="--", label=L["theory"])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xticks(d["d_k"], [str(v) for v in d["d_k"]])
    ax.set_yticks([1, *d["d_k"]], [str(v) for v in [1, *d["d_k"]]])
    ax.set_xlabel(L["d_k"])
    ax.set_ylabel(L["variance"])
    ax.legend()
    figs["variance"] = fig

    s = res["saturation"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2), layout="constrained")
    for key, color, marker in [("unscaled", "C1", "o"), ("scaled", "C0", "s")]:
        label = L[f"{key}_label"]
        axes[0].plot(s["d_k"], s[key]["max_prob"], marker=marker, color=color,
                     label=label)
        axes[1].plot(s["d_k"], s[key]["jacobian_norm"], marker=marker,
                     color=color)
    for ax, ylabel in zip(axes, [L["max_prob"], L["jacobian"]]):
        ax.set_xscale("log", base=2)
        ax.set_xticks(s["d_k"], [str(v) for v in s["d_k"]])
        ax.set_xlabel(L["d_k"])
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
    axes[0].set_ylim(0, 1.02)
    fig.legend(loc="outside lower center", ncol=2)
    figs["saturation"] = fig

    m = res["maps"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 2.6), layout="constrained")
    for ax, key in zip(axes, ["unscaled", "scaled"]):
        ax.imshow(m[key], vmin=0, vmax=1, aspect="auto")
        ax.set_title(L[f"{key}_label"])
        ax.grid(False)
        ax.set_xlabel(L["key"])
    axes[0].set_ylabel(L["query"])
    figs["attention_maps"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
