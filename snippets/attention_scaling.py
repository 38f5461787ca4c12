# %% [markdown] lang="en"
# # Attention scaling
#
# The notebook of the page [*Attention scaling*]({{ page_url }}) of *Why N(0, 1)?*. Each section below
# runs one experiment of the page and prints what it found; the last cell computes every number the
# page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 注意力的缩放
#
# 这是《为什么是N(0, 1)？》中[注意力的缩放]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，并打印实验结果；
# 最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## The variance of a dot product
#
# If the entries of q and k are independent with mean 0 and variance 1 (footnote 4 of Vaswani et al.
# 2017), q·k is a sum of d_k independent terms of variance 1, so Var(q·k) = d_k and Var(q·k /
# sqrt(d_k)) = 1. The cell draws {{ attention_scaling.dot.n_pairs }} pairs of N(0, 1) vectors for each
# d_k from {{ attention_scaling.dot.d_k[0] }} to {{ attention_scaling.dot.d_k[-1] }} and prints both
# variances ({{ fig("variance") }}). At d_k = {{ attention_scaling.dot.d_k[-1] }} the raw variance is
# {{ attention_scaling.dot.var_raw[-1] | fixed(1) }} and the scaled one
# {{ attention_scaling.dot.var_scaled[-1] | fixed(3) }}. Dividing by sqrt(d_k), not by d_k, is what
# keeps the logits' scale fixed: the standard deviation, not the variance, grows like sqrt(d_k).

# %% [markdown] lang="zh"
# ## 点积的方差
#
# 如果q和k的各分量相互独立、均值为0、方差为1（Vaswani et al. 2017，footnote 4），那么q·k是d_k个方差为1的独立项之和，
# 所以Var(q·k) = d_k，Var(q·k / sqrt(d_k)) = 1。代码对从{{ attention_scaling.dot.d_k[0] }}到
# {{ attention_scaling.dot.d_k[-1] }}的每个d_k抽取{{ attention_scaling.dot.n_pairs }}对N(0, 1)向量，
# 打印这两个方差（{{ fig("variance") }}）。d_k = {{ attention_scaling.dot.d_k[-1] }}时，
# 原始点积的方差为{{ attention_scaling.dot.var_raw[-1] | fixed(1) }}，
# 缩放后为{{ attention_scaling.dot.var_scaled[-1] | fixed(3) }}。要让logit的尺度保持不变，
# 应当除以sqrt(d_k)而不是d_k：随sqrt(d_k)增长的是标准差，而不是方差。

# %%
# --8<-- [start:dot_variance]
import math

import torch


def dot_product_variance(
    d_ks: tuple[int, ...] = (4, 16, 64, 256, 1024),
    n_pairs: int = 10_000,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Var(q.k) and Var(q.k / sqrt(d_k)) for q, k with i.i.d. N(0, 1) entries."""
    g = torch.Generator().manual_seed(seed)
    raw, scaled = [], []
    for d in d_ks:
        q = torch.randn(n_pairs, d, generator=g)
        k = torch.randn(n_pairs, d, generator=g)
        dots = (q * k).sum(dim=1)
        raw.append(dots.var().item())
        scaled.append((dots / math.sqrt(d)).var().item())
    return {"d_k": list(d_ks), "var_raw": raw, "var_scaled": scaled}


if __name__ == "__main__":
    out = dot_product_variance()
    for d, v, s in zip(out["d_k"], out["var_raw"], out["var_scaled"]):
        print(f"d_k={d:5d}  Var(q.k)={v:8.1f}  Var(q.k/sqrt(d_k))={s:.3f}")
# --8<-- [end:dot_variance]

# %% [markdown] lang="en"
# ## Softmax saturation, and the gradient that reaches the query
#
# For each d_k the cell draws {{ attention_scaling.saturation.n_queries }} random queries and
# {{ attention_scaling.saturation.n_keys }} random keys and values with N(0, 1) entries, computes
# every query's attention without and with the 1/sqrt(d_k) on the same draws, and prints, for the
# first seed at three widths, the largest weight, the entropy of the weights (ln
# {{ attention_scaling.saturation.n_keys }} ≈ {{ attention_scaling.saturation.ln_n_keys | fixed(2) }}
# for uniform attention, 0 for one-hot) and the norm of the gradient that reaches each query, by
# autograd, relative to the scaled arm's median. Without the scale, at d_k =
# {{ attention_scaling.saturation.d_k[-1] }} the largest weight averages
# {{ attention_scaling.saturation.unscaled.max_prob[-1] | fixed(3) }} and the entropy is
# {{ attention_scaling.saturation.unscaled.entropy[-1] | fixed(2) }}, an almost hard lookup of one key
# ({{ fig("attention_maps") }}); with it, the largest weight is
# {{ attention_scaling.saturation.scaled.max_prob[-1] | fixed(3) }}. The gradient does not simply
# vanish: at d_k = {{ attention_scaling.saturation.d_k[2] }} the unscaled median query gets
# {{ attention_scaling.saturation.unscaled.rel_median[2] | fixed(1) }} times the scaled median, and at
# d_k = {{ attention_scaling.saturation.d_k[-1] }} the distribution splits: the median query gets
# {{ attention_scaling.saturation.unscaled.rel_median[-1] | pct(1) }} of the scaled median and
# {{ attention_scaling.saturation.unscaled.share_below[-1] | pct(1) }} of the queries less than
# {{ attention_scaling.saturation.threshold | pct(0) }} of it, while the mean is
# {{ attention_scaling.saturation.unscaled.rel_mean[-1] | fixed(1) }} times the scaled median. The
# full run behind {{ fig("gradient") }} covers every d_k from
# {{ attention_scaling.saturation.d_k[0] }} to {{ attention_scaling.saturation.d_k[-1] }} and
# {{ attention_scaling.saturation.seeds | length }} seeds; over the seeds that share at d_k =
# {{ attention_scaling.saturation.d_k[-1] }} lies between
# {{ attention_scaling.saturation.over_seeds.unscaled.share_below.min[-1] | pct(0) }} and
# {{ attention_scaling.saturation.over_seeds.unscaled.share_below.max[-1] | pct(0) }}.

# %% [markdown] lang="zh"
# ## softmax的饱和，以及传到查询的梯度
#
# 对每个d_k，代码抽取{{ attention_scaling.saturation.n_queries }}个随机查询，
# 以及{{ attention_scaling.saturation.n_keys }}个随机键和值向量，各分量服从N(0, 1)，
# 在同一组样本上分别计算不缩放和除以sqrt(d_k)时每个查询的注意力。对第一个随机种子，代码在三种宽度下打印最大权重、
# 注意力权重的熵（均匀注意力为
# ln {{ attention_scaling.saturation.n_keys }} ≈ {{ attention_scaling.saturation.ln_n_keys | fixed(2) }}，独热为0），
# 以及用自动微分求出的、传到每个查询的梯度范数（以缩放组的中位数为单位）。不缩放时，
# 在d_k = {{ attention_scaling.saturation.d_k[-1] }}处，
# 最大权重平均为{{ attention_scaling.saturation.unscaled.max_prob[-1] | fixed(3) }}，
# 熵为{{ attention_scaling.saturation.unscaled.entropy[-1] | fixed(2) }}，
# 注意力几乎变成了对单个键的硬查找（{{ fig("attention_maps") }}）；缩放时，
# 最大权重为{{ attention_scaling.saturation.scaled.max_prob[-1] | fixed(3) }}。梯度并不是简单地消失了：
# d_k = {{ attention_scaling.saturation.d_k[2] }}时，
# 不缩放时查询梯度的中位数是缩放时中位数的{{ attention_scaling.saturation.unscaled.rel_median[2] | fixed(1) }}倍；
# 到d_k = {{ attention_scaling.saturation.d_k[-1] }}时，分布出现两极分化：
# 中位数只有缩放时中位数的{{ attention_scaling.saturation.unscaled.rel_median[-1] | pct(1) }}，
# {{ attention_scaling.saturation.unscaled.share_below[-1] | pct(1) }}的查询所得梯度不到它的
# {{ attention_scaling.saturation.threshold | pct(0) }}，
# 而均值却是它的{{ attention_scaling.saturation.unscaled.rel_mean[-1] | fixed(1) }}倍。
# {{ fig("gradient") }}背后的完整实验覆盖从{{ attention_scaling.saturation.d_k[0] }}到
# {{ attention_scaling.saturation.d_k[-1] }}的每个d_k和{{ attention_scaling.saturation.seeds | length }}个随机种子；
# 在这些种子上，d_k = {{ attention_scaling.saturation.d_k[-1] }}时这一比例介于
# {{ attention_scaling.saturation.over_seeds.unscaled.share_below.min[-1] | pct(0) }}和
# {{ attention_scaling.saturation.over_seeds.unscaled.share_below.max[-1] | pct(0) }}之间。

# %%
# --8<-- [start:saturation]
import math

import torch


def attention_stats(
    d_k: int, n_keys: int = 64, n_queries: int = 1500, seed: int = 0
) -> dict[str, dict]:
    """softmax(q K^T / s) V without (s = 1) and with (s = sqrt(d_k)) the scale.

    Both arms share the same random q, K, V (N(0, 1) entries, d_v = d_k) and the same
    upstream gradient g of the output (N(0, 1/d_k) entries): the loss is
    L = sum over queries of <g, output>. Per query: the largest attention weight, the
    entropy of the weights and the norm of dL/dq.
    """
    g = torch.Generator().manual_seed(seed)
    # drawn in float32 (faster), computed in float64 (the tiny gradients need it)
    q = torch.randn(n_queries, d_k, generator=g).double()
    k = torch.randn(n_keys, d_k, generator=g).double()
    v = torch.randn(n_keys, d_k, generator=g).double()
    upstream = torch.randn(n_queries, d_k, generator=g).double() / math.sqrt(d_k)
    q.requires_grad_(True)
    out = {}
    for arm, s in [("unscaled", 1.0), ("scaled", math.sqrt(d_k))]:
        logits = q @ k.T / s
        p = torch.softmax(logits, dim=-1)
        (grad_q,) = torch.autograd.grad(p @ v, q, grad_outputs=upstream)
        p = p.detach()
        out[arm] = {
            "logit_std": logits.detach().std().item(),
            "max_prob": p.max(-1).values,  # one value per query
            "entropy": -(p * torch.log(p.clamp_min(1e-300))).sum(-1),
            "grad_norm": grad_q.norm(dim=-1),
        }
    return out


if __name__ == "__main__":
    print(f"uniform attention over 64 keys: entropy ln 64 = {math.log(64):.2f}")
    for d in (4, 64, 1024):
        st = attention_stats(d)
        typical = st["scaled"]["grad_norm"].median()  # the scaled arm's median
        for arm in ("unscaled", "scaled"):
            s, gn = st[arm], st[arm]["grad_norm"] / typical
            print(
                f"d_k={d:4d} {arm:8s} max p={s['max_prob'].mean():.3f} "
                f"entropy={s['entropy'].mean():.2f}  |dL/dq| / scaled median: "
                f"median {gn.median():.3g}, mean {gn.mean():.3g}, "
                f"below 0.01: {(gn < 0.01).double().mean():.1%}"
            )
# --8<-- [end:saturation]

# %% [markdown] lang="en"
# ## PyTorch's default scale
#
# `torch.nn.functional.scaled_dot_product_attention` multiplies the logits by 1/sqrt(d_k), with d_k
# the last dimension of the query, unless the `scale=` argument replaces it. The cell compares it in
# float64 with a manual softmax(Q Kᵀ / sqrt(d_k)) V for {{ attention_scaling.sdpa.batch }} ×
# {{ attention_scaling.sdpa.heads }} heads, {{ attention_scaling.sdpa.seq }} positions and d_k =
# {{ attention_scaling.sdpa.d_k }}. The default matches the manual scaled version to
# {{ attention_scaling.sdpa.default_vs_manual_scaled | sci(1) }} and `scale=1.0` the unscaled one to
# {{ attention_scaling.sdpa.scale1_vs_manual_unscaled | sci(1) }}, while the default and the unscaled
# product differ by up to {{ attention_scaling.sdpa.default_vs_manual_unscaled | fixed(2) }}. With the
# heads as a separate dimension, as here, d_k is the per-head dimension.

# %% [markdown] lang="zh"
# ## PyTorch的默认缩放
#
# `torch.nn.functional.scaled_dot_product_attention`默认把logit乘以1/sqrt(d_k)，其中d_k取自查询的最后一维；
# 参数`scale=`可以替换这个值。代码在float64精度下把它与手写的softmax(Q Kᵀ / sqrt(d_k)) V做比较，
# 共{{ attention_scaling.sdpa.batch }} × {{ attention_scaling.sdpa.heads }}个注意力头，
# {{ attention_scaling.sdpa.seq }}个位置，d_k = {{ attention_scaling.sdpa.d_k }}。
# 默认行为与手写的缩放版本只差{{ attention_scaling.sdpa.default_vs_manual_scaled | sci(1) }}，
# `scale=1.0`与手写的不缩放版本只差{{ attention_scaling.sdpa.scale1_vs_manual_unscaled | sci(1) }}，
# 而默认行为与不缩放的点积最多相差{{ attention_scaling.sdpa.default_vs_manual_unscaled | fixed(2) }}。
# 像这里这样把注意力头单独作为一个维度时，d_k就是每个头的维度。

# %%
# --8<-- [start:sdpa]
import math

import torch
import torch.nn.functional as F


def compare_sdpa(
    batch: int = 2, heads: int = 4, seq: int = 32, d_k: int = 64, seed: int = 0
) -> dict[str, float]:
    """Max |difference| between F.scaled_dot_product_attention and manual code."""
    g = torch.Generator().manual_seed(seed)
    Q, K, V = (
        torch.randn(batch, heads, seq, d_k, generator=g, dtype=torch.float64)
        for _ in range(3)
    )

    def manual(scale: float) -> torch.Tensor:
        return torch.softmax(Q @ K.transpose(-2, -1) * scale, dim=-1) @ V

    default = F.scaled_dot_product_attention(Q, K, V)
    unit = F.scaled_dot_product_attention(Q, K, V, scale=1.0)
    return {
        "default_vs_manual_scaled": (default - manual(1 / math.sqrt(d_k)))
        .abs().max().item(),
        "scale1_vs_manual_unscaled": (unit - manual(1.0)).abs().max().item(),
        "default_vs_manual_unscaled": (default - manual(1.0)).abs().max().item(),
    }


if __name__ == "__main__":
    for name, diff in compare_sdpa().items():
        print(f"{name:28s} max |diff| = {diff:.2e}")
# --8<-- [end:sdpa]

# %% [markdown] lang="en"
# ## When the entries are not independent
#
# The footnote's argument needs the entries of q and k to be independent; standardized real features
# have mean 0 and variance 1 but are correlated. The cell takes two different training samples of
# scikit-learn's wine data ({{ attention_scaling.wine.d_k }} features, standardized) as q and k,
# {{ attention_scaling.wine.n_pairs }} random pairs: Var(q·k)/d_k is
# {{ attention_scaling.wine.var_over_d | fixed(2) }}, not 1
# ({{ attention_scaling.wine.exact_over_d | fixed(2) }} over all pairs of different samples; the
# correlation matrix C predicts tr(C²)/d_k =
# {{ attention_scaling.wine.sum_sq_corr_over_d | fixed(2) }}, a little more, because it also counts
# each sample paired with itself), and after dividing by sqrt(d_k) the logits still have std
# {{ attention_scaling.wine.scaled_logit_std | fixed(2) }}. An initialized layer hides the
# correlations: `projected_dot_variance` passes the same features through independent random W_Q and
# W_K with d_k = {{ attention_scaling.projected.d_k }}, and over
# {{ attention_scaling.projected.n_draws }} draws of the weights Var(q·k)/d_k averages
# {{ attention_scaling.projected.mean | fixed(2) }}. So the example shows what learned W_Q and W_K can
# produce, not an initialized layer.

# %% [markdown] lang="zh"
# ## 分量不独立时
#
# 脚注的论证要求q和k的各分量相互独立；真实数据的特征经过标准化后，均值为0、方差为1，但彼此相关。
# 代码取scikit-learn葡萄酒（wine）数据集中两个不同的训练样本（{{ attention_scaling.wine.d_k }}个特征，已标准化）
# 作为q和k，随机抽取{{ attention_scaling.wine.n_pairs }}对：
# Var(q·k)/d_k为{{ attention_scaling.wine.var_over_d | fixed(2) }}，
# 而不是1（在所有不同样本的配对上精确计算为{{ attention_scaling.wine.exact_over_d | fixed(2) }}；
# 由相关系数矩阵C预测的tr(C²)/d_k = {{ attention_scaling.wine.sum_sq_corr_over_d | fixed(2) }}，略大一些，
# 因为它把样本与自身的配对也算在内）；除以sqrt(d_k)之后，
# logit的标准差仍有{{ attention_scaling.wine.scaled_logit_std | fixed(2) }}。刚初始化的层会把相关性掩盖掉：
# `projected_dot_variance`让同样的特征经过相互独立的随机矩阵W_Q和W_K（d_k = {{ attention_scaling.projected.d_k }}），
# 对权重抽取{{ attention_scaling.projected.n_draws }}次，
# Var(q·k)/d_k平均为{{ attention_scaling.projected.mean | fixed(2) }}。因此，
# 这个例子展示的是训练学到的W_Q和W_K可能产生的情形，而不是刚初始化的层。

# %%
# --8<-- [start:assumption]
import math

import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split


def standardized_wine() -> np.ndarray:
    """The wine training split, each feature standardized: mean 0, variance 1."""
    X, y = load_wine(return_X_y=True)
    X_tr, _, _, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    return (X_tr - X_tr.mean(0)) / X_tr.std(0)


def real_data_dot_variance(n_pairs: int = 20_000, seed: int = 0) -> dict:
    """Var(q . k) / d_k for pairs of standardized wine samples as q and k."""
    Z = standardized_wine()
    n, d = Z.shape
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, n_pairs)
    j = rng.integers(0, n, n_pairs)
    keep = i != j  # q and k: two different samples
    dots = (Z[i[keep]] * Z[j[keep]]).sum(1)
    corr = np.corrcoef(Z, rowvar=False)
    gram = Z @ Z.T  # every q . k at once
    different = ~np.eye(n, dtype=bool)
    return {
        "d_k": d,
        "var_over_d": float(dots.var() / d),
        "exact_over_d": float(gram[different].var() / d),  # all pairs i != j
        "sum_sq_corr_over_d": float((corr**2).sum() / d),  # tr(C^2) / d
        "scaled_logit_std": float(dots.std() / math.sqrt(d)),
    }


def projected_dot_variance(d_k: int = 64, n_draws: int = 200, seed: int = 0) -> dict:
    """The same features through an initialized layer: q = W_Q x, k = W_K x' with
    independent N(0, 1/d) weights. Var(q . k) / d_k over all pairs x != x', per draw."""
    Z = standardized_wine()
    n, d = Z.shape
    rng = np.random.default_rng(seed)
    different = ~np.eye(n, dtype=bool)
    ratios = []
    for _ in range(n_draws):
        W_Q = rng.normal(0, 1 / math.sqrt(d), (d_k, d))
        W_K = rng.normal(0, 1 / math.sqrt(d), (d_k, d))
        dots = (Z @ W_Q.T) @ (Z @ W_K.T).T
        ratios.append(dots[different].var() / d_k)
    levels = [0.1, 0.9]
    return {
        "d_k": d_k,
        "mean": float(np.mean(ratios)),
        "levels": levels,
        "quantiles": np.quantile(ratios, levels).tolist(),
    }


if __name__ == "__main__":
    r = real_data_dot_variance()
    print(f"wine, d_k = {r['d_k']}: Var(q.k)/d_k = {r['var_over_d']:.2f}"
          f" (all pairs {r['exact_over_d']:.2f}; i.i.d. theory 1,"
          f" correlation theory {r['sum_sq_corr_over_d']:.2f})")
    p = projected_dot_variance()
    print(f"through random W_Q, W_K (d_k = {p['d_k']}): Var(q.k)/d_k = {p['mean']:.2f}"
          f" (10-90 % of draws: {p['quantiles'][0]:.2f}-{p['quantiles'][1]:.2f})")
# --8<-- [end:assumption]

# %% [markdown] lang="en"
# ## After training: aligned queries and keys
#
# Training makes a query and the keys it should attend to point in similar directions. In a minimal
# model each query has one aligned key whose coordinates have correlation ρ =
# {{ attention_scaling.alignment.rho }} with the query's, and
# {{ attention_scaling.alignment.n_keys - 1 }} independent keys; then E[q·k] = ρ d_k grows like d_k,
# while the std, sqrt(d_k (1 + ρ²)), grows like sqrt(d_k). The cell prints both moments next to the
# theory, and the mean attention weight on the aligned key with the standard scale 1/sqrt(d_k) and
# with µP's {{ attention_scaling.alignment.mup_mult | fixed(0) }}/d_k (the two are equal at d_k =
# {{ attention_scaling.alignment.mup_equal_at | fixed(0) }}), over
# {{ attention_scaling.alignment.n_queries }} queries ({{ fig("alignment") }}). With 1/sqrt(d_k) the
# weight climbs from {{ attention_scaling.alignment.weight_sqrt[1] | fixed(3) }} at d_k =
# {{ attention_scaling.alignment.d_k[1] }} to
# {{ attention_scaling.alignment.weight_sqrt[-1] | fixed(3) }} at d_k =
# {{ attention_scaling.alignment.d_k[-1] }}; with µP's scale it settles near its limit
# {{ attention_scaling.alignment.mup_weight_limit | fixed(3) }}
# ({{ attention_scaling.alignment.weight_mup[-1] | fixed(3) }} at d_k =
# {{ attention_scaling.alignment.d_k[-1] }}). That is why µP divides by d_k; the correlation is set by
# hand, so the model illustrates µP's argument and does not measure a trained network.

# %% [markdown] lang="zh"
# ## 训练之后：对齐的查询和键
#
# 训练会让一个查询与它应当关注的键指向相近的方向。在一个最简单的模型中，每个查询有一个对齐的键，
# 它的每个坐标与查询的对应坐标的相关系数为ρ = {{ attention_scaling.alignment.rho }}，
# 另外{{ attention_scaling.alignment.n_keys - 1 }}个键与查询独立；于是E[q·k] = ρ d_k随d_k增长，
# 而标准差sqrt(d_k (1 + ρ²))随sqrt(d_k)增长。代码打印这两个矩及其理论值；
# 再在标准缩放1/sqrt(d_k)和µP的{{ attention_scaling.alignment.mup_mult | fixed(0) }}/d_k（两者在
# d_k = {{ attention_scaling.alignment.mup_equal_at | fixed(0) }}时相等）这两种缩放下，
# 打印对齐的键在{{ attention_scaling.alignment.n_queries }}个查询上所得的平均注意力权重（{{ fig("alignment") }}）。
# 用1/sqrt(d_k)时，这个权重从d_k = {{ attention_scaling.alignment.d_k[1] }}时的
# {{ attention_scaling.alignment.weight_sqrt[1] | fixed(3) }}升到d_k = {{ attention_scaling.alignment.d_k[-1] }}时的
# {{ attention_scaling.alignment.weight_sqrt[-1] | fixed(3) }}；用µP的缩放时，
# 它稳定在极限{{ attention_scaling.alignment.mup_weight_limit | fixed(3) }}
# 附近（d_k = {{ attention_scaling.alignment.d_k[-1] }}时为
# {{ attention_scaling.alignment.weight_mup[-1] | fixed(3) }}）。这正是µP除以d_k的原因；这里的相关性是人为设定的，
# 所以这个模型只是演示µP的论证，并没有测量训练好的网络。

# %%
# --8<-- [start:alignment]
import math

import torch


def aligned_key_attention(
    d_k: int,
    rho: float = 0.2,
    n_keys: int = 64,
    n_queries: int = 1000,
    mup_mult: float = 8.0,
    seed: int = 0,
) -> dict[str, float]:
    """Each query q has one aligned key, corr(q_i, k_i) = rho in every coordinate;
    its other keys are independent of it. All entries have variance 1.

    Returns the mean and std of q . k for the aligned key, and the mean attention weight
    on it with the standard scale 1/sqrt(d_k) and with µP's mup_mult / d_k (mup_mult = 8
    gives the same scale as 1/sqrt(d_k) at d_k = 64).
    """
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, d_k, generator=g, dtype=torch.float64)
    noise = torch.randn(n_queries, d_k, generator=g, dtype=torch.float64)
    k_aligned = rho * q + math.sqrt(1 - rho**2) * noise  # unit variance, corr rho
    k_other = torch.randn(n_keys - 1, d_k, generator=g, dtype=torch.float64)
    dots = torch.cat([(q * k_aligned).sum(-1, keepdim=True), q @ k_other.T], dim=-1)
    weight = {
        name: torch.softmax(dots * scale, dim=-1)[:, 0].mean().item()
        for name, scale in [("sqrt", 1 / math.sqrt(d_k)), ("mup", mup_mult / d_k)]
    }
    return {
        "mean": dots[:, 0].mean().item(),
        "std": dots[:, 0].std().item(),
        "weight_sqrt": weight["sqrt"],
        "weight_mup": weight["mup"],
    }


if __name__ == "__main__":
    rho = 0.2
    for d in (16, 64, 256, 1024):
        r = aligned_key_attention(d, rho)
        print(
            f"d_k={d:5d}  mean q.k={r['mean']:7.1f} (rho d_k={rho * d:6.1f})  "
            f"std={r['std']:5.1f} (sqrt(d_k(1+rho^2))={math.sqrt(d * (1 + rho**2)):5.1f})  "
            f"weight on the aligned key: 1/sqrt(d_k) {r['weight_sqrt']:.3f}, "
            f"8/d_k {r['weight_mup']:.3f}"
        )
# --8<-- [end:alignment]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size (all widths and seeds) and returns every
# number the page quotes; `figures()` draws the page's figures from them, {{ fig_range }} in the
# page's order.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模（全部宽度和随机种子）运行全部实验，返回页面引用的每一个数字；
# `figures()`据此按页面顺序画出{{ fig_range }}。

# %%
import inspect
import json
import math
import statistics

import matplotlib.pyplot as plt
import torch

SWEEP = [4, 16, 64, 256, 1024]
MAP_QUERIES = 16
MAP_D_K = 1024
THRESHOLD = 0.01  # "almost no gradient": below 1 % of the scaled arm's median, same d_k
QUANTILES = [0.1, 0.5, 0.9]
SEEDS = [0, 1, 2, 3, 4]  # draws of queries, keys, values and g for the spread of the gradient
SEED_KEYS = ["logit_std", "max_prob", "entropy", "grad_median", "rel_median", "rel_mean",
             "rel_quantiles", "share_below", "grad_mean"]


def _defaults(*functions) -> dict:
    """The default arguments of the experiments: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _gap_density_at_zero(n: int) -> float:
    """Density at 0 of the gap between the two largest of n i.i.d. N(0, 1) draws:
    the integral of n (n - 1) phi(x)^2 Phi(x)^(n - 2) dx."""
    x = torch.linspace(-9.0, 9.0, 36_001, dtype=torch.float64)
    phi = torch.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    return torch.trapezoid(n * (n - 1) * phi**2 * torch.special.ndtr(x) ** (n - 2), x).item()


def _gradient_row(st: dict, arm: str) -> dict:
    """One arm's numbers at one d_k; gradients relative to the scaled arm's median."""
    s, typical = st[arm], st["scaled"]["grad_norm"].median().item()
    gn = s["grad_norm"]
    rel = gn / typical
    return {
        "logit_std": s["logit_std"],
        "max_prob": s["max_prob"].mean().item(),
        "entropy": s["entropy"].mean().item(),
        "grad_median": gn.median().item(),
        "grad_mean": gn.mean().item(),
        "rel_quantiles": torch.quantile(rel, torch.tensor(QUANTILES, dtype=torch.float64)).tolist(),
        "rel_median": rel.median().item(),
        "rel_mean": rel.mean().item(),
        "share_below": (rel < THRESHOLD).double().mean().item(),
    }


def _saturation_results() -> dict:
    n_keys = _defaults(attention_stats)["n_keys"]
    out = {
        "d_k": SWEEP,
        "ln_n_keys": math.log(n_keys),
        "threshold": THRESHOLD,
        "quantiles": QUANTILES,
        "seeds": SEEDS,
    }
    # rows[seed][d_k index][arm]: every d_k for every seed (new queries, keys, values, g)
    rows = [[{arm: _gradient_row(st, arm) for arm in ("unscaled", "scaled")}
             for st in (attention_stats(d, seed=seed) for d in SWEEP)] for seed in SEEDS]
    # the table and the figure's bands: the first seed's draw, every quantity
    arms = {arm: {name: [r[arm][name] for r in rows[0]] for name in rows[0][0][arm]}
            for arm in ("unscaled", "scaled")}
    # the spread over seeds of the numbers the page quotes: median, min and max per d_k
    over_seeds = {arm: {} for arm in ("unscaled", "scaled")}
    for arm in over_seeds:
        for name in SEED_KEYS:
            per_seed = [[r[arm][name] for r in seed_rows] for seed_rows in rows]
            if name == "rel_quantiles":  # the upper quantile only
                name, per_seed = "rel_upper", [[q[-1] for q in qs] for qs in per_seed]
            by_d = list(zip(*per_seed))
            over_seeds[arm][name] = {
                "per_seed": per_seed,
                "median": [statistics.median(v) for v in by_d],
                "min": [min(v) for v in by_d],
                "max": [max(v) for v in by_d],
            }
    # Large-d_k theory for the unscaled arm: the mean of |dL/dq| comes from near-ties of the
    # two largest logits and tends to f(0) sqrt(2 / pi), f = density of that gap (in units
    # of the logits' std); the typical query's gradient vanishes.
    f0 = _gap_density_at_zero(n_keys)
    return out | arms | _defaults(attention_stats) | {
        "over_seeds": over_seeds,
        "gap_density_at_0": f0,
        "unscaled_mean_limit": f0 * math.sqrt(2 / math.pi),
    }


def _alignment_results() -> dict:
    defaults = _defaults(aligned_key_attention)
    rows = [aligned_key_attention(d) for d in SWEEP]
    rho, mult, n = defaults["rho"], defaults["mup_mult"], defaults["n_keys"]
    return {"d_k": SWEEP} | defaults | {
        name: [r[name] for r in rows] for name in rows[0]
    } | {
        "uniform_weight": 1 / n,
        "mup_equal_at": mult**2,  # mult / d_k = 1 / sqrt(d_k) at d_k = mult^2
        # the µP arm's large-d_k limit: logits (mult rho, 0, ..., 0)
        "mup_weight_limit": math.exp(mult * rho) / (math.exp(mult * rho) + n - 1),
        # closed form for the aligned key: mean rho d_k, variance d_k (1 + rho^2)
        "theory_mean": [rho * d for d in SWEEP],
        "theory_std": [math.sqrt(d * (1 + rho**2)) for d in SWEEP],
    }


def _maps() -> dict:
    g = torch.Generator().manual_seed(1)
    n_keys = _defaults(attention_stats)["n_keys"] // 2
    q = torch.randn(MAP_QUERIES, MAP_D_K, generator=g, dtype=torch.float64)
    k = torch.randn(n_keys, MAP_D_K, generator=g, dtype=torch.float64)
    logits = q @ k.T
    return {
        "d_k": MAP_D_K,
        "n_queries": MAP_QUERIES,
        "n_keys": n_keys,
        "unscaled": torch.softmax(logits, -1).tolist(),
        "scaled": torch.softmax(logits / math.sqrt(MAP_D_K), -1).tolist(),
    }


def results() -> dict:
    dot = dot_product_variance()
    return {
        "dot": dot | _defaults(dot_product_variance) | {"d_k": dot["d_k"]},
        "saturation": _saturation_results(),
        "maps": _maps(),
        "sdpa": compare_sdpa() | _defaults(compare_sdpa),
        "wine": real_data_dot_variance() | _defaults(real_data_dot_variance),
        "projected": projected_dot_variance() | _defaults(projected_dot_variance),
        "alignment": _alignment_results(),
        # the explorer's settings, for the page's text (its values come from explorer_data())
        "explorer": {"d_k": EXPLORER_D_K, "quantiles": EXPLORER_QUANTILES, **_defaults(attention_temperature)},
    }


LABELS = {
    "en": {
        "explorer_title": "Explore: a query's attention over {n} keys, q and k with N(0, 1) entries",
        "explorer_scaled": "Divide the logits by √d_k",
        "explorer_weights_title": "Softmax weights of a typical query (the same in both arms)",
        "explorer_weight": "weight",
        "explorer_uniform": "uniform, 1/{n}",
        "explorer_pairs": "{n} query–key-set pairs ({queries} queries × {sets} sets of keys)",
        "explorer_max_title": "Largest weight, median over {many}",
        "explorer_max_weight": "largest weight",
        "explorer_here": "this setting",
        "explorer_read_max": "that query: largest weight",
        "explorer_read_entropy": "that query: entropy (nats; uniform: {ln})",
        "explorer_read_median_max": "largest weight over {many}: median ({lo}–{hi} %)",
        "explorer_read_median_entropy": "entropy: median ({lo}–{hi} %)",
        "d_k": "d_k (log scale)",
        "variance": "variance (log scale)",
        "theory": "theory: d_k",
        "raw": "q·k",
        "scaled": "q·k / √d_k",
        "unscaled_label": "no scaling",
        "scaled_label": "divided by √d_k",
        "grad": "|∂L/∂q| ÷ scaled median",
        "band": "{lo:.0%}–{hi:.0%} of queries",
        "mean": "mean, no scaling",
        "share": "share of queries below {t:g}",
        "seed_range": "no scaling, min–max over {n} seeds",
        "key": "key",
        "query": "query",
        "weight": "mean weight on the aligned key",
        "w_sqrt": "1/√d_k",
        "w_mup": "{m:g}/d_k (µP)",
    },
    "zh": {
        "explorer_title": "动手试试：一个查询在{n}个键上的注意力，q和k的元素服从N(0, 1)",
        "explorer_scaled": "将logit除以√d_k",
        "explorer_weights_title": "一个典型查询的softmax权重（缩放与否都是同一个查询）",
        "explorer_weight": "权重",
        "explorer_uniform": "均匀权重1/{n}",
        "explorer_pairs": "{n}个查询与键组的组合（{queries}个查询 × {sets}组键）",
        "explorer_max_title": "最大权重的中位数（{many}）",
        "explorer_max_weight": "最大权重",
        "explorer_here": "当前设置",
        "explorer_read_max": "该查询的最大权重",
        "explorer_read_entropy": "该查询的熵（单位：奈特；均匀分布时为{ln}）",
        "explorer_read_median_max": "{many}上最大权重：中位数（{lo}%–{hi}%分位）",
        "explorer_read_median_entropy": "熵：中位数（{lo}%–{hi}%分位）",
        "d_k": "d_k（对数坐标）",
        "variance": "方差（对数坐标）",
        "theory": "理论值：d_k",
        "raw": "q·k",
        "scaled": "q·k / √d_k",
        "unscaled_label": "不缩放",
        "scaled_label": "除以√d_k",
        "grad": "|∂L/∂q| ÷ 缩放组中位数",
        "band": "{lo:.0%}–{hi:.0%}的查询",
        "mean": "均值，不缩放",
        "share": "低于{t:g}的查询比例",
        "seed_range": "不缩放，{n}个随机种子的最小–最大值",
        "key": "键",
        "query": "查询",
        "weight": "对齐的键所得的平均权重",
        "w_sqrt": "1/√d_k",
        "w_mup": "{m:g}/d_k（µP）",
    },
}


def _log2_axis(ax, values) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(values, [str(v) for v in values])
    ax.minorticks_off()


def _log10_yaxis(ax, values, max_ticks: int = 6) -> None:
    """Log y axis with powers of ten written as plain text (no mathtext: faster SVGs)."""
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))
    step = max(1, math.ceil((hi - lo) / (max_ticks - 1)))
    exps = [e for e in range(lo, hi + 1) if e % step == 0]
    ax.set_yscale("log")
    ax.set_yticks([10.0**e for e in exps],
                  [("1" if e == 0 else "10" if e == 1 else "10" + str(e).translate(sup))
                   for e in exps])
    ax.set_ylim(10.0**lo / 2, 10.0**hi * 2)
    ax.yaxis.set_minor_locator(plt.NullLocator())


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    d = res["dot"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    ax.plot(d["d_k"], d["var_raw"], "o-", color="C1", label=L["raw"])
    ax.plot(d["d_k"], d["var_scaled"], "s-", color="C0", label=L["scaled"])
    ax.plot(d["d_k"], d["d_k"], color="C2", linestyle="--", label=L["theory"])
    _log2_axis(ax, d["d_k"])
    ax.set_yscale("log", base=2)
    ax.set_yticks([1, *d["d_k"]], [str(v) for v in [1, *d["d_k"]]])
    ax.minorticks_off()
    ax.set_xlabel(L["d_k"])
    ax.set_ylabel(L["variance"])
    ax.legend()
    figs["variance"] = fig

    m = res["maps"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 2.6), layout="constrained")
    for ax, key in zip(axes, ["unscaled", "scaled"]):
        ax.imshow(m[key], vmin=0, vmax=1, aspect="auto")
        ax.set_title(L[f"{key}_label"])
        ax.grid(False)
        ax.set_xlabel(L["key"])
    axes[0].set_ylabel(L["query"])
    figs["attention_maps"] = fig

    s = res["saturation"]
    arms = [("unscaled", "C1", "o"), ("scaled", "C0", "s")]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    for key, color, marker in arms:
        lo, _, hi = zip(*s[key]["rel_quantiles"])
        axes[0].fill_between(s["d_k"], lo, hi, color=color, alpha=0.2, linewidth=0)
        axes[0].plot(s["d_k"], s[key]["rel_median"], marker=marker, color=color,
                     label=L[f"{key}_label"])
        axes[1].plot(s["d_k"], s[key]["share_below"], marker=marker, color=color)
    spread = s["over_seeds"]["unscaled"]["share_below"]
    seed0 = np.array(s["unscaled"]["share_below"])  # error bars from seed 0's point to the range
    axes[1].errorbar(s["d_k"], seed0, yerr=[seed0 - np.array(spread["min"]),
                                            np.array(spread["max"]) - seed0],
                     fmt="none", ecolor="C7", capsize=3,
                     label=L["seed_range"].format(n=len(s["seeds"])))
    axes[0].plot(s["d_k"], s["unscaled"]["rel_mean"], color="C1", linestyle="--",
                 label=L["mean"])
    axes[0].axhline(s["threshold"], color="C7", linestyle=":")
    axes[0].fill_between([], [], [], color="C7", alpha=0.2,
                         label=L["band"].format(lo=s["quantiles"][0], hi=s["quantiles"][-1]))
    _log10_yaxis(axes[0], [v for key, _, _ in arms for q in s[key]["rel_quantiles"] for v in q]
                 + s["unscaled"]["rel_mean"] + [s["threshold"]])
    axes[0].set_ylabel(L["grad"])
    axes[1].set_ylim(0, 1)
    axes[1].set_ylabel(L["share"].format(t=s["threshold"]))
    for ax in axes:
        _log2_axis(ax, s["d_k"])
        ax.set_xlabel(L["d_k"])
    fig.legend(loc="outside lower center", ncol=2)
    figs["gradient"] = fig

    a = res["alignment"]
    dk = a["d_k"]
    fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
    ax.plot(dk, a["weight_sqrt"], "o-", color="C0", label=L["w_sqrt"])
    ax.plot(dk, a["weight_mup"], "s-", color="C4", label=L["w_mup"].format(m=a["mup_mult"]))
    ax.axhline(a["mup_weight_limit"], color="C4", linestyle="--", linewidth=1)
    ax.axhline(a["uniform_weight"], color="C7", linestyle=":")
    _log2_axis(ax, dk)
    ax.set_ylim(0, 1)
    ax.set_xlabel(L["d_k"])
    ax.set_ylabel(L["weight"])
    ax.legend()
    figs["alignment"] = fig
    return figs


# The page's explorer (an interactive figure; the site's script draws it from this data).
EXPLORER_D_K = [2**k for k in range(11)]  # 1 ... 1024
EXPLORER_QUANTILES = [0.5, 0.1, 0.9]  # the readouts: the median, then the range around it


def attention_temperature(
    d_k: int, n_keys: int = 32, n_queries: int = 200, key_sets: int = 20, seed: int = 0
) -> dict[str, dict]:
    """Softmax weights of N(0, 1) queries over sets of N(0, 1) keys, unscaled and scaled by
    1/sqrt(d_k). Queries and keys are the first d_k coordinates of one draw in 1024 dimensions,
    so a larger d_k adds coordinates to the same vectors. Per arm: every query's weights over
    the first key set, and each (key set, query) pair's largest weight and entropy (nats)."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, max(EXPLORER_D_K), generator=g, dtype=torch.float64)[:, :d_k]
    k = torch.randn(key_sets, n_keys, max(EXPLORER_D_K), generator=g, dtype=torch.float64)[..., :d_k]
    out = {}
    for arm, s in [("unscaled", 1.0), ("scaled", math.sqrt(d_k))]:
        p = torch.softmax(q @ k.transpose(1, 2) / s, dim=-1)  # key set, query, key
        out[arm] = {
            "weights": p[0],
            "max_weight": p.max(-1).values,
            "entropy": -(p * torch.log(p.clamp_min(1e-300))).sum(-1),
        }
    return out


def _quantiles(values: torch.Tensor) -> list[float]:
    """The EXPLORER_QUANTILES of the values: [median, 10th percentile, 90th percentile]."""
    return torch.quantile(values.flatten(), torch.tensor(EXPLORER_QUANTILES, dtype=values.dtype)).tolist()


def explorer_data() -> dict:
    """Every value of the page's explorer: both arms at each d_k of the slider. The query shown
    at each d_k is one of the first key set, the same in both arms (so ticking the scale shows
    what scaling does to one query): the one whose largest weight is, over both arms, closest to
    the middle of the first key set's queries. A typical query, not a lucky one."""
    out = {"d_k": EXPLORER_D_K, **_defaults(attention_temperature), "runs": {}}
    for d in EXPLORER_D_K:
        arms = attention_temperature(d)
        distance = 0
        for r in arms.values():
            first = r["max_weight"][0]
            distance = distance + (first.argsort().argsort().double() / (len(first) - 1) - 0.5).abs()
        shown = int(distance.argmin())
        out["runs"][str(d)] = {arm: {
            "shown_query": shown,
            "weights": r["weights"][shown].tolist(),
            "max_weight": r["max_weight"][0, shown].item(),
            "entropy": r["entropy"][0, shown].item(),
            "max_weight_quantiles": _quantiles(r["max_weight"]),
            "entropy_quantiles": _quantiles(r["entropy"]),
        } for arm, r in arms.items()}
    return {"temperature": out}


def explorers(data: dict, lang: str) -> dict:
    """What the explorer shows, with its text in `lang` (sitebuild/explorers.py)."""
    L = LABELS[lang]
    t = data["temperature"]
    n_keys, pairs = t["n_keys"], t["n_queries"] * t["key_sets"]
    states = []
    for d in t["d_k"]:
        for arm in ["unscaled", "scaled"]:
            run = t["runs"][str(d)][arm]
            states.append({
                "controls": {"d_k": str(d), "scale": arm},
                "series": {
                    "weights": [[j + 1, w] for j, w in enumerate(run["weights"])],
                    "here": [[d, run["max_weight_quantiles"][0]]],
                },
                "values": {"max_weight": run["max_weight"], "entropy": run["entropy"],
                           "median_max_weight": run["max_weight_quantiles"],
                           "median_entropy": run["entropy_quantiles"]},
            })
    curves = [
        {"label": L[arm + "_label"], "color": color, "kind": "line",
         "points": [[d, t["runs"][str(d)][arm]["max_weight_quantiles"][0]] for d in t["d_k"]]}
        for arm, color in [("unscaled", "C1"), ("scaled", "C0")]
    ]
    uniform = {"label": L["explorer_uniform"].format(n=n_keys), "color": "C7", "kind": "line",
               "dashed": True, "points": [[0.5, 1 / n_keys], [n_keys + 0.5, 1 / n_keys]]}
    many = L["explorer_pairs"].format(n=f"{pairs:,}", queries=t["n_queries"], sets=t["key_sets"])
    band = {"lo": round(100 * EXPLORER_QUANTILES[1]), "hi": round(100 * EXPLORER_QUANTILES[2])}
    return {"temperature": {
        "title": L["explorer_title"].format(n=n_keys),
        "controls": [
            {"name": "d_k", "label": "d_k", "kind": "range",
             "options": [{"value": str(d), "text": str(d)} for d in t["d_k"]], "value": "64"},
            {"name": "scale", "label": L["explorer_scaled"], "kind": "checkbox",
             "options": [{"value": "unscaled", "text": L["unscaled_label"]},
                         {"value": "scaled", "text": L["scaled_label"]}]},
        ],
        "charts": [
            {"title": L["explorer_weights_title"], "x": {"label": L["key"]},
             "y": {"label": L["explorer_weight"], "range": [0, 1]},
             "static": [uniform],
             "series": [{"key": "weights", "label": "", "color": "C2", "kind": "bars"}]},
            {"title": L["explorer_max_title"].format(many=many),
             "x": {"label": L["d_k"], "scale": "log"}, "y": {"label": L["explorer_max_weight"], "range": [0, 1]},
             "static": curves,
             "series": [{"key": "here", "label": L["explorer_here"], "color": "C4", "kind": "points"}]},
        ],
        "readouts": [
            {"key": "max_weight", "label": L["explorer_read_max"], "format": ["fixed", 3]},
            {"key": "entropy", "label": L["explorer_read_entropy"].format(ln=f"{math.log(n_keys):.2f}"),
             "format": ["fixed", 2]},
            {"key": "median_max_weight", "label": L["explorer_read_median_max"].format(many=many, **band),
             "format": ["fixed", 3]},
            {"key": "median_entropy", "label": L["explorer_read_median_entropy"].format(**band), "format": ["fixed", 2]},
        ],
        "states": states,
    }}


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
