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
    # float64 and no training: the same up to rounding (thread counts may reorder sums)
    assert_close(nvn._norm_layers_results(), res["norm_layers"])


def assert_close(a, b, path="", rel=1e-9, abs_=1e-12):
    """Nested dicts and lists equal, floats up to rounding."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            assert_close(a[k], b[k], f"{path}.{k}", rel, abs_)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{path}[{i}]", rel, abs_)
    elif isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=abs_), (path, a, b)
    else:
        assert a == b, (path, a, b)


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
# 1b. Normalization layers


def test_layer_norm_changes_a_features_shape(res):
    nl = res["norm_layers"]
    n, d = nl["rows_n"], nl["d"]
    se_kurt = math.sqrt(24 / n)  # sampling sd of the excess kurtosis of near-normal data
    ks_crit = 1.63 * math.sqrt(2 / n)  # two-sample KS at the 1 % level
    for key in ["two_gains", "loud"]:
        r = nl["rows"][key]
        # per-feature standardization: an affine map, shape unchanged (rounding only)
        for k in ["skew", "excess_kurtosis"]:
            assert abs(r["standardized"][k] - r["raw"][k]) < 1e-9, key
        assert r["standardized"]["ks_to_raw"] <= 2 / n
        # LayerNorm and RMSNorm: the shape changes, far beyond sampling noise
        for op in ["layer_norm", "rms_norm"]:
            assert r[op]["ks_to_raw"] > 3 * ks_crit, (key, op)
    g = np.array(nl["gains"])
    two = nl["rows"]["two_gains"]
    # scale mixture g N(0, 1), g = 1 or 3 with probability 1/2: excess kurtosis 3 E g^4 / (E g^2)^2 - 3
    theory = 3 * np.mean(g**4) / np.mean(g**2) ** 2 - 3
    assert math.isclose(nl["theory"]["two_gains_kurtosis"], theory)
    assert abs(two["raw"]["excess_kurtosis"] - theory) < 0.3  # sd about 0.08 at n = 20000
    # after dividing each row by its own norm: a coordinate of a uniformly random direction in m
    # dimensions, excess kurtosis -6/(m+2); LayerNorm removes the row mean first (m = d - 1)
    assert math.isclose(nl["theory"]["layer_norm_kurtosis"], -6 / (d + 1))
    assert math.isclose(nl["theory"]["rms_norm_kurtosis"], -6 / (d + 2))
    assert abs(two["layer_norm"]["excess_kurtosis"] + 6 / (d + 1)) < 5 * se_kurt
    assert abs(two["rms_norm"]["excess_kurtosis"] + 6 / (d + 2)) < 5 * se_kurt
    # a normal feature that dominates its row comes out bimodal
    loud = nl["rows"]["loud"]
    assert abs(loud["raw"]["excess_kurtosis"]) < 5 * se_kurt
    assert loud["layer_norm"]["excess_kurtosis"] < -1.2
    assert math.isclose(nl["theory"]["loud_bound"], math.sqrt(d - 1))
    # symmetric inputs stay symmetric
    for key in ["two_gains", "loud"]:
        for op in ["layer_norm", "rms_norm"]:
            assert abs(nl["rows"][key][op]["skew"]) < 5 * math.sqrt(6 / n)


def test_layer_norm_output_is_bounded_by_sqrt_d_minus_1():
    # sum over the row of the squared LayerNorm outputs is d (eps aside), with mean 0: |y_j| <= sqrt(d - 1)
    X = nvn.rows("loud feature", n=2000)
    f = nvn.feature_0(X)
    d = X.shape[1]
    assert np.abs(f["layer_norm"]).max() <= math.sqrt(d - 1) + 1e-9
    assert np.abs(f["rms_norm"]).max() <= math.sqrt(d) + 1e-9


def test_batch_norm_depends_on_the_batch(res):
    nl = res["norm_layers"]
    rows = nl["batch"]
    assert [r["batch_size"] for r in rows] == nl["batch_sizes"] == [2, 8, 32, 128]
    # the batch trick is PyTorch's BatchNorm1d, one batch at a time
    assert nl["batch_trick_max_diff"] < 1e-12
    # batches of 2: (x1 - m) / sqrt(var + eps) = +-1 (up to eps): a coin flip, whatever x
    b2 = rows[0]
    assert b2["max_abs"] <= 1.0
    assert b2["share_at_pm1"] > 0.98
    assert abs(b2["pooled"]["skew"]) < 1e-9  # every batch gives +a and -a
    assert abs(b2["pooled"]["excess_kurtosis"] + 2) < 0.02
    # for a random partner, sign(x - partner) has std 2 sqrt(p (1 - p)), p = rank / (n - 1);
    # over uniform p its median is sqrt(3)/2
    assert abs(b2["spread_median"] - math.sqrt(3) / 2) < 0.05
    # the same sample's output varies in every training-mode batch, less in larger batches
    spreads = [r["spread_median"] for r in rows]
    assert all(a > b for a, b in zip(spreads, spreads[1:]))
    assert spreads[-1] > 0.03
    # the pooled shape changes: skewness grows with the batch but stays below the raw feature's
    skews = [r["pooled"]["skew"] for r in rows]
    assert all(a < b for a, b in zip(skews, skews[1:]))
    assert skews[-1] < nl["raw"]["skew"] - 1
    assert all(r["ks_to_raw"] > 0.05 for r in rows)
    # evaluation mode: running statistics, a fixed affine map: no batch dependence, shape unchanged
    assert nl["eval_spread_max"] == 0.0
    assert abs(nl["eval"]["skew"] - nl["raw"]["skew"]) < 1e-9
    assert abs(nl["eval"]["excess_kurtosis"] - nl["raw"]["excess_kurtosis"]) < 1e-7


def test_batch_norm_shape_change_depends_on_the_tails(res):
    nl = res["norm_layers"]
    sizes = nl["batch_sizes"]
    c = nl["controls"]
    se_skew = math.sqrt(6 / nl["n_train"])  # sampling sd of a skewness from 426 normal values
    # Gaussian control: batches of b normal values standardized by their own mean and (biased)
    # std have E[z^4] = 3 (b - 1) / (b + 1), i.e. excess kurtosis -6 / (b + 1); skew 0 by symmetry
    for b, p in zip(sizes, c["gaussian"]["pooled"]):
        assert abs(p["excess_kurtosis"] + 6 / (b + 1)) < 0.35, b
        assert abs(p["skew"]) < se_skew, b
    # light-tailed features (Gaussian control, mean smoothness): from batch 32 on, the pooled
    # skewness stays within sampling noise of the raw one
    assert nl["light_from_batch"] == 32
    for key in ("gaussian", "smoothness"):
        assert abs(c[key]["raw"]["excess_kurtosis"]) < 1  # light tails indeed
        for b, p in zip(sizes, c[key]["pooled"]):
            if b >= 32:
                assert abs(p["skew"] - c[key]["raw"]["skew"]) <= nl["light_max_change"]["skew"] + 1e-12
                assert abs(p["excess_kurtosis"] - c[key]["raw"]["excess_kurtosis"]) < 0.5
    assert nl["light_max_change"]["skew"] < se_skew
    # the heavy-tailed area error moves by far more (more than 10 times the light features' change)
    for b, p in zip(sizes, nl["batch"]):
        if b >= 32:
            assert nl["raw"]["skew"] - p["pooled"]["skew"] > 10 * nl["light_max_change"]["skew"]
    # a large population drawn from area error's values: the batch is a negligible part of it, and
    # the skewness still stays far below the raw one (the batch fraction is not the explanation)
    pop = c["population"]
    assert nl["population"] >= 100_000
    assert abs(pop["raw"]["skew"] - nl["raw"]["skew"]) < 0.3
    assert pop["raw"]["skew"] - pop["pooled"][-1]["skew"] > 1.5
    for p, q in zip(pop["pooled"][:-1], nl["batch"][:-1]):  # batches up to 32: the same
        assert abs(p["skew"] - q["pooled"]["skew"]) < 0.15
    # at 128 (30 % of the 426 values) part of the approach to the raw shape is the batch fraction
    assert pop["pooled"][-1]["skew"] < nl["batch"][-1]["pooled"]["skew"]


def test_normalization_layers_learn_scale_and_shift_not_statistics(res):
    nl = res["norm_layers"]
    for key in ["layer_norm", "batch_norm"]:
        st = nl["state"][key]
        assert st["parameters"] == ["weight", "bias"]
        assert st["weight_init"] == [1.0] * 4 and st["bias_init"] == [0.0] * 4
    assert nl["state"]["layer_norm"]["buffers"] == []
    assert nl["state"]["batch_norm"]["buffers"] == ["running_mean", "running_var", "num_batches_tracked"]
    # running statistics: exponential moving averages updated by the forward pass alone
    r = nl["running"]
    x = load_breast_cancer()
    X_tr, _, _, _ = train_test(load_breast_cancer)
    col = X_tr[: nl["running_batch"], list(x.feature_names).index(nl["feature"])]
    assert r["batch_mean"] == pytest.approx(col.mean())
    assert r["batch_var_unbiased"] == pytest.approx(col.var(ddof=1))
    m = r["momentum"]
    assert r["running_mean"] == pytest.approx(m * col.mean())  # starts at 0
    assert r["running_var"] == pytest.approx((1 - m) * 1.0 + m * col.var(ddof=1))  # starts at 1, unbiased
    assert r["requires_grad"] is False


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
    assert len(c["seeds"]) >= 5 and len(c["lrs"]) >= 3
    for name, load, n_features, n_classes in [
        ("digits", load_digits, 64, 10),
        ("cancer", load_breast_cancer, 30, 2),
    ]:
        _, _, _, y_te = train_test(load)
        r = c[name]
        assert r["n_test"] == len(y_te)
        assert r["n_features"] == n_features and r["n_classes"] == n_classes
        assert r["majority"] == pytest.approx(np.bincount(y_te).max() / len(y_te))
        t = r["standardize"]
        assert t["median"] >= 0.9 and t["min"] >= 0.9  # every seed, at the tuned learning rate
        assert t["median"] > r["majority"] + 0.3


def test_tuned_learning_rate_is_the_best_median(res):
    c = res["classifier"]
    for name in ["digits", "cancer"]:
        for prep in ["standardize", "quantile"]:
            t = c[name][prep]
            acc = np.array(t["by_lr"])
            assert acc.shape == (len(c["lrs"]), len(c["seeds"]))
            medians = np.median(acc, axis=1)
            assert t["best_lr"] in c["lrs"]
            i = c["lrs"].index(t["best_lr"])
            assert t["median"] == pytest.approx(medians.max())
            assert t["median"] == pytest.approx(medians[i])
            assert t["min"] == pytest.approx(acc[i].min()) and t["max"] == pytest.approx(acc[i].max())


def test_gaussianizing_inputs_buys_no_accuracy(res):
    c = res["classifier"]
    for name in ["digits", "cancer"]:
        r = c[name]
        # each arm at its own best learning rate, medians over 5 seeds: the quantile transform is
        # no better than standardization (one test example of slack)
        assert r["quantile"]["median"] <= r["standardize"]["median"] + 1 / r["n_test"] + 1e-6, name
        assert r["quantile"]["median"] >= 0.85, name  # and it still learns
    # on the digits it is worse, by more than 1 % (4.5 test images) in the median
    d = c["digits"]
    assert d["standardize"]["median"] - d["quantile"]["median"] > 0.01


def test_digits_deficit_is_not_slow_convergence(res):
    # at 60 steps both arms already fit their training images almost perfectly, the quantile arm
    # at least as well: its lower test accuracy is worse generalization, not a slower fit
    d = res["classifier"]["digits"]
    for prep in ["standardize", "quantile"]:
        assert d[prep]["train_min"] >= 0.99, prep
        assert d[prep]["train_median"] - d[prep]["median"] > 0.01, prep
    assert d["quantile"]["train_median"] >= d["standardize"]["train_median"] - 0.005
    gap = {p: d[p]["train_median"] - d[p]["median"] for p in ["standardize", "quantile"]}
    assert gap["quantile"] > gap["standardize"] + 0.01


def test_side_by_side_training_is_train_mlp():
    # train_mlps trains len(lrs) x len(seeds) networks at once; each is train_mlp(..., lr, seed)
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        acc = nvn.train_mlps("cancer", "quantile", lrs=(0.01, 0.03), seeds=(0, 3), steps=20)
        for i, lr in enumerate((0.01, 0.03)):
            for j, seed in enumerate((0, 3)):
                single = nvn.train_mlp("cancer", "quantile", lr=lr, seed=seed, steps=20)
                assert abs(acc["test"][i, j] - single) <= 1 / 143 + 1e-6  # rounding may flip one test case
    finally:
        torch.set_num_threads(threads)


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


def test_quantile_test_skewness_is_clipping_not_estimation(res):
    t = res["transforms"]
    q = t["quantile"]
    n = t["n_test"]
    assert n == 143 and t["bootstraps"] >= 20
    # the floor: median |skewness| of columns of n exactly normal values, about 0.674 sqrt(6 / n)
    assert abs(t["normal_floor"] / (0.674 * math.sqrt(6 / n)) - 1) < 0.15
    # without the entries at a bound, the quantile transform's test skewness is at the floor, also
    # with the quantiles estimated from bootstrap resamples: estimation error is not visible
    assert q["test_inside_bounds"] < 1.5 * t["normal_floor"]
    assert q["bootstrap_inside_bounds"]["median"] < 1.5 * t["normal_floor"]
    assert q["bootstrap_inside_bounds"]["max"] < 3 * t["normal_floor"]
    # the entries at a bound make all the difference
    assert q["test"] > 4 * q["test_inside_bounds"]
    assert t["yeo_johnson"]["test"] < 1.5 * t["normal_floor"]


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
            assert set(figs) == {"standardize_hist", "real_features", "transforms", "norm_layers"}
    finally:
        plt.close("all")
