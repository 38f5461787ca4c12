# %% [markdown] lang="en"
# # Activation sweet spots
#
# The notebook of the page [*Activation sweet spots*]({{ page_url }}) of *Why N(0, 1)?*. Each section
# below runs one experiment of the page and prints what it found; the last cell computes every number
# the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 激活函数的“甜点区”
#
# 这是《为什么是N(0, 1)？》中[激活函数的“甜点区”]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，
# 并打印实验结果；最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## Where each activation has slope
#
# For sigmoid, tanh, ReLU and GELU the code takes the derivative by autograd on a fine float64 grid
# and prints the peak slope and the intervals where the slope is at least half, or a tenth, of its
# peak, next to the windows of the popular "sweet spot" table ({{ fig("slopes") }}). Sigmoid's slope
# peaks at only {{ activations.windows.sigmoid.half.peak | fixed(2) }} (tanh's at 1), and its
# half-peak window, ({{ activations.windows.sigmoid.half.lo | fixed(2) }},
# {{ activations.windows.sigmoid.half.hi | fixed(2) }}), is twice as wide as tanh's,
# ({{ activations.windows.tanh.half.lo | fixed(2) }},
# {{ activations.windows.tanh.half.hi | fixed(2) }}). Only
# {{ activations.windows.tanh.half.std_normal_inside | pct(1) }} of N(0, 1) inputs land in tanh's
# window. ReLU has slope 1 on the whole of (0, +∞), so it has no magnitude sweet spot; GELU's slope
# peaks at {{ activations.windows.gelu.half.peak | fixed(3) }} near x = √2 and is negative left of x =
# {{ activations.windows.gelu_slope_zero | fixed(3) }}.

# %% [markdown] lang="zh"
# ## 各激活函数在哪里有斜率
#
# 对sigmoid、tanh、ReLU和GELU，代码在一个精细的float64网格上用自动微分求导数，打印峰值斜率，
# 以及斜率不低于峰值一半（或十分之一）的区间，旁边列出流行说法中那张“甜点区”表给出的区间（{{ fig("slopes") }}）。
# sigmoid的斜率峰值只有{{ activations.windows.sigmoid.half.peak | fixed(2) }}（tanh为1），
# 它的半峰值区间
# ({{ activations.windows.sigmoid.half.lo | fixed(2) }}, {{ activations.windows.sigmoid.half.hi | fixed(2) }})宽度是tanh
# 的区间({{ activations.windows.tanh.half.lo | fixed(2) }}, {{ activations.windows.tanh.half.hi | fixed(2) }})的两倍。
# N(0, 1)输入中只有{{ activations.windows.tanh.half.std_normal_inside | pct(1) }}落在tanh的区间内。
# ReLU在整个(0, +∞)上斜率都是1，所以不存在与输入幅度有关的甜点区；
# GELU的斜率在x = √2附近达到峰值{{ activations.windows.gelu.half.peak | fixed(3) }}，
# 在x = {{ activations.windows.gelu_slope_zero | fixed(3) }}左侧为负。

# %%
# --8<-- [start:windows]
import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "gelu": F.gelu,  # x * Phi(x), Phi = CDF of N(0, 1)
}


def slope(f, x: torch.Tensor) -> torch.Tensor:
    """f'(x) elementwise, by autograd."""
    x = x.clone().requires_grad_(True)
    f(x).sum().backward()
    return x.grad


def slope_window(name: str, level: float, edge: float = 20.0) -> dict:
    """The interval where f'(x) >= level * (peak of f'), on a float64 grid.

    A bound equal to the grid's edge is reported as None (unbounded).
    """
    x = torch.linspace(-edge, edge, 200_001, dtype=torch.float64)
    d = slope(ACTIVATIONS[name], x)
    peak = d.max()
    inside = x[d >= level * peak]
    lo, hi = inside.min().item(), inside.max().item()
    return {
        "peak": peak.item(),
        "peak_at": x[d.argmax()].item(),
        "lo": None if lo <= -edge else lo,
        "hi": None if hi >= edge else hi,
        "contiguous": len(inside) == round((hi - lo) / (x[1] - x[0]).item()) + 1,
    }


if __name__ == "__main__":
    seed_table = {"sigmoid": "(-2, 2)", "tanh": "(-1, 1)", "relu": "(0, +inf)"}
    for name in ACTIVATIONS:
        half, tenth = slope_window(name, 0.5), slope_window(name, 0.1)

        def show(w):
            lo = "-inf" if w["lo"] is None else f"{w['lo']:.2f}"
            hi = "+inf" if w["hi"] is None else f"{w['hi']:.2f}"
            return f"({lo}, {hi})"

        print(
            f"{name:7s} peak slope {half['peak']:.3f} at x = {half['peak_at']:.2f}"
            f"  slope >= peak/2 on {show(half):15s}"
            f"  >= peak/10 on {show(tenth):15s}"
            f"  seed article: {seed_table.get(name, '-')}"
        )
# --8<-- [end:windows]

# %% [markdown] lang="en"
# ## Expected slope under N(0, s²) inputs
#
# A layer sees a distribution of pre-activations, not one input. The code estimates the mean slope
# E[f'(z)] for z ~ N(0, s²) from {{ activations.expected.n | fixed(0) }} samples and prints it for s =
# 0.1, 1, 3 and 10; then, for each activation, the mean slope under the popular explanation's N(100,
# 1) input and how nonlinear the unit is at s = 1 (1 − R² of the best straight line through f(z): 0
# for a linear unit). Sigmoid and tanh lose slope like 1/s (at s = 10:
# {{ activations.expected.table.sigmoid[2] | fixed(3) }} and
# {{ activations.expected.table.tanh[2] | fixed(3) }}), while ReLU and GELU keep a mean slope of 1/2
# at every scale ({{ fig("expected_slope") }}). The largest slopes, as s → 0, come with a linear unit:
# at s = 1 the nonlinearity of tanh is only
# {{ activations.expected.nonlinearity_s1.tanh | fixed(3) }}, of ReLU
# {{ activations.expected.nonlinearity_s1.relu | fixed(3) }}. Under N(100, 1) sigmoid's mean slope is
# {{ activations.expected.mean100.sigmoid | sci(1) }} but ReLU's is
# {{ activations.expected.mean100.relu | fixed(2) }}: no vanishing gradient, but every unit is active
# and the layer is linear.

# %% [markdown] lang="zh"
# ## N(0, s²)输入下的期望斜率
#
# 一层网络看到的不是单个输入，而是预激活值的一个分布。
# 代码用{{ activations.expected.n | fixed(0) }}个样本估计z ~ N(0, s²)时的平均斜率E[f'(z)]，打印s = 0.1、1、3和10时的值；
# 再对每个激活函数打印流行说法中N(100, 1)输入下的平均斜率，以及s = 1时单元的非线性程度（对f(z)做最佳直线拟合后的1 − R²，
# 线性单元为0）。sigmoid和tanh的平均斜率按1/s衰减（s = 10时分别为{{ activations.expected.table.sigmoid[2] | fixed(3) }}
# 和{{ activations.expected.table.tanh[2] | fixed(3) }}），
# 而ReLU和GELU在任何尺度下平均斜率都保持1/2（{{ fig("expected_slope") }}）。s → 0时斜率最大，但那时单元是线性的：
# s = 1时tanh的非线性程度只有{{ activations.expected.nonlinearity_s1.tanh | fixed(3) }}，
# ReLU为{{ activations.expected.nonlinearity_s1.relu | fixed(3) }}。在N(100, 1)下，
# sigmoid的平均斜率为{{ activations.expected.mean100.sigmoid | sci(1) }}，
# ReLU却是{{ activations.expected.mean100.relu | fixed(2) }}：梯度没有消失，但所有单元都处于激活状态，这一层成了线性层。

# %%
# --8<-- [start:expected_slope]
import functools

import torch

DERIVATIVES = {  # closed forms, stable far into the tails (float64)
    "sigmoid": lambda z: torch.sigmoid(z) * torch.sigmoid(-z),
    "tanh": lambda z: torch.cosh(z) ** -2,
    "relu": lambda z: (z > 0).double(),
    "gelu": lambda z: torch.special.ndtr(z)
    + z * torch.exp(-(z**2) / 2) / (2 * torch.pi) ** 0.5,
}
FUNCTIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "gelu": lambda z: z * torch.special.ndtr(z),
}


@functools.cache  # one draw of n standard normals per seed, reused
def std_normal(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g, dtype=torch.float64)


def expected_slope(
    name: str, s: float, mean: float = 0.0, n: int = 200_000, seed: int = 0
) -> float:
    """Monte Carlo E[f'(z)] for z ~ N(mean, s^2)."""
    z = mean + s * std_normal(n, seed)
    return DERIVATIVES[name](z).mean().item()


def nonlinearity(name: str, s: float, n: int = 200_000, seed: int = 0) -> float:
    """1 - R^2 of the best straight line through f(z), z ~ N(0, s^2).

    0 means the unit is linear on its inputs.
    """
    z = s * std_normal(n, seed)
    h = FUNCTIONS[name](z)
    z, h = z - z.mean(), h - h.mean()
    r2 = (z * h).mean() ** 2 / ((z**2).mean() * (h**2).mean())
    return (1 - r2).item()


if __name__ == "__main__":
    for name in DERIVATIVES:
        row = "  ".join(
            f"s={s:<4g} {expected_slope(name, s):.3f}" for s in [0.1, 1, 3, 10]
        )
        print(f"{name:7s} E[f'(z)]: {row}")
    for name in DERIVATIVES:
        far = expected_slope(name, 1, mean=100)
        print(
            f"{name:7s} z ~ N(100, 1): E[f'(z)] = {far:.2e}"
            f"   1 - R^2 at s=1: {nonlinearity(name, 1):.3f}"
        )
# --8<-- [end:expected_slope]

# %% [markdown] lang="en"
# ## When the float32 gradient is exactly zero
#
# PyTorch computes the backward of sigmoid and tanh from the rounded output, so once σ(x) rounds to 1
# the gradient is exactly 0.0, not merely small. The code finds by bisection the smallest |x| at which
# autograd returns exactly 0.0, in float32 and in float64. In float32 that is x ≥
# {{ activations.zero.float32.sigmoid.pos | fixed(2) }} (24 ln 2) and x ≤
# {{ activations.zero.float32.sigmoid.neg | fixed(2) }} for sigmoid, and |x| ≥
# {{ activations.zero.float32.tanh.pos | fixed(2) }} (13 ln 2) for tanh; float64 moves the positive
# thresholds to {{ activations.zero.float64.sigmoid.pos | fixed(2) }} and
# {{ activations.zero.float64.tanh.pos | fixed(2) }}. The tanh threshold is about nine standard
# deviations of a pre-activation with unit variance, but less than a third of one in a layer with 784
# unit-variance inputs and unscaled N(0, 1) weights, where the std is sqrt(784) = 28.

# %% [markdown] lang="zh"
# ## float32梯度何时严格为零
#
# PyTorch中sigmoid和tanh的反向计算都基于舍入后的输出，所以一旦σ(x)舍入为1，梯度就严格等于0.0，而不只是很小。
# 代码用二分法分别在float32和float64下找出自动微分恰好返回0.0的最小|x|。在float32下，
# sigmoid在x ≥ {{ activations.zero.float32.sigmoid.pos | fixed(2) }}（24 ln 2）
# 和x ≤ {{ activations.zero.float32.sigmoid.neg | fixed(2) }}时梯度为零，
# tanh在|x| ≥ {{ activations.zero.float32.tanh.pos | fixed(2) }}（13 ln 2）时为零；换成float64，
# 正半轴上的阈值分别移到{{ activations.zero.float64.sigmoid.pos | fixed(2) }}和
# {{ activations.zero.float64.tanh.pos | fixed(2) }}。对方差为1的预激活值，tanh的这个阈值大约是九个标准差；
# 但在有784个单位方差输入、权重为未缩放N(0, 1)的层中，标准差是sqrt(784) = 28，这个阈值还不到三分之一个标准差。

# %%
# --8<-- [start:float32_zero]
import torch


def first_exact_zero(f, side: int, dtype=torch.float32) -> float:
    """Smallest |x| on one side (side = +1 or -1) where autograd gives f'(x) == 0.

    Bisection on |x| in [0, 1000]; the gradient stays 0 beyond the threshold.
    """

    def grad_is_zero(a: float) -> bool:
        x = torch.tensor(side * a, dtype=dtype, requires_grad=True)
        f(x).backward()
        return x.grad.item() == 0.0

    lo, hi = 0.0, 1000.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if grad_is_zero(mid) else (mid, hi)
    return hi


if __name__ == "__main__":
    for dtype in [torch.float32, torch.float64]:
        for name, f in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
            pos = first_exact_zero(f, +1, dtype)
            neg = first_exact_zero(f, -1, dtype)
            print(
                f"{str(dtype):13s} {name:7s} gradient is exactly 0 "
                f"for x >= {pos:.2f} and for x <= {-neg:.2f}"
            )
# --8<-- [end:float32_zero]

# %% [markdown] lang="en"
# ## Slopes multiply across depth, and so do the weights
#
# A fresh, untrained {{ activations.depth.n_layers }}-layer MLP of width
# {{ activations.depth.width }}, with the cross-entropy on the first {{ activations.depth.n_images }}
# digit images, built four ways from the same random matrices: networks 1 (sigmoid) and 2 (tanh) with
# weight variance 1/n; network 3, a sigmoid network with weights 4 times larger (2 times in the first
# layer) and biases −W·½ that cancel the sigmoid's mean ½; network 4, network 3 without the biases.
# The cell prints, for seed 0, the gradient norm at layer 1 over the one at layer
# {{ activations.depth.n_layers }} and the root-mean-square slope of each layer
# ({{ fig("depth_gradients") }}). Network 1 loses a factor of
# {{ activations.depth.sigmoid.factor_per_layer | fixed(3) }} per layer,
# {{ activations.depth.sigmoid.ratio_first_last | sci(1) }} in all; network 3 computes the tanh
# network's logits (up to float32 rounding) and has exactly the tanh network's ratio,
# {{ activations.depth.tanh.ratio_first_last | fixed(2) }}: each slope is still at most ¼, but each
# weight matrix multiplies the gradient by 4. Without the biases the mean ½ pushes the units off the
# steep part of the sigmoid, and the ratio falls to
# {{ activations.depth.sigmoid_x4_nobias.ratio_first_last | sci(1) }}; the page's table repeats all
# this over {{ activations.depth.seeds | length }} seeds.

# %% [markdown] lang="zh"
# ## 斜率随深度相乘，权重也一样
#
# 一个刚初始化、未经训练的{{ activations.depth.n_layers }}层MLP，宽度为{{ activations.depth.width }}，
# 在前{{ activations.depth.n_images }}张手写数字图像上计算交叉熵。四种网络由同一组随机矩阵构造：网络1（sigmoid）
# 和网络2（tanh）的权重方差为1/n；网络3是sigmoid网络，权重放大到4倍（第一层为2倍），并带有偏置−W·½，抵消sigmoid的均值½；
# 网络4是去掉这些偏置的网络3。代码打印随机种子0下第1层与第{{ activations.depth.n_layers }}层梯度范数之比，
# 以及每一层斜率的均方根（{{ fig("depth_gradients") }}）。
# 网络1的梯度每经过一层乘以{{ activations.depth.sigmoid.factor_per_layer | fixed(3) }}，
# 第1层的梯度只有最后一层的{{ activations.depth.sigmoid.ratio_first_last | sci(1) }}倍；
# 网络3计算的logit与tanh网络相同（只差float32舍入误差），这个比值也与tanh网络完全相同，
# 为{{ activations.depth.tanh.ratio_first_last | fixed(2) }}：每个斜率仍然至多为¼，但每个权重矩阵把梯度放大了4倍。
# 去掉偏置后，均值½把单元推离了sigmoid的陡峭部分，
# 这个比值降到{{ activations.depth.sigmoid_x4_nobias.ratio_first_last | sci(1) }}；
# 页面的表格在{{ activations.depth.seeds | length }}个随机种子上重复了这些实验。

# %%
# --8<-- [start:depth]
import functools

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ARMS = ["sigmoid", "tanh", "sigmoid x4", "sigmoid x4, no bias"]


@functools.cache  # loaded once; callers must not modify the tensors
def digits_train() -> tuple[torch.Tensor, torch.Tensor]:
    """Training split of the 8x8 digits, standardized with its own mean and std."""
    X, y = load_digits(return_X_y=True)
    X_tr, _, y_tr, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    X_tr = (X_tr - X_tr.mean()) / X_tr.std()  # one scale for all 64 pixels
    return torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr)


def gradient_through_depth(
    arm: str, n_layers: int = 10, width: int = 256, n_images: int = 512, seed: int = 0
) -> dict:
    """Norm of dL/dz at every hidden layer of a fresh MLP, and more.

    64 -> width -> ... -> width -> 10, cross-entropy on the first n_images
    images of the training split.
    Every arm draws the same V_l ~ N(0, 1/fan_in) and readout U from `seed`:
      'sigmoid', 'tanh': weights V_l, no biases (LeCun initialization);
      'sigmoid x4': weights 2 V_1, then 4 V_l, and biases b_l = -W_l (1/2) 1 that
          cancel the mean 1/2 of the sigmoid outputs feeding layer l; readout 2U
          with bias -U 1. Since sigmoid(z) = 1/2 + tanh(z/2) / 2, this network
          computes the 'tanh' network's logits, with z_l = 2 u_l (u_l: tanh's);
      'sigmoid x4, no bias': the same weights without those biases.
    """
    f = torch.tanh if arm == "tanh" else torch.sigmoid
    scale = arm.startswith("sigmoid x4")
    X, y = digits_train()
    X, y = X[:n_images], y[:n_images]
    torch.manual_seed(seed)
    h, zs, Ws = X, [], []
    for layer, fan_in in enumerate([64] + [width] * (n_layers - 1)):
        W = torch.randn(width, fan_in) / fan_in**0.5
        if scale:
            W = W * (2 if layer == 0 else 4)
        W.requires_grad_(True)
        z = h @ W.T
        if arm == "sigmoid x4" and layer > 0:
            z = z - W.detach().sum(1) / 2  # bias b = -W (1/2) 1, a constant here
        z.retain_grad()
        zs.append(z)
        Ws.append(W)
        h = f(z)
    U = torch.randn(10, width) / width**0.5
    logits = h @ (2 * U if scale else U).T
    if arm == "sigmoid x4":
        logits = logits - U.sum(1)
    torch.nn.functional.cross_entropy(logits, y).backward()
    slopes = [slope_of(f, z.detach()) for z in zs]
    # dL/dW_l = sum over samples of delta_l h_{l-1}^T; a sigmoid's h = 1/2 + (h - 1/2):
    # the part from the constant 1/2 moves a unit's incoming weights all together
    mean_part = []
    for z, W in zip(zs[1:], Ws[1:]):
        M = 0.5 * z.grad.sum(0)[:, None].expand_as(W)  # from the constant 1/2
        mean_part.append((M.norm() / (W.grad - M).norm()).item())
    return {
        "grad_norm": [z.grad.norm().item() for z in zs],
        "rms_slope": [(s**2).mean().sqrt().item() for s in slopes],
        "mean_part_of_weight_grad": mean_part if arm != "tanh" else None,
        "logits": logits.detach(),
    }


def slope_of(f, z: torch.Tensor) -> torch.Tensor:
    z = z.clone().requires_grad_(True)
    f(z).sum().backward()
    return z.grad


if __name__ == "__main__":
    runs = {arm: gradient_through_depth(arm) for arm in ARMS}
    for arm, r in runs.items():
        g = r["grad_norm"]
        print(
            f"{arm:20s} |dL/dz| at layer 1 / layer {len(g)}: {g[0] / g[-1]:.2e}"
            f"   RMS slope per layer: "
            + " ".join(f"{s:.3f}" for s in r["rms_slope"])
        )
    print(f"0.25 ** 9 = {0.25**9:.2e}: the most nine sigmoid slopes can give")
    diff = (runs["sigmoid x4"]["logits"] - runs["tanh"]["logits"]).abs().max()
    ratio = [
        a / b
        for a, b in zip(runs["sigmoid x4"]["grad_norm"], runs["tanh"]["grad_norm"])
    ]
    print(f"sigmoid x4 vs tanh: max |logit difference| {diff:.1e}, "
          f"|dL/dz| ratio per layer {min(ratio):.6f} to {max(ratio):.6f}")
# --8<-- [end:depth]

# %% [markdown] lang="en"
# ## Training network 3 against network 2
#
# That network 3 is network 2 holds for the function, not for training. A smaller network of the same
# construction ({{ activations.training.n_layers }} hidden layers of width
# {{ activations.training.width }}) is trained by plain SGD for {{ activations.training.steps }} steps
# on mini-batches of {{ activations.training.batch_size }}, {{ activations.training.seeds | length }}
# seeds at once: network 2; network 3 with its biases trained like any sigmoid network's; and network
# 3 with each bias tied to −W·½, which removes the mean term from the weight gradient. The cell tries
# three learning rates per arm and prints each arm's lowest median training loss; the full run behind
# the page's table tries {{ activations.training.grid.sigmoid | join(", ") }} for the two sigmoid
# arms. There the tied network ends at
# {{ activations.training.sigmoid_x4_tied.loss.median | fixed(3) }}, network 2 at
# {{ activations.training.tanh.loss.median | fixed(3) }} and network 3 with trained biases at
# {{ activations.training.sigmoid_x4.loss.median | fixed(3) }}. The tied network's edge over network 2
# comes from its per-layer learning rates, not from the sigmoid: with rates 4 times network 2's in the
# first layer and the readout and 16 times in the others it trains exactly like network 2 (the losses
# differ by at most {{ activations.training.identity.max_loss_diff | sci(0) }}), as the cell's last
# line shows.

# %% [markdown] lang="zh"
# ## 训练网络3与网络2
#
# 网络3就是网络2，这说的是函数相同，不是训练过程相同。
# 这里用同样的构造搭一个更小的网络（{{ activations.training.n_layers }}个隐藏层，
# 宽度{{ activations.training.width }}），用普通SGD训练{{ activations.training.steps }}步，
# 小批量大小为{{ activations.training.batch_size }}，{{ activations.training.seeds | length }}个随机种子同时训练。
# 共三组：网络2；像普通sigmoid网络那样训练偏置的网络3；以及把每个偏置固定为−W·½（“绑定”）的网络3，
# 这样权重梯度中就没有了均值项。代码为每组试三个学习率，打印每组最低的训练损失中位数；
# 页面表格背后的完整实验为两组sigmoid网络试了{{ activations.training.grid.sigmoid | join("、") }}。在完整实验中，
# 绑定网络的损失为{{ activations.training.sigmoid_x4_tied.loss.median | fixed(3) }}，
# 网络2为{{ activations.training.tanh.loss.median | fixed(3) }}，
# 偏置参与训练的网络3为{{ activations.training.sigmoid_x4.loss.median | fixed(3) }}。绑定网络之所以优于网络2，
# 是因为它相当于用了不同的逐层学习率，而不是因为sigmoid：学习率在第一层和读出层取网络2的4倍、在其余各层取16倍时，
# 它的训练与网络2完全相同（损失最多相差{{ activations.training.identity.max_loss_diff | sci(0) }}），
# 代码输出的最后一行就是这个对比。

# %%
# --8<-- [start:depth_training]
import functools

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@functools.cache  # loaded once; callers must not modify the tensors
def digits_train() -> tuple[torch.Tensor, torch.Tensor]:
    """Training split of the 8x8 digits, standardized with its own mean and std."""
    X, y = load_digits(return_X_y=True)
    X_tr, _, y_tr, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    X_tr = (X_tr - X_tr.mean()) / X_tr.std()  # one scale for all 64 pixels
    return torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr)


def train_deep(
    arm: str,
    lrs: list[list[float]],
    seeds: list[int],
    n_layers: int = 4,
    width: int = 32,
    steps: int = 100,
    batch_size: int = 32,
) -> torch.Tensor:
    """Training loss after `steps` of plain SGD, shape (len(lrs), len(seeds)).

    64 -> width x n_layers -> 10, the same V_l ~ N(0, 1/fan_in) per seed as
    network 2 ('tanh', no biases). lrs[k] holds one learning rate per weight
    matrix (first layer, ..., readout). The sigmoid arms are network 3: weights
    2V_1, 4V_l, readout 2V with biases -W (1/2) 1 on every layer after the first;
      'sigmoid x4': the biases are parameters, trained by SGD like the weights;
      'sigmoid x4, tied': the bias stays -W (1/2) 1, so dL/dW = sum delta (h - 1/2)^T:
          the mean term of the weight gradient is removed.
    """
    X, y = digits_train()
    sizes = [64] + [width] * n_layers + [10]
    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        nets.append([torch.randn(o, i) / i**0.5 for i, o in zip(sizes, sizes[1:])])
    gains = [1] * (n_layers + 1) if arm == "tanh" else [2] + [4] * (n_layers - 1) + [2]
    Ws = [
        (c * torch.stack(V)).repeat(len(lrs), 1, 1).requires_grad_(True)
        for c, V in zip(gains, zip(*nets))
    ]
    free = arm == "sigmoid x4"
    bs = [(-W.detach().sum(-1) / 2).requires_grad_(True) for W in Ws[1:]] if free else []
    lr = torch.tensor(lrs).repeat_interleave(len(seeds), dim=0)  # (n_nets, n_layers + 1)

    def loss(X, y):
        h = X
        for layer, W in enumerate(Ws):
            z = h @ W.mT
            if arm != "tanh" and layer > 0:
                z = z + (bs[layer - 1] if free else -W.sum(-1) / 2)[:, None, :]
            if layer == n_layers:
                break
            h = torch.tanh(z) if arm == "tanh" else torch.sigmoid(z)
        y = y.expand(z.shape[:2])
        ce = F.cross_entropy(z.flatten(0, 1), y.flatten(), reduction="none")
        return ce.view(y.shape).mean(1)

    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        idx = torch.randint(len(X), (len(seeds), batch_size), generator=g)
        idx = idx.repeat(len(lrs), 1)
        grads = torch.autograd.grad(loss(X[idx], y[idx]).sum(), Ws + bs)
        with torch.no_grad():
            for k, (p, G) in enumerate(zip(Ws + bs, grads)):
                # a bias b_l (layer l + 1) steps with its layer's learning rate
                step = lr[:, k if k < len(Ws) else k - len(Ws) + 1]
                p -= step.view(-1, *[1] * (p.dim() - 1)) * G
    with torch.no_grad():
        return loss(X, y).view(len(lrs), len(seeds))


if __name__ == "__main__":
    seeds, L, losses = [0, 1, 2, 3, 4], 4, {}
    for arm, grid in [
        ("tanh", [0.1, 0.3, 1.0]),
        ("sigmoid x4", [0.5, 1.0, 2.0]),
        ("sigmoid x4, tied", [1.0, 2.0, 4.0]),
    ]:
        losses[arm] = loss = train_deep(arm, [[a] * (L + 1) for a in grid], seeds)
        med = loss.median(1).values
        k = med.argmin().item()
        print(f"{arm:17s} best lr {grid[k]:4g}: training loss median {med[k]:.3f}"
              f" (range {loss[k].min():.3f} to {loss[k].max():.3f})")
    # tied, with lr 4x on the first layer and readout and 16x on the others:
    # gradient descent on network 2 at lr 0.3, exactly
    factors = [4] + [16] * (L - 1) + [4]
    tied = train_deep("sigmoid x4, tied", [[c * 0.3 for c in factors]], seeds)
    print(f"tied at lr (4, 16, ..., 16, 4) x 0.3 vs tanh at 0.3: max |loss difference| "
          f"{(tied[0] - losses['tanh'][1]).abs().max():.1e}")
# --8<-- [end:depth_training]

# %% [markdown] lang="en"
# ## Non-zero-centred outputs and one-sign gradients
#
# A weight's gradient is δ_i x_j, so when every input x_j comes from a sigmoid, and is positive, one
# sample gives all the incoming weight gradients of unit i the sign of δ_i. The cell counts the
# second-layer units whose whole row of weight gradients has one sign, in a 64 →
# {{ activations.sign.width }} → {{ activations.sign.width }} → 10 network on the digits, for single
# samples and mini-batches of {{ activations.sign.batch_sizes[1] }}, at initialization and after
# {{ activations.sign.steps }} SGD steps at each activation's best learning rate, and prints the
# median over {{ activations.sign.seeds | length }} seeds ({{ fig("one_sign") }}). With sigmoid every
# unit is one-sign for one sample, and a median of
# {{ activations.sign.sigmoid.batch_seeds.median | pct(0) }} for a mini-batch; training lowers that to
# {{ activations.sign.sigmoid.trained.batch.median | pct(0) }}, not to zero, while tanh and the
# zero-centred sigmoid σ(z) − ½ have none. The last control keeps the sigmoid but subtracts constant
# biases −W·½ after it, so its forward pass is the zero-centred network's and only the inputs of layer
# 2 stay positive: the one-sign share comes back,
# {{ activations.sign.control.batch_seeds.median | pct(0) }} for mini-batches, so the positive inputs
# cause most of the effect.

# %% [markdown] lang="zh"
# ## 输出不以零为中心与同号梯度
#
# 权重的梯度是δ_i x_j，所以当每个输入x_j都来自sigmoid、都为正时，对单个样本而言，单元i所有输入权重的梯度都与δ_i同号。
# 代码在手写数字数据上搭建64 → {{ activations.sign.width }} → {{ activations.sign.width }} → 10的网络，
# 统计第二层有多少单元的整行权重梯度同号。统计分别针对单个样本和大小为{{ activations.sign.batch_sizes[1] }}的小批量，
# 在初始化时和以各激活函数的最佳学习率用SGD训练{{ activations.sign.steps }}步之后各做一次，
# 并打印{{ activations.sign.seeds | length }}个随机种子的中位数（{{ fig("one_sign") }}）。用sigmoid时，
# 单个样本下全部单元都同号，小批量下中位数为{{ activations.sign.sigmoid.batch_seeds.median | pct(0) }}；
# 训练把它降到{{ activations.sign.sigmoid.trained.batch.median | pct(0) }}，但没有降到零；
# tanh和零中心sigmoid σ(z) − ½则完全没有同号的行。最后一个对照保留sigmoid，只在它后面加上常数偏置−W·½，
# 于是前向传播与零中心网络相同，只有第2层的输入仍然全为正：同号的行又出现了，
# 小批量下中位数为{{ activations.sign.control.batch_seeds.median | pct(0) }}，可见这个效应大部分来自为正的输入。

# %%
# --8<-- [start:one_sign]
import functools

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ACTS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "sigmoid - 1/2": lambda z: torch.sigmoid(z) - 0.5,  # a zero-centred sigmoid
    # plain sigmoid, with constant biases -W (1/2) 1 after it: the forward pass
    # of 'sigmoid - 1/2', but layer 2's inputs stay positive
    "sigmoid, bias -W/2": torch.sigmoid,
}


@functools.cache  # loaded once; callers must not modify the tensors
def digits_train() -> tuple[torch.Tensor, torch.Tensor]:
    """Training split of the 8x8 digits, standardized with its own mean and std."""
    X, y = load_digits(return_X_y=True)
    X_tr, _, y_tr, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    X_tr = (X_tr - X_tr.mean()) / X_tr.std()  # one scale for all 64 pixels
    return torch.tensor(X_tr, dtype=torch.float32), torch.tensor(y_tr)


def init_nets(seeds: list[int], width: int = 32) -> list[torch.Tensor]:
    """W1, W2, W3 of 64 -> width -> width -> 10 (LeCun init), one net per seed."""
    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        shapes = [(64, width), (width, width), (width, 10)]
        nets.append([torch.randn(o, i) / i**0.5 for i, o in shapes])
    return [torch.stack(W) for W in zip(*nets)]  # each (n_nets, out, in)


def losses(act: str, Ws: list, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of every net; X (n_nets, n, 64) or (n, 64)."""
    W1, W2, W3 = Ws
    f = ACTS[act]
    h1 = f(X @ W1.mT)  # the inputs of layer 2
    z2 = h1 @ W2.mT
    logits_bias = 0
    if act == "sigmoid, bias -W/2":  # constants: they do not enter dL/dW
        z2 = z2 - W2.detach().sum(-1)[:, None, :] / 2
        logits_bias = -W3.detach().sum(-1)[:, None, :] / 2
    logits = f(z2) @ W3.mT + logits_bias
    y = y.expand(logits.shape[:2])
    ce = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
    return ce.view(y.shape).mean(1)


def one_sign_fraction(
    act: str, Ws: list, batch_size: int, n_batches: int = 40, seed: int = 0
) -> torch.Tensor:
    """Per net: fraction of layer-2 units whose incoming weight gradients share one sign.

    Averaged over the first n_batches mini-batches of a shuffled training split.
    """
    X, y = digits_train()
    W2 = Ws[1].clone().requires_grad_(True)
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    fractions = []
    for idx in order.split(batch_size)[:n_batches]:
        loss = losses(act, [Ws[0], W2, Ws[2]], X[idx], y[idx]).sum()
        (grad,) = torch.autograd.grad(loss, W2)  # per net: sum over batch of delta_i h1_j
        same = (grad > 0).all(dim=-1) | (grad < 0).all(dim=-1)
        fractions.append(same.float().mean(-1))
    return torch.stack(fractions).mean(0)


def train(
    act: str,
    Ws: list,
    lrs: list[float],
    steps: int = 100,
    batch_size: int = 32,
    seed: int = 0,
) -> tuple[list, torch.Tensor]:
    """Plain SGD on all weights, every net at every learning rate.

    Returns the trained weights (len(lrs) * n_nets nets, lr-major) and their
    training loss on the whole split.
    """
    X, y = digits_train()
    n = len(Ws[0])
    Ws = [W.repeat(len(lrs), 1, 1).requires_grad_(True) for W in Ws]
    lr = torch.tensor(lrs).repeat_interleave(n)[:, None, None]
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(X), (n, batch_size), generator=g).repeat(len(lrs), 1)
        grads = torch.autograd.grad(losses(act, Ws, X[idx], y[idx]).sum(), Ws)
        with torch.no_grad():
            for W, G in zip(Ws, grads):
                W -= lr * G
    with torch.no_grad():
        final = losses(act, Ws, X, y)
    return [W.detach() for W in Ws], final


if __name__ == "__main__":
    seeds, grid = [0, 1, 2, 3, 4], {"sigmoid": [1, 3, 10], "tanh": [0.3, 1, 3]}
    for act in ACTS:
        nets = init_nets(seeds)
        single = one_sign_fraction(act, nets, 1).median().item()
        batch = one_sign_fraction(act, nets, 32).median().item()
        line = (f"{act:18s} one-sign units at init: one sample {single:6.1%}"
                f"  batch of 32 {batch:6.1%}")
        if act != "sigmoid, bias -W/2":
            lrs = grid["tanh" if act == "tanh" else "sigmoid"]
            trained, loss = train(act, nets, lrs)
            best = loss.view(len(lrs), -1).median(1).values.argmin().item()
            nets = [W.view(len(lrs), len(seeds), *W.shape[1:])[best] for W in trained]
            after = one_sign_fraction(act, nets, 32)
            line += f"  after 100 steps (lr {lrs[best]}) {after.median().item():6.1%}"
        print(line + "  (median of 5 seeds)")
# --8<-- [end:one_sign]

# %% [markdown] lang="en"
# ## GELU: the standard normal CDF as a gate
#
# GELU(x) = x Φ(x), where Φ is the cumulative distribution function of N(0, 1): here the standard
# normal is a fixed function, not an assumption about any data. The cell measures, in float64 on
# [−{{ activations.gelu.edge | fixed(0) }}, {{ activations.gelu.edge | fixed(0) }}], how far the
# paper's two cheaper approximations, a tanh formula and x σ(1.702 x), and PyTorch's two versions are
# from x Φ(x) ({{ fig("gelu") }}). The tanh formula is off by at most
# {{ activations.gelu.tanh_max_error | sci(1) }}, the sigmoid formula by
# {{ activations.gelu.sigmoid_max_error | sci(1) }}, about
# {{ (activations.gelu.sigmoid_max_error / activations.gelu.tanh_max_error) | fixed(0) }} times more.
# PyTorch's `gelu(x, approximate="tanh")` is the tanh formula, and the default `gelu(x)` is the exact
# x Φ(x) (error {{ activations.gelu.torch_default_max_error | sci(0) }}).

# %% [markdown] lang="zh"
# ## GELU：以标准正态累积分布函数为门控
#
# GELU(x) = x Φ(x)，其中Φ是N(0, 1)的累积分布函数：在这里，标准正态分布是一个固定的函数，而不是对任何数据的假设。
# 论文给出了两个计算更便宜的近似：tanh公式和x σ(1.702 x)。代码在float64下、
# 在[−{{ activations.gelu.edge | fixed(0) }}, {{ activations.gelu.edge | fixed(0) }}]上测量这两个近似以及PyTorch
# 的两个版本与x Φ(x)相差多少（{{ fig("gelu") }}）。tanh公式的误差至多为{{ activations.gelu.tanh_max_error | sci(1) }}，
# sigmoid公式至多为{{ activations.gelu.sigmoid_max_error | sci(1) }}，
# 约为前者的{{ (activations.gelu.sigmoid_max_error / activations.gelu.tanh_max_error) | fixed(0) }}倍。
# PyTorch的`gelu(x, approximate="tanh")`就是tanh公式，
# 默认的`gelu(x)`则是精确的x Φ(x)（误差{{ activations.gelu.torch_default_max_error | sci(0) }}）。

# %%
# --8<-- [start:gelu]
import math

import torch
import torch.nn.functional as F


def gelu_exact(x: torch.Tensor) -> torch.Tensor:
    return x * torch.special.ndtr(x)  # ndtr = Phi, the CDF of N(0, 1)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    return 0.5 * x * (1 + torch.tanh(inner))


def gelu_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


def approximation_errors(edge: float = 10.0) -> dict:
    """Max |error| of each approximation against x * Phi(x) on [-edge, edge]."""
    x = torch.linspace(-edge, edge, 200_001, dtype=torch.float64)
    exact = gelu_exact(x)
    out = {}
    for name, approx in [
        ("tanh formula", gelu_tanh(x)),
        ("sigmoid formula", gelu_sigmoid(x)),
        ('torch gelu(approximate="tanh")', F.gelu(x, approximate="tanh")),
        ("torch gelu (default)", F.gelu(x)),
    ]:
        err = (approx - exact).abs()
        out[name] = (err.max().item(), x[err.argmax()].item())
    out["torch tanh vs tanh formula"] = (
        (F.gelu(x, approximate="tanh") - gelu_tanh(x)).abs().max().item(),
        None,
    )
    return out


if __name__ == "__main__":
    for name, (err, where) in approximation_errors().items():
        at = "" if where is None else f" at x = {where:+.2f}"
        print(f"{name:31s} max |error| {err:.2e}{at}")
# --8<-- [end:gelu]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (all seeds and learning rates) and returns
# every number the page quotes; `figures()` draws the page's figures from them, {{ fig_range }} in the
# page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模（全部随机种子和学习率）运行全部实验，返回页面引用的每一个数字；
# `figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

NAMES = ["sigmoid", "tanh", "relu", "gelu"]
LEVELS = {"half": 0.5, "tenth": 0.1}
S_SWEEP = np.logspace(-1, 2, 13).tolist()  # 0.1 ... 100, 4 per decade
S_TABLE = [0.1, 1.0, 10.0, 100.0]  # a subset of S_SWEEP
SIGN_ACTS = ["sigmoid", "tanh", "sigmoid - 1/2"]
SIGN_KEYS = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "sigmoid - 1/2": "centred",
    "sigmoid, bias -W/2": "control",
}
DEPTH_SEEDS = [0, 1, 2, 3, 4]
DEPTH_KEYS = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "sigmoid x4": "sigmoid_x4",
    "sigmoid x4, no bias": "sigmoid_x4_nobias",
}


def _defaults(*functions) -> dict:
    """Default arguments of the experiment functions: the settings quoted."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _windows_results() -> dict:
    out = {}
    for name in NAMES:
        out[name] = {}
        for key, level in LEVELS.items():
            w = slope_window(name, level)
            lo = -math.inf if w["lo"] is None else w["lo"]
            hi = math.inf if w["hi"] is None else w["hi"]
            w["std_normal_inside"] = (
                torch.special.ndtr(torch.tensor(hi, dtype=torch.float64))
                - torch.special.ndtr(torch.tensor(lo, dtype=torch.float64))
            ).item()
            out[name][key] = w
    # where GELU's slope changes sign (GELU decreases left of it)
    x = torch.linspace(-3, 0, 300_001, dtype=torch.float64)
    d = slope(F.gelu, x)
    out["gelu_slope_zero"] = x[(d >= 0).nonzero()[0, 0]].item()
    out["gelu_min_slope"] = d.min().item()
    out["gelu_min_slope_at"] = x[d.argmin()].item()
    # the seed article's windows: the slope (relative to the peak) at their edges
    out["seed_edge_slope_ratio"] = {
        "sigmoid": slope(torch.sigmoid, torch.tensor([2.0], dtype=torch.float64))
        .item()
        / 0.25,
        "tanh": slope(torch.tanh, torch.tensor([1.0], dtype=torch.float64)).item(),
    }
    out["edge"] = _defaults(slope_window)["edge"]
    # ReLU is positively homogeneous: relu(c x) = c relu(x), relu'(c x) = relu'(x),
    # so its mean slope under N(mean, std^2) is P(z > 0) = Phi(mean / std)
    g = torch.Generator().manual_seed(0)
    xi = torch.randn(100_000, generator=g, dtype=torch.float64)
    out["relu_active"] = [
        {
            "mean": m,
            "std": s,
            "active": slope(torch.relu, m + s * xi).mean().item(),
        }
        for m, s in [(0.0, 0.01), (0.0, 100.0), (1.0, 1.0), (100.0, 100.0)]
        + [(100.0, 1.0), (-100.0, 1.0)]
    ]
    return out


def _expected_results() -> dict:
    out = {
        **_defaults(expected_slope),
        "s_sweep": S_SWEEP,
        "sweep": {},
        "nonlinearity_sweep": {},
        "table_s": S_TABLE,
        "table": {},
        "mean100": {},
        "nonlinearity_s1": {},
    }
    for name in NAMES:
        out["sweep"][name] = [expected_slope(name, s) for s in S_SWEEP]
        out["nonlinearity_sweep"][name] = [nonlinearity(name, s) for s in S_SWEEP]
        out["table"][name] = [
            out["sweep"][name][int(np.argmin(np.abs(np.array(S_SWEEP) - s)))]
            for s in S_TABLE
        ]
        out["mean100"][name] = expected_slope(name, 1.0, mean=100.0)
        out["mean_minus100"] = out.get("mean_minus100", {}) | {
            name: expected_slope(name, 1.0, mean=-100.0)
        }
        out["nonlinearity_s1"][name] = nonlinearity(name, 1.0)
    # float32 autograd at z ~ N(100, 1): what a network would actually compute
    g = torch.Generator().manual_seed(0)
    z32 = (100 + torch.randn(10_000, generator=g)).float()
    out["mean100_float32_autograd"] = {
        name: slope(f, z32).abs().max().item()
        for name, f in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]
    }
    return out


def _float32_results() -> dict:
    out = {}
    for dtype, key in [(torch.float32, "float32"), (torch.float64, "float64")]:
        out[key] = {}
        for name, f in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
            out[key][name] = {
                "pos": first_exact_zero(f, +1, dtype),
                "neg": -first_exact_zero(f, -1, dtype),
            }
    # check: beyond the threshold the float32 gradient stays exactly zero
    beyond = {}
    for name, f in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
        t = out["float32"][name]
        x = torch.cat(
            [
                torch.linspace(t["pos"], 200, 20_001),
                torch.linspace(-200, t["neg"], 20_001),
            ]
        )
        beyond[name] = slope(f, x).abs().max().item()
        # and just inside the thresholds it is not
    out["float32_max_grad_beyond"] = beyond
    out["float32_eps"] = torch.finfo(torch.float32).eps
    out["float32_max"] = torch.finfo(torch.float32).max
    return out


def _depth_results() -> dict:
    out = {**_defaults(gradient_through_depth), "seeds": DEPTH_SEEDS}
    runs = {
        arm: [gradient_through_depth(arm, seed=s) for s in DEPTH_SEEDS] for arm in ARMS
    }
    L = out["n_layers"]
    for arm in ARMS:
        r = dict(runs[arm][0])  # seed 0: the figure and the per-layer numbers
        r.pop("logits")
        g = r["grad_norm"]
        c = 4.0 if arm.startswith("sigmoid x4") else 1.0  # weight gain, layers 2..L
        ratios = [x["grad_norm"][0] / x["grad_norm"][-1] for x in runs[arm]]
        means = [m for x in runs[arm] for m in (x["mean_part_of_weight_grad"] or [])]
        out[DEPTH_KEYS[arm]] = r | {
            "ratio_first_last": g[0] / g[-1],
            "factor_per_layer": (g[0] / g[-1]) ** (1 / (L - 1)),
            "predicted_ratio": math.prod(c * s for s in r["rms_slope"][:-1]),
            "ratio_seeds": ratios,
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "mean_part_min": min(means) if means else None,
            "mean_part_max": max(means) if means else None,
        }
    # sigmoid x4 (mean-cancelling biases) is the tanh network: same logits, dL/dz halved
    pairs = list(zip(runs["sigmoid x4"], runs["tanh"]))
    out["identity"] = {
        "max_logit_diff": max(
            (a["logits"] - b["logits"]).abs().max().item() for a, b in pairs
        ),
        "max_abs_logit": max(b["logits"].abs().max().item() for _, b in pairs),
        "grad_ratio_min": min(
            x / y for a, b in pairs for x, y in zip(a["grad_norm"], b["grad_norm"])
        ),
        "grad_ratio_max": max(
            x / y for a, b in pairs for x, y in zip(a["grad_norm"], b["grad_norm"])
        ),
    }
    out["identity"]["grad_ratio_max_dev"] = max(
        abs(out["identity"]["grad_ratio_min"] - 0.5),
        abs(out["identity"]["grad_ratio_max"] - 0.5),
    )
    out["ceiling"] = 0.25 ** (L - 1)
    # what PyTorch's initializers assume for the sigmoid: gain 1, i.e. variance ~ 1/n
    out["torch_gain_sigmoid"] = torch.nn.init.calculate_gain("sigmoid")
    out["torch_gain_tanh"] = torch.nn.init.calculate_gain("tanh")
    return out


SIGN_SEEDS = [0, 1, 2, 3, 4]
SIGN_GRID = {  # learning rates tried, per activation
    "sigmoid": [1.0, 3.0, 10.0],
    "tanh": [0.3, 1.0, 3.0],
    "sigmoid - 1/2": [1.0, 3.0, 10.0],
}
CONTROL = "sigmoid, bias -W/2"


def _spread(values: list) -> dict:
    return {
        "seeds": values,
        "median": float(np.median(values)),
        "min": min(values),
        "max": max(values),
    }


def _sign_results() -> dict:
    d = _defaults(one_sign_fraction, init_nets, train)
    out = {**d, "batch_sizes": [1, d["batch_size"]], "seeds": SIGN_SEEDS, "grid": SIGN_GRID}
    for act in SIGN_ACTS + [CONTROL]:
        nets = init_nets(SIGN_SEEDS)
        single = one_sign_fraction(act, nets, 1).tolist()
        batch = one_sign_fraction(act, nets, d["batch_size"]).tolist()
        r = {"single": single[0], "batch": batch[0], "single_seeds": _spread(single),
             "batch_seeds": _spread(batch)}
        if act in SIGN_GRID:  # train at each learning rate; the best by median loss
            lrs, n = SIGN_GRID[act], len(SIGN_SEEDS)
            trained, loss = train(act, nets, lrs)
            loss = loss.view(len(lrs), n)
            k = loss.median(1).values.argmin().item()
            best = [W.view(len(lrs), n, *W.shape[1:])[k] for W in trained]
            r["trained"] = {
                "lr": lrs[k],
                "loss_median_per_lr": loss.median(1).values.tolist(),
                "loss": _spread(loss[k].tolist()),
                "init_loss": _spread(losses(act, nets, *digits_train()).tolist()),
                "batch": _spread(one_sign_fraction(act, best, d["batch_size"]).tolist()),
            }
        out[SIGN_KEYS[act]] = r
    return out


TRAIN_ARMS = {
    "tanh": "tanh",
    "sigmoid x4": "sigmoid_x4",
    "sigmoid x4, tied": "sigmoid_x4_tied",
}
TRAIN_GRID = {"tanh": [0.1, 0.3, 1.0], "sigmoid": [0.5, 1.0, 2.0, 4.0, 8.0]}


def _training_results() -> dict:
    d = _defaults(train_deep)
    L, seeds = d["n_layers"], DEPTH_SEEDS
    out = {**d, "seeds": seeds, "grid": TRAIN_GRID,
           "layer_factors": [4] + [16] * (L - 1) + [4]}
    per_layer = [[f * a for f in out["layer_factors"]] for a in TRAIN_GRID["tanh"]]
    for arm, key in TRAIN_ARMS.items():
        grid = TRAIN_GRID["tanh" if arm == "tanh" else "sigmoid"]
        lrs = [[a] * (L + 1) for a in grid]
        if arm == "sigmoid x4, tied":  # and with the per-layer factors, on tanh's grid
            lrs += per_layer
        loss = train_deep(arm, lrs, seeds)
        plain, medians = loss[: len(grid)], loss[: len(grid)].median(1).values
        k = medians.argmin().item()
        out[key] = {"lr": grid[k], "loss_median_per_lr": medians.tolist(),
                    "loss": _spread(plain[k].tolist())}
        if arm == "tanh":
            tanh = loss
    k = TRAIN_GRID["tanh"].index(out["tanh"]["lr"])
    factored = loss[len(TRAIN_GRID["sigmoid"]):]  # tied arm, per-layer factors
    out["identity"] = {
        "lr": out["tanh"]["lr"],
        "max_loss_diff": (factored[k] - tanh[k]).abs().max().item(),
        "loss_median": factored[k].median().item(),
    }
    return out


def _gelu_results() -> dict:
    errs = approximation_errors()
    x = torch.linspace(-6, 6, 1201, dtype=torch.float64)
    exact = gelu_exact(x)
    return {
        "tanh_max_error": errs["tanh formula"][0],
        "tanh_max_error_at": errs["tanh formula"][1],
        "sigmoid_max_error": errs["sigmoid formula"][0],
        "sigmoid_max_error_at": errs["sigmoid formula"][1],
        "torch_tanh_max_error": errs['torch gelu(approximate="tanh")'][0],
        "torch_default_max_error": errs["torch gelu (default)"][0],
        "torch_tanh_vs_formula": errs["torch tanh vs tanh formula"][0],
        "edge": _defaults(approximation_errors)["edge"],
        "curve_x": x.tolist(),
        "curve_exact": exact.tolist(),
        "curve_tanh_error": (gelu_tanh(x) - exact).tolist(),
        "curve_sigmoid_error": (gelu_sigmoid(x) - exact).tolist(),
    }


def _curves() -> dict:
    x = torch.linspace(-6, 6, 601, dtype=torch.float64)
    return {
        "x": x.tolist(),
        "f": {name: ACTIVATIONS[name](x).tolist() for name in NAMES},
        "df": {name: slope(ACTIVATIONS[name], x).tolist() for name in NAMES},
    }


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "windows": _windows_results(),
        "curves": _curves(),
        "expected": _expected_results(),
        "zero": _float32_results(),
        "depth": _depth_results(),
        "sign": _sign_results(),
        "training": _training_results(),
        "gelu": _gelu_results(),
    }


LABELS = {
    "en": {
        "sigmoid": "sigmoid",
        "tanh": "tanh",
        "relu": "ReLU",
        "gelu": "GELU",
        "x": "x",
        "f": "f(x)",
        "df": "f′(x)",
        "functions": "activation",
        "derivatives": "derivative",
        "s": "std s of the input z ~ N(0, s²)",
        "expected_slope": "mean slope E[f′(z)]",
        "nonlinearity": "nonlinearity 1 − R²",
        "layer": "hidden layer",
        "grad_norm": "‖∂L/∂z‖ (log scale)",
        "ceiling": "0.25 per layer",
        "depth_sigmoid": "sigmoid, Var(w) = 1/n",
        "depth_tanh": "tanh, Var(w) = 1/n",
        "depth_sigmoid_x4": "sigmoid, Var(w) = 16/n, bias −W·½",
        "depth_sigmoid_x4_nobias": "sigmoid, Var(w) = 16/n, no bias",
        "one_sample": "one sample",
        "batch": "mini-batch of {n}",
        "fraction_one_sign": "units with one-sign weight gradient",
        "centred": "sigmoid\n− 1/2",
        "control": "sigmoid,\nbias −W·½",
        "seed0_init": "initialization, seed 0",
        "seeds_batch": "batch of {n}, {s} seeds",
        "at_init": "at initialization",
        "after_steps": "after {n} SGD steps",
        "gelu_title": "GELU(x) = xΦ(x)",
        "error_title": "|approximation − xΦ(x)|",
        "tanh_approx": "tanh approximation",
        "sigmoid_approx": "xσ(1.702x)",
        "abs_error": "absolute error (log scale)",
    },
    "zh": {
        "sigmoid": "sigmoid",
        "tanh": "tanh",
        "relu": "ReLU",
        "gelu": "GELU",
        "x": "x",
        "f": "f(x)",
        "df": "f′(x)",
        "functions": "激活函数",
        "derivatives": "导数",
        "s": "输入z ~ N(0, s²)的标准差s",
        "expected_slope": "平均斜率E[f′(z)]",
        "nonlinearity": "非线性程度1 − R²",
        "layer": "隐藏层",
        "grad_norm": "‖∂L/∂z‖（对数坐标）",
        "ceiling": "每层0.25",
        "depth_sigmoid": "sigmoid，Var(w) = 1/n",
        "depth_tanh": "tanh，Var(w) = 1/n",
        "depth_sigmoid_x4": "sigmoid，Var(w) = 16/n，偏置−W·½",
        "depth_sigmoid_x4_nobias": "sigmoid，Var(w) = 16/n，无偏置",
        "one_sample": "单个样本",
        "batch": "大小为{n}的小批量",
        "fraction_one_sign": "权重梯度同号的单元比例",
        "centred": "sigmoid\n− 1/2",
        "control": "sigmoid，\n偏置−W·½",
        "seed0_init": "初始化时，随机种子0",
        "seeds_batch": "小批量{n}，{s}个随机种子",
        "at_init": "初始化时",
        "after_steps": "SGD训练{n}步后（最佳学习率）",
        "gelu_title": "GELU(x) = xΦ(x)",
        "error_title": "|近似 − xΦ(x)|",
        "tanh_approx": "tanh近似",
        "sigmoid_approx": "xσ(1.702x)",
        "abs_error": "绝对误差（对数坐标）",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    styles = {
        "sigmoid": ("C0", "-"),
        "tanh": ("C1", "--"),
        "relu": ("C2", ":"),
        "gelu": ("C3", "-."),
    }

    # Functions and derivatives, with the half-peak windows marked
    c = res["curves"]
    x = np.array(c["x"])
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    for name in NAMES:
        color, ls = styles[name]
        axes[0].plot(x, c["f"][name], color=color, linestyle=ls, label=L[name])
        axes[1].plot(x, c["df"][name], color=color, linestyle=ls)
        w = res["windows"][name]["half"]
        ends = [e for e in (w["lo"], w["hi"]) if e is not None]
        axes[1].plot(
            ends,
            [0.5 * w["peak"]] * len(ends),
            marker="o",
            color=color,
            linestyle="none",
        )
    axes[0].set_ylim(-1.5, 3)
    axes[0].set_title(L["functions"])
    axes[1].set_title(L["derivatives"])
    for ax in axes:
        ax.set_xlabel(L["x"])
        ax.axhline(0, color="C7", linewidth=0.5)
    axes[0].set_ylabel(L["f"])
    axes[1].set_ylabel(L["df"])
    fig.legend(loc="outside lower center", ncol=4)
    figs["slopes"] = fig

    # Expected slope and nonlinearity vs the input scale
    e = res["expected"]
    s = np.array(e["s_sweep"])
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    for name in NAMES:
        color, ls = styles[name]
        axes[0].plot(s, e["sweep"][name], color=color, linestyle=ls, label=L[name])
        axes[1].plot(s, e["nonlinearity_sweep"][name], color=color, linestyle=ls)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel(L["s"], fontsize="small")
        ax.axvline(1, color="C7", linewidth=0.5)
    axes[0].set_yscale("log")
    axes[0].set_title(L["expected_slope"])
    axes[1].set_title(L["nonlinearity"])
    fig.legend(loc="outside lower center", ncol=4)
    figs["expected_slope"] = fig

    # Gradient norm through depth
    d = res["depth"]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    layers = np.arange(1, d["n_layers"] + 1)
    for key, color, ls, marker in [
        ("sigmoid", "C0", "-", "o"),
        ("tanh", "C1", "--", "o"),
        ("sigmoid_x4", "C2", "-.", "s"),
        ("sigmoid_x4_nobias", "C3", ":", "^"),
    ]:
        ax.plot(
            layers,
            d[key]["grad_norm"],
            color=color,
            linestyle=ls,
            marker=marker,
            markersize=4,
            label=L["depth_" + key],
        )
    last = d["sigmoid"]["grad_norm"][-1]
    ax.plot(
        layers,
        last * 0.25 ** (d["n_layers"] - layers),
        color="C7",
        linestyle=":",
        label=L["ceiling"],
    )
    ax.set_yscale("log")
    ax.set_xlabel(L["layer"])
    ax.set_ylabel(L["grad_norm"])
    ax.set_xticks(layers)
    fig.legend(loc="outside lower center", ncol=2)
    figs["depth_gradients"] = fig

    # One-sign weight gradients: seed 0 at initialization; all seeds, before/after training
    g = res["sign"]
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 6.4), layout="constrained")
    keys = ["sigmoid", "tanh", "centred", "control"]
    pos = np.arange(len(keys))
    for k, (kind, label) in enumerate(
        [
            ("single", L["one_sample"]),
            ("batch", L["batch"].format(n=g["batch_sizes"][1])),
        ]
    ):
        vals = [g[key][kind] for key in keys]
        bars = axes[0].bar(
            pos + (k - 0.5) * 0.38, vals, width=0.36, color=f"C{k}", label=label
        )
        axes[0].bar_label(bars, labels=[f"{v:.0%}" for v in vals], padding=2)
    axes[0].set_xticks(pos, [L[key] for key in keys])
    axes[0].set_ylim(0, 1.15)
    axes[0].set_ylabel(L["fraction_one_sign"])
    axes[0].set_title(L["seed0_init"])
    trained = ["sigmoid", "tanh", "centred"]
    pos = np.arange(len(trained))
    for k, (label, get) in enumerate(
        [
            (L["at_init"], lambda key: g[key]["batch_seeds"]),
            (L["after_steps"].format(n=g["steps"]), lambda key: g[key]["trained"]["batch"]),
        ]
    ):
        med = np.array([get(key)["median"] for key in trained])
        lo = med - np.array([get(key)["min"] for key in trained])
        hi = np.array([get(key)["max"] for key in trained]) - med
        axes[1].bar(
            pos + (k - 0.5) * 0.38, med, width=0.36, color=f"C{k + 2}",
            yerr=[lo, hi], capsize=3, ecolor="C7", label=label,
        )
    axes[1].set_xticks(pos, [L[key] for key in trained])
    axes[1].set_ylim(0, 1.15)
    axes[1].set_ylabel(L["fraction_one_sign"])
    axes[1].set_title(L["seeds_batch"].format(s=len(g["seeds"]), n=g["batch_sizes"][1]))
    for ax in axes:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    fig.legend(loc="outside lower center", ncol=2)
    figs["one_sign"] = fig

    # GELU and the error of its approximations
    q = res["gelu"]
    x = np.array(q["curve_x"])
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2), layout="constrained")
    axes[0].plot(x, q["curve_exact"], color="C3")
    axes[0].axhline(0, color="C7", linewidth=0.5)
    axes[0].set_title(L["gelu_title"])
    axes[0].set_xlabel(L["x"])
    for key, label, color, ls in [
        ("curve_tanh_error", L["tanh_approx"], "C1", "--"),
        ("curve_sigmoid_error", L["sigmoid_approx"], "C0", "-"),
    ]:
        err = np.abs(np.array(q[key]))
        axes[1].plot(
            x,
            np.where(err > 0, err, np.nan),
            color=color,
            linestyle=ls,
            label=label,
        )
    axes[1].set_yscale("log")
    axes[1].set_ylim(1e-8, 0.1)
    axes[1].set_title(L["error_title"])
    axes[1].set_xlabel(L["x"])
    axes[1].set_ylabel(L["abs_error"])
    fig.legend(loc="outside lower center", ncol=2)
    figs["gelu"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
