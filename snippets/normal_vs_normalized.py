# %% [markdown]
# # Normal vs normalized
#
# This is the notebook of the *Normal vs normalized* page of *Why N(0, 1)?*:
# "normal" is a shape, "normalized" is a linear rescaling, and standardizing data
# never makes it normal.

# %% [markdown]
# ## Standardizing changes the scale, not the shape
#
# Standardization and min-max scaling move and stretch a distribution; its
# skewness and kurtosis stay exactly where they were.

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

# %% [markdown]
# ## Real features are not Gaussian
#
# A Jarque-Bera test per feature, written with numpy, on the breast-cancer features
# and the digit pixels, next to Gaussian samples of the same size as a control.

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

# %% [markdown]
# ## Networks learn them anyway
#
# A small MLP trained on standardized, far-from-Gaussian features, and on the same
# features forced into a Gaussian shape by a quantile transform.

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
    steps: int = 300,
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


if __name__ == "__main__":
    torch.set_num_threads(1)  # a model this small runs fastest on one thread
    for name in ["digits", "cancer"]:
        _, _, _, y_te = prepared_split(name)
        majority = np.bincount(y_te.numpy()).max() / len(y_te)
        print(
            f"{name:6s}  majority class {majority:.1%}   test accuracy: "
            f"standardized {train_mlp(name):.1%}, "
            f"quantile-normal {train_mlp(name, 'quantile'):.1%}"
        )
# --8<-- [end:classifier]

# %% [markdown]
# ## When you do want a Gaussian shape
#
# Yeo-Johnson and quantile transforms, fitted on the training split, and what
# they cost.

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
    for name, tf in make_transforms(X_tr).items():
        train = median_abs_skew(tf.transform(X_tr))
        test = median_abs_skew(tf.transform(X_te))
        print(f"{name:12s} median |skew|: train {train:.2f}, test {test:.2f}")
    # Extrapolation: values beyond the training range
    j = 13  # 'area error'
    beyond = np.tile(X_tr.max(0), (3, 1)) * np.array([[1.0], [2.0], [4.0]])
    for name, tf in make_transforms(X_tr).items():
        out = tf.transform(beyond)[:, j]
        print(f"{name:12s} max, 2x max, 4x max of area error ->", out.round(2))
    # Ties: a pixel that is 0 in most images
    D_tr, _ = split("digits")
    j = 9  # pixel_1_1
    out = make_transforms(D_tr)["quantile"].transform(D_tr)[:, j]
    print(
        f"pixel_1_1: {np.mean(D_tr[:, j] == 0):.1%} zeros, all mapped to "
        f"{np.unique(out[D_tr[:, j] == 0])}"
    )
# --8<-- [end:transforms]

# %% [markdown]
# ## Every normal is a rescaled N(0, 1)
#
# mu + sigma * z with z ~ N(0, 1) has the mean, standard deviation and quantiles of
# N(mu, sigma^2), and it is how PyTorch samples `torch.normal`.

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

# %% [markdown]
# ## The page's numbers and figures
#
# `results()` computes every number the page quotes; `figures()` draws the page's
# figures from them (the site's build renders them in its light and dark themes, in
# English and Chinese).

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
    out = {**_defaults(train_mlp)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is faster, and deterministic
    for name in ["digits", "cancer"]:
        _, y_tr, X_te, y_te = prepared_split(name)
        out[name] = {
            "n_features": int(X_te.shape[1]),
            "n_test": len(y_te),
            "n_classes": int(y_tr.max()) + 1,
            "majority": float(np.bincount(y_te.numpy()).max() / len(y_te)),
            "standardize": train_mlp(name, "standardize"),
            "quantile": train_mlp(name, "quantile"),
        }
    torch.set_num_threads(threads)
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
    # Ties: the digits pixel that is 0 in most training images
    D_tr, _ = split("digits")
    k = load_digits().feature_names.index(DIGITS_PIXEL)
    qt = make_transforms(D_tr)["quantile"]
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
        "bound": "bound: kurtosis ≥ skew² − 2",
        "standardize": "area error, standardized",
        "yeo_johnson": "area error, Yeo-Johnson",
        "quantile": "area error, quantile → normal",
        "ties_title": "digits pixel_1_1, quantile",
        "skew_value": "skew {v:.2f}",
        "skew_kurt": "skew {s:.2f}\nexcess kurtosis {k:.2f}",
        "data": "data",
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
        "bound": "下界：峰度≥偏度² − 2",
        "standardize": "area error，标准化",
        "yeo_johnson": "area error，Yeo-Johnson变换",
        "quantile": "area error，分位数变换→正态",
        "ties_title": "手写数字pixel_1_1，分位数变换",
        "skew_value": "偏度{v:.2f}",
        "skew_kurt": "偏度{s:.2f}\n超额峰度{k:.2f}",
        "data": "数据",
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
    ax.plot([0], [0], marker="+", color="k", markersize=12, linestyle="none")
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
