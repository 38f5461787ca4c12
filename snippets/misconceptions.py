# %% [markdown]
# # Misconceptions
#
# This is the notebook of the *Misconceptions* page of *Why N(0, 1)?*: eight
# popular claims about the standard normal distribution in deep learning, each with
# one short check.

# %% [markdown]
# ## `torch.randn` as initialization
#
# N(0, 1) weights multiply the scale by the square root of the fan-in at every
# layer.

# %%
# --8<-- [start:randn_init]
import torch


def randn_stack(
    n_layers: int = 5, width: int = 784, batch: int = 200, seed: int = 0
) -> dict:
    """Std of x @ W1 @ W2 ... (no activation) for W = randn(width, width), raw
    and divided by sqrt(width); and tanh saturation of the seed's layer."""
    torch.manual_seed(seed)
    x = torch.randn(batch, width)  # unit-variance inputs
    out = {}
    for name, scale in [("randn", 1.0), ("scaled", width**-0.5)]:
        h, stds = x, []
        for _ in range(n_layers):
            h = h @ (torch.randn(width, width) * scale)
            stds.append(h.std().item())
        out[name] = stds
    W = torch.randn(784, 256)  # the tutorial's layer
    out["tanh_saturated"] = (torch.tanh(x @ W).abs() > 0.99).float().mean().item()
    return out


if __name__ == "__main__":
    r = randn_stack()
    for layer, (a, b) in enumerate(zip(r["randn"], r["scaled"]), 1):
        print(f"layer {layer}: std {a:10.4g} with randn "
              f"(28**{layer} = {28**layer:.4g}), {b:.3f} with randn / 28")
    print(f"tanh(x @ randn(784, 256)): {r['tanh_saturated']:.1%} of units "
          "have |output| > 0.99")
# --8<-- [end:randn_init]

# %% [markdown]
# ## "BatchNorm makes activations standard normal"
#
# ReLU outputs through BatchNorm: mean 0 and variance 1, the shape untouched.

# %%
# --8<-- [start:bn_standard_normal]
import torch
from torch import nn


def skewness(v: torch.Tensor) -> float:
    z = (v - v.mean()) / v.std(unbiased=False)
    return (z**3).mean().item()


def relu_through_bn(n: int = 10000, units: int = 8, seed: int = 0) -> dict:
    """ReLU outputs (half of them exactly 0) through BatchNorm, training mode."""
    torch.manual_seed(seed)
    h = torch.relu(torch.randn(n, units, dtype=torch.float64))
    y = nn.BatchNorm1d(units, dtype=torch.float64)(h).detach()
    return {
        "max_abs_mean": y.mean(0).abs().max().item(),
        "mean_std": y.std(0, unbiased=False).mean().item(),
        "skew_in": skewness(h[:, 0]),
        "skew_out": skewness(y[:, 0]),
        "share_at_min_in": (h[:, 0] == h[:, 0].min()).double().mean().item(),
        "share_at_min_out": (y[:, 0] == y[:, 0].min()).double().mean().item(),
    }


if __name__ == "__main__":
    r = relu_through_bn()
    print(f"after BatchNorm: |mean| <= {r['max_abs_mean']:.1e}, "
          f"std {r['mean_std']:.4f}")
    print(f"skewness {r['skew_in']:.3f} before, {r['skew_out']:.3f} after "
          "(N(0, 1): 0)")
    print(f"share of values equal to the minimum: {r['share_at_min_in']:.1%} "
          f"before, {r['share_at_min_out']:.1%} after")
# --8<-- [end:bn_standard_normal]

# %% [markdown]
# ## "BatchNorm works by removing internal covariate shift"
#
# Add a random shift and scale after every BatchNorm at every step: the inputs of
# the layers move far more than without BatchNorm, and the network still trains.

# %%
# --8<-- [start:covariate_shift]
import torch
from sklearn.datasets import load_digits
from torch import nn


def train_sigmoid_net(
    norm: str, depth: int = 6, width: int = 32, steps: int = 50,
    lr: float = 0.5, n: int = 500, seed: int = 0,
) -> dict:
    """Full-batch SGD on n digits; norm is 'none', 'bn' or 'noisy_bn' (after
    every BatchNorm, a fresh random scale in [1/2, 2] and shift ~ N(0, 1) per
    unit at every step). Returns the training accuracy and the mean step-to-step
    change of the batch mean of the last sigmoid's input, per unit."""
    X, y = load_digits(return_X_y=True)
    X = torch.tensor((X[:n] - X[:n].mean()) / X[:n].std(), dtype=torch.float32)
    y = torch.tensor(y[:n])
    torch.manual_seed(seed)
    blocks = nn.ModuleList(
        nn.Sequential(nn.Linear(64 if i == 0 else width, width),
                      nn.BatchNorm1d(width) if norm != "none" else nn.Identity())
        for i in range(depth)
    )
    head = nn.Linear(width, 10)
    opt = torch.optim.SGD([*blocks.parameters(), *head.parameters()], lr=lr,
                          momentum=0.9)
    shifts, last = [], None
    for _ in range(steps):
        h = X
        for block in blocks:
            z = block(h)
            if norm == "noisy_bn":
                z = z * torch.empty(width).uniform_(0.5, 2) + torch.randn(width)
            h = torch.sigmoid(z)
        if last is not None:
            shifts.append((z.detach().mean(0) - last).abs().mean().item())
        last = z.detach().mean(0)
        opt.zero_grad()
        nn.functional.cross_entropy(head(h), y).backward()
        opt.step()
    blocks.eval()  # running statistics, no noise
    with torch.no_grad():
        h = X
        for block in blocks:
            h = torch.sigmoid(block(h))
        acc = (head(h).argmax(1) == y).float().mean().item()
    return {"train_acc": acc, "shift_per_step": sum(shifts) / len(shifts)}


if __name__ == "__main__":
    for norm in ["none", "bn", "noisy_bn"]:
        r = train_sigmoid_net(norm)
        print(f"{norm:8s}: training accuracy {r['train_acc']:.1%}, input of the "
              f"last sigmoid moves {r['shift_per_step']:.3f} per step")
# --8<-- [end:covariate_shift]

# %% [markdown]
# ## "Networks need Gaussian features"
#
# Standardized digits are far from Gaussian; a small network learns them anyway,
# and a quantile transform to a Gaussian shape does not help.

# %%
# --8<-- [start:gaussian_features]
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from torch import nn


def mlp_accuracy(A_tr, y_tr, A_te, y_te, steps: int = 150, seed: int = 0):
    """A 64 -> 32 (ReLU) -> 10 MLP, full-batch Adam; accuracy on the test split."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    a, b = (torch.tensor(v, dtype=torch.float32) for v in (A_tr, A_te))
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(net(a), torch.tensor(y_tr)).backward()
        opt.step()
    return (net(b).argmax(1).numpy() == y_te).mean().item()


def gaussian_features() -> dict:
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    std = StandardScaler().fit(X_tr)
    qt = QuantileTransformer(output_distribution="normal", n_quantiles=500,
                             random_state=0).fit(X_tr)
    S = std.transform(X_tr)
    skew = (S[:, S.std(0) > 0] ** 3).mean(0)  # columns have mean 0, std 1
    return {
        "median_abs_skew": np.median(np.abs(skew)).item(),
        "share_at_min": (S == S.min(0)).mean().item(),
        "acc_standardized": mlp_accuracy(S, y_tr, std.transform(X_te), y_te),
        "acc_quantile": mlp_accuracy(qt.transform(X_tr), y_tr,
                                      qt.transform(X_te), y_te),
    }


if __name__ == "__main__":
    r = gaussian_features()
    print(f"standardized pixels: median |skewness| {r['median_abs_skew']:.2f}, "
          f"{r['share_at_min']:.1%} of values at their pixel's minimum")
    print(f"test accuracy: standardized {r['acc_standardized']:.1%}, "
          f"quantile -> normal {r['acc_quantile']:.1%}")
# --8<-- [end:gaussian_features]

# %% [markdown]
# ## "Maximum likelihood assumes normality"
#
# Each likelihood gives its own loss; the Gaussian gives MSE, the Laplace L1.

# %%
# --8<-- [start:mle_normality]
import math

import torch
from torch import distributions as D
from torch.nn import functional as F


def likelihoods_to_losses(n: int = 1000, seed: int = 0) -> dict:
    """Max |NLL - loss| for four likelihoods, and the constant each one fits."""
    torch.manual_seed(seed)
    f64 = torch.float64
    pred, y = torch.randn(n, dtype=f64), torch.randn(n, dtype=f64)
    logit, label = torch.randn(n, dtype=f64), torch.randint(0, 2, (n,)).to(f64)
    logits, cls = torch.randn(n, 10, dtype=f64), torch.randint(0, 10, (n,))
    gaps = {  # per-sample negative log-likelihood minus the familiar loss
        "normal_mse": -D.Normal(pred, 1.0).log_prob(y)
        - (0.5 * (pred - y) ** 2 + 0.5 * math.log(2 * math.pi)),
        "laplace_l1": -D.Laplace(pred, 1.0).log_prob(y)
        - ((pred - y).abs() + math.log(2)),
        "bernoulli_bce": -D.Bernoulli(logits=logit).log_prob(label)
        - F.binary_cross_entropy_with_logits(logit, label, reduction="none"),
        "categorical_ce": -D.Categorical(logits=logits).log_prob(cls)
        - F.cross_entropy(logits, cls, reduction="none"),
    }
    out = {k: v.abs().max().item() for k, v in gaps.items()}
    sample = torch.empty(2001, dtype=torch.float64).exponential_()  # skewed
    c = torch.linspace(0, 3, 3001, dtype=torch.float64)  # candidate constants
    out["fit_normal"] = c[((sample - c[:, None]) ** 2).mean(1).argmin()].item()
    out["fit_laplace"] = c[(sample - c[:, None]).abs().mean(1).argmin()].item()
    out["sample_mean"] = sample.mean().item()
    out["sample_median"] = sample.median().item()
    return out


if __name__ == "__main__":
    r = likelihoods_to_losses()
    for k in ["normal_mse", "laplace_l1", "bernoulli_bce", "categorical_ce"]:
        print(f"{k:15s} max |NLL - loss| = {r[k]:.1e}")
    print(f"best constant on exponential data: Gaussian NLL {r['fit_normal']:.3f} "
          f"(mean {r['sample_mean']:.3f}), Laplace NLL {r['fit_laplace']:.3f} "
          f"(median {r['sample_median']:.3f})")
# --8<-- [end:mle_normality]

# %% [markdown]
# ## The sweet-spot table
#
# Slopes at the edges of the seed's windows, and what N(0, 1) inputs get on average.

# %%
# --8<-- [start:sweet_spot_table]
import math

import torch


def sweet_spots() -> dict:
    """Peak slope, slope at the seed's window edge over the peak, share of
    N(0, 1) inside the window and mean slope E[f'(z)] for z ~ N(0, 1)."""
    x = torch.linspace(-12, 12, 240001, dtype=torch.float64)
    pdf = torch.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    s = torch.sigmoid(x)
    slope = {"sigmoid": s * (1 - s), "tanh": 1 - torch.tanh(x) ** 2,
             "relu": (x > 0).double()}
    window = {"sigmoid": (-2, 2), "tanh": (-1, 1), "relu": (0, math.inf)}
    dx = (x[1] - x[0]).item()
    out = {}
    for name, d in slope.items():
        lo, hi = window[name]
        inside = (x > lo) & (x < hi)
        edge = d[inside][0]  # the slope just inside the window's left edge
        out[name] = {
            "peak": d.max().item(),
            "edge_over_peak": (edge / d.max()).item(),
            "share_inside": (pdf * inside).sum().item() * dx,
            "mean_slope": (pdf * d).sum().item() * dx,
        }
    return out


if __name__ == "__main__":
    for name, r in sweet_spots().items():
        print(f"{name:7s}: peak slope {r['peak']:.3f}, slope at the window edge "
              f"{r['edge_over_peak']:.0%} of the peak, N(0, 1) inside "
              f"{r['share_inside']:.1%}, mean slope {r['mean_slope']:.3f}")
# --8<-- [end:sweet_spot_table]

# %% [markdown]
# ## "PyTorch's `nn.Linear` uses Kaiming initialization"
#
# It calls `kaiming_uniform_`, but with a = √5: a third of LeCun's variance, a
# sixth of He's.

# %%
# --8<-- [start:linear_kaiming]
import math

import torch
from torch import nn


def linear_default(
    fan_in: int = 784, fan_out: int = 256, depth: int = 10, width: int = 256,
    batch: int = 1000, seed: int = 0,
) -> dict:
    """nn.Linear's default weights, and the pre-activation std per layer of a
    ReLU stack (no biases) with the default or with Kaiming (He) weights."""
    torch.manual_seed(seed)
    w = nn.Linear(fan_in, fan_out).weight.detach()
    out = {"std": w.std().item(), "max_abs": w.abs().max().item(),
           "std_formula": 1 / math.sqrt(3 * fan_in),
           "kaiming_std": math.sqrt(2 / fan_in)}
    with torch.no_grad():
        for name in ["default", "kaiming"]:
            h, stds = torch.randn(batch, width), []
            for _ in range(depth):
                layer = nn.Linear(width, width, bias=False)
                if name == "kaiming":
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                z = layer(h)
                stds.append(z.std().item())
                h = torch.relu(z)
            out[name] = stds
    return out


if __name__ == "__main__":
    r = linear_default()
    print(f"nn.Linear(784, 256).weight: std {r['std']:.4f} "
          f"(1/sqrt(3*784) = {r['std_formula']:.4f}; Kaiming sqrt(2/784) = "
          f"{r['kaiming_std']:.4f}), max |w| {r['max_abs']:.4f} "
          f"(1/28 = {1 / 28:.4f})")
    for name in ["default", "kaiming"]:
        print(f"{name:7s} pre-activation std, layers 1..10: "
              + " ".join(f"{v:.2g}" for v in r[name]))
# --8<-- [end:linear_kaiming]

# %% [markdown]
# ## "The central limit theorem explains it"
#
# Over random weights a pre-activation is a sum of many independent terms, so it is
# close to Gaussian even with uniform weights; a real input feature is not.

# %%
# --8<-- [start:clt]
import torch
from sklearn.datasets import load_breast_cancer, load_digits


def excess_kurtosis(v: torch.Tensor) -> float:
    z = (v - v.mean()) / v.std(unbiased=False)
    return (z**4).mean().item() - 3


def clt_check(draws: int = 100000, seed: int = 0) -> dict:
    """Excess kurtosis (0 for a Gaussian) of one uniform weight, of w . x over
    uniform weight draws for one fixed digit image x, and of a real feature."""
    torch.manual_seed(seed)
    X = torch.tensor(load_digits().data, dtype=torch.float64)
    x = (X[0] - X.mean()) / X.std()  # one image, one scale for all pixels
    w = torch.empty(draws, 64, dtype=torch.float64).uniform_(-1, 1)
    area_error = torch.tensor(load_breast_cancer().data[:, 13])
    return {
        "one_weight": excess_kurtosis(w[:, 0]),
        "preact": excess_kurtosis(w @ x),  # 64 terms w_j x_j
        "preact_theory": (-1.2 * (x**4).sum() / (x**2).sum() ** 2).item(),
        "feature": excess_kurtosis(area_error),
    }


if __name__ == "__main__":
    r = clt_check()
    print(f"excess kurtosis: one uniform weight {r['one_weight']:.3f} (-1.2), "
          f"pre-activation {r['preact']:.3f} (theory {r['preact_theory']:.3f}), "
          f"breast-cancer 'area error' {r['feature']:.1f}")
# --8<-- [end:clt]

# %% [markdown]
# ## The page's numbers and figures
#
# `results()` computes every number the page quotes; `figures()` draws the page's
# figures from them (the site's build renders them in its light and dark themes, in
# English and Chinese).

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt


def _defaults(*functions) -> dict:
    """The default arguments of the experiments: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _randn_results() -> dict:
    r = randn_stack()
    n = len(r["randn"])
    return {
        **_defaults(randn_stack),
        **r,
        "sqrt_width": _defaults(randn_stack)["width"] ** 0.5,
        "first_std": r["randn"][0],
        "last_std": r["randn"][-1],
        "factor_per_layer": (r["randn"][-1] / r["randn"][0]) ** (1 / (n - 1)),
        "scaled_last_std": r["scaled"][-1],
    }


def _covariate_shift_results() -> dict:
    out = {**_defaults(train_sigmoid_net)}
    for norm in ["none", "bn", "noisy_bn"]:
        out[norm] = train_sigmoid_net(norm)
    out["shift_ratio"] = (out["noisy_bn"]["shift_per_step"]
                          / out["bn"]["shift_per_step"])
    return out


def _linear_results() -> dict:
    r = linear_default()
    d = r["default"]
    return {
        **_defaults(linear_default),
        **r,
        "var_over_kaiming": (r["std"] / r["kaiming_std"]) ** 2,
        "kaiming_min": min(r["kaiming"]),
        "kaiming_max": max(r["kaiming"]),
        "factor_per_layer": (d[-1] / d[0]) ** (1 / (len(d) - 1)),
    }


def _bn_results() -> dict:
    r = relu_through_bn()
    # a power of ten above float64 rounding, so the page's number is stable
    bound = 10.0 ** math.ceil(math.log10(r["max_abs_mean"]))
    return {**_defaults(relu_through_bn), **r, "max_abs_mean_bound": bound}


def _mle_results() -> dict:
    r = likelihoods_to_losses()
    gaps = ["normal_mse", "laplace_l1", "bernoulli_bce", "categorical_ce"]
    return {**_defaults(likelihoods_to_losses), **r,
            "max_gap": max(r[k] for k in gaps)}


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    return {
        "randn_init": _randn_results(),
        "bn_standard_normal": _bn_results(),
        "covariate_shift": _covariate_shift_results(),
        "gaussian_features": gaussian_features(),
        "mle_normality": _mle_results(),
        "sweet_spot_table": sweet_spots(),
        "linear_kaiming": _linear_results(),
        "clt": {**_defaults(clt_check), **clt_check()},
    }


LABELS = {
    "en": {
        "layer": "layer",
        "std": "standard deviation (log scale)",
        "randn_title": "linear stack, width 784",
        "relu_title": "ReLU stack, width 256",
        "randn": "W = randn",
        "scaled": "W = randn / √784",
        "default": "nn.Linear default",
        "kaiming": "Kaiming (He)",
    },
    "zh": {
        "layer": "层",
        "std": "标准差（对数坐标）",
        "randn_title": "线性堆叠，宽度784",
        "relu_title": "ReLU堆叠，宽度256",
        "randn": "W = randn",
        "scaled": "W = randn / √784",
        "default": "nn.Linear默认初始化",
        "kaiming": "Kaiming（He）",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Scale per layer: randn weights blow up, nn.Linear's default shrinks
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2), layout="constrained")
    panels = [(res["randn_init"], ["randn", "scaled"], "randn_title"),
              (res["linear_kaiming"], ["default", "kaiming"], "relu_title")]
    for ax, (r, keys, title) in zip(axes, panels):
        for key, color, marker in zip(keys, ["C0", "C1"], ["o", "s"]):
            ax.plot(range(1, len(r[key]) + 1), r[key], color=color,
                    marker=marker, markersize=4, label=L[key])
        ax.set_yscale("log")
        ax.set_xlabel(L["layer"])
        ax.set_title(L[title])
        ax.legend()
    axes[0].set_ylabel(L["std"])
    figs["scale_per_layer"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
