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
# Ten sigmoid layers on the digits, four ways: without BatchNorm at PyTorch's
# default initialization, without BatchNorm at an initialization made for the
# sigmoid, with BatchNorm, and with BatchNorm plus a random shift and scale after it.
# Every way gets its own learning rate from a small sweep, and five seeds. The runs
# of one way are trained side by side: their weights are stacked along a leading
# "run" dimension, and one matrix product per layer serves them all.

# %%
# --8<-- [start:deep_sigmoid]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional as F


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


def sigmoid_mlp(arm: str, depth: int = 10, width: int = 32) -> nn.Sequential:
    """64 -> width (x depth, sigmoid) -> 10. arm:
    'default'      no BatchNorm, PyTorch's default initialization;
    'sigmoid_init' no BatchNorm, weights N(0, 16 / fan_in) and a bias that
                   subtracts the mean 1/2 of the sigmoids below: since
                   sigmoid(z) - 1/2 = tanh(z / 2) / 2, this is a tanh network
                   with weight variance 1 / fan_in;
    'bn'           Linear (no bias) -> BatchNorm1d before every sigmoid;
    'noisy_bn'     the same, plus Santurkar et al.'s random shift and scale."""
    layers, fan_in = [], 64
    for i in range(depth):
        norm = arm in ("bn", "noisy_bn")
        linear = nn.Linear(fan_in, width, bias=not norm)
        if arm == "sigmoid_init":
            with torch.no_grad():
                linear.weight.normal_(0, 4 / math.sqrt(fan_in))
                # W h + b = W (h - 1/2) for the sigmoid outputs h of the layer below
                centre = -0.5 * linear.weight.sum(1) if i else torch.zeros(width)
                linear.bias.copy_(centre)
        layers += [linear, nn.BatchNorm1d(width)] if norm else [linear]
        layers.append(nn.Sigmoid())
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    return nn.Sequential(*layers)


def stack(nets: list[nn.Sequential]) -> list[dict]:
    """The parameters of R networks of one shape, layer by layer, stacked:
    weights (R, fan_in, fan_out), biases and BatchNorm's gamma, beta and
    running statistics (R, 1, width)."""
    layers = []
    for modules in zip(*nets):
        get = lambda name: torch.stack([getattr(m, name).detach() for m in modules])
        if isinstance(modules[0], nn.Linear):
            bias = get("bias")[:, None] if modules[0].bias is not None else None
            layers.append({"W": get("weight").transpose(1, 2), "b": bias})
        elif isinstance(modules[0], nn.BatchNorm1d):
            layers[-1].update({k: get(name)[:, None] for k, name in [
                ("gamma", "weight"), ("beta", "bias"),
                ("mean", "running_mean"), ("var", "running_var")]})
    return layers


def forward(layers, x, train=False, noise=None, max_scale=2.0, shift_std=1.0):
    """x (R, batch, 64) -> logits (R, batch, 10), and the input of every sigmoid.
    noise: a generator for noisy BatchNorm's random scale, uniform in
    [1 / max_scale, max_scale], and shift, N(0, shift_std^2)."""
    h, inputs = x, []
    for k, L in enumerate(layers):
        z = h @ L["W"] if L["b"] is None else torch.baddbmm(L["b"], h, L["W"])
        if k == len(layers) - 1:
            return z, inputs
        if "gamma" in L:  # nn.BatchNorm1d's own function, the R nets' units side by side
            R, n, width = z.shape
            stats = [L[key].view(-1) for key in ("mean", "var", "gamma", "beta")]
            z = F.batch_norm(z.transpose(0, 1).reshape(n, R * width), *stats,
                             training=train)  # momentum 0.1, eps 1e-5, as nn.BatchNorm1d
            z = z.view(n, R, width).transpose(0, 1)
            if noise is not None and train:  # a fresh scale and shift per unit and step
                scale = torch.empty(R, 1, width).uniform_(1 / max_scale, max_scale,
                                                          generator=noise)
                z = z * scale + shift_std * torch.randn(R, 1, width, generator=noise)
        inputs.append(z)
        h = torch.sigmoid(z)


def train_runs(
    arm: str,
    lrs: tuple = (0.03, 0.1, 0.3, 1.0),
    seeds: tuple = (0, 1, 2, 3, 4),
    epochs: int = 8,
    momentum: float = 0.9,
    batch_size: int = 128,
) -> dict:
    """Every (seed, learning rate) pair of one arm, trained side by side with
    mini-batch SGD and momentum (exactly torch.optim.SGD's update). Runs with the
    same seed share their initial weights and their order of mini-batches.
    Returns, per run, the final training loss and the test accuracy (evaluation
    mode), and the stacked layers."""
    X_tr, y_tr, X_te, y_te = load_digits_split()
    runs = [(seed, lr) for seed in seeds for lr in lrs]
    nets = []
    for seed, _ in runs:
        torch.manual_seed(seed)
        nets.append(sigmoid_mlp(arm))
    layers = stack(nets)
    params = [L[k] for L in layers for k in ("W", "b", "gamma", "beta")
              if L.get(k) is not None]
    for p in params:
        p.requires_grad_()
    velocity = [torch.zeros_like(p) for p in params]  # SGD's momentum buffers
    lr = torch.tensor([lr for _, lr in runs]).view(-1, 1, 1)
    orders = {s: torch.Generator().manual_seed(s) for s in seeds}
    noise = torch.Generator().manual_seed(0) if arm == "noisy_bn" else None
    for _ in range(epochs):
        perm = {s: torch.randperm(len(X_tr), generator=g) for s, g in orders.items()}
        batches = torch.stack([perm[seed] for seed, _ in runs]).split(batch_size, 1)
        for idx in batches:  # idx: (runs, batch), each run its own samples
            logits, _ = forward(layers, X_tr[idx], train=True, noise=noise)
            loss = F.cross_entropy(logits.transpose(1, 2), y_tr[idx])  # mean over runs
            grads = torch.autograd.grad(loss * len(runs), params)  # = per-run sums
            with torch.no_grad():
                for p, g, v in zip(params, grads, velocity):
                    v.mul_(momentum).add_(g)
                    p.sub_(lr * v)
    with torch.no_grad():
        logits, _ = forward(layers, X_tr.expand(len(runs), -1, -1))
        loss = F.cross_entropy(logits.transpose(1, 2), y_tr.expand(len(runs), -1),
                               reduction="none").mean(1)
        pred = forward(layers, X_te.expand(len(runs), -1, -1))[0].argmax(2)
    return {
        "runs": runs,
        "train_loss": loss.tolist(),
        "test_acc": (pred == y_te).float().mean(1).tolist(),
        "classes_predicted": [p.unique().numel() for p in pred],
        "layers": layers,
    }


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    print(f"chance-level loss ln(10) = {math.log(10):.3f}")
    for arm in ["default", "sigmoid_init", "bn", "noisy_bn"]:
        r = train_runs(arm, seeds=(0, 1))  # the page uses five seeds
        print(arm)
        for lr in (0.03, 0.1, 0.3, 1.0):
            i = [k for k, (_, l) in enumerate(r["runs"]) if l == lr]
            loss = sum(r["train_loss"][k] for k in i) / len(i)
            accs = [r["test_acc"][k] for k in i]
            print(f"  lr {lr:4}: train loss {loss:.3f}, test accuracy "
                  f"{min(accs):.1%} to {max(accs):.1%} over {len(i)} seeds")
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

ARMS = ["default", "sigmoid_init", "bn", "noisy_bn"]
HIST_LAYERS = [1, 5, 10]
HIST_ARMS = ["default", "bn"]


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: list(p.default) if isinstance(p.default, tuple) else p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _arm_results(arm: str, X_tr: torch.Tensor, edges: np.ndarray) -> dict:
    """One arm's sweep: per learning rate and seed, and at the best rate (the lowest
    mean final training loss over the seeds: the question is which network trains)."""
    r = train_runs(arm)
    lrs, seeds = _defaults(train_runs)["lrs"], _defaults(train_runs)["seeds"]
    at = {(s, lr): k for k, (s, lr) in enumerate(r["runs"])}
    grid = {key: [[r[key][at[s, lr]] for s in seeds] for lr in lrs]
            for key in ["train_loss", "test_acc", "classes_predicted"]}
    mean_loss = [sum(v) / len(v) for v in grid["train_loss"]]
    best = min(range(len(lrs)), key=lambda i: mean_loss[i])
    accs = grid["test_acc"][best]
    out = {
        "sweep_loss": grid["train_loss"],  # [lr][seed]
        "sweep_acc": grid["test_acc"],
        "sweep_mean_loss": mean_loss,
        "sweep_mean_acc": [sum(v) / len(v) for v in grid["test_acc"]],
        "max_acc_any_lr": max(max(v) for v in grid["test_acc"]),
        "max_classes_any_lr": max(max(v) for v in grid["classes_predicted"]),
        "best_lr": lrs[best],
        "train_loss": grid["train_loss"][best],  # per seed, at the best rate
        "test_acc": accs,
        "classes_predicted": grid["classes_predicted"][best],
        "mean_train_loss": sum(grid["train_loss"][best]) / len(seeds),
        "max_loss_gap_ln10": max(abs(v - math.log(10)) for row in grid["train_loss"] for v in row),
        "mean_acc": sum(accs) / len(accs),
        "min_acc": min(accs),
        "max_acc": max(accs),
    }
    # the first seed's network at the best rate: what enters each sigmoid
    _, zs = forward(r["layers"], X_tr.expand(len(r["runs"]), -1, -1))
    zs = [z[at[seeds[0], lrs[best]]].detach() for z in zs]
    if arm in HIST_ARMS:
        hist = []
        for layer in HIST_LAYERS:
            c, _ = np.histogram(zs[layer - 1].clamp(-8, 8).numpy(), bins=edges)
            hist.append((c / c.sum()).tolist())
        out["hist_fraction"] = hist
    out["preact_std"] = [z.std().item() for z in zs]
    # spread across samples, per unit: the input-dependent part
    out["sample_std"] = [z.std(0).mean().item() for z in zs]
    s = out["sample_std"]  # geometric mean factor from one layer to the next
    out["decay_per_layer"] = (s[-1] / s[0]) ** (1 / (len(s) - 1))
    return out


def _training_results() -> dict:
    X_tr, _, _, _ = load_digits_split()
    edges = np.linspace(-8, 8, 41)
    noise = {k: v for k, v in _defaults(forward).items() if k in ("max_scale", "shift_std")}
    out = {**_defaults(sigmoid_mlp, train_runs), **noise, "arms": ARMS}
    out["ln10"] = math.log(10)
    out["hist_layers"], out["hist_edges"] = HIST_LAYERS, edges.tolist()
    for arm in ARMS:
        out[arm] = _arm_results(arm, X_tr, edges)
    # what Santurkar et al.'s noise costs, and what BatchNorm adds to a trainable plain net
    out["bn_minus_noisy_pts"] = 100 * (out["bn"]["mean_acc"] - out["noisy_bn"]["mean_acc"])
    out["bn_minus_sigmoid_init_pts"] = 100 * (out["bn"]["mean_acc"]
                                              - out["sigmoid_init"]["mean_acc"])
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
        "default": "no BatchNorm, default init",
        "sigmoid_init": "no BatchNorm, sigmoid init",
        "bn": "BatchNorm",
        "noisy_bn": "noisy BatchNorm",
        "layer_n": "layer {n}",
        "lr": "learning rate",
        "train_loss": "final training loss",
        "test_acc": "test accuracy",
        "chance": "chance",
    },
    "zh": {
        "layer": "层",
        "saturated": "饱和比例（|tanh| > 0.99）",
        "before": "BN在tanh之前",
        "after": "BN在tanh之后",
        "theory": "理论值，z ~ N(0, 1)",
        "preact": "预激活值（sigmoid的输入）",
        "fraction": "取值比例",
        "default": "无BatchNorm，默认初始化",
        "sigmoid_init": "无BatchNorm，sigmoid初始化",
        "bn": "BatchNorm",
        "noisy_bn": "加噪声的BatchNorm",
        "layer_n": "第{n}层",
        "lr": "学习率",
        "train_loss": "最终训练损失",
        "test_acc": "测试准确率",
        "chance": "随机猜测",
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
    for ax, arm in zip(axes, HIST_ARMS):
        pairs = zip(t["hist_layers"], t[arm]["hist_fraction"])
        for k, (layer, frac) in enumerate(pairs):
            ax.stairs(frac, edges, color=f"C{k}", linestyle=["-", "--", ":"][k],
                      label=L["layer_n"].format(n=layer))
        ax.set_title(L[arm])
        ax.set_xlabel(L["preact"])
    axes[0].set_ylabel(L["fraction"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["preact_hist"] = fig

    # the learning-rate sweep: mean over seeds, a band from the lowest to the highest seed
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    lrs = np.array(t["lrs"])
    markers = ["o", "s", "^", "D"]
    for k, arm in enumerate(t["arms"]):
        a = t[arm]
        best = t["lrs"].index(a["best_lr"])
        for ax, key in zip(axes, ["sweep_loss", "sweep_acc"]):
            per_lr = np.array(a[key])  # [lr][seed]
            mean = per_lr.mean(1)
            ax.fill_between(lrs, per_lr.min(1), per_lr.max(1), color=f"C{k}",
                            alpha=0.2, linewidth=0)
            ax.plot(lrs, mean, color=f"C{k}", marker=markers[k], markersize=4,
                    label=L[arm])
            ax.plot(lrs[best], mean[best], marker=markers[k], markersize=9,
                    color=f"C{k}", markerfacecolor="none", linestyle="none")
    axes[0].axhline(t["ln10"], color="C7", linestyle=":", label=L["chance"])
    axes[1].axhline(0.1, color="C7", linestyle=":")
    axes[0].set_yscale("log")
    axes[0].set_ylabel(L["train_loss"])
    axes[1].set_ylabel(L["test_acc"])
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(lrs, [f"{v:g}" for v in lrs])
        ax.minorticks_off()
        ax.set_xlabel(L["lr"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
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
