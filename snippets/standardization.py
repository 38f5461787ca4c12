# %% [markdown]
# # Input standardization
#
# This is the notebook of the *Input standardization* page of *Why N(0, 1)?*.

# %% [markdown]
# ## Conditioning: raw, centered, scaled, standardized
#
# Linear regression on house area and bedrooms: the Hessian's condition number and
# the number of gradient descent steps, for four versions of the same two features.

# %%
# --8<-- [start:house]
import numpy as np


def house_data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic houses: area 50-500 m², 1-5 bedrooms; price in thousands."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(50, 500, n)
    bedrooms = rng.integers(1, 6, n).astype(float)
    price = 3.0 * area + 20.0 * bedrooms + 50.0 + rng.normal(0, 30, n)
    return np.column_stack([area, bedrooms]), price


def preprocess(X: np.ndarray, kind: str) -> np.ndarray:
    """'raw', 'centered' (x - mean), 'scaled' (x / std) or 'standardized'."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    if kind == "centered":
        return X - mean
    if kind == "scaled":
        return X / std
    if kind == "standardized":
        return (X - mean) / std
    return X


def quadratic(F: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loss(theta) = mean((A theta - y)^2) / 2 with A = [F, 1], theta = (w, b).

    Returns its Hessian H = A^T A / n and its minimizer theta*.
    """
    A = np.column_stack([F, np.ones(len(F))])
    H = A.T @ A / len(A)
    return H, np.linalg.solve(H, A.T @ y / len(A))


def gd_path(F: np.ndarray, y: np.ndarray, steps: int, lr_factor: float = 1.0):
    """Gradient descent from theta = 0 with learning rate lr_factor / lambda_max."""
    H, theta_star = quadratic(F, y)
    lr = lr_factor / np.linalg.eigvalsh(H)[-1]
    theta, path = np.zeros(len(H)), []
    for _ in range(steps):
        path.append(theta.copy())
        theta = theta - lr * H @ (theta - theta_star)  # the gradient of the loss
    return np.array(path)


def iterations_to_tol(
    F: np.ndarray, y: np.ndarray, tol: float = 1e-6, lr_factor: float = 1.0
) -> int:
    """Steps of gradient descent from 0 until loss - min <= tol * (loss0 - min).

    On a quadratic each eigen-direction i of H is independent: its error is
    multiplied by (1 - lr * lam_i) at every step. So the loss gap after t steps
    is known in closed form and t is found by bisection, without running
    millions of steps (for small t this equals counting the loop above).
    """
    H, theta_star = quadratic(F, y)
    lam, V = np.linalg.eigh(H)
    lr = lr_factor / lam[-1]
    z = V.T @ (0 - theta_star)  # initial error in the eigenbasis

    def gap(t: int) -> float:
        return 0.5 * np.sum(lam * z**2 * (1 - lr * lam) ** (2 * t))

    target = tol * gap(0)
    lo, hi = 0, 1
    while gap(hi) > target:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # invariant: gap(lo) > target >= gap(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if gap(mid) > target else (lo, mid)
    return hi


if __name__ == "__main__":
    X, price = house_data()
    print(f"area std {X[:, 0].std():.1f} m², bedrooms std {X[:, 1].std():.2f}")
    for kind in ["raw", "centered", "scaled", "standardized"]:
        F = preprocess(X, kind)
        H, theta_star = quadratic(F, price)
        lam = np.linalg.eigvalsh(H)
        A = np.column_stack([F, np.ones(len(F))])
        print(
            f"{kind:12s} condition number {lam[-1] / lam[0]:12,.1f}"
            f"   steps to 1e-6: {iterations_to_tol(F, price):9,d}"
            f"   fitted price of house 0: {A[0] @ theta_star:.2f}"
        )
# --8<-- [end:house]

# %% [markdown]
# ## Real data: wine
#
# Thirteen features whose scales differ by three orders of magnitude: the condition
# number, and a small tanh network trained on raw and on standardized features.

# %%
# --8<-- [start:wine]
import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split


def load_wine_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """178 wines, 13 features, 3 classes; stratified 75/25 split."""
    X, y = load_wine(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def condition_number(X: np.ndarray) -> float:
    """Condition number of X^T X / n (the Hessian of least squares on X)."""
    lam = np.linalg.eigvalsh(X.T @ X / len(X))
    return float(lam[-1] / lam[0])


def train_tanh_mlp(
    X_tr: np.ndarray,
    y_tr: np.ndarray,
    X_te: np.ndarray,
    y_te: np.ndarray,
    seed: int = 0,
    hidden: int = 32,
    steps: int = 500,
    lr: float = 0.1,
    eval_every: int = 10,
) -> dict:
    """d -> hidden (tanh) -> classes, full-batch gradient descent, cross-entropy.

    Initialized like PyTorch's nn.Linear: weights and biases U(-a, a),
    a = 1 / sqrt(fan_in). Written in NumPy to stay fast on a small CPU.
    """
    rng = np.random.default_rng(seed)
    n, d = X_tr.shape
    k = int(y_tr.max()) + 1
    a1, a2 = 1 / np.sqrt(d), 1 / np.sqrt(hidden)
    W1, b1 = rng.uniform(-a1, a1, (d, hidden)), rng.uniform(-a1, a1, hidden)
    W2, b2 = rng.uniform(-a2, a2, (hidden, k)), rng.uniform(-a2, a2, k)
    Y = np.eye(k)[y_tr]
    saturated = np.mean(np.abs(np.tanh(X_tr @ W1 + b1)) > 0.99)
    accs = []
    for step in range(steps + 1):
        if step % eval_every == 0:
            logits = np.tanh(X_te @ W1 + b1) @ W2 + b2
            accs.append(np.mean(logits.argmax(1) == y_te))
        if step == steps:
            break
        h = np.tanh(X_tr @ W1 + b1)
        z = h @ W2 + b2
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(n), y_tr]))
        dz = (p - Y) / n  # backpropagation, by hand
        dh = dz @ W2.T * (1 - h**2)
        W2, b2 = W2 - lr * h.T @ dz, b2 - lr * dz.sum(0)
        W1, b1 = W1 - lr * X_tr.T @ dh, b1 - lr * dh.sum(0)
    return {
        "saturated_at_init": float(saturated),
        "final_train_loss": float(loss),
        "test_acc": float(accs[-1]),
        "test_acc_curve": [float(v) for v in accs],
        "params": (W1, b1, W2, b2),
    }


def fold_into_first_layer(params, mean: np.ndarray, std: np.ndarray):
    """The same network on raw inputs: (x - mean) / std @ W1 = x @ (W1/std) + c."""
    W1, b1, W2, b2 = params
    W1_raw = W1 / std[:, None]
    return W1_raw, b1 - mean @ W1_raw, W2, b2


if __name__ == "__main__":
    X_tr, X_te, y_tr, y_te = load_wine_split()
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)  # training split only
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    print(f"feature std from {std.min():.3f} to {std.max():.1f}")
    print(
        f"condition number of X^T X / n: raw {condition_number(X_tr):.2e}, "
        f"standardized {condition_number(Z_tr):.1f}"
    )
    for seed in range(3):
        raw = train_tanh_mlp(X_tr, y_tr, X_te, y_te, seed=seed)
        st = train_tanh_mlp(Z_tr, y_tr, Z_te, y_te, seed=seed)
        print(
            f"seed {seed}: saturated tanh units at init"
            f" raw {raw['saturated_at_init']:.1%}"
            f" / standardized {st['saturated_at_init']:.1%};"
            f" test accuracy {raw['test_acc']:.1%} / {st['test_acc']:.1%}"
        )
    W1, b1, W2, b2 = fold_into_first_layer(st["params"], mean, std)
    folded = np.tanh(X_te @ W1 + b1) @ W2 + b2
    acc = np.mean(folded.argmax(1) == y_te)
    print(f"standardized net folded into raw-input weights: test acc {acc:.1%}")
# --8<-- [end:wine]

# %% [markdown]
# ## Standardization does not decorrelate
#
# Breast cancer features are nearly collinear: the condition number stays large
# after standardization; PCA whitening brings it to 1.

# %%
# --8<-- [start:decorrelate]
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split


def condition_number(X: np.ndarray) -> float:
    """Condition number of X^T X / n (the Hessian of least squares on X)."""
    lam = np.linalg.eigvalsh(X.T @ X / len(X))
    return float(lam[-1] / lam[0])


def pca_whitener(Z_tr: np.ndarray):
    """Rotate onto the principal axes of the training data, divide by their std."""
    lam, V = np.linalg.eigh(Z_tr.T @ Z_tr / len(Z_tr))
    return lambda Z: Z @ V / np.sqrt(lam)


if __name__ == "__main__":
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    whiten = pca_whitener(Z_tr)
    corr = np.corrcoef(X_tr, rowvar=False)
    print(f"largest correlation between two features: {corr[corr < 1].max():.4f}")
    versions = [("raw", X_tr), ("standardized", Z_tr), ("whitened", whiten(Z_tr))]
    for name, M in versions:
        print(f"{name:12s} condition number {condition_number(M):.3g}")
    print(f"whitened test split: {condition_number(whiten(Z_te)):.3g}")
# --8<-- [end:decorrelate]

# %% [markdown]
# ## Statistics from the training split only
#
# What changes when the mean and std are computed on all the data, test split
# included.

# %%
# --8<-- [start:leakage]
import numpy as np
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def leakage(seed: int = 0) -> dict:
    """Standardize wine with train-only statistics and with all-data statistics."""
    X, y = load_wine(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    X_all = np.vstack([X_tr, X_te])
    out = {}
    for name, source in [("train_only", X_tr), ("all_data", X_all)]:
        mean, std = source.mean(axis=0), source.std(axis=0)
        Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
        clf = LogisticRegression(max_iter=1000).fit(Z_tr, y_tr)
        out[name] = {
            "mean": mean,
            "std": std,
            "test_mean_abs": float(np.abs(Z_te.mean(axis=0)).mean()),
            "test_acc": float(clf.score(Z_te, y_te)),
        }
    a, b = out["train_only"], out["all_data"]
    # shift of the test mean from the mean used, raw units: all-data / train-only
    out["test_shift_ratio"] = float(
        np.abs(X_te.mean(0) - b["mean"]).sum()
        / np.abs(X_te.mean(0) - a["mean"]).sum()
    )
    out["max_mean_change_in_std"] = float(
        np.max(np.abs(b["mean"] - a["mean"]) / a["std"])
    )
    out["max_std_change"] = float(np.max(np.abs(b["std"] / a["std"] - 1)))
    out["train_fraction"] = len(X_tr) / len(X)
    return out


if __name__ == "__main__":
    r = leakage()
    for name in ["train_only", "all_data"]:
        print(
            f"{name:10s} mean |test-split mean| after scaling "
            f"{r[name]['test_mean_abs']:.3f},"
            f" test accuracy {r[name]['test_acc']:.1%}"
        )
    print(
        f"test-mean shift ratio {r['test_shift_ratio']:.3f} "
        f"(n_train / n = {r['train_fraction']:.3f}); "
        f"means move by up to {r['max_mean_change_in_std']:.3f} std, "
        f"stds by up to {r['max_std_change']:.1%}"
    )
# --8<-- [end:leakage]

# %% [markdown]
# ## Near-constant features
#
# A digits pixel that is almost always 0 in training has a tiny std; standardizing
# divides by it, and a test image where that pixel is on gets a huge value.

# %%
# --8<-- [start:near_constant]
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

if __name__ == "__main__":
    X, y = load_digits(return_X_y=True)  # 64 pixels with values 0..16
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    Z_tr, Z_te = scaler.transform(X_tr), scaler.transform(X_te)
    worst = np.argsort(np.abs(Z_te).max(axis=0))[::-1][:3]
    for j in worst:
        i = np.abs(Z_te[:, j]).argmax()
        print(
            f"pixel {j:2d}: training std {X_tr[:, j].std():.3f}, "
            f"nonzero in {np.count_nonzero(X_tr[:, j])} of {len(X_tr)}"
            " training images;"
            f" test value {X_te[i, j]:.0f} -> standardized {Z_te[i, j]:.1f}"
        )
    typical = np.median(np.abs(Z_te).max(axis=0))
    print(f"median over pixels of max |standardized test value|: {typical:.1f}")
    constant = np.flatnonzero(X_tr.std(axis=0) == 0)
    print(f"pixels constant in training {constant.tolist()}: scale_ set to "
          f"{scaler.scale_[constant].tolist()}, so they pass through unscaled")
# --8<-- [end:near_constant]

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

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

KINDS = ["raw", "centered", "scaled", "standardized"]
PATH_STEPS = 60  # gradient descent steps drawn on the contour plots
WINE_SEEDS = [0, 1, 2]


def _defaults(*functions) -> dict:
    """Default arguments of the experiments: the settings the page quotes."""
    return {
        name: p.default
        for f in functions
        for name, p in inspect.signature(f).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "seed"
    }


def _house_results() -> dict:
    X, price = house_data()
    settings = _defaults(house_data, iterations_to_tol)
    out = {
        **settings,
        "path_steps": PATH_STEPS,
        "area_std": float(X[:, 0].std()),
        "bedrooms_std": float(X[:, 1].std()),
        "correlation": float(np.corrcoef(X, rowvar=False)[0, 1]),
    }
    Zs = preprocess(X, "standardized")
    out["bedrooms_distinct_standardized"] = len(np.unique(Zs[:, 1]))
    out["area_within_one_std"] = float(np.mean(np.abs(Zs[:, 0]) < 1))
    out["normal_within_one_std"] = math.erf(1 / math.sqrt(2))
    predictions = []
    for kind in KINDS:
        F = preprocess(X, kind)
        H, theta_star = quadratic(F, price)
        lam = np.linalg.eigvalsh(H)
        A = np.column_stack([F, np.ones(len(F))])
        predictions.append(A @ theta_star)
        t = np.unique(np.logspace(0, 7, 120).astype(int))
        V = np.linalg.eigh(H)[1]
        z = V.T @ (0 - theta_star)
        r = 1 - lam / lam[-1]
        gaps = (0.5 * (lam * z**2) @ (r[:, None] ** (2 * t[None, :]))) / (
            0.5 * np.sum(lam * z**2)
        )
        grad0 = H @ (0 - theta_star)
        out[kind] = {
            "kappa": float(lam[-1] / lam[0]),
            "eigenvalues": lam.tolist(),
            "hessian": H.tolist(),
            "theta_star": theta_star.tolist(),
            "iterations": iterations_to_tol(F, price),
            "path": gd_path(F, price, PATH_STEPS).tolist(),
            "gap_t": t.tolist(),
            "gap_rel": gaps.tolist(),
            "first_grad_ratio": float(abs(grad0[0] / grad0[1])),
        }
    P = np.array(predictions)
    out["max_prediction_difference"] = float(np.abs(P - P[-1]).max())
    out["speedup_raw_over_standardized"] = (
        out["raw"]["iterations"] / out["standardized"]["iterations"]
    )
    return out


def _wine_results() -> dict:
    X_tr, X_te, y_tr, y_te = load_wine_split()
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    out = {
        **_defaults(train_tanh_mlp),
        "seeds": WINE_SEEDS,
        "n_train": len(X_tr),
        "n_test": len(X_te),
        "feature_std": std.tolist(),
        "std_min": float(std.min()),
        "std_max": float(std.max()),
        "std_ratio": float(std.max() / std.min()),
        "kappa_raw": condition_number(X_tr),
        "kappa_standardized": condition_number(Z_tr),
        "majority_test_share": float(np.bincount(y_te).max() / len(y_te)),
    }
    prior = np.bincount(y_tr) / len(y_tr)
    out["prior_entropy"] = float(-(prior * np.log(prior)).sum())
    for name, (A, B) in [("raw", (X_tr, X_te)), ("standardized", (Z_tr, Z_te))]:
        runs = [train_tanh_mlp(A, y_tr, B, y_te, seed=s) for s in WINE_SEEDS]
        out[name] = {
            key: [r[key] for r in runs]
            for key in [
                "saturated_at_init",
                "final_train_loss",
                "test_acc",
                "test_acc_curve",
            ]
        }
        out[name]["saturated_min"] = min(out[name]["saturated_at_init"])
        out[name]["saturated_max"] = max(out[name]["saturated_at_init"])
        out[name]["test_acc_min"] = min(out[name]["test_acc"])
        out[name]["test_acc_max"] = max(out[name]["test_acc"])
        if name == "standardized":
            W1, b1, W2, b2 = fold_into_first_layer(runs[0]["params"], mean, std)
            folded = np.tanh(X_te @ W1 + b1) @ W2 + b2
            W1, b1, W2, b2 = runs[0]["params"]
            direct = np.tanh(Z_te @ W1 + b1) @ W2 + b2
            diff = np.abs(folded - direct).max()
            out["folded_max_logit_difference"] = float(diff)
            out["folded_test_acc"] = float(np.mean(folded.argmax(1) == y_te))
    return out


def _decorrelate_results() -> dict:
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    Z_tr, Z_te = (X_tr - mean) / std, (X_te - mean) / std
    whiten = pca_whitener(Z_tr)
    corr = np.corrcoef(X_tr, rowvar=False)
    np.fill_diagonal(corr, 0)
    i, j = np.unravel_index(np.abs(corr).argmax(), corr.shape)
    names = load_breast_cancer().feature_names
    spectra = {
        name: np.linalg.eigvalsh(M.T @ M / len(M))[::-1].tolist()
        for name, M in [
            ("raw", X_tr),
            ("standardized", Z_tr),
            ("whitened", whiten(Z_tr)),
        ]
    }
    return {
        "n_features": X.shape[1],
        "n_train": len(X_tr),
        "kappa_raw": condition_number(X_tr),
        "kappa_standardized": condition_number(Z_tr),
        "kappa_whitened": condition_number(whiten(Z_tr)),
        "kappa_whitened_test": condition_number(whiten(Z_te)),
        "max_correlation": float(abs(corr[i, j])),
        "max_correlation_pair": [str(names[i]), str(names[j])],
        "smallest_eigenvalue_standardized": spectra["standardized"][-1],
        "whitening_gain": float(1 / math.sqrt(spectra["standardized"][-1])),
        "spectra": spectra,
    }


def _leakage_results() -> dict:
    r = leakage()
    return {
        name: {k: r[name][k] for k in ["test_mean_abs", "test_acc"]}
        for name in ["train_only", "all_data"]
    } | {
        k: r[k]
        for k in [
            "test_shift_ratio",
            "max_mean_change_in_std",
            "max_std_change",
            "train_fraction",
        ]
    }


def _near_constant_results() -> dict:
    X, y = load_digits(return_X_y=True)
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    Z_tr, Z_te = scaler.transform(X_tr), scaler.transform(X_te)
    std = X_tr.std(axis=0)
    max_test = np.abs(Z_te).max(axis=0)
    j = int(max_test.argmax())
    i = int(np.abs(Z_te[:, j]).argmax())
    constant = np.flatnonzero(std == 0)
    # pixels on in exactly one training image: that image's standardized value
    single = [k for k in range(64) if np.count_nonzero(X_tr[:, k]) == 1]
    return {
        "n_train": len(X_tr),
        "train_std": std.tolist(),
        "max_abs_test": max_test.tolist(),
        "max_abs_train": np.abs(Z_tr).max(axis=0).tolist(),
        "worst_pixel": j,
        "worst_pixel_std": float(std[j]),
        "worst_pixel_nonzero_train": int(np.count_nonzero(X_tr[:, j])),
        "worst_pixel_test_value": float(X_te[i, j]),
        "worst_pixel_z": float(Z_te[i, j]),
        "median_max_abs_test": float(np.median(max_test)),
        "constant_pixels": constant.tolist(),
        "constant_scale": scaler.scale_[constant].tolist(),
        "constant_pixels_on_in_test": int(np.count_nonzero(X_te[:, constant])),
        "constant_max_abs_test": float(np.abs(Z_te[:, constant]).max()),
        "single_pixels": single,
        "single_pixel_train_z": [float(np.abs(Z_tr[:, k]).max()) for k in single],
    }


def results() -> dict:
    """Every number the page quotes (deterministic: fixed seeds)."""
    return {
        "house": _house_results(),
        "wine": _wine_results(),
        "decorrelate": _decorrelate_results(),
        "leakage": _leakage_results(),
        "near_constant": _near_constant_results(),
    }


LABELS = {
    "en": {
        "raw": "raw",
        "centered": "centered only",
        "scaled": "scaled only",
        "standardized": "standardized",
        "w_area": "weight of area",
        "w_bedrooms": "weight of bedrooms",
        "kappa": "{name}, κ = {k}",
        "steps": "gradient descent step",
        "rel_gap": "(loss − min) / (loss₀ − min)",
        "feature": "wine feature",
        "feature_std": "std (log scale)",
        "test_acc": "test accuracy",
        "gd_step": "gradient descent step",
        "index": "eigenvalue index",
        "eigenvalue": "eigenvalue of XᵀX / n",
        "whitened": "PCA-whitened",
        "train_std": "training std of the pixel",
        "max_z": "max |standardized test value|",
        "bound": "16 / std (largest pixel value / std)",
        "seeds": "{name} (seeds {seeds})",
    },
    "zh": {
        "raw": "原始",
        "centered": "仅中心化",
        "scaled": "仅缩放",
        "standardized": "标准化",
        "w_area": "面积的权重",
        "w_bedrooms": "卧室数的权重",
        "kappa": "{name}，κ = {k}",
        "steps": "梯度下降步数",
        "rel_gap": "(损失 − 最小值) / (初始损失 − 最小值)",
        "feature": "葡萄酒特征",
        "feature_std": "标准差（对数坐标）",
        "test_acc": "测试准确率",
        "gd_step": "梯度下降步数",
        "index": "特征值序号",
        "eigenvalue": "XᵀX / n的特征值",
        "whitened": "PCA白化",
        "train_std": "像素在训练集上的标准差",
        "max_z": "标准化后测试值的最大绝对值",
        "bound": "16 / std（像素最大值 / 标准差）",
        "seeds": "{name}（随机种子{seeds}）",
    },
}


def _kappa_text(k: float) -> str:
    return f"{k:,.0f}" if k >= 10 else f"{k:.2f}"


def figures(res: dict, lang: str) -> dict:
    """Every figure of the page, drawn from `res` with the labels of `lang`."""
    L = LABELS[lang]
    figs = {}
    h = res["house"]

    # Loss contours in (w_area, w_bedrooms), bias at its optimum; the descent path
    fig, axes = plt.subplots(2, 2, figsize=(6.4, 6.4), layout="constrained")
    for ax, kind in zip(axes.flat, KINDS):
        d = h[kind]
        H, star = np.array(d["hessian"]), np.array(d["theta_star"])
        path = np.array(d["path"])
        cx, cy = star[0] / 2, star[1] / 2
        half = 0.7 * max(abs(star[0]), abs(star[1]))
        u = np.linspace(cx - half, cx + half, 241)
        v = np.linspace(cy - half, cy + half, 241)
        U, Vv = np.meshgrid(u, v)
        dU, dV = U - star[0], Vv - star[1]
        gap = 0.5 * (H[0, 0] * dU**2 + 2 * H[0, 1] * dU * dV + H[1, 1] * dV**2)
        gap0 = 0.5 * (star[:2] @ H[:2, :2] @ star[:2])
        levels = gap0 * np.logspace(-4, 1, 11)
        ax.contour(U, Vv, gap, levels=levels, colors="C0", linewidths=0.8)
        ax.plot(path[:, 0], path[:, 1], color="C1", marker="o", markersize=2.5)
        ax.plot([star[0]], [star[1]], marker="*", color="C2", markersize=11)
        ax.set_xlim(u[0], u[-1])
        ax.set_ylim(v[0], v[-1])
        ax.set_aspect("equal")
        ax.set_title(L["kappa"].format(name=L[kind], k=_kappa_text(d["kappa"])))
        ax.tick_params(labelsize=9)
    for ax in axes[1]:
        ax.set_xlabel(L["w_area"])
    for ax in axes[:, 0]:
        ax.set_ylabel(L["w_bedrooms"])
    figs["loss_contours"] = fig

    # Convergence of gradient descent
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for k, (kind, ls) in enumerate(zip(KINDS, ["-", "--", "-.", ":"])):
        t = np.array(h[kind]["gap_t"])
        g = np.array(h[kind]["gap_rel"])
        keep = g > 1e-12
        ax.plot(t[keep], g[keep], color=f"C{k}", linestyle=ls, label=L[kind])
    ax.axhline(h["tol"], color="C4", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(L["steps"])
    ax.set_ylabel(L["rel_gap"])
    ax.legend(loc="lower left")
    figs["convergence"] = fig

    # Wine: feature scales and training
    w = res["wine"]
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), layout="constrained")
    std = np.array(w["feature_std"])
    axes[0].bar(range(1, len(std) + 1), std, color="C0")
    axes[0].set_yscale("log")
    axes[0].set_xlabel(L["feature"])
    axes[0].set_ylabel(L["feature_std"])
    seeds = ", ".join(str(s) for s in w["seeds"])
    for name, color in [("raw", "C1"), ("standardized", "C0")]:
        for k, curve in enumerate(w[name]["test_acc_curve"]):
            steps = np.arange(len(curve)) * w["eval_every"]
            axes[1].plot(
                steps,
                curve,
                color=color,
                linestyle=["-", "--", ":"][k % 3],
                label=(
                    L["seeds"].format(name=L[name], seeds=seeds) if k == 0 else None
                ),
            )
    axes[1].set_ylim(0, 1.02)
    axes[1].set_xlabel(L["gd_step"])
    axes[1].set_ylabel(L["test_acc"])
    fig.legend(loc="outside lower center", ncol=2)
    figs["wine"] = fig

    # Breast cancer eigenvalue spectra
    dcr = res["decorrelate"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for k, (name, marker) in enumerate(
        [("raw", "o"), ("standardized", "s"), ("whitened", "^")]
    ):
        lam = dcr["spectra"][name]
        ax.plot(
            range(1, len(lam) + 1),
            lam,
            color=f"C{k}",
            marker=marker,
            markersize=4,
            label=L[name],
        )
    ax.set_yscale("log")
    ax.set_xlabel(L["index"])
    ax.set_ylabel(L["eigenvalue"])
    ax.legend()
    figs["spectrum"] = fig

    # Digits: training std vs largest standardized test value, per pixel
    nc = res["near_constant"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    std = np.array(nc["train_std"])
    mx = np.array(nc["max_abs_test"])
    ok = std > 0  # pixels constant in training have no std to divide by
    ax.plot(std[ok], mx[ok], "o", color="C0", markersize=4)
    grid = np.logspace(np.log10(std[ok].min()), np.log10(std[ok].max()), 50)
    ax.plot(grid, 16 / grid, color="C1", linestyle="--", label=L["bound"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(L["train_std"])
    ax.set_ylabel(L["max_z"])
    ax.legend(loc="upper right")
    figs["near_constant"] = fig
    return figs


# %%
if __name__ == "__main__":
    RESULTS = results()
    print(json.dumps(RESULTS, indent=2))
    figures(RESULTS, "en")  # shown inline when run as a notebook
