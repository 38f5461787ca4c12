# %% [markdown] lang="en"
# # The edge of chaos
#
# The notebook of the page [*The edge of chaos*]({{ page_url }}) of *Why N(0, 1)?*. Each section
# below runs one experiment of the page and prints what it found, mean-field theory next to
# simulated random networks; the last cell computes every number the page quotes and draws its
# figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 混沌边缘
#
# 这是《为什么是N(0, 1)？》中[混沌边缘]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，并打印实验结果，
# 把平均场理论与模拟的随机网络放在一起对比；最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。
# 全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## The length map and its fixed point
#
# In a deep random tanh network the squared length $q^l$ of the pre-activations follows a
# one-dimensional map, computed here by Gauss–Hermite quadrature and compared with simulated
# networks of width {{ edge_of_chaos.length.width }}. The cell is a quick version with one network per
# weight distribution (normal, uniform, orthogonal) at $\sigma_w^2$ = {{ edge_of_chaos.length.shape.sw2 }} and
# $\sigma_b^2$ = {{ edge_of_chaos.length.shape.sb2 }}, where $q^*$ = {{ edge_of_chaos.length.settings[1].q_star | fixed(3) }}: it
# prints the simulated length after 1, 2, 3 and {{ edge_of_chaos.length.depth }} layers next to the theory, from
# $q^0$ = {{ edge_of_chaos.length.q0s | join(" and ") }}, and the excess kurtosis of the last pre-activations. The full
# run behind {{ fig("length_map") }} averages {{ edge_of_chaos.length.seeds | length }} networks and adds
# $\sigma_w^2$ = {{ edge_of_chaos.length.settings[0].sw2 }} ($q^*$ = {{ edge_of_chaos.length.settings[0].q_star | fixed(3) }}): whatever the
# start, the length reaches $q^*$ within about ten layers. There, averaged over the networks, all three
# weight distributions come within {{ edge_of_chaos.length.shape.max_rel_dev | pct(1) }} of the theory at layer
# {{ edge_of_chaos.length.depth }} (single networks in the early layers, as the cell shows, deviate more), and the mean
# excess kurtosis is at most {{ edge_of_chaos.length.shape.max_abs_kurtosis | fixed(3) }} in absolute value: the map uses only
# the weights' variance.

# %% [markdown] lang="zh"
# ## 长度映射及其不动点
#
# 在深层随机tanh网络中，预激活值的平方长度$q^l$服从一个一维映射。这里用高斯–埃尔米特求积计算它，
# 并与宽度为{{ edge_of_chaos.length.width }}的模拟网络比较。下面的代码是快速版：
# 取$\sigma_w^2$ = {{ edge_of_chaos.length.shape.sw2 }}、
# $\sigma_b^2$ = {{ edge_of_chaos.length.shape.sb2 }}（此时
# $q^*$ = {{ edge_of_chaos.length.settings[1].q_star | fixed(3) }}），每种权重分布（正态、均匀、正交）各模拟一个网络，
# 从$q^0$ = {{ edge_of_chaos.length.q0s | join("和") }}出发，打印第1、2、
# 3和{{ edge_of_chaos.length.depth }}层的模拟长度与理论值，以及最后一层预激活值的超额峰度。
# {{ fig("length_map") }}背后的完整实验对{{ edge_of_chaos.length.seeds | length }}个网络取平均，
# 并增加了$\sigma_w^2$ = {{ edge_of_chaos.length.settings[0].sw2 }}
# 的设置（$q^*$ = {{ edge_of_chaos.length.settings[0].q_star | fixed(3) }}）：无论从哪里出发，
# 长度都在大约十层之内到达$q^*$。在完整实验中，对网络取平均后，三种权重分布在第{{ edge_of_chaos.length.depth }}层
# 与理论的偏差都不超过{{ edge_of_chaos.length.shape.max_rel_dev | pct(1) }}（如代码输出所示，单个网络在前几层偏差更大），
# 超额峰度的平均值的绝对值至多为{{ edge_of_chaos.length.shape.max_abs_kurtosis | fixed(3) }}：这个映射只用到权重的方差。

# %%
# --8<-- [start:variance_map]
import math

import numpy as np
import torch
from numpy.polynomial.hermite_e import hermegauss

NODES, WEIGHTS = hermegauss(201)  # Gauss-Hermite rule for the weight exp(-z^2/2)
WEIGHTS = WEIGHTS / WEIGHTS.sum()  # sum(WEIGHTS * f(NODES)) = E[f(z)], z ~ N(0, 1)


def length_map(q: float, sw2: float, sb2: float) -> float:
    """q^l = sigma_w^2 E[tanh(sqrt(q^{l-1}) z)^2] + sigma_b^2, z ~ N(0, 1)."""
    return sw2 * float(np.sum(WEIGHTS * np.tanh(math.sqrt(q) * NODES) ** 2)) + sb2


def iterate_map(q0: float, sw2: float, sb2: float, depth: int) -> list[float]:
    """q^0, q^1, ..., q^depth predicted by the length map."""
    qs = [q0]
    for _ in range(depth):
        qs.append(length_map(qs[-1], sw2, sb2))
    return qs


def fixed_point(sw2: float, sb2: float, tol: float = 1e-14) -> float:
    """q* = length_map(q*), reached by iterating the map from q = 1."""
    if sb2 == 0 and sw2 <= 1:
        return 0.0  # tanh with no bias and sigma_w <= 1: the signal dies out
    q = 1.0
    for _ in range(100_000):
        q, q_old = length_map(q, sw2, sb2), q
        if abs(q - q_old) < tol * q:
            break
    return q


def sample_weights(n: int, sw2: float, kind: str, g: torch.Generator):
    """An n x n matrix with entries of variance sw2 / n."""
    if kind == "normal":
        a = torch.randn(n, n, generator=g, dtype=torch.float64)
        return a * math.sqrt(sw2 / n)
    if kind == "uniform":  # U[-a, a] has variance a^2 / 3
        u = torch.rand(n, n, generator=g, dtype=torch.float64)
        return (2 * u - 1) * math.sqrt(3 * sw2 / n)
    # orthogonal, as torch.nn.init.orthogonal_ draws it: QR of a Gaussian
    a = torch.randn(n, n, generator=g, dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    return q * torch.sign(torch.diagonal(r)) * math.sqrt(sw2)


def simulate_lengths(
    sw2: float, sb2: float, q0s: tuple = (0.02, 4.0), per_start: int = 8,
    width: int = 500, depth: int = 10, kind: str = "normal", seed: int = 0,
) -> dict:
    """Mean squared pre-activation q^l = |h^l|^2 / width at each layer of a deep
    tanh network h^l = W^l tanh(h^{l-1}) + b^l, averaged over `per_start`
    random inputs for each starting length q^0."""
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(len(q0s) * per_start, width, generator=g, dtype=torch.float64)
    h = h / h.pow(2).mean(1, keepdim=True).sqrt()  # exactly unit length
    q0 = torch.tensor(q0s, dtype=torch.float64).repeat_interleave(per_start)
    h = h * q0.sqrt()[:, None]
    qs = [h.pow(2).mean(1)]
    for _ in range(depth):
        W = sample_weights(width, sw2, kind, g)
        b = torch.randn(width, generator=g, dtype=torch.float64) * math.sqrt(sb2)
        h = torch.tanh(h) @ W.T + b
        qs.append(h.pow(2).mean(1))
    q = torch.stack(qs).T.reshape(len(q0s), per_start, depth + 1).mean(1)
    z = h / h.pow(2).mean(1, keepdim=True).sqrt()  # last layer, standardized
    return {
        "q": q.tolist(),  # [start][layer]
        "excess_kurtosis": (z.pow(4).mean(1) - 3).mean().item(),
    }


if __name__ == "__main__":
    sw2, sb2 = 4.0, 0.05
    print(f"sigma_w^2 = {sw2}, sigma_b^2 = {sb2}: q* = {fixed_point(sw2, sb2):.4f}")
    for kind in ["normal", "uniform", "orthogonal"]:
        sim = simulate_lengths(sw2, sb2, kind=kind)
        for q0, q_sim in zip((0.02, 4.0), sim["q"]):
            theory = iterate_map(q0, sw2, sb2, 10)
            print(f"{kind:10s} q0 = {q0:4}: layer 1, 2, 3, 10 simulated "
                  + " ".join(f"{q_sim[i]:.3f}" for i in (1, 2, 3, 10))
                  + "  theory "
                  + " ".join(f"{theory[i]:.3f}" for i in (1, 2, 3, 10)))
        print(f"{kind:10s} excess kurtosis of the last pre-activations: "
              f"{sim['excess_kurtosis']:.3f}")
# --8<-- [end:variance_map]

# %% [markdown] lang="en"
# ## Order, chaos and the gain χ₁
#
# Each layer multiplies the squared gradient norm by $\chi_1 = \sigma_w^2\,\operatorname{E}[\tanh'(\sqrt{q^*}\,z)^2]$: below 1
# the network is ordered and gradients vanish, above 1 it is chaotic and they explode. The cell
# computes $\chi_1$ from theory, finds the edge of chaos ($\chi_1 = 1$; $\sigma_w^2$ = {{ edge_of_chaos.chi.crit_sb2_005 | fixed(3) }}
# at $\sigma_b^2 = 0.05$), and measures $\chi_1$ with autograd in random tanh networks of width
# {{ edge_of_chaos.chi.width }} and depth {{ edge_of_chaos.chi.depth }}. PyTorch's tanh gain, `calculate_gain("tanh")` =
# {{ edge_of_chaos.chi.gain_tanh | fixed(3) }}, is chaotic without biases: $\chi_1$ = {{ edge_of_chaos.chi.gain.theory | fixed(3) }}
# (measured {{ edge_of_chaos.chi.gain.measured | fixed(3) }}). Over the {{ edge_of_chaos.chi.n_all }} simulated settings of
# {{ fig("phase") }}, the measured gain differs from the theory by at most
# {{ edge_of_chaos.chi.max_rel_error_all | pct(1) }}, and every network off the edge lands on the side the theory predicts.

# %% [markdown] lang="zh"
# ## 有序、混沌与增益χ₁
#
# 每一层把梯度范数的平方乘以$\chi_1 = \sigma_w^2\,\operatorname{E}[\tanh'(\sqrt{q^*}\,z)^2]$：小于1时网络处于有序相，
# 梯度消失；大于1时处于混沌相，梯度爆炸。代码按理论公式计算$\chi_1$，求出混沌边缘（$\chi_1 = 1$；
# $\sigma_b^2 = 0.05$时$\sigma_w^2$ = {{ edge_of_chaos.chi.crit_sb2_005 | fixed(3) }}），
# 并在宽度为{{ edge_of_chaos.chi.width }}、深度为{{ edge_of_chaos.chi.depth }}的随机tanh网络中用自动微分实测$\chi_1$。
# PyTorch的tanh增益`calculate_gain("tanh")` = {{ edge_of_chaos.chi.gain_tanh | fixed(3) }}在无偏置时落在混沌相：
# $\chi_1$ = {{ edge_of_chaos.chi.gain.theory | fixed(3) }}（实测{{ edge_of_chaos.chi.gain.measured | fixed(3) }}）。
# 在{{ fig("phase") }}的{{ edge_of_chaos.chi.n_all }}个模拟设置中，
# 实测增益与理论的偏差最多为{{ edge_of_chaos.chi.max_rel_error_all | pct(1) }}，而且每个偏离混沌边缘的网络都落在理论预测的那一侧。

# %%
# --8<-- [start:chi]
import math

import numpy as np
import torch
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq

NODES, WEIGHTS = hermegauss(201)
WEIGHTS = WEIGHTS / WEIGHTS.sum()  # sum(WEIGHTS * f(NODES)) = E[f(z)]


def gauss_mean(f, q: float) -> float:
    """E[f(sqrt(q) z)] for z ~ N(0, 1)."""
    return float(np.sum(WEIGHTS * f(math.sqrt(q) * NODES)))


def fixed_point(sw2: float, sb2: float) -> float:
    """q* of the tanh length map q -> sw2 E[tanh(sqrt(q) z)^2] + sb2."""
    if sb2 == 0 and sw2 <= 1:
        return 0.0
    gap = lambda q: sw2 * gauss_mean(lambda h: np.tanh(h) ** 2, q) + sb2 - q
    return brentq(gap, 1e-12, sw2 + sb2 + 1, xtol=1e-14)


def chi1(sw2: float, sb2: float) -> float:
    """chi_1 = sigma_w^2 E[tanh'(sqrt(q*) z)^2], the per-layer gain of |grad|^2."""
    return sw2 * gauss_mean(lambda h: np.cosh(h) ** -4, fixed_point(sw2, sb2))


def critical_sw2(sb2: float) -> float:
    """The sigma_w^2 where chi_1 = 1 (the edge of chaos) for a given sigma_b^2."""
    return brentq(lambda s: chi1(s, sb2) - 1, 1.0, 50.0, xtol=1e-12)


def measured_chi1(
    sw2: float, sb2: float, width: int = 400, depth: int = 20, batch: int = 4,
    seed: int = 0,
) -> float:
    """(|dL/dh^0|^2 / |dL/dh^L|^2)^(1/L) in a random tanh network, by autograd.
    The inputs start at the fixed point length q*."""
    g = torch.Generator().manual_seed(seed)
    h0 = torch.randn(batch, width, generator=g, dtype=torch.float64)
    h0 = (h0 * math.sqrt(fixed_point(sw2, sb2))).requires_grad_()
    h = h0
    for _ in range(depth):
        W = torch.randn(width, width, generator=g).double()  # float32 draw: 6x faster
        b = torch.randn(width, generator=g).double()
        h = torch.tanh(h) @ (W.T * math.sqrt(sw2 / width)) + b * math.sqrt(sb2)
    v = torch.randn(width, generator=g, dtype=torch.float64)  # random readout
    (h @ v).sum().backward()  # so dL/dh^L = v for every input
    ratio = h0.grad.pow(2).sum() / (batch * v.pow(2).sum())
    return ratio.item() ** (1 / depth)


if __name__ == "__main__":
    print("tanh, sigma_b^2 = 0: chi_1 at sigma_w^2 = 0.8, 1, 1.2:",
          [round(chi1(s, 0.0), 3) for s in (0.8, 1.0, 1.2)])
    for sb2 in (0.05, 0.3):
        print(f"sigma_b^2 = {sb2}: edge of chaos at sigma_w^2 = "
              f"{critical_sw2(sb2):.3f}")
    gain = torch.nn.init.calculate_gain("tanh")  # PyTorch's recommended tanh gain
    for sw2, sb2 in [(1.0, 0.05), (2.0, 0.05), (3.0, 0.05), (4.0, 0.3), (gain**2, 0.0)]:
        print(f"sigma_w^2 = {sw2:.2f}, sigma_b^2 = {sb2}: chi_1 theory "
              f"{chi1(sw2, sb2):.3f}, measured {measured_chi1(sw2, sb2):.3f}")
# --8<-- [end:chi]

# %% [markdown] lang="en"
# ## PyTorch's tanh gain over depth
#
# Three tanh networks started at $q^0 = 1$, each with {{ edge_of_chaos.depth.pairs }} pairs of inputs at correlation
# {{ edge_of_chaos.depth.c0 }}: PyTorch's gain without biases, $\sigma_w = 1$ without biases, and a point on the edge
# of chaos with a small bias ($\sigma_b^2$ = {{ edge_of_chaos.depth.nets.edge.sb2 }}). The cell simulates one network of
# each (width {{ edge_of_chaos.depth.width }}, depth {{ edge_of_chaos.depth.depth }}) and prints, after
# {{ edge_of_chaos.depth.report | join(", ") }} layers, the squared-gradient gain, the length and the correlation, each next
# to the mean-field theory. The full run behind {{ fig("tanh_depth") }} takes the median of
# {{ edge_of_chaos.depth.seeds | length }} networks. At PyTorch's gain the squared gradient norm grows by about
# {{ edge_of_chaos.depth.nets.pytorch.grad.theory[0] | fixed(1) }} over {{ edge_of_chaos.depth.report[0] }} layers but by
# {{ edge_of_chaos.depth.nets.pytorch.grad.theory[2] | sci(1) }} over {{ edge_of_chaos.depth.report[2] }} (theory; median
# {{ edge_of_chaos.depth.nets.pytorch.grad.median[2] | sci(1) }}), and the two nearly equal inputs decorrelate to
# {{ edge_of_chaos.depth.nets.pytorch.corr.theory[1] | fixed(2) }} by layer {{ edge_of_chaos.depth.report[1] }}; on the edge of chaos the gain
# settles at {{ edge_of_chaos.depth.nets.edge.grad.theory[2] | fixed(2) }} (theory) and the inputs stay correlated.

# %% [markdown] lang="zh"
# ## PyTorch的tanh增益与深度
#
# 比较三个tanh网络：无偏置的PyTorch增益网络、无偏置的$\sigma_w = 1$网络，
# 以及混沌边缘上带小偏置（$\sigma_b^2$ = {{ edge_of_chaos.depth.nets.edge.sb2 }}）的一点。三者都从$q^0 = 1$出发，
# 各送入{{ edge_of_chaos.depth.pairs }}对相关系数为{{ edge_of_chaos.depth.c0 }}的输入。
# 代码对每种设置模拟一个网络（宽度{{ edge_of_chaos.depth.width }}，深度{{ edge_of_chaos.depth.depth }}），
# 打印第{{ edge_of_chaos.depth.report | join("、") }}层的梯度范数平方增益、长度和相关系数，旁边列出平均场理论值。
# {{ fig("tanh_depth") }}背后的完整实验取{{ edge_of_chaos.depth.seeds | length }}个网络的中位数。在PyTorch增益下，
# 梯度范数的平方经过{{ edge_of_chaos.depth.report[0] }}层约增大
# {{ edge_of_chaos.depth.nets.pytorch.grad.theory[0] | fixed(1) }}倍，
# 经过{{ edge_of_chaos.depth.report[2] }}层却增大{{ edge_of_chaos.depth.nets.pytorch.grad.theory[2] | sci(1) }}
# 倍（理论值；中位数为{{ edge_of_chaos.depth.nets.pytorch.grad.median[2] | sci(1) }}），
# 两个几乎相同的输入到第{{ edge_of_chaos.depth.report[1] }}层时相关系数降到
# {{ edge_of_chaos.depth.nets.pytorch.corr.theory[1] | fixed(2) }}；在混沌边缘上，
# 增益稳定在{{ edge_of_chaos.depth.nets.edge.grad.theory[2] | fixed(2) }}（理论值），输入也保持相关。

# %%
# --8<-- [start:tanh_depth]
import math

import numpy as np
import torch
from numpy.polynomial.hermite_e import hermegauss

NODES, WEIGHTS = hermegauss(201)
WEIGHTS = WEIGHTS / WEIGHTS.sum()  # sum(WEIGHTS * f(NODES)) = E[f(z)]
_n, _w = hermegauss(61)
Z1, Z2 = np.meshgrid(_n, _n, indexing="ij")
W2 = np.outer(_w, _w) / _w.sum() ** 2  # sum(W2 * f(Z1, Z2)) = E[f(z1, z2)]


def mean_field(sw2: float, sb2: float, depth: int, q0: float = 1.0,
               c0: float = 0.99) -> dict:
    """Mean-field length q^l, correlation c^l of two inputs, and squared-gradient
    gain |dL/dh^0|^2 / |dL/dh^l|^2 = chi_1(q^0) ... chi_1(q^{l-1}) of a tanh network,
    following q^l layer by layer (not only at the fixed point)."""
    q, c, grad = [q0], [c0], [1.0]
    for _ in range(depth):
        h = math.sqrt(q[-1]) * NODES
        grad.append(grad[-1] * sw2 * float(np.sum(WEIGHTS * np.cosh(h) ** -4)))
        q.append(sw2 * float(np.sum(WEIGHTS * np.tanh(h) ** 2)) + sb2)
        u1 = math.sqrt(q[-2]) * Z1
        u2 = math.sqrt(q[-2]) * (c[-1] * Z1 + math.sqrt(max(1 - c[-1] ** 2, 0.0)) * Z2)
        c.append((sw2 * float(np.sum(W2 * np.tanh(u1) * np.tanh(u2))) + sb2) / q[-1])
    return {"q": q, "corr": c, "grad": grad}


def simulate_depth(
    settings: list, depth: int = 100, width: int = 200, pairs: int = 4,
    c0: float = 0.99, seed: int = 0,
) -> list[dict]:
    """One random tanh network h^l = W^l tanh(h^{l-1}) + b^l per (sigma_w^2, sigma_b^2),
    all built from the same standard normal draws. Per layer: q^l (mean over inputs),
    the correlation of `pairs` pairs of inputs that start at c0 (mean over pairs), and
    |dL/dh^0|^2 / |dL/dh^l|^2, with L a random readout of the last layer."""
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(2, pairs, width, generator=g, dtype=torch.float64)
    b = b - (a * b).sum(1, keepdim=True) / (a * a).sum(1, keepdim=True) * a
    a, b = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    x = math.sqrt(width) * torch.cat([a, c0 * a + math.sqrt(1 - c0**2) * b])  # q^0 = 1
    hs = [[x.clone().requires_grad_()] for _ in settings]
    for _ in range(depth):
        W = torch.randn(width, width, generator=g).double()  # float32 draw: 6x faster
        W = W / math.sqrt(width)
        bias = torch.randn(width, generator=g).double()
        for (sw2, sb2), h in zip(settings, hs):
            h.append(torch.tanh(h[-1]) @ W.T * math.sqrt(sw2) + bias * math.sqrt(sb2))
            h[-1].retain_grad()
    v = torch.randn(width, generator=g, dtype=torch.float64)
    out = []
    for h in hs:
        (h[-1] @ v).sum().backward()
        with torch.no_grad():
            grad = torch.stack([x.grad.pow(2).sum() for x in h])
            corr = [torch.nn.functional.cosine_similarity(x[:pairs], x[pairs:]).mean()
                    for x in h]
            out.append({"q": [x.pow(2).mean().item() for x in h],
                        "corr": torch.stack(corr).tolist(),
                        "grad": (grad[0] / grad).tolist()})
    return out


if __name__ == "__main__":
    gain = torch.nn.init.calculate_gain("tanh")
    # the last: on the edge of chaos for sigma_b^2 = 0.05 (critical_sw2 of the chi code)
    settings = [(gain**2, 0.0), (1.0, 0.0), (1.7610, 0.05)]
    sims = simulate_depth(settings)
    for (sw2, sb2), sim in zip(settings, sims):
        theory = mean_field(sw2, sb2, 100)
        print(f"sigma_w^2 = {sw2:.3f}, sigma_b^2 = {sb2}:")
        for L in (10, 50, 100):
            print(f"  {L:3d} layers: |grad|^2 gain {sim['grad'][L]:9.3g} "
                  f"(theory {theory['grad'][L]:9.3g}), q {sim['q'][L]:.4f} "
                  f"({theory['q'][L]:.4f}), correlation {sim['corr'][L]:6.3f} "
                  f"({theory['corr'][L]:.3f})")
# --8<-- [end:tanh_depth]

# %% [markdown] lang="en"
# ## Variance 1 at every layer is not enough
#
# Three tanh networks whose pre-activations have variance 1 at every layer ($\sigma_b^2$ chosen for each
# $\sigma_w^2$ so that $q^* = 1$): ordered, critical and chaotic, width {{ edge_of_chaos.unit.width }},
# {{ edge_of_chaos.unit.depth }} layers. For each the cell prints the range of $q^l$, the squared gradient norm at layer 0
# relative to layer {{ edge_of_chaos.unit.depth }} next to $\chi_1^{40}$, and where the correlation of two inputs ends
# ({{ fig("unit_variance") }}). Every $q^l$ lies between {{ edge_of_chaos.unit.q_min | fixed(2) }} and
# {{ edge_of_chaos.unit.q_max | fixed(2) }}, yet the ordered network ($\chi_1$ = {{ edge_of_chaos.unit.nets.ordered.chi1 | fixed(2) }}) shrinks
# the squared gradient norm to {{ edge_of_chaos.unit.nets.ordered.grad_first | sci(1) }}, the chaotic one
# ($\chi_1$ = {{ edge_of_chaos.unit.nets.chaotic.chi1 | fixed(2) }}) multiplies it by {{ edge_of_chaos.unit.nets.chaotic.grad_first | fixed(0) }} and
# decorrelates two inputs from {{ edge_of_chaos.unit.c0s[1] }} to {{ edge_of_chaos.unit.nets.chaotic.corr_last[1] | fixed(3) }}, and only the
# critical one keeps it of order 1 ({{ edge_of_chaos.unit.nets.critical.grad_first | fixed(2) }}). The variance fixes $q^*$;
# $\chi_1$ decides whether gradients survive.

# %% [markdown] lang="zh"
# ## 每层方差为1还不够
#
# 三个tanh网络的预激活值在每一层的方差都是1（对每个$\sigma_w^2$选取$\sigma_b^2$，使$q^* = 1$），分别处于有序相、
# 临界点和混沌相，宽度{{ edge_of_chaos.unit.width }}，共{{ edge_of_chaos.unit.depth }}层。
# 代码对每个网络打印$q^l$的范围、第0层与第{{ edge_of_chaos.unit.depth }}层梯度范数平方之比（旁边列出$\chi_1^{40}$），
# 以及两个输入的相关系数最终落在多少（{{ fig("unit_variance") }}）。
# 所有$q^l$都在{{ edge_of_chaos.unit.q_min | fixed(2) }}到{{ edge_of_chaos.unit.q_max | fixed(2) }}之间，
# 然而有序网络（$\chi_1$ = {{ edge_of_chaos.unit.nets.ordered.chi1 | fixed(2) }}）
# 把梯度范数的平方缩小到{{ edge_of_chaos.unit.nets.ordered.grad_first | sci(1) }}，
# 混沌网络（$\chi_1$ = {{ edge_of_chaos.unit.nets.chaotic.chi1 | fixed(2) }}）
# 把它放大{{ edge_of_chaos.unit.nets.chaotic.grad_first | fixed(0) }}倍，
# 并让两个输入的相关系数从{{ edge_of_chaos.unit.c0s[1] }}降到
# {{ edge_of_chaos.unit.nets.chaotic.corr_last[1] | fixed(3) }}；
# 只有临界网络让它保持在1的量级（{{ edge_of_chaos.unit.nets.critical.grad_first | fixed(2) }}）。方差只决定$q^*$，
# 梯度能否保留下来则由$\chi_1$决定。

# %%
# --8<-- [start:unit_variance]
import math

import numpy as np
import torch
from numpy.polynomial.hermite_e import hermegauss

NODES, WEIGHTS = hermegauss(201)
WEIGHTS = WEIGHTS / WEIGHTS.sum()  # sum(WEIGHTS * f(NODES)) = E[f(z)]
_n, _w = hermegauss(61)
Z1, Z2 = np.meshgrid(_n, _n, indexing="ij")  # 2-D rule for E[f(z1, z2)]
W2 = np.outer(_w, _w) / _w.sum() ** 2


def unit_variance_sb2(sw2: float) -> float:
    """The sigma_b^2 that makes q* = 1: 1 = sw2 E[tanh(z)^2] + sb2."""
    return 1 - sw2 * float(np.sum(WEIGHTS * np.tanh(NODES) ** 2))


def unit_variance_critical_sw2() -> float:
    """The sigma_w^2 with q* = 1 and chi_1 = sw2 E[tanh'(z)^2] = 1."""
    return 1 / float(np.sum(WEIGHTS * np.cosh(NODES) ** -4))


def correlation_map(c: float, sw2: float, sb2: float, q: float = 1.0) -> float:
    """c^l from c^{l-1}: the correlation of two inputs' pre-activations."""
    u1 = math.sqrt(q) * Z1
    u2 = math.sqrt(q) * (c * Z1 + math.sqrt(max(1 - c * c, 0.0)) * Z2)
    return (sw2 * float(np.sum(W2 * np.tanh(u1) * np.tanh(u2))) + sb2) / q


def two_inputs(c0: float, width: int, g: torch.Generator) -> torch.Tensor:
    """Two vectors of mean square 1 whose correlation is exactly c0."""
    a, b = torch.randn(2, width, generator=g, dtype=torch.float64)
    b = b - (a @ b) / (a @ a) * a  # orthogonal to a
    a, b = a / a.norm(), b / b.norm()
    return math.sqrt(width) * torch.stack([a, c0 * a + math.sqrt(1 - c0**2) * b])


def propagate(
    sw2: float, sb2: float, c0s: tuple = (0.2, 0.99), pairs: int = 4,
    width: int = 600, depth: int = 40, seed: int = 0,
) -> dict:
    """Per-layer q^l, correlations c^l and |dL/dh^l|^2 of a random tanh network,
    for `pairs` pairs of inputs per starting correlation c0.
    L is a random readout v . h^L summed over the inputs."""
    g = torch.Generator().manual_seed(seed)
    h = torch.cat([two_inputs(c0, width, g) for c0 in c0s for _ in range(pairs)])
    h.requires_grad_()
    hs = [h]
    for _ in range(depth):
        W = torch.randn(width, width, generator=g).double()  # float32 draw: 6x faster
        b = torch.randn(width, generator=g).double()
        h = torch.tanh(h) @ (W.T * math.sqrt(sw2 / width)) + b * math.sqrt(sb2)
        h.retain_grad()
        hs.append(h)
    v = torch.randn(width, generator=g, dtype=torch.float64)
    (h @ v).sum().backward()
    with torch.no_grad():
        q = torch.stack([x.pow(2).mean(1) for x in hs])  # [layer][input]
        x = torch.stack(hs).view(depth + 1, len(c0s), pairs, 2, width)
        cos = (x[..., 0, :] * x[..., 1, :]).mean(-1) / (
            x[..., 0, :].pow(2).mean(-1) * x[..., 1, :].pow(2).mean(-1)).sqrt()
        grad = torch.stack([x.grad.pow(2).sum() for x in hs])
        z = h / h.pow(2).mean(1, keepdim=True).sqrt()
    return {
        "q": q.tolist(),
        "corr": cos.mean(-1).T.tolist(),  # [c0][layer], mean over the pairs
        "grad_rel": (grad / grad[-1]).tolist(),  # relative to the last layer
        "excess_kurtosis": (z.pow(4).mean(1) - 3).mean().item(),
    }


if __name__ == "__main__":
    chi = lambda s: s * float(np.sum(WEIGHTS * np.cosh(NODES) ** -4))
    for sw2 in (1.5, unit_variance_critical_sw2(), 2.5):
        sb2 = unit_variance_sb2(sw2)
        out = propagate(sw2, sb2)
        q = np.array(out["q"])
        c = 0.99
        for _ in range(40):
            c = min(correlation_map(c, sw2, sb2), 1.0)
        print(f"sigma_w^2 = {sw2:.3f}, sigma_b^2 = {sb2:.3f}, chi_1 = "
              f"{chi(sw2):.3f}: q^l in [{q.min():.2f}, {q.max():.2f}]")
        print(f"   |grad|^2 at layer 0 / layer 40: {out['grad_rel'][0]:.2e}"
              f" (chi_1^40 = {chi(sw2) ** 40:.2e})")
        print(f"   correlation 0.99 -> {out['corr'][1][-1]:.3f} after 40 layers"
              f" (theory {c:.3f}); 0.2 -> {out['corr'][0][-1]:.3f}")
# --8<-- [end:unit_variance]

# %% [markdown] lang="en"
# ## ReLU: why Kaiming is exactly critical
#
# For ReLU without biases the length map is linear, $q \mapsto (\sigma_w^2/2)\,q$, and $\chi_1 = \sigma_w^2/2$: Kaiming's
# $\sigma_w^2 = 2$ keeps the length and is the edge of chaos at once. The cell runs bias-free networks of
# width {{ edge_of_chaos.relu.width }} and depth {{ edge_of_chaos.relu.depth }} with $\sigma_w^2$ = {{ edge_of_chaos.relu.sw2s | join(", ") }}, one each, and
# prints the length and the squared gradient norm after {{ edge_of_chaos.relu.depth }} layers next to
# $(\sigma_w^2/2)^{50}$ ({{ fig("relu") }}): a 10% error in the variance either way compounds, between
# $\sigma_w^2$ = {{ edge_of_chaos.relu.sw2s[0] }} and {{ edge_of_chaos.relu.sw2s[-1] }}, to a factor of about
# {{ (edge_of_chaos.relu.nets[2].theory_last / edge_of_chaos.relu.nets[0].theory_last) | sci(0) }}. It then takes {{ edge_of_chaos.relu.n_seeds }} Kaiming
# networks, each input on its own: on average they follow the mean-field value ({{ edge_of_chaos.relu.q_mean_ratio | fixed(2) }}
# forward, {{ edge_of_chaos.relu.grad_mean_ratio | fixed(2) }} backward, against 1), but the medians
# ({{ edge_of_chaos.relu.q_median_ratio | fixed(2) }} and {{ edge_of_chaos.relu.grad_median_ratio | fixed(2) }}) lie below, as the finite-width
# prediction $e^{-5L/(2N)}$ = {{ edge_of_chaos.relu.median_theory | fixed(2) }} says. Critical does not mean that nothing
# changes: inputs that start uncorrelated are nearly parallel after {{ edge_of_chaos.relu.depth }} layers (theory:
# correlation {{ edge_of_chaos.relu.corr_theory | fixed(3) }}).

# %% [markdown] lang="zh"
# ## ReLU：为什么Kaiming初始化恰好处于临界
#
# 无偏置的ReLU网络的长度映射是线性的，$q \mapsto (\sigma_w^2/2)\,q$，且$\chi_1 = \sigma_w^2/2$：
# Kaiming初始化的$\sigma_w^2 = 2$既保持长度不变，又恰好处在混沌边缘。代码运行宽度为{{ edge_of_chaos.relu.width }}、
# 深度为{{ edge_of_chaos.relu.depth }}的无偏置网络，$\sigma_w^2$分别取{{ edge_of_chaos.relu.sw2s | join("、") }}，
# 各一个网络，打印第{{ edge_of_chaos.relu.depth }}层的长度和梯度范数的平方，
# 旁边列出$(\sigma_w^2/2)^{50}$（{{ fig("relu") }}）：
# 权重方差向两侧各偏10%，$\sigma_w^2$ = {{ edge_of_chaos.relu.sw2s[0] }}与{{ edge_of_chaos.relu.sw2s[-1] }}之间的差距会累积成约
# {{ (edge_of_chaos.relu.nets[2].theory_last / edge_of_chaos.relu.nets[0].theory_last) | sci(0) }}倍。
# 接着取{{ edge_of_chaos.relu.n_seeds }}个Kaiming网络，每个输入单独统计：
# 平均而言它们符合平均场理论值（前向{{ edge_of_chaos.relu.q_mean_ratio | fixed(2) }}，
# 反向{{ edge_of_chaos.relu.grad_mean_ratio | fixed(2) }}，理论值为1），
# 但中位数（{{ edge_of_chaos.relu.q_median_ratio | fixed(2) }}和{{ edge_of_chaos.relu.grad_median_ratio | fixed(2) }}）
# 都偏低，正如有限宽度的预测$e^{-5L/(2N)}$ = {{ edge_of_chaos.relu.median_theory | fixed(2) }}所说。
# 临界并不意味着什么都不变：起初不相关的输入，经过{{ edge_of_chaos.relu.depth }}层后几乎指向同一方向（理论相关系数
# {{ edge_of_chaos.relu.corr_theory | fixed(3) }}）。

# %%
# --8<-- [start:relu]
import math
import statistics

import torch


def relu_depth(
    sw2: float, width: int = 500, depth: int = 50, batch: int = 8, seed: int = 0
) -> dict:
    """Per-layer q^l / q^0 and |dL/dh^l|^2 / |dL/dh^L|^2 of a bias-free ReLU
    network h^l = W^l relu(h^{l-1}) with W_ij ~ N(0, sw2 / width); the same two
    end-to-end ratios for each input on its own; and the mean correlation between
    the last pre-activations of unrelated inputs. float32: ample for these ratios."""
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(batch, width, generator=g)
    h.requires_grad_()
    hs = [h]
    for _ in range(depth):
        W = torch.randn(width, width, generator=g)
        h = torch.relu(h) @ W.T * math.sqrt(sw2 / width)
        h.retain_grad()
        hs.append(h)
    v = torch.randn(width, generator=g)
    (h @ v).sum().backward()  # so dL/dh^L = v for every input
    with torch.no_grad():
        q = torch.stack([x.pow(2).mean() for x in hs])
        grad = torch.stack([x.grad.pow(2).sum() for x in hs])
        u = h / h.norm(dim=1, keepdim=True)
        cos = u @ u.T
        first = hs[0] / hs[0].norm(dim=1, keepdim=True)
        off = ~torch.eye(batch, dtype=torch.bool)
        q_each = h.pow(2).sum(1) / hs[0].pow(2).sum(1)  # q^L / q^0 of each input
        grad_each = hs[0].grad.pow(2).sum(1) / v.pow(2).sum()
    return {
        "q_rel": (q / q[0]).tolist(),
        "grad_rel": (grad / grad[-1]).tolist(),
        "q_last_each": q_each.tolist(),
        "grad_first_each": grad_each.tolist(),
        "corr_in": (first @ first.T)[off].mean().item(),
        "corr_out": cos[off].mean().item(),
    }


def relu_correlation(c0: float, depth: int) -> float:
    """Mean-field correlation map of ReLU, sigma_b = 0 (any sigma_w):
    c -> (sqrt(1 - c^2) + (pi - arccos c) c) / pi."""
    c = c0
    for _ in range(depth):
        s = math.sqrt(max(1 - c * c, 0.0))
        c = (s + (math.pi - math.acos(c)) * c) / math.pi
    return c


if __name__ == "__main__":
    for sw2 in (1.8, 2.2, 2.0):  # Kaiming last: its run is used below
        out = relu_depth(sw2)
        print(f"sigma_w^2 = {sw2}: q^50 / q^0 = {out['q_rel'][-1]:.3g} "
              f"(theory {(sw2 / 2) ** 50:.3g}), |grad|^2 layer 0 / layer 50 = "
              f"{out['grad_rel'][0]:.3g}")
    print(f"Kaiming: correlation of unrelated inputs {out['corr_in']:.3f} -> "
          f"{out['corr_out']:.3f} after 50 layers (theory from 0: "
          f"{relu_correlation(0.0, 50):.3f})")
    # 20 Kaiming networks, each input on its own: mean-field theory predicts the mean
    # (1); ln q^L is nearly normal with variance 5L/N, so the median is exp(-5L/(2N))
    runs = [relu_depth(2.0, seed=s) for s in range(20)]
    for key in ("q_last_each", "grad_first_each"):
        x = [v for run in runs for v in run[key]]
        print(f"{key}: mean {statistics.mean(x):.3f} (theory 1), median "
              f"{statistics.median(x):.3f} (theory {math.exp(-5 * 50 / 2 / 500):.3f})")
# --8<-- [end:relu]

# %% [markdown] lang="en"
# ## Dynamical isometry: Gaussian versus orthogonal weights
#
# At criticality the squared singular values of the input–output Jacobian have mean 1 at any depth;
# dynamical isometry asks that they all stay near 1. The cell computes the singular values for one
# network per setting (linear, tanh at a critical point with small $q^*$, and ReLU at Kaiming, each
# with Gaussian and with orthogonal weights, width {{ edge_of_chaos.isometry.width }}) and prints their relative
# variance $\operatorname{var}(s^2)/\operatorname{mean}(s^2)^2$ next to the infinite-width formula $L(\mu_2 - 1 + v_W)$. In the
# full run behind {{ fig("isometry") }} ({{ edge_of_chaos.isometry.seeds | length }} networks per setting), at depth
# {{ edge_of_chaos.isometry.depths[-1] }} Gaussian weights spread the spectrum to
# {{ edge_of_chaos.isometry.nets.linear_gaussian.var_s2[-1] | fixed(1) }} even in a linear network, while tanh with orthogonal weights
# stays at {{ edge_of_chaos.isometry.nets.tanh_orthogonal.var_s2[-1] | fixed(3) }}, every singular value between
# {{ edge_of_chaos.isometry.nets.tanh_orthogonal.s_min | fixed(2) }} and {{ edge_of_chaos.isometry.nets.tanh_orthogonal.s_max | fixed(2) }}. ReLU stays
# spread with either ({{ edge_of_chaos.isometry.nets.relu_gaussian.var_s2[-1] | fixed(1) }} and
# {{ edge_of_chaos.isometry.nets.relu_orthogonal.var_s2[-1] | fixed(1) }}): already at depth 1,
# {{ edge_of_chaos.isometry.nets.relu_orthogonal.frac_zero_first | pct(0) }} of the singular values are exactly 0, one per inactive unit.

# %% [markdown] lang="zh"
# ## 动力学等距：高斯权重与正交权重
#
# 在临界点，输入–输出雅可比矩阵奇异值平方的均值在任何深度都是1；动力学等距则要求所有奇异值都接近1。
# 代码对每种设置取一个网络计算奇异值（线性网络、处在$q^*$很小的临界点的tanh网络、Kaiming初始化的ReLU网络，
# 各用高斯权重和正交权重，宽度{{ edge_of_chaos.isometry.width }}），
# 打印奇异值平方的相对方差$\operatorname{var}(s^2)/\operatorname{mean}(s^2)^2$，
# 旁边列出无限宽公式$L(\mu_2 - 1 + v_W)$的值。在{{ fig("isometry") }}背后的完整实验中（每种设置
# {{ edge_of_chaos.isometry.seeds | length }}个网络），深度为{{ edge_of_chaos.isometry.depths[-1] }}时，
# 高斯权重即使在线性网络中也让谱分散到{{ edge_of_chaos.isometry.nets.linear_gaussian.var_s2[-1] | fixed(1) }}，
# 而正交权重的tanh网络只有{{ edge_of_chaos.isometry.nets.tanh_orthogonal.var_s2[-1] | fixed(3) }}，
# 所有奇异值都在{{ edge_of_chaos.isometry.nets.tanh_orthogonal.s_min | fixed(2) }}到
# {{ edge_of_chaos.isometry.nets.tanh_orthogonal.s_max | fixed(2) }}之间。
# ReLU无论用哪种权重都很分散（{{ edge_of_chaos.isometry.nets.relu_gaussian.var_s2[-1] | fixed(1) }}和
# {{ edge_of_chaos.isometry.nets.relu_orthogonal.var_s2[-1] | fixed(1) }}）：
# 在深度1时就已有{{ edge_of_chaos.isometry.nets.relu_orthogonal.frac_zero_first | pct(0) }}的奇异值严格为0，
# 每个未激活的单元对应一个。

# %%
# --8<-- [start:isometry]
import math

import numpy as np
import torch
from numpy.polynomial.hermite_e import hermegauss

NODES, WEIGHTS = hermegauss(201)
WEIGHTS = WEIGHTS / WEIGHTS.sum()  # sum(WEIGHTS * f(NODES)) = E[f(z)]


def critical_tanh(q_star: float) -> tuple[float, float]:
    """(sigma_w^2, sigma_b^2) on the edge of chaos with fixed point q*."""
    h = math.sqrt(q_star) * NODES
    sw2 = 1 / float(np.sum(WEIGHTS * np.cosh(h) ** -4))  # chi_1 = 1
    sb2 = q_star - sw2 * float(np.sum(WEIGHTS * np.tanh(h) ** 2))  # q* fixed
    return sw2, sb2


def weight(n: int, kind: str, g: torch.Generator) -> torch.Tensor:
    """Entries of variance 1 / n: i.i.d. Gaussian, or a random orthogonal matrix."""
    a = torch.randn(n, n, generator=g, dtype=torch.float64)
    if kind == "gaussian":
        return a / math.sqrt(n)
    q, r = torch.linalg.qr(a)  # what torch.nn.init.orthogonal_ does
    return q * torch.sign(torch.diagonal(r))


def jacobian_singular_values(
    act: str, kind: str, width: int = 256, depths: tuple = (1, 4, 16),
    q_star: float = 1 / 64, seed: int = 0,
) -> dict:
    """Singular values of J = dh^L / dh^0 = W^L D^L ... W^1 D^1 at criticality,
    with D^l = diag(phi'(h^{l-1})) along the network's own forward pass."""
    g = torch.Generator().manual_seed(seed)
    phi, dphi = {
        "linear": (lambda x: x, lambda x: torch.ones_like(x)),
        "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2),
        "relu": (torch.relu, lambda x: (x > 0).double()),
    }[act]
    if act == "tanh":
        sw2, sb2 = critical_tanh(q_star)
    else:  # linear: sigma_w^2 = 1; ReLU: Kaiming, sigma_w^2 = 2
        sw2, sb2 = (2.0 if act == "relu" else 1.0), 0.0
    h = torch.randn(width, generator=g, dtype=torch.float64) * math.sqrt(q_star)
    J = torch.eye(width, dtype=torch.float64)
    out = {}
    for layer in range(1, max(depths) + 1):
        W = weight(width, kind, g) * math.sqrt(sw2)
        b = torch.randn(width, generator=g, dtype=torch.float64) * math.sqrt(sb2)
        J = W @ (dphi(h)[:, None] * J)
        h = W @ phi(h) + b
        if layer in depths:
            out[layer] = torch.linalg.svdvals(J).tolist()
    return out


def spread_theory(act: str, kind: str, depth: int, q_star: float = 1 / 64) -> float:
    """Infinite-width var(s^2) / mean(s^2)^2 of J: depth * (mu2 - 1 + v_W), where
    mu2 = E[(sigma_w^2 phi'(h)^2)^2] and v_W = 1 (Gaussian) or 0 (orthogonal)."""
    if act == "tanh":
        sw2, _ = critical_tanh(q_star)
        h = math.sqrt(q_star) * NODES
        mu2 = float(np.sum(WEIGHTS * (sw2 * np.cosh(h) ** -4) ** 2))
    else:  # linear: sw2 phi'^2 = 1; ReLU: 2 on half the units, 0 on the others
        mu2 = 2.0 if act == "relu" else 1.0
    return depth * (mu2 - 1 + (1.0 if kind == "gaussian" else 0.0))


if __name__ == "__main__":
    for act in ("linear", "tanh", "relu"):
        for kind in ("gaussian", "orthogonal"):
            sv = jacobian_singular_values(act, kind)
            for L, s in sv.items():
                lam = np.array(s) ** 2  # eigenvalues of J J^T
                print(f"{act:6s} {kind:10s} L = {L:2d}: mean s^2 = {lam.mean():.3f}"
                      f"  var/mean^2 = {lam.var() / lam.mean() ** 2:7.3f}"
                      f" (theory {spread_theory(act, kind, L):6.3f})"
                      f"  s in [{min(s):.1e}, {max(s):.2f}]")
# --8<-- [end:isometry]

# %% [markdown] lang="en"
# ## Looks-linear initialization: an isometric ReLU network
#
# Looks-linear initialization (Balduzzi et al. 2017) pairs every ReLU unit with a mirror unit and
# builds each layer from mirrored blocks of a random orthogonal matrix, so that at initialization the
# network computes exactly a product of orthogonal matrices. The cell compares it with Kaiming
# initialization, Gaussian and orthogonal, in the same network ({{ edge_of_chaos.looks_linear.n }} inputs and outputs,
# {{ edge_of_chaos.looks_linear.units }} ReLU units per layer, depth {{ edge_of_chaos.looks_linear.depths[-1] }}, one network each): it prints
# the range of the singular values of $\partial y/\partial x$, the share within a factor 2 of 1, and how far the
# network is from linear. Over the full run's {{ edge_of_chaos.looks_linear.seeds | length }} networks per kind,
# looks-linear keeps {{ edge_of_chaos.looks_linear.nets.looks_linear.frac_within_2[-1] | pct(0) }} of the singular values within a factor 2 of 1
# at that depth, Kaiming only {{ edge_of_chaos.looks_linear.nets.kaiming_gaussian.frac_within_2[-1] | pct(0) }} (Gaussian) and
# {{ edge_of_chaos.looks_linear.nets.kaiming_orthogonal.frac_within_2[-1] | pct(0) }} (orthogonal). The last line shows that the zero slopes
# are still there: between hidden layers {{ edge_of_chaos.looks_linear.hidden_frac_zero | max | pct(0) }} of the singular values are 0,
# one per inactive unit, and all the others equal $\sqrt 2$.

# %% [markdown] lang="zh"
# ## looks-linear初始化：等距的ReLU网络
#
# looks-linear初始化（Balduzzi et al. 2017）给每个ReLU单元配一个镜像单元，每一层都由一个随机正交矩阵的镜像块构成，
# 因此网络在初始化时恰好计算正交矩阵的乘积。代码在同一个网络（输入和输出各{{ edge_of_chaos.looks_linear.n }}维，
# 每层{{ edge_of_chaos.looks_linear.units }}个ReLU单元，深度{{ edge_of_chaos.looks_linear.depths[-1] }}）
# 上把它与高斯和正交两种Kaiming初始化比较，每种初始化一个网络：打印$\partial y/\partial x$奇异值的范围、
# 与1相差不到2倍的奇异值所占的比例，以及网络偏离线性的程度。
# 在完整实验中（每种初始化{{ edge_of_chaos.looks_linear.seeds | length }}个网络），
# 这个深度下looks-linear有{{ edge_of_chaos.looks_linear.nets.looks_linear.frac_within_2[-1] | pct(0) }}的奇异值与1
# 相差不到2倍，Kaiming只有{{ edge_of_chaos.looks_linear.nets.kaiming_gaussian.frac_within_2[-1] | pct(0) }}（高斯）
# 和{{ edge_of_chaos.looks_linear.nets.kaiming_orthogonal.frac_within_2[-1] | pct(0) }}（正交）。最后一行表明，
# 为零的斜率依然存在：在隐藏层之间，{{ edge_of_chaos.looks_linear.hidden_frac_zero | max | pct(0) }}的奇异值为0，
# 每个未激活的单元对应一个，其余的全部等于$\sqrt 2$。

# %%
# --8<-- [start:looks_linear]
import math

import torch
from torch import nn


def relu_net(n: int, depth: int) -> nn.Sequential:
    """x (n values) -> `depth` layers of 2n ReLU units -> y (n values); no biases."""
    layers = [nn.Linear(n, 2 * n, bias=False)]
    for _ in range(depth - 1):
        layers += [nn.ReLU(), nn.Linear(2 * n, 2 * n, bias=False)]
    layers += [nn.ReLU(), nn.Linear(2 * n, n, bias=False)]
    return nn.Sequential(*layers).double()


def looks_linear_(net: nn.Sequential, g: torch.Generator) -> None:
    """Looks-linear initialization (Balduzzi et al. 2017): a random orthogonal W per
    layer, in mirrored blocks [W; -W] (first layer), [[W, -W], [-W, W]], [W, -W] (last).
    The units come in pairs with pre-activations (u, -u), and relu(u) - relu(-u) = u,
    so the network computes exactly y = W_L ... W_1 x. Every entry has variance 1/n."""
    linears = [m for m in net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, layer in enumerate(linears):
            first, last = i == 0, i == len(linears) - 1
            rows, cols = layer.weight.shape
            W = torch.empty(rows if last else rows // 2, cols if first else cols // 2,
                            dtype=layer.weight.dtype)
            nn.init.orthogonal_(W, generator=g)
            if not first:
                W = torch.cat([W, -W], dim=1)
            if not last:
                W = torch.cat([W, -W], dim=0)
            layer.weight.copy_(W)


def kaiming_(net: nn.Sequential, g: torch.Generator, orthogonal: bool = False) -> None:
    """Kaiming: entries of variance 2 / fan-in behind a ReLU, 1 / fan-in in the first
    layer (also 1/n everywhere here), i.i.d. Gaussian or a scaled random orthogonal matrix."""
    linears = [m for m in net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, layer in enumerate(linears):
            if orthogonal:  # entries of variance gain^2 / max(rows, cols) = 1/n
                nn.init.orthogonal_(layer.weight, gain=math.sqrt(2), generator=g)
            else:
                nn.init.kaiming_normal_(layer.weight, generator=g,
                                        nonlinearity="linear" if i == 0 else "relu")


def jacobian(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """d net(x) / dx, layer by layer: a Linear multiplies it by its weight, a ReLU by
    its slopes, 1 on active units and 0 on the others."""
    J = torch.eye(x.numel(), dtype=x.dtype)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, nn.ReLU):
                J = (x > 0).to(x.dtype)[:, None] * J
            else:
                J = layer.weight @ J
            x = layer(x)
    return J


if __name__ == "__main__":
    n, depth = 64, 16
    for name in ("looks-linear", "Kaiming, Gaussian", "Kaiming, orthogonal"):
        g = torch.Generator().manual_seed(0)
        net = relu_net(n, depth)
        if name == "looks-linear":
            looks_linear_(net, g)
        else:
            kaiming_(net, g, orthogonal=name.endswith("orthogonal"))
        x1, x2 = torch.randn(2, n, generator=g, dtype=torch.float64)
        s = torch.linalg.svdvals(jacobian(net, x1))
        with torch.no_grad():
            nonlinearity = (net(x1 + x2) - net(x1) - net(x2)).abs().max().item()
        print(f"{name:20s} depth {depth}: singular values of dy/dx in "
              f"[{s.min():.2e}, {s.max():.3f}], "
              f"{((s > 0.5) & (s < 2)).double().mean():.0%} within a factor 2 of 1; "
              f"|net(x1 + x2) - net(x1) - net(x2)| <= {nonlinearity:.1e}")
    # between hidden layers: the zero slopes are still there, one per inactive unit
    g = torch.Generator().manual_seed(0)
    net = relu_net(n, depth)
    looks_linear_(net, g)
    x = torch.randn(n, generator=g, dtype=torch.float64)
    s = torch.linalg.svdvals(jacobian(net[1:-2], net[0](x)))  # dh^depth / dh^1
    print(f"looks-linear, dh^{depth}/dh^1: {(s < 1e-9).sum().item()} of {2 * n} singular "
          f"values are 0, the others lie in [{s[s > 1e-9].min():.6f}, {s.max():.6f}]"
          f" (sqrt 2 = {math.sqrt(2):.6f})")
# --8<-- [end:looks_linear]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (more networks and settings than the
# quick cells above) and returns every number the page quotes; `figures()` draws the page's
# figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验（网络和设置比上面的快速版更多），返回页面引用的每一个数字；
# `figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json

import matplotlib.pyplot as plt
import numpy as np


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


S1_SETTINGS = [(1.5, 0.05), (4.0, 0.05)]  # (sigma_w^2, sigma_b^2) of the length map
S1_SEEDS = [0, 1, 2]
PHASE_POINTS = [(1.0, 0.05), (3.0, 0.05), (4.0, 0.05), (1.5, 0.5), (2.0, 0.5),
                (4.0, 0.5), (2.0, 1.0), (4.0, 1.0)]
TANH_GAIN = torch.nn.init.calculate_gain("tanh")  # PyTorch's recommended tanh gain
TANH_GAIN_SW2 = TANH_GAIN**2
DEPTH_SEEDS = [0, 1, 2, 3, 4]
DEPTH_REPORT = (10, 50, 100)  # the depths the page quotes
EDGE_SB2 = 0.05  # the bias variance of the edge-of-chaos network over depth
UNIT_ORDERED, UNIT_CHAOTIC = 1.5, 2.5  # sigma_w^2 of two nets with q* = 1
RELU_SW2 = [1.8, 2.0, 2.2]
RELU_SEEDS = range(20)  # Kaiming networks; the figure shows the first three
NO_BIAS_SW2 = [0.8, 1.0, 1.2, 2.0]
ISO_DEPTHS = (1, 2, 4, 8, 16)
ISO_SEEDS = [0, 1, 2, 3]
ISO_NETS = [("linear", "gaussian"), ("linear", "orthogonal"), ("tanh", "gaussian"),
            ("tanh", "orthogonal"), ("relu", "gaussian"), ("relu", "orthogonal")]
LL_N, LL_DEPTHS, LL_SEEDS = 64, (1, 4, 16), [0, 1, 2, 3, 4]
LL_INITS = ["looks_linear", "kaiming_gaussian", "kaiming_orthogonal"]


def _length_results() -> dict:
    d = _defaults(simulate_lengths)
    q0s, depth = list(d["q0s"]), d["depth"]
    out = {**d, "q0s": q0s, "seeds": S1_SEEDS, "settings": []}
    normal = {}
    for sw2, sb2 in S1_SETTINGS:
        sims = [simulate_lengths(sw2, sb2, seed=s) for s in S1_SEEDS]
        normal[sw2, sb2] = sims
        out["settings"].append({
            "sw2": sw2, "sb2": sb2, "q_star": fixed_point(sw2, sb2),
            "chi1": chi1(sw2, sb2),
            "theory": [iterate_map(q0, sw2, sb2, depth) for q0 in q0s],
            "sim": np.mean([s_["q"] for s_ in sims], axis=0).tolist(),
        })
    # the shape of the weights: normal, uniform, orthogonal at the second setting
    sw2, sb2 = S1_SETTINGS[1]
    out["shape"] = {"sw2": sw2, "sb2": sb2}
    for kind in ["normal", "uniform", "orthogonal"]:
        sims = normal[sw2, sb2] if kind == "normal" else [
            simulate_lengths(sw2, sb2, kind=kind, seed=s) for s in S1_SEEDS]
        q = np.mean([s_["q"] for s_ in sims], axis=0)
        out["shape"][kind] = {
            "q_last": q[:, -1].tolist(),
            "kurtosis": float(np.mean([s_["excess_kurtosis"] for s_ in sims])),
        }
    # standard error of that mean for Gaussian data: sqrt(24 / n) per vector
    n_vectors = len(S1_SEEDS) * len(q0s) * d["per_start"]
    out["shape"]["kurtosis_se_mean"] = (24 / d["width"] / n_vectors) ** 0.5
    out["shape"]["kurtosis_se"] = (24 / d["width"]) ** 0.5  # one vector
    out["shape"]["n_vectors"] = n_vectors
    out["shape"]["max_abs_kurtosis"] = max(
        abs(out["shape"][k]["kurtosis"]) for k in ["normal", "uniform", "orthogonal"]
    )
    out["shape"]["q_last_theory"] = [
        iterate_map(q0, sw2, sb2, depth)[-1] for q0 in q0s
    ]
    theory = out["shape"]["q_last_theory"]
    out["shape"]["max_rel_dev"] = max(
        abs(q / qt - 1)
        for kind in ["normal", "uniform", "orthogonal"]
        for q, qt in zip(out["shape"][kind]["q_last"], theory))
    q = np.linspace(0.0, 4.5, 91)
    out["map_q"] = q.tolist()
    for st in out["settings"]:
        st["map"] = [length_map(x, st["sw2"], st["sb2"]) for x in q]
    out["map_no_bias"] = [length_map(x, 1.0, 0.0) for x in q]
    # tanh without bias: q* = 0 up to sigma_w^2 = 1, positive above
    out["no_bias"] = {"sw2": NO_BIAS_SW2,
                      "q_star": [fixed_point(s, 0.0) for s in NO_BIAS_SW2],
                      "chi1": [chi1(s, 0.0) for s in NO_BIAS_SW2]}
    return out


def _chi_results() -> dict:
    sb2s = np.linspace(0.0, 1.0, 41)
    crit = [1.0] + [critical_sw2(s) for s in sb2s[1:]]  # chi_1 = sw2 at sb2 = 0
    points = [
        {"sw2": sw2, "sb2": sb2, "theory": chi1(sw2, sb2),
         "measured": measured_chi1(sw2, sb2)}
        for sw2, sb2 in PHASE_POINTS + [(TANH_GAIN_SW2, 0.0)]
    ]
    gain = points[-1]
    e_tanh2 = float(np.sum(WEIGHTS * np.tanh(NODES) ** 2))
    unit_sw2 = np.linspace(0.0, 1 / e_tanh2, 41)
    return {
        "unit_curve": {"sw2": unit_sw2.tolist(),
                       "sb2": np.maximum(1 - e_tanh2 * unit_sw2, 0).tolist()},
        **_defaults(measured_chi1),
        "boundary": {"sb2": sb2s.tolist(), "sw2": crit},
        "points": points[:-1],
        "gain": gain | {"q_star": fixed_point(TANH_GAIN_SW2, 0.0),
                        "growth_10": gain["theory"] ** 10},
        "gain_tanh": TANH_GAIN,
        # the variance-preserving tanh gain: q* = 1 without bias, sigma_w^2 E[tanh(z)^2] = 1
        "vp_gain": e_tanh2 ** -0.5,
        "vp_chi1": chi1(1 / e_tanh2, 0.0),
        "crit_sb2_005": critical_sw2(0.05),
        "crit_sb2_05": critical_sw2(0.5),
        "max_rel_error": max(abs(p["measured"] / p["theory"] - 1) for p in points),
        "sign_agrees": all((p["measured"] > 1) == (p["theory"] > 1)
                           for p in points),
    }


def _unit_results() -> dict:
    d = _defaults(propagate)
    depth, width = d["depth"], d["width"]
    chi_unit = lambda s: s * float(np.sum(WEIGHTS * np.cosh(NODES) ** -4))
    nets = {}
    for name, sw2 in [("ordered", UNIT_ORDERED),
                      ("critical", unit_variance_critical_sw2()),
                      ("chaotic", UNIT_CHAOTIC)]:
        sb2 = unit_variance_sb2(sw2)
        sim = propagate(sw2, sb2)
        q = np.array(sim["q"])
        chi = chi_unit(sw2)
        theory_c = []
        for c0 in d["c0s"]:
            cs = [c0]
            for _ in range(depth):
                cs.append(min(correlation_map(cs[-1], sw2, sb2), 1.0))
            theory_c.append(cs)
        nets[name] = {
            "sw2": sw2, "sb2": sb2, "chi1": chi, "theory": chi,
            "measured": sim["grad_rel"][0] ** (1 / depth),
            "depth_scale": 1 / abs(math.log(chi)) if name != "critical" else None,
            "q_mean": float(q.mean()), "q_min": float(q.min()),
            "q_max": float(q.max()),
            "grad_rel": sim["grad_rel"], "grad_first": sim["grad_rel"][0],
            "grad_theory_first": chi**depth,
            "corr": sim["corr"], "corr_theory": theory_c,
            "corr_last": [c[-1] for c in sim["corr"]],
            "corr_theory_last": [c[-1] for c in theory_c],
            "kurtosis": sim["excess_kurtosis"],
        }
    chaotic = nets["chaotic"]
    c = 0.5
    for _ in range(5000):  # the chaotic net's fixed point c* < 1
        c = correlation_map(c, chaotic["sw2"], chaotic["sb2"])
    eps = 1e-4
    slope = (correlation_map(c + eps, chaotic["sw2"], chaotic["sb2"])
             - correlation_map(c - eps, chaotic["sw2"], chaotic["sb2"])) / (2 * eps)
    dev = np.abs(np.array(chaotic["corr"]) - np.array(chaotic["corr_theory"]))
    return {**d, "c0s": list(d["c0s"]), "nets": nets,
            "q_noise": (2 / width) ** 0.5, "kurtosis_se": (24 / width) ** 0.5,
            "q_mean_max_dev": max(abs(n["q_mean"] - 1) for n in nets.values()),
            "q_min": min(n["q_min"] for n in nets.values()),
            "q_max": max(n["q_max"] for n in nets.values()),
            "chaotic_c_star": c, "chaotic_c_slope": slope,
            "chaotic_corr_max_dev": dev.max(axis=1).tolist(),
            "max_abs_kurtosis": max(abs(n["kurtosis"]) for n in nets.values())}


def _relu_results() -> dict:
    d = _defaults(relu_depth)
    depth, width = d["depth"], d["width"]
    # Without biases ReLU is positively homogeneous, relu(a x) = a relu(x) for a > 0: the
    # network with sigma_w^2 built from the same draws as a Kaiming network is that network
    # times (sigma_w^2 / 2)^(l/2) at layer l. Its ratios to chi_1^L are exactly the Kaiming
    # ones (up to rounding), so one set of Kaiming networks serves all three rows.
    runs = [relu_depth(2.0, seed=s) for s in RELU_SEEDS]
    log_var = 5 * depth / width  # finite-width variance of ln q^L per input
    ratios = {key: np.array([run[key] for run in runs])  # [seed][input], over chi_1^L
              for key in ("q_last_each", "grad_first_each")}
    n = len(RELU_SEEDS)
    nets = []
    for i, sw2 in enumerate(RELU_SW2):
        chi, run = sw2 / 2, runs[i]  # the figure: network i of the set, rescaled
        layers = np.arange(depth + 1)
        net = {"sw2": sw2, "chi1": chi, "theory_last": chi**depth,
               "theory_median": chi**depth * math.exp(-log_var / 2),
               "q_rel": (np.array(run["q_rel"]) * chi**layers).tolist(),
               "grad_rel": (np.array(run["grad_rel"]) * chi ** (depth - layers)).tolist()}
        for key, name in (("q_last_each", "q"), ("grad_first_each", "grad")):
            x = ratios[key] * chi**depth
            net[f"{name}_mean"] = float(x.mean())
            net[f"{name}_median"] = float(np.median(x))
        nets.append(net)
    kaiming = runs[RELU_SW2.index(2.0)]
    both = np.concatenate([ratios["q_last_each"].ravel(), ratios["grad_first_each"].ravel()])
    return {
        **d, "sw2s": RELU_SW2, "seeds": list(RELU_SEEDS), "n_seeds": n,
        "n_values": int(ratios["q_last_each"].size), "nets": nets,
        # each input on its own, over chi_1^L: the same for every sigma_w^2
        "q_mean_ratio": float(ratios["q_last_each"].mean()),
        "grad_mean_ratio": float(ratios["grad_first_each"].mean()),
        "q_median_ratio": float(np.median(ratios["q_last_each"])),
        "grad_median_ratio": float(np.median(ratios["grad_first_each"])),
        "ratio_min": float(both.min()), "ratio_max": float(both.max()),
        "log_sd": log_var**0.5,  # finite-width spread of ln q^L
        "log_sd_factor": math.exp(log_var**0.5),
        "median_theory": math.exp(-log_var / 2),  # exp(-5L/(2N)): log-normal median
        # standard errors with n networks (inputs of one network are positively
        # correlated, so n, not n * batch, is the conservative sample size)
        "se_mean": ((math.exp(log_var) - 1) / n) ** 0.5,  # of the mean, relative
        "se_log_median": (math.pi / 2) ** 0.5 * log_var**0.5 / n**0.5,
        "corr_in": kaiming["corr_in"], "corr_out": kaiming["corr_out"],
        "corr_theory": relu_correlation(0.0, depth),
    }


def _isometry_results() -> dict:
    d = _defaults(jacobian_singular_values)
    sw2, sb2 = critical_tanh(d["q_star"])
    mu2 = {act: spread_theory(act, "orthogonal", 1) + 1
           for act in ("linear", "tanh", "relu")}  # E[(sw2 phi'^2)^2]
    out = {**d, "depths": list(ISO_DEPTHS), "seeds": ISO_SEEDS, "tanh_sw2": sw2,
           "tanh_sb2": sb2, "mu2": mu2, "nets": {}}
    for act, kind in ISO_NETS:
        runs = [jacobian_singular_values(act, kind, depths=ISO_DEPTHS, seed=s)
                for s in ISO_SEEDS]
        sv = {L: np.array([run[L] for run in runs]) for L in ISO_DEPTHS}
        last = sv[ISO_DEPTHS[-1]]
        out["nets"][f"{act}_{kind}"] = {
            "mean_s2": [float((sv[L] ** 2).mean()) for L in ISO_DEPTHS],
            # var(s^2) / mean(s^2)^2 of each network, averaged over the networks
            "var_s2": [float(((sv[L] ** 2).var(axis=1)
                              / (sv[L] ** 2).mean(axis=1) ** 2).mean())
                       for L in ISO_DEPTHS],
            "var_theory": [spread_theory(act, kind, L) for L in ISO_DEPTHS],
            "s_max": float(last.max()),
            "s_min": float(last.min()),
            "max_dev_from_1": float(np.abs(last - 1).max()),
            "frac_zero_first": float(np.mean(sv[1] < 1e-12)),
            "frac_within_2": float(np.mean((last > 0.5) & (last < 2))),
            "frac_below_001": float(np.mean(last < 0.01)),
            "sorted_last": sorted(last[0].tolist(), reverse=True),
        }
    devs = [(abs(v / t - 1), key, L)
            for key, n in out["nets"].items()
            for L, v, t in zip(ISO_DEPTHS, n["var_s2"], n["var_theory"]) if t > 0]
    out["max_rel_dev"], out["max_rel_dev_net"], out["max_rel_dev_depth"] = max(devs)
    return out


def _depth_results() -> dict:
    d = _defaults(simulate_depth)
    depth, report = d["depth"], list(DEPTH_REPORT)
    settings = {"pytorch": (TANH_GAIN_SW2, 0.0), "sigma1": (1.0, 0.0),
                "edge": (critical_sw2(EDGE_SB2), EDGE_SB2)}
    sims = [simulate_depth(list(settings.values()), seed=s) for s in DEPTH_SEEDS]
    out = {**d, "seeds": DEPTH_SEEDS, "report": report, "nets": {}}
    for i, (name, (sw2, sb2)) in enumerate(settings.items()):
        theory = mean_field(sw2, sb2, depth, c0=d["c0"])
        net = {"sw2": sw2, "sb2": sb2, "sigma_w": math.sqrt(sw2),
               "q_star": fixed_point(sw2, sb2), "chi1": chi1(sw2, sb2)}
        for key in ("grad", "q", "corr"):
            per = np.array([sim[i][key] for sim in sims])[:, report]  # [seed][depth]
            net[key] = {"median": np.median(per, axis=0).tolist(),
                        "min": per.min(axis=0).tolist(), "max": per.max(axis=0).tolist(),
                        "theory": [theory[key][L] for L in report]}
        # every layer, for the figure
        for key in ("grad", "corr"):
            per = np.array([sim[i][key] for sim in sims])
            net[key]["curve"] = {"median": np.median(per, axis=0).tolist(),
                                 "min": per.min(axis=0).tolist(),
                                 "max": per.max(axis=0).tolist(), "theory": theory[key]}
        # median per-layer factor of |grad|^2 over the whole depth
        net["per_layer"] = float(np.median([sim[i]["grad"][-1] for sim in sims])
                                 ** (1 / depth))
        net["per_layer_theory"] = theory["grad"][-1] ** (1 / depth)
        out["nets"][name] = net
    # bias-free chaotic tanh: the correlation map's fixed point is c* = 0 (odd tanh),
    # with slope sigma_w^2 E[tanh'(sqrt(q*) z)]^2 there
    p = out["nets"]["pytorch"]
    slope0 = p["sw2"] * float(np.sum(WEIGHTS * np.cosh(math.sqrt(p["q_star"]) * NODES)
                                     ** -2)) ** 2
    p["c_slope0"], p["c_depth0"] = slope0, 1 / abs(math.log(slope0))
    return out


def _looks_linear_results() -> dict:
    out = {"n": LL_N, "units": 2 * LL_N, "depths": list(LL_DEPTHS), "seeds": LL_SEEDS,
           "nets": {}}
    for init in LL_INITS:
        sv = {L: [] for L in LL_DEPTHS}
        lin, c_in, c_out = [], [], []
        for L in LL_DEPTHS:
            for seed in LL_SEEDS:
                g = torch.Generator().manual_seed(seed)
                net = relu_net(LL_N, L)
                if init == "looks_linear":
                    looks_linear_(net, g)
                else:
                    kaiming_(net, g, orthogonal=init.endswith("orthogonal"))
                x1, x2 = torch.randn(2, LL_N, generator=g, dtype=torch.float64)
                sv[L].append(torch.linalg.svdvals(jacobian(net, x1)).numpy())
                if L == LL_DEPTHS[-1]:
                    with torch.no_grad():
                        y1, y2, y12 = net(x1), net(x2), net(x1 + x2)
                    lin.append(float((y12 - y1 - y2).abs().max() / y12.abs().max()))
                    cos = torch.nn.functional.cosine_similarity
                    c_in.append(float(cos(x1, x2, dim=0)))
                    c_out.append(float(cos(y1, y2, dim=0)))
        s = {L: np.array(v) for L, v in sv.items()}  # [seed][singular value]
        last = s[LL_DEPTHS[-1]]
        out["nets"][init] = {
            "frac_within_2": [float(np.mean((s[L] > 0.5) & (s[L] < 2))) for L in LL_DEPTHS],
            "mean_s2": [float((s[L] ** 2).mean()) for L in LL_DEPTHS],
            "var_s2": [float(((s[L] ** 2).var(axis=1) / (s[L] ** 2).mean(axis=1) ** 2)
                             .mean()) for L in LL_DEPTHS],
            "s_min": float(last.min()), "s_max": float(last.max()),
            "max_dev_from_1": float(max(np.abs(v - 1).max() for v in s.values())),
            "frac_below_001": float(np.mean(last < 0.01)),
            "nonlinearity": max(lin),
            "corr_in": float(np.mean(c_in)), "corr_out": float(np.mean(c_out)),
            # the ReLU correlation map, once per ReLU layer (the first layer is linear)
            "corr_theory": float(np.mean([relu_correlation(c, LL_DEPTHS[-1])
                                          for c in c_in])),
            "corr_change": float(np.max(np.abs(np.array(c_out) - np.array(c_in)))),
        }
    # between hidden layers of the looks-linear nets: zeros stay, the rest is sqrt 2
    zero, dev = [], []
    for seed in LL_SEEDS:
        g = torch.Generator().manual_seed(seed)
        net = relu_net(LL_N, LL_DEPTHS[-1])
        looks_linear_(net, g)
        x = torch.randn(LL_N, generator=g, dtype=torch.float64)
        with torch.no_grad():
            h1 = net[0](x)
        sh = torch.linalg.svdvals(jacobian(net[1:-2], h1)).numpy()
        zero.append(float(np.mean(sh < 1e-9 * sh.max())))
        dev.append(float(np.abs(sh[sh >= 1e-9 * sh.max()] - math.sqrt(2)).max()))
    out["hidden_frac_zero"] = zero
    out["hidden_max_dev_sqrt2"] = max(dev)
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    torch.manual_seed(0)
    res = {
        "length": _length_results(),
        "chi": _chi_results(),
        "unit": _unit_results(),
        "relu": _relu_results(),
        "isometry": _isometry_results(),
        "depth": _depth_results(),
        "looks_linear": _looks_linear_results(),
    }
    # every simulated chi_1: the phase-diagram points and the three q* = 1 networks
    c = res["chi"]
    every = c["points"] + [c["gain"]] + list(res["unit"]["nets"].values())
    c["n_all"] = len(every)
    c["max_rel_error_all"] = max(abs(p["measured"] / p["theory"] - 1)
                                 for p in every)
    c["sign_agrees_all"] = all((p["measured"] > 1) == (p["theory"] > 1)
                               for p in every if abs(p["theory"] - 1) > 1e-9)
    # the explorer's settings, for the page's text (its values come from explorer_data())
    res["explorer"] = {"sw2": EXPLORER_SW2, "sb2": EXPLORER_SB2, "c0s": list(EXPLORER_C0S),
                       **_defaults(tanh_networks_through_depth)}
    return res


GRAD = r"$|\partial L/\partial h^l|^2\,/\,|\partial L/\partial h^L|^2$"
LABELS = {
    "en": {
        "layer": "layer $l$",
        "q": "length $q^l$",
        "q_prev": "$q^{l-1}$",
        "q_next": "$q^l$",
        "sim": "simulation",
        "diagonal": "$q^l = q^{l-1}$",
        "setting": r"$\sigma_w^2$ = {sw2:g}, $\sigma_b^2$ = {sb2:g}",
        "sw2": r"weight variance $\sigma_w^2$",
        "sb2": r"bias variance $\sigma_b^2$",
        "ordered": "ordered",
        "chaotic": "chaotic",
        "critical": "critical",
        "boundary": r"edge of chaos, $\chi_1 = 1$",
        "unit_curve": "$q^* = 1$",
        "sim_ordered": r"simulated, $\chi_1 < 1$ in theory",
        "sim_critical": r"simulated, $\chi_1 = 1$ in theory",
        "sim_chaotic": r"simulated, $\chi_1 > 1$ in theory",
        "gain": "PyTorch's tanh gain",
        "chi_theory": r"$\chi_1$ from theory",
        "chi_measured": r"$\chi_1$ measured",
        "identity": "measured = theory",
        "grad": GRAD,
        "corr": "correlation $c^l$",
        "c_start": "$c^0$ = {c0:g}",
        "q_rel": "$q^l / q^0$",
        "relu_net": r"$\sigma_w^2$ = {sw2:g}",
        "kaiming": r"$\sigma_w^2$ = 2 (Kaiming)",
        "net": r"{name}, $\chi_1$ = {chi1:.2f}",
        "depth": "depth $L$",
        "var_s2": "var(s²) / mean(s²)²",
        "rank": "rank / width",
        "sv": "singular values, $L$ = {L}",
        "linear_gaussian": "linear, Gaussian",
        "linear_orthogonal": "linear, orthogonal",
        "tanh_gaussian": "tanh, Gaussian",
        "tanh_orthogonal": "tanh, orthogonal",
        "relu_gaussian": "ReLU, Gaussian",
        "relu_orthogonal": "ReLU, orthogonal",
        "pytorch": r"PyTorch's gain, $\sigma_w$ = {sigma_w:.3g}, $\sigma_b$ = 0",
        "sigma1": r"$\sigma_w$ = 1, $\sigma_b$ = 0",
        "edge": r"edge of chaos, $\sigma_w$ = {sigma_w:.3g}, $\sigma_b^2$ = {sb2:g}",
        "grad_gain": r"$|\partial L/\partial h^0|^2\,/\,|\partial L/\partial h^L|^2$",
        "corr_depth": "correlation $c^L$",
        "median_band": "{n} networks: median and range",
        "mean_field": "mean-field theory",
        "explorer_title": "Explore: tanh networks of width {width} and depth {depth}, the same {networks} at every setting (rescaled); inputs of length q⁰ = 1",
        "explorer_sw2": "weight variance σw²",
        "explorer_sb2": "bias variance σb²",
        "explorer_sigma1": "σw = 1",
        "explorer_chi_title": "χ₁ at q* for this σb²: the edge of chaos is where it crosses 1",
        "explorer_chi_axis": "χ₁",
        "explorer_chi_curve": "χ₁ against σw²",
        "boundary_plain": "χ₁ = 1",
        "explorer_here": "this setting",
        "explorer_corr_title": "Correlation of two inputs that start at {c0s}",
        "explorer_corr": "correlation cˡ",
        "layer_plain": "layer l",
        "explorer_each": "each network",
        "explorer_mean": "mean of the {n} networks",
        "explorer_grad_title": "Squared gradient norm relative to the last layer (backpropagation runs right to left)",
        "explorer_grad_x": "layer l",
        "explorer_clipped": " (beyond the axis: dotted along its edge)",
        "explorer_grad": "|∂L/∂hˡ|² / |∂L/∂hᴸ|²",
        "explorer_q_star": "at the fixed point: length q*",
        "explorer_q_title": "Length qˡ of the pre-activations: the approach from q⁰ = 1 to q*",
        "explorer_q_axis": "length qˡ",
        "explorer_q_star_line": "q*",
        "explorer_chi1": "χ₁",
        "explorer_edge": "edge of chaos for this σb² at σw² =",
        "explorer_grad_scale": "depth scale of the squared gradient norm, 1/|ln χ₁| (layers)",
        "explorer_c_star": "correlation c*",
        "explorer_corr_scale": "depth scale of correlations, −1/ln χ_c (layers)",
        "explorer_measured": "over these {depth} layers from q⁰ = 1, gain per layer of the squared gradient norm: networks' mean (range)",
        "explorer_mean_field": "the same, mean field",
    },
    "zh": {
        "layer": "层l",
        "q": "长度q",  # mathtext has no CJK glyphs: no $...$ in a label with Chinese
        "q_prev": "$q^{l-1}$",
        "q_next": "$q^l$",
        "sim": "模拟",
        "diagonal": "$q^l = q^{l-1}$",
        "setting": r"$\sigma_w^2$ = {sw2:g}, $\sigma_b^2$ = {sb2:g}",
        "sw2": "权重方差",
        "sb2": "偏置方差",
        "ordered": "有序",
        "chaotic": "混沌",
        "critical": "临界",
        "boundary": "混沌边缘（χ₁ = 1）",
        "unit_curve": "$q^* = 1$",
        "sim_ordered": "模拟，理论χ₁ < 1",
        "sim_critical": "模拟，理论χ₁ = 1",
        "sim_chaotic": "模拟，理论χ₁ > 1",
        "gain": "PyTorch的tanh增益",
        "chi_theory": "理论χ₁",
        "chi_measured": "实测χ₁",
        "identity": "实测 = 理论",
        "grad": GRAD,
        "corr": "相关系数cˡ",
        "c_start": "$c^0$ = {c0:g}",
        "q_rel": "$q^l / q^0$",
        "relu_net": r"$\sigma_w^2$ = {sw2:g}",
        "kaiming": r"$\sigma_w^2$ = 2 (Kaiming)",
        "net": "{name}，χ₁ = {chi1:.2f}",
        "depth": "深度L",
        "var_s2": "var(s²) / mean(s²)²",
        "rank": "序号 / 宽度",
        "sv": "奇异值（L = {L}）",
        "linear_gaussian": "线性，高斯",
        "linear_orthogonal": "线性，正交",
        "tanh_gaussian": "tanh，高斯",
        "tanh_orthogonal": "tanh，正交",
        "relu_gaussian": "ReLU，高斯",
        "relu_orthogonal": "ReLU，正交",
        "pytorch": "PyTorch的增益，σw = {sigma_w:.3g}，σb = 0",
        "sigma1": r"$\sigma_w$ = 1, $\sigma_b$ = 0",
        "edge": "混沌边缘，σw = {sigma_w:.3g}，σb² = {sb2:g}",
        "grad_gain": r"$|\partial L/\partial h^0|^2\,/\,|\partial L/\partial h^L|^2$",
        "corr_depth": "相关系数cᴸ",
        "median_band": "{n}个网络：中位数与范围",
        "mean_field": "平均场理论",
        "explorer_title": "动手试试：宽度为{width}、深度为{depth}的tanh网络，每个设置都用同样的{networks}个（按比例缩放）；输入的长度q⁰ = 1",
        "explorer_sw2": "权重方差σw²",
        "explorer_sb2": "偏置方差σb²",
        "explorer_sigma1": "σw = 1",
        "explorer_chi_title": "当前σb²下q*处的χ₁：它穿过1的位置就是混沌边缘",
        "explorer_chi_axis": "χ₁",
        "explorer_chi_curve": "χ₁随σw²的变化",
        "boundary_plain": "χ₁ = 1",
        "explorer_here": "当前设置",
        "explorer_corr_title": "两个输入的相关系数（起始值{c0s}）",
        "explorer_corr": "相关系数cˡ",
        "layer_plain": "层l",
        "explorer_each": "各个网络",
        "explorer_mean": "{n}个网络的平均",
        "explorer_grad_title": "各层梯度范数的平方相对于最后一层的比值（反向传播从右向左进行）",
        "explorer_grad_x": "层l",
        "explorer_clipped": "（超出坐标轴的部分沿边缘画成点线）",
        "explorer_grad": "|∂L/∂hˡ|² / |∂L/∂hᴸ|²",
        "explorer_q_star": "不动点处：长度q*",
        "explorer_q_title": "预激活的长度qˡ：从q⁰ = 1趋近q*的过程",
        "explorer_q_axis": "长度qˡ",
        "explorer_q_star_line": "q*",
        "explorer_chi1": "χ₁",
        "explorer_edge": "当前σb²下混沌边缘位于σw² =",
        "explorer_grad_scale": "梯度范数平方的深度尺度1/|ln χ₁|（层）",
        "explorer_c_star": "相关系数c*",
        "explorer_corr_scale": "相关系数的深度尺度−1/ln χ_c（层）",
        "explorer_measured": "从q⁰ = 1出发的这{depth}层上，梯度范数平方的每层增益：各网络的平均（范围）",
        "explorer_mean_field": "同上，平均场",
    },
}


def _bottom_legend(fig, handles, ncol: int = 2) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol)


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # The length map: convergence to q*, and the map itself
    r = res["length"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.4, 4.0), layout="constrained")
    layers = np.arange(r["depth"] + 1)
    handles = []
    for i, s in enumerate(r["settings"]):
        for j in range(len(r["q0s"])):
            (line,) = ax1.plot(layers, s["theory"][j], color=f"C{i}",
                               label=L["setting"].format(**s))
            ax1.plot(layers, s["sim"][j], color=f"C{i}", marker="o", markersize=4,
                     linestyle="none")
        handles.append(line)
        ax2.plot(r["map_q"], s["map"], color=f"C{i}")
        ax2.plot([s["q_star"]], [s["q_star"]], color=f"C{i}", marker="o")
    (line,) = ax2.plot(r["map_q"], r["map_no_bias"], color="C2",
                       label=L["setting"].format(sw2=1, sb2=0))
    handles.append(line)
    handles += ax2.plot(r["map_q"], r["map_q"], color="C4", linestyle=":",
                        label=L["diagonal"])
    handles += ax1.plot([], [], color="C4", marker="o", markersize=4,
                        linestyle="none", label=L["sim"])
    ax1.set_xticks(layers[::2])
    ax1.set_xlabel(L["layer"])
    ax1.set_ylabel(L["q"])
    ax2.set_xlabel(L["q_prev"])
    ax2.set_ylabel(L["q_next"])
    ax2.set_xlim(0, r["map_q"][-1])
    ax2.set_ylim(0, r["map_q"][-1])
    ax2.set_aspect("equal")
    _bottom_legend(fig, handles)
    figs["length_map"] = fig

    # Phase diagram and measured chi_1
    c = res["chi"]
    pts = c["points"] + [c["gain"]] + list(res["unit"]["nets"].values())
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.4, 3.9), layout="constrained")
    b = c["boundary"]
    handles = ax1.plot(b["sw2"], b["sb2"], color="C3", label=L["boundary"])
    handles += ax1.plot(c["unit_curve"]["sw2"], c["unit_curve"]["sb2"], color="C4",
                        linestyle="--", label=L["unit_curve"])
    # The marker says the phase from theory, so a measurement that lands a hair on the other
    # side of 1 on another CPU does not change the drawing.
    phases = {"ordered": ("o", "C0"), "critical": ("D", "C2"), "chaotic": ("s", "C1")}
    for p in pts:
        phase = ("critical" if abs(p["theory"] - 1) < 1e-9
                 else "chaotic" if p["theory"] > 1 else "ordered")
        marker, color = phases[phase]
        ax1.plot(p["sw2"], p["sb2"], linestyle="none", marker=marker, color=color)
        ax2.plot(p["theory"], p["measured"], linestyle="none", marker=marker, color=color)
    for phase, (marker, color) in phases.items():
        handles += ax1.plot([], [], marker, color=color, label=L[f"sim_{phase}"])
    ax1.annotate(L["gain"], (c["gain"]["sw2"], 0.0), xytext=(2.9, 0.2),
                 arrowprops={"arrowstyle": "->", "color": "C4"})
    ax1.text(0.15, 0.3, L["ordered"])
    ax1.text(3.3, 0.7, L["chaotic"])
    ax1.set_xlim(0, 4.5)
    ax1.set_ylim(0, 1.05)
    ax1.set_xlabel(L["sw2"])
    ax1.set_ylabel(L["sb2"])
    lim = [0.6, 1.4]
    handles += ax2.plot(lim, lim, color="C4", linestyle=":", label=L["identity"])
    ax2.set_xlim(lim)
    ax2.set_ylim(lim)
    ax2.set_aspect("equal")
    ax2.set_xlabel(L["chi_theory"])
    ax2.set_ylabel(L["chi_measured"])
    _bottom_legend(fig, handles)
    figs["phase"] = fig

    # PyTorch's tanh gain over depth: gradient growth and correlations
    r = res["depth"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.4, 4.0), layout="constrained")
    layers = np.arange(r["depth"] + 1)
    colors = {"pytorch": "C1", "sigma1": "C0", "edge": "C2"}
    handles = []
    for name, n in r["nets"].items():
        for ax, key in ((ax1, "grad"), (ax2, "corr")):
            cv = n[key]["curve"]
            ax.fill_between(layers, cv["min"], cv["max"], color=colors[name], alpha=0.2,
                            linewidth=0)
            ax.plot(layers, cv["median"], color=colors[name], linestyle="--")
            (line,) = ax.plot(layers, cv["theory"], color=colors[name],
                              label=L[name].format(**n))
        handles.append(line)
    ax1.set_yscale("log")
    handles += ax1.plot([], [], color="C7", label=L["mean_field"])
    handles += ax1.plot([], [], color="C7", linestyle="--",
                        label=L["median_band"].format(n=len(r["seeds"])))
    for ax in (ax1, ax2):
        ax.set_xlabel(L["depth"])
    ax1.set_ylabel(L["grad_gain"])
    ax2.set_ylabel(L["corr_depth"])
    ax2.set_ylim(-0.3, 1.02)
    _bottom_legend(fig, handles, ncol=2)
    figs["tanh_depth"] = fig

    # Unit variance at every layer: gradients and correlations
    r = res["unit"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.4, 4.1), layout="constrained")
    layers = np.arange(r["depth"] + 1)
    handles = []
    for i, (name, n) in enumerate(r["nets"].items()):
        color = f"C{i}"
        ax1.semilogy(layers, n["grad_rel"], color=color, marker="o", markersize=3,
                     linestyle="none")
        handles += ax1.semilogy(layers, n["chi1"] ** (r["depth"] - layers),
                                color=color,
                                label=L["net"].format(name=L[name], **n))
        for j in range(len(r["c0s"])):
            ax2.plot(layers, n["corr"][j], color=color, marker="os"[j],
                     markersize=3, linestyle="none")
            ax2.plot(layers, n["corr_theory"][j], color=color,
                     linestyle="-" if j == 0 else "--")
    for j, c0 in enumerate(r["c0s"]):
        handles += ax2.plot([], [], color="C4", marker="os"[j], markersize=3,
                            linestyle="-" if j == 0 else "--",
                            label=L["c_start"].format(c0=c0))
    handles += ax1.plot([], [], color="C4", marker="o", markersize=3,
                        linestyle="none", label=L["sim"])
    ax1.set_xlabel(L["layer"])
    ax1.set_ylabel(L["grad"])
    ax2.set_xlabel(L["layer"])
    ax2.set_ylabel(L["corr"])
    ax2.set_ylim(0, 1.02)
    _bottom_legend(fig, handles, ncol=2)
    figs["unit_variance"] = fig

    # ReLU: forward length and backward gradient
    r = res["relu"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    layers = np.arange(r["depth"] + 1)
    handles = []
    for i, n in enumerate(r["nets"]):
        color = f"C{i}"
        ax1.semilogy(layers, n["q_rel"], color=color, marker="o", markersize=3,
                     linestyle="none")
        label = L["kaiming"] if n["sw2"] == 2 else L["relu_net"].format(**n)
        handles += ax1.semilogy(layers, n["chi1"] ** layers, color=color,
                                label=label)
        ax2.semilogy(layers, n["grad_rel"], color=color, marker="o", markersize=3,
                     linestyle="none")
        ax2.semilogy(layers, n["chi1"] ** (r["depth"] - layers), color=color)
    handles += ax1.plot([], [], color="C4", marker="o", markersize=3,
                        linestyle="none", label=L["sim"])
    ax1.set_xlabel(L["layer"])
    ax1.set_ylabel(L["q_rel"])
    ax2.set_xlabel(L["layer"])
    ax2.set_ylabel(L["grad"])
    _bottom_legend(fig, handles, ncol=2)
    figs["relu"] = fig

    # Dynamical isometry: colour = activation, line style = weights
    r = res["isometry"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.4, 4.2), layout="constrained")
    depths = np.array(r["depths"])
    colors = {"linear": "C0", "tanh": "C1", "relu": "C2"}
    handles = []
    for key, n in r["nets"].items():
        act, kind = key.split("_")
        gaussian = kind == "gaussian"
        if key != "linear_orthogonal":  # its variance is 0: off a log axis
            ax1.loglog(depths, n["var_s2"], color=colors[act], linestyle="none",
                       marker="o" if gaussian else "s", markersize=4)
            ax1.loglog(depths, n["var_theory"], color=colors[act],
                       linestyle="-" if gaussian else "--")
        s = np.array(n["sorted_last"])
        handles += ax2.semilogy(np.arange(1, len(s) + 1) / len(s), s,
                                color=colors[act], label=L[key],
                                linestyle="-" if gaussian else "--")
    ax1.set_xlabel(L["depth"])
    ax1.set_ylabel(L["var_s2"])
    ax2.set_ylim(1e-3, 30)
    ax2.set_xlabel(L["rank"])
    ax2.set_ylabel(L["sv"].format(L=r["depths"][-1]))
    _bottom_legend(fig, handles, ncol=3)
    figs["isometry"] = fig

    return figs


# The page's explorer (an interactive figure; the site's script draws it from this data).
EXPLORER_SW2 = sorted({0.25 * k for k in range(2, 17)} | {TANH_GAIN_SW2})  # 0.5 ... 4 and PyTorch's gain
EXPLORER_SB2 = [0.0, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0]
EXPLORER_C0S = (0.2, 0.99)  # the two starting correlations, as in the section "Variance 1 ..."
# A finer 2-D rule than the section's 61 x 61: near the edge the correlation map's slope at c* is
# close to 1, and an error e in the map moves c* by e / (1 - slope) (61 nodes: 2e-5 -> 1.5e-3).
_nodes, _weights = hermegauss(121)
EZ1, EZ2 = np.meshgrid(_nodes, _nodes, indexing="ij")
EW2 = np.outer(_weights, _weights) / _weights.sum() ** 2


def mean_field_through_depth(sw2: float, sb2: float, c0: float, depth: int) -> dict:
    """The mean field from inputs of length q^0 = 1 at correlation c0, layer by layer
    (h^l = W tanh(h^{l-1}) + b): q^l = sw2 E[tanh(u)^2] + sb2 with u ~ N(0, q^{l-1});
    c^l q^l = sw2 E[tanh(u1) tanh(u2)] + sb2 with corr(u1, u2) = c^{l-1}; and
    |dL/dh^l|^2 / |dL/dh^L|^2 = prod_{k=l}^{L-1} sw2 E[tanh'(u_k)^2], u_k ~ N(0, q^k)."""
    q, c, chis = [1.0], [c0], []
    for _ in range(depth):
        u1 = math.sqrt(q[-1]) * EZ1
        u2 = math.sqrt(q[-1]) * (c[-1] * EZ1 + math.sqrt(max(1 - c[-1] ** 2, 0.0)) * EZ2)
        chis.append(sw2 * float(np.sum(WEIGHTS * np.cosh(math.sqrt(q[-1]) * NODES) ** -4)))
        q.append(sw2 * float(np.sum(WEIGHTS * np.tanh(math.sqrt(q[-1]) * NODES) ** 2)) + sb2)
        c.append(min((sw2 * float(np.sum(EW2 * np.tanh(u1) * np.tanh(u2))) + sb2) / q[-1], 1.0))
    grad = np.cumprod(chis[::-1])[::-1].tolist() + [1.0]
    return {"q": q, "c": c, "grad": grad}


def correlation_fixed_point(sw2: float, sb2: float) -> tuple[float | None, float]:
    """c* of the correlation map at q* (1 in the ordered phase, below 1 in the chaotic one) and
    the map's slope there, chi_c = sw2 E[tanh'(u1) tanh'(u2)] (Schoenholz et al. 2017, eq. 5);
    at c* = 1 that slope is chi_1. Without bias and with sw2 <= 1, q* = 0: the network becomes
    linear, every correlation is kept (slope 1) and there is no single c* (None)."""
    q = fixed_point(sw2, sb2)
    if q == 0:
        return None, 1.0
    if chi1(sw2, sb2) <= 1:
        return 1.0, chi1(sw2, sb2)

    def pair(c: float):
        return math.sqrt(q) * EZ1, math.sqrt(q) * (c * EZ1 + math.sqrt(1 - c * c) * EZ2)

    def gap(c: float) -> float:
        u1, u2 = pair(c)
        return (sw2 * float(np.sum(EW2 * np.tanh(u1) * np.tanh(u2))) + sb2) / q - c

    c = 0.0 if sb2 == 0 else brentq(gap, 0.0, 1 - 1e-9, xtol=1e-13)  # tanh is odd: c* = 0 without bias
    u1, u2 = pair(c)
    return c, sw2 * float(np.sum(EW2 * np.cosh(u1) ** -2 * np.cosh(u2) ** -2))


def depth_scale(chi: float) -> float:
    """The number of layers over which a quantity that is multiplied by chi per layer changes by e
    (infinite at chi = 1, to quadrature rounding)."""
    return math.inf if abs(math.log(chi)) < 1e-9 else 1 / abs(math.log(chi))


def tanh_networks_through_depth(
    sw2s: list[float], sb2: float, c0s: tuple = EXPLORER_C0S, pairs: int = 2, width: int = 256,
    depth: int = 50, networks: int = 5, seed: int = 0,
) -> dict:
    """`networks` random tanh networks h^l = W tanh(h^{l-1}) + b per weight variance (one batch; the
    same draws at every sw2 and, with the same seed, at every sb2), fed `pairs` pairs of inputs of
    mean square 1 at each correlation in c0s, with a random linear readout summed over the inputs.
    Per sw2 and network: each layer's input correlation (mean over the pairs, per c0),
    |dL/dh^l|^2 / |dL/dh^L|^2 and the length q^l (mean square over units and inputs)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.stack([torch.cat([two_inputs(c0, width, g) for c0 in c0s for _ in range(pairs)])
                     for _ in range(networks)])  # network, input, unit
    batch = x.shape[1]
    h = x.repeat(1, len(sw2s), 1).requires_grad_()  # network, (sw2, input), unit: one matmul per layer
    weight_scale = torch.tensor(sw2s, dtype=torch.float64).div(width).sqrt().repeat_interleave(batch).view(1, -1, 1)
    hs = [h]
    for _ in range(depth):
        W = torch.randn(networks, width, width, generator=g).double()  # float32 draw: 6x faster
        b = torch.randn(networks, 1, width, generator=g).double()
        h = weight_scale * torch.bmm(torch.tanh(h), W.transpose(1, 2)) + math.sqrt(sb2) * b
        h.retain_grad()
        hs.append(h)
    v = torch.randn(networks, width, 1, generator=g, dtype=torch.float64)
    torch.bmm(h, v).sum().backward()
    with torch.no_grad():
        pair = torch.stack(hs).view(depth + 1, networks, len(sw2s), len(c0s), pairs, 2, width)
        a, b = pair[..., 0, :], pair[..., 1, :]
        corr = ((a * b).mean(-1) / (a.pow(2).mean(-1) * b.pow(2).mean(-1)).sqrt()).mean(-1)
        grad = torch.stack([x.grad.view(networks, len(sw2s), -1).pow(2).sum(-1) for x in hs])  # layer, network, sw2
        q = torch.stack([x.view(networks, len(sw2s), -1).pow(2).mean(-1) for x in hs])  # layer, network, sw2
    return {"corr": corr.permute(2, 1, 3, 0).tolist(),  # sw2, network, c0, layer
            "grad": (grad / grad[-1]).permute(2, 1, 0).tolist(),  # sw2, network, layer
            "q": q.permute(2, 1, 0).tolist()}  # sw2, network, layer: the mean square of the units


def explorer_data() -> dict:
    """Every value of the page's explorer: mean field and simulated networks at each (sw2, sb2),
    and chi_1 against sw2 on a fine grid for each sb2 (where it crosses 1 is the edge)."""
    d = _defaults(tanh_networks_through_depth)
    fine = np.linspace(0.25, 4.5, 86).tolist()
    out = {"sw2": EXPLORER_SW2, "sb2": EXPLORER_SB2, "c0s": list(EXPLORER_C0S), **d, "runs": {},
           "tanh_gain_sw2": TANH_GAIN_SW2, "edge": {}, "chi_curves": {}, "fine_sw2": fine}
    for sb2 in EXPLORER_SB2:
        out["edge"][str(sb2)] = 1.0 if sb2 == 0 else critical_sw2(sb2)
        out["chi_curves"][str(sb2)] = [chi1(w, sb2) for w in fine]
        sim = tanh_networks_through_depth(EXPLORER_SW2, sb2)
        for i, sw2 in enumerate(EXPLORER_SW2):
            c_star, chi_c = correlation_fixed_point(sw2, sb2)
            theory = [mean_field_through_depth(sw2, sb2, c0, d["depth"]) for c0 in EXPLORER_C0S]
            out["runs"][f"{i}|{sb2}"] = {
                "q_star": fixed_point(sw2, sb2), "chi1": chi1(sw2, sb2), "c_star": c_star, "chi_c": chi_c,
                "corr_theory": [t["c"] for t in theory], "grad_theory": theory[0]["grad"], "q_theory": theory[0]["q"],
                "corr": sim["corr"][i], "grad": sim["grad"][i], "q": sim["q"][i],
            }
    return {"edge": out}


def explorers(data: dict, lang: str) -> dict:
    """What the explorer shows, with its text in `lang` (sitebuild/explorers.py). The thick lines are
    the mean over the networks, which is what the mean field predicts (a mean over random weights);
    the thin ones are the networks."""
    L = LABELS[lang]
    e = data["edge"]
    depth, sw2s = e["depth"], e["sw2"]
    layers = range(depth + 1)
    thin = range(0, depth + 1, 2)  # each network's line at every other layer, to 2 digits: the spread, in a third of the data
    states = []
    for i, sw2 in enumerate(sw2s):
        for sb2 in e["sb2"]:
            run = e["runs"][f"{i}|{sb2}"]
            per_layer = [net[0] ** (1 / depth) for net in run["grad"]]
            mean_grad = [statistics.fmean(v) for v in zip(*run["grad"])]
            states.append({
                "controls": {"sw2": str(i), "sb2": str(sb2)},
                "series": {
                    "chi_curve": [[w, c] for w, c in zip(e["fine_sw2"], e["chi_curves"][str(sb2)])],
                    "here": [[sw2, run["chi1"]]],
                    "corr": [[[l, statistics.fmean(v)] for l, v in zip(layers, zip(*(net[j] for net in run["corr"])))]
                             for j in range(len(e["c0s"]))],
                    "corr_networks": [[[l, float(f"{net[j][l]:.2g}")] for l in thin] for net in run["corr"] for j in range(len(e["c0s"]))],
                    "corr_theory": [[[l, c] for l, c in zip(layers, cs)] for cs in run["corr_theory"]],
                    "grad": [[l, v] for l, v in zip(layers, mean_grad)],
                    "grad_networks": [[[l, float(f"{net[l]:.2g}")] for l in thin] for net in run["grad"]],
                    "grad_theory": [[l, v] for l, v in zip(layers, run["grad_theory"])],
                    "q": [[l, statistics.fmean(v)] for l, v in zip(layers, zip(*run["q"]))],
                    "q_theory": [[l, v] for l, v in zip(layers, run["q_theory"])],
                    "q_star_line": [[0, run["q_star"]], [depth, run["q_star"]]] if run["q_star"] > 0 else [],
                },
                "values": {
                    "q_star": run["q_star"], "chi1": run["chi1"], "edge": e["edge"][str(sb2)],
                    "grad_scale": depth_scale(run["chi1"]),
                    "c_star": run["c_star"], "corr_scale": depth_scale(run["chi_c"]),
                    "measured": [mean_grad[0] ** (1 / depth), min(per_layer), max(per_layer)],
                    "mean_field": run["grad_theory"][0] ** (1 / depth),
                },
            })
    nearest = min(range(len(sw2s)), key=lambda i: abs(sw2s[i] - e["tanh_gain_sw2"]))
    clipped = L["explorer_clipped"]
    networks = {"label": L["explorer_each"], "color": "C7", "kind": "line", "thin": True}
    return {"edge": {
        "title": L["explorer_title"].format(width=e["width"], networks=e["networks"], depth=depth),
        "controls": [
            {"name": "sw2", "label": L["explorer_sw2"], "kind": "range",
             "options": [{"value": str(i), "text": f"{w:.2f}"} for i, w in enumerate(sw2s)],
             "value": str(sw2s.index(1.5)),
             "marks": [{"value": str(sw2s.index(1.0)), "text": L["explorer_sigma1"]},
                       {"value": str(nearest), "text": L["gain"]}]},
            {"name": "sb2", "label": L["explorer_sb2"], "kind": "range",
             "options": [{"value": str(b), "text": f"{b:g}"} for b in e["sb2"]], "value": "0.05"},
        ],
        "charts": [
            {"title": L["explorer_chi_title"], "x": {"label": L["explorer_sw2"], "range": [0.25, 4.5]},
             "y": {"label": L["explorer_chi_axis"], "range": [0, 1.5]},
             "static": [{"label": L["boundary_plain"], "color": "C3", "kind": "line", "dashed": True,
                         "points": [[0.25, 1.0], [4.5, 1.0]]}],
             "series": [{"key": "chi_curve", "label": L["explorer_chi_curve"], "color": "C0", "kind": "line"},
                        {"key": "here", "label": L["explorer_here"], "color": "C4", "kind": "points"}]},
            {"title": L["explorer_corr_title"].format(c0s=" / ".join(f"{c:g}" for c in e["c0s"])),
             "x": {"label": L["layer_plain"]}, "y": {"label": L["explorer_corr"], "range": [-0.4, 1.05]},
             "series": [dict(networks, key="corr_networks"),
                        {"key": "corr_theory", "label": L["mean_field"], "color": "C7", "kind": "line", "dashed": True},
                        {"key": "corr", "label": L["explorer_mean"].format(n=e["networks"]), "color": "C0", "kind": "points"}]},
            {"title": L["explorer_grad_title"] + clipped, "x": {"label": L["explorer_grad_x"]},
             "y": {"label": L["explorer_grad"], "scale": "log", "range": [1e-12, 1e12]},
             "series": [dict(networks, key="grad_networks"),
                        {"key": "grad_theory", "label": L["mean_field"], "color": "C7", "kind": "line", "dashed": True},
                        {"key": "grad", "label": L["explorer_mean"].format(n=e["networks"]), "color": "C1", "kind": "line"}]},
            {"title": L["explorer_q_title"] + clipped, "x": {"label": L["layer_plain"]},
             "y": {"label": L["explorer_q_axis"], "scale": "log", "range": [1e-3, 10]},
             "series": [{"key": "q_star_line", "label": L["explorer_q_star_line"], "color": "C3", "kind": "line", "dashed": True},
                        {"key": "q_theory", "label": L["mean_field"], "color": "C7", "kind": "line", "dashed": True},
                        {"key": "q", "label": L["explorer_mean"].format(n=e["networks"]), "color": "C2", "kind": "line"}]},
        ],
        "readouts": [
            {"key": "q_star", "label": L["explorer_q_star"], "format": ["fixed", 3]},
            {"key": "chi1", "label": L["explorer_chi1"], "format": ["fixed", 3]},
            {"key": "edge", "label": L["explorer_edge"], "format": ["fixed", 3]},
            {"key": "grad_scale", "label": L["explorer_grad_scale"], "format": ["fixed", 1]},
            {"key": "c_star", "label": L["explorer_c_star"], "format": ["fixed", 3]},
            {"key": "corr_scale", "label": L["explorer_corr_scale"], "format": ["fixed", 1]},
            {"key": "measured", "label": L["explorer_measured"].format(depth=depth), "format": ["fixed", 3]},
            {"key": "mean_field", "label": L["explorer_mean_field"].format(depth=depth), "format": ["fixed", 3]},
        ],
        "states": states,
    }}


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
