"""Every claim of the *Normal vs normalized* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_normal_vs_normalized.py -q
"""

import math
from statistics import NormalDist

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest

from conftest import built_results  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.normal_vs_normalized as nvn  # noqa: E402

STD_NORMAL = NormalDist()


def train_test(load):
    X, y = load(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("normal_vs_normalized")


def test_results_deterministic_cheap_parts(res):
    # two runs in this process agree exactly; the build's run (one math thread) has the same keys
    assert nvn._moments_results() == nvn._moments_results()
    assert nvn._real_features_results() == nvn._real_features_results()
    assert nvn._affine_results() == nvn._affine_results()


# ---------------------------------------------------------------------------------------------
# 1. Standardizing changes the scale, not the shape


def test_standardized_has_mean_0_std_1(res):
    for key, f in res["moments"]["features"].items():
        assert abs(f["standardized"]["mean"]) < 1e-12, key
        assert abs(f["standardized"]["std"] - 1) < 1e-12, key


def test_minmax_maps_to_unit_interval():
    for name, x in nvn.example_features().items():
        y = (x - x.min()) / (x.max() - x.min())
        assert y.min() == 0 and y.max() == 1, name


def test_skew_and_kurtosis_unchanged_by_rescaling(res):
    # skewness and kurtosis are invariant under x -> a x + b, a > 0: equal up to rounding
    assert res["moments"]["max_shape_change"] < 1e-9
    for key, f in res["moments"]["features"].items():
        for scaling in ("standardized", "minmax"):
            for k in ("skew", "excess_kurtosis"):
                assert math.isclose(f[scaling][k], f["raw"][k], rel_tol=1e-9, abs_tol=1e-12), (key, k)


def test_synthetic_moments_match_theory(res):
    f = res["moments"]["features"]
    n = res["moments"]["n"]
    assert n >= 100_000
    # Exp(1): skew 2, excess kurtosis 6 (sampling sd at n = 1e5: about 0.03 and 0.4)
    assert abs(f["exponential"]["raw"]["skew"] - 2) < 0.15
    assert abs(f["exponential"]["raw"]["excess_kurtosis"] - 6) < 1.5
    # 0.5 N(-2, 1) + 0.5 N(2, 1): variance 1 + a^2, kurtosis (3 + 6a^2 + a^4) / (1 + a^2)^2
    a = 2.0
    kurt = (3 + 6 * a**2 + a**4) / (1 + a**2) ** 2 - 3
    assert abs(f["bimodal"]["raw"]["std"] - math.sqrt(1 + a**2)) < 0.02
    assert abs(f["bimodal"]["raw"]["skew"]) < 0.05
    assert abs(f["bimodal"]["raw"]["excess_kurtosis"] - kurt) < 0.05


def test_real_example_features_are_skewed(res):
    f = res["moments"]["features"]
    assert f["cancer_area_error"]["raw"]["skew"] > 3
    assert f["cancer_area_error"]["raw"]["excess_kurtosis"] > 10
    assert f["digits_pixel"]["raw"]["skew"] > 1
    assert f["digits_pixel"]["zero_share"] > 0.5


def test_rescaled_histograms_are_densities(res):
    for f in res["moments"]["features"].values():
        for h in (f["hist_raw"], f["hist_standardized"]):
            widths = np.diff(h["edges"])
            assert abs(np.sum(np.array(h["density"]) * widths) - 1) < 1e-9


# ---------------------------------------------------------------------------------------------
# 2. Real features are not Gaussian


def test_jarque_bera_p_value_is_chi2_2_survival():
    # chi-squared with 2 degrees of freedom: density exp(-x/2)/2, survival exp(-x/2)
    x = np.linspace(0, 60, 600_001)
    tail = np.trapezoid(np.exp(-x / 2) / 2 * (x >= 9.21), x)
    assert abs(tail - math.exp(-9.21 / 2)) < 1e-4
    X = np.random.default_rng(1).standard_normal((50, 3))
    jb, p = nvn.jarque_bera(X)
    assert np.allclose(p, np.exp(-jb / 2))


def test_critical_value(res):
    r = res["real"]
    assert math.isclose(math.exp(-r["jb_critical"] / 2), r["alpha"])


def test_digits_zeros(res):
    r = res["real"]
    X_tr, _, _, _ = train_test(load_digits)
    assert r["digits_zero_share"] == pytest.approx(np.mean(X_tr == 0), abs=1e-12)
    assert 0.4 < r["digits_zero_share"] < 0.6  # "about half"
    assert r["digits_always_zero_pixels"] == int(np.sum(X_tr.max(0) == 0))
    assert r["report"]["digits"]["features"] == 64 - r["digits_always_zero_pixels"]


def test_digits_are_integers_0_to_16(res):
    X_tr, _, _, _ = train_test(load_digits)
    assert res["real"]["digits_values"] == list(range(17)) == sorted(np.unique(X_tr).astype(int))


def test_cancer_feature_scales_differ_by_orders_of_magnitude(res):
    r = res["real"]
    X_tr, _, _, _ = train_test(load_breast_cancer)
    assert r["cancer_std_min"] == pytest.approx(X_tr.std(0).min())
    assert r["cancer_std_max"] == pytest.approx(X_tr.std(0).max())
    assert r["cancer_std_max"] / r["cancer_std_min"] > 1e4


def test_real_features_reject_normality(res):
    rep = res["real"]["report"]
    assert rep["cancer"]["features"] == 30
    assert rep["cancer"]["rejected_at_alpha"] >= 0.9
    assert rep["digits"]["rejected_at_alpha"] >= 0.9
    assert rep["cancer"]["abs_skew_above_1"] >= 0.5
    assert rep["digits"]["abs_skew_above_1"] >= 0.5


def test_gaussian_control_rejected_about_alpha(res):
    r = res["real"]
    c = r["report"]["control"]
    assert c["features"] == r["control_columns"] == 1000
    # binomial sd at 1000 columns: 0.3 %; JB's asymptotic level is only approximate at n = 426
    assert 0.003 <= c["rejected_at_alpha"] <= 0.03
    assert c["abs_skew_above_1"] == 0.0
    # sd of the sample skewness is sqrt(6 / n): the median |skew| is about 0.674 of it
    n = r["n_train"]["cancer"]
    assert abs(c["median_abs_skew"] / (0.674 * math.sqrt(6 / n)) - 1) < 0.15


def test_every_feature_obeys_the_moment_bound(res):
    # kurtosis >= skew^2 + 1 (Cauchy-Schwarz), i.e. excess kurtosis >= skew^2 - 2
    for name, sc in res["real"]["scatter"].items():
        s, k = np.array(sc["skew"]), np.array(sc["kurtosis"])
        assert np.all(k >= s**2 - 2 - 1e-9), name


# ---------------------------------------------------------------------------------------------
# 3. Networks learn them anyway


def test_classifier_learns_non_gaussian_features(res):
    c = res["classifier"]
    for name, load, n_features, n_classes in [
        ("digits", load_digits, 64, 10),
        ("cancer", load_breast_cancer, 30, 2),
    ]:
        _, _, _, y_te = train_test(load)
        r = c[name]
        assert r["n_test"] == len(y_te)
        assert r["n_features"] == n_features and r["n_classes"] == n_classes
        assert r["majority"] == pytest.approx(np.bincount(y_te).max() / len(y_te))
        assert r["standardize"] >= 0.9
        assert r["standardize"] > r["majority"] + 0.3


def test_gaussianizing_inputs_buys_no_accuracy(res):
    c = res["classifier"]
    for name in ["digits", "cancer"]:
        r = c[name]
        # no better than standardization (one test example of slack)
        assert r["quantile"] <= r["standardize"] + 1 / r["n_test"] + 1e-6, name
        assert r["quantile"] >= 0.85, name  # and it still learns


# ---------------------------------------------------------------------------------------------
# 4. Gaussianizing transforms and their costs


def test_transforms_reduce_skew_on_training_split(res):
    t = res["transforms"]
    assert t["n_train"] == 426 and t["n_features"] == 30
    assert t["n_quantiles"] == min(1000, t["n_train"])
    assert abs(t["standardize"]["train"] - t["raw"]["train"]) < 1e-9  # shape unchanged
    assert abs(t["standardize"]["test"] - t["raw"]["test"]) < 1e-9
    assert t["raw"]["train"] > 1
    assert t["yeo_johnson"]["train"] < 0.2
    assert t["quantile"]["train"] < 0.05
    assert abs(t["yeo_johnson"]["feature_skew"]) < 0.2
    assert abs(t["quantile"]["feature_skew"]) < 0.05
    assert t["yeo_johnson"]["lambda_min"] < 0 < t["yeo_johnson"]["lambda_max"] < 1


def test_quantile_fit_does_not_transfer_perfectly(res):
    t = res["transforms"]
    assert t["quantile"]["test"] > 10 * t["quantile"]["train"]
    assert t["quantile"]["test"] > t["yeo_johnson"]["test"]
    assert t["quantile"]["test"] < t["raw"]["test"]
    assert 0 < t["test_outside_range"] <= t["test_at_bound"]
    assert t["test_entries"] == 143 * 30


def test_quantile_bound_is_the_1e7_quantile(res):
    # scikit-learn clips the normal output at the 1e-7 and 1 - 1e-7 quantiles
    t = res["transforms"]
    assert abs(t["quantile_bound"] + STD_NORMAL.inv_cdf(1e-7)) < 1e-6


def test_extrapolation(res):
    e = res["transforms"]["extrapolation"]
    assert e["factors"] == [1.0, 2.0, 4.0]
    # quantile: flat beyond the training maximum
    assert all(v == res["transforms"]["quantile_bound"] for v in e["quantile"])
    # standardization: affine in the input, so v(4) - v(2) = 2 (v(2) - v(1))
    s = e["standardize"]
    assert math.isclose(s[2] - s[1], 2 * (s[1] - s[0]), rel_tol=1e-9)
    # Yeo-Johnson with lambda < 0: increasing but bounded growth (slower than linear)
    y = e["yeo_johnson"]
    assert y[0] < y[1] < y[2]
    assert y[2] - y[1] < 2 * (y[1] - y[0])


def test_ties_at_zero(res):
    ties = res["transforms"]["ties"]
    X_tr, _, _, _ = train_test(load_digits)
    col = X_tr[:, load_digits().feature_names.index(ties["pixel"])]
    assert ties["zero_share"] == pytest.approx(np.mean(col == 0))
    assert ties["zero_share"] > 0.5
    # every zero lands on one value: the lower bound, about -5.2
    assert len(ties["zero_maps_to"]) == 1
    assert abs(ties["zero_maps_to"][0] - STD_NORMAL.inv_cdf(1e-7)) < 1e-6
    assert ties["largest_atom_share"] == pytest.approx(ties["zero_share"])
    # a monotone map cannot split tied values: as many distinct values out as in
    assert ties["distinct_out"] == ties["distinct_raw"] == len(np.unique(col))
    assert ties["excess_kurtosis"] < -1  # two clumps, not a bell
    # distance distortion: the step from 0 to the smallest nonzero value
    assert ties["std"] == pytest.approx(col.std())
    assert ties["smallest_nonzero_raw"] == col[col > 0].min()
    standardized_gap = ties["smallest_nonzero_raw"] / ties["std"]
    quantile_gap = ties["nonzero_min"] - ties["zero_maps_to"][0]
    assert standardized_gap < 0.5 and quantile_gap > 5
    assert quantile_gap > 10 * standardized_gap
    # larger than the whole step from the faintest ink to the darkest (16, at the upper bound)
    bound = res["transforms"]["quantile_bound"]
    assert col.max() == 16
    assert quantile_gap > bound - ties["nonzero_min"]


# ---------------------------------------------------------------------------------------------
# 5. Every normal is a rescaled N(0, 1)


def test_affine_sample_matches_normal(res):
    a = res["affine"]
    mu, sigma, n = a["mu"], a["sigma"], a["n"]
    assert abs(a["mean"] - mu) < 5 * sigma / math.sqrt(n)
    assert abs(a["std"] - sigma) < 5 * sigma / math.sqrt(2 * n)
    for p, q, t in zip(a["probs"], a["quantiles"], a["theory_quantiles"]):
        z = STD_NORMAL.inv_cdf(p)
        assert math.isclose(t, mu + sigma * z, abs_tol=1e-12)  # N(mu, s^2) quantile = mu + s z_p
        se = sigma * math.sqrt(p * (1 - p) / n) / STD_NORMAL.pdf(z)
        assert abs(q - t) < 5 * se, p


def test_torch_normal_is_mu_plus_sigma_randn(res):
    assert res["affine"]["max_diff_torch_normal"] <= 1e-12


# ---------------------------------------------------------------------------------------------
# Figures


def test_figures_draw_from_results(res):
    import matplotlib.pyplot as plt

    try:
        for lang in ("en", "zh"):
            figs = nvn.figures(res, lang)
            assert set(figs) == {"standardize_hist", "real_features", "transforms"}
    finally:
        plt.close("all")
