# %% [markdown]
# # Batch normalization
#
# This is the notebook of the *Batch normalization* page of *Why N(0, 1)?*.

# %% [markdown]
# ## The transform, in training and in evaluation
#
# Batch statistics, epsilon, gamma and beta; the biased variance normalizes, the
# unbiased one goes into `running_var`.

# %%
# --8<-- [start:transform]
import torch
from torch import nn


def bn_check(batch: int = 8, features: int = 4, seed: int = 0) -> dict:
    """Compare nn.BatchNorm1d with the formula, in train and eval mode."""
    torch.manual_seed(seed)
    x = 3 * torch.randn(batch, features) + 5
    bn = nn.BatchNorm1d(features)  # eps = 1e-5, momentum = 0.1
    with torch.no_grad():
        bn.weight.fill_(2.0)  # gamma
        bn.bias.fill_(-1.0)  # beta
    y = bn(x)  # train mode: batch statistics, then updates running stats
    mean = x.mean(0)
    var_biased = x.var(0, unbiased=False)  # divides by n
    var_unbiased = x.var(0, unbiased=True)  # divides by n - 1
    eps = bn.eps

    def formula(m, v):
        return 2.0 * (x - m) / torch.sqrt(v + eps) - 1.0

    def max_diff(a, b):
        return (a - b).abs().max().item()

    bn.eval()  # eval mode: running statistics, no dependence on the batch
    y_eval = bn(x)
    rm, rv = bn.running_mean, bn.running_var
    return {
        "err_biased": max_diff(y, formula(mean, var_biased)),
        "err_unbiased": max_diff(y, formula(mean, var_unbiased)),
        # running_var starts at 1: after one step 0.9 * 1 + 0.1 * var
        "running_var_err_unbiased": max_diff(rv, 0.9 + 0.1 * var_unbiased),
        "running_var_err_biased": max_diff(rv, 0.9 + 0.1 * var_biased),
        "output_mean": y.mean(0).mean().item(),  # = beta
        "output_std": y.std(0, unbiased=False).mean().item(),  # ~ gamma
        "eval_err": max_diff(y_eval, formula(rm, rv)),
        "eval_vs_train_max_diff": max_diff(y_eval, y),
    }


if __name__ == "__main__":
    for key, value in bn_check().items():
        print(f"{key:26s} {value:.3g}")
# --8<-- [end:transform]

# %% [markdown]
# ## The bias before BatchNorm is redundant
#
# Adding a constant to a pre-activation leaves BatchNorm's output unchanged.

# %%
# --8<-- [start:bias]
import torch
from torch import nn


def bias_check(shift: float = 10.0, seed: int = 0) -> dict:
    """Linear(8, 4) -> BatchNorm1d(4), train mode, before and after a bias shift."""
    torch.manual_seed(seed)
    x = torch.randn(32, 8)
    linear, bn = nn.Linear(8, 4), nn.BatchNorm1d(4)
    y = bn(linear(x))
    y.square().sum().backward()  # any loss
    bias_grad = linear.bias.grad.abs().max().item()  # 0 up to rounding
    with torch.no_grad():
        linear.bias += shift  # the same constant added to every sample
    y_shifted = bn(linear(x))
    return {
        "max_output_change": (y_shifted - y).abs().max().item(),
        "bias_grad_max": bias_grad,
        "weight_grad_max": linear.weight.grad.abs().max().item(),
    }


if __name__ == "__main__":
    r = bias_check()
    print(f"output change after bias += 10: {r['max_output_change']:.2e}")
    print(f"max |dL/d bias| = {r['bias_grad_max']:.2e}, "
          f"max |dL/d W| = {r['weight_grad_max']:.2e}")
# --8<-- [end:bias]

# %% [markdown]
# ## The batch couples the samples
#
# One sample's output depends on the other samples of its batch; a batch of one
# fails in training.

# %%
# --8<-- [start:coupling]
import torch
from torch import nn


def coupling_check(batch: int = 16, seed: int = 0) -> dict:
    """Sample 0's BatchNorm output with two different sets of batch mates."""
    torch.manual_seed(seed)
    bn = nn.BatchNorm1d(4)
    x0 = torch.randn(1, 4)
    batch_a = torch.cat([x0, torch.randn(batch - 1, 4)])
    batch_b = torch.cat([x0, torch.randn(batch - 1, 4) + 1.0])
    train_diff = (bn(batch_a)[0] - bn(batch_b)[0]).abs().max().item()
    try:
        bn(x0)  # train mode, a batch of one sample
        error = ""
    except ValueError as e:
        error = str(e)
    bn.eval()
    eval_diff = (bn(batch_a)[0] - bn(batch_b)[0]).abs().max().item()
    eval_single_ok = bn(x0).shape == (1, 4)
    return {
        "train_diff": train_diff,
        "eval_diff": eval_diff,
        "error": error,
        "eval_single_ok": eval_single_ok,
    }


if __name__ == "__main__":
    r = coupling_check()
    print(f"train mode: sample 0 changes by {r['train_diff']:.3f}")
    print(f"eval mode:  sample 0 changes by {r['eval_diff']:.3f}")
    print(f"batch of 1 in train mode -> ValueError: {r['error']}")
    print(f"batch of 1 in eval mode works: {r['eval_single_ok']}")
# --8<-- [end:coupling]

# %% [markdown]
# ## A deep sigmoid network, with and without BatchNorm
#
# Ten sigmoid layers on the digits: without BatchNorm it stays at chance, with it it
# trains. The noisy variant adds a random shift and scale after every BatchNorm.

# %%
# --8<-- [start:deep_sigmoid]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def load_digits_split() -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits, stratified 75/25 split, standardized with the training split."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    mean, std = X_tr.mean(), X_tr.std()  # one scale for all 64 pixels
    X_tr = torch.tensor((X_tr - mean) / std, dtype=torch.float32)
    X_te = torch.tensor((X_te - mean) / std, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


class Noise(nn.Module):
    """Santurkar et al.'s noisy BatchNorm: a fresh random scale and shift per
    unit at every training step, so the next layer's input keeps changing."""

    def __init__(self, max_scale: float = 2.0, shift_std: float = 1.0):
        super().__init__()
        self.max_scale, self.shift_std = max_scale, shift_std

    def forward(self, z):
        if not self.training:
            return z
        lo, hi = 1 / self.max_scale, self.max_scale
        scale = torch.empty(z.shape[1]).uniform_(lo, hi)
        return z * scale + self.shift_std * torch.randn(z.shape[1])


def sigmoid_mlp(norm: str, depth: int = 10, width: int = 64) -> nn.Sequential:
    """64 -> width (x depth, sigmoid) -> 10. norm: 'none', 'bn' or 'noisy_bn'."""
    layers, fan_in = [], 64
    for _ in range(depth):
        layers.append(nn.Linear(fan_in, width, bias=norm == "none"))
        if norm != "none":
            layers.append(nn.BatchNorm1d(width))
        if norm == "noisy_bn":
            layers.append(Noise())
        layers.append(nn.Sigmoid())
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    return nn.Sequential(*layers)


def train(
    norm: str,
    seed: int = 0,
    epochs: int = 8,
    lr: float = 0.1,
    momentum: float = 0.9,
    batch_size: int = 128,
) -> dict:
    """Mini-batch SGD; returns the model, its final loss and test accuracy."""
    X_tr, y_tr, X_te, y_te = load_digits_split()
    torch.manual_seed(seed)
    model = sigmoid_mlp(norm)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(X_tr)).split(batch_size):
            opt.zero_grad()
            nn.functional.cross_entropy(model(X_tr[idx]), y_tr[idx]).backward()
            opt.step()
    model.eval()  # running statistics, no noise
    with torch.no_grad():
        loss = nn.functional.cross_entropy(model(X_tr), y_tr).item()
        pred = model(X_te).argmax(1)
    acc = (pred == y_te).float().mean().item()
    n_classes = pred.unique().numel()  # how many classes it ever predicts
    return {"model": model, "train_loss": loss, "test_acc": acc,
            "classes_predicted": n_classes}


def sigmoid_inputs(model: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """The pre-activation entering every sigmoid (eval mode)."""
    out, h = [], x
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Sigmoid):
                out.append(h.clone())
            h = layer(h)
    return out


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    print(f"chance-level loss ln(10) = {math.log(10):.3f}")
    for norm in ["none", "bn", "noisy_bn"]:
        for seed in [0, 1, 2]:
            r = train(norm, seed=seed)
            print(
                f"{norm:8s} seed {seed}: train loss {r['train_loss']:.3f}, "
                f"test accuracy {r['test_acc']:.1%}, "
                f"{r['classes_predicted']} classes predicted"
            )
# --8<-- [end:deep_sigmoid]

# %% [markdown]
# ## Before or after the activation?
#
# BatchNorm before tanh keeps the units out of saturation under a bad
# initialization; after tanh it is too late.

# %%
# --8<-- [start:placement]
import math

import torch


def saturation_by_layer(
    order: str,
    n_layers: int = 10,
    width: int = 256,
    batch: int = 1000,
    seed: int = 0,
) -> list[float]:
    """Fraction of |tanh| > 0.99 per layer with W = randn (a bad init).

    order 'before': h <- tanh(BN(W h)); 'after': h <- BN(tanh(W h)).
    BN is the train-mode transform with gamma = 1, beta = 0.
    """
    torch.manual_seed(seed)

    def bn(z):
        return (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)

    h = torch.randn(batch, width)
    fractions = []
    for _ in range(n_layers):
        z = h @ torch.randn(width, width)  # std(z) ~ sqrt(width) = 16
        t = torch.tanh(bn(z)) if order == "before" else torch.tanh(z)
        fractions.append((t.abs() > 0.99).float().mean().item())
        h = t if order == "before" else bn(t)
    return fractions


if __name__ == "__main__":
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))
    print(f"theory, z ~ N(0, 1): {2 * (1 - Phi(math.atanh(0.99))):.4f}")
    for order in ["before", "after"]:
        f = saturation_by_layer(order)
        print(f"BN {order:6s} tanh, saturated:", " ".join(f"{v:.3f}" for v in f))
# --8<-- [end:placement]

# %% [markdown]
# ## BatchNorm does not make anything Gaussian
#
# A skewed input keeps its skewness: BatchNorm is an affine map per unit.

# %%
# --8<-- [start:not_gaussian]
import torch
from torch import nn


def skew_kurt(v: torch.Tensor) -> tuple[float, float]:
    """Sample skewness and excess kurtosis of a 1-D tensor."""
    z = (v - v.mean()) / v.std(unbiased=False)
    return (z**3).mean().item(), (z**4).mean().item() - 3


def skewed_through_bn(n: int = 20000, seed: int = 0) -> dict:
    """Exponential(1) inputs (skewness 2, excess kurtosis 6) through BatchNorm."""
    torch.manual_seed(seed)
    x = torch.empty(n, 1, dtype=torch.float64).exponential_()
    bn = nn.BatchNorm1d(1, dtype=torch.float64)
    y_train = bn(x).detach()
    bn.eval()
    y_eval = bn(x).detach()
    out = {"input": skew_kurt(x[:, 0]), "train": skew_kurt(y_train[:, 0])}
    out["eval"] = skew_kurt(y_eval[:, 0])
    out["train_mean"] = y_train.mean().item()
    out["train_std"] = y_train.std(unbiased=False).item()
    return out


if __name__ == "__main__":
    r = skewed_through_bn()
    for k in ["input", "train", "eval"]:
        print(f"{k:6s} skewness {r[k][0]:.3f}, excess kurtosis {r[k][1]:.3f}")
    print(f"after BN (train): mean {r['train_mean']:.1e}, std {r['train_std']:.4f}")
# --8<-- [end:not_gaussian]

# %% [markdown]
# ## The page's numbers and figures
#
# `results()` computes every number the page quotes; `figures()` draws the page's figures
# from them (the site's build renders them in its light and dark themes, in English and Chinese).

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

SEEDS = [0, 1, 2]
HIST_LAYERS = [1, 5, 10]


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _training_results() -> dict:
    X_tr, _, _, _ = load_digits_split()
    edges = np.linspace(-8, 8, 41)
    out = {**_defaults(sigmoid_mlp, train, Noise), "seeds": SEEDS}
    out["ln10"] = math.log(10)
    out["hist_layers"], out["hist_edges"] = HIST_LAYERS, edges.tolist()
    for norm in ["none", "bn", "noisy_bn"]:
        runs = [train(norm, seed=s) for s in SEEDS]
        out[norm] = {
            "train_loss": [r["train_loss"] for r in runs],
            "test_acc": [r["test_acc"] for r in runs],
            "classes_predicted": [r["classes_predicted"] for r in runs],
        }
        out[norm]["min_acc"] = min(out[norm]["test_acc"])
        out[norm]["max_acc"] = max(out[norm]["test_acc"])
        if norm != "noisy_bn":
            zs = sigmoid_inputs(runs[0]["model"], X_tr)
            hist = []
            for layer in HIST_LAYERS:
                z = zs[layer - 1].clamp(-8, 8).numpy()
                c, _ = np.histogram(z, bins=edges)
                hist.append((c / c.sum()).tolist())
            out[norm]["hist_fraction"] = hist
            out[norm]["preact_std"] = [z.std().item() for z in zs]
            # spread across samples, per unit: the input-dependent part
            out[norm]["sample_std"] = [z.std(0).mean().item() for z in zs]
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))
    placement = {o: saturation_by_layer(o) for o in ["before", "after"]}
    placement.update(_defaults(saturation_by_layer))
    placement["theory_unit"] = 2 * (1 - Phi(math.atanh(0.99)))
    std_z = math.sqrt(placement["width"])  # z = W h, Var(h) = 1, W = randn
    placement["theory_after"] = 2 * (1 - Phi(math.atanh(0.99) / std_z))
    return {
        "transform": bn_check() | _defaults(bn_check),
        "bias": bias_check() | _defaults(bias_check),
        "coupling": coupling_check() | _defaults(coupling_check),
        "training": _training_results(),
        "placement": placement,
        "skew": skewed_through_bn() | _defaults(skewed_through_bn),
    }


LABELS = {
    "en": {
        "layer": "layer",
        "saturated": "fraction saturated (|tanh| > 0.99)",
        "before": "BN before tanh",
        "after": "BN after tanh",
        "theory": "theory, z ~ N(0, 1)",
        "preact": "pre-activation (input to sigmoid)",
        "fraction": "fraction of values",
        "none": "no BatchNorm",
        "bn": "BatchNorm",
        "noisy_bn": "noisy BatchNorm",
        "layer_n": "layer {n}",
        "test_acc": "test accuracy",
        "seed": "seed",
    },
    "zh": {
        "layer": "层",
        "saturated": "饱和比例（|tanh| > 0.99）",
        "before": "BN在tanh之前",
        "after": "BN在tanh之后",
        "theory": "理论值，z ~ N(0, 1)",
        "preact": "预激活值（sigmoid的输入）",
        "fraction": "取值比例",
        "none": "无BatchNorm",
        "bn": "BatchNorm",
        "noisy_bn": "加噪声的BatchNorm",
        "layer_n": "第{n}层",
        "test_acc": "测试准确率",
        "seed": "随机种子",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    t = res["training"]
    edges = np.array(t["hist_edges"])
    fig, axes = plt.subplots(
        1, 2, figsize=(6.4, 3.2), sharey=True, layout="constrained"
    )
    for ax, norm in zip(axes, ["none", "bn"]):
        pairs = zip(t["hist_layers"], t[norm]["hist_fraction"])
        for k, (layer, frac) in enumerate(pairs):
            ax.stairs(frac, edges, color=f"C{k}", linestyle=["-", "--", ":"][k],
                      label=L["layer_n"].format(n=layer))
        ax.set_title(L[norm])
        ax.set_xlabel(L["preact"])
    axes[0].set_ylabel(L["fraction"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["preact_hist"] = fig

    fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
    x = np.arange(len(t["seeds"]))
    for k, norm in enumerate(["none", "bn", "noisy_bn"]):
        ax.bar(x + (k - 1) * 0.27, t[norm]["test_acc"], width=0.27,
               color=f"C{k}", label=L[norm])
    ax.set_xticks(x, [f"{L['seed']} {s}" for s in t["seeds"]])
    ax.set_ylabel(L["test_acc"])
    ax.set_ylim(0, 1)
    fig.legend(loc="outside lower center", ncol=3)
    figs["training"] = fig

    p = res["placement"]
    fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
    for k, order in enumerate(["before", "after"]):
        ax.plot(range(1, len(p[order]) + 1), p[order], color=f"C{k}",
                marker="o", label=L[order])
    ax.axhline(p["theory_unit"], color="C2", linestyle="--", label=L["theory"])
    ax.set_yscale("log")
    ax.set_xlabel(L["layer"])
    ax.set_ylabel(L["saturated"])
    ax.legend()
    figs["placement"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
