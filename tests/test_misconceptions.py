"""Every claim of the *Misconceptions* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_misconceptions.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from conftest import built_results
from scipy import integrate, stats
from sklearn.datasets import load_breast_cancer

import snippets.misconceptions as m


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("misconceptions")


def test_randn_grows_like_sqrt_fan_in_per_layer(res):
    r = res["randn_init"]
    n = r["width"]
    assert r["sqrt_width"] == pytest.approx(math.sqrt(n))
    # E[z^2] = n E[x^2] per layer, so std after L layers is n^(L/2) (a few % of noise)
    for layer, std in enumerate(r["randn"], 1):
        assert std == pytest.approx(n ** (layer / 2), rel=0.05)
    assert r["first_std"] == pytest.approx(math.sqrt(n), rel=0.02)
    assert r["factor_per_layer"] == pytest.approx(math.sqrt(n), rel=0.02)
    # dividing by sqrt(fan-in) keeps the scale at 1
    assert all(s == pytest.approx(1.0, abs=0.03) for s in r["scaled"])
    assert r["scaled_last_std"] == r["scaled"][-1]


def test_randn_saturates_tanh(res):
    # z ~ N(0, 784) for unit-variance inputs: P(|z| > atanh(0.99)) = 2 (1 - Phi(2.647 / 28))
    theory = 2 * stats.norm.sf(math.atanh(0.99) / 28)
    assert res["randn_init"]["tanh_saturated"] == pytest.approx(theory, abs=0.01)
    assert res["randn_init"]["tanh_saturated"] > 0.9


def test_batchnorm_keeps_the_shape(res):
    r = res["bn_standard_normal"]
    assert r["max_abs_mean"] < r["max_abs_mean_bound"] <= 1e-10
    assert r["max_abs_mean_bound"] < 10 * r["max_abs_mean"]
    var = 0.5 - 1 / (2 * math.pi)  # variance of relu(z), z ~ N(0, 1)
    assert r["mean_std"] == pytest.approx(math.sqrt(var / (var + 1e-5)), rel=0.01)
    # an affine map with positive slope: skewness and atoms are unchanged
    assert r["skew_out"] == pytest.approx(r["skew_in"], abs=1e-9)
    assert r["share_at_min_out"] == r["share_at_min_in"]
    # skewness of relu(z): (m3 - 3 m1 m2 + 2 m1^3) / var^1.5
    m1, m2, m3 = 1 / math.sqrt(2 * math.pi), 0.5, math.sqrt(2 / math.pi)
    skew = (m3 - 3 * m1 * m2 + 2 * m1**3) / var**1.5
    assert r["skew_in"] == pytest.approx(skew, abs=0.1)
    se = math.sqrt(0.25 / r["n"])
    assert abs(r["share_at_min_in"] - 0.5) < 4 * se  # half of the ReLU outputs are 0


def test_covariate_shift_sweep_is_complete(res):
    r = res["covariate_shift"]
    assert len(r["seeds"]) >= 5 and len(r["lrs"]) >= 3
    for arm in r["arms"]:
        a = r[arm]
        assert len(a["sweep_acc"]) == len(r["lrs"])
        assert all(len(v) == len(r["seeds"]) for v in a["sweep_acc"])
        # the best rate is the one with the lowest mean training loss
        assert a["sweep_mean_loss"][r["lrs"].index(a["best_lr"])] == min(a["sweep_mean_loss"])


def test_default_init_cannot_learn_at_any_rate(res):
    r = res["covariate_shift"]
    # nn.Linear's default init: the sigmoid stack collapses; chance is about 10 %
    assert r["default"]["max_acc_any_lr"] < 0.2
    assert all(abs(v - math.log(10)) < 0.05 for v in r["default"]["sweep_mean_loss"])


def test_trainable_networks_train(res):
    r = res["covariate_shift"]
    # the sigmoid init (variance 16 / fan_in, centring bias) and BatchNorm both fit the digits
    for arm in ["sigmoid_init", "bn"]:
        assert r[arm]["acc_min"] > 0.9, arm
    assert r["noisy_bn"]["acc_mean"] > 0.85
    assert r["noisy_bn"]["acc_min"] > r["default"]["max_acc_any_lr"] + 0.5


def test_drift_does_not_predict_training(res):
    r = res["covariate_shift"]
    noisy = r["noisy_bn"]
    # a fresh N(0, 1) shift per step changes the mean by |b_t - b_(t-1)|: E = 2 / sqrt(pi)
    assert noisy["shift_mean"] == pytest.approx(2 / math.sqrt(math.pi), rel=0.1)
    # every noisy run drifts several times more than any run of the other learning networks
    assert r["max_other_shift"] == max(r[a]["shift_max"] for a in ["sigmoid_init", "bn"])
    assert r["shift_ratio"] == pytest.approx(noisy["shift_min"] / r["max_other_shift"])
    assert r["shift_ratio"] > 3
    # the plain network with the sigmoid init drifts far more than BatchNorm and trains as well
    assert r["sigmoid_init"]["shift_mean"] > 5 * r["bn"]["shift_mean"]
    # the network that does not learn drifts more than BatchNorm at its largest rate, and still does not learn
    assert r["default_max_shift"] == max(r["default"]["sweep_mean_shift"])
    assert r["default_max_shift"] > r["bn"]["shift_max"]
    # the same order on the last sigmoid's output, which BatchNorm does not pin
    for key in ["out_mean_shift", "out_std_shift"]:
        assert noisy[key] > 3 * max(r["sigmoid_init"][key], r["bn"][key]), key
    assert r["sigmoid_init"]["out_mean_shift"] > 3 * r["bn"]["out_mean_shift"]
    assert r["sigmoid_init"]["out_std_shift"] > r["bn"]["out_std_shift"]


def test_drift_runs_are_independent():
    # runs trained side by side give what each gives alone (no noise: deterministic)
    together = m.drift_runs("sigmoid_init", lrs=(0.3, 1.0), seeds=(0, 1), steps=5)
    for k, (seed, lr) in enumerate(together["runs"]):
        alone = m.drift_runs("sigmoid_init", lrs=(lr,), seeds=(seed,), steps=5)
        assert alone["train_loss"][0] == pytest.approx(together["train_loss"][k], rel=1e-4)
        assert alone["shift_per_step"][0] == pytest.approx(together["shift_per_step"][k], rel=1e-3)


def test_networks_learn_non_gaussian_features(res):
    r = res["gaussian_features"]
    assert r["share_at_min"] > 0.4  # a Gaussian column has one value at its minimum
    assert r["median_abs_skew"] > 0.5
    # the quantile transform moves toward a normal shape but keeps the blank-paper ties
    assert r["quantile_median_abs_skew"] < r["median_abs_skew"]
    assert r["quantile_share_at_min"] > 0.3
    assert r["quantile_share_at_min"] == pytest.approx(r["share_at_min"], abs=0.05)
    assert len(r["seeds"]) >= 5 and len(r["lrs"]) >= 3
    for name in ["standardized", "quantile"]:
        a = r[name]
        assert a["best_lr"] in r["lrs"]
        assert a["val_mean"][r["lrs"].index(a["best_lr"])] == max(a["val_mean"])
        assert len(a["test_acc"]) == len(r["seeds"])
        assert a["acc_min"] > 0.9
    # Gaussianizing does not help: each at its own best rate, the mean is not higher
    assert r["quantile"]["acc_mean"] <= r["standardized"]["acc_mean"] + 0.005
    assert r["quantile_minus_standardized_pts"] == pytest.approx(
        100 * (r["quantile"]["acc_mean"] - r["standardized"]["acc_mean"]))


def test_seeds_trained_side_by_side_are_independent():
    # Adam's update is elementwise: a seed's network trains the same alone or beside others
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X - X.mean()) / X.std()
    evals = [(X[1000:], y[1000:])]
    both = m.mlp_accuracy(X[:1000], y[:1000], evals, epochs=2, seeds=(0, 1))[0]
    alone = [m.mlp_accuracy(X[:1000], y[:1000], evals, epochs=2, seeds=(s,))[0][0] for s in (0, 1)]
    assert both == pytest.approx(alone, abs=1.5 / len(y[1000:]))


def test_each_likelihood_gives_its_own_loss(res):
    r = res["mle_normality"]
    for key in ["normal_mse", "laplace_l1", "bernoulli_bce", "categorical_ce"]:
        assert r[key] < 1e-12
    assert r["max_gap"] < 1e-12
    # Gaussian NLL is minimized by the mean, Laplace NLL by the median (grid step 0.001)
    assert r["fit_normal"] == pytest.approx(r["sample_mean"], abs=1e-3)
    assert r["fit_laplace"] == pytest.approx(r["sample_median"], abs=1e-3)
    n = 2001  # exponential(1): mean 1, median ln 2
    assert r["sample_mean"] == pytest.approx(1.0, abs=4 / math.sqrt(n))
    assert r["sample_median"] == pytest.approx(math.log(2), abs=4 / math.sqrt(n))
    assert r["fit_normal"] - r["fit_laplace"] > 0.2


def test_sweet_spots_against_closed_forms(res):
    r = res["sweet_spot_table"]
    sig = 1 / (1 + math.exp(-2))
    assert r["sigmoid"]["peak"] == pytest.approx(0.25)
    assert r["tanh"]["peak"] == pytest.approx(1.0)
    assert r["relu"]["peak"] == 1.0
    # sigmoid'(x) = tanh'(x / 2) / 4: the seed's two windows end at the same level
    assert r["sigmoid"]["edge_over_peak"] == pytest.approx(4 * sig * (1 - sig), abs=1e-3)
    assert r["tanh"]["edge_over_peak"] == pytest.approx(1 - math.tanh(1) ** 2, abs=1e-3)
    assert r["relu"]["edge_over_peak"] == 1.0
    for name, half_width in [("sigmoid", 2), ("tanh", 1)]:
        inside = stats.norm.cdf(half_width) - stats.norm.cdf(-half_width)
        assert r[name]["share_inside"] == pytest.approx(inside, abs=1e-3)
    assert r["relu"]["share_inside"] == pytest.approx(0.5, abs=1e-3)
    slopes = {
        "sigmoid": lambda x: 0.25 / np.cosh(x / 2) ** 2,
        "tanh": lambda x: 1 / np.cosh(x) ** 2,
    }
    for name, f in slopes.items():
        mean, _ = integrate.quad(lambda x, f=f: f(x) * stats.norm.pdf(x), -40, 40)
        assert r[name]["mean_slope"] == pytest.approx(mean, abs=1e-4)
        mean_sq, _ = integrate.quad(lambda x, f=f: f(x) ** 2 * stats.norm.pdf(x), -40, 40)
        assert r[name]["rms_slope"] == pytest.approx(math.sqrt(mean_sq), abs=1e-4)
    assert r["relu"]["mean_slope"] == pytest.approx(0.5, abs=1e-3)
    assert r["relu"]["rms_slope"] == pytest.approx(math.sqrt(0.5), abs=1e-3)
    for name in slopes:  # Jensen: the norm-relevant slope is at least the mean slope
        assert r[name]["rms_slope"] > r[name]["mean_slope"]
    # "the mean slope understates tanh's factor more than sigmoid's; the gap is larger"
    excess = {name: r[name]["rms_slope"] / r[name]["mean_slope"] for name in slopes}
    assert excess["tanh"] > excess["sigmoid"]
    assert r["sigmoid"]["mean_slope"] < 0.25  # every sigmoid layer divides by > 4


def test_linear_default_is_not_he(res):
    r = res["linear_kaiming"]
    n = r["fan_in"]
    # kaiming_uniform_(a=sqrt(5)): U[-1/sqrt(n), 1/sqrt(n)], variance 1 / (3 n)
    assert r["std_formula"] == pytest.approx(1 / math.sqrt(3 * n))
    assert r["std"] == pytest.approx(1 / math.sqrt(3 * n), rel=0.02)
    assert 0.99 / math.sqrt(n) < r["max_abs"] <= 1 / math.sqrt(n)
    assert r["kaiming_std"] == pytest.approx(math.sqrt(2 / n))
    assert r["var_over_kaiming"] == pytest.approx(1 / 6, rel=0.04)
    # ReLU stack: Var(z_{l+1}) = width * Var(w) * Var(z_l) / 2 = Var(z_l) / 6
    assert r["default"][0] == pytest.approx(1 / math.sqrt(3), rel=0.05)
    assert r["factor_per_layer"] == pytest.approx(1 / math.sqrt(6), rel=0.05)
    # Kaiming: Var(z) = 2 at every layer, up to finite-width fluctuations
    assert 0.75 * math.sqrt(2) < r["kaiming_min"] <= r["kaiming_max"] < 1.25 * math.sqrt(2)


def test_clt_over_weights_not_over_data(res):
    r = res["clt"]
    se = math.sqrt(24 / r["draws"])  # standard error of the excess kurtosis, roughly
    assert r["one_weight"] == pytest.approx(-1.2, abs=4 * se)
    # cumulants add: excess kurtosis of sum w_j x_j = -1.2 sum x^4 / (sum x^2)^2
    assert r["preact"] == pytest.approx(r["preact_theory"], abs=4 * se)
    assert abs(r["preact"]) < 0.2 < abs(r["one_weight"])
    feature = load_breast_cancer().data[:, 13]  # 'area error'
    assert load_breast_cancer().feature_names[13] == "area error"
    assert r["feature"] == pytest.approx(stats.kurtosis(feature), rel=1e-6)
    assert r["feature"] > 10


def test_figures(res):
    figs = m.figures(res, "en")
    assert set(figs) == {"scale_per_layer"}
    matplotlib.pyplot.close("all")
