# %% [markdown] lang="en"
# # Putting it together
#
# The notebook of the page [*Putting it together*]({{ page_url }}) of *Why N(0, 1)?*. Each section below
# runs one experiment of the page and prints what it found; the last cell computes every number the page
# quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 融会贯通
#
# 这是《为什么是N(0, 1)？》中[融会贯通]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，并打印实验结果；
# 最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## The recipe
#
# The seed article's complete example, moved to the 8×8 digits: inputs standardized by a `StandardScaler`
# fitted on the training split, an MLP 64 → 256 → 128 → 10 with BatchNorm after each hidden layer (and no
# bias before it), and Kaiming initialization. The cell checks that the default gain of `kaiming_normal_`
# equals ReLU's, √2 = {{ putting_it_together.recipe.gain_relu | fixed(6) }}, and that the weights of `fc1` have
# standard deviation {{ putting_it_together.recipe.fc1_std | fixed(4) }}, against √(2/64) =
# {{ putting_it_together.recipe.kaiming_std_fc1 | fixed(4) }}. Trained with SGD with momentum (learning rate
# {{ putting_it_together.recipe_fit.lr }}, {{ putting_it_together.recipe_fit.epochs }} epochs, seed 0), the network
# reaches {{ putting_it_together.recipe.test_acc | pct(1) }} test accuracy in evaluation mode: one run, a
# demonstration that the code works, not a measurement.

# %% [markdown] lang="zh"
# ## 配方
#
# 一篇流行的讲解文章（下称“该文”）在结尾给出了一个完整示例，这里把它搬到8×8手写数字上：
# 输入用只在训练集上拟合的`StandardScaler`标准化，网络是64 → 256 → 128 → 10的MLP，
# 每个隐藏层之后接BatchNorm（它前面的线性层不带偏置），用Kaiming初始化。
# 代码先检查`kaiming_normal_`的默认增益等于ReLU的增益，即√2 = {{ putting_it_together.recipe.gain_relu | fixed(6) }}，
# 再检查`fc1`权重的标准差为{{ putting_it_together.recipe.fc1_std | fixed(4) }}，
# 理论值√(2/64) = {{ putting_it_together.recipe.kaiming_std_fc1 | fixed(4) }}。
# 用带动量的SGD训练（学习率{{ putting_it_together.recipe_fit.lr }}，
# {{ putting_it_together.recipe_fit.epochs }}个迭代周期，随机种子0），
# 网络在评估模式下的测试准确率为{{ putting_it_together.recipe.test_acc | pct(1) }}：这只是一次运行，用来表明代码能跑通，算不上测量。

# %%
# --8<-- [start:recipe]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn


def load_split(standardize: bool = True) -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits (pixels 0..16), stratified 75/25 split. standardize: a
    StandardScaler fit on the training split only, then applied to both."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if standardize:
        scaler = StandardScaler().fit(X_tr)  # mean and std of each pixel
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    X_tr = torch.tensor(X_tr, dtype=torch.float32)
    X_te = torch.tensor(X_te, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


class Net(nn.Module):
    """The seed's network with 64 inputs: 64 -> 256 -> 128 -> 10."""

    def __init__(self):
        super().__init__()
        # BatchNorm subtracts the batch mean: a bias before it does nothing
        self.fc1 = nn.Linear(64, 256, bias=False)
        self.bn1 = nn.BatchNorm1d(256)
        self.fc2 = nn.Linear(256, 128, bias=False)
        self.bn2 = nn.BatchNorm1d(128)
        self.fc3 = nn.Linear(128, 10)  # output layer: PyTorch's default init
        # Kaiming: std = sqrt(2 / fan_in). The default nonlinearity,
        # 'leaky_relu' with a = 0, has the same gain sqrt(2) as 'relu'.
        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity="relu")
        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity="relu")

    def forward(self, x):
        x = torch.relu(self.bn1(self.fc1(x)))
        x = torch.relu(self.bn2(self.fc2(x)))
        return self.fc3(x)


def fit(
    seed: int = 0,
    epochs: int = 10,
    lr: float = 0.05,
    momentum: float = 0.9,
    batch_size: int = 128,
) -> dict:
    """Mini-batch SGD with momentum; test accuracy in eval mode."""
    X_tr, y_tr, X_te, y_te = load_split()
    torch.manual_seed(seed)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        model.train()  # BatchNorm: statistics of the mini-batch
        for idx in torch.randperm(len(X_tr)).split(batch_size):
            opt.zero_grad()
            nn.functional.cross_entropy(model(X_tr[idx]), y_tr[idx]).backward()
            opt.step()
    model.eval()  # BatchNorm: running statistics, one image at a time is fine
    with torch.no_grad():
        acc = (model(X_te).argmax(1) == y_te).float().mean().item()
        loss = nn.functional.cross_entropy(model(X_tr), y_tr).item()
    return {"test_acc": acc, "train_loss": loss,
            "fc1_std": model.fc1.weight.std().item()}


if __name__ == "__main__":
    gain = nn.init.calculate_gain
    print(f"gain('leaky_relu', 0) = {gain('leaky_relu', 0):.6f}, "
          f"gain('relu') = {gain('relu'):.6f}, sqrt(2) = {math.sqrt(2):.6f}")
    r = fit()
    print(f"fc1 weight std {r['fc1_std']:.4f} (sqrt(2/64) = "
          f"{math.sqrt(2 / 64):.4f})")
    print(f"test accuracy {r['test_acc']:.1%}, train loss {r['train_loss']:.4f}")
# --8<-- [end:recipe]

# %% [markdown] lang="en"
# ## The ablation
#
# Each ingredient has a "removed" version: raw pixels instead of standardized ones, N(0, 1) weights from
# `torch.randn` instead of Kaiming's, no BatchNorm. The page trains all
# {{ putting_it_together.settings.configs | length }} combinations on a network with two hidden layers
# ({{ putting_it_together.settings.shallow | join(", ") }}) with SGD with momentum for
# {{ putting_it_together.settings.epochs }} epochs, at the learning rates
# {{ putting_it_together.settings.lrs | join(", ") }}; all runs of one configuration train at once, their
# weights stacked along a leading "run" dimension. The cell is a quick version: four configurations,
# seeds 0 and 1, and the mean test accuracy at every rate. The full run behind the page's table and figures
# ({{ fig("accuracy") }}, {{ fig("curves") }}) uses seeds {{ putting_it_together.settings.seeds | join(", ") }} and picks each
# configuration's best rate on a validation set. At the seed's rate {{ putting_it_together.settings.seed_lr }}
# the network with all three ingredients removed stays at chance
# ({{ putting_it_together.shallow.none.seed_lr.acc_mean | pct(1) }}), but at its own best rate every
# configuration trains, from {{ putting_it_together.summary.shallow_best_min | pct(1) }} to
# {{ putting_it_together.summary.shallow_best_max | pct(1) }}: in this small network an ingredient mostly
# decides which learning rates work. With {{ putting_it_together.settings.deep_layers }} hidden layers (the
# same code with `hidden=(64,) * 10`) BatchNorm matters even at the best rates: without it the network
# loses {{ putting_it_together.summary.deep_bn_minus_no_bn_pts | fixed(1) }} points, and with all three
# ingredients removed the loss is nan in the first epoch at every rate of the grid.

# %% [markdown] lang="zh"
# ## 消融实验
#
# 每个要素都有一个“去掉”的版本：用原始像素代替标准化后的像素，用`torch.randn`的N(0, 1)权重代替Kaiming初始化，
# 不用BatchNorm。页面在有两个隐藏层（{{ putting_it_together.settings.shallow | join("、") }}）
# 的网络上训练全部{{ putting_it_together.settings.configs | length }}种组合，
# 用带动量的SGD训练{{ putting_it_together.settings.epochs }}个迭代周期，
# 学习率取{{ putting_it_together.settings.lrs | join("、") }}；同一配置的所有运行同时训练，权重沿着最前面新增的“运行”
# 维度堆叠。下面的代码是快速版：四种配置、随机种子0和1，打印每个学习率下的平均测试准确率。
# 页面的表格和图（{{ fig("accuracy") }}、{{ fig("curves") }}）
# 背后的完整实验用随机种子{{ putting_it_together.settings.seeds | join("、") }}，并在验证集上为每种配置选出最佳学习率。
# 在该文的学习率{{ putting_it_together.settings.seed_lr }}下，
# 三个要素全去掉的网络停在随机猜测的水平（{{ putting_it_together.shallow.none.seed_lr.acc_mean | pct(1) }}）；
# 但在各自的最佳学习率下，每种配置都能训练，测试准确率从{{ putting_it_together.summary.shallow_best_min | pct(1) }}到
# {{ putting_it_together.summary.shallow_best_max | pct(1) }}：在这个小网络里，单个要素主要决定的是哪些学习率可用。
# 换成{{ putting_it_together.settings.deep_layers }}个隐藏层（同一段代码，用`hidden=(64,) * 10`）后，即使取最佳学习率，
# BatchNorm也很重要：去掉它，测试准确率降低{{ putting_it_together.summary.deep_bn_minus_no_bn_pts | fixed(1) }}
# 个百分点；三个要素全去掉时，网格中的每个学习率都在第一个迭代周期就让损失变成nan。

# %%
# --8<-- [start:ablation]
import itertools
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.nn import functional as F


def load_splits(standardize: bool = True) -> dict:
    """8x8 digits: a stratified quarter for testing; of the rest, a fifth for
    validation (to choose the learning rate) and four fifths for training.
    standardize: a StandardScaler fit on the training part only."""
    X, y = load_digits(return_X_y=True)
    X_rest, X_te, y_rest, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    X_tr, X_va, y_tr, y_va = train_test_split(
        X_rest, y_rest, test_size=0.2, stratify=y_rest, random_state=0)
    if standardize:
        scaler = StandardScaler().fit(X_tr)  # mean and std of each pixel
        X_tr, X_va, X_te = (scaler.transform(a) for a in (X_tr, X_va, X_te))
    return {name: (torch.tensor(a, dtype=torch.float32), torch.tensor(b))
            for name, a, b in [("train", X_tr, y_tr), ("val", X_va, y_va),
                               ("test", X_te, y_te)]}


# name: (standardized inputs, initialization of the hidden layers, BatchNorm)
CONFIGS = {
    "recipe": (True, "kaiming", True),
    "raw_inputs": (False, "kaiming", True),
    "bad_init": (True, "randn", True),
    "no_bn": (True, "kaiming", False),
    "none": (False, "randn", False),  # all three removed
    "only_std": (True, "randn", False),  # one ingredient kept
    "only_init": (False, "kaiming", False),
    "only_bn": (False, "randn", True),
}


def make_mlp(hidden: tuple = (128, 64), bn: bool = True,
             init: str = "kaiming") -> nn.Sequential:
    """64 -> hidden -> 10, ReLU. bn: Linear(bias=False) -> BatchNorm1d.
    init 'kaiming': kaiming_normal_ (std sqrt(2 / fan_in)); 'randn': N(0, 1)
    weights, as torch.randn(fan_out, fan_in). Hidden layers only; the output
    layer keeps PyTorch's default, as in the seed."""
    sizes = [64, *hidden]
    linears = [nn.Linear(a, b, bias=not bn)
               for a, b in itertools.pairwise(sizes)]
    out = nn.Linear(sizes[-1], 10)
    for lin in linears:
        if init == "kaiming":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        else:
            with torch.no_grad():
                lin.weight.copy_(torch.randn(lin.weight.shape))
    layers = []
    for lin in linears:
        layers += [lin, nn.BatchNorm1d(lin.out_features)] if bn else [lin]
        layers.append(nn.ReLU())
    return nn.Sequential(*layers, out)


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


def forward(layers, x, train=False):
    """x (R, batch, 64) -> logits (R, batch, 10), and every ReLU's output."""
    h, relus = x, []
    for k, L in enumerate(layers):
        z = h @ L["W"] if L["b"] is None else torch.baddbmm(L["b"], h, L["W"])
        if k == len(layers) - 1:
            return z, relus
        if "gamma" in L:  # nn.BatchNorm1d's own function, the R nets' units side by side
            R, n, width = z.shape
            stats = [L[key].view(-1) for key in ("mean", "var", "gamma", "beta")]
            z = F.batch_norm(z.transpose(0, 1).reshape(n, R * width), *stats,
                             training=train)  # momentum 0.1, eps 1e-5, as nn.BatchNorm1d
            z = z.view(n, R, width).transpose(0, 1)
        h = torch.relu(z)
        relus.append(h)


def train_runs(
    name: str,
    hidden: tuple = (128, 64),
    lrs: tuple = (0.0004, 0.002, 0.01, 0.05, 0.25, 1.25),
    seeds: tuple = (0, 1, 2, 3, 4),
    epochs: int = 6,
    momentum: float = 0.9,
    batch_size: int = 128,
) -> dict:
    """Every (seed, learning rate) pair of one configuration, trained side by side
    with mini-batch SGD and momentum (torch.optim.SGD's update). Runs with the same
    seed share their initial weights and their order of mini-batches."""
    standardize, init, bn = CONFIGS[name]
    data = load_splits(standardize)
    X, y = data["train"]
    runs = [(seed, lr) for seed in seeds for lr in lrs]
    nets = []
    for seed, _ in runs:
        torch.manual_seed(seed)
        nets.append(make_mlp(hidden, bn, init))
    layers = stack(nets)
    params = [L[k] for L in layers for k in ("W", "b", "gamma", "beta")
              if L.get(k) is not None]
    for p in params:
        p.requires_grad_()
    velocity = [torch.zeros_like(p) for p in params]  # SGD's momentum buffers
    W0 = [L["W"].clone() for L in layers[:-1]]
    lr = torch.tensor([lr for _, lr in runs]).view(-1, 1, 1)
    orders = {s: torch.Generator().manual_seed(s) for s in seeds}
    curves = []  # mean mini-batch training loss of each epoch, per run
    for _ in range(epochs):
        perm = {s: torch.randperm(len(X), generator=g) for s, g in orders.items()}
        total = torch.zeros(len(runs))
        for idx in torch.stack([perm[s] for s, _ in runs]).split(batch_size, 1):
            logits, _ = forward(layers, X[idx], train=True)
            loss = F.cross_entropy(logits.transpose(1, 2), y[idx], reduction="none")
            grads = torch.autograd.grad(loss.mean(1).sum(), params)  # each run its own
            with torch.no_grad():
                for p, g, v in zip(params, grads, velocity):
                    v.mul_(momentum).add_(g)
                    p.sub_(lr * v)
            total += loss.detach().sum(1)
        curves.append(total / len(X))
        if not curves[-1].isfinite().any():
            break  # every run diverged: its weights are inf or nan
    out = {"runs": runs, "curves": torch.stack(curves, 1).tolist()}
    with torch.no_grad():
        for split in ("val", "test"):
            A, b = data[split]
            pred = forward(layers, A.expand(len(runs), -1, -1))[0].argmax(2)
            out[f"{split}_acc"] = (pred == b).float().mean(1).tolist()
        _, relus = forward(layers, X.expand(len(runs), -1, -1))
        # units that are 0 for every training image, per hidden layer
        out["dead"] = torch.stack([(h <= 0).all(1).float().mean(1) for h in relus], 1).tolist()
        # how far the hidden weights moved: ||W - W0|| / ||W0||
        out["moved"] = torch.stack([(L["W"] - w0).flatten(1).norm(dim=1) / w0.flatten(1).norm(dim=1)
                                    for L, w0 in zip(layers, W0)], 1).tolist()
    out["diverged"] = [not math.isfinite(c[-1]) for c in out["curves"]]
    return out


if __name__ == "__main__":
    torch.set_num_threads(1)  # tiny matrices: one thread is faster
    hidden = (128, 64)  # the deep network of the page: hidden = (64,) * 10
    print(f"{len(hidden)} hidden layers: mean test accuracy of seeds 0 and 1, per rate")
    for name in ["recipe", "bad_init", "no_bn", "none"]:  # the page: all of CONFIGS
        r = train_runs(name, hidden, seeds=(0, 1))  # the page uses five seeds
        lrs = sorted({lr for _, lr in r["runs"]})
        acc = [sum(a for (_, l), a in zip(r["runs"], r["test_acc"]) if l == lr)
               / sum(l == lr for _, l in r["runs"]) for lr in lrs]
        print(f"  {name:10s} " + "  ".join(f"{lr:g}: {a:.1%}" for lr, a in zip(lrs, acc)))
# --8<-- [end:ablation]

# %% [markdown] lang="en"
# ## Which ingredient matters, and why
#
# What each ingredient does to the scale at initialization: one set of random weight directions, used at
# two scales, randn (standard deviation 1) and Kaiming. With BatchNorm after each hidden layer the two give
# the same logits (largest difference {{ putting_it_together.scale.bn.max_logit_diff | sci(1) }}), but the
# Kaiming-scaled weights of `fc1` and `fc2` receive gradients {{ putting_it_together.scale.bn.grad_ratio[0] | fixed(2) }}
# and {{ putting_it_together.scale.bn.grad_ratio[1] | fixed(2) }} times larger: BatchNorm turns a bad initial scale
# into a smaller effective learning rate. The bias before BatchNorm gets a gradient of at most
# {{ putting_it_together.scale.bn.kaiming.bias_grad_max | sci(0) }}, float32 rounding. Without BatchNorm the
# scales multiply through the layers: the logit standard deviation is
# {{ putting_it_together.scale.shallow_std.kaiming_logit_std | fixed(2) }} with Kaiming weights and
# {{ putting_it_together.scale.shallow_std.randn_logit_std | fixed(1) }} with randn weights in the two-layer
# network, and {{ putting_it_together.scale.deep_std.kaiming_logit_std | fixed(2) }} against
# {{ putting_it_together.scale.deep_std.randn_logit_std | sci(1) }} with {{ putting_it_together.settings.deep_layers }}
# hidden layers.

# %% [markdown] lang="zh"
# ## 哪个要素重要，为什么
#
# 这一节看每个要素在初始化时对尺度的影响：抽取一组随机的权重方向，分别取两种尺度，即randn（标准差1）和Kaiming。
# 每个隐藏层之后接BatchNorm时，两者给出相同的logit（最大差异
# {{ putting_it_together.scale.bn.max_logit_diff | sci(1) }}），
# 但Kaiming尺度下`fc1`和`fc2`的权重得到的梯度分别是randn尺度下的
# {{ putting_it_together.scale.bn.grad_ratio[0] | fixed(2) }}倍和
# {{ putting_it_together.scale.bn.grad_ratio[1] | fixed(2) }}倍：BatchNorm把糟糕的初始尺度变成了更小的有效学习率。
# BatchNorm前面的偏置得到的梯度最多为{{ putting_it_together.scale.bn.kaiming.bias_grad_max | sci(0) }}，
# 只是float32的舍入误差。没有BatchNorm时，尺度逐层相乘：两个隐藏层的网络中，
# logit的标准差在Kaiming权重下为{{ putting_it_together.scale.shallow_std.kaiming_logit_std | fixed(2) }}，
# 在randn权重下为{{ putting_it_together.scale.shallow_std.randn_logit_std | fixed(1) }}；
# {{ putting_it_together.settings.deep_layers }}个隐藏层时则是
# {{ putting_it_together.scale.deep_std.kaiming_logit_std | fixed(2) }}对
# {{ putting_it_together.scale.deep_std.randn_logit_std | sci(1) }}。

# %%
# --8<-- [start:scale]
import itertools
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def train_pixels(standardize: bool) -> torch.Tensor:
    """Training split of the digits, raw (0..16) or standardized per pixel."""
    X, y = load_digits(return_X_y=True)
    X_tr, _, _, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if standardize:
        std = X_tr.std(0)
        X_tr = (X_tr - X_tr.mean(0)) / (std + (std == 0))  # as StandardScaler
    return torch.tensor(X_tr, dtype=torch.float32)


def relu_forward(x, weights, bias, bn):
    """ReLU net; bn: train-mode BatchNorm (gamma 1, beta 0) after each Linear."""
    h = x
    for i, W in enumerate(weights[:-1]):
        z = h @ W.T + (bias if i == 0 else 0)  # a bias on the first layer
        if bn:
            z = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5)
        h = torch.relu(z)
    return h @ weights[-1].T


def scale_check(hidden: tuple = (128, 64), bn: bool = True,
                standardize: bool = True, seed: int = 0) -> dict:
    """The same random directions at two scales: N(0, 1) weights (randn) and
    the same weights times the Kaiming std sqrt(2 / fan_in)."""
    torch.manual_seed(seed)
    x = train_pixels(standardize)
    sizes = [64, *hidden]
    Z = [torch.randn(b, a) for a, b in itertools.pairwise(sizes)]
    W_out = torch.randn(10, sizes[-1]) / math.sqrt(sizes[-1])
    y = torch.randint(0, 10, (len(x),))
    out = {}
    for name, factors in [("randn", [1.0] * len(Z)),
                          ("kaiming", [math.sqrt(2 / a) for a in sizes[:-1]])]:
        weights = [(f * w).requires_grad_() for f, w in zip(factors, Z)]
        bias = torch.zeros(sizes[1], requires_grad=True)
        logits = relu_forward(x, weights + [W_out], bias, bn)
        torch.nn.functional.cross_entropy(logits, y).backward()
        with torch.no_grad():
            z1 = x @ weights[0].T
        out[name] = {
            "logits": logits.detach(),
            "logit_std": logits.std().item(),
            "z1_std": z1.std().item(),  # first pre-activation, before BN
            "grad_norm": [w.grad.norm().item() for w in weights],
            "bias_grad_max": bias.grad.abs().max().item(),
        }
    diff = (out["randn"].pop("logits") - out["kaiming"].pop("logits")).abs()
    out["max_logit_diff"] = diff.max().item()
    return out


if __name__ == "__main__":
    r = scale_check()
    print("with BatchNorm, randn vs Kaiming: max |logit difference| "
          f"{r['max_logit_diff']:.1e}")
    for name in ["randn", "kaiming"]:
        g = " ".join(f"{v:.3g}" for v in r[name]["grad_norm"])
        print(f"  {name:7s} weight gradient norms {g}, max |bias gradient| "
              f"{r[name]['bias_grad_max']:.1e}")
    for hidden in [(128, 64), (64,) * 10]:
        for std in [True, False]:
            r = scale_check(hidden, bn=False, standardize=std)
            print(f"no BatchNorm, {len(hidden):2d} hidden layers, "
                  f"{'standardized' if std else 'raw'} inputs: logit std "
                  f"randn {r['randn']['logit_std']:.2e}, Kaiming "
                  f"{r['kaiming']['logit_std']:.2e}; first pre-activation "
                  f"std (Kaiming) {r['kaiming']['z1_std']:.2f}")
# --8<-- [end:scale]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size and returns every number the page quotes;
# `figures()` draws the page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验，返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。
# 

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

SHALLOW = (128, 64)
DEEP_LAYERS, DEEP_WIDTH = 10, 64
DEEP = (DEEP_WIDTH,) * DEEP_LAYERS
ONE_AT_A_TIME = ["recipe", "raw_inputs", "bad_init", "no_bn", "none"]
DEEP_CONFIGS = ["recipe", "bad_init", "no_bn", "none"]
SEED_LR = 0.05  # the seed article's learning rate, one of the grid's
MAX_EXTENSIONS = 2  # rates added beyond an edge of the grid when the best is there
CHANCE_VAL = 0.2  # a configuration whose validation accuracy never exceeds this does not train
LOSS_AXIS_TOP = 30.0  # top of the loss axis in the curves figure


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: list(p.default) if isinstance(p.default, tuple) else p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _finite_or_none(values: list[float]) -> list[float | None]:
    """JSON has no inf/nan: a non-finite loss becomes null."""
    return [v if math.isfinite(v) else None for v in values]


def _stats(values: list[float]) -> dict:
    return {"mean": sum(values) / len(values), "min": min(values), "max": max(values)}


def _sweep(name: str, hidden: tuple, lrs: list) -> dict:
    """One configuration at every rate of the grid, five seeds each; while the best
    rate (highest mean validation accuracy) is at an edge of the grid, one more rate
    a factor 5 beyond that edge (at most MAX_EXTENSIONS times)."""
    lrs, seeds = list(lrs), _defaults(train_runs)["seeds"]
    by_lr = {}

    def add(result):
        for key in ["curves", "val_acc", "test_acc", "dead", "moved", "diverged"]:
            for (seed, lr), v in zip(result["runs"], result[key]):
                by_lr.setdefault(lr, {}).setdefault(key, {})[seed] = v

    add(train_runs(name, hidden, lrs=tuple(lrs)))
    mean_val = lambda lr: sum(by_lr[lr]["val_acc"].values()) / len(seeds)
    for _ in range(MAX_EXTENSIONS):
        if max(mean_val(lr) for lr in lrs) <= CHANCE_VAL:
            break  # nothing trains: no best rate to look for
        best = max(lrs, key=mean_val)
        if best == lrs[0]:
            lrs.insert(0, float(f"{lrs[0] / 5:.3g}"))
        elif best == lrs[-1]:
            lrs.append(float(f"{lrs[-1] * 5:.3g}"))
        else:
            break
        add(train_runs(name, hidden, lrs=(lrs[0] if best == lrs[1] else lrs[-1],)))
    trains = max(mean_val(lr) for lr in lrs) > CHANCE_VAL
    best = max(lrs, key=mean_val) if trains else None

    def at(lr):  # everything about one rate, per seed in order
        d = {key: [by_lr[lr][key][s] for s in seeds] for key in by_lr[lr]}
        acc = d["test_acc"]
        out = {"test_acc": acc, **{f"acc_{k}": v for k, v in _stats(acc).items()},
               "val_mean": mean_val(lr), "diverged": sum(d["diverged"]),
               "curves": [_finite_or_none(c) for c in d["curves"]]}
        finite = [c[-1] for c in d["curves"] if math.isfinite(c[-1])]
        out["final_loss_mean"] = sum(finite) / len(finite) if finite else None
        firsts = [c[0] for c in d["curves"] if math.isfinite(c[0])]
        out["first_loss_min"] = min(firsts, default=None)
        out["first_loss_max"] = max(firsts, default=None)
        ok = [k for k, div in enumerate(d["diverged"]) if not div]
        for key in ["dead", "moved"]:  # per hidden layer, mean over the seeds that did not diverge
            out[key] = ([sum(d[key][k][i] for k in ok) / len(ok) for i in range(len(hidden))]
                        if ok else None)
        return out

    return {
        "lrs": lrs,
        "trains": trains,
        "best_lr": best,
        "best_at_edge": trains and best in (lrs[0], lrs[-1]),
        "val_mean": [mean_val(lr) for lr in lrs],
        "test_mean": [sum(by_lr[lr]["test_acc"].values()) / len(seeds) for lr in lrs],
        "test_min": [min(by_lr[lr]["test_acc"].values()) for lr in lrs],
        "test_max": [max(by_lr[lr]["test_acc"].values()) for lr in lrs],
        "diverged": [sum(by_lr[lr]["diverged"].values()) for lr in lrs],
        "best": at(best) if trains else None,
        "seed_lr": at(SEED_LR),
    }


def _ablation(hidden: tuple, names: list[str], lrs: list) -> dict:
    out = {n: _sweep(n, hidden, lrs) for n in names}
    for n in names:  # accuracy lost against the full recipe, in points
        for key in ["best", "seed_lr"]:
            if out[n][key] is not None:
                out[n][key]["drop_pts"] = 100 * (out["recipe"][key]["acc_mean"]
                                                 - out[n][key]["acc_mean"])
    return out


def _recipe_results() -> dict:
    X_tr, _, X_te, _ = load_split(standardize=True)
    X_raw, _, _, _ = load_split(standardize=False)
    r = fit()
    return {
        **r,
        "gain_default": nn.init.calculate_gain("leaky_relu", 0),
        "gain_relu": nn.init.calculate_gain("relu"),
        "kaiming_std_fc1": math.sqrt(2 / 64),
        "n_train": len(X_tr),
        "constant_pixels": int((X_raw.std(0) == 0).sum()),
        "max_abs_train": X_tr.abs().max().item(),
        "max_abs_test": X_te.abs().max().item(),
    }


def _scale_results() -> dict:
    bn = scale_check(SHALLOW)
    out = {
        "bn": {k: bn[k] for k in ["randn", "kaiming", "max_logit_diff"]},
        "kaiming_factor": [math.sqrt(a / 2) for a in [64, *SHALLOW[:-1]]],
        "deep_factor": math.sqrt(DEEP_WIDTH / 2),
        "x2_raw": train_pixels(False).pow(2).mean().item(),
        "x2_std": train_pixels(True).pow(2).mean().item(),
    }
    bn_ratio = [a / b for a, b in zip(bn["kaiming"]["grad_norm"],
                                      bn["randn"]["grad_norm"])]
    out["bn"]["grad_ratio"] = bn_ratio  # Kaiming / randn gradient norm
    for key, hidden in [("shallow", SHALLOW), ("deep", DEEP)]:
        for std, inputs in [(True, "std"), (False, "raw")]:
            r = scale_check(hidden, bn=False, standardize=std)
            out[f"{key}_{inputs}"] = {
                "randn_logit_std": r["randn"]["logit_std"],
                "kaiming_logit_std": r["kaiming"]["logit_std"],
                "kaiming_z1_std": r["kaiming"]["z1_std"],
            }
        out[f"{key}_scale_product"] = math.prod(
            math.sqrt(a / 2) for a in [64, *hidden[:-1]])
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a busy CPU
    grid = _defaults(train_runs)["lrs"]
    shallow = _ablation(SHALLOW, list(CONFIGS), grid)
    deep = _ablation(DEEP, DEEP_CONFIGS, grid[1:])  # from 0.002: the edge rule goes lower if needed
    with_bn = [n for n, (_, _, bn) in CONFIGS.items() if bn]
    first_epoch = {"shallow_bn_max": max(shallow[n]["seed_lr"]["first_loss_max"]
                                         for n in with_bn)}
    trained = [n for n in CONFIGS if shallow[n]["trains"]]
    summary = {
        "shallow_best_min": min(shallow[n]["best"]["acc_mean"] for n in trained),
        "shallow_best_max": max(shallow[n]["best"]["acc_mean"] for n in trained),
        "shallow_seed_lr_chance": [n for n in CONFIGS
                                   if shallow[n]["seed_lr"]["acc_max"] < 0.15],
        "deep_bn_minus_no_bn_pts": 100 * (deep["recipe"]["best"]["acc_mean"]
                                          - deep["no_bn"]["best"]["acc_mean"]),
        "deep_no_bn_max_working_lr": max(
            lr for lr, acc in zip(deep["no_bn"]["lrs"], deep["no_bn"]["test_mean"])
            if acc > 0.5),
        "deep_recipe_max_working_lr": max(
            lr for lr, acc in zip(deep["recipe"]["lrs"], deep["recipe"]["test_mean"])
            if acc > 0.5),
    }
    settings = _defaults(train_runs)
    return {
        "settings": {**settings, "hidden": list(SHALLOW), "shallow": list(SHALLOW),
                     "deep_layers": DEEP_LAYERS, "deep_width": DEEP_WIDTH,
                     "seed_lr": SEED_LR, "grid_factor": 5, "chance_val": CHANCE_VAL,
                     "deep_lrs": _defaults(train_runs)["lrs"][1:],
                     "loss_axis_top": LOSS_AXIS_TOP, "deep_configs": DEEP_CONFIGS,
                     "n_train": len(load_splits()["train"][0]),
                     "n_val": len(load_splits()["val"][0]),
                     "configs": {k: list(v) for k, v in CONFIGS.items()}},
        "recipe_fit": {**_defaults(fit), "seed_hidden": [256, 128]},
        "ln10": math.log(10),
        "recipe": _recipe_results(),
        "shallow": shallow,
        "deep": deep,
        "first_epoch": first_epoch,
        "summary": summary,
        "scale": _scale_results(),
    }


LABELS = {
    "en": {
        "recipe": "full recipe",
        "raw_inputs": "raw inputs",
        "bad_init": "randn init",
        "no_bn": "no BatchNorm",
        "none": "all three removed",
        "only_std": "only standardization",
        "only_init": "only Kaiming",
        "only_bn": "only BatchNorm",
        "shallow": "2 hidden layers (128, 64)",
        "deep": "10 hidden layers (64 each)",
        "epoch": "epoch",
        "loss": "training loss",
        "acc": "test accuracy",
        "lr": "learning rate",
        "seed_lr": "the article's rate",
        "nan": "loss became nan",
        "ln10": "ln 10 (uniform guess)",
    },
    "zh": {
        "recipe": "完整配方",
        "raw_inputs": "原始输入",
        "bad_init": "randn初始化",
        "no_bn": "无BatchNorm",
        "none": "三者全去掉",
        "only_std": "只保留标准化",
        "only_init": "只保留Kaiming",
        "only_bn": "只保留BatchNorm",
        "shallow": "2个隐藏层（128、64）",
        "deep": "10个隐藏层（各64）",
        "epoch": "迭代周期",
        "loss": "训练损失",
        "acc": "测试准确率",
        "lr": "学习率",
        "seed_lr": "该文的学习率",
        "nan": "损失变为nan",
        "ln10": "ln 10（随机猜测）",
    },
}

_STYLES = {"recipe": "-", "raw_inputs": "--", "bad_init": "-.", "no_bn": ":",
           "none": (0, (5, 1, 1, 1, 1, 1))}
_COLORS = {"recipe": "C0", "raw_inputs": "C1", "bad_init": "C2", "no_bn": "C3",
           "none": "C4"}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Test accuracy against the learning rate: the mean over the seeds, a band from the
    # lowest to the highest seed, a ring at each configuration's best rate (by validation)
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.8), sharey=True,
                             layout="constrained")
    for ax, key in zip(axes, ["shallow", "deep"]):
        for name in [n for n in ONE_AT_A_TIME if n in res[key]]:
            r = res[key][name]
            lrs = np.array(r["lrs"])
            ax.fill_between(lrs, r["test_min"], r["test_max"], color=_COLORS[name],
                            alpha=0.2, linewidth=0)
            ax.plot(lrs, r["test_mean"], color=_COLORS[name], linestyle=_STYLES[name],
                    marker="o", markersize=3, label=L[name])
            if r["trains"]:
                i = r["lrs"].index(r["best_lr"])
                ax.plot(lrs[i], r["test_mean"][i], marker="o", markersize=9,
                        color=_COLORS[name], markerfacecolor="none", linestyle="none")
        ax.axvline(res["settings"]["seed_lr"], color="C7", linestyle=":",
                   label=L["seed_lr"] if key == "shallow" else None)
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_ylim(0, 1)
        ax.set_title(L[key])
        ax.set_xlabel(L["lr"])
    axes[0].set_ylabel(L["acc"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["accuracy"] = fig
    # Training-loss curves at the seed's learning rate: the mean over the seeds, and
    # a band from the lowest to the highest seed
    top = res["settings"]["loss_axis_top"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.8), sharey=True,
                             layout="constrained")
    for ax, key in zip(axes, ["shallow", "deep"]):
        nan_label = L["nan"]
        for name in [n for n in ONE_AT_A_TIME if n in res[key]]:
            loss = np.array(res[key][name]["seed_lr"]["curves"], dtype=float)  # null -> nan
            epochs = np.arange(1, loss.shape[1] + 1)
            if np.isnan(loss[:, -1]).all():  # every run diverged: mark the epoch
                ax.plot([epochs[-1]], [top / 2], color=_COLORS[name], marker="x",
                        linestyle="none", label=nan_label)
                nan_label = None
                continue
            ax.fill_between(epochs, np.nanmin(loss, 0), np.nanmax(loss, 0),
                            color=_COLORS[name], alpha=0.2, linewidth=0)
            ax.plot(epochs, np.nanmean(loss, 0), color=_COLORS[name],
                    linestyle=_STYLES[name], label=L[name])
        ax.axhline(res["ln10"], color="C7", linestyle=":",
                   label=L["ln10"] if key == "shallow" else None)
        ax.set_yscale("log")
        ax.set_ylim(top=top)  # larger first-epoch losses are off the chart
        ax.set_title(L[key])
        ax.set_xlabel(L["epoch"])
    axes[0].set_ylabel(L["loss"])
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    figs["curves"] = fig

    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
