# %% [markdown] lang="en"
# # Normal vs normalized
#
# The notebook of the page [*Normal vs normalized*]({{ page_url }}) of *Why N(0, 1)?*: "normal" names a
# shape, "normalized" an operation, a rescaling that changes the scale and not the shape. Each section
# below runs one experiment of the page and prints what it found; the last cell computes every number
# the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 正态与标准化
#
# 这是《为什么是N(0, 1)？》中[正态与标准化]({{ page_url }})一页的笔记本：“正态”说的是一种形状，“标准化”说的是一种操作，
# 即只改变尺度、不改变形状的重新缩放。下面每一节运行该页的一个实验，并打印实验结果；
# 最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## Standardizing changes the scale, not the shape
#
# Two synthetic samples of {{ normal_vs_normalized.moments.n | fixed(0) }} values, an exponential (skewed) and a
# mixture of two normals at ±2 (bimodal), and two real features of the training splits, `area error`
# of the breast-cancer data and `pixel_1_1` of the digits. The cell prints the mean, standard
# deviation, skewness and excess kurtosis of each, raw, standardized and min-max scaled: the mean and
# the standard deviation change, the skewness and the excess kurtosis do not (the largest change in
# either is {{ normal_vs_normalized.moments.max_shape_change | sci(0) }}, floating-point rounding;
# {{ fig("standardize_hist") }}). `area error` keeps its skewness of
# {{ normal_vs_normalized.moments.features.cancer_area_error.raw.skew | fixed(2) }} and its excess kurtosis of
# {{ normal_vs_normalized.moments.features.cancer_area_error.raw.excess_kurtosis | fixed(2) }}, where any normal
# distribution has 0 and 0: a straight-line map can move and stretch a histogram but cannot bend it.

# %% [markdown] lang="zh"
# ## 标准化改变尺度，不改变形状
#
# 数据有四组：两个各有{{ normal_vs_normalized.moments.n | fixed(0) }}个值的合成样本（偏斜的指数分布，
# 以及由位于±2的两个正态分布组成的双峰混合分布），以及训练集中的两个真实特征，
# 即乳腺癌数据的`area error`和手写数字的`pixel_1_1`。代码打印每个特征在原始值、标准化后和min-max缩放后的均值、标准差、
# 偏度和超额峰度：均值和标准差变了，偏度和超额峰度却没有变（两者的最大变化只有
# {{ normal_vs_normalized.moments.max_shape_change | sci(0) }}，即浮点舍入误差；{{ fig("standardize_hist") }}）。
# `area error`保持着{{ normal_vs_normalized.moments.features.cancer_area_error.raw.skew | fixed(2) }}的偏度和
# {{ normal_vs_normalized.moments.features.cancer_area_error.raw.excess_kurtosis | fixed(2) }}的超额峰度，
# 而任何正态分布的这两个值都是0：一次函数可以平移、拉伸直方图，却无法把它掰弯。

# %%
# --8<-- [start:moments]
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split


def moments(x: np.ndarray) -> dict[str, float]:
    """Mean, std, skewness and excess kurtosis (0 for a normal distribution)."""
    z = (x - x.mean()) / x.std()
    return {
        "mean": float(x.mean()),
        "std": float(x.std()),
        "skew": float(np.mean(z**3)),
        "excess_kurtosis": float(np.mean(z**4) - 3),
    }


def example_features(n: int = 100_000, seed: int = 0) -> dict[str, np.ndarray]:
    """Two synthetic samples and two real features (training split only)."""
    rng = np.random.default_rng(seed)
    sign = rng.choice([-1.0, 1.0], size=n)
    cancer = load_breast_cancer()
    digits = load_digits()
    c_train, _ = train_test_split(
        cancer.data, test_size=0.25, stratify=cancer.target, random_state=0
    )
    d_train, _ = train_test_split(
        digits.data, test_size=0.25, stratify=digits.target, random_state=0
    )
    area_error = list(cancer.feature_names).index("area error")
    pixel = digits.feature_names.index("pixel_1_1")
    return {
        "exponential": rng.exponential(1.0, n),  # skewed
        "bimodal": 2 * sign + rng.standard_normal(n),  # two bumps at -2, +2
        "cancer: area error": c_train[:, area_error],
        "digits: pixel_1_1": d_train[:, pixel],
    }


if __name__ == "__main__":
    print(f"{'feature':20s} {'scaling':14s}  mean    std  skew  ex.kurt")
    for name, x in example_features().items():
        for scaling, y in [
            ("raw", x),
            ("standardized", (x - x.mean()) / x.std()),
            ("min-max", (x - x.min()) / (x.max() - x.min())),
        ]:
            m = moments(y)
            print(
                f"{name:20s} {scaling:14s} {m['mean']:5.2f} {m['std']:6.2f}"
                f" {m['skew']:5.2f} {m['excess_kurtosis']:8.2f}"
            )
# --8<-- [end:moments]

# %% [markdown] lang="en"
# ## Normalization layers: per feature, per sample, per batch
#
# First {{ normal_vs_normalized.norm_layers.rows_n | fixed(0) }} rows of {{ normal_vs_normalized.norm_layers.d }}
# independent N(0, 1) features, with half of the rows multiplied by {{ normal_vs_normalized.norm_layers.gains[1] | fixed(0) }}
# ("two gains") or with feature 0 given {{ normal_vs_normalized.norm_layers.loud_factor | fixed(0) }} times the spread
# of the others ("loud feature"). The cell prints the skewness, excess kurtosis and KS distance to the raw
# shape of feature 0 after each operation: standardization per feature changes nothing, while
# LayerNorm, which divides each row by its own standard deviation, takes the two-gains excess kurtosis
# from {{ normal_vs_normalized.norm_layers.rows.two_gains.raw.excess_kurtosis | fixed(2) }} to
# {{ normal_vs_normalized.norm_layers.rows.two_gains.layer_norm.excess_kurtosis | fixed(2) | replace("-", "−") }} and
# makes the normal loud feature bimodal (excess kurtosis
# {{ normal_vs_normalized.norm_layers.rows.loud.layer_norm.excess_kurtosis | fixed(2) | replace("-", "−") }}). Then
# training-mode BatchNorm on `area error` (skewness {{ normal_vs_normalized.norm_layers.raw.skew | fixed(2) }}),
# split at random into batches of {{ normal_vs_normalized.norm_layers.batch_sizes | join(", ") }}: a sample's output
# changes from batch to batch, and the outputs pooled over the batches change shape, down to a
# skewness of {{ normal_vs_normalized.norm_layers.batch[0].pooled.skew | abs | fixed(2) }} at batch size
# {{ normal_vs_normalized.norm_layers.batch_sizes[0] }}. The cell splits the data 20 times (the full run behind
# {{ fig("norm_layers") }} splits it {{ normal_vs_normalized.norm_layers.repeats }} times and gets a pooled skewness of
# {{ normal_vs_normalized.norm_layers.batch[-1].pooled.skew | fixed(2) }} at batch size
# {{ normal_vs_normalized.norm_layers.batch_sizes[-1] }}), and at the end lists what each layer learns by gradient
# (`weight` and `bias`) and what BatchNorm only tracks.

# %% [markdown] lang="zh"
# ## 归一化层：逐特征、逐样本、逐批量
#
# 先看{{ normal_vs_normalized.norm_layers.rows_n | fixed(0) }}行数据，
# 每行有{{ normal_vs_normalized.norm_layers.d }}个相互独立的N(0, 1)特征，分两种版本：
# 一半的行乘以{{ normal_vs_normalized.norm_layers.gains[1] | fixed(0) }}（“两种增益”），
# 或者特征0的离散程度是其他特征的{{ normal_vs_normalized.norm_layers.loud_factor | fixed(0) }}倍（下称“大幅值特征”）。
# 代码打印特征0经过每种操作之后的偏度、超额峰度以及与原始形状的KS距离：逐特征标准化什么也没有改变；
# 而LayerNorm把每一行除以它自己的标准差，使“两种增益”
# 的超额峰度从{{ normal_vs_normalized.norm_layers.rows.two_gains.raw.excess_kurtosis | fixed(2) }}变为
# {{ normal_vs_normalized.norm_layers.rows.two_gains.layer_norm.excess_kurtosis | fixed(2) | replace("-", "−") }}，
# 又让原本服从正态分布的大幅值特征变成双峰（超额峰度
# {{ normal_vs_normalized.norm_layers.rows.loud.layer_norm.excess_kurtosis | fixed(2) | replace("-", "−") }}）。
# 然后把训练模式下的BatchNorm用在`area error`上（偏度{{ normal_vs_normalized.norm_layers.raw.skew | fixed(2) }}），
# 随机划分为大小为{{ normal_vs_normalized.norm_layers.batch_sizes | join("、") }}的批量：
# 同一个样本在不同批量中的输出各不相同，各批量的输出合在一起，形状也变了，
# 批量大小为{{ normal_vs_normalized.norm_layers.batch_sizes[0] }}时偏度降到
# {{ normal_vs_normalized.norm_layers.batch[0].pooled.skew | abs | fixed(2) }}。
# 代码只随机划分20次（{{ fig("norm_layers") }}背后的完整实验划分{{ normal_vs_normalized.norm_layers.repeats }}次，
# 批量大小为{{ normal_vs_normalized.norm_layers.batch_sizes[-1] }}时合并后的偏度为
# {{ normal_vs_normalized.norm_layers.batch[-1].pooled.skew | fixed(2) }}），
# 最后还列出每种层由梯度学习的参数（`weight`和`bias`），以及BatchNorm只是跟踪的统计量。

# %%
# --8<-- [start:norm_layers]
import numpy as np
import torch
from scipy.stats import ks_2samp
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from torch import nn


def shape(x: np.ndarray) -> dict[str, float]:
    """Skewness and excess kurtosis (0 and 0 for a normal distribution)."""
    z = (x - x.mean()) / x.std()
    return {"skew": float(np.mean(z**3)), "excess_kurtosis": float(np.mean(z**4) - 3)}


def ks_shape(x: np.ndarray, y: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between x and y after standardizing each: shape only."""
    return float(ks_2samp((x - x.mean()) / x.std(), (y - y.mean()) / y.std()).statistic)


def rows(kind: str, n: int = 20_000, d: int = 16, seed: int = 0) -> torch.Tensor:
    """n samples (rows) of d independent Gaussian features, float64.

    'two gains': each row was recorded at gain 1 or 3 (half the rows each);
    'loud feature': feature 0 has 10 times the spread of the others.
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    if kind == "two gains":
        gain = torch.tensor([1.0, 3.0], dtype=torch.float64)
        return X * gain[torch.randint(2, (n,), generator=g)][:, None]
    X[:, 0] *= 10.0
    return X


def feature_0(X: torch.Tensor) -> dict[str, np.ndarray]:
    """Feature 0 across the samples: raw, standardized per feature, and after a
    fresh LayerNorm and RMSNorm over the row (learned scale 1 and shift 0)."""
    d = X.shape[1]
    with torch.no_grad():
        return {
            "raw": X[:, 0].numpy(),
            "standardized": ((X - X.mean(0)) / X.std(0))[:, 0].numpy(),
            "layer_norm": nn.LayerNorm(d, dtype=X.dtype)(X)[:, 0].numpy(),
            "rms_norm": nn.RMSNorm(d, dtype=X.dtype)(X)[:, 0].numpy(),
        }


def area_error() -> np.ndarray:
    """The breast-cancer feature 'area error', training split."""
    data = load_breast_cancer()
    X_tr, _ = train_test_split(
        data.data, test_size=0.25, stratify=data.target, random_state=0
    )
    return X_tr[:, list(data.feature_names).index("area error")]


def batch_norm_train(
    x: np.ndarray, batch_size: int, repeats: int = 200, seed: int = 0
) -> np.ndarray:
    """Output of training-mode BatchNorm for every sample of one feature x, in
    `repeats` random splits of x into batches: shape (repeats, len(x)); NaN where
    the sample fell in the incomplete last batch (dropped)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(x, dtype=torch.float64)
    n_batches = len(x) // batch_size
    # BatchNorm1d normalizes each channel over the batch: with every batch placed in
    # a channel of its own, one call normalizes all the batches of a split at once
    bn = nn.BatchNorm1d(n_batches, dtype=torch.float64)  # training mode, weight 1, bias 0
    out = torch.full((repeats, len(x)), float("nan"), dtype=torch.float64)
    with torch.no_grad():
        for r in range(repeats):
            idx = torch.randperm(len(x), generator=g)[: n_batches * batch_size]
            batches = x[idx].view(n_batches, batch_size)  # one batch per row
            out[r, idx] = bn(batches.T).T.flatten()
    return out.numpy()


if __name__ == "__main__":
    for kind in ["two gains", "loud feature"]:
        f = feature_0(rows(kind))
        for name, v in f.items():
            s = shape(v)
            print(
                f"{kind:12s} {name:12s} skew {s['skew']:5.2f}  excess kurtosis "
                f"{s['excess_kurtosis']:5.2f}  KS distance to raw {ks_shape(v, f['raw']):.3f}"
            )
    x = area_error()
    print(f"area error, raw: skew {shape(x)['skew']:.2f}")
    for batch_size in [2, 8, 32, 128]:
        out = batch_norm_train(x, batch_size, repeats=20)
        spread = np.nanmedian(np.nanstd(out, axis=0))  # one sample, many batches
        pooled = shape(out[~np.isnan(out)])["skew"]
        print(
            f"BatchNorm (train), batches of {batch_size:3d}: a sample's output varies "
            f"by {spread:.3f} (std); pooled skew {pooled:.2f}"
        )
    for layer in [nn.LayerNorm(4), nn.BatchNorm1d(4)]:
        print(
            f"{type(layer).__name__}: learned by gradient "
            f"{[n for n, _ in layer.named_parameters()]}, not learned "
            f"{[n for n, _ in layer.named_buffers()]}"
        )
# --8<-- [end:norm_layers]

# %% [markdown] lang="en"
# ## Real features are not Gaussian
#
# A Jarque–Bera test written with numpy, JB = n/6 (S² + K²/4) from the skewness S and the excess
# kurtosis K, on every non-constant feature of the breast-cancer and digits training splits, with
# {{ normal_vs_normalized.real.control_columns | fixed(0) }} truly Gaussian columns of the same length as a control.
# The cell prints the share of features for which normality is rejected at the
# {{ normal_vs_normalized.real.alpha | pct(0) }} level: {{ normal_vs_normalized.real.report.cancer.rejected_at_alpha | pct(0) }}
# of the {{ normal_vs_normalized.real.report.cancer.features }} breast-cancer features and
# {{ normal_vs_normalized.real.report.digits.rejected_at_alpha | pct(0) }} of the {{ normal_vs_normalized.real.report.digits.features }}
# digit pixels, against {{ normal_vs_normalized.real.report.control.rejected_at_alpha | pct(1) }} of the control
# columns (printed rounded), about as often as a test at that level should reject normal data
# ({{ fig("real_features") }}). It also prints that {{ normal_vs_normalized.real.digits_zero_share | pct(1) }} of
# all pixel values are exactly 0 and that {{ normal_vs_normalized.real.digits_always_zero_pixels }} of the
# {{ normal_vs_normalized.real.digits_n_pixels }} pixels are 0 in every training image.

# %% [markdown] lang="zh"
# ## 真实特征并不服从高斯分布
#
# 代码用numpy实现Jarque–Bera检验：由偏度S和超额峰度K算出JB = n/6 (S² + K²/4)，
# 对乳腺癌和手写数字训练集中的每个非常数特征做检验；作为对照，
# 还检验了{{ normal_vs_normalized.real.control_columns | fixed(0) }}列长度相同的真正的高斯样本。
# 代码打印在{{ normal_vs_normalized.real.alpha | pct(0) }}水平下拒绝正态性的特征比例：
# {{ normal_vs_normalized.real.report.cancer.features }}个乳腺癌特征中有
# {{ normal_vs_normalized.real.report.cancer.rejected_at_alpha | pct(0) }}，
# {{ normal_vs_normalized.real.report.digits.features }}个手写数字像素中有
# {{ normal_vs_normalized.real.report.digits.rejected_at_alpha | pct(0) }}，
# 而对照列只有{{ normal_vs_normalized.real.report.control.rejected_at_alpha | pct(1) }}（打印时取整），
# 大致正是该水平的检验对正态数据应有的拒绝频率（{{ fig("real_features") }}）。代码还打印出：
# 所有像素值中有{{ normal_vs_normalized.real.digits_zero_share | pct(1) }}恰好为0，
# {{ normal_vs_normalized.real.digits_n_pixels }}个像素中有{{ normal_vs_normalized.real.digits_always_zero_pixels }}
# 个在每张训练图像中都是0。

# %%
# --8<-- [start:real_features]
import math

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split


def skew_kurtosis(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column skewness and excess kurtosis."""
    Z = (X - X.mean(0)) / X.std(0)
    return (Z**3).mean(0), (Z**4).mean(0) - 3


def jarque_bera(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column Jarque-Bera statistic and its asymptotic p-value.

    JB = n/6 * (skew^2 + kurt^2/4) is chi-squared with 2 degrees of freedom
    for normal data, whose survival function is exp(-JB/2).
    """
    skew, kurt = skew_kurtosis(X)
    jb = len(X) / 6 * (skew**2 + kurt**2 / 4)
    return jb, np.exp(-jb / 2)


def training_split(name: str) -> np.ndarray:
    load = load_digits if name == "digits" else load_breast_cancer
    X, y = load(return_X_y=True)
    X_train, _ = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    return X_train


def normality_report(X: np.ndarray, alpha: float = 0.01) -> dict:
    """How far each non-constant column of X is from a normal distribution."""
    X = X[:, X.std(0) > 0]  # a constant column has no skewness
    skew, kurt = skew_kurtosis(X)
    _, p = jarque_bera(X)
    return {
        "features": X.shape[1],
        "rejected_at_alpha": float(np.mean(p < alpha)),
        "abs_skew_above_1": float(np.mean(np.abs(skew) > 1)),
        "median_abs_skew": float(np.median(np.abs(skew))),
        "max_excess_kurtosis": float(kurt.max()),
    }


if __name__ == "__main__":
    cancer, digits = training_split("cancer"), training_split("digits")
    print(f"digits: {np.mean(digits == 0):.1%} of all pixel values are exactly 0;")
    print(f"        {np.sum(digits.max(0) == 0)} of 64 pixels are always 0")
    rng = np.random.default_rng(0)
    for name, X in [
        ("breast cancer", cancer),
        ("digits", digits),
        ("Gaussian control", rng.standard_normal((len(cancer), 1000))),
    ]:
        r = normality_report(X)
        print(
            f"{name:16s} {r['features']:4d} features: normality rejected at 1% "
            f"for {r['rejected_at_alpha']:.0%}, |skew| > 1 for "
            f"{r['abs_skew_above_1']:.0%}"
        )
    print(f"critical JB at 1%: {-2 * math.log(0.01):.2f}")
# --8<-- [end:real_features]

# %% [markdown] lang="en"
# ## Networks learn them anyway
#
# A small MLP (one hidden layer of {{ normal_vs_normalized.classifier.hidden }} ReLU units,
# {{ normal_vs_normalized.classifier.steps }} full-batch Adam steps) trained on the standardized digits and
# breast-cancer features, and on the same features pushed into a Gaussian shape by a quantile
# transform. The cell prints the majority-class share and the test accuracy of one run per input
# (seed 0, learning rate 0.01); the full run behind the page's table gives each input its best
# learning rate of {{ normal_vs_normalized.classifier.lrs | join(", ") }} by median test accuracy over
# {{ normal_vs_normalized.classifier.seeds | length }} seeds. There the median is
# {{ normal_vs_normalized.classifier.digits.standardize.median | pct(1) }} on the standardized digits against
# {{ normal_vs_normalized.classifier.digits.quantile.median | pct(1) }} after the quantile transform, and
# {{ normal_vs_normalized.classifier.cancer.standardize.median | pct(1) }} against
# {{ normal_vs_normalized.classifier.cancer.quantile.median | pct(1) }} on the breast-cancer data. Half-zero,
# integer-valued, heavily skewed inputs are learned to high accuracy, and making them Gaussian first
# buys nothing here.

# %% [markdown] lang="zh"
# ## 网络照样能学会
#
# 训练一个小型多层感知机（MLP，一个含{{ normal_vs_normalized.classifier.hidden }}个ReLU单元的隐藏层，
# 用全批量Adam训练{{ normal_vs_normalized.classifier.steps }}步），输入是标准化后的手写数字和乳腺癌特征，
# 以及经分位数变换压成高斯形状的同样特征。代码打印多数类占比，以及每种输入训练一次的测试准确率（随机种子0，
# 学习率0.01）；页面表格背后的完整实验则在{{ normal_vs_normalized.classifier.lrs | join("、") }}中，
# 按{{ normal_vs_normalized.classifier.seeds | length }}个随机种子上测试准确率的中位数为每种输入选取最佳学习率。
# 在完整实验中，手写数字上测试准确率的中位数在标准化后为
# {{ normal_vs_normalized.classifier.digits.standardize.median | pct(1) }}，
# 分位数变换后为{{ normal_vs_normalized.classifier.digits.quantile.median | pct(1) }}；
# 乳腺癌数据分别为{{ normal_vs_normalized.classifier.cancer.standardize.median | pct(1) }}和
# {{ normal_vs_normalized.classifier.cancer.quantile.median | pct(1) }}。一半是零、只取整数、
# 严重偏斜的输入照样能学到很高的准确率，先把它们变成高斯形状在这里毫无收益。

# %%
# --8<-- [start:classifier]
import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import QuantileTransformer
from torch import nn


def prepared_split(name: str, prep: str = "standardize") -> tuple:
    """Train/test split of 'digits' or 'cancer', rescaled with training statistics.

    prep: 'standardize' (per feature, z-score) or 'quantile' (Gaussian shape).
    """
    load = load_digits if name == "digits" else load_breast_cancer
    X, y = load(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    if prep == "standardize":
        mean, std = X_tr.mean(0), X_tr.std(0)
        std[std == 0] = 1.0  # pixels that are always 0 stay 0
        X_tr, X_te = (X_tr - mean) / std, (X_te - mean) / std
    else:
        qt = QuantileTransformer(
            n_quantiles=min(1000, len(X_tr)), output_distribution="normal"
        ).fit(X_tr)
        X_tr, X_te = qt.transform(X_tr), qt.transform(X_te)

    def t(a):
        return torch.tensor(a, dtype=torch.float32)

    return t(X_tr), torch.tensor(y_tr), t(X_te), torch.tensor(y_te)


def train_mlp(
    name: str,
    prep: str = "standardize",
    hidden: int = 32,
    steps: int = 60,
    lr: float = 0.01,
    seed: int = 0,
) -> float:
    """Full-batch Adam on inputs -> hidden (ReLU) -> classes; test accuracy."""
    X_tr, y_tr, X_te, y_te = prepared_split(name, prep)
    torch.manual_seed(seed)
    n_classes = int(y_tr.max()) + 1
    model = nn.Sequential(
        nn.Linear(X_tr.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, n_classes)
    )
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X_tr), y_tr).backward()
        opt.step()
    with torch.no_grad():
        return (model(X_te).argmax(1) == y_te).float().mean().item()


def train_mlps(
    name: str,
    prep: str = "standardize",
    lrs=(0.003, 0.01, 0.03),
    seeds=(0, 1, 2, 3, 4),
    hidden: int = 32,
    steps: int = 60,
) -> dict[str, np.ndarray]:
    """Test accuracy of train_mlp(name, prep, hidden, steps, lr, seed) for every
    learning rate (rows) and seed (columns), and the same networks' accuracy on
    their own training split, all trained at once: the networks sit side by side
    in one wide layer, each with its own loss and its own Adam."""
    X_tr, y_tr, X_te, y_te = prepared_split(name, prep)
    n_classes = int(y_tr.max()) + 1
    groups = []
    for lr in lrs:
        nets = []
        for seed in seeds:
            torch.manual_seed(seed)  # the initial weights of train_mlp(..., seed)
            nets.append(
                nn.Sequential(
                    nn.Linear(X_tr.shape[1], hidden),
                    nn.ReLU(),
                    nn.Linear(hidden, n_classes),
                )
            )
        params = [  # W1, b1, W2, b2, each with a leading "network" dimension
            torch.stack([getattr(net[i], kind).detach() for net in nets])
            for i in (0, 2)
            for kind in ("weight", "bias")
        ]
        groups.append({"params": [p.requires_grad_(True) for p in params], "lr": lr})
    opt = torch.optim.Adam(groups)

    def logits(X):  # (samples, networks, classes)
        W1, b1, W2, b2 = (torch.cat(p) for p in zip(*(g["params"] for g in groups)))
        H = torch.relu(X @ W1.flatten(0, 1).T + b1.flatten())
        H = H.view(len(X), len(W1), hidden)
        return torch.einsum("nmh,mch->nmc", H, W2) + b2

    y = y_tr[:, None].expand(-1, len(lrs) * len(seeds))
    for _ in range(steps):
        opt.zero_grad()
        losses = nn.functional.cross_entropy(
            logits(X_tr).permute(0, 2, 1), y, reduction="none"
        ).mean(0)  # one mean loss per network; their sum has the same gradients
        losses.sum().backward()
        opt.step()
    with torch.no_grad():
        return {
            split: (logits(X).argmax(2) == y[:, None])
            .float().mean(0).view(len(lrs), len(seeds)).numpy()
            for split, X, y in [("test", X_te, y_te), ("train", X_tr, y_tr)]
        }


def tuned_accuracy(
    name: str, prep: str, lrs=(0.003, 0.01, 0.03), seeds=(0, 1, 2, 3, 4)
) -> dict:
    """Test accuracy for every learning rate and seed, and the best learning rate
    (by median over the seeds, ties by mean). Each preprocessing gets its own.
    'train_median', 'train_min': accuracy on the training split at that rate."""
    runs = train_mlps(name, prep, lrs, seeds)
    acc = runs["test"]
    key = [(np.median(row), np.mean(row)) for row in acc]
    best = max(range(len(lrs)), key=lambda i: key[i])
    return {
        "by_lr": acc.tolist(),
        "best_lr": lrs[best],
        "median": float(np.median(acc[best])),
        "min": float(acc[best].min()),
        "max": float(acc[best].max()),
        "train_median": float(np.median(runs["train"][best])),
        "train_min": float(runs["train"][best].min()),
    }


if __name__ == "__main__":
    torch.set_num_threads(1)  # a model this small runs fastest on one thread
    for name in ["digits", "cancer"]:
        _, _, _, y_te = prepared_split(name)
        majority = np.bincount(y_te.numpy()).max() / len(y_te)
        print(
            f"{name:6s}  majority class {majority:.1%}   test accuracy (seed 0, "
            f"lr 0.01): standardized {train_mlp(name):.1%}, "
            f"quantile-normal {train_mlp(name, 'quantile'):.1%}"
        )
    # the page's table: tuned_accuracy(name, prep) for each data set and prep
# --8<-- [end:classifier]

# %% [markdown] lang="en"
# ## When you do want a Gaussian shape
#
# The Yeo–Johnson power transform and the quantile transform to a normal shape, each fitted on the
# breast-cancer training split, next to standardization. The cell prints the median absolute skewness
# of the {{ normal_vs_normalized.transforms.n_features }} features: on the training split it falls from
# {{ normal_vs_normalized.transforms.standardize.train | fixed(2) }} to {{ normal_vs_normalized.transforms.yeo_johnson.train | fixed(2) }}
# with Yeo–Johnson and to {{ normal_vs_normalized.transforms.quantile.train | fixed(2) }} with the quantile transform,
# but on the test split the quantile transform gives {{ normal_vs_normalized.transforms.quantile.test | fixed(2) }},
# worse than Yeo–Johnson's {{ normal_vs_normalized.transforms.yeo_johnson.test | fixed(2) }} ({{ fig("transforms") }}).
# It then shows two costs. Beyond the training range, the quantile transform maps the training maximum
# of `area error`, {{ normal_vs_normalized.transforms.extrapolation.factors[1] | fixed(0) }} times it and
# {{ normal_vs_normalized.transforms.extrapolation.factors[2] | fixed(0) }} times it all to
# {{ normal_vs_normalized.transforms.extrapolation.quantile[2] | fixed(2) }}; and ties stay ties: the zeros of
# `pixel_1_1`, {{ normal_vs_normalized.transforms.ties.zero_share | pct(1) }} of the training images, all go to one
# value, {{ normal_vs_normalized.transforms.ties.zero_maps_to[0] | fixed(2) }}. Gaussianizing is a modelling choice
# with a price, worth paying when a model really assumes a Gaussian shape.

# %% [markdown] lang="zh"
# ## 确实需要高斯形状的时候
#
# 把Yeo–Johnson幂变换和映射到正态形状的分位数变换都在乳腺癌训练集上拟合，与标准化对比。
# 代码打印{{ normal_vs_normalized.transforms.n_features }}个特征偏度绝对值的中位数：在训练集上，
# 它从{{ normal_vs_normalized.transforms.standardize.train | fixed(2) }}降到
# {{ normal_vs_normalized.transforms.yeo_johnson.train | fixed(2) }}（Yeo–Johnson）
# 和{{ normal_vs_normalized.transforms.quantile.train | fixed(2) }}（分位数变换）；但在测试集上，
# 分位数变换给出{{ normal_vs_normalized.transforms.quantile.test | fixed(2) }}，
# 比Yeo–Johnson的{{ normal_vs_normalized.transforms.yeo_johnson.test | fixed(2) }}还差（{{ fig("transforms") }}）。
# 接着代码展示两种代价。一是外推：分位数变换把`area error`的训练集最大值、
# 它的{{ normal_vs_normalized.transforms.extrapolation.factors[1] | fixed(0) }}倍和
# {{ normal_vs_normalized.transforms.extrapolation.factors[2] | fixed(0) }}倍全都映射到
# {{ normal_vs_normalized.transforms.extrapolation.quantile[2] | fixed(2) }}；二是相同的值依然相同：
# `pixel_1_1`的所有0（占训练图像的{{ normal_vs_normalized.transforms.ties.zero_share | pct(1) }}）
# 都映射到同一个值{{ normal_vs_normalized.transforms.ties.zero_maps_to[0] | fixed(2) }}。
# 把数据变成高斯形状是一种有代价的建模选择，只有当模型确实假设了高斯形状时才值得。

# %%
# --8<-- [start:transforms]
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import (
    PowerTransformer,
    QuantileTransformer,
    StandardScaler,
)


def split(name: str) -> tuple[np.ndarray, np.ndarray]:
    load = load_digits if name == "digits" else load_breast_cancer
    X, y = load(return_X_y=True)
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    return X_tr, X_te


def make_transforms(X_train: np.ndarray) -> dict:
    """Three per-feature transforms, each fitted on the training split only."""
    return {
        "standardize": StandardScaler().fit(X_train),
        "yeo-johnson": PowerTransformer(method="yeo-johnson").fit(X_train),
        "quantile": QuantileTransformer(
            n_quantiles=min(1000, len(X_train)), output_distribution="normal"
        ).fit(X_train),
    }


def median_abs_skew(X: np.ndarray) -> float:
    X = X[:, X.std(0) > 0]
    Z = (X - X.mean(0)) / X.std(0)
    return float(np.median(np.abs((Z**3).mean(0))))


if __name__ == "__main__":
    X_tr, X_te = split("cancer")
    transforms = make_transforms(X_tr)
    for name, tf in transforms.items():
        train = median_abs_skew(tf.transform(X_tr))
        test = median_abs_skew(tf.transform(X_te))
        print(f"{name:12s} median |skew|: train {train:.2f}, test {test:.2f}")
    # Extrapolation: values beyond the training range
    j = 13  # 'area error'
    beyond = np.tile(X_tr.max(0), (3, 1)) * np.array([[1.0], [2.0], [4.0]])
    for name, tf in transforms.items():
        out = tf.transform(beyond)[:, j]
        print(f"{name:12s} max, 2x max, 4x max of area error ->", out.round(2))
    # Ties: a pixel that is 0 in most images
    D_tr, _ = split("digits")
    j = 9  # pixel_1_1
    qt = QuantileTransformer(n_quantiles=1000, output_distribution="normal")
    out = qt.fit(D_tr).transform(D_tr)[:, j]
    print(
        f"pixel_1_1: {np.mean(D_tr[:, j] == 0):.1%} zeros, all mapped to "
        f"{np.unique(out[D_tr[:, j] == 0])}"
    )
# --8<-- [end:transforms]

# %% [markdown] lang="en"
# ## Every normal is a rescaled N(0, 1)
#
# {{ normal_vs_normalized.affine.n | fixed(0) }} draws of μ + σz with z ~ N(0, 1), μ = {{ normal_vs_normalized.affine.mu }}
# and σ = {{ normal_vs_normalized.affine.sigma }}. The cell prints their mean ({{ normal_vs_normalized.affine.mean | fixed(4) }}),
# their standard deviation ({{ normal_vs_normalized.affine.std | fixed(4) }}) and seven quantiles next to
# μ + σΦ⁻¹(p): they are those of N(μ, σ²). With the same seed, `torch.normal` returns on the CPU the same
# numbers as `mu + sigma * torch.randn(...)` (largest difference {{ normal_vs_normalized.affine.max_diff_torch_normal | fixed(1) }}):
# one generator of standard normal numbers serves every Gaussian. The converse is the point of the
# page: standardizing data makes it N(0, 1) only if it was normal to begin with.

# %% [markdown] lang="zh"
# ## 任何正态分布都是缩放平移后的N(0, 1)
#
# 取μ = {{ normal_vs_normalized.affine.mu }}、σ = {{ normal_vs_normalized.affine.sigma }}，
# 抽取{{ normal_vs_normalized.affine.n | fixed(0) }}个μ + σz，其中z ~ N(0, 1)。
# 代码打印它们的均值（{{ normal_vs_normalized.affine.mean | fixed(4) }}）、
# 标准差（{{ normal_vs_normalized.affine.std | fixed(4) }}）以及七个分位数，并与μ + σΦ⁻¹(p)对比：
# 它们正是N(μ, σ²)的分位数。在相同的随机种子下，`torch.normal`在CPU上返回的数与`mu + sigma * torch.randn(...)`
# 完全相同（最大差值为{{ normal_vs_normalized.affine.max_diff_torch_normal | fixed(1) }}）：
# 一个标准正态随机数生成器就能满足所有高斯分布的需要。反过来则是本页的要点：只有数据本来就服从正态分布，标准化之后它才是N(0, 1)。

# %%
# --8<-- [start:affine]
from statistics import NormalDist

import torch


def affine_check(
    mu: float = 3.0, sigma: float = 2.0, n: int = 1_000_000, seed: int = 0
) -> dict:
    """Compare mu + sigma * randn with N(mu, sigma^2) and with torch.normal."""
    torch.manual_seed(seed)
    x = mu + sigma * torch.randn(n, dtype=torch.float64)
    torch.manual_seed(seed)
    y = torch.normal(mu, sigma, size=(n,), dtype=torch.float64)
    probs = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    target = NormalDist(mu, sigma)
    return {
        "mean": x.mean().item(),
        "std": x.std().item(),
        "quantiles": torch.quantile(
            x, torch.tensor(probs, dtype=torch.float64)
        ).tolist(),
        "theory_quantiles": [target.inv_cdf(p) for p in probs],
        "probs": probs,
        "max_diff_torch_normal": (x - y).abs().max().item(),
    }


if __name__ == "__main__":
    r = affine_check()
    print(f"mean {r['mean']:.4f} (mu = 3), std {r['std']:.4f} (sigma = 2)")
    for p, q, t in zip(r["probs"], r["quantiles"], r["theory_quantiles"]):
        print(f"quantile {p:4.2f}: sampled {q:6.3f}, mu + sigma * z_p {t:6.3f}")
    print(f"max |mu + sigma * randn - torch.normal| = {r['max_diff_torch_normal']}")
# --8<-- [end:affine]

# %% [markdown] lang="en"
# ## The page's numbers and figures
#
# `results()` runs every experiment at the page's full size and returns every number the page
# quotes; `figures()` draws the page's figures from them, {{ fig_range }}, numbered as on the page.

# %% [markdown] lang="zh"
# ## 本页的数字和图
#
# `results()`按页面的完整规模运行全部实验，返回页面引用的每一个数字；`figures()`据此画出该页的图，即{{ fig_range }}，
# 编号与页面一致。

# %%
import inspect
import json
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

HIST_BINS = 40
CANCER_FEATURE = "area error"
DIGITS_PIXEL = "pixel_1_1"
ALPHA = 0.01
CONTROL_COLUMNS = 1000
BATCH_SIZES = [2, 8, 32, 128]
LIGHT_FEATURE = "mean smoothness"  # a light-tailed breast-cancer feature
POPULATION = 100_000
CONTROL_REPEATS = 50  # 426 x 50 pooled outputs per batch size
BOOTSTRAPS = 20


def _defaults(*functions) -> dict:
    """The default arguments of the experiment functions (the settings quoted)."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _hist(x: np.ndarray, bins=HIST_BINS) -> dict:
    """A density histogram that figures() can draw."""
    density, edges = np.histogram(x, bins=bins, density=True)
    return {"edges": edges.tolist(), "density": density.tolist()}


def _rescaled_hist(hist: dict, mean: float, std: float) -> dict:
    """The same histogram after x -> (x - mean) / std: same bars, new axis."""
    return {
        "edges": [(e - mean) / std for e in hist["edges"]],
        "density": [d * std for d in hist["density"]],
    }


def _moments_results() -> dict:
    out = {"n": _defaults(example_features)["n"], "features": {}}
    keys = {
        "exponential": "exponential",
        "bimodal": "bimodal",
        "cancer: area error": "cancer_area_error",
        "digits: pixel_1_1": "digits_pixel",
    }
    for name, x in example_features().items():
        std_x = (x - x.mean()) / x.std()
        minmax = (x - x.min()) / (x.max() - x.min())
        integer = bool(np.all(x == np.round(x)))  # pixel values 0..16
        hist = _hist(x, np.arange(-0.5, x.max() + 1) if integer else HIST_BINS)
        out["features"][keys[name]] = {
            "label": name,
            "raw": moments(x),
            "standardized": moments(std_x),
            "minmax": moments(minmax),
            "zero_share": float(np.mean(x == 0)),
            "hist_raw": hist,
            "hist_standardized": _rescaled_hist(hist, x.mean(), x.std()),
        }
    # Largest change of skewness / kurtosis caused by either rescaling
    out["max_shape_change"] = max(
        abs(f[s][k] - f["raw"][k])
        for f in out["features"].values()
        for s in ("standardized", "minmax")
        for k in ("skew", "excess_kurtosis")
    )
    grid = np.linspace(-4, 4, 161)
    out["normal_pdf"] = {
        "x": grid.tolist(),
        "y": (np.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi)).tolist(),
    }
    return out


def _real_features_results() -> dict:
    cancer, digits = training_split("cancer"), training_split("digits")
    rng = np.random.default_rng(0)
    out = {
        "alpha": ALPHA,
        "jb_critical": -2 * math.log(ALPHA),
        "digits_zero_share": float(np.mean(digits == 0)),
        "digits_always_zero_pixels": int(np.sum(digits.max(0) == 0)),
        "digits_n_pixels": int(digits.shape[1]),
        "digits_values": sorted(int(v) for v in np.unique(digits)),
        "cancer_std_min": float(cancer.std(0).min()),
        "cancer_std_max": float(cancer.std(0).max()),
        "n_train": {"cancer": len(cancer), "digits": len(digits)},
        "control_columns": CONTROL_COLUMNS,
        "report": {},
        "scatter": {},
    }
    data = {
        "cancer": cancer,
        "digits": digits,
        "control": rng.standard_normal((len(cancer), CONTROL_COLUMNS)),
    }
    for name, X in data.items():
        out["report"][name] = normality_report(X, ALPHA)
        X = X[:, X.std(0) > 0]
        skew, kurt = skew_kurtosis(X)
        out["scatter"][name] = {"skew": skew.tolist(), "kurtosis": kurt.tolist()}
    return out


def _classifier_results() -> dict:
    out = {**_defaults(train_mlp, tuned_accuracy)}
    out.pop("lr")  # each arm has its own, from lrs
    out["lrs"], out["seeds"] = list(out["lrs"]), list(out["seeds"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is faster, and deterministic
    for name in ["digits", "cancer"]:
        _, y_tr, X_te, y_te = prepared_split(name)
        out[name] = {
            "n_features": int(X_te.shape[1]),
            "n_test": len(y_te),
            "n_classes": int(y_tr.max()) + 1,
            "majority": float(np.bincount(y_te.numpy()).max() / len(y_te)),
        }
        for prep in ["standardize", "quantile"]:
            out[name][prep] = tuned_accuracy(name, prep)
    torch.set_num_threads(threads)
    return out


def _norm_layers_results() -> dict:
    out = {
        "rows_n": _defaults(rows)["n"],
        "d": _defaults(rows)["d"],
        "repeats": _defaults(batch_norm_train)["repeats"],
        "rows": {},
    }
    for kind, key in [("two gains", "two_gains"), ("loud feature", "loud")]:
        f = feature_0(rows(kind))
        z = {name: (v - v.mean()) / v.std() for name, v in f.items()}
        edges = np.linspace(-5, 5, 51)
        out["rows"][key] = {
            name: shape(v) | {"ks_to_raw": ks_shape(v, f["raw"])}
            for name, v in f.items()
        } | {
            "hist": {
                name: _hist(z[name], edges) for name in ("raw", "layer_norm")
            },
        }
    d = out["d"]
    gains = np.array([1.0, 3.0])
    out["theory"] = {
        # a scale mixture g * N(0, 1): kurtosis 3 E[g^4] / E[g^2]^2
        "two_gains_kurtosis": float(3 * np.mean(gains**4) / np.mean(gains**2) ** 2 - 3),
        # one coordinate of a uniformly random direction in m dimensions: -6 / (m + 2);
        # LayerNorm removes the row mean first (m = d - 1), RMSNorm does not (m = d)
        "layer_norm_kurtosis": -6 / (d + 1),
        "rms_norm_kurtosis": -6 / (d + 2),
        "loud_bound": math.sqrt(d - 1),  # largest |LayerNorm output| of one feature
    }
    out["loud_factor"] = 10.0
    out["gains"] = gains.tolist()
    # BatchNorm in training mode: the same sample in different batches
    x = area_error()
    out["feature"] = "area error"
    out["raw"] = shape(x)
    out["n_train"] = len(x)
    out["batch_sizes"] = BATCH_SIZES
    out["batch"] = []
    for b in BATCH_SIZES:
        o = batch_norm_train(x, b)
        pooled = o[~np.isnan(o)]
        out["batch"].append(
            {
                "batch_size": b,
                "spread_median": float(np.nanmedian(np.nanstd(o, axis=0))),
                "pooled": shape(pooled),
                "ks_to_raw": ks_shape(pooled, x),
                "max_abs": float(np.abs(pooled).max()),
                "share_at_pm1": float(np.mean(np.abs(np.abs(pooled) - 1) < 1e-3)),
            }
        )
    # Controls: the pooled shape change for (a) light-tailed features of the same
    # length, (b) a population so large that a batch is a negligible part of it
    data = load_breast_cancer()
    X_tr, _ = train_test_split(
        data.data, test_size=0.25, stratify=data.target, random_state=0
    )
    big = np.random.default_rng(0).choice(x, POPULATION)  # from the empirical distribution
    out["population"] = POPULATION
    out["controls"] = {}
    out["control_repeats"] = CONTROL_REPEATS
    for key, v, repeats in [
        ("gaussian", np.random.default_rng(0).standard_normal(len(x)), CONTROL_REPEATS),
        ("smoothness", X_tr[:, list(data.feature_names).index(LIGHT_FEATURE)], CONTROL_REPEATS),
        ("population", big, 1),  # one split of 100,000 values: ample
    ]:
        out["controls"][key] = {"raw": shape(v), "pooled": []}
        for b in BATCH_SIZES:
            o = batch_norm_train(v, b, repeats=repeats)
            out["controls"][key]["pooled"].append(shape(o[~np.isnan(o)]))
    out["light_feature"] = LIGHT_FEATURE
    # largest change of the pooled skewness / kurtosis from batch 32 on, light-tailed controls
    large = [i for i, b in enumerate(BATCH_SIZES) if b >= 32]
    out["light_max_change"] = {
        k: max(
            abs(out["controls"][c]["pooled"][i][k] - out["controls"][c]["raw"][k])
            for c in ("gaussian", "smoothness")
            for i in large
        )
        for k in ("skew", "excess_kurtosis")
    }
    out["light_from_batch"] = BATCH_SIZES[large[0]]
    # the batch trick equals PyTorch's own call on each batch, one batch at a time
    g = torch.Generator().manual_seed(1)
    xt = torch.as_tensor(x, dtype=torch.float64)
    order = torch.randperm(len(x), generator=g)[: (len(x) // 8) * 8]
    one = torch.nn.BatchNorm1d(1, dtype=torch.float64)
    with torch.no_grad():
        direct = torch.cat([one(xt[i, None])[:, 0] for i in order.split(8)])
        trick = torch.nn.BatchNorm1d(len(order) // 8, dtype=torch.float64)(
            xt[order].view(-1, 8).T
        ).T.flatten()
        out["batch_trick_max_diff"] = (direct - trick).abs().max().item()
        # evaluation mode: running statistics, the same output in any batch
        one.eval()
        outs = []
        out["eval_batchings"] = 20
        for seed in range(out["eval_batchings"]):
            perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
            y = torch.empty_like(xt)
            for i in perm.split(8):
                y[i] = one(xt[i, None])[:, 0]
            outs.append(y)
        ev = torch.stack(outs)
        out["eval_spread_max"] = ev.std(0).max().item()
        out["eval"] = shape(ev[0].numpy())
    # what each layer learns by gradient, and what it only tracks
    layers = {"layer_norm": torch.nn.LayerNorm(4), "batch_norm": torch.nn.BatchNorm1d(4)}
    out["state"] = {
        key: {
            "parameters": [n for n, _ in layer.named_parameters()],
            "buffers": [n for n, _ in layer.named_buffers()],
            "weight_init": layer.weight.detach().tolist(),
            "bias_init": layer.bias.detach().tolist(),
        }
        for key, layer in layers.items()
    }
    bn = torch.nn.BatchNorm1d(1, dtype=torch.float64)
    out["running_batch"] = 32
    batch = xt[: out["running_batch"], None]
    bn(batch)  # a forward pass in training mode, no gradient, no optimizer
    out["running"] = {
        "momentum": bn.momentum,
        "batch_mean": batch.mean().item(),
        "batch_var_unbiased": batch.var().item(),
        "running_mean": bn.running_mean.item(),
        "running_var": bn.running_var.item(),
        "requires_grad": bn.running_mean.requires_grad,
    }
    return out


def _transforms_results() -> dict:
    X_tr, X_te = split("cancer")
    tfs = make_transforms(X_tr)
    out = {
        "n_quantiles": int(tfs["quantile"].n_quantiles_),
        "n_train": len(X_tr),
        "n_features": int(X_tr.shape[1]),
        "raw": {
            "train": median_abs_skew(X_tr),
            "test": median_abs_skew(X_te),
        },
    }
    j = list(load_breast_cancer().feature_names).index(CANCER_FEATURE)
    out["feature"] = CANCER_FEATURE
    out["hist"] = {}
    for name, tf in tfs.items():
        name = name.replace("-", "_")  # yeo_johnson: a key the page can quote
        Z_tr, Z_te = tf.transform(X_tr), tf.transform(X_te)
        z = Z_tr[:, j]
        out[name] = {
            "train": median_abs_skew(Z_tr),
            "test": median_abs_skew(Z_te),
            "feature_skew": float(np.mean(((z - z.mean()) / z.std()) ** 3)),
        }
        out["hist"][name] = _hist(z)
    lambdas = tfs["yeo-johnson"].lambdas_
    out["yeo_johnson"]["lambda_min"] = float(lambdas.min())
    out["yeo_johnson"]["lambda_max"] = float(lambdas.max())
    # Extrapolation beyond the training maximum of the feature
    factors = [1.0, 2.0, 4.0]
    beyond = np.tile(X_tr.max(0), (len(factors), 1)) * np.array(factors)[:, None]
    out["extrapolation"] = {"factors": factors} | {
        name.replace("-", "_"): tf.transform(beyond)[:, j].tolist()
        for name, tf in tfs.items()
    }
    out["quantile_bound"] = float(tfs["quantile"].transform(beyond)[-1, j])
    # Test entries outside the training range, and test entries sent to the bounds
    lo, hi = X_tr.min(0), X_tr.max(0)
    Z_te = tfs["quantile"].transform(X_te)
    out["test_outside_range"] = int(np.sum((X_te < lo) | (X_te > hi)))
    out["test_at_bound"] = int(
        np.sum(np.abs(Z_te) >= out["quantile_bound"] - 1e-9)
    )
    out["test_entries"] = int(X_te.size)
    # Clipping or estimation? (a) the test skewness without the entries at a bound;
    # (b) the same with the quantiles fitted on bootstrap resamples of the training
    # split (other estimates of the same 426 quantiles); (c) the floor: the median
    # |skewness| of columns of 143 values that are exactly N(0, 1)
    bound = out["quantile_bound"]

    def inside(Z):
        return [z[np.abs(z) < bound - 1e-9] for z in Z.T]

    def median_abs_skew_cols(cols):
        return float(np.median([abs(np.mean(((c - c.mean()) / c.std()) ** 3))
                                for c in cols if c.std() > 0]))

    out["quantile"]["test_inside_bounds"] = median_abs_skew_cols(inside(Z_te))
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(BOOTSTRAPS):
        B = X_tr[rng.integers(0, len(X_tr), len(X_tr))]
        qt = QuantileTransformer(
            n_quantiles=min(1000, len(B)), output_distribution="normal"
        ).fit(B)
        boot.append(median_abs_skew_cols(inside(qt.transform(X_te))))
    out["quantile"]["bootstrap_inside_bounds"] = {
        "median": float(np.median(boot)), "min": min(boot), "max": max(boot)
    }
    out["bootstraps"] = BOOTSTRAPS
    n_te = len(X_te)
    floor = [median_abs_skew(rng.standard_normal((n_te, X_te.shape[1])))
             for _ in range(200)]
    out["normal_floor"] = float(np.median(floor))
    out["n_test"] = n_te
    # Ties: the digits pixel that is 0 in most training images
    D_tr, _ = split("digits")
    k = load_digits().feature_names.index(DIGITS_PIXEL)
    qt = QuantileTransformer(
        n_quantiles=min(1000, len(D_tr)), output_distribution="normal"
    ).fit(D_tr)  # only this one of make_transforms(D_tr) is needed
    col = qt.transform(D_tr)[:, k]
    zero_out = np.unique(col[D_tr[:, k] == 0])
    values, counts = np.unique(col, return_counts=True)
    nonzero = col[D_tr[:, k] > 0]
    out["ties"] = {
        "pixel": DIGITS_PIXEL,
        "zero_share": float(np.mean(D_tr[:, k] == 0)),
        "zero_maps_to": zero_out.tolist(),
        "largest_atom_share": float(counts.max() / len(col)),
        "distinct_raw": int(len(np.unique(D_tr[:, k]))),
        "distinct_out": int(len(values)),
        "nonzero_min": float(nonzero.min()),
        "std": float(D_tr[:, k].std()),
        "smallest_nonzero_raw": float(D_tr[D_tr[:, k] > 0, k].min()),
        "excess_kurtosis": float(
            np.mean(((col - col.mean()) / col.std()) ** 4) - 3
        ),
        "hist": _hist(col),
    }
    return out


def _affine_results() -> dict:
    r = affine_check()
    return {**_defaults(affine_check), **r}


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "moments": _moments_results(),
            "norm_layers": _norm_layers_results(),
            "real": _real_features_results(),
            "classifier": _classifier_results(),
            "transforms": _transforms_results(),
            "affine": _affine_results(),
        }


LABELS = {
    "en": {
        "exponential": "exponential",
        "bimodal": "bimodal mixture",
        "cancer_area_error": "breast cancer: area error",
        "digits_pixel": "digits: pixel_1_1",
        "raw": "raw values",
        "standardized": "standardized",
        "density": "density",
        "normal_same": "normal, same mean and std",
        "n01": "N(0, 1)",
        "skew": "skewness",
        "kurtosis": "excess kurtosis",
        "cancer": "breast cancer features",
        "digits": "digit pixels",
        "control": "Gaussian samples (control)",
        "bound": "bound: excess kurtosis ≥ skew² − 2",
        "standardize": "area error, standardized",
        "yeo_johnson": "area error, Yeo-Johnson",
        "quantile": "area error, quantile → normal",
        "ties_title": "digits pixel_1_1, quantile",
        "skew_value": "skew {v:.2f}",
        "skew_kurt": "skew {s:.2f}\nexcess kurtosis {k:.2f}",
        "data": "data",
        "nl_raw": "feature 0, raw",
        "nl_layer_norm": "after LayerNorm",
        "nl_two_gains": "rows at gain 1 or 3",
        "nl_loud": "feature 0 ten times louder",
        "nl_standardized": "value, standardized",
        "nl_batch_size": "batch size",
        "nl_spread": "one sample's BatchNorm output:\nstd over {r} random batches",
        "nl_pooled_skew": "skewness after BatchNorm\n(all outputs pooled)",
        "nl_train_mode": "area error, training mode",
        "nl_eval_mode": "raw = evaluation mode",
        "nl_population": "100,000 draws like area error",
        "nl_gaussian": "Gaussian control (raw skew ≈ 0)",
    },
    "zh": {
        "exponential": "指数分布",
        "bimodal": "双峰混合分布",
        "cancer_area_error": "乳腺癌：area error",
        "digits_pixel": "手写数字：pixel_1_1",
        "raw": "原始值",
        "standardized": "标准化后",
        "density": "密度",
        "normal_same": "均值和标准差相同的正态分布",
        "n01": "N(0, 1)",
        "skew": "偏度",
        "kurtosis": "超额峰度",
        "cancer": "乳腺癌特征",
        "digits": "手写数字像素",
        "control": "高斯样本（对照）",
        "bound": "下界：超额峰度≥偏度² − 2",
        "standardize": "area error，标准化",
        "yeo_johnson": "area error，Yeo-Johnson变换",
        "quantile": "area error，分位数变换→正态",
        "ties_title": "手写数字pixel_1_1，分位数变换",
        "skew_value": "偏度{v:.2f}",
        "skew_kurt": "偏度{s:.2f}\n超额峰度{k:.2f}",
        "data": "数据",
        "nl_raw": "特征0，原始值",
        "nl_layer_norm": "层归一化之后",
        "nl_two_gains": "各行增益为1或3",
        "nl_loud": "特征0的幅度大10倍",
        "nl_standardized": "标准化后的值",
        "nl_batch_size": "批量大小",
        "nl_spread": "同一样本的BatchNorm输出：\n在{r}个随机批量中的标准差",
        "nl_pooled_skew": "BatchNorm之后的偏度\n（全部输出汇总）",
        "nl_train_mode": "area error，训练模式",
        "nl_eval_mode": "原始值 = 评估模式",
        "nl_population": "按area error分布抽取的100,000个值",
        "nl_gaussian": "高斯对照（原始偏度≈0）",
    },
}


def _stairs(ax, hist: dict, color: str) -> None:
    ax.stairs(hist["density"], hist["edges"], color=color, fill=True, alpha=0.5)


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    pdf_x = np.array(res["moments"]["normal_pdf"]["x"])
    pdf_y = np.array(res["moments"]["normal_pdf"]["y"])

    # Before / after standardization, one row per feature
    feats = res["moments"]["features"]
    fig, axes = plt.subplots(4, 2, figsize=(6.4, 8.0), layout="constrained")
    for row, (key, f) in zip(axes, feats.items()):
        m, s = f["raw"]["mean"], f["raw"]["std"]
        _stairs(row[0], f["hist_raw"], "C0")
        row[0].plot(m + s * pdf_x, pdf_y / s, color="C1", linestyle="--")
        row[0].set_ylabel(L["density"])
        row[0].set_title(L[key], loc="left")
        _stairs(row[1], f["hist_standardized"], "C0")
        row[1].plot(pdf_x, pdf_y, color="C1", linestyle="--")
        for ax, scaling in zip(row, ["raw", "standardized"]):
            ax.text(
                0.97,
                0.92,
                L["skew_kurt"].format(
                    s=f[scaling]["skew"], k=f[scaling]["excess_kurtosis"]
                ),
                transform=ax.transAxes,
                ha="right",
                va="top",
            )
            ax.set_ylim(0, 1.5 * ax.get_ylim()[1])  # room for the text
    axes[-1][0].set_xlabel(L["raw"])
    axes[-1][1].set_xlabel(L["standardized"])
    handles = [
        plt.Rectangle((0, 0), 1, 1, color="C0", alpha=0.5),
        plt.Line2D([], [], color="C1", linestyle="--"),
    ]
    fig.legend(
        handles,
        [L["data"], f"{L['normal_same']} / {L['n01']}"],
        loc="outside lower center",
        ncol=2,
    )
    figs["standardize_hist"] = fig

    # Normalization layers: LayerNorm reshapes a feature; BatchNorm depends on the batch
    nl = res["norm_layers"]
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 5.6), layout="constrained")
    for ax, key in zip(axes[0], ["two_gains", "loud"]):
        r = nl["rows"][key]
        for name, color, ls in [("raw", "C0", "-"), ("layer_norm", "C1", "--")]:
            h = r["hist"][name]
            ax.stairs(h["density"], h["edges"], color=color, linestyle=ls,
                      linewidth=1.5, label=L["nl_" + name])
        ax.plot(pdf_x, pdf_y, color="C7", linewidth=0.8, label=L["n01"])
        ax.set_title(L["nl_" + key])
        ax.set_xlabel(L["nl_standardized"])
        ax.set_xlim(-5, 5)
    axes[0][0].set_ylabel(L["density"])
    sizes = [b["batch_size"] for b in nl["batch"]]
    ax = axes[1][0]
    ax.plot(sizes, [b["spread_median"] for b in nl["batch"]], color="C2", marker="o")
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1)
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.set_xlabel(L["nl_batch_size"])
    ax.set_title(L["nl_spread"].format(r=nl["repeats"]))
    ax = axes[1][1]
    ax.plot(sizes, [b["pooled"]["skew"] for b in nl["batch"]], color="C2",
            marker="o", label=L["nl_train_mode"])
    ax.axhline(nl["raw"]["skew"], color="C7", linestyle="--", label=L["nl_eval_mode"])
    for key, color, marker in [("population", "C3", "^"), ("gaussian", "C1", "s")]:
        ax.plot(sizes, [p["skew"] for p in nl["controls"][key]["pooled"]], color=color,
                marker=marker, linestyle=":", label=L["nl_" + key])
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.set_xlabel(L["nl_batch_size"])
    ax.set_title(L["nl_pooled_skew"])
    handles, labels = axes[0][0].get_legend_handles_labels()
    h2, l2 = ax.get_legend_handles_labels()
    fig.legend(handles + h2, labels + l2, loc="outside lower center", ncol=2)
    figs["norm_layers"] = fig
    # Skewness vs excess kurtosis of every real feature and of the control
    r = res["real"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    for name, color, marker, size in [
        ("control", "C2", ".", 6),
        ("digits", "C1", "s", 14),
        ("cancer", "C0", "o", 18),
    ]:
        ax.scatter(
            r["scatter"][name]["skew"],
            r["scatter"][name]["kurtosis"],
            s=size,
            color=color,
            marker=marker,
            alpha=0.7,
            label=L[name],
        )
    xs = np.linspace(-25, 25, 401)
    ax.plot(xs, xs**2 - 2, color="C3", linestyle=":", label=L["bound"])
    ax.plot([0], [0], marker="+", color="C4", markersize=12, linestyle="none")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlim(-3, 60)  # the most skewed digit pixel has skewness ~37
    ax.set_ylim(-3, 2000)  # and excess kurtosis ~1340
    ax.set_xlabel(L["skew"])
    ax.set_ylabel(L["kurtosis"])
    fig.legend(loc="outside lower center", ncol=2)
    figs["real_features"] = fig

    # The three transforms of one skewed feature, and the tie problem
    t = res["transforms"]
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 5.2), layout="constrained")
    panels = [
        (axes[0][0], t["hist"]["standardize"], L["standardize"],
         t["standardize"]["feature_skew"]),
        (axes[0][1], t["hist"]["yeo_johnson"], L["yeo_johnson"],
         t["yeo_johnson"]["feature_skew"]),
        (axes[1][0], t["hist"]["quantile"], L["quantile"],
         t["quantile"]["feature_skew"]),
        (axes[1][1], t["ties"]["hist"], L["ties_title"], None),
    ]
    for ax, hist, title, skew in panels:
        _stairs(ax, hist, "C0")
        ax.plot(pdf_x, pdf_y, color="C1", linestyle="--", label=L["n01"])
        ax.set_title(title)
        if ax is not axes[0][0]:  # the standardized feature keeps its long tail
            ax.set_xlim(-5.6, 5.6)
        if skew is not None:
            ax.text(
                0.97,
                0.9,
                L["skew_value"].format(v=round(skew, 2) + 0.0),  # no "-0.00"
                transform=ax.transAxes,
                ha="right",
                va="top",
            )
    axes[1][1].set_yscale("log")
    axes[0][0].set_ylabel(L["density"])
    axes[1][0].set_ylabel(L["density"])
    figs["transforms"] = fig

    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
