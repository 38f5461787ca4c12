# %% [markdown] lang="en"
# # Misconceptions
#
# The notebook of the page [*Misconceptions*]({{ page_url }}) of *Why N(0, 1)?*: eight popular claims
# about the standard normal distribution in deep learning, each with one short check. Each section
# below runs the check of one claim and prints what it found; the last cell computes every number the
# page quotes and draws its figure ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 常见误区
#
# 这是《为什么是N(0, 1)？》中[常见误区]({{ page_url }})一页的笔记本：关于深度学习中标准正态分布的八条流行说法，
# 每条配一个简短的检验。下面每一节运行其中一条说法的检验，并打印检验结果；最后一个代码单元计算该页引用的全部数字，
# 并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## `torch.randn` as initialization
#
# A stack of {{ misconceptions.randn_init.n_layers }} layers of width {{ misconceptions.randn_init.width }} without
# activations, on unit-variance inputs, once with weights from `torch.randn` and once with the same
# kind of weights divided by sqrt({{ misconceptions.randn_init.width }}) = 28. The cell prints the standard
# deviation after each layer: with N(0, 1) weights it is {{ misconceptions.randn_init.first_std | fixed(1) }}
# after one layer and grows by a factor of {{ misconceptions.randn_init.factor_per_layer | fixed(1) }} per layer,
# to {{ misconceptions.randn_init.last_std | sci(2) }}, while the scaled weights keep it at
# {{ misconceptions.randn_init.scaled_last_std | fixed(3) }} ({{ fig("scale_per_layer") }}, left). It also puts a
# tanh after the tutorial's `randn(784, 256)` layer: {{ misconceptions.randn_init.tanh_saturated | pct(1) }} of
# the units output more than 0.99 in absolute value, saturated, so almost no gradient reaches their
# weights. Xavier and Kaiming initialization are not refinements of `torch.randn` but its correction: a
# division by the square root of a fan.

# %% [markdown] lang="zh"
# ## 用`torch.randn`初始化
#
# 考察一个{{ misconceptions.randn_init.n_layers }}层、宽度为{{ misconceptions.randn_init.width }}、不带激活函数的堆叠，
# 输入的方差为1；权重一次直接取`torch.randn`，一次取同样的权重再除以sqrt({{ misconceptions.randn_init.width }}) = 28。
# 代码打印每一层之后的标准差：权重取N(0, 1)时，第一层之后为{{ misconceptions.randn_init.first_std | fixed(1) }}，
# 此后每层放大{{ misconceptions.randn_init.factor_per_layer | fixed(1) }}倍，
# 最终达到{{ misconceptions.randn_init.last_std | sci(2) }}；
# 而缩放后的权重让它保持在{{ misconceptions.randn_init.scaled_last_std | fixed(3) }}（{{ fig("scale_per_layer") }}
# 左图）。代码还在教程自己的`randn(784, 256)`层后面接一个tanh：
# 有{{ misconceptions.randn_init.tanh_saturated | pct(1) }}的单元输出的绝对值超过0.99，已经饱和，
# 几乎没有梯度能到达它们的权重。Xavier初始化和Kaiming初始化并不是对`torch.randn`的改进，而是对它的纠正：除以扇入（或扇出）的平方根。

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

# %% [markdown] lang="en"
# ## "BatchNorm makes activations standard normal"
#
# ReLU outputs, half of them exactly zero, go through `nn.BatchNorm1d` in training mode as one batch
# of {{ misconceptions.bn_standard_normal.n | fixed(0) }} samples. The cell prints that afterwards every unit
# has a mean within {{ misconceptions.bn_standard_normal.max_abs_mean_bound | sci(0) }} of 0 and a standard
# deviation of {{ misconceptions.bn_standard_normal.mean_std | fixed(4) }}, but the skewness is
# {{ misconceptions.bn_standard_normal.skew_in | fixed(3) }} before and {{ misconceptions.bn_standard_normal.skew_out | fixed(3) }}
# after (0 for a normal distribution), and {{ misconceptions.bn_standard_normal.share_at_min_out | pct(1) }} of
# the outputs still share one value, the image of the zeros. Within one batch BatchNorm subtracts one
# number and divides by another: it sets the mean and the variance and keeps the shape.

# %% [markdown] lang="zh"
# ## “BatchNorm让激活值服从标准正态分布”
#
# 把一半恰好为0的ReLU输出作为一个含{{ misconceptions.bn_standard_normal.n | fixed(0) }}个样本的批量，
# 送进训练模式下的`nn.BatchNorm1d`。代码打印的结果是：归一化之后，
# 每个单元的均值与0相差不超过{{ misconceptions.bn_standard_normal.max_abs_mean_bound | sci(0) }}，
# 标准差为{{ misconceptions.bn_standard_normal.mean_std | fixed(4) }}；
# 但偏度在归一化前为{{ misconceptions.bn_standard_normal.skew_in | fixed(3) }}，
# 归一化后为{{ misconceptions.bn_standard_normal.skew_out | fixed(3) }}（正态分布为0），
# 而且仍有{{ misconceptions.bn_standard_normal.share_at_min_out | pct(1) }}的输出取同一个值，也就是原来那些0变换后的值。
# 在一个批量之内，BatchNorm只是减去一个数、再除以另一个数：它设定均值和方差，形状则原样保留。

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

# %% [markdown] lang="en"
# ## "BatchNorm works by removing internal covariate shift"
#
# Four sigmoid networks of {{ misconceptions.covariate_shift.depth }} layers of width {{ misconceptions.covariate_shift.width }},
# trained for {{ misconceptions.covariate_shift.steps }} full-batch SGD steps (momentum 0.9) on
# {{ misconceptions.covariate_shift.n }} digits: without BatchNorm at PyTorch's default initialization, without
# BatchNorm but initialized for the sigmoid, with BatchNorm, and with BatchNorm followed by a random
# scale and shift redrawn at every step, so that the layers' inputs drift more than without BatchNorm
# (Santurkar et al. 2018). For each learning rate of {{ misconceptions.covariate_shift.lrs | join(", ") }} the cell
# prints the training accuracy and the drift, how far the batch mean of the last sigmoid's input moves
# per step; it runs one seed, while the full run uses {{ misconceptions.covariate_shift.seeds | length }} and gives
# each network the rate with the lowest mean final training loss. There the noisy network drifts
# {{ misconceptions.covariate_shift.noisy_bn.shift_mean | fixed(2) }} per step and still fits
# {{ misconceptions.covariate_shift.noisy_bn.acc_mean | pct(1) }} of its training digits on average, the network
# initialized for the sigmoid drifts {{ (misconceptions.covariate_shift.sigmoid_init.shift_mean / misconceptions.covariate_shift.bn.shift_mean) | fixed(0) }}
# times as much as the BatchNorm network and fits {{ misconceptions.covariate_shift.sigmoid_init.acc_mean | pct(1) }},
# and the default network stays at chance level (at most {{ misconceptions.covariate_shift.default.max_acc_any_lr | pct(1) }}).
# The amount of drift does not predict which network trains.

# %% [markdown] lang="zh"
# ## “BatchNorm靠消除内部协变量偏移起作用”
#
# 四个{{ misconceptions.covariate_shift.depth }}层、宽度{{ misconceptions.covariate_shift.width }}的sigmoid网络，
# 在{{ misconceptions.covariate_shift.n }}个手写数字上做{{ misconceptions.covariate_shift.steps }}步全批量梯度下降（动量
# 0.9）：不用BatchNorm，采用PyTorch默认初始化；不用BatchNorm，采用为sigmoid设计的初始化；用BatchNorm；
# 以及在BatchNorm之后加上每一步都重新抽取的随机缩放和平移，
# 使各层的输入比不用BatchNorm时漂移得更厉害（Santurkar et al. 2018）。
# 对{{ misconceptions.covariate_shift.lrs | join("、") }}中的每个学习率，代码打印训练准确率和漂移，
# 即最后一个sigmoid输入的批量均值每步移动多少；这里只用一个随机种子，
# 完整实验则用{{ misconceptions.covariate_shift.seeds | length }}个，并为每个网络选取平均最终训练损失最低的学习率。
# 在完整实验中，加噪声的网络每步漂移{{ misconceptions.covariate_shift.noisy_bn.shift_mean | fixed(2) }}，
# 平均训练准确率仍有{{ misconceptions.covariate_shift.noisy_bn.acc_mean | pct(1) }}；
# 采用sigmoid初始化的网络漂移约为BatchNorm网络的
# {{ (misconceptions.covariate_shift.sigmoid_init.shift_mean / misconceptions.covariate_shift.bn.shift_mean) | fixed(0) }}
# 倍，训练准确率为{{ misconceptions.covariate_shift.sigmoid_init.acc_mean | pct(1) }}；
# 默认初始化的网络则停留在随机猜测的水平（最多{{ misconceptions.covariate_shift.default.max_acc_any_lr | pct(1) }}）。
# 漂移的大小并不能预示哪个网络能训练起来。

# %%
# --8<-- [start:covariate_shift]
import math

import torch
from sklearn.datasets import load_digits
from torch.nn import functional as F


def drift_runs(
    arm: str, lrs: tuple = (0.1, 0.3, 1.0, 3.0), seeds: tuple = (0, 1, 2, 3, 4),
    depth: int = 6, width: int = 32, steps: int = 40, n: int = 200,
) -> dict:
    """Full-batch SGD (momentum 0.9) on n digits, a sigmoid network of `depth`
    layers, for every (seed, learning rate) at once. arm: 'default' (no
    BatchNorm, nn.Linear's default init), 'sigmoid_init' (no BatchNorm, weights
    N(0, 16 / fan_in) and a bias that subtracts the sigmoids' mean 1/2), 'bn',
    'noisy_bn' (after every BatchNorm a fresh random scale in [1/2, 2] and shift
    ~ N(0, 1) per unit at every step). Returns per run the final training loss
    and accuracy, the mean step-to-step change of the batch mean of the last
    sigmoid's input, per unit, and of the batch mean and batch std of its output
    (the next layer's input, which BatchNorm does not pin)."""
    X, y = load_digits(return_X_y=True)
    X = torch.tensor((X[:n] - X[:n].mean()) / X[:n].std(), dtype=torch.float32)
    y = torch.tensor(y[:n])
    runs = [(s, lr) for s in seeds for lr in lrs]
    R, norm = len(runs), arm in ("bn", "noisy_bn")
    Ws, bs = [], []
    for i in range(depth + 1):
        fan_in, fan_out = (64 if i == 0 else width), (10 if i == depth else width)
        W, b = [], []
        for s, _ in runs:  # the same seed, the same initial weights
            g = torch.Generator().manual_seed(100 * s + i)
            bound = 1 / math.sqrt(fan_in)  # nn.Linear's default: U(-bound, bound)
            w_i = (2 * torch.rand(fan_in, fan_out, generator=g) - 1) * bound
            b_i = (2 * torch.rand(fan_out, generator=g) - 1) * bound
            if arm == "sigmoid_init" and i < depth:
                w_i = 4 * bound * torch.randn(fan_in, fan_out, generator=g)
                b_i = -0.5 * w_i.sum(0) if i > 0 else torch.zeros(fan_out)
            W.append(w_i)
            b.append(b_i)
        Ws.append(torch.stack(W).requires_grad_())
        bs.append(torch.stack(b)[:, None].requires_grad_())
    gamma = [torch.ones(R, 1, width, requires_grad=True) for _ in range(depth)]
    beta = [torch.zeros(R, 1, width, requires_grad=True) for _ in range(depth)]
    params = Ws + bs[-1:] + gamma + beta if norm else Ws + bs
    velocity = [torch.zeros_like(p) for p in params]  # SGD's momentum buffers
    lr = torch.tensor([lr for _, lr in runs]).view(R, 1, 1)
    noise = torch.Generator().manual_seed(0)

    def forward(train: bool):
        h = X.expand(R, -1, -1)
        for i in range(depth):
            if norm:  # batch statistics; the R nets' units side by side
                z = F.batch_norm((h @ Ws[i]).transpose(0, 1).reshape(n, -1), None,
                                 None, gamma[i].view(-1), beta[i].view(-1), training=True)
                z = z.view(n, R, width).transpose(0, 1)
                if arm == "noisy_bn" and train:
                    scale = torch.empty(R, 1, width).uniform_(0.5, 2, generator=noise)
                    z = z * scale + torch.randn(R, 1, width, generator=noise)
            else:
                z = torch.baddbmm(bs[i], h, Ws[i])
            h = torch.sigmoid(z)
        return torch.baddbmm(bs[-1], h, Ws[-1]), z, h

    shifts, out_shifts, std_shifts, last = [], [], [], None
    for _ in range(steps):
        logits, z, h = forward(train=True)
        now = z.detach().mean(1), h.detach().mean(1), h.detach().std(1)
        if last is not None:  # per unit, then the mean over units
            shifts.append((now[0] - last[0]).abs().mean(1))
            out_shifts.append((now[1] - last[1]).abs().mean(1))
            std_shifts.append((now[2] - last[2]).abs().mean(1))
        last = now
        loss = F.cross_entropy(logits.transpose(1, 2), y.expand(R, -1))
        grads = torch.autograd.grad(loss * R, params)  # each run's own gradient
        with torch.no_grad():
            for p, g, v in zip(params, grads, velocity):
                v.mul_(0.9).add_(g)
                p.sub_(lr * v)
    with torch.no_grad():  # no noise; batch statistics of all n digits
        logits, _, _ = forward(train=False)
        loss = F.cross_entropy(logits.transpose(1, 2), y.expand(R, -1),
                               reduction="none").mean(1)
        acc = (logits.argmax(2) == y).float().mean(1)
    return {"runs": runs, "train_loss": loss.tolist(), "train_acc": acc.tolist(),
            "shift_per_step": torch.stack(shifts).mean(0).tolist(),
            "out_mean_shift_per_step": torch.stack(out_shifts).mean(0).tolist(),
            "out_std_shift_per_step": torch.stack(std_shifts).mean(0).tolist()}


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: one thread is faster
    for arm in ["default", "sigmoid_init", "bn", "noisy_bn"]:
        r = drift_runs(arm, seeds=(0,))  # the page uses five seeds
        for lr in (0.1, 0.3, 1.0, 3.0):
            i = [k for k, (_, l) in enumerate(r["runs"]) if l == lr]
            acc = sum(r["train_acc"][k] for k in i) / len(i)
            shift = sum(r["shift_per_step"][k] for k in i) / len(i)
            print(f"{arm:12s} lr {lr:3}: training accuracy {acc:.1%}, "
                  f"last sigmoid's input moves {shift:.4f} per step")
# --8<-- [end:covariate_shift]

# %% [markdown] lang="en"
# ## "Networks need Gaussian features"
#
# After `StandardScaler` the 8×8 digits are far from normal: {{ misconceptions.gaussian_features.share_at_min | pct(1) }}
# of all values sit exactly at their pixel's minimum (blank paper), and the median absolute skewness
# of the pixels is {{ misconceptions.gaussian_features.median_abs_skew | fixed(2) }} (0 for a normal distribution).
# A quantile transform pushes the pixels toward a Gaussian shape as far as it can: the median absolute
# skewness falls to {{ misconceptions.gaussian_features.quantile_median_abs_skew | fixed(2) }}, but tied values stay
# tied. The cell trains a small MLP (64 → 32 ReLU units → 10, Adam) on both inputs with
# {{ misconceptions.gaussian_features.seeds | length }} seeds and prints the range of test accuracies, at the
# learning rate 0.01 only; the full run picks each input's rate from
# {{ misconceptions.gaussian_features.lrs | join(", ") }} on a validation fifth of the training split
# ({{ misconceptions.gaussian_features.standardized.best_lr }} and {{ misconceptions.gaussian_features.quantile.best_lr }}).
# There the mean test accuracy is {{ misconceptions.gaussian_features.standardized.acc_mean | pct(1) }} for the
# standardized pixels and {{ misconceptions.gaussian_features.quantile.acc_mean | pct(1) }} after the quantile
# transform: the Gaussian shape does not help.

# %% [markdown] lang="zh"
# ## “网络需要高斯分布的特征”
#
# 经过`StandardScaler`之后，8×8手写数字的像素离正态分布差得很远：
# 所有取值中有{{ misconceptions.gaussian_features.share_at_min | pct(1) }}恰好落在所在像素的最小值上（白纸），
# 各像素偏度绝对值的中位数为{{ misconceptions.gaussian_features.median_abs_skew | fixed(2) }}（正态分布为0）。
# 分位数变换把像素尽量推向高斯形状：偏度绝对值的中位数降到
# {{ misconceptions.gaussian_features.quantile_median_abs_skew | fixed(2) }}，但相等的取值依旧相等。
# 代码在两种输入上各训练一个小型多层感知机（MLP，64 → 32个ReLU单元 → 10，用Adam训练），
# 用{{ misconceptions.gaussian_features.seeds | length }}个随机种子，打印测试准确率的范围；这里只用学习率0.01，
# 完整实验则在{{ misconceptions.gaussian_features.lrs | join("、") }}中，
# 按训练集里留出的五分之一验证数据为每种输入选取学习率（分别为
# {{ misconceptions.gaussian_features.standardized.best_lr }}和
# {{ misconceptions.gaussian_features.quantile.best_lr }}）。在完整实验中，
# 标准化像素的平均测试准确率为{{ misconceptions.gaussian_features.standardized.acc_mean | pct(1) }}，
# 分位数变换后为{{ misconceptions.gaussian_features.quantile.acc_mean | pct(1) }}：高斯形状并没有帮助。

# %%
# --8<-- [start:gaussian_features]
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from torch import nn
from torch.nn import functional as F


def mlp_accuracy(A_tr, y_tr, evals, lr: float = 0.01, epochs: int = 10,
                 batch_size: int = 128, seeds: tuple = (0, 1, 2, 3, 4)) -> list:
    """A 64 -> 32 (ReLU) -> 10 MLP per seed, mini-batch Adam, all seeds at once:
    Adam's update is elementwise, so one optimizer over the stacked weights trains
    every seed's network on its own. Accuracy on each (A, y) of evals, per seed."""
    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        nets.append(nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)))
    params = [torch.stack([net[i].weight.detach().T for net in nets]) for i in (0, 2)]
    params += [torch.stack([net[i].bias.detach() for net in nets])[:, None] for i in (0, 2)]
    W1, W2, b1, b2 = (p.requires_grad_() for p in params)
    opt = torch.optim.Adam([W1, W2, b1, b2], lr=lr)

    def logits(a):  # a: (seeds, batch, 64)
        return torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, a, W1)), W2)

    A, y = torch.tensor(A_tr, dtype=torch.float32), torch.tensor(y_tr)
    orders = [torch.Generator().manual_seed(seed) for seed in seeds]
    for _ in range(epochs):  # each seed its own order of mini-batches
        perm = torch.stack([torch.randperm(len(A), generator=g) for g in orders])
        for idx in perm.split(batch_size, 1):
            opt.zero_grad()
            loss = F.cross_entropy(logits(A[idx]).transpose(1, 2), y[idx])
            (loss * len(seeds)).backward()  # the mean over seeds: each its own gradient
            opt.step()
    with torch.no_grad():
        return [(logits(torch.tensor(a, dtype=torch.float32).expand(len(seeds), -1, -1))
                 .argmax(2).numpy() == b).mean(1).tolist() for a, b in evals]


def gaussian_features(lrs: tuple = (0.003, 0.01, 0.03)) -> dict:
    """Standardized vs quantile-transformed (to a normal shape) digits. Each gets
    its own Adam learning rate: the best mean accuracy on a validation fifth of
    the training split; then test accuracy at that rate, per seed."""
    X, y = load_digits(return_X_y=True)
    X_rest, X_te, y_rest, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    X_tr, X_va, y_tr, y_va = train_test_split(
        X_rest, y_rest, test_size=0.2, stratify=y_rest, random_state=0)
    std = StandardScaler().fit(X_tr)
    qt = QuantileTransformer(output_distribution="normal", n_quantiles=500,
                             random_state=0).fit(X_tr)
    S, Q = std.transform(X_tr), qt.transform(X_tr)
    varies = X_tr.std(0) > 0  # pixels that are not blank on every image
    skew = (S[:, varies] ** 3).mean(0)  # columns have mean 0, std 1
    Qv = Q[:, varies]
    q_skew = (((Qv - Qv.mean(0)) / Qv.std(0)) ** 3).mean(0)
    out = {"median_abs_skew": np.median(np.abs(skew)).item(),
           "share_at_min": (S == S.min(0)).mean().item(),
           # the quantile transform keeps ties tied: it reshapes, it cannot make them normal
           "quantile_median_abs_skew": np.median(np.abs(q_skew)).item(),
           "quantile_share_at_min": (Q == Q.min(0)).mean().item()}
    for name, f in [("standardized", std.transform), ("quantile", qt.transform)]:
        A_tr, evals = f(X_tr), [(f(X_va), y_va), (f(X_te), y_te)]
        runs = [mlp_accuracy(A_tr, y_tr, evals, lr) for lr in lrs]
        best = max(range(len(lrs)), key=lambda i: np.mean(runs[i][0]))
        out[name] = {"best_lr": lrs[best], "test_acc": runs[best][1],
                     "val_mean": [np.mean(r[0]).item() for r in runs]}
    return out


if __name__ == "__main__":
    r = gaussian_features(lrs=(0.01,))  # the page also tries 0.003 and 0.03
    print(f"standardized pixels: median |skewness| {r['median_abs_skew']:.2f}, "
          f"{r['share_at_min']:.1%} of values at their pixel's minimum")
    print(f"quantile-transformed: median |skewness| {r['quantile_median_abs_skew']:.2f}, "
          f"{r['quantile_share_at_min']:.1%} of values at their pixel's minimum")
    for name in ["standardized", "quantile"]:
        acc = r[name]["test_acc"]
        print(f"{name:12s}: Adam lr {r[name]['best_lr']}, test accuracy "
              f"{min(acc):.1%} to {max(acc):.1%} over {len(acc)} seeds")
# --8<-- [end:gaussian_features]

# %% [markdown] lang="en"
# ## "Maximum likelihood assumes normality"
#
# For four likelihoods the cell compares, sample by sample in float64, the negative log-likelihood from
# `torch.distributions` with the familiar loss: a Gaussian with unit variance gives the squared error
# plus a constant, a Laplace distribution with unit scale the L1 loss plus a constant, a Bernoulli
# distribution binary cross-entropy, and a categorical distribution cross-entropy. The largest
# difference is {{ misconceptions.mle_normality.max_gap | sci(0) }}, float64 rounding. The choice of family
# changes the answer: on one skewed (exponential) sample the best constant under the Gaussian
# likelihood is the mean, {{ misconceptions.mle_normality.fit_normal | fixed(3) }}, and under the Laplace
# likelihood the median, {{ misconceptions.mle_normality.fit_laplace | fixed(3) }}.

# %% [markdown] lang="zh"
# ## “最大似然估计假设正态分布”
#
# 代码对四种似然，用float64逐个样本比较`torch.distributions`给出的负对数似然与熟悉的损失函数：
# 方差为1的高斯分布给出平方误差加一个常数，尺度为1的拉普拉斯分布给出L1损失加一个常数，伯努利分布给出二元交叉熵，
# 类别分布给出交叉熵。最大的差异为{{ misconceptions.mle_normality.max_gap | sci(0) }}，只是float64的舍入误差。
# 分布族的选择会改变答案：在同一个偏斜的（指数分布）样本上，
# 高斯似然下最优的常数是均值{{ misconceptions.mle_normality.fit_normal | fixed(3) }}，
# 拉普拉斯似然下则是中位数{{ misconceptions.mle_normality.fit_laplace | fixed(3) }}。

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

# %% [markdown] lang="en"
# ## The sweet-spot table
#
# A popular table puts the "sweet spot" of sigmoid at (−2, 2), of tanh at (−1, 1) and of ReLU at
# (0, +∞). For each activation the cell prints the peak slope, the slope at the window's edge as a
# share of the peak, the share of N(0, 1) inside the window, and the mean and root-mean-square slope
# for N(0, 1) inputs. Sigmoid and tanh both keep {{ misconceptions.sweet_spot_table.sigmoid.edge_over_peak | pct(0) }}
# of their peak slope at the edge, but sigmoid's peak is only {{ misconceptions.sweet_spot_table.sigmoid.peak | fixed(2) }}:
# its mean slope is {{ misconceptions.sweet_spot_table.sigmoid.mean_slope | fixed(3) }}, against
# {{ misconceptions.sweet_spot_table.tanh.mean_slope | fixed(3) }} for tanh. Only
# {{ misconceptions.sweet_spot_table.tanh.share_inside | pct(1) }} of N(0, 1) falls inside tanh's window, against
# {{ misconceptions.sweet_spot_table.sigmoid.share_inside | pct(1) }} inside sigmoid's, and ReLU passes gradient
# for {{ misconceptions.sweet_spot_table.relu.share_inside | pct(1) }} of N(0, 1) inputs whatever their scale.

# %% [markdown] lang="zh"
# ## “甜点区”表格
#
# 一张流行的表格把sigmoid的“甜点区”定为(−2, 2)，tanh为(−1, 1)，ReLU为(0, +∞)。代码对每个激活函数打印峰值斜率、
# 区间边缘处斜率占峰值的比例、N(0, 1)落在区间内的比例，以及N(0, 1)输入下的平均斜率和均方根斜率。在区间边缘，
# sigmoid和tanh的斜率都是各自峰值的{{ misconceptions.sweet_spot_table.sigmoid.edge_over_peak | pct(0) }}，
# 但sigmoid的峰值斜率只有{{ misconceptions.sweet_spot_table.sigmoid.peak | fixed(2) }}：
# 它的平均斜率为{{ misconceptions.sweet_spot_table.sigmoid.mean_slope | fixed(3) }}，
# tanh则为{{ misconceptions.sweet_spot_table.tanh.mean_slope | fixed(3) }}。
# N(0, 1)只有{{ misconceptions.sweet_spot_table.tanh.share_inside | pct(1) }}落在tanh的区间内，
# 落在sigmoid区间内的则有{{ misconceptions.sweet_spot_table.sigmoid.share_inside | pct(1) }}；而无论尺度如何，
# ReLU都让{{ misconceptions.sweet_spot_table.relu.share_inside | pct(1) }}的N(0, 1)输入传回梯度。

# %%
# --8<-- [start:sweet_spot_table]
import math

import torch


def sweet_spots() -> dict:
    """Peak slope, slope at the seed's window edge over the peak, share of
    N(0, 1) inside the window, mean slope E[f'(z)] and root-mean-square slope
    sqrt(E[f'(z)^2]) for z ~ N(0, 1). The mean square, not the mean, sets how
    a layer changes the gradient's norm."""
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
            "rms_slope": math.sqrt((pdf * d**2).sum().item() * dx),
        }
    return out


if __name__ == "__main__":
    for name, r in sweet_spots().items():
        print(f"{name:7s}: peak slope {r['peak']:.3f}, slope at the window edge "
              f"{r['edge_over_peak']:.0%} of the peak, N(0, 1) inside "
              f"{r['share_inside']:.1%}, mean slope {r['mean_slope']:.3f}, "
              f"rms slope {r['rms_slope']:.3f}")
# --8<-- [end:sweet_spot_table]

# %% [markdown] lang="en"
# ## "PyTorch's `nn.Linear` uses Kaiming initialization"
#
# `nn.Linear` does call `kaiming_uniform_`, but with `a=math.sqrt(5)`, which uses leaky ReLU's gain
# 1/√3 instead of ReLU's √2. The cell prints that a fresh `nn.Linear(784, 256)` has weights of standard
# deviation {{ misconceptions.linear_kaiming.std | fixed(4) }}, which is 1/sqrt(3 · 784) =
# {{ misconceptions.linear_kaiming.std_formula | fixed(4) }}, while Kaiming initialization for ReLU has
# sqrt(2/784) = {{ misconceptions.linear_kaiming.kaiming_std | fixed(4) }}: the default has
# {{ misconceptions.linear_kaiming.var_over_kaiming | fixed(3) }} of Kaiming's variance, a sixth. In a stack of
# {{ misconceptions.linear_kaiming.depth }} ReLU layers of width {{ misconceptions.linear_kaiming.width }} without biases,
# the default shrinks the pre-activation std by a factor of {{ misconceptions.linear_kaiming.factor_per_layer | fixed(3) }}
# per layer, from {{ misconceptions.linear_kaiming.default[0] | fixed(2) }} to {{ misconceptions.linear_kaiming.default[-1] | sci(1) }},
# while with Kaiming weights it stays between {{ misconceptions.linear_kaiming.kaiming_min | fixed(2) }} and
# {{ misconceptions.linear_kaiming.kaiming_max | fixed(2) }} ({{ fig("scale_per_layer") }}, right).

# %% [markdown] lang="zh"
# ## “PyTorch的`nn.Linear`默认用Kaiming初始化”
#
# `nn.Linear`确实调用了`kaiming_uniform_`，但参数是`a=math.sqrt(5)`，这使它用的是leaky ReLU的增益1/√3，而不是ReLU的√2。
# 代码打印的结果是：新建的`nn.Linear(784, 256)`权重标准差为{{ misconceptions.linear_kaiming.std | fixed(4) }}，
# 即1/sqrt(3 · 784) = {{ misconceptions.linear_kaiming.std_formula | fixed(4) }}；而针对ReLU的Kaiming初始化，
# 标准差为sqrt(2/784) = {{ misconceptions.linear_kaiming.kaiming_std | fixed(4) }}：
# 默认初始化的方差只有它的{{ misconceptions.linear_kaiming.var_over_kaiming | fixed(3) }}，即六分之一。
# 在{{ misconceptions.linear_kaiming.depth }}层、宽度{{ misconceptions.linear_kaiming.width }}、不带偏置的ReLU堆叠中，
# 默认初始化使预激活值的标准差每层缩小为原来的{{ misconceptions.linear_kaiming.factor_per_layer | fixed(3) }}，
# 从{{ misconceptions.linear_kaiming.default[0] | fixed(2) }}降到
# {{ misconceptions.linear_kaiming.default[-1] | sci(1) }}；改用Kaiming初始化，
# 它则保持在{{ misconceptions.linear_kaiming.kaiming_min | fixed(2) }}到
# {{ misconceptions.linear_kaiming.kaiming_max | fixed(2) }}之间（{{ fig("scale_per_layer") }}右图）。

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

# %% [markdown] lang="en"
# ## "The central limit theorem explains it"
#
# The cell measures excess kurtosis, 0 for a Gaussian. One uniform weight has
# {{ misconceptions.clt.one_weight | fixed(2) }} (−1.2 in theory); the pre-activation w · x of one fixed digit
# image, over {{ misconceptions.clt.draws | fixed(0) }} draws of 64 uniform weights, has
# {{ misconceptions.clt.preact | fixed(3) }}, close to the {{ misconceptions.clt.preact_theory | fixed(3) }} that the
# cumulant formula predicts: over random weights, the sum over a unit's fan-in is close to Gaussian
# even when the weights are not. The breast-cancer feature `area error` has an excess kurtosis of
# {{ misconceptions.clt.feature | fixed(1) }}: the theorem does nothing to the shape of the data.

# %% [markdown] lang="zh"
# ## “中心极限定理解释了一切”
#
# 代码测量超额峰度（高斯分布为0）。单个均匀分布权重的超额峰度为{{ misconceptions.clt.one_weight | fixed(2) }}（理论值
# −1.2）；固定一张手写数字图像，对64个均匀分布权重做{{ misconceptions.clt.draws | fixed(0) }}次抽样，
# 预激活值w · x的超额峰度为{{ misconceptions.clt.preact | fixed(3) }}，
# 与累积量公式预测的{{ misconceptions.clt.preact_theory | fixed(3) }}相差无几：对随机权重而言，
# 一个单元对其扇入的求和接近高斯分布，即使权重本身并不服从高斯分布。
# 乳腺癌数据集的特征`area error`的超额峰度为{{ misconceptions.clt.feature | fixed(1) }}：这个定理丝毫改变不了数据的形状。

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

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every check at the page's full size (all seeds and learning rates) and returns
# every number the page quotes; `figures()` draws the page's figure from them ({{ fig_range }}).

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模（全部随机种子和学习率）运行所有检验，返回页面引用的每一个数字；`figures()`据此画出该页的图
# （{{ fig_range }}）。

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt


COVARIATE_ARMS = ["default", "sigmoid_init", "bn", "noisy_bn"]


def _defaults(*functions) -> dict:
    """The default arguments of the experiments: the settings the page quotes."""
    return {
        name: list(p.default) if isinstance(p.default, tuple) else p.default
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
    """Each arm's sweep, and each arm at its best learning rate (the lowest mean
    final training loss over the seeds: the question is which network trains)."""
    settings = _defaults(drift_runs)
    lrs, seeds = settings["lrs"], settings["seeds"]
    out = {**settings, "arms": COVARIATE_ARMS}
    for arm in COVARIATE_ARMS:
        r = drift_runs(arm)
        at = {run: k for k, run in enumerate(r["runs"])}
        grid = {key: [[r[key][at[s, lr]] for s in seeds] for lr in lrs]
                for key in ["train_loss", "train_acc", "shift_per_step",
                            "out_mean_shift_per_step", "out_std_shift_per_step"]}
        mean = {key: [sum(v) / len(v) for v in grid[key]] for key in grid}
        best = min(range(len(lrs)), key=lambda i: mean["train_loss"][i])
        out[arm] = {
            "sweep_mean_loss": mean["train_loss"],
            "sweep_mean_acc": mean["train_acc"],
            "sweep_mean_shift": mean["shift_per_step"],
            "sweep_acc": grid["train_acc"],  # [lr][seed]
            "sweep_shift": grid["shift_per_step"],
            "max_acc_any_lr": max(max(v) for v in grid["train_acc"]),
            "best_lr": lrs[best],
            "train_acc": grid["train_acc"][best],  # per seed, at the best rate
            "shift": grid["shift_per_step"][best],
            "acc_mean": mean["train_acc"][best],
            "acc_min": min(grid["train_acc"][best]),
            "acc_max": max(grid["train_acc"][best]),
            "shift_mean": mean["shift_per_step"][best],
            "shift_min": min(grid["shift_per_step"][best]),
            "shift_max": max(grid["shift_per_step"][best]),
            "out_mean_shift": mean["out_mean_shift_per_step"][best],
            "out_std_shift": mean["out_std_shift_per_step"][best],
        }
    trained = ["sigmoid_init", "bn"]
    out["max_other_shift"] = max(out[a]["shift_max"] for a in trained)
    out["shift_ratio"] = out["noisy_bn"]["shift_min"] / out["max_other_shift"]
    out["default_max_shift"] = max(out["default"]["sweep_mean_shift"])
    return out


def _gaussian_results() -> dict:
    r = gaussian_features()
    for name in ["standardized", "quantile"]:
        acc = r[name]["test_acc"]
        r[name].update(acc_mean=sum(acc) / len(acc), acc_min=min(acc), acc_max=max(acc))
    r["quantile_minus_standardized_pts"] = 100 * (r["quantile"]["acc_mean"]
                                                  - r["standardized"]["acc_mean"])
    return {**_defaults(gaussian_features, mlp_accuracy), **r}


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
        "gaussian_features": _gaussian_results(),
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
