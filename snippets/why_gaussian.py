# %% [markdown] lang="en"
# # Why the Gaussian
#
# The notebook of the page [*Why the Gaussian*]({{ page_url }}) of *Why N(0, 1)?*. Each section below
# runs one experiment of the page and prints what it found; the last cell computes every number the
# page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 为什么是高斯分布
#
# 这是《为什么是N(0, 1)？》中[为什么是高斯分布]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，
# 并打印实验结果；最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## The central limit theorem, measured
#
# Standardized sums of n uniform and of n exponential numbers, {{ why_gaussian.clt.samples | fixed(0) }}
# of each kind for n = {{ why_gaussian.clt.ns | join(", ") }}: the cell prints their skewness, their excess kurtosis and the largest
# gap max |F − Φ| between their CDF and the standard normal CDF ({{ fig("clt") }}), then the same gap,
# exact, for sums of ±1 coin flips. Symmetric uniform terms are close after a handful: at
# n = {{ why_gaussian.clt.ns[2] }} the gap is already {{ why_gaussian.clt.uniform.cdf_distance[2] | fixed(4) }},
# and it falls like 1/n (the leading Edgeworth term) until it disappears into the sampling noise of about
# {{ why_gaussian.clt.noise_level | fixed(4) }}, as the last two uniform lines show. Skewed exponential terms are still {{ why_gaussian.clt.exponential.cdf_distance[5] | fixed(3) }}
# away at n = {{ why_gaussian.clt.ns[5] }}, with a skewness of {{ why_gaussian.clt.exponential.skewness[5] | fixed(2) }}:
# their gap shrinks only like 1/√n. The coin is symmetric but its sums live on a lattice, and
# {{ why_gaussian.clt.ns[5] }} flips are still {{ why_gaussian.clt.coin_cdf_distance[5] | fixed(3) }} away,
# farther than the exponential sum.

# %% [markdown] lang="zh"
# ## 实测中心极限定理
#
# 对n个均匀分布的数之和与n个指数分布的数之和做标准化，n取{{ why_gaussian.clt.ns | join("、") }}，
# 每种各{{ why_gaussian.clt.samples | fixed(0) }}个样本。代码打印它们的偏度、超额峰度，
# 以及它们的CDF与标准正态分布CDF之间的最大差距max |F − Φ|（{{ fig("clt") }}），
# 再按精确分布算出±1硬币抛掷之和的同一差距。对称的均匀分布加数只需几项就很接近高斯分布：
# n = {{ why_gaussian.clt.ns[2] }}时差距已经只有{{ why_gaussian.clt.uniform.cdf_distance[2] | fixed(4) }}，并按1/n下降（Edgeworth展开的首项），
# 直到淹没在约{{ why_gaussian.clt.noise_level | fixed(4) }}的抽样噪声中，均匀分布的最后两行输出就是这样。
# 偏斜的指数分布加数在n = {{ why_gaussian.clt.ns[5] }}时仍相差
# {{ why_gaussian.clt.exponential.cdf_distance[5] | fixed(3) }}，
# 偏度仍有{{ why_gaussian.clt.exponential.skewness[5] | fixed(2) }}：差距只按1/√n缩小。硬币同样对称，
# 但它的和只落在格点上，{{ why_gaussian.clt.ns[5] }}次抛掷之和仍相差
# {{ why_gaussian.clt.coin_cdf_distance[5] | fixed(3) }}，比指数分布之和还远。

# %%
# --8<-- [start:clt]
import math

import torch


def standardized_sums(
    ns: list[int], kind: str = "uniform", samples: int = 500_000, seed: int = 0
) -> dict[int, torch.Tensor]:
    """`samples` draws of (S_n - E S_n) / std(S_n) for each n in ns, where
    S_n = X_1 + ... + X_n are partial sums of one iid sequence.

    kind is 'uniform' (U(0, 1): mean 1/2, variance 1/12) or 'exponential'
    (Exp(1): mean 1, variance 1). Float64 throughout.
    """
    g = torch.Generator().manual_seed(seed)
    s = torch.zeros(samples, dtype=torch.float64)
    out = {}
    for n in range(1, max(ns) + 1):
        u = torch.rand(samples, generator=g, dtype=torch.float64)
        s += u if kind == "uniform" else -torch.log1p(-u)  # inverse CDF
        if n in ns:
            mean, var = (n / 2, n / 12) if kind == "uniform" else (n, n)
            out[n] = (s - mean) / math.sqrt(var)
    return out


def shape_stats(z: torch.Tensor, step: float = 0.001) -> dict[str, float]:
    """Skewness, excess kurtosis (both 0 for a Gaussian) and the Kolmogorov
    distance max |F(x) - Phi(x)| between the sample's CDF F and the N(0, 1)
    CDF Phi, taken over a grid of x in [-8, 8] with spacing `step`."""
    c = z - z.mean()
    m2 = c.pow(2).mean()
    bins = round(16 / step)
    edges = torch.linspace(-8, 8, bins + 1, dtype=z.dtype)
    counts = torch.histc(z, bins=bins, min=-8, max=8)  # z outside: not counted
    below = (z < -8).sum()
    F = (below + torch.cat([counts.new_zeros(1), counts.cumsum(0)])) / len(z)
    Phi = 0.5 * torch.erfc(-edges / math.sqrt(2))  # standard normal CDF
    return {
        "skewness": (c.pow(3).mean() / m2**1.5).item(),
        "excess_kurtosis": (c.pow(4).mean() / m2**2 - 3).item(),
        "cdf_distance": (F - Phi).abs().max().item(),
    }


def coin_cdf_distance(n: int) -> float:
    """Exact max |F(x) - Phi(x)| for the sum of n fair +-1 coin flips,
    standardized: S_n / sqrt(n). F is a step function on a lattice, so the
    largest gap sits at a jump: compare Phi with F just below and at each atom."""
    gap, F = 0.0, 0.0
    for k in range(n + 1):  # k heads: S_n = 2k - n
        x = (2 * k - n) / math.sqrt(n)
        Phi = 0.5 * math.erfc(-x / math.sqrt(2))
        gap = max(gap, abs(F - Phi))  # just below the atom
        F += math.comb(n, k) / 2**n
        gap = max(gap, abs(F - Phi))  # at the atom
    return gap


if __name__ == "__main__":
    ns = [1, 2, 4, 8, 16, 32]
    for kind in ["uniform", "exponential"]:
        for n, z in standardized_sums(ns, kind).items():
            s = shape_stats(z)
            print(
                f"{kind:11s} n = {n:2d}: skewness {s['skewness']:+.3f}, "
                f"excess kurtosis {s['excess_kurtosis']:+.3f}, "
                f"max |F - Phi| {s['cdf_distance']:.4f}"
            )
    for n in ns:  # symmetric, but a lattice: the gap shrinks only like 1/sqrt(n)
        print(f"+-1 coin    n = {n:2d}: max |F - Phi| {coin_cdf_distance(n):.4f} (exact)")
# --8<-- [end:clt]

# %% [markdown] lang="en"
# ## Over weights, not over data
#
# One unit's pre-activation z = w · x on the {{ why_gaussian.weights_vs_data.n_train }} training images of
# the 8×8 digits, standardized per pixel as `StandardScaler` does. Over weights (one fixed image,
# {{ why_gaussian.weights_vs_data.draws | fixed(0) }} weight draws) z is close to Gaussian: for the first
# image its excess kurtosis is {{ why_gaussian.weights_vs_data.image0.uniform | fixed(3) }} over uniform
# weights (predicted {{ (-1.2 * why_gaussian.weights_vs_data.image0.ratio) | fixed(3) }}) and
# {{ why_gaussian.weights_vs_data.image0.normal | fixed(3) }} over Gaussian ones. Over data (a fixed unit
# across all images) it is not: over {{ why_gaussian.weights_vs_data.units }} random units the median
# excess kurtosis is {{ why_gaussian.weights_vs_data.per_pixel.median_kurtosis | fixed(1) }}, because per-pixel
# standardization turns the rare nonzero values of the border pixels into values up to
# {{ why_gaussian.weights_vs_data.max_abs_standardized | fixed(1) }} ({{ fig("weights_vs_data") }}). Dropping the
# pixels that are nonzero in fewer than {{ why_gaussian.weights_vs_data.rare_dropped[1].min_nonzero }} images
# brings the median to {{ why_gaussian.weights_vs_data.rare_dropped[1].median_kurtosis | fixed(2) }}, and one global
# mean and std gives {{ why_gaussian.weights_vs_data.global.median_kurtosis | fixed(2) }}; yet even then
# {{ why_gaussian.weights_vs_data.global.fraction_non_gaussian | pct(0) }} of the units are farther from N(0, 1),
# in Kolmogorov distance, than 99% of Gaussian samples of the same size.

# %% [markdown] lang="zh"
# ## 随机性来自权重，而不是来自数据
#
# 考察一个单元的预激活值z = w · x，数据是8×8手写数字的{{ why_gaussian.weights_vs_data.n_train }}张训练图像，
# 像`StandardScaler`那样逐像素标准化。随权重变化时（固定一张图像，
# 抽取{{ why_gaussian.weights_vs_data.draws | fixed(0) }}次权重），z接近高斯分布：对第一张图像，
# 均匀权重下的超额峰度为{{ why_gaussian.weights_vs_data.image0.uniform | fixed(3) }}（预测值
# {{ (-1.2 * why_gaussian.weights_vs_data.image0.ratio) | fixed(3) }}），
# 高斯权重下为{{ why_gaussian.weights_vs_data.image0.normal | fixed(3) }}。随数据变化时（固定一个单元，
# 看它在全部图像上的取值）则不然：在{{ why_gaussian.weights_vs_data.units }}个随机单元上，
# 超额峰度的中位数为{{ why_gaussian.weights_vs_data.per_pixel.median_kurtosis | fixed(1) }}，
# 因为逐像素标准化把边缘像素少有的非零值放大到最多{{ why_gaussian.weights_vs_data.max_abs_standardized | fixed(1) }}
# （{{ fig("weights_vs_data") }}）。去掉在不到{{ why_gaussian.weights_vs_data.rare_dropped[1].min_nonzero }}
# 张图像中非零的像素，中位数降到{{ why_gaussian.weights_vs_data.rare_dropped[1].median_kurtosis | fixed(2) }}；
# 所有像素共用一个均值和标准差时为{{ why_gaussian.weights_vs_data.global.median_kurtosis | fixed(2) }}。但即便如此，
# 仍有{{ why_gaussian.weights_vs_data.global.fraction_non_gaussian | pct(0) }}的单元与N(0, 1)之间的Kolmogorov
# 距离比同样大小的高斯样本中的99%都大。

# %%
# --8<-- [start:weights_vs_data]
import math

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def digits_train(per_pixel: bool = True, min_nonzero: int = 0) -> torch.Tensor:
    """Training split (75 %) of the 8x8 digits, standardized with its own
    statistics: per pixel (as StandardScaler does; constant pixels stay 0)
    or with one mean and one std for all pixels. Pixels that are nonzero in
    fewer than `min_nonzero` training images are dropped first (a control)."""
    X, y = load_digits(return_X_y=True)
    X_tr, _ = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    X_tr = X_tr[:, (X_tr > 0).sum(0) >= min_nonzero]
    if per_pixel:
        mean, std = X_tr.mean(0), X_tr.std(0)
        std[std == 0] = 1.0
    else:
        mean, std = X_tr.mean(), X_tr.std()
    return torch.tensor((X_tr - mean) / std)


def excess_kurtosis(z: torch.Tensor, dim: int = 0) -> torch.Tensor:
    c = z - z.mean(dim, keepdim=True)
    return c.pow(4).mean(dim) / c.pow(2).mean(dim) ** 2 - 3


def kolmogorov_to_normal(Z: torch.Tensor) -> torch.Tensor:
    """For each column of Z: standardize it, then max |F - Phi| between its
    empirical CDF F and the N(0, 1) CDF Phi. Sees the whole shape, not only
    the tails that the kurtosis weighs."""
    Z = ((Z - Z.mean(0)) / Z.std(0)).sort(0).values
    N = Z.shape[0]
    Phi = 0.5 * torch.erfc(-Z / math.sqrt(2))
    i = torch.arange(1, N + 1, dtype=Z.dtype).unsqueeze(1)
    return torch.maximum(i / N - Phi, Phi - (i - 1) / N).max(0).values


def over_weights(
    x: torch.Tensor, weights: str = "uniform", draws: int = 100_000, seed: int = 0
) -> torch.Tensor:
    """z = w . x for ONE fixed input x and `draws` independent weight vectors
    w with iid entries of variance 1 / len(x): uniform or normal. (x may also
    be a matrix of inputs as columns: one column of z per input.)"""
    g = torch.Generator().manual_seed(seed)
    n = len(x)
    if weights == "uniform":  # U(-a, a), a = sqrt(3 / n): variance 1 / n
        u = torch.rand(draws, n, generator=g, dtype=torch.float64)
        W = (2 * u - 1) * math.sqrt(3 / n)
    else:
        W = torch.randn(draws, n, generator=g, dtype=torch.float64) / math.sqrt(n)
    return W @ x


def over_data(X: torch.Tensor, units: int = 200, seed: int = 0) -> torch.Tensor:
    """Pre-activations z = w . x over the whole dataset (one row per image)
    for each of `units` randomly drawn N(0, 1/n) weight vectors w (one draw
    each, then fixed): column k is unit k."""
    g = torch.Generator().manual_seed(seed)
    n = X.shape[1]
    W = torch.randn(n, units, generator=g, dtype=torch.float64) / math.sqrt(n)
    return X @ W


if __name__ == "__main__":
    X = digits_train()
    # Over weights, uniform weights: theory says excess kurtosis
    # = -1.2 * sum x^4 / (sum x^2)^2, small unless one x_j dominates.
    ratio = X.pow(4).sum(1) / X.pow(2).sum(1) ** 2
    for name, i in [("image 0", 0), ("most peaked image", ratio.argmax().item())]:
        for weights in ["uniform", "normal"]:
            k = excess_kurtosis(over_weights(X[i], weights)).item()
            print(
                f"over weights, {name:17s} {weights:7s}: excess kurtosis "
                f"{k:+.3f}  (uniform theory {-1.2 * ratio[i].item():+.3f})"
            )
    print(f"largest standardized pixel value: {X.abs().max():.1f}")
    # what a Gaussian sample of the same size gives: the 99th percentile
    g = torch.Generator().manual_seed(1)
    null = kolmogorov_to_normal(
        torch.randn(X.shape[0], 500, generator=g, dtype=torch.float64)
    )
    q99 = null.quantile(0.99)
    for name, Xs in [
        ("per-pixel", X),
        ("per-pixel, rare pixels dropped", digits_train(True, min_nonzero=40)),
        ("global", digits_train(False)),
    ]:
        Z = over_data(Xs)
        k = excess_kurtosis(Z)
        d = kolmogorov_to_normal(Z)
        print(
            f"over data, {name:30s}: median excess kurtosis {k.median():+.2f}, "
            f"largest {k.max():+.1f}; units farther from N(0, 1) than 99 % "
            f"of Gaussian samples: {(d > q99).double().mean():.0%}"
        )
# --8<-- [end:weights_vs_data]

# %% [markdown] lang="en"
# ## Exactly Gaussian only in the first layer
#
# A network with one hidden ReLU layer of width n and He scaling, f = √(2/n) Σ v_j relu(h_j), drawn
# {{ why_gaussian.finite_width.draws | fixed(0) }} times for one fixed input. Given the hidden layer, f is
# Gaussian, but its variance changes from one draw of the first layer to the next, so over all the weights
# f is a mixture of Gaussians with excess kurtosis 15/n. The cell prints the variance and the excess
# kurtosis of f for widths {{ why_gaussian.finite_width.widths | join(", ") }}: the kurtosis is
# {{ why_gaussian.finite_width.kurtosis[0] | fixed(2) }} at width {{ why_gaussian.finite_width.widths[0] }} and
# {{ why_gaussian.finite_width.kurtosis[2] | fixed(2) }} at width {{ why_gaussian.finite_width.widths[2] }}, close
# to 15/n. He scaling keeps the variance at every width; only width makes the shape Gaussian. The cell's
# input is a random vector, the page's the first training image: that changes the variance (the page's
# is {{ why_gaussian.finite_width.input_variance | fixed(3) }}), not the kurtosis.

# %% [markdown] lang="zh"
# ## 只有第一层严格服从高斯分布
#
# 考察只有一个ReLU隐藏层、宽度为n、使用Kaiming（He）缩放的网络f = √(2/n) Σ v_j relu(h_j)，
# 对一个固定输入把权重抽取{{ why_gaussian.finite_width.draws | fixed(0) }}次。给定隐藏层，f服从高斯分布，
# 但它的方差随第一层权重的每次抽取而变化，所以对全部权重而言，f是若干高斯分布的混合，超额峰度为15/n。
# 代码打印宽度为{{ why_gaussian.finite_width.widths | join("、") }}时f的方差和超额峰度：
# 宽度为{{ why_gaussian.finite_width.widths[0] }}时超额峰度为{{ why_gaussian.finite_width.kurtosis[0] | fixed(2) }}，
# 宽度为{{ why_gaussian.finite_width.widths[2] }}时为{{ why_gaussian.finite_width.kurtosis[2] | fixed(2) }}，
# 都接近15/n。这种缩放让方差在任何宽度下都保持不变；只有宽度增大才让形状趋于高斯分布。代码的输入是一个随机向量，
# 页面用的则是第一张训练图像：这改变的是方差（页面上为{{ why_gaussian.finite_width.input_variance | fixed(3) }}），而不是峰度。

# %%
# --8<-- [start:finite_width]
import math

import torch


def one_hidden_layer(
    x: torch.Tensor, width: int, draws: int = 50_000, seed: int = 0
) -> torch.Tensor:
    """f(x) = sqrt(2 / width) * v . relu(U x) for `draws` independent networks:
    U (width x d) with N(0, 1/d) entries, v with N(0, 1) entries (He scaling,
    so Var f = |x|^2 / d). Each entry of U x is exactly N(0, |x|^2 / d) and the
    entries are independent, so U x is drawn directly, not the (draws x width
    x d) tensor U."""
    g = torch.Generator().manual_seed(seed)
    d = len(x)
    h = torch.randn(draws, width, generator=g, dtype=torch.float64)
    h = h * x.norm() / math.sqrt(d)  # first layer: exactly Gaussian
    v = torch.randn(draws, width, generator=g, dtype=torch.float64)
    return math.sqrt(2 / width) * (v * h.relu()).sum(1)


def excess_kurtosis(z: torch.Tensor, dim: int = 0) -> torch.Tensor:
    c = z - z.mean(dim, keepdim=True)
    return c.pow(4).mean(dim) / c.pow(2).mean(dim) ** 2 - 3


if __name__ == "__main__":
    x = torch.randn(64, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for width in [4, 16, 64]:
        f = one_hidden_layer(x, width)
        # given the hidden layer, f ~ N(0, s^2) with s^2 = (2/width) sum relu(h)^2;
        # over the weights: excess kurtosis 3 Var(s^2) / E[s^2]^2 = 15 / width
        print(
            f"width {width:3d}: Var f = {f.var():.3f} (|x|^2/d = "
            f"{x.pow(2).mean():.3f}), excess kurtosis {excess_kurtosis(f):+.3f}"
            f" (theory {15 / width:.3f})"
        )
# --8<-- [end:finite_width]

# %% [markdown] lang="en"
# ## Maximum entropy
#
# Five distributions with mean 0 and variance 1 (normal, uniform, Laplace, logistic, Student t with
# ν = 5): the cell prints each one's differential entropy from its textbook formula and by numerical
# integration, and its KL divergence to N(0, 1) ({{ fig("entropy") }}). The normal has the largest entropy,
# {{ why_gaussian.entropy.normal.closed_form | fixed(4) }} nats, and the uniform the smallest,
# {{ why_gaussian.entropy.uniform.closed_form | fixed(4) }}; formulas and integrals agree to
# {{ why_gaussian.entropy.max_closed_form_error | sci(0) }} nats. Each KL divergence equals the entropy gap to
# the normal, which is why no distribution with the same variance beats it. The gap can be small: the
# logistic is within {{ why_gaussian.entropy.logistic.kl_to_normal | fixed(3) }} nats.

# %% [markdown] lang="zh"
# ## 最大熵
#
# 五个均值为0、方差为1的分布（正态分布、均匀分布、拉普拉斯分布、logistic分布、ν = 5的Student t分布）：
# 代码打印每个分布按教科书公式算出的微分熵和数值积分的结果，以及它到N(0, 1)的KL散度（{{ fig("entropy") }}）。
# 正态分布的熵最大，为{{ why_gaussian.entropy.normal.closed_form | fixed(4) }}奈特；均匀分布的最小，
# 为{{ why_gaussian.entropy.uniform.closed_form | fixed(4) }}奈特；
# 公式与积分的差距在{{ why_gaussian.entropy.max_closed_form_error | sci(0) }}奈特以内。
# 每个KL散度都恰好等于该分布与正态分布的熵差，所以在方差相同的分布中，没有哪个的熵能超过正态分布。这个差距可能很小：
# logistic分布与正态分布只差不到{{ why_gaussian.entropy.logistic.kl_to_normal | fixed(3) }}奈特。

# %%
# --8<-- [start:max_entropy]
import math

import numpy as np
from scipy import integrate, special, stats

NU = 5  # degrees of freedom of the Student t


def unit_variance_distributions() -> dict:
    """Mean 0, variance 1: each scale is chosen to make the variance 1."""
    return {
        "normal": stats.norm(),
        "uniform": stats.uniform(-math.sqrt(3), 2 * math.sqrt(3)),
        "laplace": stats.laplace(scale=1 / math.sqrt(2)),
        "logistic": stats.logistic(scale=math.sqrt(3) / math.pi),
        "student_t5": stats.t(NU, scale=math.sqrt((NU - 2) / NU)),
    }


def closed_form_entropy() -> dict[str, float]:
    """h = -E[log p] in nats, from the textbook formulas."""
    c = math.sqrt((NU - 2) / NU)  # scale of the t that gives variance 1
    return {
        "normal": 0.5 * math.log(2 * math.pi * math.e),
        "uniform": math.log(2 * math.sqrt(3)),  # log(width)
        "laplace": 1 + math.log(2 / math.sqrt(2)),  # 1 + log(2b)
        "logistic": 2 + math.log(math.sqrt(3) / math.pi),  # 2 + log(s)
        "student_t5": (NU + 1) / 2
        * (special.digamma((NU + 1) / 2) - special.digamma(NU / 2))
        + 0.5 * math.log(NU)
        + special.betaln(NU / 2, 0.5)
        + math.log(c),
    }


def numerical_entropy(dist) -> float:
    """-integral of p log p over the support, by adaptive quadrature."""
    lo, hi = dist.support()

    def f(x):
        p = dist.pdf(x)
        return -p * dist.logpdf(x) if p > 0 else 0.0

    return integrate.quad(f, lo, hi, limit=200)[0]


def kl_to_standard_normal(dist) -> float:
    """KL(p || N(0, 1)) by quadrature: for mean 0 and variance 1 it equals
    h(N(0, 1)) - h(p), which is why no such p beats the Gaussian."""
    lo, hi = dist.support()
    normal = stats.norm()

    def f(x):
        p = dist.pdf(x)
        return p * (dist.logpdf(x) - normal.logpdf(x)) if p > 0 else 0.0

    return integrate.quad(f, lo, hi, limit=200)[0]


if __name__ == "__main__":
    exact = closed_form_entropy()
    for name, dist in unit_variance_distributions().items():
        print(
            f"{name:10s} variance {dist.var():.3f}  entropy {exact[name]:.4f} nats"
            f" (numerical {numerical_entropy(dist):.4f})"
            f"  KL to N(0,1) {kl_to_standard_normal(dist):.4f}"
        )
# --8<-- [end:max_entropy]

# %% [markdown] lang="en"
# ## Closure and the reparameterization trick
#
# With X ~ N(1, 2²) and Y ~ N(−3, 1.5²) independent, S = 0.5X − 2Y + 4 is exactly N(10.5, 10): over
# {{ why_gaussian.closure.samples | fixed(0) }} samples the cell prints the mean
# {{ why_gaussian.closure.affine.mean | fixed(3) }}, the variance {{ why_gaussian.closure.affine.var | fixed(3) }},
# and nine quantiles within {{ why_gaussian.closure.affine.quantile_error | fixed(3) }} standard deviations of
# those of N(10.5, 10). The sum of two uniforms is not uniform: its quantiles miss those of the uniform
# with the same mean and variance by {{ why_gaussian.closure.uniform_sum_quantile_error | fixed(2) }} standard
# deviations. Last, z = μ + σε with ε ~ N(0, 1) makes a sample differentiable in μ and σ: autograd's
# gradient of the sample mean of z² is ({{ why_gaussian.closure.grad_mu | fixed(3) }}, {{ why_gaussian.closure.grad_sigma | fixed(3) }}),
# against (2μ, 2σ) = ({{ (2 * why_gaussian.closure.mu) | fixed(3) }}, {{ (2 * why_gaussian.closure.sigma) | fixed(3) }}).

# %% [markdown] lang="zh"
# ## 封闭性与重参数化技巧
#
# X ~ N(1, 2²)与Y ~ N(−3, 1.5²)相互独立时，S = 0.5X − 2Y + 4严格服从N(10.5, 10)：
# 在{{ why_gaussian.closure.samples | fixed(0) }}个样本上，
# 代码打印的均值为{{ why_gaussian.closure.affine.mean | fixed(3) }}，
# 方差为{{ why_gaussian.closure.affine.var | fixed(3) }}，
# 九个分位数与N(10.5, 10)的分位数相差不超过{{ why_gaussian.closure.affine.quantile_error | fixed(3) }}个标准差。
# 两个均匀分布之和不是均匀分布：它的分位数与均值、
# 方差都相同的均匀分布相差{{ why_gaussian.closure.uniform_sum_quantile_error | fixed(2) }}个标准差。最后，
# z = μ + σε（ε ~ N(0, 1)）使样本成为μ和σ的可微函数：
# 自动微分算出z²样本均值的梯度为
# ({{ why_gaussian.closure.grad_mu | fixed(3) }}, {{ why_gaussian.closure.grad_sigma | fixed(3) }})，
# 理论值(2μ, 2σ) = ({{ (2 * why_gaussian.closure.mu) | fixed(3) }}, {{ (2 * why_gaussian.closure.sigma) | fixed(3) }})。

# %%
# --8<-- [start:closure]
import math

import torch


def quantile_error(s: torch.Tensor, mean: float, std: float) -> float:
    """Largest gap, in units of std, between the sample's quantiles and those
    of N(mean, std^2), at the 1st, 5th, 10th, ..., 95th, 99th percentiles."""
    p = torch.tensor([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
    p = p.to(s.dtype)
    theory = mean + std * math.sqrt(2) * torch.erfinv(2 * p - 1)
    return ((s.quantile(p) - theory).abs().max() / std).item()


def affine_of_gaussians(samples: int = 1_000_000, seed: int = 0) -> dict:
    """S = 0.5 X - 2 Y + 4 with X ~ N(1, 2^2), Y ~ N(-3, 1.5^2) independent.
    Theory: S ~ N(0.5 * 1 - 2 * (-3) + 4, 0.25 * 4 + 4 * 2.25) = N(10.5, 10)."""
    g = torch.Generator().manual_seed(seed)
    X = 1 + 2 * torch.randn(samples, generator=g, dtype=torch.float64)
    Y = -3 + 1.5 * torch.randn(samples, generator=g, dtype=torch.float64)
    S = 0.5 * X - 2 * Y + 4
    return {
        "mean": S.mean().item(),
        "var": S.var().item(),
        "quantile_error": quantile_error(S, 10.5, math.sqrt(10)),
    }


def sum_of_uniforms(samples: int = 1_000_000, seed: int = 0) -> float:
    """U1 + U2, Ui ~ U(0, 1): is it uniform with the same mean and variance?
    (It is triangular.) Returns the quantile gap in units of std, as above
    but against U(1 - sqrt(3) s, 1 + sqrt(3) s), s^2 = 1/6."""
    g = torch.Generator().manual_seed(seed)
    S = torch.rand(samples, generator=g, dtype=torch.float64)
    S += torch.rand(samples, generator=g, dtype=torch.float64)
    s = math.sqrt(1 / 6)
    p = torch.tensor([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
    p = p.to(S.dtype)
    uniform_q = 1 + math.sqrt(3) * s * (2 * p - 1)
    return ((S.quantile(p) - uniform_q).abs().max() / s).item()


def reparameterized_gradient(
    mu: float = 1.5, sigma: float = 0.5, samples: int = 1_000_000, seed: int = 0
) -> tuple[float, float]:
    """Gradient of E[z^2], z ~ N(mu, sigma^2), through z = mu + sigma * eps.
    Theory: E[z^2] = mu^2 + sigma^2, so the gradient is (2 mu, 2 sigma)."""
    g = torch.Generator().manual_seed(seed)
    m = torch.tensor(mu, dtype=torch.float64, requires_grad=True)
    s = torch.tensor(sigma, dtype=torch.float64, requires_grad=True)
    eps = torch.randn(samples, generator=g, dtype=torch.float64)
    z = m + s * eps  # what torch.distributions.Normal(m, s).rsample() does
    z.pow(2).mean().backward()
    return m.grad.item(), s.grad.item()


if __name__ == "__main__":
    a = affine_of_gaussians()
    print(
        f"0.5 X - 2 Y + 4: mean {a['mean']:.3f} (theory 10.5), variance "
        f"{a['var']:.3f} (theory 10), quantile gap {a['quantile_error']:.4f} std"
    )
    print(f"U1 + U2 against a uniform: quantile gap {sum_of_uniforms():.3f} std")
    gm, gs = reparameterized_gradient()
    print(f"d E[z^2] / d(mu, sigma) = ({gm:.3f}, {gs:.3f}), theory (3.000, 1.000)")
# --8<-- [end:closure]

# %% [markdown] lang="en"
# ## KL divergence in closed form
#
# The KL divergence between two univariate Gaussians has a formula. The cell checks it on three pairs
# against `torch.distributions.kl_divergence` and a Monte Carlo estimate from
# {{ why_gaussian.kl.samples | fixed(0) }} samples, then computes the VAE regularizer of a diagonal Gaussian
# against N(0, I) in {{ why_gaussian.kl.vae_latents }} dimensions both ways. PyTorch matches the formula to
# {{ why_gaussian.kl.max_torch_error | sci(0) }} (float32 rounding), every Monte Carlo estimate lies within
# {{ why_gaussian.kl.max_mc_z | fixed(1) }} standard errors of it, and the VAE term is
# {{ why_gaussian.kl.vae_formula | fixed(4) }} both ways.

# %% [markdown] lang="zh"
# ## KL散度的闭式解
#
# 两个一元高斯分布之间的KL散度有公式可算。代码在三对分布上把公式与`torch.distributions.kl_divergence`以及
# {{ why_gaussian.kl.samples | fixed(0) }}个样本的蒙特卡洛估计对比，
# 再用两种方法计算{{ why_gaussian.kl.vae_latents }}维对角高斯分布相对于N(0, I)的VAE正则项。
# PyTorch与公式相差不超过{{ why_gaussian.kl.max_torch_error | sci(0) }}（float32的舍入误差），
# 每个蒙特卡洛估计都落在公式值的{{ why_gaussian.kl.max_mc_z | fixed(1) }}个标准误之内，
# VAE的KL项两种算法都得到{{ why_gaussian.kl.vae_formula | fixed(4) }}。

# %%
# --8<-- [start:kl]
import math

import torch
from torch.distributions import Independent, Normal, kl_divergence


def kl_gaussians(mu1: float, s1: float, mu2: float, s2: float) -> float:
    """KL(N(mu1, s1^2) || N(mu2, s2^2)) in nats."""
    return math.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5


def kl_monte_carlo(
    mu1: float, s1: float, mu2: float, s2: float,
    samples: int = 1_000_000, seed: int = 0,
) -> tuple[float, float]:
    """E_p[log p(x) - log q(x)] from samples of p; also its standard error."""
    torch.manual_seed(seed)
    p = Normal(torch.tensor(mu1, dtype=torch.float64), s1)
    q = Normal(torch.tensor(mu2, dtype=torch.float64), s2)
    x = p.sample((samples,))
    d = p.log_prob(x) - q.log_prob(x)
    return d.mean().item(), (d.std() / math.sqrt(samples)).item()


def vae_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(log_var))) || N(0, I)): the VAE's regularizer."""
    return 0.5 * (log_var.exp() + mu**2 - 1 - log_var).sum()


if __name__ == "__main__":
    for mu1, s1, mu2, s2 in [(0, 1, 1, 1), (0, 1, 0, 2), (2, 0.5, -1, 3)]:
        torch_kl = kl_divergence(Normal(float(mu1), s1), Normal(float(mu2), s2))
        mc, se = kl_monte_carlo(mu1, s1, mu2, s2)
        print(
            f"KL(N({mu1}, {s1}^2) || N({mu2}, {s2}^2)) = "
            f"{kl_gaussians(mu1, s1, mu2, s2):.5f}  torch {torch_kl.item():.5f}"
            f"  Monte Carlo {mc:.5f} +- {se:.5f}"
        )
    torch.manual_seed(0)
    mu, log_var = torch.randn(16), torch.randn(16)
    q = Independent(Normal(mu, (0.5 * log_var).exp()), 1)
    prior = Independent(Normal(torch.zeros(16), torch.ones(16)), 1)
    print(
        f"VAE term, 16 latents: formula {vae_kl(mu, log_var).item():.5f}, "
        f"torch {kl_divergence(q, prior).item():.5f}"
    )
# --8<-- [end:kl]

# %% [markdown] lang="en"
# ## High-dimensional geometry
#
# For x ~ N(0, I_n) the cell prints the relative spread of the norm |x| and the standard deviation of the
# cosine between independent vectors at n = 16, 256 and 4096, against 1/√(2n) and 1/√n: at
# n = {{ why_gaussian.geometry.ns[5] | fixed(0) }} they are {{ why_gaussian.geometry.relative_norm_spread[5] | fixed(4) }}
# and {{ why_gaussian.geometry.cosine_std[5] | fixed(4) }}. Then it asks whether a matrix W with N(0, 1/{{ why_gaussian.geometry.n }})
# entries is nearly orthogonal ({{ fig("geometry") }}). Column by column it nearly is: in the square
# {{ why_gaussian.geometry.n }} × {{ why_gaussian.geometry.n }} matrix every column norm is within
# {{ why_gaussian.geometry.square.max_column_norm_error | fixed(3) }} of 1 and the largest |cos| between two
# columns is {{ why_gaussian.geometry.square.max_abs_cosine | fixed(3) }}. The matrix is not: its singular values
# run from {{ why_gaussian.geometry.square.singular_min | sci(1) }} to {{ why_gaussian.geometry.square.singular_max | fixed(3) }}
# and ‖WᵀW − I‖ = {{ why_gaussian.geometry.square.gram_minus_identity_op | fixed(2) }}, while with only
# {{ why_gaussian.geometry.tall_columns }} columns they stay in
# [{{ why_gaussian.geometry.tall.singular_min | fixed(3) }}, {{ why_gaussian.geometry.tall.singular_max | fixed(3) }}].

# %% [markdown] lang="zh"
# ## 高维几何
#
# 对x ~ N(0, I_n)，代码打印n = 16、256和4096时范数|x|的相对离散程度和独立向量间余弦的标准差，并与1/√(2n)和1/√n对比：
# n = {{ why_gaussian.geometry.ns[5] | fixed(0) }}时两者分别为
# {{ why_gaussian.geometry.relative_norm_spread[5] | fixed(4) }}和{{ why_gaussian.geometry.cosine_std[5] | fixed(4) }}。
# 接着检验元素服从N(0, 1/{{ why_gaussian.geometry.n }})的矩阵W是否近乎正交（{{ fig("geometry") }}）。逐列来看，
# 它几乎是正交的：在{{ why_gaussian.geometry.n }} × {{ why_gaussian.geometry.n }}的方阵中，
# 每一列的范数与1相差不超过{{ why_gaussian.geometry.square.max_column_norm_error | fixed(3) }}，
# 任意两列之间|cos|的最大值为{{ why_gaussian.geometry.square.max_abs_cosine | fixed(3) }}。整个矩阵却不是：
# 奇异值从{{ why_gaussian.geometry.square.singular_min | sci(1) }}一直分布到
# {{ why_gaussian.geometry.square.singular_max | fixed(3) }}，
# ‖WᵀW − I‖ = {{ why_gaussian.geometry.square.gram_minus_identity_op | fixed(2) }}；
# 而只有{{ why_gaussian.geometry.tall_columns }}列时，
# 奇异值保持在
# [{{ why_gaussian.geometry.tall.singular_min | fixed(3) }}, {{ why_gaussian.geometry.tall.singular_max | fixed(3) }}]之内。

# %%
# --8<-- [start:geometry]
import math

import torch


def norms_and_cosines(n: int, vectors: int = 2000, seed: int = 0) -> dict:
    """`vectors` independent x ~ N(0, I_n): spread of |x| / sqrt(n) and of
    the cosine between independent pairs."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(vectors, n, generator=g, dtype=torch.float64)
    norm = x.norm(dim=1)
    a, b = x[: vectors // 2], x[vectors // 2 :]
    cos = (a * b).sum(1) / (norm[: vectors // 2] * norm[vectors // 2 :])
    return {
        "mean_norm_over_sqrt_n": (norm.mean() / math.sqrt(n)).item(),
        "relative_norm_spread": (norm.std() / norm.mean()).item(),
        "cosine_std": cos.std().item(),
    }


def gaussian_matrix(
    n: int = 512, columns: int = 512, seed: int = 0
) -> dict[str, float]:
    """W (n x columns) with iid N(0, 1/n) entries: how orthogonal is it?"""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(n, columns, generator=g, dtype=torch.float64) / math.sqrt(n)
    G = W.T @ W  # Gram matrix: column norms^2 on the diagonal, dot products off
    off = G - torch.diag(torch.diag(G))
    norms = G.diag().sqrt()  # column norms
    eig = torch.linalg.eigvalsh(G)  # eigenvalues of W^T W = singular values^2
    s = eig.clamp(min=0).sqrt()
    return {
        "max_column_norm_error": (norms - 1).abs().max().item(),
        "max_abs_cosine": (off.abs() / torch.outer(norms, norms)).max().item(),
        "singular_min": s.min().item(),
        "singular_max": s.max().item(),
        "gram_minus_identity_op": (eig - 1).abs().max().item(),  # ||W^T W - I||
        "fraction_singular_below_half": (s < 0.5).double().mean().item(),
        "singular_values": s.tolist(),
    }


if __name__ == "__main__":
    for n in [16, 256, 4096]:
        r = norms_and_cosines(n)
        print(
            f"n = {n:4d}: |x|/sqrt(n) = {r['mean_norm_over_sqrt_n']:.4f}, "
            f"relative spread {r['relative_norm_spread']:.4f} "
            f"(1/sqrt(2n) = {1 / math.sqrt(2 * n):.4f}), cosine std "
            f"{r['cosine_std']:.4f} (1/sqrt(n) = {1 / math.sqrt(n):.4f})"
        )
    for columns in [512, 32]:
        r = gaussian_matrix(512, columns)
        print(
            f"512 x {columns:3d}: column norms within "
            f"{r['max_column_norm_error']:.3f} of 1, max |cos| "
            f"{r['max_abs_cosine']:.3f}, singular values "
            f"[{r['singular_min']:.3f}, {r['singular_max']:.3f}], "
            f"||W^T W - I|| = {r['gram_minus_identity_op']:.2f}"
        )
# --8<-- [end:geometry]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment as the page does and returns every number the page quotes;
# `figures()` draws the page's figures from them, {{ fig_range }} in the page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的设置运行全部实验，返回页面引用的每一个数字；`figures()`据此按页面顺序画出{{ fig_range }}。
# 

# %%
import inspect
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import signal, stats

CLT_NS = [1, 2, 4, 8, 16, 32]
GEOMETRY_NS = [4, 16, 64, 256, 1024, 4096]
TALL_COLUMNS = 32  # the tall matrix: 512 x 32
KL_PAIRS = [(0.0, 1.0, 1.0, 1.0), (0.0, 1.0, 0.0, 2.0), (2.0, 0.5, -1.0, 3.0)]
FINITE_WIDTHS = [4, 16, 64]  # hidden widths of the one-hidden-layer ReLU network
RARE_THRESHOLDS = [10, 40]  # control: drop pixels nonzero in fewer than this many images


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _clt_results() -> dict:
    out = {"ns": CLT_NS, **_defaults(standardized_sums, shape_stats)}
    del out["kind"]
    edges = np.linspace(-4, 4, 81)
    for kind in ["uniform", "exponential"]:
        rows = {"skewness": [], "excess_kurtosis": [], "cdf_distance": []}
        hist = {}
        for n, z in standardized_sums(CLT_NS, kind).items():
            for key, value in shape_stats(z).items():
                rows[key].append(value)
            if n in (1, 2, 4, 32):
                counts, _ = np.histogram(z.numpy(), bins=edges)
                hist[str(n)] = (counts / (len(z) * np.diff(edges))).tolist()
        out[kind] = rows | {"density": hist}
    out["hist_edges"] = edges.tolist()
    # sampling noise of the Kolmogorov distance: E[D] ~ sqrt(pi/2) ln 2 / sqrt(N)
    out["noise_level"] = math.sqrt(math.pi / 2) * math.log(2) / math.sqrt(
        out["samples"]
    )
    # leading Edgeworth terms: |gamma_2| / (24 n) max|He3 phi| for the uniform
    # (gamma_1 = 0), gamma_1 / (6 sqrt n) max|He2 phi| for the exponential
    x = np.linspace(0, 5, 50_001)
    phi = np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    out["edgeworth"] = {
        "uniform": 1.2 / 24 * float(np.abs((x**3 - 3 * x) * phi).max()),
        "exponential": 2 / 6 * float(np.abs((x**2 - 1) * phi).max()),
    }
    # the same distances from the exact distributions of the sums (no sampling)
    out["exact_cdf_distance_n4"] = {
        kind: _exact_cdf_distance(kind, 4) for kind in ["uniform", "exponential"]
    }
    out["coin_cdf_distance"] = [coin_cdf_distance(n) for n in CLT_NS]
    # half the central jump of the binomial CDF, ~ 1 / sqrt(2 pi n) for large n
    out["coin_half_jump"] = [1 / math.sqrt(2 * math.pi * n) for n in CLT_NS]
    return out


def _exact_cdf_distance(kind: str, n: int) -> float:
    """sup_t |P(Z_n <= t) - Phi(t)| from the exact law of S_n: Irwin-Hall for
    uniform terms (the float formula is accurate for small n), Gamma(n, 1) for
    exponential ones; on a grid of t with spacing 1e-3."""
    t = np.linspace(-6, 6, 12_001)
    if kind == "uniform":
        s = n / 2 + t * math.sqrt(n / 12)
        F = sum(
            (-1) ** k * math.comb(n, k) * np.clip(s - k, 0, None) ** n
            for k in range(n + 1)
        ) / math.factorial(n)
    else:
        F = stats.gamma(n).cdf(n + t * math.sqrt(n))
    return float(np.abs(F - stats.norm.cdf(t)).max())


def _weights_vs_data_results() -> dict:
    X = digits_train(per_pixel=True)
    ratio = X.pow(4).sum(1) / X.pow(2).sum(1) ** 2
    peaked = int(ratio.argmax())
    out = {
        **_defaults(over_weights, over_data),  # "weights": the default weights
        "n_train": X.shape[0],
        "n_pixels": X.shape[1],
        "max_abs_standardized": X.abs().max().item(),
        "constant_pixels": int((X.abs().max(0).values == 0).sum()),
        "ratio_median": ratio.median().item(),
        "ratio_max": ratio.max().item(),
        "peaked_index": peaked,
    }
    edges = np.linspace(-10, 10, 101)
    hist = {}
    images = [("image0", 0), ("peaked", peaked)]
    for name, i in images:
        out[name] = {"ratio": ratio[i].item()}
    for weights in ["uniform", "normal"]:
        # both images through the same weight draws (as two separate calls would)
        Z = over_weights(X[[i for _, i in images]].T, weights)
        for (name, _), z in zip(images, Z.T):
            out[name][weights] = excess_kurtosis(z).item()
            if name == "image0" and weights == "uniform":
                zs = (z - z.mean()) / z.std()
                counts, _ = np.histogram(zs.numpy(), bins=edges)
                hist["over_weights"] = (counts / (len(zs) * 0.2)).tolist()
    # Kolmogorov distance to N(0, 1) that only 1 % of Gaussian samples of
    # this size exceed (simulated: the mean and std are estimated, as below)
    g = torch.Generator().manual_seed(1)
    null = kolmogorov_to_normal(
        torch.randn(X.shape[0], 500, generator=g, dtype=torch.float64)
    )
    out["ks_null_q99"] = null.quantile(0.99).item()
    out["ks_null_median"] = null.median().item()

    def summary(Z: torch.Tensor) -> dict:
        k = excess_kurtosis(Z)
        d = kolmogorov_to_normal(Z)
        return {
            "median_kurtosis": k.median().item(),
            "max_kurtosis": k.max().item(),
            "min_kurtosis": k.min().item(),
            "fraction_above_1": (k > 1).double().mean().item(),
            "ks_median": d.median().item(),
            "fraction_non_gaussian": (d > out["ks_null_q99"]).double().mean().item(),
        }, k

    for per_pixel, key in [(True, "per_pixel"), (False, "global")]:
        Xs = digits_train(per_pixel)
        Z = over_data(Xs)
        out[key], k = summary(Z)
        out[key]["kurtosis"] = k.tolist()
        # the unit with the median kurtosis, its pre-activation over the data
        j = int(k.argsort()[len(k) // 2])
        z = Z[:, j]
        zs = (z - z.mean()) / z.std()
        counts, _ = np.histogram(zs.numpy(), bins=edges)
        hist[f"over_data_{key}"] = (counts / (len(zs) * 0.2)).tolist()
        out[key]["median_unit_max_z"] = zs.abs().max().item()
    # control: per-pixel standardization without the rarely nonzero pixels
    out["rare_dropped"] = []
    for m in RARE_THRESHOLDS:
        Xs = digits_train(True, min_nonzero=m)
        row, _ = summary(over_data(Xs))
        out["rare_dropped"].append(
            {"min_nonzero": m, "pixels_dropped": X.shape[1] - Xs.shape[1],
             "max_abs_standardized": Xs.abs().max().item()} | row
        )
    out["hist_edges"] = edges.tolist()
    out["density"] = hist
    return out


def _finite_width_results() -> dict:
    x = digits_train(per_pixel=True)[0]  # the first training image
    out = {
        **_defaults(one_hidden_layer),
        "widths": FINITE_WIDTHS,
        "input_variance": x.pow(2).mean().item(),  # |x|^2 / d = Var f
        "kurtosis": [],
        "variance": [],
    }
    for width in FINITE_WIDTHS:
        f = one_hidden_layer(x, width)
        out["kurtosis"].append(excess_kurtosis(f).item())
        out["variance"].append(f.var().item())
    return out


def _entropy_results() -> dict:
    dists = unit_variance_distributions()
    exact = closed_form_entropy()
    out = {"nu": NU, "order": list(dists)}
    for name, dist in dists.items():
        out[name] = {
            "variance": float(dist.var()),
            "closed_form": exact[name],
            "numerical": numerical_entropy(dist),
            "kl_to_normal": kl_to_standard_normal(dist),
        }
    out["max_closed_form_error"] = max(
        abs(v["closed_form"] - v["numerical"])
        for k, v in out.items()
        if isinstance(v, dict)
    )
    xs = np.linspace(-4, 4, 401)
    out["grid"] = xs.tolist()
    out["pdf"] = {name: dist.pdf(xs).tolist() for name, dist in dists.items()}
    return out


def _closure_results() -> dict:
    gm, gs = reparameterized_gradient()
    return {
        **_defaults(affine_of_gaussians, reparameterized_gradient),
        "affine": affine_of_gaussians(),
        "uniform_sum_quantile_error": sum_of_uniforms(),
        "grad_mu": gm,
        "grad_sigma": gs,
    }


def _kl_results() -> dict:
    pairs = []
    for mu1, s1, mu2, s2 in KL_PAIRS:
        mc, se = kl_monte_carlo(mu1, s1, mu2, s2)
        torch_kl = kl_divergence(Normal(mu1, s1), Normal(mu2, s2)).item()
        pairs.append(
            {
                "params": [mu1, s1, mu2, s2],
                "formula": kl_gaussians(mu1, s1, mu2, s2),
                "torch": torch_kl,
                "monte_carlo": mc,
                "standard_error": se,
            }
        )
    torch.manual_seed(0)
    mu, log_var = torch.randn(16), torch.randn(16)
    q = Independent(Normal(mu, (0.5 * log_var).exp()), 1)
    prior = Independent(Normal(torch.zeros(16), torch.ones(16)), 1)
    return {
        **_defaults(kl_monte_carlo),
        "pairs": pairs,
        "max_mc_z": max(
            abs(p["monte_carlo"] - p["formula"]) / p["standard_error"]
            for p in pairs
        ),
        "max_torch_error": max(abs(p["torch"] - p["formula"]) for p in pairs),
        "vae_formula": vae_kl(mu, log_var).item(),
        "vae_torch": kl_divergence(q, prior).item(),
        "vae_latents": 16,
    }


def _geometry_results() -> dict:
    out = {"ns": GEOMETRY_NS, **_defaults(norms_and_cosines, gaussian_matrix)}
    rows = [norms_and_cosines(n) for n in GEOMETRY_NS]
    for key in rows[0]:
        out[key] = [r[key] for r in rows]
    n = out["n"]
    out["square"] = gaussian_matrix(n, n)
    out["tall"] = gaussian_matrix(n, TALL_COLUMNS)
    out["tall_columns"] = TALL_COLUMNS
    # quarter-circle law, density sqrt(4 - s^2) / pi on [0, 2]: mass below 0.5
    a = 0.5
    out["quarter_circle_below_half"] = (
        a / 2 * math.sqrt(4 - a**2) + 2 * math.asin(a / 2)
    ) / math.pi
    return out


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "clt": _clt_results(),
        "weights_vs_data": _weights_vs_data_results(),
        "finite_width": _finite_width_results(),
        "entropy": _entropy_results(),
        "closure": _closure_results(),
        "kl": _kl_results(),
        "geometry": _geometry_results(),
    }


LABELS = {
    "en": {
        "explorer_title": "Explore: the standardized sum of n iid terms; exact readouts, sampled histogram",
        "explorer_source": "Source of the terms",
        "explorer_uniform": "uniform U(0, 1)",
        "explorer_exponential": "exponential Exp(1)",
        "explorer_coin": "coin flip ±1",
        "explorer_proline": "real data: wine proline, resampled",
        "explorer_n": "Number of terms n",
        "explorer_density_title": "Density of (Sₙ − nμ) / (σ√n)",
        "explorer_gap_title": "Its CDF minus the normal CDF, F(t) − Φ(t): the readout is the largest |gap|",
        "explorer_gap": "F(t) − Φ(t)",
        "explorer_gap_label": "exact law of the sum",
        "explorer_z": "standardized sum",
        "explorer_density": "density",
        "explorer_normal": "N(0, 1)",
        "explorer_sum": "standardized sum, {samples} draws",
        "explorer_kolmogorov": "exact largest CDF gap to N(0, 1), sup |F − Φ|",
        "explorer_skewness": "skewness",
        "explorer_kurtosis": "excess kurtosis",
        "n_terms": "number of terms n",
        "standardized": "standardized sum",
        "density": "density",
        "normal_pdf": "N(0, 1)",
        "n_eq": "n = {n}",
        "uniform_sums": "sums of uniforms",
        "exp_sums": "sums of exponentials",
        "cdf_distance": "max |F − Φ| (log scale)",
        "uniform": "uniform",
        "exponential": "exponential",
        "edgeworth_uniform": "{c:.4f} / n",
        "edgeworth_exp": "{c:.3f} / √n",
        "noise": "sampling noise",
        "over_weights": "one image, over weight draws",
        "over_data_per_pixel": "one unit, over data (per-pixel)",
        "over_data_global": "one unit, over data (global)",
        "z_std": "pre-activation (standardized)",
        "kurtosis": "excess kurtosis",
        "fraction_units": "fraction of units (CDF)",
        "entropy_nats": "differential entropy (nats)",
        "normal": "normal",
        "laplace": "Laplace",
        "logistic": "logistic",
        "student_t5": "Student t, ν = 5",
        "x": "x",
        "dimension": "dimension n",
        "spread": "relative spread",
        "norm_spread": "std |x| / mean |x|",
        "cos_std": "std of cosine",
        "inv_sqrt_2n": "1 / √(2n)",
        "inv_sqrt_n": "1 / √n",
        "singular_value": "singular value",
        "square": "512 × 512",
        "tall": "512 × 32",
        "quarter_circle": "quarter-circle law",
        "orthogonal": "orthogonal: all 1",
    },
    "zh": {
        "explorer_title": "动手试试：n个独立同分布加数之和（标准化后）；读数为精确值，直方图为抽样",
        "explorer_source": "加数的来源",
        "explorer_uniform": "均匀分布U(0, 1)",
        "explorer_exponential": "指数分布Exp(1)",
        "explorer_coin": "抛硬币（±1）",
        "explorer_proline": "真实数据：葡萄酒的脯氨酸含量（有放回抽取）",
        "explorer_n": "项数n",
        "explorer_density_title": "(Sₙ − nμ) / (σ√n)的概率密度",
        "explorer_gap_title": "它的CDF减去正态CDF，即F(t) − Φ(t)：读数是其中最大的|差距|",
        "explorer_gap": "F(t) − Φ(t)",
        "explorer_gap_label": "和的精确分布",
        "explorer_z": "标准化后的和",
        "explorer_density": "概率密度",
        "explorer_normal": "N(0, 1)",
        "explorer_sum": "标准化后的和，{samples}次抽样",
        "explorer_kolmogorov": "与N(0, 1)的CDF最大差距（sup |F − Φ|，精确值）",
        "explorer_skewness": "偏度",
        "explorer_kurtosis": "超额峰度",
        "n_terms": "项数n",
        "standardized": "标准化后的和",
        "density": "概率密度",
        "normal_pdf": "N(0, 1)",
        "n_eq": "n = {n}",
        "uniform_sums": "均匀分布之和",
        "exp_sums": "指数分布之和",
        "cdf_distance": "max |F − Φ|（对数坐标）",
        "uniform": "均匀分布",
        "exponential": "指数分布",
        "edgeworth_uniform": "{c:.4f} / n",
        "edgeworth_exp": "{c:.3f} / √n",
        "noise": "采样噪声",
        "over_weights": "同一图像，随权重抽样变化",
        "over_data_per_pixel": "同一单元，随数据变化（逐像素）",
        "over_data_global": "同一单元，随数据变化（全局）",
        "z_std": "预激活值（标准化后）",
        "kurtosis": "超额峰度",
        "fraction_units": "单元比例（累积）",
        "entropy_nats": "微分熵（单位：奈特）",
        "normal": "正态分布",
        "laplace": "拉普拉斯分布",
        "logistic": "logistic分布",
        "student_t5": "Student t分布，ν = 5",
        "x": "x",
        "dimension": "维数n",
        "spread": "相对离散程度",
        "norm_spread": "std |x| / mean |x|",
        "cos_std": "余弦的标准差",
        "inv_sqrt_2n": "1 / √(2n)",
        "inv_sqrt_n": "1 / √n",
        "singular_value": "奇异值",
        "square": "512 × 512",
        "tall": "512 × 32",
        "quarter_circle": "四分之一圆律",
        "orthogonal": "正交矩阵：全为1",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # CLT: densities of standardized sums, and the CDF distance per n
    c = res["clt"]
    edges = np.array(c["hist_edges"])
    mid = (edges[:-1] + edges[1:]) / 2
    gauss = np.exp(-mid**2 / 2) / math.sqrt(2 * math.pi)
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 5.6), layout="constrained")
    for ax, kind, title in [
        (axes[0, 0], "uniform", "uniform_sums"),
        (axes[0, 1], "exponential", "exp_sums"),
    ]:
        ax.plot(mid, gauss, color="C3", linewidth=2.5, alpha=0.5,
                label=L["normal_pdf"])
        for k, n in enumerate(["1", "2", "4", "32"]):
            ax.stairs(c[kind]["density"][n], edges, color=f"C{k}",
                      label=L["n_eq"].format(n=n))
        ax.set_title(L[title])
        ax.set_xlabel(L["standardized"])
        ax.set_xlim(-4, 4)
    axes[0, 0].set_ylabel(L["density"])
    axes[0, 0].legend()
    ns = np.array(c["ns"], dtype=float)
    cu, ce = c["edgeworth"]["uniform"], c["edgeworth"]["exponential"]
    for ax, kind, key, pred, const in [
        (axes[1, 0], "uniform", "edgeworth_uniform", cu / ns, cu),
        (axes[1, 1], "exponential", "edgeworth_exp", ce / np.sqrt(ns), ce),
    ]:
        ax.plot(ns, c[kind]["cdf_distance"], "o-", color="C0", label=L[kind])
        ax.plot(ns, pred, "--", color="C1", label=L[key].format(c=const))
        ax.axhline(c["noise_level"], color="C7", linestyle=":",
                   label=L["noise"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(L["n_terms"])
        ax.legend()
    axes[1, 0].set_ylabel(L["cdf_distance"])
    axes[1, 1].set_ylim(axes[1, 0].get_ylim()[0], None)
    figs["clt"] = fig

    # Over weights vs over data
    w = res["weights_vs_data"]
    edges = np.array(w["hist_edges"])
    mid = (edges[:-1] + edges[1:]) / 2
    gauss = np.exp(-mid**2 / 2) / math.sqrt(2 * math.pi)
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    ax = axes[0]
    ax.plot(mid, gauss, color="C3", linewidth=2.5, alpha=0.5,
            label=L["normal_pdf"])
    for k, (key, ls) in enumerate(
        [("over_weights", "-"), ("over_data_global", "-."),
         ("over_data_per_pixel", "--")]
    ):
        dens = np.array(w["density"][key], dtype=float)
        dens[dens == 0] = np.nan
        ax.stairs(dens, edges, color=f"C{k}", linestyle=ls, label=L[key])
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1)
    ax.set_xlim(-10, 10)
    ax.set_xlabel(L["z_std"])
    ax.set_ylabel(L["density"])
    ax = axes[1]
    for k, key in [(1, "global"), (2, "per_pixel")]:
        kurt = np.sort(w[key]["kurtosis"])
        ax.plot(kurt, np.arange(1, len(kurt) + 1) / len(kurt), color=f"C{k}",
                linestyle="-." if key == "global" else "--")
    ax.axvline(w["image0"]["uniform"], color="C0", linestyle="-")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel(L["kurtosis"])
    ax.set_ylabel(L["fraction_units"])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    figs["weights_vs_data"] = fig

    # Maximum entropy: densities and entropies
    e = res["entropy"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.2), layout="constrained")
    for k, name in enumerate(e["order"]):
        axes[0].plot(e["grid"], e["pdf"][name], color=f"C{k}", label=L[name])
    axes[0].set_xlabel(L["x"])
    axes[0].set_ylabel(L["density"])
    axes[0].set_xlim(-4, 4)
    order = sorted(e["order"], key=lambda n: e[n]["closed_form"])
    vals = [e[n]["closed_form"] for n in order]
    colors = [f"C{e['order'].index(n)}" for n in order]
    axes[1].barh([L[n] for n in order], vals, color=colors)
    axes[1].set_xlim(1.15, 1.45)
    axes[1].set_xlabel(L["entropy_nats"])
    for y, v in enumerate(vals):
        axes[1].text(v + 0.005, y, f"{v:.3f}", va="center")
    axes[1].set_xlim(1.15, 1.5)
    figs["entropy"] = fig

    # Geometry: concentration, and singular values of a Gaussian matrix
    g = res["geometry"]
    ns = np.array(g["ns"], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 4.0), layout="constrained")
    ax = axes[0]
    ax.plot(ns, g["relative_norm_spread"], "o", color="C0",
            label=L["norm_spread"])
    ax.plot(ns, 1 / np.sqrt(2 * ns), "-", color="C0", alpha=0.6,
            label=L["inv_sqrt_2n"])
    ax.plot(ns, g["cosine_std"], "s", color="C1", label=L["cos_std"])
    ax.plot(ns, 1 / np.sqrt(ns), "--", color="C1", alpha=0.6,
            label=L["inv_sqrt_n"])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(L["dimension"])
    ax.set_ylabel(L["spread"])
    ax.legend(loc="lower left")
    ax = axes[1]
    bins = np.linspace(0, 2.2, 45)
    ax.hist(g["square"]["singular_values"], bins=bins, density=True,
            color="C0", alpha=0.6, label=L["square"])
    ax.hist(g["tall"]["singular_values"], bins=bins, density=True,
            color="C2", alpha=0.6, label=L["tall"])
    s = np.linspace(0, 2, 200)
    ax.plot(s, np.sqrt(4 - s**2) / math.pi, color="C3", label=L["quarter_circle"])
    ax.axvline(1, color="C7", linestyle=":", label=L["orthogonal"])
    ax.set_xlabel(L["singular_value"])
    ax.set_ylabel(L["density"])
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    figs["geometry"] = fig
    return figs


# The page's explorer (an interactive figure; the site's script draws it from this data).
EXPLORER_NS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]
EXPLORER_SOURCES = ["uniform", "exponential", "coin", "proline"]


def proline() -> np.ndarray:
    """A real feature: the proline column of scikit-learn's wine data (178 wines, integers)."""
    from sklearn.datasets import load_wine

    return load_wine().data[:, 12]


def source_draws(kind: str, shape: tuple, g: torch.Generator) -> tuple[torch.Tensor, float, float]:
    """iid draws of one source, with its exact mean and variance: 'uniform' U(0, 1),
    'exponential' Exp(1), 'coin' a fair +-1 flip, 'proline' drawn with replacement from the 178
    proline values (their empirical law: iid by construction)."""
    u = torch.rand(shape, generator=g, dtype=torch.float64)
    if kind == "uniform":
        return u, 0.5, 1 / 12
    if kind == "exponential":
        return -torch.log1p(-u), 1.0, 1.0
    if kind == "coin":
        return torch.where(u < 0.5, -1.0, 1.0).double(), 0.0, 1.0
    values = torch.tensor(proline(), dtype=torch.float64)
    index = torch.randint(len(values), shape, generator=g)
    return values[index], values.mean().item(), values.var(unbiased=False).item()


def sampled_densities(kind: str, ns: list[int], samples: int = 40_000, bins: int = 64, seed: int = 0) -> dict:
    """Density histograms on [-4, 4] of `samples` draws of (S_n - n mu) / (sigma sqrt n), the S_n
    partial sums of one iid sequence: what the explorer draws (its numbers are exact, below)."""
    g = torch.Generator().manual_seed(seed)
    draws, mu, var = source_draws(kind, (max(ns), samples), g)
    sums = draws.cumsum(0)
    edges = np.linspace(-4, 4, bins + 1)
    density = {}
    for n in ns:
        z = ((sums[n - 1] - n * mu) / math.sqrt(n * var)).numpy()
        counts, _ = np.histogram(z, bins=edges)
        density[n] = (counts / (samples * np.diff(edges))).tolist()
    return {"edges": edges.tolist(), "density": density}


def exact_sum_stats(kind: str, ns: list[int]) -> dict[int, dict]:
    """The exact law of the standardized sum of n terms, for each n: its Kolmogorov distance
    sup |F - Phi| to N(0, 1), skewness gamma_1 / sqrt(n) and excess kurtosis gamma_2 / n (gamma_1,
    gamma_2 those of one term). Uniform: Irwin-Hall; exponential: Gamma(n, 1); coin: binomial;
    proline: its 178 values' law convolved n times (integer values: exact up to float rounding)."""
    gamma1, gamma2 = {"uniform": (0.0, -1.2), "exponential": (2.0, 6.0), "coin": (0.0, -2.0)}.get(kind, (0, 0))
    if kind == "proline":
        v = proline()
        c = v - v.mean()
        gamma1, gamma2 = (c**3).mean() / (c**2).mean() ** 1.5, (c**4).mean() / (c**2).mean() ** 2 - 3
        low = int(v.min())
        pmf_one = np.bincount(v.astype(int) - low) / len(v)
        mu, sigma = v.mean(), v.std()
    out, pmf = {}, np.ones(1)
    for n in range(1, max(ns) + 1):
        if kind == "proline":
            pmf = signal.fftconvolve(pmf, pmf_one).clip(0, None)
        if n not in ns:
            continue
        jumps = []  # a lattice law with few atoms (the coin): (atom, F just below, F at), drawn as steps
        if kind == "coin":
            distance = coin_cdf_distance(n)  # the page's own exact coin distance (section clt)
            law = stats.binom(n, 0.5)  # S_n = 2k - n for k heads

            def cdf(t: np.ndarray, law=law, n=n) -> np.ndarray:
                return law.cdf(np.floor((t * math.sqrt(n) + n) / 2 + 1e-9))

            jumps = [((2 * k - n) / math.sqrt(n), law.cdf(k - 1), law.cdf(k)) for k in range(n + 1)]
        elif kind == "proline":  # a lattice: compare Phi with F just below and at each atom
            keep = pmf > 1e-300
            atoms = (np.arange(len(pmf))[keep] + n * low - n * mu) / (sigma * math.sqrt(n))
            probabilities = pmf[keep] / pmf.sum()
            F = np.cumsum(probabilities)
            Phi = stats.norm.cdf(atoms)
            distance = max(np.abs(F - Phi).max(), np.abs(F - probabilities - Phi).max())

            def cdf(t: np.ndarray, atoms=atoms, F=F) -> np.ndarray:
                below = np.searchsorted(atoms, t, side="right")  # atoms at or below each t
                return np.where(below > 0, F[below - 1], 0.0)
        else:  # continuous: the largest gap on a 0.01 grid, refined to 1e-4 around it
            law = stats.irwinhall(n) if kind == "uniform" else stats.gamma(n)
            mean, std = (n / 2, math.sqrt(n / 12)) if kind == "uniform" else (n, math.sqrt(n))

            def cdf(t: np.ndarray, law=law, mean=mean, std=std) -> np.ndarray:
                return law.cdf(mean + t * std)

            def gaps(t: np.ndarray) -> np.ndarray:
                return np.abs(cdf(t) - stats.norm.cdf(t))

            coarse = np.linspace(-8, 8, 1601)
            peak = coarse[gaps(coarse).argmax()]
            distance = gaps(np.linspace(peak - 0.01, peak + 0.01, 201)).max()
        out[n] = {"kolmogorov": float(distance), "skewness": gamma1 / math.sqrt(n), "excess_kurtosis": gamma2 / n,
                  "gap_curve": _gap_curve(cdf, jumps)}
    return out


def _gap_curve(cdf, jumps: list) -> list[list[float]]:
    """F(t) - Phi(t) of the exact law of the standardized sum (its CDF `cdf`), on a grid of t in
    [-4, 4], for the explorer's second chart; for a lattice with few atoms (the coin) also just below
    and at each atom, so its jumps are drawn as they are (the largest gap sits at one of them)."""
    t = np.linspace(-4, 4, 201)
    points = [(x, 0.5, f - stats.norm.cdf(x)) for x, f in zip(t, cdf(t))]
    for atom, below, at in jumps:
        if -4 <= atom <= 4:
            points += [(atom, 0, below - stats.norm.cdf(atom)), (atom, 1, at - stats.norm.cdf(atom))]
    return [[float(x), float(g)] for x, _, g in sorted(points)]


def explorer_data() -> dict:
    """Every value of the page's explorer: each source at each number of terms."""
    return {"clt": {
        "ns": EXPLORER_NS, **_defaults(sampled_densities),
        "sources": {kind: {"sampled": sampled_densities(kind, EXPLORER_NS), "exact": exact_sum_stats(kind, EXPLORER_NS)}
                    for kind in EXPLORER_SOURCES},
    }}


def explorers(data: dict, lang: str) -> dict:
    """What the explorer shows, with its text in `lang` (sitebuild/explorers.py)."""
    L = LABELS[lang]
    c = data["clt"]
    states = []
    for kind in EXPLORER_SOURCES:
        sampled, exact = c["sources"][kind]["sampled"], c["sources"][kind]["exact"]
        edges = sampled["edges"]
        centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
        for n in c["ns"]:
            states.append({
                "controls": {"source": kind, "n": str(n)},
                "series": {"density": [[x, y] for x, y in zip(centres, sampled["density"][n])],
                           "gap": exact[n]["gap_curve"]},
                "values": {key: exact[n][key] for key in ["kolmogorov", "skewness", "excess_kurtosis"]},
            })
    x = np.linspace(-4, 4, 161)
    normal = {"label": L["explorer_normal"], "color": "C7", "kind": "line",
              "points": [[float(v), float(np.exp(-v * v / 2) / math.sqrt(2 * math.pi))] for v in x]}
    return {"clt": {
        "title": L["explorer_title"].format(samples=f"{c['samples']:,}"),
        "controls": [
            {"name": "source", "label": L["explorer_source"],
             "options": [{"value": k, "text": L["explorer_" + k]} for k in EXPLORER_SOURCES],
             "value": "exponential"},
            {"name": "n", "label": L["explorer_n"], "kind": "range",
             "options": [{"value": str(n), "text": str(n)} for n in c["ns"]], "value": "4"},
        ],
        "charts": [
            {"title": L["explorer_density_title"], "x": {"label": L["explorer_z"], "range": [-4, 4]},
             "y": {"label": L["explorer_density"]}, "domain": "state",
             "static": [normal],
             "series": [{"key": "density", "label": L["explorer_sum"].format(samples=f"{c['samples']:,}"),
                         "color": "C0", "kind": "bars"}]},
            {"title": L["explorer_gap_title"], "x": {"label": L["explorer_z"], "range": [-4, 4]},
             "y": {"label": L["explorer_gap"]}, "domain": "state",
             "static": [{"label": "", "color": "C7", "kind": "line", "points": [[-4, 0], [4, 0]]}],
             "series": [{"key": "gap", "label": L["explorer_gap_label"], "color": "C1", "kind": "line"}]},
        ],
        "readouts": [
            {"key": "kolmogorov", "label": L["explorer_kolmogorov"], "format": ["fixed", 4]},
            {"key": "skewness", "label": L["explorer_skewness"], "format": ["fixed", 3]},
            {"key": "excess_kurtosis", "label": L["explorer_kurtosis"], "format": ["fixed", 3]},
        ],
        "states": states,
    }}


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
