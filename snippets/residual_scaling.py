# %% [markdown]
# # Residual scaling and the output layer
#
# This is the notebook of the *Residual scaling and the output layer* page of
# *Why N(0, 1)?*.

# %% [markdown]
# ## Variance on the residual stream
#
# A stack of N residual MLP branches with GPT-2's N(0, 0.02²) weights, with and
# without LayerNorm in front of each branch, with c_proj drawn at 0.02 or at
# 0.02/√N: the mean square of the stream after every branch.

# %%
# --8<-- [start:stream]
import functools
import math

import torch
import torch.nn.functional as F


@functools.cache  # deterministic: a second call with the same settings is free
def stream_variance(
    depths: tuple[int, ...] = (6, 12, 24, 48),
    d: int = 768,
    tokens: int = 64,
    std: float = 0.02,
    weights: str = "normal",
    seed: int = 0,
) -> dict:
    """Mean square of the residual stream x after each branch.

    Branch l: x <- x + c_proj(GELU(c_fc(u))), u = LayerNorm(x) ("pre_ln") or
    u = x ("no_ln"); c_fc is d -> 4d, c_proj 4d -> d, no biases. Every weight
    has standard deviation `std`, except that a "scaled" stack of N branches
    draws c_proj with std / sqrt(N) (nanoGPT: N = 2 * n_layer). All stacks use
    the same random draws, so they differ only in the scaling.
    """
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(tokens, d, generator=g)  # the stream's input: N(0, 1)
    runs = {(ln, n): x0 for ln in ("pre_ln", "no_ln") for n in (0, *depths)}
    # n = 0: unscaled, max(depths) branches; n > 0: scaled, n branches
    ms = {key: [x0.pow(2).mean().item()] for key in runs}
    hidden_ms = {key: [] for key in runs}  # mean square of c_fc's output

    def draw(rows: int, cols: int) -> torch.Tensor:
        if weights == "normal":
            return torch.randn(rows, cols, generator=g)
        u = torch.rand(rows, cols, generator=g)  # same variance, not normal
        return (2 * u - 1) * math.sqrt(3)

    for layer in range(max(depths)):
        c_fc = std * draw(d, 4 * d)
        c_proj = std * draw(4 * d, d)
        for (ln, n), x in runs.items():
            if n and layer >= n:
                continue  # this stack has only n branches
            u = F.layer_norm(x, (d,)) if ln == "pre_ln" else x
            h = u @ c_fc
            scale = 1 / math.sqrt(n) if n else 1.0
            x = x + F.gelu(h) @ (scale * c_proj)
            runs[(ln, n)] = x
            ms[(ln, n)].append(x.pow(2).mean().item())
            hidden_ms[(ln, n)].append(h.pow(2).mean().item())
    out = {}
    for ln in ("pre_ln", "no_ln"):
        out[ln] = {("scaled_" + str(n) if n else "unscaled"): ms[(ln, n)]
                   for n in (0, *depths)}
        out[ln]["hidden_ms"] = hidden_ms[(ln, 0)]
    return out


if __name__ == "__main__":
    res = stream_variance()
    for ln in ("pre_ln", "no_ln"):
        un = res[ln]["unscaled"]
        print(f"{ln}: mean square of x_l, c_proj std 0.02, "
              f"l = 0, 6, 12, 24, 48: "
              + " ".join(f"{un[n]:.3f}" for n in (0, 6, 12, 24, 48)))
        print(f"{ln}: at the end of N branches, c_proj std 0.02/sqrt(N): "
              + " ".join(f"N={n}: {res[ln][f'scaled_{n}'][-1]:.3f}"
                         for n in (6, 12, 24, 48)))
# --8<-- [end:stream]

# %% [markdown]
# ## The loss at initialization
#
# With logits close to 0 the softmax is uniform and the cross-entropy is ln C.
# For Gaussian logits of standard deviation s, the expected initial loss, by
# Monte Carlo.

# %%
# --8<-- [start:initial_loss]
import math

import torch
import torch.nn.functional as F


def expected_initial_loss(
    stds: list[float], n_classes: int, n_samples: int = 20_000, seed: int = 0
) -> list[float]:
    """E[cross-entropy] for logits z ~ N(0, s^2 I) and a label independent of z.

    The same draws serve every s (common random numbers): a smooth curve.
    """
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n_samples, n_classes, generator=g, dtype=torch.float64)
    y = torch.randint(0, n_classes, (n_samples,), generator=g)
    return [F.cross_entropy(s * z, y).item() for s in stds]


if __name__ == "__main__":
    stds = [0.01, 0.3, 1.0, 3.0, 10.0, 30.0]
    for c in (10, 27):
        losses = expected_initial_loss(stds, c)
        print(f"C = {c}: ln C = {math.log(c):.3f}; logit std s -> E[loss]: "
              + ", ".join(f"{s:g}: {v:.3f}" for s, v in zip(stds, losses)))
# --8<-- [end:initial_loss]

# %% [markdown]
# ## Too-large output weights, on two tasks
#
# Two small classifiers on real data: the 8×8 digits (10 classes) and a
# character model of English text (27 characters: a–z and space). The output
# layer's weight and bias are multiplied by m at initialization.

# %%
# --8<-- [start:output_layer]
import functools
import math
import re
from pydoc_data.topics import topics  # Python's own help texts (stdlib)

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn


@functools.cache
def digits_data() -> tuple:
    """8x8 digits, stratified 75/25 split, standardized per pixel (train)."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = (torch.tensor(scaler.transform(a), dtype=torch.float32)
                  for a in (X_tr, X_te))
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


@functools.cache
def text_data(context: int = 3) -> tuple:
    """Next-character prediction on Python's help texts, lowercased, every
    run of non-letters turned into one space: 27 symbols. First 90% train."""
    text = " ".join(topics[k] for k in sorted(topics)).lower()
    text = re.sub(r"[^a-z]+", " ", text)
    ids = torch.tensor(list(text.encode("ascii"))) - 96  # a..z -> 1..26
    ids[ids < 0] = 0  # space -> 0
    X = torch.stack([ids[i : len(ids) - context + i]
                     for i in range(context)], dim=1)
    y = ids[context:]
    n_train = int(0.9 * len(y))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def make_net(task: str, hidden: int = 128) -> nn.Sequential:
    """PyTorch's default initialization everywhere; net[-1] is the head."""
    if task == "digits":
        return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(),
                             nn.Linear(hidden, 10))
    return nn.Sequential(nn.Embedding(27, 16), nn.Flatten(),  # 3 chars
                         nn.Linear(3 * 16, hidden), nn.ReLU(),
                         nn.Linear(hidden, 27))


@functools.cache  # deterministic: a second call with the same settings is free
def train(
    task: str, m: float, steps: int = 200, lr: float = 0.01,
    eval_every: int = 2, n_eval: int = 2_000, seed: int = 0,
) -> dict:
    """Adam on minibatches (128 digits / 256 characters); the head's weight
    and bias are multiplied by m first. Held-out loss every eval_every steps."""
    X_tr, y_tr, X_ev, y_ev = digits_data() if task == "digits" else text_data()
    X_ev, y_ev = X_ev[:n_eval], y_ev[:n_eval]
    batch = 128 if task == "digits" else 256
    torch.manual_seed(seed)
    net = make_net(task)
    with torch.no_grad():
        net[-1].weight.mul_(m)
        net[-1].bias.mul_(m)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    curve, logit_std = [], []
    for step in range(steps + 1):
        if step % eval_every == 0:
            with torch.no_grad():
                z = net(X_ev)
            curve.append(F.cross_entropy(z, y_ev).item())
            logit_std.append(z.std().item())
        if step == steps:
            break
        idx = torch.randint(0, len(y_tr), (batch,), generator=g)
        loss = F.cross_entropy(net(X_tr[idx]), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"steps": list(range(0, steps + 1, eval_every)), "loss": curve,
            "logit_std": logit_std,
            "accuracy": (z.argmax(1) == y_ev).float().mean().item()}


if __name__ == "__main__":
    for task, c in (("digits", 10), ("text", 27)):
        print(f"{task}: {c} classes, ln {c} = {math.log(c):.3f}")
        for m in (0.01, 1, 10, 30):
            r = train(task, m)
            print(f"  m = {m:5g}: held-out loss {r['loss'][0]:6.3f} at step 0, "
                  f"{r['loss'][-1]:.3f} after {r['steps'][-1]} steps; "
                  f"logit std {r['logit_std'][0]:.2f} -> "
                  f"{r['logit_std'][-1]:.2f}; accuracy {r['accuracy']:.3f}")
# --8<-- [end:output_layer]

# %% [markdown]
# ## The page's numbers and figures
#
# `results()` computes every number the page quotes; `figures()` draws the page's
# figures from them (the site's build renders them in its light and dark themes,
# in English and Chinese).

# %%
import inspect
import json

import matplotlib.pyplot as plt
import numpy as np
from scipy import integrate, special, stats

HEAD_MULTIPLIERS = [0.01, 1, 10, 30]  # trained
SWEEP_MULTIPLIERS = [0.01, 0.1, 0.3, 1, 3, 10, 30, 100]  # loss at step 0
SWEEP_NETS = 20  # networks (seeds) per multiplier in the sweep
CURVE_STDS = np.logspace(-3, 2.5, 56).tolist()
LIMIT_BRANCHES = 4096  # a stack deep enough to stand for N -> infinity
_HERMITE = np.polynomial.hermite_e.hermegauss(120)


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _gelu_second_moment(tau2: float) -> float:
    """E[GELU(h)^2] for h ~ N(0, tau2), GELU(h) = h * Phi(h): Gauss-Hermite."""
    t, w = _HERMITE  # nodes and weights for the weight function exp(-t^2 / 2)
    h = math.sqrt(tau2) * t
    return float(np.sum(w * (h * special.ndtr(h)) ** 2) / math.sqrt(2 * math.pi))


def _expected_max_normal(c: int) -> float:
    """E[max of c independent N(0, 1)] = integral of t c phi(t) Phi(t)^(c-1)."""
    def f(t: float) -> float:
        return t * c * stats.norm.pdf(t) * special.ndtr(t) ** (c - 1)

    return integrate.quad(f, -12, 12, limit=200)[0]


def _fit_line(y: list[float]) -> dict:
    """Least-squares line through (l, y_l), l = 0..len(y)-1."""
    x = np.arange(len(y))
    slope, intercept = np.polyfit(x, y, 1)
    resid = np.asarray(y) - (slope * x + intercept)
    return {"slope": float(slope), "intercept": float(intercept),
            "max_rel_resid": float(np.max(np.abs(resid) / np.asarray(y)))}


def _stream_results() -> dict:
    cfg = _defaults(stream_variance)
    d, std, depths = cfg["d"], cfg["std"], list(cfg["depths"])
    n_max = max(depths)
    res = stream_variance()
    pre, no = res["pre_ln"], res["no_ln"]
    x0 = pre["unscaled"][0]
    # Pre-LN: every branch sees LayerNorm(x), |u|^2 = d, so c_fc's output has
    # variance d * std^2 and each branch adds v = 4d std^2 E[GELU(h)^2]
    hidden_var = d * std**2
    v = 4 * d * std**2 * _gelu_second_moment(hidden_var)

    def no_ln_theory(n_branches: int, scale: float) -> list[float]:
        q = [x0]  # mean-field recurrence: c_fc's output has variance std^2 d q
        for _ in range(n_branches):
            q.append(q[-1] + scale**2 * 4 * d * std**2
                     * _gelu_second_moment(std**2 * d * q[-1]))
        return q

    un, no_un = pre["unscaled"], no["unscaled"]
    quarter = n_max // 4
    out = {
        **cfg, "depths": depths, "n_max": n_max, "x0": x0,
        "pre_ln": pre, "no_ln": no,
        "hidden_var_theory": hidden_var,
        "hidden_ms_pre_mean": float(np.mean(pre["hidden_ms"])),
        "hidden_ms_pre_range": [min(pre["hidden_ms"]), max(pre["hidden_ms"])],
        "hidden_ms_no_last": no["hidden_ms"][-1],
        "v_theory": v,
        "pre_fit": _fit_line(un),
        "pre_end": un[-1],
        "pre_end_theory": x0 + n_max * v,
        "pre_std_ratio": math.sqrt(un[-1] / x0),
        "quarter": quarter,
        # additive growth: equal increments; multiplicative: growing ones
        "pre_increment_ratio": (un[-1] - un[-1 - quarter]) / (un[quarter] - un[0]),
        "no_increment_ratio": (no_un[-1] - no_un[-1 - quarter])
        / (no_un[quarter] - no_un[0]),
        "no_end": no_un[-1],
        "no_first_ratio": no_un[1] / no_un[0],
        "no_last_ratio": no_un[-1] / no_un[-2],
        "no_theory": no_ln_theory(n_max, 1.0),
        "pre_scaled_end": {str(n): pre[f"scaled_{n}"][-1] for n in depths},
        "no_scaled_end": {str(n): no[f"scaled_{n}"][-1] for n in depths},
        "pre_scaled_end_theory": x0 + v,
        "no_scaled_theory": {str(n): no_ln_theory(n, 1 / math.sqrt(n))[-1]
                             for n in depths},
        "no_scaled_limit": no_ln_theory(
            LIMIT_BRANCHES, 1 / math.sqrt(LIMIT_BRANCHES))[-1],
        "limit_branches": LIMIT_BRANCHES,
        # the share of x_l's mean square that branch l itself added
        "branch_share": {
            "first_unscaled": (un[1] - un[0]) / un[1],
            "last_unscaled": (un[-1] - un[-2]) / un[-1],
            "first_scaled": (pre[f"scaled_{n_max}"][1] - x0)
            / pre[f"scaled_{n_max}"][1],
            "last_scaled": (pre[f"scaled_{n_max}"][-1] - pre[f"scaled_{n_max}"][-2])
            / pre[f"scaled_{n_max}"][-1],
        },
        "nanogpt": {"n_layer": 12, "c_proj_std": std / math.sqrt(2 * 12)},
    }
    out["no_theory_max_rel_error"] = max(
        abs(a - b) / b for a, b in zip(no_un, out["no_theory"]))
    for key in ("pre", "no"):
        ends = out[f"{key}_scaled_end"].values()
        out[f"{key}_scaled_range"] = [min(ends), max(ends)]
    n_uni = depths[1]
    uni = stream_variance(depths=(n_uni,), weights="uniform")
    out["uniform"] = {"n": n_uni}
    for ln in ("pre_ln", "no_ln"):
        out["uniform"][ln] = {
            "unscaled": uni[ln]["unscaled"][-1],
            "unscaled_normal": res[ln]["unscaled"][n_uni],
            "scaled": uni[ln][f"scaled_{n_uni}"][-1],
            "scaled_normal": res[ln][f"scaled_{n_uni}"][-1],
        }
    return out


def _initial_logits(task: str, m: float, seed: int) -> torch.Tensor:
    """Held-out logits of a freshly initialized network (as in train())."""
    X_ev = (digits_data() if task == "digits" else text_data())[2]
    X_ev = X_ev[: _defaults(train)["n_eval"]]
    torch.manual_seed(seed)
    net = make_net(task)
    with torch.no_grad():
        net[-1].weight.mul_(m)
        net[-1].bias.mul_(m)
        return net(X_ev)


def _initial_loss_results() -> dict:
    cfg = _defaults(expected_initial_loss)
    out = {**cfg, "stds": CURVE_STDS, "sweep_multipliers": SWEEP_MULTIPLIERS,
           "sweep_nets": SWEEP_NETS}
    for c, task in ((10, "digits"), (27, "text")):
        curve = expected_initial_loss(CURVE_STDS, c)
        m_c = _expected_max_normal(c)
        log_s = np.log(CURVE_STDS)

        def predict(s, log_s=log_s, curve=curve) -> np.ndarray:
            return np.interp(np.log(s), log_s, curve)  # E[loss] at logit std s

        y = (digits_data() if task == "digits" else text_data())[3]
        y = y[: _defaults(train)["n_eval"]]
        sweep = []
        for m in SWEEP_MULTIPLIERS:
            losses, pooled, per_example = [], [], []
            for seed in range(SWEEP_NETS):
                z = _initial_logits(task, m, seed)
                losses.append(F.cross_entropy(z, y).item())
                pooled.append(z.pow(2).mean().item())
                per_example.append(predict(z.std(1).numpy()).mean())
            s = math.sqrt(np.mean(pooled))  # RMS logit over nets and examples
            sweep.append({
                "m": m, "logit_std": s, "loss": float(np.mean(losses)),
                "loss_sd": float(np.std(losses)),
                "predicted": float(predict(s)),
                "predicted_per_example": float(np.mean(per_example)),
            })
        spread = _initial_logits(task, 1, 0).std(1)
        out[task] = {
            "n_classes": c,
            "ln_c": math.log(c),
            "curve": curve,
            "expected_max": m_c,
            "at_small": curve[0],
            "small_theory": math.log(c) + CURVE_STDS[0] ** 2 * (c - 1) / (2 * c),
            "at_1": float(predict(1.0)),
            "at_10": float(predict(10.0)),
            "at_large_over_slope": curve[-1] / (CURVE_STDS[-1] * m_c),
            "sweep": sweep,
            "pooled_max_rel_error": max(abs(p["loss"] - p["predicted"]) / p["loss"]
                                        for p in sweep),
            "per_example_max_rel_error": max(
                abs(p["loss"] - p["predicted_per_example"]) / p["loss"]
                for p in sweep),
            "spread_cv": (spread.std() / spread.mean()).item(),
        }
    return out


def _task_results(task: str, n_classes: int) -> dict:
    ln_c = math.log(n_classes)
    runs = {str(m): train(task, m) for m in HEAD_MULTIPLIERS}
    default = runs["1"]
    steps = default["steps"]

    def first_step(curve: list[float], level: float) -> int:
        return next((s for s, v in zip(steps, curve) if v <= level), steps[-1])

    summary = {}
    for m, r in runs.items():
        summary[m] = {
            "loss_0": r["loss"][0],
            "loss_end": r["loss"][-1],
            "logit_std_0": r["logit_std"][0],
            "logit_std_end": r["logit_std"][-1],
            "logit_std_min": min(r["logit_std"]),
            "accuracy": r["accuracy"],
            "steps_to_ln_c": first_step(r["loss"], ln_c),
            # the step at which the default head first did as well
            "default_equivalent_step": first_step(default["loss"], r["loss"][-1]),
        }
    return {"n_classes": n_classes, "ln_c": ln_c, "runs": runs,
            "summary": summary}


def _output_results() -> dict:
    X_tr, _, X_te, _ = digits_data()
    T_tr, _, T_ev, _ = text_data()
    return {
        **_defaults(train, make_net, text_data),
        "multipliers": HEAD_MULTIPLIERS,
        "digits": _task_results("digits", 10),
        "text": _task_results("text", 27),
        "digits_sizes": [len(X_tr), len(X_te)],
        "text_sizes": [len(T_tr), len(T_ev)],
    }


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "stream": _stream_results(),
        "initial": _initial_loss_results(),
        "output": _output_results(),
    }


LABELS = {
    "en": {
        "pre_ln": "Pre-LN branches",
        "no_ln": "branches without LayerNorm",
        "branch": "branch index l",
        "mean_square": "mean square of the stream",
        "mean_square_log": "mean square of the stream (log)",
        "unscaled": "c_proj std 0.02",
        "scaled": "0.02/√N, N = {n}",
        "theory": "theory",
        "logit_std": "logit standard deviation s (log scale)",
        "expected_loss": "expected initial loss",
        "curve": "Gaussian logits, C = {c}",
        "bound": "s·E[max of {c}]",
        "ln_c": "ln {c}",
        "measured": "{task}, m = 0.01 … 100",
        "digits": "digits",
        "text": "characters",
        "step": "training step",
        "heldout": "held-out loss (log scale)",
        "head": "head × {m}",
    },
    "zh": {
        "pre_ln": "Pre-LN分支",
        "no_ln": "不带LayerNorm的分支",
        "branch": "分支序号l",
        "mean_square": "残差流的均方值",
        "mean_square_log": "残差流的均方值（对数坐标）",
        "unscaled": "c_proj标准差0.02",
        "scaled": "0.02/√N，N = {n}",
        "theory": "理论值",
        "logit_std": "logit标准差s（对数坐标）",
        "expected_loss": "初始损失的期望",
        "curve": "高斯logit，C = {c}",
        "bound": "s·E[{c}个中的最大值]",
        "ln_c": "ln {c}",
        "measured": "{task}，m = 0.01 … 100",
        "digits": "手写数字",
        "text": "字符",
        "step": "训练步数",
        "heldout": "留出集损失（对数坐标）",
        "head": "输出层×{m}",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Residual stream: mean square after each branch
    s = res["stream"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    for ax, key in zip(axes, ["pre_ln", "no_ln"]):
        un = s[key]["unscaled"]
        ax.plot(range(len(un)), un, color="C0", label=L["unscaled"])
        for i, n in enumerate(s["depths"]):
            curve = s[key][f"scaled_{n}"]
            ax.plot(range(len(curve)), curve, color=f"C{i + 1}",
                    marker="o", markevery=[len(curve) - 1], markersize=5,
                    label=L["scaled"].format(n=n))
        if key == "pre_ln":
            ls = np.arange(len(un))
            ax.plot(ls, s["x0"] + ls * s["v_theory"], color="C7",
                    linestyle="--", label=L["theory"])
            ax.set_ylim(bottom=0)
            ax.set_ylabel(L["mean_square"])
        else:
            ax.plot(range(len(s["no_theory"])), s["no_theory"], color="C7",
                    linestyle="--")
            ax.set_yscale("log")
            ax.set_ylabel(L["mean_square_log"])
        ax.set_title(L[key])
        ax.set_xlabel(L["branch"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["stream"] = fig

    # Expected initial loss against the logits' standard deviation
    r = res["initial"]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    stds = np.array(r["stds"])
    for i, (task, marker) in enumerate([("digits", "o"), ("text", "s")]):
        e = r[task]
        c = e["n_classes"]
        ax.plot(stds, e["curve"], color=f"C{i}", label=L["curve"].format(c=c))
        ax.plot(stds, stds * e["expected_max"], color=f"C{i}", linestyle="--",
                label=L["bound"].format(c=c))
        ax.axhline(e["ln_c"], color=f"C{i}", linestyle=":",
                   label=L["ln_c"].format(c=c))
        ax.plot([p["logit_std"] for p in e["sweep"]],
                [p["loss"] for p in e["sweep"]], color=f"C{i}", marker=marker,
                linestyle="none", markerfacecolor="none",
                label=L["measured"].format(task=L[task]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1, None)
    ax.set_xlabel(L["logit_std"])
    ax.set_ylabel(L["expected_loss"])
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    figs["initial_loss"] = fig

    # Training: held-out loss over the first steps for each head multiplier
    o = res["output"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    for ax, task in zip(axes, ["digits", "text"]):
        t = o[task]
        for i, m in enumerate(o["multipliers"]):
            run = t["runs"][str(m)]
            ax.plot(run["steps"], run["loss"], color=f"C{i}",
                    label=L["head"].format(m=f"{m:g}"))
        ax.axhline(t["ln_c"], color="C7", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        ticks = [v for v in (0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20) if lo <= v <= hi]
        ax.set_yticks(ticks, [f"{v:g}" for v in ticks])
        ax.set_yticks([], minor=True)
        ax.set_title(L[task])
        ax.set_xlabel(L["step"])
    axes[0].set_ylabel(L["heldout"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4)
    figs["training"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
