# %% [markdown] lang="en"
# # Losses and priors
#
# The notebook of the page [*Losses and priors*]({{ page_url }}) of *Why N(0, 1)?*. Each section
# below runs one experiment of the page and prints what it found; the last cell computes every
# number the page quotes and draws its figures ({{ fig_range }}). Everything runs on a CPU.

# %% [markdown] lang="zh"
# # 损失与先验
#
# 这是《为什么是N(0, 1)？》中[损失与先验]({{ page_url }})一页的笔记本。下面每一节运行该页的一个实验，并打印实验结果；
# 最后一个代码单元计算该页引用的全部数字，并画出该页的图（{{ fig_range }}）。全部代码都在CPU上运行。

# %% [markdown] lang="en"
# ## MSE is a Gaussian negative log-likelihood
#
# The targets of the {{ losses_and_priors.mse.n }} patients of scikit-learn's diabetes data and the
# predictions of a least-squares linear fit, in float64. With σ = {{ losses_and_priors.mse.sigma | fixed(0) }},
# the Gaussian negative log-likelihood computed by `torch.distributions.Normal` is
# {{ losses_and_priors.mse.nll | fixed(4) }}, which is MSE/(2σ²) + ½ log(2πσ²) with MSE =
# {{ losses_and_priors.mse.mse | fixed(1) }}; the cell prints the difference in each identity, all at most
# {{ losses_and_priors.mse.max_identity_diff | sci(0) }}. `torch.nn.GaussianNLLLoss` takes the variance,
# not σ, and by default leaves out the constant, so it comes out lower than the true negative
# log-likelihood by {{ losses_and_priors.mse.torch_default_gap | fixed(4) }} = ½ log 2π. The σ that
# maximizes the likelihood is the root mean squared error: {{ losses_and_priors.mse.sigma_mle | fixed(4) }}
# found numerically, against an RMSE of {{ losses_and_priors.mse.rmse | fixed(4) }}.

# %% [markdown] lang="zh"
# ## MSE是高斯分布的负对数似然
#
# 数据是scikit-learn糖尿病数据集中{{ losses_and_priors.mse.n }}名患者的目标值，以及最小二乘线性拟合给出的预测值，
# 全部用float64计算。取σ = {{ losses_and_priors.mse.sigma | fixed(0) }}时，
# `torch.distributions.Normal`算出的高斯负对数似然为{{ losses_and_priors.mse.nll | fixed(4) }}，
# 等于MSE/(2σ²) + ½ log(2πσ²)，其中MSE为{{ losses_and_priors.mse.mse | fixed(1) }}；代码打印每个等式两边的差，
# 都不超过{{ losses_and_priors.mse.max_identity_diff | sci(0) }}。`torch.nn.GaussianNLLLoss`接收的是方差而不是σ，
# 而且默认省略常数项，所以比真正的负对数似然小{{ losses_and_priors.mse.torch_default_gap | fixed(4) }}，正是½ log 2π。
# 使似然最大的σ就是均方根误差：数值最大化得到{{ losses_and_priors.mse.sigma_mle | fixed(4) }}，
# 均方根误差为{{ losses_and_priors.mse.rmse | fixed(4) }}。

# %%
# --8<-- [start:mse_nll]
import math

import torch
from sklearn.datasets import load_diabetes
from torch import nn


def diabetes_fit() -> tuple[torch.Tensor, torch.Tensor]:
    """Targets of load_diabetes and a least-squares linear fit (float64)."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X, y = torch.tensor(X), torch.tensor(y)
    A = torch.cat([X, torch.ones(len(X), 1, dtype=X.dtype)], dim=1)
    w = torch.linalg.lstsq(A, y[:, None]).solution
    return y, (A @ w).squeeze(1)


def mse_is_gaussian_nll(sigma: float = 50.0, tiny_var: float = 1e-9) -> dict:
    """Gaussian NLL with fixed sigma against MSE, and GaussianNLLLoss."""
    y, mu = diabetes_fit()
    mse = nn.functional.mse_loss(mu, y)
    nll = -torch.distributions.Normal(mu, sigma).log_prob(y).mean()
    const = 0.5 * math.log(2 * math.pi * sigma**2)
    var = torch.full_like(y, sigma**2)  # GaussianNLLLoss takes var, not sigma
    default = nn.GaussianNLLLoss()(mu, y, var)  # full=False: no log(2 pi)/2
    full = nn.GaussianNLLLoss(full=True)(mu, y, var)
    # eps: var is clamped to at least 1e-6 before use
    clamped = nn.GaussianNLLLoss()(mu, y, torch.full_like(y, tiny_var))
    eps = 1e-6
    # same minimizer: the gradient w.r.t. mu is the MSE gradient / (2 sigma^2)
    m = mu.clone().requires_grad_(True)
    g_mse, = torch.autograd.grad(nn.functional.mse_loss(m, y), m)
    g_nll, = torch.autograd.grad(
        -torch.distributions.Normal(m, sigma).log_prob(y).mean(), m)
    # the sigma that maximizes the likelihood of this fit: sqrt(MSE)
    log_s = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_s], max_iter=100, tolerance_grad=1e-12,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = -torch.distributions.Normal(mu, log_s.exp()).log_prob(y).mean()
        loss.backward()
        return loss

    opt.step(closure)
    return {
        "n": len(y),
        "mse": mse.item(),
        "nll": nll.item(),
        "const": const,
        "nll_vs_formula": abs(nll - (mse / (2 * sigma**2) + const)).item(),
        "torch_full_vs_nll": abs(full - nll).item(),
        "torch_default_gap": (nll - default).item(),  # 0.5 * ln(2 pi)
        "torch_default_vs_formula": abs(
            default - 0.5 * (math.log(sigma**2) + mse / sigma**2)).item(),
        "clamped_rel_diff": abs(
            clamped - 0.5 * (math.log(eps) + mse / eps)).item() / clamped.item(),
        "grad_ratio_max_dev": (g_nll / g_mse * 2 * sigma**2 - 1).abs().max().item(),
        "sigma_mle": log_s.exp().item(),
        "rmse": mse.sqrt().item(),
    }


if __name__ == "__main__":
    for key, value in mse_is_gaussian_nll().items():
        print(f"{key:26s} {value:.6g}")
# --8<-- [end:mse_nll]

# %% [markdown] lang="en"
# ## Learning the variance too
#
# Synthetic data with a known noise level: y = sin(2πx) plus Gaussian noise whose standard deviation
# grows linearly from {{ losses_and_priors.hetero.std_true[0] | fixed(2) }} at x = 0 to
# {{ losses_and_priors.hetero.std_true[-1] | fixed(2) }} at x = 1. A network with one hidden layer of
# {{ losses_and_priors.hetero.hidden }} tanh units outputs a mean and a log-variance and is trained with
# `GaussianNLLLoss` (Adam, {{ losses_and_priors.hetero.steps }} full-batch steps on {{ losses_and_priors.hetero.n }} points).
# The cell prints, as fractions, how closely the learned standard deviation follows the true one, a mean relative
# error of {{ losses_and_priors.hetero.mean_rel_error | pct(1) }} against {{ losses_and_priors.hetero.const_mean_rel_error | pct(0) }}
# for one σ for all x, and the share of fresh points inside the 95% intervals:
# {{ losses_and_priors.hetero.coverage.low | pct(1) }} for x < 0.5 and {{ losses_and_priors.hetero.coverage.high | pct(1) }}
# for x ≥ 0.5 with the learned σ(x), against {{ losses_and_priors.hetero.coverage_const.low | pct(1) }} and
# {{ losses_and_priors.hetero.coverage_const.high | pct(1) }} with one σ ({{ fig("heteroscedastic") }}). One σ gets
# the overall coverage about right only because intervals that are too wide on the left make up for
# intervals that are too narrow on the right.

# %% [markdown] lang="zh"
# ## 把方差也学出来
#
# 数据是合成的，真实的噪声水平已知：y = sin(2πx)加上高斯噪声，
# 噪声标准差从x = 0处的{{ losses_and_priors.hetero.std_true[0] | fixed(2) }}线性增长到x = 1处的
# {{ losses_and_priors.hetero.std_true[-1] | fixed(2) }}。
# 网络只有一个含{{ losses_and_priors.hetero.hidden }}个tanh单元的隐藏层，输出均值和对数方差，
# 用`GaussianNLLLoss`训练（Adam，在{{ losses_and_priors.hetero.n }}个点上做{{ losses_and_priors.hetero.steps }}
# 步全批量训练）。代码打印学到的标准差与真实值的接近程度（打印的是小数）：
# 平均相对误差为{{ losses_and_priors.hetero.mean_rel_error | pct(1) }}，
# 而所有x共用一个σ时为{{ losses_and_priors.hetero.const_mean_rel_error | pct(0) }}；还打印新数据点落在95%区间内的比例：
# 用学到的σ(x)时，x < 0.5和x ≥ 0.5两部分分别为{{ losses_and_priors.hetero.coverage.low | pct(1) }}和
# {{ losses_and_priors.hetero.coverage.high | pct(1) }}，
# 只用一个σ时为{{ losses_and_priors.hetero.coverage_const.low | pct(1) }}和
# {{ losses_and_priors.hetero.coverage_const.high | pct(1) }}（{{ fig("heteroscedastic") }}）。
# 只用一个σ时总体覆盖率大致合适，但那只是因为左边过宽的区间抵消了右边过窄的区间。

# %%
# --8<-- [start:heteroscedastic]
import math

import torch
from torch import nn


def noisy_sine(n: int, seed: int) -> tuple[torch.Tensor, ...]:
    """y = sin(2 pi x) + noise whose standard deviation grows from 0.05 to 0.5."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g)
    std = 0.05 + 0.45 * x
    return x, torch.sin(2 * math.pi * x) + std * torch.randn(n, 1, generator=g), std


def fit_mean_and_variance(
    n: int = 1000, hidden: int = 32, steps: int = 1000, lr: float = 0.02,
    seed: int = 0,
) -> nn.Module:
    """One hidden layer, two outputs: the mean and the log-variance."""
    x, y, _ = noisy_sine(n, seed)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.GaussianNLLLoss()
    for _ in range(steps):
        opt.zero_grad()
        mu, log_var = net(x).unbind(dim=1)
        loss_fn(mu, y[:, 0], log_var.exp()).backward()
        opt.step()
    return net


def evaluate(net: nn.Module, n_train: int = 1000, n_test: int = 20_000) -> dict:
    """Learned std against the true one; 95% intervals on fresh test data."""
    x, y, _ = noisy_sine(n_train, 0)
    with torch.no_grad():
        mu_train = net(x)[:, 0]
        # one sigma for all x: the maximum-likelihood sigma for the same mean
        sigma_const = (y[:, 0] - mu_train).pow(2).mean().sqrt().item()
        grid = torch.linspace(0, 1, 101)[:, None]
        mean_learned, std_learned = net(grid)[:, 0], net(grid)[:, 1].mul(0.5).exp()
        std_true = 0.05 + 0.45 * grid[:, 0]
        xt, yt, _ = noisy_sine(n_test, 1)
        mu, log_var = net(xt).unbind(dim=1)
        err = (yt[:, 0] - mu).abs()
        inside = err <= 1.96 * log_var.mul(0.5).exp()
        inside_const = err <= 1.96 * sigma_const
    low, high = xt[:, 0] < 0.5, xt[:, 0] >= 0.5
    rel = (std_learned - std_true).abs() / std_true
    fit_err = (mean_learned - torch.sin(2 * math.pi * grid[:, 0])).abs()
    return {
        "grid": grid[:, 0].tolist(),
        "std_true": std_true.tolist(),
        "std_learned": std_learned.tolist(),
        "mean_learned": mean_learned.tolist(),
        "sample_x": x[:300, 0].tolist(),  # for the figure
        "sample_y": y[:300, 0].tolist(),
        "sigma_const": sigma_const,
        "mean_rel_error": rel.mean().item(),
        "mean_fit_error": fit_err.max().item(),  # against the true mean
        "mean_fit_error_x": grid[fit_err.argmax(), 0].item(),
        "max_rel_error": rel.max().item(),
        "const_mean_rel_error": ((sigma_const - std_true).abs() / std_true)
        .mean().item(),
        "coverage": {"low": inside[low].float().mean().item(),
                     "high": inside[high].float().mean().item(),
                     "all": inside.float().mean().item()},
        "coverage_const": {"low": inside_const[low].float().mean().item(),
                           "high": inside_const[high].float().mean().item(),
                           "all": inside_const.float().mean().item()},
        # the NLL's gradient w.r.t. the mean is (mu - y) / var: weight 1/var,
        # so a point at x = 0 weighs this many times more than one at x = 1
        "weight_ratio": (std_learned[-1] / std_learned[0]).pow(2).item(),
    }


if __name__ == "__main__":
    res = evaluate(fit_mean_and_variance())
    print(f"learned std vs true std: mean relative error "
          f"{res['mean_rel_error']:.3f} (one constant sigma: "
          f"{res['const_mean_rel_error']:.3f})")
    for x in (0, 50, 100):
        print(f"x = {res['grid'][x]:.2f}: true std {res['std_true'][x]:.3f}, "
              f"learned {res['std_learned'][x]:.3f}")
    print("95% interval coverage, learned std:", res["coverage"])
    print("95% interval coverage, constant:   ", res["coverage_const"])
# --8<-- [end:heteroscedastic]

# %% [markdown] lang="en"
# ## Outliers: mean, median and Huber
#
# The negative log-likelihood of a noise distribution is the loss: Gaussian noise gives the squared
# error, Laplace noise the absolute error, and Huber's loss is quadratic near zero and linear beyond
# a threshold ({{ fig("nll_shapes") }}). The cell takes the {{ losses_and_priors.outliers.n_train }} training
# targets of the diabetes data, multiplies {{ losses_and_priors.outliers.n_outliers }} of them by
# {{ losses_and_priors.outliers.factor | fixed(0) }} (a slipped decimal point) and prints the constant that
# minimizes each loss before and after: the mean moves from {{ losses_and_priors.outliers.constants.clean.mean | fixed(1) }}
# to {{ losses_and_priors.outliers.constants.outliers.mean | fixed(1) }}, the median only from
# {{ losses_and_priors.outliers.constants.clean.median | fixed(0) }} to {{ losses_and_priors.outliers.constants.outliers.median | fixed(0) }},
# and Huber's constant a little more than the median. It then fits a linear model on the
# {{ losses_and_priors.outliers.n_features }} standardized features with each loss: with the outliers the
# least-squares test MAE rises from {{ losses_and_priors.outliers.fits.mse.mae_clean | fixed(1) }} to
# {{ losses_and_priors.outliers.fits.mse.mae_outliers | fixed(1) }} and its coefficients move by
# {{ losses_and_priors.outliers.fits.mse.coef_change | pct(0) }}, while the coefficients of the Huber and L1 fits
# move by {{ losses_and_priors.outliers.fits.huber.coef_change | pct(0) }} and {{ losses_and_priors.outliers.fits.l1.coef_change | pct(0) }}
# ({{ fig("outliers") }}).

# %% [markdown] lang="zh"
# ## 离群点：均值、中位数与Huber
#
# 噪声分布的负对数似然就是损失：高斯噪声给出平方误差，拉普拉斯噪声给出绝对误差，而Huber损失在零附近是二次的、
# 超过阈值后是线性的（{{ fig("nll_shapes") }}）。代码取糖尿病数据的{{ losses_and_priors.outliers.n_train }}
# 个训练目标值，把其中{{ losses_and_priors.outliers.n_outliers }}个乘以
# {{ losses_and_priors.outliers.factor | fixed(0) }}（模拟小数点点错了位置），
# 然后打印加入离群点前后使每种损失最小的常数：均值从{{ losses_and_priors.outliers.constants.clean.mean | fixed(1) }}移到
# {{ losses_and_priors.outliers.constants.outliers.mean | fixed(1) }}，
# 中位数只从{{ losses_and_priors.outliers.constants.clean.median | fixed(0) }}移到
# {{ losses_and_priors.outliers.constants.outliers.median | fixed(0) }}，Huber常数的移动比中位数略多。
# 接着用每种损失在{{ losses_and_priors.outliers.n_features }}个标准化特征上拟合线性模型：有离群点时，
# 最小二乘拟合的测试集MAE从{{ losses_and_priors.outliers.fits.mse.mae_clean | fixed(1) }}升到
# {{ losses_and_priors.outliers.fits.mse.mae_outliers | fixed(1) }}，
# 系数变化{{ losses_and_priors.outliers.fits.mse.coef_change | pct(0) }}；
# 而Huber和L1拟合的系数只变化{{ losses_and_priors.outliers.fits.huber.coef_change | pct(0) }}和
# {{ losses_and_priors.outliers.fits.l1.coef_change | pct(0) }}（{{ fig("outliers") }}）。

# %%
# --8<-- [start:outliers]
import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.datasets import load_diabetes
from sklearn.linear_model import HuberRegressor, LinearRegression, QuantileRegressor
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def diabetes_split() -> tuple[np.ndarray, ...]:
    """Raw diabetes data, 75/25 split, features standardized on the train split."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25,
                                              random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def contaminate(y: np.ndarray, n_outliers: int = 10, factor: float = 10.0,
                seed: int = 0) -> np.ndarray:
    """Multiply a few targets by `factor`, as a slipped decimal point would."""
    rng = np.random.default_rng(seed)
    y = y.copy()
    y[rng.choice(len(y), n_outliers, replace=False)] *= factor
    return y


def huber(r: np.ndarray, delta: float) -> np.ndarray:
    return np.where(np.abs(r) <= delta, 0.5 * r**2,
                    delta * (np.abs(r) - 0.5 * delta))


def best_constants(y: np.ndarray, delta: float = 50.0) -> dict:
    """The constant c minimizing each loss over the targets."""
    losses = {
        "mse": lambda c: np.mean((y - c) ** 2),
        "huber": lambda c: np.mean(huber(y - c, delta)),
        "l1": lambda c: np.mean(np.abs(y - c)),
    }
    out = {name: minimize_scalar(f, bounds=(y.min(), y.max()), method="bounded",
                                 options={"xatol": 1e-9}).x
           for name, f in losses.items()}
    return out | {"mean": y.mean(), "median": np.median(y)}


def three_fits() -> dict:
    """Linear models fitted with each loss (no regularization)."""
    return {
        "mse": LinearRegression(),
        "huber": HuberRegressor(epsilon=1.35, alpha=0.0, max_iter=1000),
        "l1": QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs"),
    }


def outlier_experiment() -> dict:
    X_tr, X_te, y_tr, y_te = diabetes_split()
    y_bad = contaminate(y_tr)
    out = {}
    for name in three_fits():
        clean = three_fits()[name].fit(X_tr, y_tr)
        dirty = three_fits()[name].fit(X_tr, y_bad)
        out[name] = {
            "mae_clean": np.abs(clean.predict(X_te) - y_te).mean(),
            "mae_outliers": np.abs(dirty.predict(X_te) - y_te).mean(),
            "coef_change": np.linalg.norm(dirty.coef_ - clean.coef_)
            / np.linalg.norm(clean.coef_),
        }
    return out


if __name__ == "__main__":
    _, _, y_tr, _ = diabetes_split()
    clean, dirty = best_constants(y_tr), best_constants(contaminate(y_tr))
    for name in clean:
        print(f"best constant {name:6s}: {clean[name]:7.2f} -> {dirty[name]:7.2f}")
    for name, r in outlier_experiment().items():
        print(f"{name:5s} test MAE {r['mae_clean']:.1f} -> {r['mae_outliers']:.1f}"
              f", coefficients move by {r['coef_change']:.0%}")
# --8<-- [end:outliers]

# %% [markdown] lang="en"
# ## MLE does not assume normality
#
# Maximum likelihood needs a family of distributions, and each common family's negative
# log-likelihood is a familiar loss. The cell computes both in float64 on {{ losses_and_priors.families.n }}
# random predictions and targets, the likelihood with `torch.distributions`, and prints their
# difference: Bernoulli against binary cross-entropy, categorical against cross-entropy, Laplace
# against the L1 loss, and Poisson against `poisson_nll_loss` plus the log y! it leaves out
# ({{ losses_and_priors.families.poisson_constant | fixed(1) }} on average); all agree to
# {{ losses_and_priors.families.max_diff | sci(0) }}. The family still decides how well a location is
# estimated: over {{ losses_and_priors.families.efficiency.reps }} samples of {{ losses_and_priors.families.efficiency.n }}
# points, the variance of the median divided by that of the mean is
# {{ losses_and_priors.families.efficiency.gaussian | fixed(2) }} under Gaussian noise (π/2 ≈
# {{ losses_and_priors.families.half_pi | fixed(2) }} asymptotically) and {{ losses_and_priors.families.efficiency.laplace | fixed(2) }}
# under Laplace noise (1/2 asymptotically).

# %% [markdown] lang="zh"
# ## 最大似然估计并不假设正态分布
#
# 最大似然估计需要选定一个分布族，而每种常见分布族的负对数似然都是一个熟悉的损失。
# 代码在{{ losses_and_priors.families.n }}组随机的预测值和目标值上用float64计算两者（似然由`torch.distributions`计算），
# 并打印它们之差：伯努利分布对二元交叉熵，类别分布对交叉熵，拉普拉斯分布对L1损失，
# 泊松分布对`poisson_nll_loss`加上它省略的log y!（平均为{{ losses_and_priors.families.poisson_constant | fixed(1) }}）；
# 差值都不超过{{ losses_and_priors.families.max_diff | sci(0) }}。不过分布族仍然决定位置参数估计得有多好：
# 重复{{ losses_and_priors.families.efficiency.reps }}次、每次{{ losses_and_priors.families.efficiency.n }}个点，
# 中位数的方差与均值的方差之比在高斯噪声下为{{ losses_and_priors.families.efficiency.gaussian | fixed(2) }}（渐近值为
# π/2 ≈ {{ losses_and_priors.families.half_pi | fixed(2) }}），
# 在拉普拉斯噪声下为{{ losses_and_priors.families.efficiency.laplace | fixed(2) }}（渐近值为1/2）。

# %%
# --8<-- [start:families]
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Categorical, Laplace, Poisson


def family_losses(n: int = 1000, classes: int = 5, b: float = 0.7,
                  seed: int = 0) -> dict:
    """|NLL of a family - the torch loss| (float64); 0 up to rounding."""
    g = torch.Generator().manual_seed(seed)
    f64 = torch.float64
    z = 2 * torch.randn(n, generator=g, dtype=f64)  # logits
    y = torch.bernoulli(torch.sigmoid(z), generator=g)
    nll = -Bernoulli(logits=z).log_prob(y).mean()
    bce = F.binary_cross_entropy(torch.sigmoid(z), y)
    bce_logits = F.binary_cross_entropy_with_logits(z, y)
    Z = 2 * torch.randn(n, classes, generator=g, dtype=f64)
    c = torch.multinomial(torch.softmax(Z, 1), 1, generator=g)[:, 0]
    nll_cat = -Categorical(logits=Z).log_prob(c).mean()
    mu = torch.randn(n, generator=g, dtype=f64)
    t = mu + torch.randn(n, generator=g, dtype=f64)
    nll_lap = -Laplace(mu, b).log_prob(t).mean()
    l1 = F.l1_loss(mu, t) / b + math.log(2 * b)
    counts = torch.poisson(z.exp(), generator=g)
    nll_poi = -Poisson(z.exp()).log_prob(counts).mean()
    # PoissonNLLLoss leaves out log(y!)
    poi = F.poisson_nll_loss(z, counts, log_input=True, full=False)
    return {
        "bernoulli_bce": abs(nll - bce).item(),
        "bernoulli_bce_logits": abs(nll - bce_logits).item(),
        "categorical_ce": abs(nll_cat - F.cross_entropy(Z, c)).item(),
        "laplace_l1": abs(nll_lap - l1).item(),
        "poisson": abs(nll_poi - poi - torch.lgamma(counts + 1).mean()).item(),
        "poisson_constant": torch.lgamma(counts + 1).mean().item(),
    }


def mean_vs_median(n: int = 101, reps: int = 4000, seed: int = 0) -> dict:
    """Var(median) / Var(mean) of n samples, under Gaussian and Laplace noise."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, draw in [("gaussian", rng.standard_normal), ("laplace", rng.laplace)]:
        s = draw(size=(reps, n))
        out[name] = np.median(s, axis=1).var() / s.mean(axis=1).var()
    return out


if __name__ == "__main__":
    for name, diff in family_losses().items():
        print(f"{name:22s} {diff:.2e}")
    ratio = mean_vs_median()
    print(f"Var(median)/Var(mean): Gaussian {ratio['gaussian']:.2f} "
          f"(pi/2 = {math.pi / 2:.2f}), Laplace {ratio['laplace']:.2f} (-> 0.5)")
# --8<-- [end:families]

# %% [markdown] lang="en"
# ## Weight decay as a Gaussian prior
#
# For a linear model with noise N(0, σ²) and the prior w ~ N(0, τ²I), the maximum a posteriori (MAP)
# estimate is ridge regression with λ = σ²/τ². The cell uses the {{ losses_and_priors.ridge.n }}
# standardized training patients of the diabetes data, σ = {{ losses_and_priors.ridge.sigma | fixed(1) }}
# estimated from the least-squares residuals and τ = {{ losses_and_priors.ridge.tau | fixed(0) }}, so
# λ = {{ losses_and_priors.ridge.lam | fixed(1) }}; `torch.optim.SGD`, which adds `weight_decay` times w to
# the gradient of the mean loss, then needs a weight decay of 2λ/n = {{ losses_and_priors.ridge.weight_decay | fixed(4) }}.
# It prints these numbers, how far apart the closed form, scikit-learn's `Ridge` and
# {{ losses_and_priors.ridge.steps }} steps of full-batch SGD land (at most {{ losses_and_priors.ridge.max_diff | sci(0) }}),
# the gradient of the negative log-posterior at that point ({{ losses_and_priors.ridge.map_grad | sci(0) }}),
# and the shrinkage: the prior shrinks the coefficient vector to {{ losses_and_priors.ridge.shrinkage | pct(0) }}
# of its least-squares length.

# %% [markdown] lang="zh"
# ## 把权重衰减看作高斯先验
#
# 对噪声为N(0, σ²)、先验为w ~ N(0, τ²I)的线性模型，最大后验（MAP）估计就是λ = σ²/τ²的岭回归。
# 代码使用糖尿病数据中{{ losses_and_priors.ridge.n }}名训练患者的标准化特征，
# 噪声水平σ = {{ losses_and_priors.ridge.sigma | fixed(1) }}由最小二乘残差估计，
# 先验取τ = {{ losses_and_priors.ridge.tau | fixed(0) }}，于是λ = {{ losses_and_priors.ridge.lam | fixed(1) }}；
# `torch.optim.SGD`在平均损失的梯度上加上`weight_decay`乘以w，
# 所以需要的权重衰减系数为2λ/n = {{ losses_and_priors.ridge.weight_decay | fixed(4) }}。代码打印这些数值，以及闭式解、
# scikit-learn的`Ridge`和{{ losses_and_priors.ridge.steps }}步全批量SGD给出的系数相差多少（不超过
# {{ losses_and_priors.ridge.max_diff | sci(0) }}）、
# 负对数后验在这一点的梯度（{{ losses_and_priors.ridge.map_grad | sci(0) }}），还有收缩程度：
# 先验把系数向量的长度收缩到最小二乘解的{{ losses_and_priors.ridge.shrinkage | pct(0) }}。

# %%
# --8<-- [start:weight_decay]
import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def diabetes_split() -> tuple[np.ndarray, ...]:
    """Raw diabetes data, 75/25 split, features standardized on the train split."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25,
                                              random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def map_is_ridge(tau: float = 10.0, lr: float = 0.1, momentum: float = 0.8,
                 steps: int = 300) -> dict:
    X, _, y, _ = diabetes_split()
    n, d = X.shape
    residual = y - LinearRegression().fit(X, y).predict(X)
    sigma = residual.std()  # noise level, estimated from least squares
    lam = sigma**2 / tau**2  # ||y - Xw - b||^2 + lam ||w||^2
    # closed form (the bias is not penalized: centre X and y)
    Xc, yc = X - X.mean(0), y - y.mean()
    w_closed = np.linalg.solve(Xc.T @ Xc + lam * np.eye(d), Xc.T @ yc)
    w_sklearn = Ridge(alpha=lam).fit(X, y).coef_
    # SGD adds weight_decay * w to the gradient of the *mean* squared error,
    # i.e. it minimizes mean(r^2) + wd/2 ||w||^2: so wd = 2 lam / n
    Xt, yt = torch.tensor(X), torch.tensor(y)
    torch.manual_seed(0)
    model = torch.nn.Linear(d, 1).double()
    opt = torch.optim.SGD([
        {"params": [model.weight], "weight_decay": 2 * lam / n},
        {"params": [model.bias], "weight_decay": 0.0},
    ], lr=lr, momentum=momentum)  # momentum changes the path, not the end point
    for _ in range(steps):  # full-batch gradient descent
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(Xt)[:, 0], yt).backward()
        opt.step()
    w_sgd = model.weight.detach().numpy()[0]
    # the negative log-posterior, written with torch.distributions,
    # has zero gradient at the ridge solution
    w = torch.tensor(w_closed, requires_grad=True)
    b = torch.tensor(y.mean() - X.mean(0) @ w_closed, requires_grad=True)
    Normal = torch.distributions.Normal
    neg_log_post = (-Normal(Xt @ w + b, sigma).log_prob(yt).sum()
                    - Normal(0.0, tau).log_prob(w).sum())
    grad = torch.autograd.grad(neg_log_post, [w, b])
    return {
        "n": n, "sigma": sigma, "lam": lam, "weight_decay": 2 * lam / n,
        "closed_vs_sklearn": np.abs(w_closed - w_sklearn).max(),
        "closed_vs_sgd": np.abs(w_closed - w_sgd).max(),
        "map_grad": max(gr.abs().max().item() for gr in grad),
        "shrinkage": np.linalg.norm(w_closed)
        / np.linalg.norm(LinearRegression().fit(X, y).coef_),
    }


if __name__ == "__main__":
    for key, value in map_is_ridge().items():
        print(f"{key:18s} {value:.3g}")
# --8<-- [end:weight_decay]

# %% [markdown] lang="en"
# ## Weight decay before a normalization layer
#
# A network 64 → {{ losses_and_priors.scale.hidden }} (linear, no bias) → LayerNorm → ReLU → 10 on the 8×8
# digits, whose loss does not depend on the size of the first layer's weights W: the cell first
# checks that multiplying W by {{ losses_and_priors.scale.scales | join(", ") }} changes the loss by at most
# {{ losses_and_priors.scale.max_loss_change | sci(0) }} of its value, and only because of LayerNorm's ε. It then
# trains with minibatch SGD, without and with weight decay λ = {{ losses_and_priors.scale.weight_decay }} on W:
# a quick version with seed 0 and η = {{ losses_and_priors.scale.lrs[1] }} only, while the full run behind
# {{ fig("scale_invariance") }} uses η = {{ losses_and_priors.scale.lrs | join(", ") }} and {{ losses_and_priors.scale.seeds }} seeds.
# Without decay ‖W‖ grows and its rotation per step falls; with decay ‖W‖ shrinks until W turns by
# about arccos(1 − ηλ) per step: {{ losses_and_priors.scale.rows[4].angle_last.median | fixed(3) }} rad (median of
# the full run) at η = {{ losses_and_priors.scale.lrs[1] }}, against {{ losses_and_priors.scale.rows[4].angle_theory | fixed(3) }}.
# The last line shows that weight decay is a learning-rate schedule here: SGD without decay, with a
# learning rate for W that grows as η(1 − ηλ)^(−2t−1), makes the same predictions, and its W is longer by
# (1 − ηλ)^(−{{ losses_and_priors.scale.steps }}) = {{ losses_and_priors.scale.equivalence.norm_ratio[1] | fixed(0) }} times.

# %% [markdown] lang="zh"
# ## 归一化层之前的权重衰减
#
# 在8×8手写数字上训练网络64 → {{ losses_and_priors.scale.hidden }}（线性层，无偏置）→ LayerNorm → ReLU → 10，
# 它的损失与第一层权重W的大小无关：代码先验证这一点，把W乘以{{ losses_and_priors.scale.scales | join("、") }}，
# 损失的相对变化至多为{{ losses_and_priors.scale.max_loss_change | sci(0) }}，而且这点变化只来自LayerNorm的ε。
# 然后用小批量SGD训练，分别不加和加上λ = {{ losses_and_priors.scale.weight_decay }}的权重衰减（只作用于W）：
# 这里是快速版，只用随机种子0和η = {{ losses_and_priors.scale.lrs[1] }}；
# {{ fig("scale_invariance") }}背后的完整实验用η = {{ losses_and_priors.scale.lrs | join("、") }}，
# 各{{ losses_and_priors.scale.seeds }}个随机种子。不加衰减时，‖W‖不断变大，每步转过的角度越来越小；加衰减时，
# ‖W‖不断缩小，直到W每步转过约arccos(1 − ηλ)：在η = {{ losses_and_priors.scale.lrs[1] }}时，
# 完整实验的中位数为{{ losses_and_priors.scale.rows[4].angle_last.median | fixed(3) }}弧度，
# 理论值为{{ losses_and_priors.scale.rows[4].angle_theory | fixed(3) }}。最后一行验证了，
# 在这里权重衰减相当于一种学习率调度：不加衰减、但W的学习率按η(1 − ηλ)^(−2t−1)增长的SGD给出同样的预测，
# 只是它的W长了
# (1 − ηλ)^(−{{ losses_and_priors.scale.steps }}) = {{ losses_and_priors.scale.equivalence.norm_ratio[1] | fixed(0) }}倍。

# %%
# --8<-- [start:scale_invariance]
import math

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def digits_split() -> tuple[torch.Tensor, ...]:
    """8x8 digits, 75/25 split, pixels standardized on the train split (float64)."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25,
                                              random_state=0)
    mean, std = X_tr.mean(0), X_tr.std(0) + 1e-8  # some pixels are always 0
    return (torch.tensor((X_tr - mean) / std), torch.tensor((X_te - mean) / std),
            torch.tensor(y_tr), torch.tensor(y_te))


def net(W, V, c, x, eps: float = 1e-5):
    """logits = V relu(LayerNorm(W x)) + c, no bias before the LayerNorm.
    A leading dimension of W, V and c indexes independent networks."""
    z = x @ W.transpose(-1, -2)
    h = F.relu(F.layer_norm(z, z.shape[-1:], eps=eps))
    return h @ V.transpose(-1, -2) + c


def init(seeds, hidden: int = 32, d: int = 64, classes: int = 10):
    """One network per seed: W ~ N(0, 1/d), V ~ N(0, 1/hidden), c = 0."""
    f64, W, V = torch.float64, [], []
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        W.append(torch.randn(hidden, d, generator=g, dtype=f64) / math.sqrt(d))
        V.append(torch.randn(classes, hidden, generator=g, dtype=f64)
                 / math.sqrt(hidden))
    return torch.stack(W), torch.stack(V), torch.zeros(len(seeds), 1, classes,
                                                        dtype=f64)


def invariance(scales=(0.5, 2.0, 10.0), eps: float = 1e-5, seed: int = 0) -> dict:
    """Loss and gradient at c W against those at W (training set, float64)."""
    X, _, y, _ = digits_split()
    W, V, c = init([seed])

    def loss_and_grad(W):
        W = W.clone().requires_grad_(True)
        loss = F.cross_entropy(net(W, V, c, X, eps)[0], y)
        return loss.item(), torch.autograd.grad(loss, W)[0]

    loss, grad = loss_and_grad(W)
    out = {"cos_grad_w": ((grad * W).sum() / (grad.norm() * W.norm())).item(),
           "loss_change": [], "grad_error": []}
    for s in scales:
        loss_s, grad_s = loss_and_grad(s * W)
        out["loss_change"].append(abs(loss_s - loss) / loss)
        # scale invariance predicts grad(c W) = grad(W) / c
        out["grad_error"].append(((s * grad_s - grad).norm() / grad.norm()).item())
    return out


def train(lrs, wds, seeds, steps: int = 300, batch: int = 32, eps: float = 0.0,
          decay_as_lr=None) -> dict:
    """Minibatch SGD of len(lrs) networks at once. Weight decay wd acts on W
    only (the weights before the LayerNorm). A network k with decay_as_lr[k]
    does not decay W; its learning rate for W grows as lr (1 - lr wd)^(-2t-1).
    eps = 0 makes the LayerNorm exactly scale-invariant."""
    X, X_te, y, y_te = digits_split()
    W, V, c = init(seeds)
    lr = torch.tensor(lrs, dtype=torch.float64)[:, None, None]
    wd = torch.tensor(wds, dtype=torch.float64)[:, None, None]
    as_lr = torch.tensor(decay_as_lr or [False] * len(lrs))[:, None, None]
    # the same seed draws the same minibatches, whatever lr and wd
    idx = torch.stack([torch.randint(len(X), (steps, batch),
                                     generator=torch.Generator().manual_seed(s))
                       for s in seeds])
    norm, angle = [W.flatten(1).norm(dim=1)], []
    for t in range(steps):
        W, V, c = (p.detach().requires_grad_(True) for p in (W, V, c))
        logits = net(W, V, c, X[idx[:, t]], eps)
        # the sum over networks of each network's mean loss
        loss = F.cross_entropy(logits.flatten(0, 1), y[idx[:, t]].flatten(),
                               reduction="sum") / batch
        gW, gV, gc = torch.autograd.grad(loss, (W, V, c))
        with torch.no_grad():
            # W - lr (gW + wd W), which is SGD's weight_decay, or no decay
            # and a learning rate lr (1 - lr wd)^(-2t-1)
            decay = torch.where(as_lr, 1.0, 1 - lr * wd)
            growth = torch.where(as_lr, (1 - lr * wd) ** (-2 * t - 1), 1.0)
            W_new = decay * W - lr * growth * gW
            cos = F.cosine_similarity(W_new.flatten(1), W.flatten(1))
            angle.append(torch.arccos(cos.clamp(-1, 1)))  # radians per step
            W, V, c = W_new, V - lr * gV, c - lr * gc
            norm.append(W.flatten(1).norm(dim=1))
    with torch.no_grad():
        logits = net(W, V, c, X_te, eps)
    return {"norm": torch.stack(norm), "angle": torch.stack(angle),
            "test_logits": logits,
            "test_acc": (logits.argmax(-1) == y_te).double().mean(1)}


if __name__ == "__main__":
    inv = invariance()
    print(f"loss at c W vs W, relative change: {inv['loss_change']}; "
          f"|c grad(c W) - grad(W)| / |grad(W)|: {inv['grad_error']}; "
          f"cos(grad, W) = {inv['cos_grad_w']:.1e}")
    lr, wd = 0.3, 0.05
    # no decay; decay; no decay but the growing learning rate instead
    r = train([lr] * 3, [0.0, wd, wd], [0] * 3, decay_as_lr=[False, False, True])
    for k, name in enumerate(["no decay", f"weight decay {wd}"]):
        rms = r["angle"][-100:, k].pow(2).mean().sqrt()
        print(f"{name:17s}: |W| {r['norm'][0, k]:.2f} -> {r['norm'][-1, k]:.2f}, "
              f"angle per step (last 100) {rms:.4f} rad, "
              f"test accuracy {r['test_acc'][k]:.3f}")
    print(f"equilibrium angle arccos(1 - lr wd) = {math.acos(1 - lr * wd):.4f}")
    logits, norm, steps = r["test_logits"], r["norm"][-1], len(r["angle"])
    print(f"decay vs growing learning rate: logits differ by at most "
          f"{(logits[1] - logits[2]).abs().max():.1e}; norm ratio "
          f"{norm[2] / norm[1]:.4g}, (1 - lr wd)^-steps "
          f"{(1 - lr * wd) ** -steps:.4g}")
# --8<-- [end:scale_invariance]

# %% [markdown] lang="en"
# ## Training with input noise is ridge regression
#
# For a linear model and input noise with mean 0 and covariance s²I, the expected squared error is
# the MSE plus s²‖w‖², a ridge penalty, whatever the shape of the noise. The cell averages the noisy
# loss at the least-squares weights over {{ losses_and_priors.noise.draws }} draws of Gaussian and of uniform noise
# for s = {{ losses_and_priors.noise.mc.s[0] }}, {{ losses_and_priors.noise.mc.s[1] }} and {{ losses_and_priors.noise.mc.s[2] }},
# and prints the averages next to the formula: they are within {{ losses_and_priors.noise.mc_max_rel_error | pct(1) }}
# (Gaussian) and {{ losses_and_priors.noise.mc_uniform_max_rel_error | pct(1) }} (uniform) of it ({{ fig("input_noise") }}).
# It then trains the linear model with fresh Gaussian noise (s = {{ losses_and_priors.noise.s }}) at every step:
# the weights averaged over the second half of {{ losses_and_priors.noise.steps }} steps lie at a relative distance
# of {{ losses_and_priors.noise.train.noise_to_ridge | pct(1) }} from ridge with α = n s² = {{ losses_and_priors.noise.train.alpha | fixed(2) }},
# where the least-squares weights are {{ losses_and_priors.noise.train.ols_to_ridge | pct(0) }} away (both printed
# as fractions).

# %% [markdown] lang="zh"
# ## 带输入噪声训练就是岭回归
#
# 对线性模型和均值为0、协方差为s²I的输入噪声，期望平方误差等于MSE加上s²‖w‖²，也就是岭回归的惩罚项，与噪声的形状无关。
# 代码在最小二乘权重处，对s = {{ losses_and_priors.noise.mc.s[0] }}、
# {{ losses_and_priors.noise.mc.s[1] }}和{{ losses_and_priors.noise.mc.s[2] }}，
# 分别抽取高斯噪声和均匀噪声各{{ losses_and_priors.noise.draws }}次，求带噪声损失的平均值，并与公式对比：
# 平均值与公式的相对差异在{{ losses_and_priors.noise.mc_max_rel_error | pct(1) }}（高斯噪声）
# 和{{ losses_and_priors.noise.mc_uniform_max_rel_error | pct(1) }}（均匀噪声）以内（{{ fig("input_noise") }}）。
# 接着每一步都重新抽取高斯噪声（s = {{ losses_and_priors.noise.s }}）来训练线性模型：
# 对{{ losses_and_priors.noise.steps }}步中后一半的权重取平均，
# 它与α = n s² = {{ losses_and_priors.noise.train.alpha | fixed(2) }}的岭回归解的相对距离为
# {{ losses_and_priors.noise.train.noise_to_ridge | pct(1) }}，
# 而最小二乘权重与它相距{{ losses_and_priors.noise.train.ols_to_ridge | pct(0) }}（两者打印的都是小数）。

# %%
# --8<-- [start:input_noise]
import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def diabetes_split() -> tuple[np.ndarray, ...]:
    """Raw diabetes data, 75/25 split, features standardized on the train split."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25,
                                              random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def expected_noisy_loss(s_values: tuple = (0.25, 0.5, 1.0), draws: int = 200,
                        seed: int = 0) -> dict:
    """Monte Carlo mean of the noisy-input MSE at the least-squares weights."""
    X, _, y, _ = diabetes_split()
    ols = LinearRegression().fit(X, y)
    w, b = ols.coef_, ols.intercept_
    rng = np.random.default_rng(seed)
    mse = np.mean((X @ w + b - y) ** 2)
    out = {"mse": mse, "s": list(s_values), "theory": [], "gaussian": [],
           "gaussian_se": [], "uniform": [], "uniform_se": []}
    for s in s_values:
        noise = {  # both with mean 0 and covariance s^2 I
            "gaussian": rng.normal(0, s, size=(draws, *X.shape)),
            "uniform": rng.uniform(-s * 3**0.5, s * 3**0.5, (draws, *X.shape)),
        }
        for name, e in noise.items():
            losses = np.mean(((X + e) @ w + b - y) ** 2, axis=1)
            out[name].append(losses.mean())
            out[f"{name}_se"].append(losses.std() / draws**0.5)  # std. error
        out["theory"].append(mse + s**2 * w @ w)
    return out


def train_with_input_noise(s: float = 0.5, lr: float = 0.05, steps: int = 1000,
                           seed: int = 0) -> dict:
    """Full-batch gradient descent on MSE, fresh N(0, s^2) input noise each step;
    the weights averaged over the second half of training."""
    X, _, y, _ = diabetes_split()
    n, d = X.shape
    Xt, yt = torch.tensor(X), torch.tensor(y)
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = torch.nn.Linear(d, 1).double()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    w_avg = np.zeros(d)
    for step in range(steps):
        noisy = Xt + s * torch.randn(n, d, generator=g, dtype=torch.float64)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(noisy)[:, 0], yt).backward()
        opt.step()
        if step >= steps // 2:
            w_avg += model.weight.detach().numpy()[0] / (steps - steps // 2)
    # mean(r^2) + s^2 ||w||^2  <=>  ||r||^2 + n s^2 ||w||^2
    w_ridge = Ridge(alpha=n * s**2).fit(X, y).coef_
    w_ols = LinearRegression().fit(X, y).coef_
    norm = np.linalg.norm(w_ridge)
    return {
        "w_noise": w_avg.tolist(), "w_ridge": w_ridge.tolist(),
        "w_ols": w_ols.tolist(), "alpha": n * s**2,
        "noise_to_ridge": np.linalg.norm(w_avg - w_ridge) / norm,
        "last_to_ridge": np.linalg.norm(model.weight.detach().numpy()[0]
                                        - w_ridge) / norm,
        "ols_to_ridge": np.linalg.norm(w_ols - w_ridge) / norm,
    }


if __name__ == "__main__":
    mc = expected_noisy_loss()
    for s, t, ga, un in zip(mc["s"], mc["theory"], mc["gaussian"], mc["uniform"]):
        print(f"s = {s}: MSE + s^2 ||w||^2 = {t:.1f}, Monte Carlo: Gaussian noise"
              f" {ga:.1f}, uniform noise {un:.1f}")
    r = train_with_input_noise()
    print(f"noise-trained weights vs ridge (alpha = n s^2 = {r['alpha']:.1f}):"
          f" relative distance {r['noise_to_ridge']:.4f}"
          f" (least squares: {r['ols_to_ridge']:.3f})")
# --8<-- [end:input_noise]

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

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_diabetes


def _defaults(*functions) -> dict:
    """The default arguments of the experiments: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _floats(obj):
    """numpy scalars to Python floats, recursively (for JSON)."""
    if isinstance(obj, dict):
        return {k: _floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_floats(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    return obj


def _outlier_results() -> dict:
    X_tr, _, y_tr, y_te = diabetes_split()
    y_bad = contaminate(y_tr)
    return {
        "n_features": X_tr.shape[1],
        **_defaults(contaminate, best_constants),
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "max_clean": y_tr.max(),
        "min_outlier": np.sort(y_bad)[-_defaults(contaminate)["n_outliers"]],
        "constants": {"clean": best_constants(y_tr),
                      "outliers": best_constants(y_bad)},
        "fits": outlier_experiment(),
    }


def _input_noise_results() -> dict:
    mc = expected_noisy_loss()
    rel = [abs(a - t) / t for a, t in zip(mc["gaussian"], mc["theory"])]
    rel_u = [abs(a - t) / t for a, t in zip(mc["uniform"], mc["theory"])]
    return {
        **_defaults(expected_noisy_loss, train_with_input_noise),
        "mc": mc,
        "mc_max_rel_error": max(rel),
        "mc_uniform_max_rel_error": max(rel_u),
        "mc_max_z": max(abs(a - t) / se for name in ("gaussian", "uniform")
                        for a, t, se in zip(mc[name], mc["theory"],
                                            mc[f"{name}_se"])),
        "train": train_with_input_noise(),
    }


SCALE_LRS = [0.1, 0.3, 1.0]  # the learning-rate sweep, each arm
SCALE_WD = 0.05  # large, so that the norm settles within the run
SCALE_SEEDS = [0, 1, 2, 3, 4]


def _spread(v: torch.Tensor) -> dict:
    """Median, min and max over seeds (the last dimension)."""
    return {"median": v.median(-1).values.tolist() if v.dim() > 1
            else v.median().item(),
            "min": v.min(-1).values.tolist() if v.dim() > 1 else v.min().item(),
            "max": v.max(-1).values.tolist() if v.dim() > 1 else v.max().item()}


def _scale_results() -> dict:
    inv, inv0 = invariance(), invariance(eps=0.0)
    d = _defaults(invariance, train, init)
    X_tr, X_te, _, _ = digits_split()
    sizes = {"n_train": len(X_tr), "n_test": len(X_te)}
    cfg = [(lr, wd, s) for wd in (0.0, SCALE_WD) for lr in SCALE_LRS
           for s in SCALE_SEEDS]
    n = len(SCALE_LRS)
    # plus, for seed 0, no decay but the growing learning rate (Li & Arora)
    lrs, wds, seeds = (list(v) for v in zip(*cfg))
    paired = [cfg.index((lr, SCALE_WD, 0)) for lr in SCALE_LRS]
    run = train(lrs + SCALE_LRS, wds + [SCALE_WD] * n, seeds + [0] * n,
                decay_as_lr=[False] * len(cfg) + [True] * n)
    steps = d["steps"]
    rows = []
    for arm, wd in [("no_decay", 0.0), ("decay", SCALE_WD)]:
        for lr in SCALE_LRS:
            ks = [i for i, (l_, w_, _) in enumerate(cfg) if l_ == lr and w_ == wd]
            norm, angle = run["norm"][:, ks], run["angle"][:, ks]
            # RMS angle per step over blocks of 10 steps, for the figure
            blocks = angle.reshape(steps // 10, 10, -1).pow(2).mean(1).sqrt()
            rows.append({
                "arm": arm, "lr": lr, "wd": wd,
                "norm_init": norm[0].median().item(),
                "norm_final": _spread(norm[-1]),
                # still shrinking over the last 50 steps, in every seed
                "norm_falling": bool((norm[-1] < norm[-51]).all()),
                "norm_grew": bool((norm[-1] > norm[0]).all()),
                "angle_first": _spread(angle[:100].pow(2).mean(0).sqrt()),
                "angle_last": _spread(angle[-100:].pow(2).mean(0).sqrt()),
                "angle_theory": math.acos(1 - lr * wd),
                "sqrt_2_lr_wd": math.sqrt(2 * lr * wd),
                "acc": _spread(run["test_acc"][ks]),
                "norm_curve": _spread(norm[::5]),
                "angle_curve": _spread(blocks),
                # per seed, paired with the other arm (same init, same batches)
                "norm_final_seeds": norm[-1].tolist(),
                "angle_last_seeds": angle[-100:].pow(2).mean(0).sqrt().tolist(),
            })
    best = {arm: max((r for r in rows if r["arm"] == arm),
                     key=lambda r: r["acc"]["median"])
            for arm in ("no_decay", "decay")}
    # weight decay = no decay + a growing learning rate, run by run (seed 0)
    logits, norm = run["test_logits"], run["norm"][-1]
    a, b = paired, list(range(len(cfg), len(cfg) + n))
    ratio = norm[b] / norm[a]
    predicted = torch.tensor([(1 - lr * SCALE_WD) ** -steps for lr in SCALE_LRS],
                             dtype=torch.float64)
    equiv = {
        "logit_rel_diff": ((logits[a] - logits[b]).abs().amax((1, 2))
                           / logits[a].abs().amax((1, 2))).tolist(),
        "same_prediction": (logits[a].argmax(-1) == logits[b].argmax(-1))
        .double().mean(1).tolist(),
        "norm_ratio": ratio.tolist(),
        "norm_ratio_error": (ratio / predicted - 1).abs().tolist(),
        "angle_diff": (run["angle"][:, a] - run["angle"][:, b]).abs().amax(0)
        .tolist(),
        "lr_growth_final": [(1 - lr * SCALE_WD) ** (-2 * steps + 1)
                            for lr in SCALE_LRS],
    }
    return {
        **d, "lrs": SCALE_LRS, "weight_decay": SCALE_WD,
        # PyTorch's default, used by the invariance check; training uses eps = 0
        "eps": _defaults(invariance)["eps"], "train_eps": _defaults(train)["eps"],
        "seeds": len(SCALE_SEEDS), **sizes,
        "invariance": inv, "invariance_eps0": inv0,
        "max_loss_change": max(inv["loss_change"]),
        "max_grad_error": max(inv["grad_error"]),
        "max_loss_change_eps0": max(inv0["loss_change"]),
        "max_grad_error_eps0": max(inv0["grad_error"]),
        "max_eps0": max(max(inv0["loss_change"]), max(inv0["grad_error"]),
                        abs(inv0["cos_grad_w"])),
        "rows": rows, "best": {k: {"lr": v["lr"], "acc": v["acc"]}
                               for k, v in best.items()},
        "curve_steps": list(range(0, steps + 1, 5)),
        "block_steps": [10 * i + 5 for i in range(steps // 10)],
        "equivalence": equiv,
        "max_equiv_diff": max(equiv["logit_rel_diff"]),
    }


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    mse = mse_is_gaussian_nll()
    identities = ["nll_vs_formula", "torch_full_vs_nll", "torch_default_vs_formula",
                  "clamped_rel_diff", "grad_ratio_max_dev"]
    families = family_losses()
    ridge = map_is_ridge()
    return _floats({
        "mse": mse | _defaults(mse_is_gaussian_nll)
        | {"max_identity_diff": max(mse[k] for k in identities),
           "half_log_2pi": 0.5 * math.log(2 * math.pi)},
        "hetero": evaluate(fit_mean_and_variance())
        | _defaults(fit_mean_and_variance, evaluate),
        "outliers": _outlier_results(),
        "families": families | _defaults(family_losses)
        | {"max_diff": max(v for k, v in families.items()
                           if k != "poisson_constant"),
           "efficiency": mean_vs_median() | _defaults(mean_vs_median),
           "half_pi": math.pi / 2},
        "ridge": ridge | _defaults(map_is_ridge)
        | {"max_diff": max(ridge["closed_vs_sklearn"], ridge["closed_vs_sgd"])},
        "noise": _input_noise_results(),
        "scale": _scale_results(),
        "features": list(load_diabetes().feature_names),
    })


LABELS = {
    "en": {
        "x": "x",
        "y": "y",
        "data": "training data",
        "mean": "learned mean",
        "band": "learned mean ± 1.96 σ",
        "std": "noise standard deviation",
        "true": "true",
        "learned": "learned (Gaussian NLL)",
        "const": "one σ for all x",
        "residual": "residual r",
        "density": "density (variance 1)",
        "nll": "negative log-likelihood",
        "gaussian_nll": "Gaussian: r²/2",
        "laplace_nll": "Laplace: |r|/b",
        "huber_nll": "Huber, δ = 1",
        "huber": "Huber",
        "best_constant": "best constant",
        "test_mae": "test MAE",
        "clean": "clean targets",
        "outliers": "10 targets × 10",
        "mse": "MSE",
        "l1": "L1",
        "s": "input noise standard deviation s",
        "expected_loss": "expected MSE",
        "theory": "MSE + s²‖w‖²",
        "mc_gauss": "Monte Carlo, Gaussian noise",
        "mc_uniform": "Monte Carlo, uniform noise",
        "coef": "coefficient",
        "ols": "least squares",
        "ridge": "ridge, α = n s²",
        "noise_trained": "trained with input noise",
        "step": "SGD step t",
        "w_norm": "‖W‖ (weights before LayerNorm)",
        "angle": "rotation of W per step (rad)",
        "lr": "η = {}",
        "no_decay": "no weight decay",
        "decay": "weight decay λ = {}",
        "equilibrium": "arccos(1 − ηλ)",
    },
    "zh": {
        "x": "x",
        "y": "y",
        "data": "训练数据",
        "mean": "学到的均值",
        "band": "学到的均值±1.96σ",
        "std": "噪声标准差",
        "true": "真实值",
        "learned": "学到的（高斯负对数似然）",
        "const": "所有x共用一个σ",
        "residual": "残差r",
        "density": "概率密度（方差为1）",
        "nll": "负对数似然",
        "gaussian_nll": "高斯分布：r²/2",
        "laplace_nll": "拉普拉斯分布：|r|/b",
        "huber_nll": "Huber，δ = 1",
        "huber": "Huber",
        "best_constant": "最优常数",
        "test_mae": "测试集MAE",
        "clean": "干净的目标值",
        "outliers": "10个目标值×10",
        "mse": "MSE",
        "l1": "L1",
        "s": "输入噪声标准差s",
        "expected_loss": "MSE的期望",
        "theory": "MSE + s²‖w‖²",
        "mc_gauss": "蒙特卡洛，高斯噪声",
        "mc_uniform": "蒙特卡洛，均匀噪声",
        "coef": "系数",
        "ols": "最小二乘",
        "ridge": "岭回归，α = n s²",
        "noise_trained": "加输入噪声训练",
        "step": "SGD步数t",
        "w_norm": "‖W‖（LayerNorm之前的权重）",
        "angle": "W每步转过的角度（弧度）",
        "lr": "η = {}",
        "no_decay": "无权重衰减",
        "decay": "权重衰减λ = {}",
        "equilibrium": "arccos(1 − ηλ)",
    },
}


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}

    # Heteroscedastic regression: data with the learned band; std curves
    h = res["hetero"]
    grid = np.array(h["grid"])
    mu = np.array(h["mean_learned"])
    band = 1.96 * np.array(h["std_learned"])
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    axes[0].plot(h["sample_x"], h["sample_y"], ".", color="C7", markersize=2,
                 label=L["data"])
    axes[0].plot(grid, mu, color="C0", label=L["mean"])
    axes[0].fill_between(grid, mu - band, mu + band, color="C0", alpha=0.2,
                         label=L["band"])
    axes[0].set_xlabel(L["x"])
    axes[0].set_ylabel(L["y"])
    axes[1].plot(grid, h["std_true"], color="C2", linestyle="--", label=L["true"])
    axes[1].plot(grid, h["std_learned"], color="C0", label=L["learned"])
    axes[1].axhline(h["sigma_const"], color="C1", linestyle=":", label=L["const"])
    axes[1].set_xlabel(L["x"])
    axes[1].set_ylabel(L["std"])
    axes[1].set_ylim(bottom=0)
    (h0, l0), (h1, l1) = (ax.get_legend_handles_labels() for ax in axes)
    fig.legend(h0 + h1, l0 + l1, loc="outside lower center", ncol=3)
    figs["heteroscedastic"] = fig

    # Densities and their negative log-likelihoods
    r = np.linspace(-4, 4, 401)
    b = 1 / math.sqrt(2)  # Laplace with variance 1
    delta = 1.0
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.0), layout="constrained")
    axes[0].plot(r, np.exp(-(r**2) / 2) / math.sqrt(2 * math.pi), color="C0")
    axes[0].plot(r, np.exp(-np.abs(r) / b) / (2 * b), color="C1")
    axes[0].set_xlabel(L["residual"])
    axes[0].set_ylabel(L["density"])
    axes[1].plot(r, r**2 / 2, color="C0", label=L["gaussian_nll"])
    axes[1].plot(r, np.abs(r) / b, color="C1", label=L["laplace_nll"])
    axes[1].plot(r, np.where(np.abs(r) <= delta, r**2 / 2,
                             delta * (np.abs(r) - delta / 2)),
                 color="C2", linestyle="--", label=L["huber_nll"])
    axes[1].set_ylim(0, 6)
    axes[1].set_xlabel(L["residual"])
    axes[1].set_ylabel(L["nll"])
    fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center",
               ncol=3)
    figs["nll_shapes"] = fig

    # Outliers: best constants and test MAE, clean vs contaminated
    o = res["outliers"]
    names = ["mse", "huber", "l1"]
    pos = np.arange(3)
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.0), layout="constrained")
    for i, (key, color) in enumerate([("clean", "C0"), ("outliers", "C1")]):
        axes[0].bar(pos + (i - 0.5) * 0.38, [o["constants"][key][k] for k in names],
                    width=0.38, color=color, label=L[key])
        axes[1].bar(pos + (i - 0.5) * 0.38,
                    [o["fits"][k][f"mae_{key}"] for k in names],
                    width=0.38, color=color)
    for ax, ylabel in zip(axes, [L["best_constant"], L["test_mae"]]):
        ax.set_xticks(pos, [L[k] for k in names])
        ax.set_ylabel(ylabel)
    fig.legend(loc="outside lower center", ncol=2)
    figs["outliers"] = fig

    # Weights before LayerNorm: their norm, and how far they turn per step
    sc = res["scale"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.6), layout="constrained")
    for row in sc["rows"]:
        color = f"C{sc['lrs'].index(row['lr'])}"
        style = "-" if row["arm"] == "decay" else "--"
        for ax, key, x in [(axes[0], "norm_curve", sc["curve_steps"]),
                           (axes[1], "angle_curve", sc["block_steps"])]:
            c = row[key]
            ax.plot(x, c["median"], color=color, linestyle=style)
            ax.fill_between(x, c["min"], c["max"], color=color, alpha=0.2,
                            linewidth=0)
        if row["arm"] == "decay":
            axes[1].axhline(row["angle_theory"], color=color, linestyle=":",
                            linewidth=1)
    axes[0].set_ylim(bottom=0)
    axes[0].set_ylabel(L["w_norm"])
    axes[1].set_yscale("log")
    axes[1].yaxis.set_minor_formatter(plt.NullFormatter())
    axes[1].set_ylabel(L["angle"])
    for ax in axes:
        ax.set_xlabel(L["step"])
    handles = [plt.Line2D([], [], color=f"C{i}", label=L["lr"].format(lr))
               for i, lr in enumerate(sc["lrs"])]
    handles += [
        plt.Line2D([], [], color="C7", linestyle="--", label=L["no_decay"]),
        plt.Line2D([], [], color="C7", linestyle="-",
                   label=L["decay"].format(sc["weight_decay"])),
        plt.Line2D([], [], color="C7", linestyle=":", linewidth=1,
                   label=L["equilibrium"]),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3)
    figs["scale_invariance"] = fig
    # Input noise: the expected loss identity, and the weights it leads to
    n = res["noise"]
    mc = n["mc"]
    s = np.linspace(0, max(mc["s"]), 50)
    w_ols = np.array(n["train"]["w_ols"])
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 5.6), layout="constrained")
    axes[0].plot(s, mc["mse"] + s**2 * (w_ols @ w_ols), color="C2",
                 label=L["theory"])
    axes[0].plot(mc["s"], mc["gaussian"], "o", color="C0", label=L["mc_gauss"])
    axes[0].plot(mc["s"], mc["uniform"], "x", color="C1", markersize=9,
                 label=L["mc_uniform"])
    axes[0].set_xlabel(L["s"])
    axes[0].set_ylabel(L["expected_loss"])
    axes[0].legend()
    t = n["train"]
    pos = np.arange(len(res["features"]))
    for i, (key, color) in enumerate([("w_ols", "C7"), ("w_ridge", "C2"),
                                      ("w_noise", "C0")]):
        label = {"w_ols": L["ols"], "w_ridge": L["ridge"],
                 "w_noise": L["noise_trained"]}[key]
        axes[1].bar(pos + (i - 1) * 0.27, t[key], width=0.27, color=color,
                    label=label)
    axes[1].axhline(0, color="C7", linewidth=0.8)
    axes[1].set_xticks(pos, res["features"])
    axes[1].set_ylabel(L["coef"])
    fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center",
               ncol=3)
    figs["input_noise"] = fig

    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
