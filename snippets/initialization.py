# %% [markdown] lang="en"
# # Weight initialization
#
# The notebook of the page [*Weight initialization*]({{ page_url }}) of *Why N(0, 1)?*. Each
# section below runs one experiment of the page and prints what it found; the last cell computes
# every number the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 权重初始化
#
# 这是《为什么是N(0, 1)？》中[权重初始化]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，并打印实验结果；
# 最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## Why not zeros or a constant
#
# A small MLP ({{ initialization.symmetry.hidden_units }} hidden units) trained on handwritten
# digits from three starts. With every weight equal to {{ initialization.symmetry.constant_value }}
# all hidden units compute the same function and get the same gradient, so they stay identical:
# the first layer keeps rank {{ initialization.symmetry.constant.rank }} and the test accuracy is
# {{ initialization.symmetry.constant.test_acc | pct(1) }}. All zeros is worse: no gradient
# reaches the first layer at all (rank {{ initialization.symmetry.zeros.rank }},
# {{ initialization.symmetry.zeros.test_acc | pct(1) }}, chance level). Random weights break the
# symmetry: rank {{ initialization.symmetry.random.rank }}, {{ initialization.symmetry.random.test_acc | pct(1) }}.

# %% [markdown] lang="zh"
# ## 为什么不能全零或常数
#
# 一个小型MLP（{{ initialization.symmetry.hidden_units }}个隐藏单元）从三种初始值出发，在手写数字上训练。
# 所有权重都等于{{ initialization.symmetry.constant_value }}时，每个隐藏单元计算同一个函数、得到同一个梯度，
# 因此始终一模一样：第一层的秩一直是{{ initialization.symmetry.constant.rank }}，
# 测试准确率为{{ initialization.symmetry.constant.test_acc | pct(1) }}。全零更糟：
# 第一层根本收不到梯度（秩为{{ initialization.symmetry.zeros.rank }}，
# 准确率{{ initialization.symmetry.zeros.test_acc | pct(1) }}，即随机猜测）。随机权重打破了对称性：
# 秩为{{ initialization.symmetry.random.rank }}，准确率{{ initialization.symmetry.random.test_acc | pct(1) }}。

# %%
# --8<-- [start:symmetry]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def load_digits_split() -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits, stratified 75/25 split, standardized.

    Standardized with the training split's mean and std.
    """
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    mean, std = X_tr.mean(), X_tr.std()  # one scale for all 64 pixels
    X_tr = torch.tensor((X_tr - mean) / std, dtype=torch.float32)
    X_te = torch.tensor((X_te - mean) / std, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


def train_small_mlp(init: str, steps: int = 300, lr: float = 0.5) -> dict:
    """Train 64 -> 32 (tanh) -> 10 with full-batch gradient descent.

    init is 'constant', 'zeros' or 'random'.
    """
    torch.manual_seed(0)
    X_tr, y_tr, X_te, y_te = load_digits_split()
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    for layer in (model[0], model[2]):
        if init == "constant":
            nn.init.constant_(layer.weight, 0.1)
        elif init == "zeros":
            nn.init.zeros_(layer.weight)
        else:  # random, LeCun scale: std = 1 / sqrt(fan_in)
            nn.init.normal_(layer.weight, std=1 / math.sqrt(layer.in_features))
        nn.init.zeros_(layer.bias)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    first_grad = None
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X_tr), y_tr).backward()
        if first_grad is None:
            first_grad = model[0].weight.grad.abs().max().item()
        opt.step()
    W1 = model[0].weight.detach()
    with torch.no_grad():
        test_acc = (model(X_te).argmax(1) == y_te).float().mean().item()
    return {
        "rank": int(
            torch.linalg.matrix_rank(W1)
        ),  # of the 32 x 64 first-layer weight
        "max_row_difference": (W1 - W1[0])
        .abs()
        .max()
        .item(),  # 0: all hidden units identical
        "first_layer_max_abs": W1.abs().max().item(),
        "first_step_grad_max_abs": first_grad,
        "test_acc": test_acc,
    }


if __name__ == "__main__":
    for init in ["constant", "zeros", "random"]:
        r = train_small_mlp(init)
        print(
            f"{init:8s}  rank(W1) = {r['rank']:2d}"
            f"  test accuracy = {r['test_acc']:.1%}"
            f"  max |W1| = {r['first_layer_max_abs']:.3f}"
        )
# --8<-- [end:symmetry]

# %% [markdown] lang="en"
# ## Why `torch.randn(784, 256)` is wrong
#
# One tanh layer with {{ initialization.randn.fan_in }} standardized inputs. With N(0, 1) weights
# each pre-activation sums {{ initialization.randn.fan_in }} terms of variance 1, so its std is
# sqrt(fan_in): {{ initialization.randn.randn.preact_std | fixed(1) }} here, and
# {{ initialization.randn.randn.saturated | pct(1) }} of the tanh outputs lie beyond ±{{ initialization.randn.saturation_threshold }}
# ({{ fig("randn_saturation") }}). Dividing by sqrt({{ initialization.randn.fan_in }}) = {{ (initialization.randn.fan_in ** 0.5) | fixed(0) }} brings the std to
# {{ initialization.randn.scaled.preact_std | fixed(2) }} and the saturated share to
# {{ initialization.randn.scaled.saturated | pct(1) }}. The cell also prints what saturation does to
# the gradients: it shrinks the gradient reaching the layer's own weights (relative to the weights,
# {{ initialization.randn.weight_grad_relative_ratio | fixed(0) }}× smaller than with the scaled
# weights), not the gradient passed back to the input. The sweep at the end shows the sqrt(fan_in)
# law for fan-ins from {{ initialization.randn.fan_in_sweep.fan_in[0] }} to {{ initialization.randn.fan_in_sweep.fan_in[-1] }}.

# %% [markdown] lang="zh"
# ## 为什么`torch.randn(784, 256)`是错的
#
# 一个tanh层，输入是{{ initialization.randn.fan_in }}个标准化后的特征。权重取N(0, 1)时，
# 每个预激活值是{{ initialization.randn.fan_in }}个方差为1的项之和，标准差等于扇入的平方根：
# 这里是{{ initialization.randn.randn.preact_std | fixed(1) }}，
# 有{{ initialization.randn.randn.saturated | pct(1) }}的tanh输出落在±{{ initialization.randn.saturation_threshold }}
# 之外（{{ fig("randn_saturation") }}）。除以sqrt({{ initialization.randn.fan_in }}) = {{ (initialization.randn.fan_in ** 0.5) | fixed(0) }}之后，
# 标准差变为{{ initialization.randn.scaled.preact_std | fixed(2) }}，
# 饱和比例降到{{ initialization.randn.scaled.saturated | pct(1) }}。代码还打印了饱和对梯度的影响：
# 饱和缩小的是到达该层自身权重的梯度（按权重本身的大小换算后，
# 只有缩放后权重情形的1/{{ initialization.randn.weight_grad_relative_ratio | fixed(0) }}），而不是传回输入的梯度。
# 最后的扫描在扇入从{{ initialization.randn.fan_in_sweep.fan_in[0] }}到{{ initialization.randn.fan_in_sweep.fan_in[-1] }}的范围内展示了标准差与扇入平方根成正比的规律。

# %%
# --8<-- [start:randn]
import math

import torch


def tanh_layer(
    fan_in: int,
    scale: float,
    fan_out: int = 256,
    batch: int = 1000,
    seed: int = 0,
):
    """Pre-activations z = x @ W and outputs tanh(z).

    x ~ N(0, 1) and W = scale * randn(fan_in, fan_out).
    """
    torch.manual_seed(seed)
    x = torch.randn(batch, fan_in)  # unit-variance inputs
    W = scale * torch.randn(
        fan_in, fan_out
    )  # x @ W: fan_in is the first dimension here
    z = x @ W
    return z, torch.tanh(z)


def backward_through_tanh_layer(
    fan_in: int,
    scale: float,
    fan_out: int = 256,
    batch: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Backpropagate a random gradient g (unit norm per input) through tanh(x @ W).

    The same x and W as tanh_layer. Returns norms relative to ||g||: at the
    pre-activations, dL/dz = g * tanh'(z) (what the layer's own weights see),
    and at the layer's input, dL/dx = dL/dz @ W.T (what earlier layers see);
    and ||dL/dW|| / ||W||, the relative size of the weights' gradient.
    """
    torch.manual_seed(seed)
    x = torch.randn(batch, fan_in)
    W = scale * torch.randn(fan_in, fan_out)
    h = torch.tanh(x @ W)
    g = torch.randn(batch, fan_out)
    g = g / g.norm(dim=1, keepdim=True)
    dz = g * (1 - h**2)  # tanh'(z) = 1 - tanh(z)^2
    dx = dz @ W.T
    dW = x.T @ dz
    return {
        "preact": (dz.norm() / g.norm()).item(),
        "input": (dx.norm() / g.norm()).item(),
        "weight_relative": (dW.norm() / W.norm()).item(),
    }


if __name__ == "__main__":
    for name, scale in [
        ("randn", 1.0),
        ("randn / sqrt(784)", 1 / math.sqrt(784)),
    ]:
        z, h = tanh_layer(784, scale)
        b = backward_through_tanh_layer(784, scale)
        print(
            f"{name:18s} std(z) = {z.std():5.2f}"
            f"   |tanh| > 0.99: {(h.abs() > 0.99).float().mean():6.1%}"
            f"   mean tanh'(z) = {(1 - h**2).mean():.3f}"
        )
        print(
            f"{'':18s} gradient / ||g||: at z {b['preact']:.3f},"
            f" at the input {b['input']:.3f};"
            f" ||dL/dW|| / ||W|| = {b['weight_relative']:.2e}"
        )
    for fan_in in [16, 64, 256, 1024, 4096]:
        z, _ = tanh_layer(fan_in, 1.0)
        print(
            f"fan_in {fan_in:4d}: std(x @ randn) = {z.std():5.1f}, "
            f"sqrt(fan_in) = {math.sqrt(fan_in):5.1f}"
        )
# --8<-- [end:randn]

# %% [markdown] lang="en"
# ## The rules, in PyTorch
#
# LeCun (std 1/sqrt(fan_in)), Xavier (sqrt(2/(fan_in + fan_out))) and Kaiming (gain/sqrt(fan_in))
# through their `torch.nn.init` calls on a {{ initialization.init_rules.fan_in }}×{{ initialization.init_rules.fan_out }}
# layer: the measured std of each matches its formula. Two traps are printed too: `nn.Linear`'s
# default initialization has {{ initialization.init_rules.linear_default_var_over_kaiming | fixed(2) }} of Kaiming's
# variance, and `torch.nn.init` reads fan-in from the weight's second dimension, so a
# (fan_in, fan_out) tensor silently gets fan-out scaling. The table compares
# `calculate_gain` with the gain that keeps the second moment of N(0, 1) inputs: they agree for
# ReLU ({{ initialization.gains.relu.pytorch | fixed(4) }}) but not for tanh
# ({{ initialization.gains.tanh.pytorch | fixed(4) }} against {{ initialization.gains.tanh.variance_preserving | fixed(4) }})
# or sigmoid ({{ initialization.gains.sigmoid.pytorch }} against {{ initialization.gains.sigmoid.variance_preserving | fixed(4) }}),
# and PyTorch has no gain for GELU or SiLU.

# %% [markdown] lang="zh"
# ## PyTorch中的初始化规则
#
# 在一个{{ initialization.init_rules.fan_in }}×{{ initialization.init_rules.fan_out }}的层上，
# 用`torch.nn.init`中相应的函数分别做LeCun（标准差1/sqrt(fan_in)）、Xavier（sqrt(2/(fan_in + fan_out))）
# 和Kaiming（gain/sqrt(fan_in)）初始化：实测的标准差都与各自的公式一致。代码还打印了两个陷阱：
# `nn.Linear`默认初始化的方差只有Kaiming初始化的
# {{ initialization.init_rules.linear_default_var_over_kaiming | fixed(2) }}；
# `torch.nn.init`从权重的第二个维度读取扇入，所以形状为(fan_in, fan_out)的张量会悄悄按扇出缩放。
# 最后的表格把`calculate_gain`与能让N(0, 1)输入的二阶矩保持不变的增益对比：
# ReLU两者一致（{{ initialization.gains.relu.pytorch | fixed(4) }}），
# tanh不一致（{{ initialization.gains.tanh.pytorch | fixed(4) }}对
# {{ initialization.gains.tanh.variance_preserving | fixed(4) }}），
# sigmoid也不一致（{{ initialization.gains.sigmoid.pytorch }}对
# {{ initialization.gains.sigmoid.variance_preserving | fixed(4) }}）；GELU和SiLU在PyTorch中没有增益。

# %%
# --8<-- [start:init_rules]
import math

import torch
from torch import nn


def init_std_table(
    fan_in: int = 784, fan_out: int = 256, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """Measured std of a weight after each rule, next to the rule's formula."""
    torch.manual_seed(seed)
    w = torch.empty(
        fan_out, fan_in
    )  # nn.Linear layout: (out_features, in_features)
    table = {}
    nn.init.kaiming_normal_(w, nonlinearity="linear")  # LeCun: Var = 1 / fan_in
    table["LeCun normal"] = (w.std().item(), math.sqrt(1 / fan_in))
    nn.init.xavier_normal_(w)  # Var = 2 / (fan_in + fan_out)
    table["Xavier normal"] = (w.std().item(), math.sqrt(2 / (fan_in + fan_out)))
    nn.init.xavier_uniform_(w)  # U(-a, a), a = sqrt(6 / (fan_in + fan_out))
    table["Xavier uniform"] = (
        w.std().item(),
        math.sqrt(2 / (fan_in + fan_out)),
    )
    nn.init.kaiming_normal_(
        w, mode="fan_in", nonlinearity="relu"
    )  # Var = 2 / fan_in
    table["Kaiming normal, fan_in"] = (w.std().item(), math.sqrt(2 / fan_in))
    nn.init.kaiming_normal_(
        w, mode="fan_out", nonlinearity="relu"
    )  # Var = 2 / fan_out
    table["Kaiming normal, fan_out"] = (w.std().item(), math.sqrt(2 / fan_out))
    nn.init.kaiming_uniform_(
        w, nonlinearity="relu"
    )  # U(-a, a), a = sqrt(6 / fan_in)
    table["Kaiming uniform, fan_in"] = (w.std().item(), math.sqrt(2 / fan_in))
    # What nn.Linear does by default: kaiming_uniform_(weight, a=sqrt(5))
    # = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    default = nn.Linear(fan_in, fan_out).weight
    table["nn.Linear default"] = (
        default.std().item(),
        math.sqrt(1 / (3 * fan_in)),
    )
    # Pitfall: torch.nn.init reads fan_in from dim 1. On W of shape
    # (fan_in, fan_out) used as x @ W, mode="fan_in" silently uses fan_out;
    # mode="fan_out" is the one that gives 2 / fan_in.
    w_t = torch.empty(fan_in, fan_out)
    nn.init.kaiming_normal_(w_t, nonlinearity="relu")
    table["Kaiming fan_in on (fan_in, fan_out) tensor"] = (
        w_t.std().item(),
        math.sqrt(2 / fan_out),
    )
    return table


ACTIVATIONS = {
    "linear": lambda z: z,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": nn.functional.leaky_relu,  # negative slope 0.01
    "gelu": nn.functional.gelu,
    "silu": nn.functional.silu,
    "selu": nn.functional.selu,
}


def gains() -> dict[str, float]:
    """torch.nn.init.calculate_gain: the factor compensating each nonlinearity."""
    names = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    return {name: nn.init.calculate_gain(name) for name in names}


def pytorch_gain(name: str) -> float | None:
    """torch.nn.init.calculate_gain, or None for the names it does not know."""
    try:
        return nn.init.calculate_gain(name)
    except ValueError:  # "Unsupported nonlinearity gelu"
        return None


def variance_preserving_gain(phi, points: int = 240_001) -> float:
    """1 / sqrt(E[phi(z)^2]) for z ~ N(0, 1), on a fine grid.

    With std(w) = gain / sqrt(fan_in), pre-activations z ~ N(0, 1) give next-layer
    pre-activations of second moment fan_in * Var(w) * E[phi(z)^2] = 1.
    """
    z = torch.linspace(-12, 12, points, dtype=torch.float64)
    density = torch.exp(-(z**2) / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    return (phi(z) ** 2 * density).sum().item() ** -0.5


if __name__ == "__main__":
    for name, (measured, formula) in init_std_table().items():
        print(f"{name:43s} measured std {measured:.4f}   formula {formula:.4f}")
    for name, phi in ACTIVATIONS.items():
        torch_gain = pytorch_gain(name)
        shown = "   none" if torch_gain is None else f"{torch_gain:7.4f}"
        print(
            f"{name:10s} calculate_gain {shown}"
            f"   variance-preserving {variance_preserving_gain(phi):.4f}"
        )
# --8<-- [end:init_rules]

# %% [markdown] lang="en"
# ## Signal through depth
#
# Stacks of {{ initialization.depth.n_layers }} layers of width {{ initialization.depth.width }}, tanh and ReLU, under
# N(0, 0.01²), N(0, 1), Xavier and Kaiming weights; the cell prints the activation std at four
# depths and how much the gradient norm changes from the last layer back to the input
# ({{ fig("depth_std") }}, {{ fig("depth_hist") }}). For ReLU only the matched rule keeps both
# level: ReLU with Kaiming ends with std {{ initialization.depth.relu_kaiming_final_std | fixed(2) }} at
# layer {{ initialization.depth.n_layers }} and a gradient ratio of {{ initialization.depth.grad_ratio.relu.kaiming | fixed(2) }};
# ReLU with Xavier loses a factor {{ initialization.depth.relu_xavier_factor_per_layer | fixed(3) }} per layer
# (gradient ratio {{ initialization.depth.grad_ratio.relu.xavier | sci(1) }}). For tanh no rule here keeps both: with
# the tanh gain the std stays at {{ initialization.depth.tanh_gain_final_std | fixed(2) }}, but the gradient grows by
# {{ initialization.depth.grad_ratio.tanh.tanh_gain | fixed(0) }} on the way back. With N(0, 1) weights tanh keeps its
# std near 1 only because {{ initialization.depth.tanh_unit_saturated_final | pct(0) }} of its units are saturated,
# and the gradient grows by {{ initialization.depth.grad_ratio.tanh.unit | sci(1) }} on the way back.

# %% [markdown] lang="zh"
# ## 信号随深度的传播
#
# {{ initialization.depth.n_layers }}层、宽度为{{ initialization.depth.width }}的tanh网络和ReLU网络，
# 权重分别取N(0, 0.01²)、N(0, 1)、Xavier和Kaiming；代码打印四个深度处激活值的标准差，
# 以及梯度范数从最后一层回到输入时变化了多少（{{ fig("depth_std") }}、{{ fig("depth_hist") }}）。
# 对ReLU而言，只有与之匹配的规则能让两者都保持平稳：ReLU配Kaiming时，
# 第{{ initialization.depth.n_layers }}层的标准差为{{ initialization.depth.relu_kaiming_final_std | fixed(2) }}，
# 梯度比值为{{ initialization.depth.grad_ratio.relu.kaiming | fixed(2) }}；ReLU配Xavier时，
# 标准差每层乘以{{ initialization.depth.relu_xavier_factor_per_layer | fixed(3) }}（梯度比值
# {{ initialization.depth.grad_ratio.relu.xavier | sci(1) }}）。对tanh而言，这里没有一种规则能让两者都平稳：
# 用tanh增益时标准差保持在{{ initialization.depth.tanh_gain_final_std | fixed(2) }}，
# 但梯度在反向传播中增大了{{ initialization.depth.grad_ratio.tanh.tanh_gain | fixed(0) }}倍。权重取N(0, 1)时，tanh网络的标准差之所以保持在1附近，
# 只是因为{{ initialization.depth.tanh_unit_saturated_final | pct(0) }}的单元已经饱和，
# 而梯度在反向传播中增大了{{ initialization.depth.grad_ratio.tanh.unit | sci(1) }}倍。

# %%
# --8<-- [start:depth]
import torch
from torch import nn

DEPTH_ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}


def init_layer(W: torch.Tensor, init: str) -> None:
    """'small' = N(0, 0.01^2), 'unit' = N(0, 1), 'xavier' = Xavier normal,
    'tanh_gain' = Xavier normal with gain calculate_gain('tanh'),
    'kaiming' = Kaiming normal (ReLU)."""
    if init == "small":
        nn.init.normal_(W, std=0.01)
    elif init == "unit":
        nn.init.normal_(W, std=1.0)
    elif init == "xavier":
        nn.init.xavier_normal_(W)
    elif init == "tanh_gain":
        nn.init.xavier_normal_(W, gain=nn.init.calculate_gain("tanh"))
    else:
        nn.init.kaiming_normal_(W, nonlinearity="relu")


def deep_forward(
    act: str,
    init: str,
    n_layers: int = 50,
    width: int = 256,
    batch: int = 1000,
    seed: int = 0,
) -> list[torch.Tensor]:
    """Activations of every layer of a bias-free stack h <- act(W h).

    Input x ~ N(0, 1), float32.
    """
    torch.manual_seed(seed)
    f = DEPTH_ACTIVATIONS[act]
    h = torch.randn(batch, width)
    activations = []
    for _ in range(n_layers):
        W = torch.empty(width, width)
        init_layer(W, init)
        h = f(h @ W.T)
        activations.append(h)
    return activations


def deep_gradient_norms(
    act: str,
    init: str,
    n_layers: int = 50,
    width: int = 256,
    batch: int = 1000,
    seed: int = 0,
    inputs: int = 32,
) -> list[float]:
    """||dL/dh_l|| for l = 0 (input) ... n_layers, relative to the last layer's.

    The same networks as deep_forward (same seed, same weights); the first
    `inputs` of its inputs are backpropagated in float64 (so nothing
    overflows), each from a random unit-norm gradient at the output.
    """
    torch.manual_seed(seed)
    f = DEPTH_ACTIVATIONS[act]
    h = torch.randn(batch, width)[:inputs].double().requires_grad_()
    hs = [h]
    for _ in range(n_layers):
        W = torch.empty(width, width)
        init_layer(W, init)
        hs.append(f(hs[-1] @ W.double().T))
        hs[-1].retain_grad()
    g = torch.randn(inputs, width, dtype=torch.float64)
    hs[-1].backward(g / g.norm(dim=1, keepdim=True))
    return [(h.grad.norm() / hs[-1].grad.norm()).item() for h in hs]


if __name__ == "__main__":
    settings = [
        (act, init)
        for act in ["tanh", "relu"]
        for init in ["small", "unit", "xavier", "kaiming"]
    ] + [("tanh", "tanh_gain"), ("sigmoid", "xavier")]
    for act, init in settings:
        hs = deep_forward(act, init)
        stds = [
            hs[i - 1].double().std().item() for i in (1, 10, 25, 50)
        ]  # float64: the std cannot overflow
        grads = deep_gradient_norms(act, init)
        print(
            f"{act:7s} {init:9s} activation std at layers 1, 10, 25, 50: "
            + "  ".join(f"{s:.2e}" for s in stds)
            + f"   ||dL/dh_0|| / ||dL/dh_50|| = {grads[0]:.1e}"
        )
    # relu + unit: float32 overflows to inf (then inf - inf = nan) after ~35 layers;
    # relu + small: float32 underflows to exact zeros just before layer 50.
# --8<-- [end:depth]

# %% [markdown] lang="en"
# ## Shape versus variance
#
# The same deep stacks with normal and with uniform weights of equal std ({{ fig("shape_vs_variance") }}).
# At every layer of every setting the two stds stay within a factor of
# {{ initialization.shape.min_ratio_any_layer | fixed(2) }} to {{ initialization.shape.max_ratio_any_layer | fixed(2) }} of each other,
# while the wrong variance (ReLU with Xavier's std) loses orders of magnitude under both shapes:
# only the variance of the weights matters here, not their distribution.

# %% [markdown] lang="zh"
# ## 形状与方差
#
# 同样的深层网络，权重分别取标准差相同的正态分布和均匀分布（{{ fig("shape_vs_variance") }}）。在每种设置的每一层，
# 两种权重下的标准差之比都在{{ initialization.shape.min_ratio_any_layer | fixed(2) }}到{{ initialization.shape.max_ratio_any_layer | fixed(2) }}之间；
# 而方差选错时（ReLU配Xavier的标准差），两种形状都损失若干个数量级：这里起作用的只是权重的方差，而不是它的分布。

# %%
# --8<-- [start:shape_vs_variance]
import math

import torch


def stds_through_depth(
    act: str,
    shape: str,
    std: float,
    n_layers: int = 50,
    width: int = 256,
    batch: int = 1000,
    seed: int = 0,
) -> list[float]:
    """Activation std per layer when every W has entries of the given std.

    The entries are drawn normal or uniform. Both shapes are made from the
    same uniform numbers u, so the shape is the only difference.
    """
    torch.manual_seed(seed)
    f = torch.tanh if act == "tanh" else torch.relu
    h = torch.randn(batch, width)
    stds = []
    for _ in range(n_layers):
        u = torch.rand(width, width)
        if shape == "normal":
            W = (
                std * math.sqrt(2) * torch.erfinv(2 * u - 1)
            )  # inverse CDF: N(0, std^2)
        else:
            W = (
                std * math.sqrt(3) * (2 * u - 1)
            )  # U(-a, a) with a = sqrt(3) * std
        h = f(h @ W.T)
        stds.append(h.double().std().item())
    return stds


if __name__ == "__main__":
    n = 256
    for act, std, name in [
        ("relu", math.sqrt(2 / n), "ReLU, Kaiming std"),
        ("tanh", math.sqrt(1 / n), "tanh, Xavier std"),
        ("relu", math.sqrt(1 / n), "ReLU, Xavier std (wrong for ReLU)"),
    ]:
        normal = stds_through_depth(act, "normal", std)[-1]
        uniform = stds_through_depth(act, "uniform", std)[-1]
        print(
            f"{name:34s} std at layer 50: normal {normal:.2e}, "
            f"uniform {uniform:.2e}, ratio {uniform / normal:.3f}"
        )
# --8<-- [end:shape_vs_variance]

# %% [markdown] lang="en"
# ## GELU and SiLU
#
# `calculate_gain` raises for GELU and SiLU, and √2 is not their gain: in
# {{ initialization.gelu_silu.n_layers }}-layer bias-free stacks, √2 shrinks the GELU pre-activation std to
# {{ initialization.gelu_silu.at.gelu.sqrt2["50"].std | sci(1) }} by layer 50. The gain that keeps the
# second moment ({{ initialization.gelu_silu.gain.gelu | fixed(3) }} for GELU, {{ initialization.gelu_silu.gain.silu | fixed(3) }}
# for SiLU) keeps the scale near 1 for a while, but its fixed point is unstable (map slope
# {{ initialization.gelu_silu.map_slope.gelu | fixed(2) }} for GELU), so the spread between inputs grows with depth: by
# layer 50 the std has drifted to {{ initialization.gelu_silu.at.gelu.own["50"].std | fixed(2) }} for GELU and
# {{ initialization.gelu_silu.at.silu.own["50"].std | fixed(0) }} for SiLU.

# %% [markdown] lang="zh"
# ## GELU与SiLU
#
# 对GELU和SiLU，`calculate_gain`会报错，而√2也不是它们的增益：在{{ initialization.gelu_silu.n_layers }}层、
# 无偏置的网络中，用√2时GELU预激活值的标准差到第50层缩小到
# {{ initialization.gelu_silu.at.gelu.sqrt2["50"].std | sci(1) }}。
# 保持二阶矩不变的增益（GELU为{{ initialization.gelu_silu.gain.gelu | fixed(3) }}，
# SiLU为{{ initialization.gelu_silu.gain.silu | fixed(3) }}）能让尺度在一段深度内大致保持在1附近，
# 但它的不动点不稳定（GELU的映射斜率为{{ initialization.gelu_silu.map_slope.gelu | fixed(2) }}），所以各输入之间的差异随深度增大：
# 到第50层，GELU的标准差已漂移到{{ initialization.gelu_silu.at.gelu.own["50"].std | fixed(2) }}，
# SiLU则为{{ initialization.gelu_silu.at.silu.own["50"].std | fixed(0) }}。

# %%
# --8<-- [start:gelu_silu]
import math

import torch
from torch import nn

STACK_ACTIVATIONS = {
    "gelu": nn.functional.gelu,
    "silu": nn.functional.silu,
    "relu": torch.relu,
}


def variance_preserving_gain(phi, points: int = 240_001) -> float:
    """1 / sqrt(E[phi(z)^2]) for z ~ N(0, 1), on a fine grid."""
    z = torch.linspace(-12, 12, points, dtype=torch.float64)
    density = torch.exp(-(z**2) / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    return (phi(z) ** 2 * density).sum().item() ** -0.5


def preactivation_stats(
    act: str,
    gain: float,
    n_layers: int = 50,
    width: int = 256,
    batch: int = 500,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Pre-activations of a bias-free stack z <- W act(z), W ~ N(0, gain^2 / width).

    z starts as N(0, 1). Per layer: the std of all pre-activations, and the
    10th, 50th and 90th percentiles over inputs of each input's RMS.
    """
    torch.manual_seed(seed)
    f = STACK_ACTIVATIONS[act]
    z = torch.randn(batch, width)
    levels = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
    out = {"std": [], "p10": [], "p50": [], "p90": []}
    for _ in range(n_layers):
        W = gain / math.sqrt(width) * torch.randn(width, width)
        z = f(z) @ W.T
        rms = z.double().pow(2).mean(dim=1).sqrt()  # one value per input
        p10, p50, p90 = rms.quantile(levels).tolist()
        out["std"].append(z.double().std().item())
        out["p10"].append(p10)
        out["p50"].append(p50)
        out["p90"].append(p90)
    return out


if __name__ == "__main__":
    for name in ["gelu", "silu"]:
        try:
            nn.init.calculate_gain(name)
        except ValueError as error:
            print(f"calculate_gain('{name}'): ValueError: {error}")
    for act in ["gelu", "silu"]:
        own = variance_preserving_gain(STACK_ACTIVATIONS[act])
        for label, gain in [("sqrt(2)", math.sqrt(2)), (f"{own:.4f}", own)]:
            s = preactivation_stats(act, gain)
            print(
                f"{act} gain {label:7s} pre-activation std at layers 10, 20, 50: "
                + "  ".join(f"{s['std'][i - 1]:.2e}" for i in (10, 20, 50))
            )
# --8<-- [end:gelu_silu]

# %% [markdown] lang="en"
# ## Training a deep ReLU network
#
# A {{ initialization.training.hidden_layers }}-hidden-layer ReLU MLP on handwritten digits, Xavier against
# Kaiming, with SGD with momentum and with Adam. The cell below is a quick version (one learning
# rate, three seeds); the full run behind {{ fig("training") }} gives each initialization its own
# learning rate from {{ initialization.training.lrs.sgd | join(", ") }} (SGD) and five seeds per rate.
# With SGD at each arm's best rate, Kaiming reaches a median test accuracy of
# {{ initialization.training.sgd.kaiming.best.median | pct(1) }} and Xavier {{ initialization.training.sgd.xavier.best.median | pct(1) }};
# with Adam the accuracy gap is gone ({{ initialization.training.adam.kaiming.best.median | pct(1) }} against
# {{ initialization.training.adam.xavier.best.median | pct(1) }}, inside the seeds' ranges), but the fit is not
# equal: the median training loss is {{ initialization.training.adam.kaiming.best.median_loss | fixed(3) }} for Kaiming against
# {{ initialization.training.adam.xavier.best.median_loss | fixed(3) }} for Xavier. Adam divides each parameter's step by
# a running root mean square of its own gradient, so the Xavier network's smaller gradients no longer make its
# steps smaller.

# %% [markdown] lang="zh"
# ## 训练深层ReLU网络
#
# 在手写数字上训练一个有{{ initialization.training.hidden_layers }}个隐藏层的ReLU MLP，对比Xavier和Kaiming，
# 优化器分别为带动量的SGD和Adam。下面的代码是快速版（一个学习率、三个随机种子）；
# {{ fig("training") }}背后的完整实验为每种初始化分别从{{ initialization.training.lrs.sgd | join("、") }}（SGD）
# 中选学习率，每个学习率五个随机种子。用SGD时，在各自的最佳学习率下，
# Kaiming的测试准确率中位数为{{ initialization.training.sgd.kaiming.best.median | pct(1) }}，
# Xavier为{{ initialization.training.sgd.xavier.best.median | pct(1) }}；
# 换成Adam后准确率的差距消失了（{{ initialization.training.adam.kaiming.best.median | pct(1) }}对
# {{ initialization.training.adam.xavier.best.median | pct(1) }}，在随机种子的波动范围之内），但拟合程度并不相同：
# 训练损失的中位数Kaiming为{{ initialization.training.adam.kaiming.best.median_loss | fixed(3) }}，
# Xavier为{{ initialization.training.adam.xavier.best.median_loss | fixed(3) }}。Adam把每个参数的步长除以
# 该参数自身梯度的滑动均方根，所以Xavier网络的梯度较小，不再使它的步长变小。

# %%
# --8<-- [start:training]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def load_digits_split() -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """8x8 digits, stratified 75/25 split, standardized.

    Standardized with the training split's mean and std.
    """
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    mean, std = X_tr.mean(), X_tr.std()  # one scale for all 64 pixels
    X_tr = torch.tensor((X_tr - mean) / std, dtype=torch.float32)
    X_te = torch.tensor((X_te - mean) / std, dtype=torch.float32)
    return X_tr, torch.tensor(y_tr), X_te, torch.tensor(y_te)


def init_weights(
    init: str, seed: int, hidden_layers: int = 12, width: int = 64
) -> list[torch.Tensor]:
    """Weights of 64 -> width -> ... -> width -> 10, each (fan_out, fan_in).

    Both rules scale the same N(0, 1) draws: Xavier by sqrt(2 / (fan_in +
    fan_out)), Kaiming by sqrt(2 / fan_in). With width 64 every layer but
    the last is square, and there Xavier = Kaiming * 2**-0.5 exactly.
    """
    gen = torch.Generator().manual_seed(seed)
    sizes = [64] + [width] * hidden_layers + [10]
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if init == "xavier":
            std = math.sqrt(2 / (fan_in + fan_out))
        else:
            std = math.sqrt(2 / fan_in)
        weights.append(std * torch.randn(fan_out, fan_in, generator=gen))
    return weights


def train_grid(
    optimizer: str,
    lrs: list[float],
    seeds: list[int],
    inits: tuple[str, ...] = ("xavier", "kaiming"),
    epochs: int = 8,
    batch_size: int = 64,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> dict:
    """Train one ReLU MLP per (init, learning rate, seed), all in one batched pass.

    Zero biases, no normalization. Each network has its own weights and data
    order (from its seed) and its own learning rate; its update is exactly
    torch.optim.SGD(lr, momentum) or torch.optim.Adam(lr, betas, eps).
    Returns, per init, the final training loss and test accuracy as
    [lr][seed] lists, and each seed's gradient norm at the first step.
    """
    X_tr, y_tr, X_te, y_te = load_digits_split()
    nets = [(i, s) for i in inits for _ in lrs for s in seeds]  # network order
    K = len(nets)
    lr = torch.tensor([float(v) for _ in inits for v in lrs for _ in seeds])
    lr = lr.view(K, 1, 1)
    weights = {(i, s): init_weights(i, s) for i in inits for s in seeds}
    W = [
        torch.stack([weights[net][layer] for net in nets]).requires_grad_()
        for layer in range(len(weights[nets[0]]))
    ]  # layer i: (K, fan_out, fan_in)
    b = [torch.zeros(K, 1, w.shape[1], requires_grad=True) for w in W]
    params = W + b
    state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]

    def loss_per_network(x, y):  # x: (K, n, 64), y: (K, n)
        for i, (w, bias) in enumerate(zip(W, b)):
            x = torch.baddbmm(bias, x, w.transpose(1, 2))
            if i < len(W) - 1:
                x = torch.relu(x)
        ce = nn.functional.cross_entropy(
            x.flatten(0, 1), y.flatten(), reduction="none"
        )
        return ce.view(K, -1).mean(dim=1), x

    orders = {s: torch.Generator().manual_seed(s) for s in seeds}
    step, first_grads = 0, None
    for _ in range(epochs):
        perms = {
            s: torch.randperm(len(X_tr), generator=g) for s, g in orders.items()
        }
        perm = torch.stack([perms[s] for _, s in nets])  # one order per seed
        for idx in perm.split(batch_size, dim=1):
            losses, _ = loss_per_network(X_tr[idx], y_tr[idx])
            grads = torch.autograd.grad(losses.sum(), params)  # independent nets
            step += 1
            if first_grads is None:
                first_grads = sum(g.pow(2).flatten(1).sum(dim=1) for g in grads)
            with torch.no_grad():
                for p, g, (m, v) in zip(params, grads, state):
                    if optimizer == "sgd":
                        m.mul_(momentum).add_(g)
                        p.sub_(lr * m)
                    else:  # Adam
                        m.lerp_(g, 1 - betas[0])
                        v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
                        m_hat = m / (1 - betas[0] ** step)
                        v_hat = v / (1 - betas[1] ** step)
                        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
    with torch.no_grad():
        train_loss, _ = loss_per_network(
            X_tr.expand(K, -1, -1), y_tr.expand(K, -1)
        )
        _, logits = loss_per_network(X_te.expand(K, -1, -1), y_te.expand(K, -1))
        test_acc = (logits.argmax(dim=-1) == y_te).float().mean(dim=1)
    shape = (len(inits), len(lrs), len(seeds))
    grad0 = first_grads.sqrt().view(shape)[:, 0]  # the same for every lr
    return {
        init: {
            "train_loss": train_loss.view(shape)[k].tolist(),  # nan: diverged
            "test_acc": test_acc.view(shape)[k].tolist(),
            "first_grad_norm": grad0[k].tolist(),
        }
        for k, init in enumerate(inits)
    }


if __name__ == "__main__":
    print(f"chance-level loss ln(10) = {math.log(10):.3f}")
    seeds = [0, 1, 2]  # the page uses five seeds and a sweep of rates
    for optimizer, lr in [("sgd", 0.01), ("adam", 0.003)]:
        r = train_grid(optimizer, [lr], seeds)
        for init, arm in r.items():
            accs = sorted(arm["test_acc"][0])
            print(
                f"{optimizer:4s} lr {lr:<6g} {init:7s} test accuracy over "
                f"{len(seeds)} seeds: median {accs[len(accs) // 2]:.1%}, "
                f"range {accs[0]:.1%} to {accs[-1]:.1%}"
            )
# --8<-- [end:training]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size and returns every number the page
# quotes; `figures()` draws the page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验，返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。
# 

# %%
import inspect
import json
import math
import statistics

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import NullFormatter
from torch import nn

SATURATION = 0.99  # a tanh unit counts as saturated when |tanh(z)| > 0.99
HIST_LAYERS = [1, 10, 25, 50]
DEPTH_SETTINGS = {
    "tanh": ["small", "unit", "xavier", "kaiming", "tanh_gain"],
    "relu": ["small", "unit", "xavier", "kaiming"],
    "sigmoid": ["xavier"],
}
TRAIN_SEEDS = [0, 1, 2, 3, 4]
TRAIN_LRS = {
    "sgd": [0.003, 0.01, 0.03, 0.1],
    "adam": [0.0003, 0.001, 0.003, 0.01],
}
REPORT_LAYERS = [10, 20, 50]
# Gaussian expectations E[f(u)], u ~ N(0, q), on a uniform grid in z = u / sqrt(q)
_Z = torch.linspace(-10, 10, 40_000, dtype=torch.float64)  # no node at the kink z = 0
_W = torch.exp(-(_Z**2) / 2) / math.sqrt(2 * math.pi) * (_Z[1] - _Z[0])


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _finite_or_none(values: list[float]) -> list[float | None]:
    """JSON has no inf/nan: a non-finite std (float32 overflow) becomes null."""
    return [v if math.isfinite(v) else None for v in values]


def _moments(phi, q: float) -> tuple[float, float]:
    """E[phi(u)^2] and E[phi'(u)^2] for u ~ N(0, q) (phi' by autograd)."""
    u = (math.sqrt(q) * _Z).requires_grad_()
    y = phi(u)
    (dy,) = torch.autograd.grad(y.sum(), u)
    return (y.detach() ** 2 * _W).sum().item(), (dy**2 * _W).sum().item()


def _fixed_point(phi, sw2: float, q: float = 1.0, tol: float = 1e-12) -> float:
    """q* of the length map q -> sw2 * E[phi(sqrt(q) z)^2] (no bias), iterated from q."""
    for _ in range(500):
        new = sw2 * _moments(phi, q)[0]
        if abs(new - q) < tol * max(1.0, q):
            return new
        q = new
    return q


def _slope_at_one(phi, gain: float, h: float = 1e-4) -> float:
    """dM/dq at q = 1 for M(q) = gain^2 E[phi(sqrt(q) z)^2]: > 1 means q = 1 is unstable."""
    up, down = _moments(phi, 1 + h)[0], _moments(phi, 1 - h)[0]
    return gain**2 * (up - down) / (2 * h)


def _slope_at_zero(phi) -> float:
    u = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(phi(u).sum(), u)
    return d.item()


def _symmetry_results() -> dict:
    return {
        init: train_small_mlp(init) for init in ["constant", "zeros", "random"]
    } | {"hidden_units": 32, "steps": 300, "lr": 0.5, "constant_value": 0.1}


def _randn_results() -> dict:
    edges = np.linspace(-1, 1, 41)
    out = {
        "fan_in": 784,
        "fan_out": 256,
        "batch": 1000,
        "saturation_threshold": SATURATION,
        "hist_edges": edges.tolist(),
    }
    for name, scale in [("randn", 1.0), ("scaled", 1 / math.sqrt(784))]:
        z, h = tanh_layer(784, scale)
        counts, _ = np.histogram(h.numpy(), bins=edges)
        back = backward_through_tanh_layer(784, scale)
        out[name] = {
            "preact_std": z.std().item(),
            "saturated": (h.abs() > SATURATION).float().mean().item(),
            "mean_derivative": (1 - h**2).mean().item(),
            "hist_fraction": (counts / counts.sum()).tolist(),
            "grad_preact": back["preact"],
            "grad_input": back["input"],
            "grad_weight_relative": back["weight_relative"],
        }
    for name, sigma in [("randn", math.sqrt(784)), ("scaled", 1.0)]:
        # mean field: E||dL/dz||^2 = E[tanh'(z)^2] ||g||^2, and dL/dx adds fan_in Var(w)
        slope2 = _moments(torch.tanh, sigma**2)[1]
        out[name]["grad_preact_theory"] = math.sqrt(slope2)
        out[name]["grad_input_theory"] = math.sqrt(sigma**2 * slope2)
    out["weight_grad_relative_ratio"] = (
        out["scaled"]["grad_weight_relative"] / out["randn"]["grad_weight_relative"]
    )
    fan_ins = [16, 64, 256, 784, 1024, 4096]
    out["fan_in_sweep"] = {
        "fan_in": fan_ins,
        "preact_std": [tanh_layer(n, 1.0)[0].std().item() for n in fan_ins],
        "sqrt_fan_in": [math.sqrt(n) for n in fan_ins],
    }
    return out


def _init_rules_results() -> dict:
    keys = {
        "LeCun normal": "lecun_normal",
        "Xavier normal": "xavier_normal",
        "Xavier uniform": "xavier_uniform",
        "Kaiming normal, fan_in": "kaiming_normal_fan_in",
        "Kaiming normal, fan_out": "kaiming_normal_fan_out",
        "Kaiming uniform, fan_in": "kaiming_uniform_fan_in",
        "nn.Linear default": "linear_default",
        "Kaiming fan_in on (fan_in, fan_out) tensor": "kaiming_transposed_layout",
    }
    table = init_std_table(784, 256)
    out = {
        "fan_in": 784,
        "fan_out": 256,
        "std": {
            keys[name]: {"measured": m, "formula": f}
            for name, (m, f) in table.items()
        },
        "gain": gains(),
    }
    lin = out["std"]["linear_default"]["measured"]
    out["linear_default_var_over_lecun"] = lin**2 * 784
    out["linear_default_var_over_kaiming"] = lin**2 * 784 / 2
    out["linear_default_bound"] = 1 / math.sqrt(784)
    return out


def _gain_results() -> dict:
    """The gain table: PyTorch's, the variance-preserving one, the critical one, and the
    mean-field numbers behind the recommendations (chi_1 = gain^2 E[phi'(sqrt(q*) z)^2])."""
    out = {}
    for name, phi in ACTIVATIONS.items():
        vp = variance_preserving_gain(phi)
        m2, d2 = _moments(phi, 1.0)
        out[name] = {
            "pytorch": pytorch_gain(name),
            "second_moment": m2,
            "variance_preserving": vp,
            # at the variance-preserving gain the length map's fixed point is q = 1
            "chi1_variance_preserving": vp**2 * d2,
            "map_slope_variance_preserving": _slope_at_one(phi, vp),
            "critical": None,
        }
    # Critical gains (chi_1 = 1). Odd activations with zero bias: q* = 0 for gain <= 1/phi'(0),
    # so chi_1 = (gain phi'(0))^2. Homogeneous ones: chi_1 = gain^2 E[phi'(z)^2] at any q.
    for name in ["linear", "tanh"]:
        out[name]["critical"] = 1 / _slope_at_zero(ACTIVATIONS[name])
    for name in ["relu", "leaky_relu"]:
        out[name]["critical"] = _moments(ACTIVATIONS[name], 1.0)[1] ** -0.5
    # sigmoid(x) = 1/2 + tanh(x / 2) / 2: weights 1 / sigmoid'(0) times a critical tanh net's,
    # plus a bias that cancels the mean 1/2, give exactly the critical tanh net.
    out["sigmoid"]["critical"] = 1 / _slope_at_zero(ACTIVATIONS["sigmoid"])
    for name in ["tanh", "sigmoid"]:
        g = out[name]["pytorch"]
        q = _fixed_point(ACTIVATIONS[name], g**2)
        out[name]["q_star_pytorch"] = q
        out[name]["chi1_pytorch"] = g**2 * _moments(ACTIVATIONS[name], q)[1]
    t = out["tanh"]
    t["growth_pytorch_10"] = t["chi1_pytorch"] ** 10
    t["norm_growth_pytorch_50"] = t["chi1_pytorch"] ** 25
    s = out["sigmoid"]
    s["shrink_pytorch"] = 1 / s["chi1_pytorch"]
    s["shrink_variance_preserving"] = 1 / s["chi1_variance_preserving"]
    s["slope_at_zero"] = _slope_at_zero(ACTIVATIONS["sigmoid"])
    return out


def _depth_results() -> dict:
    edges = np.linspace(-1, 1, 51)
    out = {
        **_defaults(deep_forward, deep_gradient_norms),
        "stds": {},
        "grads": {},
        "grad_ratio": {},
        "grad_factor": {},
        "hist_layers": HIST_LAYERS,
        "hist_edges": edges.tolist(),
        "hist_fraction": {},
    }
    n_layers = out["n_layers"]
    for act, inits in DEPTH_SETTINGS.items():
        out["stds"][act], out["grads"][act] = {}, {}
        out["grad_ratio"][act], out["grad_factor"][act] = {}, {}
        for init in inits:
            hs = deep_forward(act, init)
            stds = [h.double().std().item() for h in hs]
            out["stds"][act][init] = _finite_or_none(stds)
            grads = deep_gradient_norms(act, init)
            out["grads"][act][init] = grads
            out["grad_ratio"][act][init] = grads[0]
            out["grad_factor"][act][init] = grads[0] ** (1 / n_layers)
            if act == "tanh":
                last = hs[-1]
                out[f"tanh_{init}_saturated_final"] = (
                    (last.abs() > SATURATION).float().mean().item()
                )
                out[f"tanh_{init}_mean_slope_final"] = (1 - last**2).mean().item()
                if init != "tanh_gain":
                    hist = []
                    for layer in HIST_LAYERS:
                        counts, _ = np.histogram(
                            hs[layer - 1].numpy(), bins=edges
                        )
                        hist.append((counts / counts.sum()).tolist())
                    out["hist_fraction"][init] = hist
            if act == "sigmoid":
                last = hs[-1].double()
                out["sigmoid_mean_final"] = last.mean().item()
                out["sigmoid_second_moment_final"] = last.pow(2).mean().item()
                out["sigmoid_mean_share_final"] = (
                    last.mean().item() ** 2 / last.pow(2).mean().item()
                )
            if act == "relu" and init == "unit":
                bad = [
                    i + 1
                    for i, h in enumerate(hs)
                    if not torch.isfinite(h).all()
                ]
                out["relu_unit_first_nonfinite_layer"] = bad[0] if bad else None
                out["relu_unit_last_finite_std"] = max(
                    s for s in stds if math.isfinite(s)
                )
            if act == "relu" and init == "small":
                zero = [i + 1 for i, h in enumerate(hs) if (h == 0).all()]
                out["relu_small_first_all_zero_layer"] = (
                    zero[0] if zero else None
                )
            del hs
    s = out["stds"]
    # Per-layer factor of ReLU + Xavier, geometric mean over layers 1..50
    rx = s["relu"]["xavier"]
    out["relu_xavier_factor_per_layer"] = (rx[-1] / rx[0]) ** (
        1 / (len(rx) - 1)
    )
    out["relu_kaiming_first_std"] = s["relu"]["kaiming"][0]
    out["relu_kaiming_final_std"] = s["relu"]["kaiming"][-1]
    out["tanh_xavier_final_std"] = s["tanh"]["xavier"][-1]
    out["tanh_small_final_std"] = s["tanh"]["small"][-1]
    out["tanh_unit_final_std"] = s["tanh"]["unit"][-1]
    out["tanh_gain_final_std"] = s["tanh"]["tanh_gain"][-1]
    # Mean field (infinite width) for the tanh stack with N(0, 1) weights and for sigmoid + Xavier
    width = out["width"]
    q = _fixed_point(torch.tanh, float(width))
    out["tanh_unit_q_star"] = q
    out["tanh_unit_chi1"] = width * _moments(torch.tanh, q)[1]
    out["tanh_unit_rms_slope"] = _moments(torch.tanh, q)[1] ** 0.5
    q = _fixed_point(torch.sigmoid, 1.0)
    out["sigmoid_q_star"] = q
    out["sigmoid_chi1"] = _moments(torch.sigmoid, q)[1]
    out["sigmoid_shrink"] = 1 / out["sigmoid_chi1"]
    out["sigmoid_chi1_measured"] = out["grad_factor"]["sigmoid"]["xavier"] ** 2
    out["sigmoid_measured_shrink"] = 1 / out["sigmoid_chi1_measured"]
    # Finite width: one network's std wanders.
    # Ten independent ReLU + Kaiming stacks.
    finals = [s["relu"]["kaiming"][-1]]  # seed 0, computed above
    for seed in range(1, 10):
        finals.append(
            deep_forward("relu", "kaiming", seed=seed)[-1].double().std().item()
        )
    out["relu_kaiming_final_std_seeds"] = finals
    out["relu_kaiming_final_std_min"] = min(finals)
    out["relu_kaiming_final_std_max"] = max(finals)
    return out


def _shape_results() -> dict:
    settings = _defaults(stds_through_depth)
    n = settings["width"]
    configs = {
        "relu_kaiming": ("relu", math.sqrt(2 / n)),
        "tanh_xavier": ("tanh", math.sqrt(1 / n)),
        "relu_xavier": ("relu", math.sqrt(1 / n)),
    }
    out = {"stds": {}, "final_ratio": {}, **settings}
    for key, (act, std) in configs.items():
        normal = stds_through_depth(act, "normal", std)
        uniform = stds_through_depth(act, "uniform", std)
        out["stds"][key] = {"normal": normal, "uniform": uniform}
        out["final_ratio"][key] = uniform[-1] / normal[-1]
    ratios = [
        u / v
        for d in out["stds"].values()
        for u, v in zip(d["uniform"], d["normal"])
    ]
    out["min_ratio_any_layer"], out["max_ratio_any_layer"] = (
        min(ratios),
        max(ratios),
    )
    return out


def _gelu_silu_results() -> dict:
    out = {**_defaults(preactivation_stats), "report_layers": REPORT_LAYERS}
    out["gain"] = {
        act: variance_preserving_gain(STACK_ACTIVATIONS[act])
        for act in ["gelu", "silu"]
    }
    out["sqrt2"] = math.sqrt(2)
    out["pytorch_error"] = {}
    for act in ["gelu", "silu"]:
        try:
            nn.init.calculate_gain(act)
            out["pytorch_error"][act] = None
        except ValueError as error:
            out["pytorch_error"][act] = str(error)
    runs = {
        "gelu": {"sqrt2": math.sqrt(2), "own": out["gain"]["gelu"]},
        "silu": {"sqrt2": math.sqrt(2), "own": out["gain"]["silu"]},
        "relu": {"sqrt2": math.sqrt(2)},
    }
    out["runs"], out["at"], out["spread_growth"], out["map_slope"] = {}, {}, {}, {}
    for act, by_gain in runs.items():
        out["runs"][act], out["at"][act] = {}, {}
        for key, gain in by_gain.items():
            r = preactivation_stats(act, gain)
            out["runs"][act][key] = r
            out["at"][act][key] = {
                str(layer): {
                    "std": r["std"][layer - 1],
                    "p10": r["p10"][layer - 1],
                    "p90": r["p90"][layer - 1],
                }
                for layer in REPORT_LAYERS
            }
        own = by_gain.get("own", by_gain["sqrt2"])
        r = out["runs"][act]["own" if "own" in by_gain else "sqrt2"]
        # log-spread of the inputs' lengths, log(q_90 / q_10): its growth per layer, 10 -> 20
        spread = [2 * math.log(hi / lo) for hi, lo in zip(r["p90"], r["p10"])]
        out["spread_growth"][act] = (spread[19] / spread[9]) ** (1 / 10)
        out["map_slope"][act] = _slope_at_one(STACK_ACTIVATIONS[act], own)
    # Mean field with gain sqrt(2): q_l = 2 E[phi(sqrt(q_{l-1}) z)^2], q_0 = 1
    out["mean_field_sqrt2"] = {}
    for act in ["gelu", "silu"]:
        q, stds = 1.0, []
        for _ in range(out["n_layers"]):
            q = 2 * _moments(STACK_ACTIVATIONS[act], q)[0]
            stds.append(math.sqrt(q))
        out["mean_field_sqrt2"][act] = stds
    return out


def _summary(values: list[float]) -> dict:
    v = sorted(values)
    return {"median": float(np.median(v)), "min": v[0], "max": v[-1]}


def _training_results() -> dict:
    out = {
        **_defaults(init_weights, train_grid),
        "seeds": TRAIN_SEEDS,
        "lrs": TRAIN_LRS,
        "ln10": math.log(10),
    }
    for optimizer, lrs in TRAIN_LRS.items():
        out[optimizer] = {}
        runs = train_grid(optimizer, lrs, TRAIN_SEEDS)
        for init in ["xavier", "kaiming"]:
            r = runs[init]
            # a diverged run (nan or inf loss) counts as the worst loss
            losses = [
                [v if math.isfinite(v) else math.inf for v in row]
                for row in r["train_loss"]
            ]
            median_loss = [float(np.median(row)) for row in losses]
            best = int(np.argmin(median_loss))
            accs = r["test_acc"]
            out[optimizer][init] = {
                "train_loss": [_finite_or_none(row) for row in r["train_loss"]],
                "test_acc": accs,
                "median_loss": _finite_or_none(median_loss),
                "acc": [_summary(row) for row in accs],
                "diverged": [sum(not math.isfinite(v) for v in row) for row in losses],
                "best_index": best,
                "best_lr": lrs[best],
                "best": _summary(accs[best])
                | {"median_loss": median_loss[best], "max_loss": max(losses[best])},
                "first_grad_norm": r["first_grad_norm"],
            }
        x, k = out[optimizer]["xavier"], out[optimizer]["kaiming"]
        out[optimizer]["gap"] = k["best"]["median"] - x["best"]["median"]
        out[optimizer]["xavier_at_kaiming_lr"] = x["acc"][k["best_index"]]
        out[optimizer]["best_lr_ratio"] = x["best_lr"] / k["best_lr"]
    # Xavier std / Kaiming std per layer is sqrt(fan_in / (fan_in + fan_out)); the logits scale
    # by the product (zero biases)
    sizes = [64] + [out["width"]] * out["hidden_layers"] + [10]
    out["output_scale"] = math.prod(
        math.sqrt(a / (a + b)) for a, b in zip(sizes[:-1], sizes[1:])
    )
    x, k = out["sgd"]["xavier"], out["sgd"]["kaiming"]
    out["first_grad_ratio"] = float(
        np.median([a / b for a, b in zip(x["first_grad_norm"], k["first_grad_norm"])])
    )
    out["n_runs"] = sum(len(lrs) for lrs in TRAIN_LRS.values()) * 2 * len(TRAIN_SEEDS)
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "symmetry": _symmetry_results(),
        "randn": _randn_results(),
        "init_rules": _init_rules_results(),
        "gains": _gain_results(),
        "depth": _depth_results(),
        "shape": _shape_results(),
        "gelu_silu": _gelu_silu_results(),
        "training": _training_results(),
        # the explorer's settings, for the page's text (its values come from explorer_data())
        "explorer": _defaults(signal_through_depth),
    }


LABELS = {
    "en": {
        "explorer_title": "Explore: {networks} stacks of {depth} layers, width {width}, h ← φ(Wh), W ~ N(0, g²/{width}); median and each network",
        "explorer_activation": "Activation φ",
        "explorer_gain": "Gain g (weight std g/√{width})",
        "explorer_layer": "Histogram of layer",
        "explorer_tanh": "tanh",
        "explorer_relu": "ReLU",
        "explorer_sigmoid": "sigmoid",
        "explorer_gelu": "GELU",
        "explorer_kaiming": "Kaiming (ReLU, √2)",
        "explorer_std1": "std 1",
        "explorer_vp": "{act}: variance-preserving",
        "explorer_vp_unstable": "{act}: variance-preserving, unstable",
        "explorer_clipped": " (beyond the axis: dotted along its edge)",
        "explorer_std_title": "Activation std per layer",
        "explorer_std_axis": "std (log scale)",
        "explorer_each": "each network",
        "explorer_std": "over units and inputs (as in the figures above)",
        "explorer_spread": "across inputs (what tells inputs apart)",
        "explorer_median": "median",
        "explorer_grad_title": "Gradient norm ratio per layer, ‖∂L/∂h_l‖ / ‖∂L/∂h_L‖",
        "explorer_grad_axis": "norm ratio (log scale)",
        "explorer_hist_title": "Activations at the chosen layer, standardized",
        "explorer_value": "(activation − mean) / std; outer bins hold the tails",
        "explorer_fraction": "fraction of activations",
        "explorer_layer_std": "std at the chosen layer: median (range over the networks)",
        "explorer_last_spread": "spread across inputs at layer {depth}: median (range)",
        "explorer_grad_ratio": "gradient norm at the input / at layer {depth}: median (range)",
        "layer": "layer",
        "layer_l": "layer $l$",
        "activation_std": "activation std (log scale)",
        "grad_norm": r"$\|\partial L/\partial h_l\| \,/\, \|\partial L/\partial h_{50}\|$",
        "tanh": "tanh",
        "relu": "ReLU",
        "init_small": "N(0, 0.01²)",
        "init_unit": "N(0, 1)",
        "init_xavier": "Xavier",
        "init_kaiming": "Kaiming",
        "init_tanh_gain": "Xavier × tanh gain",
        "mean_field_unit": "N(0, 1), mean field $\\chi_1^{(50-l)/2}$",
        "overflow": "float32 overflow",
        "tanh_output": "tanh output",
        "fraction_units": "fraction of units",
        "randn_title": "W = randn(784, 256)",
        "scaled_title": "W = randn(784, 256) / √784",
        "layer_n": "layer {n}",
        "hist_title": "tanh, {init}",
        "normal": "normal",
        "uniform": "uniform",
        "relu_kaiming": "ReLU, Kaiming std",
        "tanh_xavier": "tanh, Xavier std",
        "relu_xavier": "ReLU, Xavier std",
        "learning_rate": "learning rate (log scale)",
        "test_acc": "test accuracy",
        "sgd": "SGD, momentum 0.9",
        "adam": "Adam",
        "chance": "chance",
        "arm": "{init}: median and range of {n} seeds",
        "best": "lowest median training loss",
    },
    "zh": {
        "explorer_title": "动手试试：{networks}个{depth}层、宽度为{width}的网络，h ← φ(Wh)，W ~ N(0, g²/{width})；中位数与每个网络",
        "explorer_activation": "激活函数φ",
        "explorer_gain": "增益g（权重标准差g/√{width}）",
        "explorer_layer": "直方图显示的层",
        "explorer_tanh": "tanh",
        "explorer_relu": "ReLU",
        "explorer_sigmoid": "sigmoid",
        "explorer_gelu": "GELU",
        "explorer_kaiming": "Kaiming（ReLU，√2）",
        "explorer_std1": "标准差为1",
        "explorer_vp": "{act}：保持方差",
        "explorer_vp_unstable": "{act}：保持方差，不稳定",
        "explorer_clipped": "（超出坐标轴的部分沿边缘画成点线）",
        "explorer_std_title": "各层激活值的标准差",
        "explorer_std_axis": "标准差（对数坐标）",
        "explorer_each": "每个网络",
        "explorer_std": "对所有单元和输入（同上面的图）",
        "explorer_spread": "跨输入的离散程度（区分输入的部分）",
        "explorer_median": "中位数",
        "explorer_grad_title": "各层梯度范数之比（‖∂L/∂h_l‖ / ‖∂L/∂h_L‖）",
        "explorer_grad_axis": "范数之比（对数坐标）",
        "explorer_hist_title": "所选层的激活值分布（标准化后）",
        "explorer_value": "（激活值 − 均值）/ 标准差；两端的柱包含尾部",
        "explorer_fraction": "激活值所占比例",
        "explorer_layer_std": "所选层激活值的标准差：中位数（各网络的范围）",
        "explorer_last_spread": "第{depth}层跨输入的离散程度：中位数（范围）",
        "explorer_grad_ratio": "输入处与第{depth}层的梯度范数之比：中位数（范围）",
        "layer": "层",
        "layer_l": "层l",
        "activation_std": "激活值标准差（对数坐标）",
        "grad_norm": r"$\|\partial L/\partial h_l\| \,/\, \|\partial L/\partial h_{50}\|$",
        "tanh": "tanh",
        "relu": "ReLU",
        "init_small": "N(0, 0.01²)",
        "init_unit": "N(0, 1)",
        "init_xavier": "Xavier",
        "init_kaiming": "Kaiming",
        "init_tanh_gain": "Xavier × tanh增益",
        "mean_field_unit": "N(0, 1)，平均场预测",
        "overflow": "float32溢出",
        "tanh_output": "tanh输出",
        "fraction_units": "单元比例",
        "randn_title": "W = randn(784, 256)",
        "scaled_title": "W = randn(784, 256) / √784",
        "layer_n": "第{n}层",
        "hist_title": "tanh，{init}初始化",
        "normal": "正态分布",
        "uniform": "均匀分布",
        "relu_kaiming": "ReLU，Kaiming标准差",
        "tanh_xavier": "tanh，Xavier标准差",
        "relu_xavier": "ReLU，Xavier标准差",
        "learning_rate": "学习率（对数坐标）",
        "test_acc": "测试准确率",
        "sgd": "SGD，动量0.9",
        "adam": "Adam",
        "chance": "随机猜测",
        "arm": "{init}：{n}个随机种子的中位数与范围",
        "best": "训练损失中位数最低",
    },
}

STYLES = {
    "small": ("C0", ":"),
    "unit": ("C1", "--"),
    "xavier": ("C2", "-."),
    "kaiming": ("C3", "-"),
    "tanh_gain": ("C4", (0, (5, 1, 1, 1, 1, 1))),
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    d = res["depth"]
    n_layers = d["n_layers"]

    # One layer: randn vs randn / sqrt(fan_in)
    r = res["randn"]
    edges = np.array(r["hist_edges"])
    fig, axes = plt.subplots(
        1, 2, figsize=(6.4, 3.0), sharey=True, layout="constrained"
    )
    for ax, (key, title), color in zip(
        axes,
        [("randn", "randn_title"), ("scaled", "scaled_title")],
        ["C1", "C0"],
    ):
        ax.stairs(
            r[key]["hist_fraction"], edges, color=color, fill=True, alpha=0.6
        )
        ax.set_title(L[title])
        ax.set_xlabel(L["tanh_output"])
    axes[0].set_yscale("log")
    axes[0].set_ylabel(L["fraction_units"])
    figs["randn_saturation"] = fig

    # Top: activation std per layer; bottom: gradient norm per layer (tanh and ReLU)
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 6.6), layout="constrained")
    for ax, act in zip(axes[0], ["tanh", "relu"]):
        for init in d["stds"][act]:
            stds = [
                np.nan if s is None or s <= 0 else s
                for s in d["stds"][act][init]
            ]
            color, ls = STYLES[init]
            ax.plot(
                range(1, len(stds) + 1),
                stds,
                color=color,
                linestyle=ls,
                label=L[f"init_{init}"],
            )
        ax.set_yscale("log")
        ax.set_title(L[act])
    if d["relu_unit_first_nonfinite_layer"] is not None:
        x = d["relu_unit_first_nonfinite_layer"]
        axes[0, 1].plot(
            [x - 1],
            [d["relu_unit_last_finite_std"]],
            marker="x",
            color="C1",
            linestyle="none",
        )
        axes[0, 1].annotate(
            L["overflow"],
            (x - 1, d["relu_unit_last_finite_std"]),
            textcoords="offset points",
            xytext=(-4, -14),
            ha="right",
        )
    axes[0, 0].set_ylabel(L["activation_std"])
    layers = np.arange(n_layers + 1)
    for ax, act in zip(axes[1], ["tanh", "relu"]):
        for init in d["grads"][act]:
            color, ls = STYLES[init]
            ax.plot(layers, d["grads"][act][init], color=color, linestyle=ls)
        ax.set_yscale("log")
        ax.set_xlabel(L["layer_l"])
    axes[1, 0].plot(
        layers,
        d["tanh_unit_chi1"] ** ((n_layers - layers) / 2),
        color="C7",
        linewidth=5,
        alpha=0.45,
        zorder=1,
        label=L["mean_field_unit"],
    )
    axes[1, 0].set_ylabel(L["grad_norm"])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    h, lab = axes[1, 0].get_legend_handles_labels()
    fig.legend(handles + h, labels + lab, loc="outside lower center", ncol=3)
    figs["depth_std"] = fig

    # Histograms of tanh activations at a few depths
    edges = np.array(d["hist_edges"])
    fig, axes = plt.subplots(
        3, 1, figsize=(6.4, 6.4), sharex=True, layout="constrained"
    )
    for ax, init in zip(axes, ["unit", "xavier", "kaiming"]):
        for k, (layer, frac) in enumerate(
            zip(d["hist_layers"], d["hist_fraction"][init])
        ):
            ax.stairs(
                frac,
                edges,
                color=f"C{k}",
                linestyle=["-", "--", "-.", ":"][k],
                label=L["layer_n"].format(n=layer),
            )
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(L["hist_title"].format(init=L[f"init_{init}"]))
        ax.set_ylabel(L["fraction_units"])
    axes[-1].set_xlabel(L["tanh_output"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4)
    figs["depth_hist"] = fig

    # Shape vs variance
    s = res["shape"]
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for k, key in enumerate(["relu_kaiming", "tanh_xavier", "relu_xavier"]):
        for shape, ls, marker in [
            ("normal", "-", None),
            ("uniform", "--", "o"),
        ]:
            stds = s["stds"][key][shape]
            ax.plot(
                range(1, len(stds) + 1),
                stds,
                color=f"C{k}",
                linestyle=ls,
                marker=marker,
                markevery=7,
                markersize=4,
                markerfacecolor="none",
                label=f"{L[key]}, {L[shape]}",
            )
    ax.set_yscale("log")
    ax.set_xlabel(L["layer"])
    ax.set_ylabel(L["activation_std"])
    fig.legend(loc="outside lower center", ncol=2)
    figs["shape_vs_variance"] = fig

    # Training: final test accuracy against the learning rate, both optimizers
    t = res["training"]
    fig, axes = plt.subplots(
        1, 2, figsize=(6.4, 3.6), sharey=True, layout="constrained"
    )
    for ax, optimizer in zip(axes, ["sgd", "adam"]):
        lrs = np.array(t["lrs"][optimizer])
        for init, color, shift, marker in [
            ("xavier", "C0", 0.92, "o"),
            ("kaiming", "C1", 1.08, "s"),
        ]:
            arm = t[optimizer][init]
            med = np.array([a["median"] for a in arm["acc"]])
            lo = med - np.array([a["min"] for a in arm["acc"]])
            hi = np.array([a["max"] for a in arm["acc"]]) - med
            ax.errorbar(
                lrs * shift,
                med,
                yerr=[lo, hi],
                color=color,
                marker=marker,
                markerfacecolor="none",
                capsize=3,
                label=L["arm"].format(init=L[f"init_{init}"], n=len(t["seeds"])),
            )
            b = arm["best_index"]
            ax.plot(
                [lrs[b] * shift],
                [med[b]],
                marker=marker,
                markersize=9,
                color=color,
                linestyle="none",
            )
        ax.plot(
            [], [], marker="o", markersize=9, color="C7", linestyle="none",
            label=L["best"],
        )
        ax.axhline(0.1, color="C7", linestyle=":", linewidth=1, label=L["chance"])
        ax.set_xscale("log")
        ax.set_title(L[optimizer])
        ax.set_xlabel(L["learning_rate"])
    axes[0].set_ylabel(L["test_acc"])
    axes[0].set_ylim(0, 1)
    handles, labels = [], []
    for ax in axes:
        h, l = ax.get_legend_handles_labels()
        for hh, ll in zip(h, l):
            if ll not in labels:
                handles.append(hh)
                labels.append(ll)
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    figs["training"] = fig
    return figs


# The page's explorer (an interactive figure; the site's script draws it from this data).
EXPLORER_ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "gelu": nn.functional.gelu,
}
EXPLORER_WIDTH = 128
EXPLORER_HIST_LAYERS = [1, 3, 10, 30]
EXPLORER_HIST_EDGES = np.linspace(-4.5, 4.5, 31)  # (activation - mean) / std at that layer


def explorer_gains(variance_preserving: dict[str, float]) -> list[float]:
    """The gain slider: 2^(k/4) from 1/2 to 16 (Xavier's 1, Kaiming's sqrt 2 and std 1's
    sqrt(width) among them), plus each activation's variance-preserving gain (ReLU's is sqrt 2)."""
    grid = {2 ** (k / 4) for k in range(-4, 17)}
    return sorted(grid | {g for name, g in variance_preserving.items() if name != "relu"})


def fixed_point_slope(phi, gain: float, h: float = 1e-4) -> float:
    """Slope at q = 1 of the mean-field map q -> gain^2 E[phi(sqrt(q) z)^2], z ~ N(0, 1): at the
    variance-preserving gain q = 1 is a fixed point, stable if the slope is below 1."""
    def second_moment(q: float) -> float:
        return gain**2 * (phi(math.sqrt(q) * _Z) ** 2 * _W).sum().item()

    return (second_moment(1 + h) - second_moment(1 - h)) / (2 * h)


def signal_through_depth(
    phi, gains: list[float], n_layers: int = 30, width: int = 128, batch: int = 32,
    networks: int = 5, seed: int = 0,
) -> list[dict]:
    """For each gain, `networks` independent stacks h <- phi(W h), W ~ N(0, gain^2 / width),
    x ~ N(0, 1), in float64. Every gain uses the same draws (W scaled by the gain), so moving the
    gain moves the curves, not the noise; all run as one batch. Per gain, network and layer: the
    std over all units and inputs (as in the page's figure), the spread across inputs (std over
    inputs per unit, root mean square over units: what tells inputs apart; None below 1e-14 of
    the activations' root mean square, where it is float64 rounding, not signal) and
    ||dL/dh_l|| / ||dL/dh_L|| (l = 0 is the input); and every activation of every layer."""
    g = torch.Generator().manual_seed(seed)
    scale = torch.tensor(gains, dtype=torch.float64).view(-1, 1, 1, 1) / math.sqrt(width)
    x = torch.randn(networks, batch, width, generator=g, dtype=torch.float64)
    x = x.expand(len(gains), -1, -1, -1).clone().requires_grad_()
    hs = [x]
    for _ in range(n_layers):
        W = torch.randn(networks, width, width, generator=g, dtype=torch.float64)
        hs.append(phi(scale * (hs[-1] @ W.transpose(1, 2))))
        hs[-1].retain_grad()
    out_grad = torch.randn(networks, batch, width, generator=g, dtype=torch.float64)
    hs[-1].backward((out_grad / out_grad.norm(dim=2, keepdim=True)).expand(len(gains), -1, -1, -1))
    std = torch.stack([h.detach().std(dim=(2, 3)) for h in hs[1:]], 2)
    spread = torch.stack([h.detach().std(dim=2).pow(2).mean(2).sqrt() for h in hs[1:]], 2)
    rms = torch.stack([h.detach().pow(2).mean(dim=(2, 3)).sqrt() for h in hs[1:]], 2)
    spread = torch.where(spread > 1e-14 * rms, spread, torch.nan)
    grad = torch.stack([h.grad.norm(dim=(2, 3)) / hs[-1].grad.norm(dim=(2, 3)) for h in hs], 2)
    return [
        {"std": std[i].tolist(), "spread": [[v if math.isfinite(v) else None for v in net] for net in spread[i].tolist()],
         "grad": grad[i].tolist(), "activations": [h[i].detach() for h in hs[1:]]}
        for i in range(len(gains))
    ]


def _scaled_histogram(values: torch.Tensor) -> list[float]:
    """Fractions of the values, standardized ((v - mean) / std), in the bins of EXPLORER_HIST_EDGES
    (values beyond the outer edges counted in the outer bins)."""
    v = ((values - values.mean()) / values.std()).flatten().numpy().clip(EXPLORER_HIST_EDGES[0], EXPLORER_HIST_EDGES[-1])
    counts, _ = np.histogram(v, bins=EXPLORER_HIST_EDGES)
    return (counts / len(v)).tolist()


def explorer_data() -> dict:
    """Every value of the page's explorer: each activation at each gain of the slider."""
    variance_preserving = {n: variance_preserving_gain(f) for n, f in EXPLORER_ACTIVATIONS.items()}
    gains = explorer_gains(variance_preserving)
    depth = {"gains": gains, "hist_layers": EXPLORER_HIST_LAYERS, "hist_edges": EXPLORER_HIST_EDGES.tolist(),
             "variance_preserving": variance_preserving, **_defaults(signal_through_depth), "runs": {}}
    depth["fixed_point_slope"] = {n: fixed_point_slope(f, depth["variance_preserving"][n])
                                  for n, f in EXPLORER_ACTIVATIONS.items()}
    for name, phi in EXPLORER_ACTIVATIONS.items():
        for i, run in enumerate(signal_through_depth(phi, gains)):
            depth["runs"][f"{name}|{i}"] = {
                **{key: run[key] for key in ["std", "spread", "grad"]},
                "hist": {str(l): _scaled_histogram(run["activations"][l - 1]) for l in EXPLORER_HIST_LAYERS},
            }
    return {"depth": depth}


def _median_min_max(values: list[float | None]) -> list[float] | None:
    """[median, min, max] over the networks; None if any network's value is below resolution."""
    return None if None in values else [statistics.median(values), min(values), max(values)]


def explorers(data: dict, lang: str) -> dict:
    """What the explorer shows, with its text in `lang` (sitebuild/explorers.py)."""
    L = LABELS[lang]
    d = data["depth"]
    gains, width, depth = d["gains"], d["width"], d["n_layers"]

    def nearest(g: float) -> str:
        return str(min(range(len(gains)), key=lambda i: abs(gains[i] - g)))

    marks = [(1.0, L["init_xavier"]), (math.sqrt(2), L["explorer_kaiming"]), (math.sqrt(width), L["explorer_std1"])]
    for n in ["tanh", "sigmoid", "gelu"]:
        unstable = d["fixed_point_slope"][n] > 1
        marks.append((d["variance_preserving"][n],
                      L["explorer_vp_unstable" if unstable else "explorer_vp"].format(act=L["explorer_" + n])))
    edges = d["hist_edges"]
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
    states = []
    for act in EXPLORER_ACTIVATIONS:
        for i in range(len(gains)):
            run = d["runs"][f"{act}|{i}"]

            def median_line(key: str, first: int) -> list[list[float]]:
                return [[l + first, None if None in v else statistics.median(v)] for l, v in enumerate(zip(*run[key]))]

            for layer in d["hist_layers"]:
                states.append({
                    "controls": {"act": act, "gain": str(i), "layer": str(layer)},
                    "series": {
                        "std": median_line("std", 1),
                        "spread": median_line("spread", 1),
                        "grad": median_line("grad", 0),
                        "grad_networks": [[[l, v] for l, v in enumerate(net)] for net in run["grad"]],
                        "std_networks": [[[l + 1, v] for l, v in enumerate(net)] for net in run["std"]],
                        "hist": [[x, f] for x, f in zip(centres, run["hist"][str(layer)])],
                    },
                    "values": {
                        "layer_std": _median_min_max([net[layer - 1] for net in run["std"]]),
                        "last_spread": _median_min_max([net[-1] for net in run["spread"]]),
                        "grad_ratio": _median_min_max([net[0] for net in run["grad"]]),
                    },
                })
    clipped = L["explorer_clipped"]
    return {"depth": {
        "title": L["explorer_title"].format(depth=depth, width=width, networks=d["networks"]),
        "controls": [
            {"name": "act", "label": L["explorer_activation"],
             "options": [{"value": a, "text": L["explorer_" + a]} for a in EXPLORER_ACTIVATIONS]},
            {"name": "gain", "label": L["explorer_gain"].format(width=width), "kind": "range",
             "options": [{"value": str(i), "text": f"{g:.2f}"} for i, g in enumerate(gains)],
             "value": nearest(1.0),
             "marks": [{"value": nearest(g), "text": t} for g, t in marks]},
            {"name": "layer", "label": L["explorer_layer"], "kind": "range",
             "options": [{"value": str(l), "text": str(l)} for l in d["hist_layers"]], "value": "10"},
        ],
        "charts": [
            {"title": L["explorer_std_title"] + clipped, "x": {"label": L["layer"]},
             "y": {"label": L["explorer_std_axis"], "scale": "log", "range": [1e-8, 1e8]},
             "series": [{"key": "std_networks", "label": L["explorer_each"], "color": "C7", "kind": "line", "thin": True},
                        {"key": "std", "label": L["explorer_std"], "color": "C0", "kind": "line"},
                        {"key": "spread", "label": L["explorer_spread"], "color": "C3", "kind": "line", "dashed": True}]},
            {"title": L["explorer_grad_title"] + clipped, "x": {"label": L["layer"]},
             "y": {"label": L["explorer_grad_axis"], "scale": "log", "range": [1e-8, 1e8]},
             "series": [{"key": "grad_networks", "label": L["explorer_each"], "color": "C7", "kind": "line", "thin": True},
                        {"key": "grad", "label": L["explorer_median"], "color": "C1", "kind": "line"}]},
            {"title": L["explorer_hist_title"], "x": {"label": L["explorer_value"], "range": [edges[0], edges[-1]]},
             "y": {"label": L["explorer_fraction"]},
             "series": [{"key": "hist", "label": "", "color": "C2", "kind": "bars"}]},
        ],
        "readouts": [
            {"key": "layer_std", "label": L["explorer_layer_std"], "format": ["sci", 1]},
            {"key": "last_spread", "label": L["explorer_last_spread"].format(depth=depth), "format": ["sci", 1]},
            {"key": "grad_ratio", "label": L["explorer_grad_ratio"].format(depth=depth), "format": ["sci", 1]},
        ],
        "states": states,
    }}


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
