"""Every claim of the *Input standardization* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_standardization.py -q
"""

import math
import re

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest

from conftest import built_results  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.standardization as mod  # noqa: E402


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("standardization")


def test_cheap_parts_are_deterministic(res):
    assert mod._house_results() == res["house"]
    assert mod._decorrelate_results() == res["decorrelate"]
    assert mod._leakage_results() == res["leakage"]


# ---------------------------------------------------------------------------------------------
# 1. House prices: conditioning of the four versions


def test_house_data_is_the_seed_example(res):
    X, _ = mod.house_data()
    assert X[:, 0].min() >= 50 and X[:, 0].max() <= 500
    assert set(np.unique(X[:, 1])) == {1, 2, 3, 4, 5}
    h = res["house"]
    # U(50, 500) has std 450 / sqrt(12) = 130; uniform on {1..5} has std sqrt(2)
    assert abs(h["area_std"] / (450 / math.sqrt(12)) - 1) < 0.1
    assert abs(h["bedrooms_std"] / math.sqrt(2) - 1) < 0.1


def test_condition_numbers_follow_from_the_moments(res):
    """Closed forms of the 3 x 3 Hessian's spectrum for each version of the features."""
    h = res["house"]
    X, _ = mod.house_data()
    cov = np.cov(X, rowvar=False, bias=True)
    r = np.corrcoef(X, rowvar=False)[0, 1]
    # standardized: H = [[1, r, 0], [r, 1, 0], [0, 0, 1]] -> eigenvalues 1 - |r|, 1, 1 + |r|
    assert math.isclose(h["standardized"]["kappa"], (1 + abs(r)) / (1 - abs(r)), rel_tol=1e-9)
    # centered: H = blockdiag(cov, 1)
    lam = np.sort(np.r_[np.linalg.eigvalsh(cov), 1.0])
    assert math.isclose(h["centered"]["kappa"], lam[-1] / lam[0], rel_tol=1e-9)
    # centered: the largest eigenvalue is essentially the area variance (in m^4)
    assert abs(h["centered"]["eigenvalues"][-1] / h["area_std"] ** 2 - 1) < 1e-3
    # raw and scaled: uncentered second moments with the bias column
    for kind, F in [("raw", X), ("scaled", X / X.std(0))]:
        A = np.column_stack([F, np.ones(len(F))])
        assert math.isclose(h[kind]["kappa"], np.linalg.cond(A.T @ A / len(A)), rel_tol=1e-6)
    # the ordering the page states, with its orders of magnitude
    k = {kind: h[kind]["kappa"] for kind in mod.KINDS}
    assert k["raw"] > 1e5 and 1e4 < k["centered"] < 1e5 and 10 < k["scaled"] < 1e3
    assert k["standardized"] < 1.5
    assert k["raw"] > k["centered"] > k["scaled"] > k["standardized"]


def test_iteration_counts_match_gradient_descent(res):
    """The closed-form count equals running the loop; the counts obey the kappa bound."""
    h = res["house"]
    X, y = mod.house_data()
    tol = h["tol"]
    for kind in ["scaled", "standardized"]:
        F = mod.preprocess(X, kind)
        A = np.column_stack([F, np.ones(len(F))])
        H, theta_star = mod.quadratic(F, y)
        f_star = 0.5 * np.mean((A @ theta_star - y) ** 2)
        lr = 1 / np.linalg.eigvalsh(H)[-1]
        theta = np.zeros(3)
        gap0 = 0.5 * np.mean(y**2) - f_star
        t = 0
        while 0.5 * np.mean((A @ theta - y) ** 2) - f_star > tol * gap0:
            theta = theta - lr * A.T @ (A @ theta - y) / len(A)
            t += 1
        assert t == h[kind]["iterations"], kind
    for kind in mod.KINDS:
        kappa = h[kind]["kappa"]
        # with lr = 1 / lambda_max every error component shrinks at least by (1 - 1/kappa)
        bound = math.log(tol) / (2 * math.log(1 - 1 / kappa))
        assert h[kind]["iterations"] <= math.ceil(bound) + 1, kind
    # the slow direction dominates: the count grows roughly like kappa
    assert h["raw"]["iterations"] > 1e6
    assert 1e5 < h["centered"]["iterations"] < 1e6
    assert 100 < h["scaled"]["iterations"] < 1000
    assert h["standardized"]["iterations"] <= 10
    assert h["speedup_raw_over_standardized"] == h["raw"]["iterations"] / h["standardized"][
        "iterations"
    ]


def test_each_version_at_its_best_learning_rate(res):
    """The speed-up is not an artefact of eta = 1 / lambda_max: a small sweep per version."""
    h = res["house"]
    X, y = mod.house_data()
    factors = h["lr_factors"]
    assert len(factors) >= 3 and max(factors) < 2  # every rate of the sweep is stable
    for kind in mod.KINDS:
        d = h[kind]
        assert d["iterations_by_lr"][factors.index(1.0)] == d["iterations"]
        assert d["best_iterations"] == min(d["iterations_by_lr"])
        assert d["best_lr_factor"] == factors[d["iterations_by_lr"].index(d["best_iterations"])]
        # the slowest direction bounds the count at any rate: (1 - f / kappa)^(2t) <= tol
        f, kappa = d["best_lr_factor"], d["kappa"]
        if kappa > 10:
            bound = math.log(h["tol"]) / (2 * math.log(1 - f / kappa))
            assert d["best_iterations"] <= math.ceil(bound) + 1, kind
            # "the ill-conditioned versions do best at the largest rate tried"
            assert f == max(factors), kind
        F = mod.preprocess(X, kind)
        assert mod.iterations_to_tol(F, y, lr_factor=f) == d["best_iterations"]
    # the factor changes with the rate, its order of magnitude does not
    assert h["speedup_best_lr"] == h["raw"]["best_iterations"] / h["standardized"]["best_iterations"]
    assert 1e5 < h["speedup_best_lr"] <= h["speedup_raw_over_standardized"] < 1e7
    assert h["standardized"]["best_iterations"] <= 10


def test_gd_path_and_relative_gap(res):
    h = res["house"]
    for kind in mod.KINDS:
        d = h[kind]
        assert len(d["path"]) == h["path_steps"] + 1  # the start and the point after each step
        assert d["path"][0] == [0.0, 0.0, 0.0]
        assert d["gap_rel"][0] <= 1 + 1e-12
        assert all(a >= b - 1e-15 for a, b in zip(d["gap_rel"], d["gap_rel"][1:]))
    # raw: the first step fixes the area weight, the bedrooms weight then crawls
    raw = h["raw"]
    assert abs(raw["path"][1][0] / raw["theta_star"][0] - 1) < 0.15
    # "the steepest direction, not the area weight, is fitted": step 1 overshoots the optimum,
    # the rest of the way is covered with the bias, which is still far from its optimum
    assert raw["path"][1][0] > raw["theta_star"][0] * 1.01
    assert raw["path"][-1][2] < 0.5 * raw["theta_star"][2]
    lam, V = np.linalg.eigh(np.array(raw["hessian"]))
    assert abs(V[0, -1]) > 0.99  # the steepest eigenvector is almost pure area weight
    assert raw["path"][-1][1] < 0.01 * raw["theta_star"][1]
    # standardized: at the optimum after a handful of steps
    std = h["standardized"]
    assert np.allclose(std["path"][10], std["theta_star"], rtol=1e-3)


def test_same_minimum_for_every_version(res):
    """An affine change of the features with a bias column changes the path, not the fit."""
    h = res["house"]
    assert h["max_prediction_difference"] < 1e-6
    # the slope per m^2 and per bedroom: raw weights = standardized weights / std
    assert math.isclose(
        h["raw"]["theta_star"][0], h["standardized"]["theta_star"][0] / h["area_std"], rel_tol=1e-9
    )
    assert math.isclose(
        h["raw"]["theta_star"][1],
        h["standardized"]["theta_star"][1] / h["bedrooms_std"],
        rel_tol=1e-9,
    )
    # and they recover the generating model (3 per m^2, 20 per bedroom) within noise
    assert abs(h["raw"]["theta_star"][0] - 3) < 0.1
    assert abs(h["raw"]["theta_star"][1] - 20) < 5


def test_scaled_only_keeps_large_means(res):
    X, _ = mod.house_data()
    ratio = X.mean(0) / X.std(0)  # mean in units of std, about 2 for both features
    assert np.all((1.7 < ratio) & (ratio < 2.4))
    assert math.isclose(275 / 130, 2.1, abs_tol=0.05) and math.isclose(3 / math.sqrt(2), 2.1, abs_tol=0.05)
    # centered only: the flattest direction is the bias, curvature exactly 1
    assert math.isclose(res["house"]["centered"]["eigenvalues"][0], 1.0, rel_tol=1e-9)


def test_first_gradient(res):
    h = res["house"]
    # raw: the area component of the first gradient is two orders of magnitude larger
    assert h["raw"]["first_grad_ratio"] > 50
    # standardized: the ratio is that of the effects per std, theta*_area / theta*_bedrooms,
    # up to the small correlation between the two features
    s = h["standardized"]
    r = h["correlation"]
    a, b = s["theta_star"][:2]
    assert math.isclose(s["first_grad_ratio"], abs((a + r * b) / (r * a + b)), rel_tol=1e-9)
    # E[z_j y] = cov(x_j, y) / sigma_j: the gradient at 0 of the standardized problem
    X, y = mod.house_data()
    Z = mod.preprocess(X, "standardized")
    cov = np.array([np.cov(X[:, j], y, bias=True)[0, 1] / X[:, j].std() for j in range(2)])
    assert np.allclose(Z.T @ y / len(y), cov)
    assert math.isclose(abs(cov[0] / cov[1]), s["first_grad_ratio"], rel_tol=1e-9)
    assert math.isclose(r * a + b, cov[1], rel_tol=1e-9)


def test_standardized_is_not_normal(res):
    h = res["house"]
    assert h["bedrooms_distinct_standardized"] == 5
    # uniform area: P(|z| < 1) = 1 / sqrt(3) = 0.577, not the normal 0.683
    assert abs(h["area_within_one_std"] - 1 / math.sqrt(3)) < 0.06
    assert math.isclose(h["normal_within_one_std"], 0.6826894921, rel_tol=1e-9)
    assert h["area_within_one_std"] < h["normal_within_one_std"] - 0.05


# ---------------------------------------------------------------------------------------------
# 2. Wine


def test_wine_scales_and_condition(res):
    w = res["wine"]
    X, y = load_wine(return_X_y=True)
    X_tr, _, _, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    std = X_tr.std(0)
    assert np.allclose(w["feature_std"], std)
    assert w["std_ratio"] > 1000  # three orders of magnitude
    assert np.argmax(std) == 12  # proline
    assert w["kappa_raw"] > 1e7
    Z = (X_tr - X_tr.mean(0)) / std
    corr = np.corrcoef(X_tr, rowvar=False)
    assert np.allclose(Z.T @ Z / len(Z), corr)  # standardized X^T X / n is the correlation matrix
    assert math.isclose(w["kappa_standardized"], np.linalg.cond(corr), rel_tol=1e-6)
    assert w["kappa_standardized"] < 100
    assert w["kappa_raw"] / w["kappa_standardized"] > 1e5


def test_wine_sweep_gives_each_input_its_own_learning_rate(res):
    w = res["wine"]
    assert len(set(w["seeds"])) >= 5
    assert len(w["lrs"]) >= 3
    for name in ["raw", "standardized"]:
        sweep = w[name]["sweep"]
        assert [row["lr"] for row in sweep] == w["lrs"]
        # chosen on the median *training* loss, never on the test split
        best = min(sweep, key=lambda row: row["median_train_loss"])
        assert w[name]["best_lr"] == best["lr"]
        assert w[name]["best"]["test_acc_median"] == best["test_acc_median"]
        assert len(w[name]["best"]["test_acc"]) == len(w["seeds"])
        assert math.isclose(np.median(w[name]["best"]["final_train_loss"]), best["median_train_loss"])
        for row in sweep:
            assert row["test_acc_min"] <= row["test_acc_median"] <= row["test_acc_max"]
        for curve in w[name]["best"]["test_acc_curve"]:
            assert len(curve) == w["steps"] // w["eval_every"] + 1
        assert w[name]["max_test_acc_any_lr"] == max(row["test_acc_max"] for row in sweep)
    # the raw network's best rate is below the rate that collapses it
    assert w["raw"]["best_lr"] < w["collapse_lr"]
    # the outcome: far apart, with a margin wide enough for chaotic raw runs on any CPU
    assert w["standardized"]["best"]["test_acc_min"] >= 0.95
    assert w["raw"]["best"]["test_acc_median"] < 0.75
    assert w["raw"]["max_test_acc_any_lr"] < 0.8  # "no raw run, at any rate, gets beyond"


def test_wine_raw_saturation_and_readout_at_init(res):
    w = res["wine"]
    assert w["raw"]["saturated_min"] > 0.9
    assert w["standardized"]["saturated_max"] == 0.0  # "no unit starts saturated"
    # proline ranges from hundreds to over a thousand; with U(-1/sqrt(13), 1/sqrt(13))
    # weights the pre-activations are of order 100
    X_tr, X_te, y_tr, y_te = mod.load_wine_split()
    assert X_tr[:, 12].min() > 250 and X_tr[:, 12].max() > 1000
    W1, b1, _, _ = mod.init_tanh_mlp(13, w["hidden"], 3, 0)
    assert 30 < np.median(np.abs(X_tr @ W1 + b1)) < 300
    # the same draws as a fresh generator: nn.Linear's U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    rng = np.random.default_rng(0)
    a = 1 / math.sqrt(13)
    assert np.array_equal(W1, rng.uniform(-a, a, (13, w["hidden"])))
    # "not yet blind": a readout of the frozen layer beats the majority class clearly
    assert len(w["raw"]["readout_at_init"]) == len(w["seeds"])
    assert w["raw"]["readout_at_init_max"] > w["majority_test_share"] + 0.1
    assert w["raw"]["readout_at_init_min"] == min(w["raw"]["readout_at_init"])
    acc = mod.readout_accuracy(X_tr, y_tr, X_te, y_te, W1, b1)
    assert abs(acc - w["raw"]["readout_at_init"][0]) <= 2 / len(y_te)


def test_wine_raw_collapse_at_the_rate_for_standardized_inputs(res):
    w = res["wine"]
    c = w["raw"]["collapse"]
    st = {row["lr"]: row for row in w["standardized"]["sweep"]}
    assert st[w["collapse_lr"]]["test_acc_min"] >= 0.95  # a rate that suits standardized inputs
    assert c["saturated_after_min"] > 0.99
    assert c["hidden_spread_max"] < 0.02  # the hidden layer is (nearly) a constant
    # best constant prediction = class frequencies; its cross-entropy is their entropy
    assert c["max_loss_minus_entropy"] < 1e-3
    for loss in c["final_train_loss"]:
        assert abs(loss - w["prior_entropy"]) <= c["max_loss_minus_entropy"] + 1e-15
    for acc in c["test_acc"]:
        assert acc == w["majority_test_share"]  # the largest class for every test wine
    for acc in c["readout_after"]:
        assert acc <= w["majority_test_share"] + 0.05
    # smaller rates avoid the collapse: some raw run ends clearly below the prior's entropy
    small = [row for row in w["raw"]["sweep"] if row["lr"] < w["collapse_lr"]]
    assert min(row["min_train_loss"] for row in small) < w["prior_entropy"] - 0.05
    # fragile: rounding the inputs to float32 changes some raw run's test accuracy
    r = w["raw"]["rounded_inputs"]
    assert r["n_changed"] >= 1 and r["max_abs_change"] > 0
    assert max(r["test_acc"]) < 0.8


def test_wine_networks_trained_side_by_side_are_independent():
    X_tr, X_te, y_tr, y_te = mod.load_wine_split()
    Z_tr = (X_tr - X_tr.mean(0)) / X_tr.std(0)
    Z_te = (X_te - X_tr.mean(0)) / X_tr.std(0)
    both = mod.train_tanh_mlp(Z_tr, y_tr, Z_te, y_te, seeds=(0, 1), lr=0.1, steps=50)
    alone = mod.train_tanh_mlp(Z_tr, y_tr, Z_te, y_te, seeds=(1,), lr=0.1, steps=50)
    for p, q in zip(both[1]["params"], alone[0]["params"]):
        assert np.allclose(p, q, rtol=1e-9, atol=1e-12)
    # and the entropy of the class frequencies is the loss of the best constant prediction
    prior = np.bincount(y_tr) / len(y_tr)
    assert math.isclose(-(prior * np.log(prior)).sum(), -np.mean(np.log(prior[y_tr])))


def test_wine_standardization_folds_into_the_first_layer(res):
    w = res["wine"]
    assert w["folded_max_logit_difference"] < 1e-9
    assert w["folded_test_acc"] == w["standardized"]["best"]["test_acc"][0]


# ---------------------------------------------------------------------------------------------
# 3. Decorrelation


def test_standardization_does_not_decorrelate(res):
    d = res["decorrelate"]
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, _ = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    corr = np.corrcoef(X_tr, rowvar=False)
    assert math.isclose(d["kappa_standardized"], np.linalg.cond(corr), rel_tol=1e-6)
    assert d["kappa_standardized"] > 1e4
    assert d["kappa_raw"] > 1e10
    assert d["max_correlation"] > 0.99
    assert set(d["max_correlation_pair"]) == {"mean radius", "mean perimeter"}
    # perimeter of a circle = 2 pi r: nearly a linear function of the radius
    # whitening: identity covariance on the training split
    assert abs(d["kappa_whitened"] - 1) < 1e-6
    assert all(abs(v - 1) < 1e-6 for v in d["spectra"]["whitened"])
    # the eigenvalues of a correlation matrix sum to the number of features
    assert math.isclose(sum(d["spectra"]["standardized"]), d["n_features"], rel_tol=1e-9)
    assert math.isclose(d["whitening_gain"], d["smallest_eigenvalue_standardized"] ** -0.5)
    assert d["whitening_gain"] > 50
    # the training split's whitening carries over only in part: a large gain on the test split ...
    assert d["kappa_standardized_test"] > 100 * d["kappa_whitened_test"]
    # ... but far from what finite sampling of white data gives (Marchenko-Pastur edge ratio)
    n, p = d["n_test"], d["n_features"]
    q = math.sqrt(p / n)
    mp = ((1 + q) / (1 - q)) ** 2
    assert 0.6 * mp < d["kappa_white_sample"] < 1.4 * mp
    assert d["kappa_whitened_test"] > 5 * d["kappa_white_sample"]


# ---------------------------------------------------------------------------------------------
# 4. Leakage


def test_leakage(res):
    lk = res["leakage"]
    n_tr, n = 133, 178
    assert math.isclose(lk["train_fraction"], n_tr / n)
    # mu_all = (n_tr mu_tr + n_te mu_te) / n  =>  mu_te - mu_all = (n_tr / n)(mu_te - mu_tr)
    assert math.isclose(lk["test_shift_ratio"], n_tr / n, rel_tol=1e-9)
    assert lk["all_data"]["test_mean_abs"] < lk["train_only"]["test_mean_abs"]
    assert lk["train_only"]["test_mean_abs"] > 0.05  # a new sample is not centred exactly
    assert 0 < lk["max_mean_change_in_std"] < 0.2
    assert 0 < lk["max_std_change"] < 0.1
    # "nothing measurable": over several splits, at most one test wine changes and the log-loss,
    # which has no ceiling, moves by less than 1 % of its size
    assert lk["splits"] >= 5 and len(lk["log_loss_diff"]) == lk["splits"]
    assert lk["max_abs_acc_diff"] <= 1 / 45 + 1e-9
    assert lk["n_splits_same_acc"] == sum(d == 0 for d in lk["acc_diff"])
    assert lk["n_splits_same_acc"] >= lk["splits"] - 1
    assert lk["max_abs_log_loss_diff"] < 0.01 * lk["mean_log_loss"] + 1e-3
    assert abs(lk["mean_log_loss_diff"]) <= lk["max_abs_log_loss_diff"]
    assert lk["test_acc_min"] <= lk["train_only"]["test_acc"] <= lk["test_acc_max"]
    # split 0 is the split of the statistics above
    assert lk["log_loss_diff"][0] == lk["all_data"]["test_log_loss"] - lk["train_only"]["test_log_loss"]


# ---------------------------------------------------------------------------------------------
# 5. Near-constant features


def test_near_constant_features_blow_up(res):
    nc = res["near_constant"]
    X, y = load_digits(return_X_y=True)
    X_tr, X_te = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    j = nc["worst_pixel"]
    mean, std = X_tr[:, j].mean(), X_tr[:, j].std()
    assert math.isclose(nc["worst_pixel_std"], std)
    assert math.isclose(nc["worst_pixel_z"], (nc["worst_pixel_test_value"] - mean) / std)
    assert nc["worst_pixel_z"] > 50
    assert nc["worst_pixel_nonzero_train"] <= 5
    assert nc["median_max_abs_test"] < 4
    # a pixel on in exactly one training image: that image's z is sqrt(n - 1)
    assert nc["single_pixels"]
    for z in nc["single_pixel_train_z"]:
        assert math.isclose(z, math.sqrt(nc["n_train"] - 1), rel_tol=1e-9)
    # StandardScaler guards exact zeros only: constant pixels get scale 1 and pass unscaled
    assert nc["constant_scale"] == [1.0] * len(nc["constant_pixels"])
    assert all(X_tr[:, k].std() == 0 for k in nc["constant_pixels"])
    assert nc["constant_pixels_on_in_test"] >= 1
    assert nc["constant_max_abs_test"] == max(
        abs(v) for k in nc["constant_pixels"] for v in X_te[:, k] - X_tr[:, k].mean()
    )
    # what it costs a model: a tanh unit with nn.Linear's largest initial weight 1/sqrt(64)
    # is saturated (|tanh| > 0.99) by this pixel alone
    assert math.tanh(nc["worst_pixel_z"] / 8) > 0.99
    lin = nc["linear"]
    assert lin["standard"]["worst_pixel_z"] == nc["worst_pixel_z"]  # the same test image
    assert math.isclose(
        lin["floored"]["worst_pixel_z"], nc["worst_pixel_z"] * nc["worst_pixel_std"] / nc["floor"]
    )
    # the pixel's logit contribution shrinks several-fold with a floor under sigma ...
    assert lin["standard"]["worst_pixel_logit"] > 3 * lin["floored"]["worst_pixel_logit"]
    assert lin["standard"]["worst_pixel_logit"] > 1
    # ... while the average score hardly notices
    assert abs(lin["standard"]["test_acc"] - lin["floored"]["test_acc"]) < 0.02
    assert lin["standard"]["test_acc"] > 0.9
    # the blow-up is 1 / std: the largest test value over the std bounds max |z|
    for s, m in zip(nc["train_std"], nc["max_abs_test"]):
        if s > 0:
            assert m <= 16 / s + 1e-9


# ---------------------------------------------------------------------------------------------
# The explorer (conditioning), checked against least squares and plain gradient descent


@pytest.fixture(scope="module")
def conditioning_explorer():
    from conftest import built_explorer, explorer_states

    spec = built_explorer("standardization", "conditioning")
    return spec, explorer_states(spec)


def _design(ratio: float, kind: str):
    X, y = mod.two_features(ratio)
    if kind == "standardized":
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return np.column_stack([X, np.ones(len(X))]), y


def _gd_steps(A: np.ndarray, y: np.ndarray, lr_factor: float, tol: float = 1e-6) -> int:
    """Plain gradient descent on mean((A theta - y)^2) / 2 from 0, counted step by step."""
    n = len(A)
    theta_star = np.linalg.lstsq(A, y, rcond=None)[0]
    loss = lambda t: 0.5 * np.mean((A @ t - y) ** 2)  # noqa: E731
    lr = lr_factor / np.linalg.eigvalsh(A.T @ A / n)[-1]
    theta, target, steps = np.zeros(A.shape[1]), tol * (loss(np.zeros(A.shape[1])) - loss(theta_star)), 0
    while loss(theta) - loss(theta_star) > target:
        theta = theta - lr * A.T @ (A @ theta - y) / n
        steps += 1
    return steps


def test_explorer_standardized_features_do_not_see_the_ratio(conditioning_explorer):
    spec, states = conditioning_explorer
    standardized = [s["values"] for k, s in states.items() if k.endswith("|standardized")]
    assert len({v["steps"] for v in standardized}) == 1 and len({v["lr"] for v in standardized}) == 1
    assert max(v["kappa"] for v in standardized) == pytest.approx(min(v["kappa"] for v in standardized), rel=1e-9)


def test_explorer_raw_condition_number_grows_as_the_ratio_squared(conditioning_explorer):
    spec, states = conditioning_explorer
    kappa = {int(s["controls"]["ratio"]): s["values"]["kappa"] for k, s in states.items() if k.endswith("|raw")}
    assert kappa[100] / kappa[50] == pytest.approx(4, rel=0.02)
    assert kappa[50] / kappa[20] == pytest.approx(6.25, rel=0.03)
    assert kappa[100] > 1000 * kappa[1]


def test_explorer_steps_are_those_of_gradient_descent_run_step_by_step(conditioning_explorer):
    """Small cases counted by a plain loop (the snippet counts in closed form), each at the
    explorer's best rate; and that rate is the best of the page's sweep."""
    spec, states = conditioning_explorer
    for key in ["1|raw", "2|raw", "5|raw", "10|raw", "10|standardized"]:
        ratio, kind = key.split("|")
        A, y = _design(float(ratio), kind)
        values = states[key]["values"]
        assert _gd_steps(A, y, values["lr"]) == values["steps"], key
        assert min(_gd_steps(A, y, f) for f in mod.LR_FACTORS) == values["steps"], key


def test_explorer_slowest_direction_sets_the_steps_at_large_ratios(conditioning_explorer):
    """With eta = f / lambda_max the slowest error shrinks by 1 - f / kappa per step, so the loss gap
    reaches tol after about kappa ln(1/tol) / (2 f) steps (up to the share of the initial error in
    that direction)."""
    spec, states = conditioning_explorer
    for ratio in [20, 50, 100]:
        v = states[f"{ratio}|raw"]["values"]
        assert 0.5 < v["steps"] / (v["kappa"] * math.log(1e6) / (2 * v["lr"])) < 1.5, ratio


def test_explorer_contours_surround_the_least_squares_minimum_and_the_path_starts_at_zero(conditioning_explorer):
    spec, states = conditioning_explorer
    for key, state in states.items():
        ratio, kind = key.split("|")
        A, y = _design(float(ratio), kind)
        w_star = np.linalg.lstsq(A, y, rcond=None)[0][:2]
        assert state["series"]["minimum"][0] == pytest.approx(w_star.tolist(), rel=1e-6, abs=1e-9)
        assert state["series"]["path"][0] == [0.0, 0.0]
        for ring in state["series"]["contours"]:
            assert ring[0] == pytest.approx(ring[-1])  # closed
            assert np.mean(ring[:-1], axis=0) == pytest.approx(w_star, rel=1e-6, abs=1e-9)


def test_explorer_contours_lie_at_the_loss_gaps_their_legend_states(conditioning_explorer):
    """Each ring is where the loss gap, with the bias at its best for those two weights, is the
    stated fraction of the gap at the path's start (w = 0), computed here from the data by least
    squares; the legend lists those fractions."""
    spec, states = conditioning_explorer
    legend = next(s["label"] for s in spec["charts"][0]["series"] if s["key"] == "contours")
    levels = [float(v) for v in re.findall(r"\d+(?:\.\d+)?", legend)]
    assert len(levels) == len(next(iter(states.values()))["series"]["contours"]) >= 3
    for key, state in states.items():
        ratio, kind = key.split("|")
        A, y = _design(float(ratio), kind)

        def gap(w) -> float:  # the loss at w with the best bias, minus the least-squares loss
            bias = np.mean(y - A[:, :2] @ w)
            return 0.5 * np.mean((A[:, :2] @ w + bias - y) ** 2) - 0.5 * np.mean((A @ np.linalg.lstsq(A, y, rcond=None)[0] - y) ** 2)

        start = gap(np.zeros(2))
        for level, ring in zip(levels, state["series"]["contours"]):
            assert [gap(np.array(w)) / start for w in ring] == pytest.approx([level] * len(ring), rel=1e-6), (key, level)


def test_explorer_path_gap_is_where_plain_gradient_descent_stands_after_the_drawn_steps(conditioning_explorer):
    """The readout "loss gap left at the drawn path's end": the drawn steps of plain gradient descent
    at eta = 1 / lambda_max, counted here step by step on the full loss (with the bias); at large ratios
    the path has barely moved along the slow direction, standardized features finish."""
    spec, states = conditioning_explorer
    for key, state in states.items():
        ratio, kind = key.split("|")
        A, y = _design(float(ratio), kind)
        n, steps = len(A), len(state["series"]["path"]) - 1
        theta_star = np.linalg.lstsq(A, y, rcond=None)[0]
        loss = lambda t: 0.5 * np.mean((A @ t - y) ** 2)  # noqa: E731
        theta, lr = np.zeros(A.shape[1]), 1 / np.linalg.eigvalsh(A.T @ A / n)[-1]
        for _ in range(steps):
            theta = theta - lr * A.T @ (A @ theta - y) / n
        expected = (loss(theta) - loss(theta_star)) / (loss(np.zeros(A.shape[1])) - loss(theta_star))
        assert state["values"]["path_gap"] == pytest.approx(expected, rel=1e-6, abs=1e-15), key
    assert states["100|raw"]["values"]["path_gap"] > 0.1 > 1e3 * states["100|standardized"]["values"]["path_gap"]


def test_the_drawn_paths_have_as_many_steps_as_their_captions_say(res, conditioning_explorer):
    """"The first 60 steps": the start and the point after each step, 61 points."""
    spec, states = conditioning_explorer
    steps = int(re.search(r"(\d+)", spec["charts"][0]["title"]).group(1))
    assert all(len(state["series"]["path"]) == steps + 1 for state in states.values())
