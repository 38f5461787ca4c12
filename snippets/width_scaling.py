# %% [markdown] lang="en"
# # Width: why N(0, 1/n) is not the whole story
#
# The notebook of the page [*Width: why N(0, 1/n) is not the whole story*]({{ page_url }}) of
# *Why N(0, 1)?*. Each section below runs one experiment of the page and prints what it found; the
# last cell computes every number the page quotes and draws its figures ({{ fig_range }}).
# Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 宽度：N(0, 1/n)并不是全部
#
# 这是《为什么是N(0, 1)？》中[宽度：N(0, 1/n)并不是全部]({{ page_url }})一页的笔记本。
# 下面每一节运行该页的一个实验，并打印实验结果；最后一个代码单元计算该页引用的全部数字，
# 并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## At initialization: a Gaussian process
#
# A ReLU network with L hidden layers of width n, weights N(0, 2/fan_in) and a readout N(0, 1/n), is
# drawn {{ width_scaling.gp.draws | fixed(0) }} times. The variance of its output is the same at every
# width; its excess kurtosis is 3((1 + 5/n)^L − 1), which vanishes as n grows: at n =
# {{ width_scaling.gp.widths[-1] }} and L = {{ width_scaling.gp.depths[-1] }} it is
# {{ width_scaling.gp.kurtosis_s[-1][-1] | fixed(3) }}.

# %% [markdown] lang="zh"
# ## 初始化时：高斯过程
#
# 取一个有L个宽度为n的隐藏层的ReLU网络，权重取自N(0, 2/fan_in)，读出层取自N(0, 1/n)，
# 随机抽取{{ width_scaling.gp.draws | fixed(0) }}次。输出的方差在每个宽度下都相同；
# 超额峰度为3((1 + 5/n)^L − 1)，随n增大而消失：n = {{ width_scaling.gp.widths[-1] }}、
# L = {{ width_scaling.gp.depths[-1] }}时为{{ width_scaling.gp.kurtosis_s[-1][-1] | fixed(3) }}。

# %%
# --8<-- [start:gp]
import math

import torch
from sklearn.datasets import load_digits


def two_digits() -> torch.Tensor:
    """Two standardized 8x8 digit images (a 0 and a 6), as the rows of a (2, 64) tensor."""
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float32)
    X = (X - X.mean(0)) / X.std(0).clamp_min(1e-3)
    return torch.stack([X[y == 0][0], X[y == 6][0]])


def random_outputs(n: int, depth: int = 8, draws: int = 2500, seed: int = 0) -> dict:
    """Draw `draws` ReLU networks 64 -> n -> ... -> n -> 1 (weights N(0, 2/fan_in),
    readout N(0, 1/n)) and return, after each hidden layer l = 1..depth:
    f, the output a readout placed there gives for the two images, shape (draws, 2);
    s, the readout's variance given the weights below it, |h|^2 / n for image 0."""
    g = torch.Generator().manual_seed(seed)
    x = two_digits()
    h = x.expand(draws, 2, 64)
    out = {"f": [], "s": []}
    for _ in range(depth):
        fan_in = h.shape[-1]
        w = torch.randn(draws, fan_in, n, generator=g) * math.sqrt(2 / fan_in)
        h = torch.relu(h @ w)
        readout = torch.randn(draws, n, 1, generator=g) / math.sqrt(n)
        out["f"].append((h @ readout)[..., 0])
        out["s"].append(h[:, 0].pow(2).sum(-1) / n)
    return out


def excess_kurtosis(v: torch.Tensor) -> float:
    v = v.double() - v.double().mean()
    return (v.pow(4).mean() / v.pow(2).mean() ** 2).item() - 3


if __name__ == "__main__":
    for n in (4, 16, 64):
        r = random_outputs(n, depth=4, draws=2000)
        for l in (1, 4):
            f, s = r["f"][l - 1][:, 0], r["s"][l - 1].double()
            print(f"n = {n:3d}, L = {l}: Var f = {f.var():.3f}, "
                  f"excess kurtosis {excess_kurtosis(f):6.3f} "
                  f"(3 Var S / E[S]^2 = {3 * s.var() / s.mean() ** 2:.3f}, "
                  f"theory {3 * ((1 + 5 / n) ** l - 1):.3f})")
# --8<-- [end:gp]

# %% [markdown] lang="en"
# ## One step, three parametrizations: the coordinate check
#
# A ReLU MLP 64 → n → n → 10 takes one step on a batch of digits; the cell prints how much the
# first and second hidden layers' pre-activations and the logits moved, for a held-out batch, at
# widths {{ width_scaling.coord.widths[0] }} to {{ width_scaling.coord.widths[-1] }}. Under the standard
# parametrization the logits move {{ width_scaling.coord.growth.sgd_sp.logits | fixed(0) }} times more at
# n = {{ width_scaling.coord.widths[-1] }} than at n = {{ width_scaling.coord.widths[0] }} with SGD; under
# µP they move {{ width_scaling.coord.growth.sgd_mup.logits | fixed(2) }} times as much.

# %% [markdown] lang="zh"
# ## 一步更新，三种参数化：坐标检查
#
# 一个ReLU MLP 64 → n → n → 10在一批数字图像上走一步；代码打印在宽度
# {{ width_scaling.coord.widths[0] }}到{{ width_scaling.coord.widths[-1] }}下，对一批留出的图像，
# 第一、第二隐藏层的预激活和logits各移动了多少。在标准参数化下用SGD时，
# n = {{ width_scaling.coord.widths[-1] }}时logits的移动量是n = {{ width_scaling.coord.widths[0] }}时的
# {{ width_scaling.coord.growth.sgd_sp.logits | fixed(0) }}倍；在µP下是
# {{ width_scaling.coord.growth.sgd_mup.logits | fixed(2) }}倍。

# %%
# --8<-- [start:coord]
import functools
import math

import torch
from sklearn.datasets import load_digits

BASE = 64  # the base width: every parametrization is the same network at n = BASE


@functools.cache  # loaded once: every step and sweep below reads the same data
def digits() -> tuple:
    """Standardized 8x8 digits (64 features), 10 classes."""
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float32)
    X = (X - X.mean(0)) / X.std(0).clamp_min(1e-3)
    return X, torch.tensor(y)


def rules(param: str, optimizer: str, n: int) -> tuple:
    """Per layer (input, hidden, output): the initial std and the learning-rate
    multiplier, written for weights used as stored (h = x @ W). Every rule is
    relative to BASE, so all of them coincide at n = BASE."""
    r = n / BASE
    std = [math.sqrt(2 / 64), math.sqrt(2 / n), math.sqrt(1 / n)]
    if param == "mup":  # Tensor Programs V, Table 3: output init variance ~ 1/n^2
        std[2] = math.sqrt(1 / n) / math.sqrt(r)
    lr = {("sp", "sgd"): [1, 1, 1], ("sp", "adam"): [1, 1, 1],
          ("ntk", "sgd"): [1, 1 / r, 1 / r],      # eta / fan_in on the NTK's own weights
          ("mup", "sgd"): [r, 1, 1 / r],          # Tensor Programs V, Table 3 (SGD)
          ("mup", "adam"): [1, 1 / r, 1 / r]}[(param, optimizer)]  # Table 3 (Adam)
    return std, lr


def mlp(x: torch.Tensor, W: list) -> list:
    """The pre-activations of both hidden layers, and the logits."""
    h1 = x @ W[0]
    h2 = torch.relu(h1) @ W[1]
    return [h1, h2, torch.relu(h2) @ W[2]]


def one_step_change(param: str, optimizer: str, n: int, lr: float, seed: int = 0) -> list:
    """RMS change of each layer's output on held-out images after one step."""
    X, y = digits()
    g = torch.Generator().manual_seed(seed)
    std, mult = rules(param, optimizer, n)
    shapes = [(64, n), (n, n), (n, 10)]
    W = [(s * torch.randn(shape, generator=g)).requires_grad_() for s, shape in zip(std, shapes)]
    train, held_out = X[:128], X[-128:]
    before = [t.detach() for t in mlp(held_out, W)]
    loss = torch.nn.functional.cross_entropy(mlp(train, W)[-1], y[:128])
    loss.backward()
    with torch.no_grad():
        for w, m in zip(W, mult):
            # Adam's first step is lr * sign(grad) (its moments are the gradient itself)
            step = w.grad if optimizer == "sgd" else w.grad.sign()
            w -= lr * m * step
        after = mlp(held_out, W)
    return [(a - b).pow(2).mean().sqrt().item() for a, b in zip(after, before)]


if __name__ == "__main__":
    for param, optimizer, lr in [("sp", "sgd", 0.1), ("ntk", "sgd", 0.1), ("mup", "sgd", 0.1),
                                 ("sp", "adam", 2**-6), ("mup", "adam", 2**-6)]:
        print(f"{param:3s} {optimizer:4s}: RMS change of (h1, h2, logits) after one step")
        for n in (64, 256, 1024):
            moved = one_step_change(param, optimizer, n, lr)
            print(f"  n = {n:4d}: " + "  ".join(f"{v:.2e}" for v in moved))
# --8<-- [end:coord]

# %% [markdown] lang="en"
# ## The best learning rate as the network widens
#
# A ReLU MLP 64 → n → 10 is trained with Adam for {{ width_scaling.transfer.steps }} steps on the
# digits at widths {{ width_scaling.transfer.widths[0] }} to {{ width_scaling.transfer.widths[-1] }}, under
# the standard parametrization and under µP, over a grid of learning rates and
# {{ width_scaling.transfer.seeds | length }} seeds. The cell prints the best learning rate per width: under the
# standard parametrization it falls from 2^{{ width_scaling.transfer.best_log2.sp[0] }} to
# 2^{{ width_scaling.transfer.best_log2.sp[-1] }}; under µP it stays between
# 2^{{ width_scaling.transfer.best_log2.mup | min }} and 2^{{ width_scaling.transfer.best_log2.mup | max }}.

# %% [markdown] lang="zh"
# ## 网络变宽时的最佳学习率
#
# 一个ReLU MLP 64 → n → 10在数字图像上用Adam训练{{ width_scaling.transfer.steps }}步，宽度从
# {{ width_scaling.transfer.widths[0] }}到{{ width_scaling.transfer.widths[-1] }}，分别采用标准参数化和µP，
# 扫描一组学习率，每组用{{ width_scaling.transfer.seeds | length }}个随机种子。代码打印每个宽度下的最佳学习率：
# 标准参数化下它从2^{{ width_scaling.transfer.best_log2.sp[0] }}降到2^{{ width_scaling.transfer.best_log2.sp[-1] }}；
# µP下它始终在2^{{ width_scaling.transfer.best_log2.mup | min }}到2^{{ width_scaling.transfer.best_log2.mup | max }}之间。

# %%
# --8<-- [start:transfer]
import functools
import math

import torch
from sklearn.datasets import load_digits

BASE = 64  # at n = BASE the two parametrizations are the same network


@functools.cache  # loaded once: every step and sweep below reads the same data
def digits() -> tuple:
    """Standardized 8x8 digits (64 features), 10 classes."""
    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X, dtype=torch.float32)
    X = (X - X.mean(0)) / X.std(0).clamp_min(1e-3)
    return X, torch.tensor(y)


def train_adam(param: str, n: int, lrs: list, seeds: list, hidden_layers: int = 1,
               steps: int = 80, batch: int = 32) -> torch.Tensor:
    """Train one ReLU MLP 64 -> n (-> n ...) -> 10 per (learning rate, seed), all at
    once, with Adam; return the final training loss on all 1797 digits, shape
    (len(lrs), len(seeds)). A seed draws the initial weights and the batches.
    "sp": weights N(0, 2/fan_in), readout N(0, 1/n), one learning rate.
    "mup" (Tensor Programs V, Table 3, Adam, relative to BASE, r = n / BASE): the
    readout's variance and learning rate, and every n x n layer's learning rate, / r.
    "mup_sp_hidden": muP, but the n x n layers keep SP's learning rate (a control)."""
    X, y = digits()
    runs = [(lr, s) for lr in lrs for s in seeds]
    r = n / BASE
    shapes = [(64, n)] + [(n, n)] * (hidden_layers - 1) + [(n, 10)]
    stds = [math.sqrt(2 / a) for a, _ in shapes[:-1]] + [math.sqrt(1 / n)]
    mults = [1.0] * len(shapes)
    if param in ("mup", "mup_sp_hidden"):
        stds[-1] /= math.sqrt(r)
        mults[-1] = 1 / r
    if param == "mup":
        mults[1:-1] = [1 / r] * (hidden_layers - 1)
    W = []
    for layer, (shape, std) in enumerate(zip(shapes, stds)):
        draws = [torch.randn(shape, generator=torch.Generator().manual_seed(1000 * s + layer))
                 for _, s in runs]
        W.append((std * torch.stack(draws)).requires_grad_())
    lr = torch.tensor([lr for lr, _ in runs]).view(-1, 1, 1)
    moments = [(torch.zeros_like(w), torch.zeros_like(w)) for w in W]
    batches = {s: torch.Generator().manual_seed(7 + s) for s in seeds}

    def forward(x):
        for w in W[:-1]:
            x = torch.relu(x @ w)
        return x @ W[-1]

    for t in range(1, steps + 1):
        picks = {s: torch.randint(0, len(X), (batch,), generator=batches[s]) for s in seeds}
        idx = torch.stack([picks[s] for _, s in runs])
        loss = torch.nn.functional.cross_entropy(forward(X[idx]).flatten(0, 1), y[idx].flatten())
        for w in W:
            w.grad = None
        (loss * len(runs)).backward()  # each run's gradient of its own mean loss
        with torch.no_grad():  # Adam (beta 0.9, 0.999), one learning rate per run and layer
            for w, (m, v), mult in zip(W, moments, mults):
                m.lerp_(w.grad, 0.1)
                v.mul_(0.999).addcmul_(w.grad, w.grad, value=0.001)
                denom = (v / (1 - 0.999**t)).sqrt_().add_(1e-8)
                w.sub_(lr * (mult / (1 - 0.9**t)) * m / denom)
    with torch.no_grad():
        losses = torch.nn.functional.cross_entropy(
            forward(X.expand(len(runs), -1, -1)).transpose(1, 2), y.expand(len(runs), -1),
            reduction="none").mean(1)
    return torch.nan_to_num(losses, nan=math.inf).view(len(lrs), len(seeds))


if __name__ == "__main__":
    seeds = [0, 1, 2]
    exponents = range(-10, -3)
    lrs = [2.0**k for k in exponents]
    for param in ("sp", "mup"):
        for n in (64, 512):
            median = train_adam(param, n, lrs, seeds).median(dim=1).values
            best = int(median.argmin())
            print(f"{param:3s} n = {n:4d}: best learning rate 2^{exponents[best]}, "
                  f"median loss {median[best]:.3f}")
# --8<-- [end:transfer]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (the learning-rate sweep over
# {{ width_scaling.transfer.seeds | length }} seeds per learning rate) and returns every number the page
# quotes; `figures()` draws the page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验（学习率扫描中每个学习率用{{ width_scaling.transfer.seeds | length }}个随机种子），
# 返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json

import matplotlib.pyplot as plt
import numpy as np

GP_WIDTHS = [4, 8, 16, 32, 64, 128]
GP_DEPTHS = [1, 2, 4, 8]
KURTOSIS_SMALL = 3  # "small" excess kurtosis: below that of a Laplace distribution
KURTOSIS_TOLERANCE = 0.05  # a large-kurtosis estimate is "short" or "over" beyond 5 % of the theory
COORD_WIDTHS = [64, 128, 256, 512, 1024, 2048]
COORD_ARMS = [("sp", "sgd"), ("ntk", "sgd"), ("mup", "sgd"), ("sp", "adam"), ("mup", "adam")]
COORD_LR = {"sgd": 0.1, "adam": 2**-6}
COORD_SEEDS = [0, 1, 2]
COORD_FIT_FROM = 2  # slopes are fitted from COORD_WIDTHS[2] = 256 up
# the exponent of n in each layer's one-step change, to leading order (derived on the page)
COORD_THEORY = {"sgd_sp": [-0.5, 0.5, 1.0], "sgd_ntk": [-0.5, -0.5, 0.0],
                "sgd_mup": [0.0, 0.0, 0.0], "adam_sp": [0.0, 1.0, None],
                "adam_mup": [0.0, 0.0, 0.0]}
# Adam, SP, logits (None): three terms, ~ n, n^1.5 and n^2 (the product of two updates); which one
# leads at these widths is not measured, so the page quotes 1.5-2
LAYERS = ["h1", "h2", "logits"]
TRANSFER_WIDTHS = [64, 128, 256, 512, 1024]
TRANSFER_EXPONENTS = {"sp": list(range(-11, -4)), "mup": list(range(-9, -2))}
# the control for the hidden-layer rule: two hidden layers, muP against muP with SP's hidden rate
HIDDEN_WIDTHS = [64, 128, 256]
HIDDEN_EXPONENTS = list(range(-10, -5))
SEEDS = [0, 1, 2, 3, 4]


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _relu_kernel(q1: float, q2: float, c: float) -> float:
    """E[relu(u) relu(v)] for (u, v) Gaussian with variances q1, q2 and covariance c."""
    cos = max(-1.0, min(1.0, c / math.sqrt(q1 * q2)))
    theta = math.acos(cos)
    return math.sqrt(q1 * q2) / (2 * math.pi) * (math.sin(theta) + (math.pi - theta) * cos)


def _gp_results() -> dict:
    x = two_digits().double()
    # the infinite-width kernel: first pre-activations have covariance 2 x.x'/64; each
    # layer maps it through 2 E[relu(u) relu(v)]; the readout takes E[relu(u) relu(v)]
    q = (2 * x @ x.T / 64).tolist()
    nngp = []
    for _ in range(max(GP_DEPTHS)):
        k = [[_relu_kernel(q[i][i], q[j][j], q[i][j]) for j in range(2)] for i in range(2)]
        nngp.append(k)
        q = [[2 * v for v in row] for row in k]
    out = {"draws": _defaults(random_outputs)["draws"], "widths": GP_WIDTHS,
           "depths": GP_DEPTHS, "variance_theory": nngp[0][0][0],
           "corr_theory": [nngp[l - 1][0][1] / math.sqrt(nngp[l - 1][0][0] * nngp[l - 1][1][1])
                           for l in GP_DEPTHS],
           "input_cosine": float(x[0] @ x[1] / (x[0].norm() * x[1].norm()))}
    keys = ["variance", "kurtosis_s", "kurtosis_theory", "corr", "median_s"]
    for key in keys:
        out[key] = []
    for n in GP_WIDTHS:
        r = random_outputs(n)
        rows = {key: [] for key in keys}
        for l in GP_DEPTHS:
            f, s = r["f"][l - 1].double(), r["s"][l - 1].double()
            rows["variance"].append(f[:, 0].var().item())
            # f given the weights below the readout is N(0, s): kurtosis 3 E[s^2] / E[s]^2 - 3
            rows["kurtosis_s"].append(3 * (s.pow(2).mean() / s.mean() ** 2).item() - 3)
            rows["kurtosis_theory"].append(3 * ((1 + 5 / n) ** l - 1))
            rows["corr"].append(torch.corrcoef(f.T)[0, 1].item())
            rows["median_s"].append((s.median() / nngp[0][0][0]).item())
        for key in keys:
            out[key].append(rows[key])
    # how close the measured kurtosis is to the theory where the theory is small
    errors = [abs(m / t - 1) for mr, tr in zip(out["kurtosis_s"], out["kurtosis_theory"])
              for m, t in zip(mr, tr) if t < KURTOSIS_SMALL]
    out["kurtosis_small"] = {"below": KURTOSIS_SMALL, "cells": len(errors), "max_error": max(errors)}
    # where it is large: how often the estimate falls short, and the worst case
    large = [(m / t, n, l) for n, mr, tr in zip(GP_WIDTHS, out["kurtosis_s"], out["kurtosis_theory"])
             for l, m, t in zip(GP_DEPTHS, mr, tr) if t >= KURTOSIS_SMALL]
    worst = min(large)
    over = max(large)
    out["kurtosis_large"] = {"cells": len(large), "tolerance": KURTOSIS_TOLERANCE,
                             "short": sum(r < 1 - KURTOSIS_TOLERANCE for r, _, _ in large),
                             "over": sum(r > 1 + KURTOSIS_TOLERANCE for r, _, _ in large),
                             "worst_ratio": worst[0], "worst_width": worst[1], "worst_depth": worst[2],
                             "over_ratio": over[0], "over_width": over[1], "over_depth": over[2]}
    return out


def _slope(widths: list, values: list) -> float:
    """Least-squares slope of log(value) against log(width)."""
    return float(np.polyfit(np.log(widths), np.log(values), 1)[0])


def _coord_results() -> dict:
    out = {"widths": COORD_WIDTHS, "seeds": COORD_SEEDS, "lr": COORD_LR, "base": BASE,
           "fit_widths": COORD_WIDTHS[COORD_FIT_FROM:],
           "theory": COORD_THEORY, "change": {}, "slope": {}, "growth": {}}
    for param, optimizer in COORD_ARMS:
        key = f"{optimizer}_{param}"
        runs = np.array([[one_step_change(param, optimizer, n, COORD_LR[optimizer], seed)
                          for seed in COORD_SEEDS] for n in COORD_WIDTHS])
        change = np.median(runs, axis=1)  # (widths, layers)
        out["change"][key] = change.T.tolist()
        # the slope without the two narrowest widths, where the leading order dominates
        out["slope"][key] = {name: _slope(COORD_WIDTHS[COORD_FIT_FROM:], change[COORD_FIT_FROM:, i])
                             for i, name in enumerate(LAYERS)}
        # growth over the fitted widths (the narrowest widths carry finite-width terms and noise)
        out["growth"][key] = {name: change[-1, i] / change[COORD_FIT_FROM, i]
                              for i, name in enumerate(LAYERS)}
    return out


def _transfer_results() -> dict:
    out = {"widths": TRANSFER_WIDTHS, "seeds": SEEDS, "exponents": TRANSFER_EXPONENTS,
           "base": BASE, **_defaults(train_adam)}
    for param, exponents in TRANSFER_EXPONENTS.items():
        lrs = [2.0**k for k in exponents]
        arm = {"median": [], "min": [], "max": [], "best_log2": [], "best_median": [],
               "at_base_best": [], "neighbour_gap": []}
        for n in TRANSFER_WIDTHS:
            losses = train_adam(param, n, lrs, SEEDS)
            median = losses.median(dim=1).values
            best = int(median.argmin())
            arm["median"].append(median.tolist())
            arm["min"].append(losses.min(dim=1).values.tolist())
            arm["max"].append(losses.max(dim=1).values.tolist())
            arm["best_log2"].append(exponents[best])
            arm["best_median"].append(median[best].item())
            # how much worse the better of the two neighbouring rates is: the optimum's margin
            neighbours = [median[i].item() for i in (best - 1, best + 1) if 0 <= i < len(lrs)]
            arm["neighbour_gap"].append(min(neighbours) / median[best].item() - 1)
        out[param] = arm
    # tune at the base width, then train every width at that learning rate
    base_best = out["sp"]["best_log2"][0]
    out["base_best_log2"] = base_best
    for param, exponents in TRANSFER_EXPONENTS.items():
        i = exponents.index(base_best)
        arm = out[param]
        arm["at_base_best"] = [m[i] for m in arm["median"]]
        arm["at_base_best_ratio"] = [a / b for a, b in zip(arm["at_base_best"], arm["best_median"])]
    out["best_log2"] = {p: out[p]["best_log2"] for p in TRANSFER_EXPONENTS}
    hidden = {"widths": HIDDEN_WIDTHS, "exponents": HIDDEN_EXPONENTS, "hidden_layers": 2}
    lrs = [2.0**k for k in HIDDEN_EXPONENTS]
    for param in ["mup", "mup_sp_hidden"]:
        arm = {"median": [], "best_log2": []}
        for n in HIDDEN_WIDTHS:
            if n == BASE and param != "mup":  # the same network as muP at the base width
                arm["median"].append(hidden["mup"]["median"][0])
                arm["best_log2"].append(hidden["mup"]["best_log2"][0])
                continue
            median = train_adam(param, n, lrs, SEEDS, hidden_layers=2).median(dim=1).values
            arm["median"].append(median.tolist())
            arm["best_log2"].append(HIDDEN_EXPONENTS[int(median.argmin())])
        base = HIDDEN_EXPONENTS.index(arm["best_log2"][0])
        arm["at_base_best_ratio"] = [m[base] / min(m) for m in arm["median"]]
        hidden[param] = arm
    out["hidden"] = hidden
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    return {"gp": _gp_results(), "coord": _coord_results(), "transfer": _transfer_results()}


LABELS = {
    "en": {
        "width": "hidden width n",
        "kurtosis": "excess kurtosis of the output",
        "depth": "L = {l} hidden layers",
        "theory": "theory 3((1 + 5/n)^L − 1)",
        "change": "RMS change after one step",
        "h1": "first hidden layer",
        "h2": "second hidden layer",
        "logits": "logits",
        "sgd_sp": "SGD, standard",
        "sgd_ntk": "SGD, NTK",
        "sgd_mup": "SGD, µP",
        "adam_sp": "Adam, standard",
        "adam_mup": "Adam, µP",
        "lr": "learning rate (Adam)",
        "loss": "training loss, median of {n} seeds",
        "sp": "standard parametrization",
        "mup": "µP",
        "width_n": "n = {n}",
    },
    "zh": {
        "width": "隐藏层宽度n",
        "kurtosis": "输出的超额峰度",
        "depth": "L = {l}个隐藏层",
        "theory": "理论值3((1 + 5/n)^L − 1)",
        "change": "一步后的均方根变化量",
        "h1": "第一隐藏层",
        "h2": "第二隐藏层",
        "logits": "logits",
        "sgd_sp": "SGD，标准参数化",
        "sgd_ntk": "SGD，NTK参数化",
        "sgd_mup": "SGD，µP",
        "adam_sp": "Adam，标准参数化",
        "adam_mup": "Adam，µP",
        "lr": "学习率（Adam）",
        "loss": "训练损失，{n}个随机种子的中位数",
        "sp": "标准参数化",
        "mup": "µP",
        "width_n": "n = {n}",
    },
}

ARM_STYLE = {"sgd_sp": ("C3", "-"), "sgd_ntk": ("C2", "-"), "sgd_mup": ("C0", "-"),
             "adam_sp": ("C3", "--"), "adam_mup": ("C0", "--")}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Excess kurtosis of the output against width, per depth
    g = res["gp"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    dense = np.geomspace(g["widths"][0], g["widths"][-1], 100)
    for j, l in enumerate(g["depths"]):
        measured = [row[j] for row in g["kurtosis_s"]]
        ax.plot(g["widths"], measured, "o", color=f"C{j}", label=L["depth"].format(l=l))
        ax.plot(dense, 3 * ((1 + 5 / dense) ** l - 1), color=f"C{j}", linewidth=1)
    ax.plot([], [], color="C7", linewidth=1, label=L["theory"])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(g["widths"], [str(n) for n in g["widths"]])
    ax.set_xlabel(L["width"])
    ax.set_ylabel(L["kurtosis"])
    ax.legend(fontsize="small")
    figs["gp"] = fig

    # The coordinate check: one step's change per layer against width
    c = res["coord"]
    fig, grid = plt.subplots(2, 2, figsize=(6.4, 6.0), layout="constrained")
    axes = [grid[0, 0], grid[0, 1], grid[1, 0]]  # one panel per layer; the fourth holds the legend
    for i, (ax, layer) in enumerate(zip(axes, LAYERS)):
        for key, (color, style) in ARM_STYLE.items():
            ax.plot(c["widths"], c["change"][key][i], color=color, linestyle=style, marker=".",
                    label=L[key])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(c["widths"][::2], [str(n) for n in c["widths"][::2]])
        ax.set_title(L[layer], fontsize="medium")
        ax.set_xlabel(L["width"])
    axes[0].set_ylabel(L["change"])
    axes[2].set_ylabel(L["change"])
    grid[1, 1].axis("off")
    grid[1, 1].legend(*axes[0].get_legend_handles_labels(), fontsize="small", loc="center")
    figs["coord"] = fig

    # Training loss against learning rate, per width, in each parametrization
    t = res["transfer"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.8), layout="constrained", sharex=True, sharey=True)
    colors = [f"C{i}" for i in range(len(t["widths"]))]  # theme colours: readable in both schemes
    for ax, param in zip(axes, ["sp", "mup"]):
        lrs = [2.0**k for k in t["exponents"][param]]
        for n, median, color, best in zip(t["widths"], t[param]["median"], colors,
                                          t[param]["best_log2"]):
            ax.plot(lrs, median, color=color, marker=".", label=L["width_n"].format(n=n))
            ax.plot(2.0**best, min(median), "*", color=color, markersize=11)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_ylim(top=3)
        ax.set_title(L[param], fontsize="medium")
        ax.set_xlabel(L["lr"])
    axes[0].set_ylabel(L["loss"].format(n=len(t["seeds"])))
    axes[1].legend(fontsize="small")
    figs["transfer"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
