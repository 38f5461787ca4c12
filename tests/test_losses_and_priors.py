"""Every claim of the *Losses and priors* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_losses_and_priors.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from conftest import built_results
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import snippets.losses_and_priors as m

EXACT = 1e-12  # "equal" for float64 identities


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("losses_and_priors")


@pytest.fixture(scope="module")
def split():
    """The diabetes split of the page, rebuilt here independently of the snippet."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def test_mse_is_the_gaussian_nll(res):
    r = res["mse"]
    X, y = load_diabetes(return_X_y=True, scaled=False)
    residual = y - LinearRegression().fit(X, y).predict(X)
    assert r["n"] == len(y)
    assert r["mse"] == pytest.approx(np.mean(residual**2), rel=1e-9)
    sigma = r["sigma"]
    assert r["const"] == pytest.approx(0.5 * math.log(2 * math.pi * sigma**2), rel=1e-15)
    assert r["nll"] == pytest.approx(r["mse"] / (2 * sigma**2) + r["const"], rel=1e-12)
    for key in ("nll_vs_formula", "torch_full_vs_nll", "torch_default_vs_formula",
                "clamped_rel_diff", "grad_ratio_max_dev"):
        assert r[key] < EXACT, key
    assert r["max_identity_diff"] < EXACT
    # full=False leaves out exactly 0.5 ln(2 pi)
    assert r["torch_default_gap"] == pytest.approx(0.5 * math.log(2 * math.pi), abs=EXACT)
    assert r["half_log_2pi"] == pytest.approx(0.9189385332046727, abs=1e-15)
    # the maximum-likelihood sigma of a fixed fit is its RMSE
    assert r["sigma_mle"] == pytest.approx(math.sqrt(r["mse"]), rel=1e-6)
    assert r["rmse"] == pytest.approx(math.sqrt(r["mse"]), rel=1e-12)


def test_learned_variance(res):
    h = res["hetero"]
    grid = np.array(h["grid"])
    assert np.allclose(h["std_true"], 0.05 + 0.45 * grid, atol=1e-6)
    assert h["mean_rel_error"] < 0.10  # the learned std follows the true curve
    assert h["max_rel_error"] < 0.5
    # the worst point is the low-noise edge
    rel = np.abs(np.array(h["std_learned"]) - h["std_true"]) / h["std_true"]
    assert np.argmax(rel) == 0  # the page: "at the low-noise edge, x = 0"
    assert h["mean_fit_error"] < 0.2  # the mean is fitted too ...
    assert h["mean_fit_error_x"] >= 0.8  # ... worst where the noise is largest
    # one sigma: about the RMS of the true std over x ~ U(0, 1)
    rms_std = math.sqrt(0.05**2 + 0.05 * 0.45 + 0.45**2 / 3)
    assert h["sigma_const"] == pytest.approx(rms_std, rel=0.05)
    assert h["const_mean_rel_error"] > 0.5
    # 95% intervals: right in both halves with the learned std ...
    for half in ("low", "high", "all"):
        assert h["coverage"][half] == pytest.approx(0.95, abs=0.02), half
    # ... too wide where the noise is small, too narrow where it is large with one sigma
    assert h["coverage_const"]["low"] > 0.98
    assert h["coverage_const"]["high"] < 0.90
    assert h["coverage_const"]["all"] == pytest.approx(0.95, abs=0.03)
    # NLL weight 1/var on the mean: true ratio (0.5 / 0.05)^2 = 100
    expected = (h["std_learned"][-1] / h["std_learned"][0]) ** 2
    assert h["weight_ratio"] == pytest.approx(expected, rel=1e-5)
    assert 20 < h["weight_ratio"] < 150


def test_best_constants_are_mean_and_median(res, split):
    o = res["outliers"]
    _, _, y_tr, _ = split
    assert o["n_train"] == len(y_tr) and o["n_test"] == len(split[3])
    assert o["n_features"] == split[0].shape[1]
    assert o["max_clean"] == y_tr.max()
    assert o["min_outlier"] >= o["factor"] * y_tr.min()
    assert o["min_outlier"] > o["max_clean"]  # every outlier lies beyond the clean data
    for key in ("clean", "outliers"):
        c = o["constants"][key]
        assert c["mse"] == pytest.approx(c["mean"], abs=1e-4)
        assert c["l1"] == pytest.approx(c["median"], abs=1e-4)
    clean, dirty = o["constants"]["clean"], o["constants"]["outliers"]
    assert clean["mean"] == pytest.approx(y_tr.mean(), rel=1e-12)
    assert clean["median"] == np.median(y_tr)
    # the mean moves by (factor - 1) * (sum of the multiplied targets) / n
    k, f, n = o["n_outliers"], o["factor"], len(y_tr)
    shift = dirty["mean"] - clean["mean"]
    assert (f - 1) * k * y_tr.min() / n <= shift <= (f - 1) * k * y_tr.max() / n
    shift_median = abs(dirty["median"] - clean["median"])
    shift_huber = abs(dirty["huber"] - clean["huber"])
    # k of n points moved up: the median moves up by at most k order statistics
    s = np.sort(y_tr)
    assert s[n // 2] <= dirty["median"] <= s[n // 2 + k]
    assert shift > 10 * max(shift_median, shift_huber)
    # Huber moves a little more than the median, far less than the mean
    assert shift_median <= shift_huber < shift / 5


def test_outliers_in_regression(res):
    fits = res["outliers"]["fits"]
    # "the test error rises by half"
    assert 1.35 < fits["mse"]["mae_outliers"] / fits["mse"]["mae_clean"] < 1.7
    assert fits["mse"]["coef_change"] > 1.0
    for name in ("huber", "l1"):
        assert fits[name]["mae_outliers"] == pytest.approx(fits[name]["mae_clean"], rel=0.03)
        assert abs(fits[name]["mae_outliers"] - fits[name]["mae_clean"]) < 1.0  # "within one unit"
        assert fits[name]["coef_change"] < 0.25
    # on clean targets the least-squares fit is not worse (even in MAE) ...
    assert fits["mse"]["mae_clean"] <= min(fits["huber"]["mae_clean"], fits["l1"]["mae_clean"])
    # ... but only slightly: "robustness costs little here"
    assert max(fits["huber"]["mae_clean"], fits["l1"]["mae_clean"]) < 1.05 * fits["mse"]["mae_clean"]


def test_families_are_familiar_losses(res):
    f = res["families"]
    for key in ("bernoulli_bce", "bernoulli_bce_logits", "categorical_ce", "laplace_l1", "poisson"):
        assert f[key] < EXACT, key
    assert f["max_diff"] < EXACT
    assert f["poisson_constant"] > 1  # PoissonNLLLoss(full=False) omits a large constant


def test_mean_vs_median_efficiency(res):
    e = res["families"]["efficiency"]
    assert res["families"]["half_pi"] == pytest.approx(math.pi / 2)
    # asymptotic relative variances: pi/2 under Gaussian noise, 1/2 under Laplace noise
    # each variance has a relative standard error of about sqrt(2 / reps) = 2%
    assert e["gaussian"] == pytest.approx(math.pi / 2, rel=0.05)
    assert 0.5 < e["laplace"] < 0.7  # above 1/2 at finite n, approaching it
    assert e["gaussian"] > 1 > e["laplace"]


def test_weight_decay_is_a_gaussian_prior(res, split):
    r = res["ridge"]
    X, _, y, _ = split
    n, d = X.shape
    residual = y - LinearRegression().fit(X, y).predict(X)
    assert r["n"] == n
    assert r["sigma"] == pytest.approx(residual.std(), rel=1e-12)
    assert r["lam"] == pytest.approx(r["sigma"] ** 2 / r["tau"] ** 2, rel=1e-12)
    assert r["weight_decay"] == pytest.approx(2 * r["lam"] / n, rel=1e-12)
    assert r["closed_vs_sklearn"] < 1e-6
    assert r["closed_vs_sgd"] < 1e-6
    assert r["max_diff"] < 1e-6
    assert r["map_grad"] < 1e-8  # the negative log-posterior is flat at the ridge solution
    # the prior shrinks the weights
    Xc, yc = X - X.mean(0), y - y.mean()
    w_ridge = np.linalg.solve(Xc.T @ Xc + r["lam"] * np.eye(d), Xc.T @ yc)
    w_ols = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    assert r["shrinkage"] == pytest.approx(np.linalg.norm(w_ridge) / np.linalg.norm(w_ols), rel=1e-9)
    assert r["shrinkage"] < 1


def test_input_noise_identity(res):
    nz = res["noise"]
    mc = nz["mc"]
    w_ols = np.array(nz["train"]["w_ols"])
    for s, theory in zip(mc["s"], mc["theory"]):
        assert theory == pytest.approx(mc["mse"] + s**2 * w_ols @ w_ols, rel=1e-12)
    # Monte Carlo agrees with MSE + s^2 ||w||^2 within 4 standard errors, for both noises
    for name in ("gaussian", "uniform"):
        for a, t, se in zip(mc[name], mc["theory"], mc[f"{name}_se"]):
            assert abs(a - t) < 4 * se, name
    assert nz["mc_max_z"] < 4
    assert nz["mc_max_rel_error"] < 0.01 and nz["mc_uniform_max_rel_error"] < 0.01


def test_noise_training_reaches_ridge(res, split):
    t = res["noise"]["train"]
    X, _, y, _ = split
    n, d = X.shape
    s = res["noise"]["s"]
    assert t["alpha"] == pytest.approx(n * s**2)
    Xc, yc = X - X.mean(0), y - y.mean()
    w_ridge = np.linalg.solve(Xc.T @ Xc + n * s**2 * np.eye(d), Xc.T @ yc)
    assert np.allclose(t["w_ridge"], w_ridge, rtol=1e-8, atol=1e-8)
    assert t["noise_to_ridge"] < 0.03
    assert t["last_to_ridge"] < 0.15
    assert t["ols_to_ridge"] > 0.5
    assert t["noise_to_ridge"] < t["ols_to_ridge"] / 20


def test_figures(res):
    figs = m.figures(res, "en")
    assert set(figs) == {"heteroscedastic", "nll_shapes", "outliers", "input_noise",
                         "scale_invariance"}
    matplotlib.pyplot.close("all")


# Weight decay before a normalization layer -----------------------------------------------


def test_scale_invariance_is_exact_without_eps(res):
    sc = res["scale"]
    inv = sc["invariance_eps0"]
    # L(cW) = L(W), c grad(cW) = grad(W) and <grad, W> = 0: float64 rounding only
    assert len(inv["loss_change"]) == len(sc["scales"]) >= 3
    assert max(inv["loss_change"]) < 1e-13
    assert max(inv["grad_error"]) < 1e-12
    assert abs(inv["cos_grad_w"]) < 1e-13
    assert sc["max_loss_change_eps0"] == max(inv["loss_change"])
    assert sc["max_eps0"] < 1e-12


def test_eps_is_the_only_deviation(res):
    """With LayerNorm's eps, LN(cz) uses eps / c^2: to first order every deviation is
    proportional to |1/c^2 - 1|, and small."""
    sc = res["scale"]
    inv = sc["invariance"]
    assert sc["eps"] == 1e-5  # PyTorch's default
    assert sc["train_eps"] == 0.0  # training: exactly scale-invariant
    shift = [abs(1 / c**2 - 1) for c in sc["scales"]]
    for key in ("loss_change", "grad_error"):
        per_shift = [v / s for v, s in zip(inv[key], shift)]
        assert max(per_shift) == pytest.approx(min(per_shift), rel=0.02), key
        assert 0 < max(inv[key]) < 1e-4, key
    assert 0 < abs(inv["cos_grad_w"]) < 1e-5
    assert sc["max_loss_change"] == max(inv["loss_change"])
    assert sc["max_grad_error"] == max(inv["grad_error"])


def _rows(sc, arm):
    return {r["lr"]: r for r in sc["rows"] if r["arm"] == arm}


def test_setup_of_the_sweep(res):
    sc = res["scale"]
    assert sc["seeds"] >= 5 and len(sc["lrs"]) >= 3
    assert sc["n_train"] + sc["n_test"] == 1797
    for arm, wd in (("no_decay", 0.0), ("decay", sc["weight_decay"])):
        rows = _rows(sc, arm)
        assert sorted(rows) == sorted(sc["lrs"])
        for r in rows.values():
            assert r["wd"] == wd
            assert len(r["norm_final_seeds"]) == sc["seeds"]
    # every arm starts from the same initial weights
    assert len({round(r["norm_init"], 12) for r in sc["rows"]}) == 1


def test_norms_follow_the_update_rule(res):
    """Orthogonal gradient steps can only lengthen W: |W_t+1|^2 = (1 - lr wd)^2 |W_t|^2
    + lr^2 |g|^2. So without decay the norm grows, and with decay it stays above the
    pure-decay curve |W_0| (1 - lr wd)^t."""
    sc = res["scale"]
    steps = sc["steps"]
    for r in _rows(sc, "no_decay").values():
        assert r["norm_grew"]
        assert r["norm_final"]["min"] > r["norm_init"]
    for lr, r in _rows(sc, "decay").items():
        floor = r["norm_init"] * (1 - lr * sc["weight_decay"]) ** steps
        assert r["norm_final"]["min"] > floor
        assert r["norm_final"]["max"] < r["norm_init"]


def test_decay_shrinks_the_norm_and_raises_the_rotation(res):
    """Paired by seed (same initialization, same minibatches): at every learning rate,
    weight decay ends with a smaller W that turns faster per step."""
    sc = res["scale"]
    no, de = _rows(sc, "no_decay"), _rows(sc, "decay")
    for lr in sc["lrs"]:
        for n_no, n_de in zip(no[lr]["norm_final_seeds"], de[lr]["norm_final_seeds"]):
            assert n_de < 0.75 * n_no
        for a_no, a_de in zip(no[lr]["angle_last_seeds"], de[lr]["angle_last_seeds"]):
            assert a_de > 2 * a_no
    # without decay the effective learning rate falls by itself ...
    for r in no.values():
        assert r["angle_last"]["median"] < r["angle_first"]["median"]
    # ... at lr = 0.3 mostly through the gradient: the growth of |W|^2 explains less
    # than half of the fall of the rotation (on a log scale)
    r = no[sc["lrs"][1]]
    growth = (r["norm_final"]["median"] / r["norm_init"]) ** 2
    assert growth**2 < r["angle_first"]["median"] / r["angle_last"]["median"]


def test_equilibrium_rotation(res):
    """Where |W| has stopped changing, the RMS rotation per step is arccos(1 - lr wd)
    (about sqrt(2 lr wd)); at the smallest learning rate |W| is still falling."""
    sc = res["scale"]
    wd = sc["weight_decay"]
    rows = _rows(sc, "decay")
    for lr, r in rows.items():
        assert r["angle_theory"] == pytest.approx(math.acos(1 - lr * wd), rel=1e-12)
        assert r["sqrt_2_lr_wd"] == pytest.approx(math.sqrt(2 * lr * wd), rel=1e-12)
        assert r["angle_theory"] == pytest.approx(r["sqrt_2_lr_wd"], rel=0.03)
    slow, *settled = sorted(rows)
    assert rows[slow]["norm_falling"]
    assert rows[slow]["angle_last"]["max"] < 0.9 * rows[slow]["angle_theory"]
    for lr in settled:
        r = rows[lr]
        assert r["angle_last"]["median"] == pytest.approx(r["angle_theory"], rel=0.06)
        assert r["angle_last"]["min"] > 0.9 * r["angle_theory"]
        assert r["angle_last"]["max"] < 1.1 * r["angle_theory"]


def test_decay_is_a_learning_rate_schedule(res):
    """Li & Arora: decayed SGD = SGD without decay and W's learning rate
    lr (1 - lr wd)^(-2t-1); the weights differ by the factor (1 - lr wd)^-t. Exact for
    eps = 0, up to rounding amplified over the run."""
    sc = res["scale"]
    eq = sc["equivalence"]
    steps, wd = sc["steps"], sc["weight_decay"]
    for i, lr in enumerate(sc["lrs"]):
        assert eq["logit_rel_diff"][i] < 1e-8
        assert eq["same_prediction"][i] == 1.0
        assert eq["norm_ratio"][i] == pytest.approx((1 - lr * wd) ** -steps, rel=1e-8)
        assert eq["norm_ratio_error"][i] < 1e-8
        assert eq["angle_diff"][i] < 1e-8
        assert eq["lr_growth_final"][i] == pytest.approx((1 - lr * wd) ** (1 - 2 * steps))
    assert sc["max_equiv_diff"] == max(eq["logit_rel_diff"])


def test_accuracy_of_the_two_arms(res):
    sc = res["scale"]
    no, de = _rows(sc, "no_decay"), _rows(sc, "decay")
    best = sc["best"]
    for arm, rows in (("no_decay", no), ("decay", de)):
        assert best[arm]["acc"]["median"] == max(r["acc"]["median"] for r in rows.values())
        assert best[arm]["lr"] in sc["lrs"]
    # all arms learn the task
    assert min(r["acc"]["min"] for r in sc["rows"]) > 0.8
    # "weight decay did not help here": its best median is lower by a margin
    assert best["decay"]["acc"]["median"] < best["no_decay"]["acc"]["median"] - 0.01
    # at the largest learning rate the decayed net keeps turning and loses accuracy
    top = max(sc["lrs"])
    assert de[top]["acc"]["median"] < no[top]["acc"]["median"] - 0.03
