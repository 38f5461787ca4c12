"""Every claim of the *Generative models* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_generative_models.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from conftest import built_results
from scipy import integrate
from scipy.special import xlogy
from sklearn.datasets import load_digits

import snippets.generative_models as m


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("generative_models")


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits().data  # raw pixels 0..16


def linear_alpha_bar(T=1000, beta_1=1e-4, beta_T=0.02) -> np.ndarray:
    return np.cumprod(1 - np.linspace(beta_1, beta_T, T))


def cosine_alpha_bar(T=1000, s=0.008, max_beta=0.999) -> np.ndarray:
    t = np.arange(T + 1)
    f = np.cos((t / T + s) / (1 + s) * np.pi / 2) ** 2
    return np.cumprod(1 - np.minimum(1 - f[1:] / f[:-1], max_beta))


# KL term ------------------------------------------------------------------------------


def test_kl_formula_torch_and_monte_carlo(res):
    k = res["kl"]
    assert k["max_torch_error"] < 1e-12  # float64: the same number as kl_divergence
    for p in k["points"]:
        mu, s = p["mu"], p["sigma"]
        exact = 0.5 * (mu**2 + s**2 - 1 - math.log(s**2))
        assert p["formula"] == pytest.approx(exact, abs=1e-12)
        assert p["torch"] == pytest.approx(exact, rel=1e-6, abs=1e-7)  # float32
        # log q(z) - log p(z) = -ln s + mu^2/2 + mu s e + (s^2 - 1) e^2 / 2
        std = math.sqrt(mu**2 * s**2 + (s**2 - 1) ** 2 / 2)
        assert p["one_sample_std"] == pytest.approx(std, rel=0.05, abs=1e-12)
        assert abs(p["mean"] - exact) <= 4 * p["se"] + 1e-12
    zero = k["points"][0]
    assert (zero["mu"], zero["sigma"]) == (0.0, 1.0)
    assert zero["formula"] == 0.0 and zero["one_sample_std"] == 0.0
    # elsewhere the single-sample estimate's noise is of the order of the value itself
    assert all(0.15 < p["one_sample_std"] / p["formula"] < 3 for p in k["points"][1:])


# Reparameterization -------------------------------------------------------------------


def test_square_variances_match_theory(res):
    r = res["reparam"]
    mu = r["mu"]
    for s, pw, sc in zip(r["square"]["sigma"], r["square"]["pathwise"], r["square"]["score"]):
        assert pw["var"] == pytest.approx(4 * s**2, rel=0.03)
        assert sc["var"] == pytest.approx(mu**4 / s**2 + 14 * mu**2 + 15 * s**2, rel=0.12)
        assert pw["var"] < sc["var"]
    assert r["ratio_at_1"] == pytest.approx(30 / 4, rel=0.12)
    assert r["ratio_at_01"] == pytest.approx((100 + 14 + 0.15) / 0.04, rel=0.12)
    assert r["ratio_at_01"] > 1000


def test_both_estimators_unbiased(res):
    r = res["reparam"]
    for key in ("pathwise", "score"):
        for e in r["square"][key]:
            assert abs(e["mean"] - 2 * r["mu"]) < 4 * e["se"]
        for k, e in zip(r["sine"]["k"], r["sine"][key]):
            assert abs(e["mean"] - k * math.exp(-(k**2) / 2)) < 4 * e["se"]
    assert r["max_bias_z"] < 4 and r["max_bias_z_sine"] < 4


def test_sine_counterexample_by_quadrature(res):
    r = res["reparam"]

    def expect(g):  # E[g(z)], z ~ N(0, 1)
        return integrate.quad(lambda z: g(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi),
                              -12, 12, limit=400)[0]

    for k, pw, sc in zip(r["sine"]["k"], r["sine"]["pathwise"], r["sine"]["score"]):
        grad = k * math.exp(-(k**2) / 2)
        var_pw = expect(lambda z, k=k: (k * math.cos(k * z)) ** 2) - grad**2
        var_sc = expect(lambda z, k=k: (math.sin(k * z) * z) ** 2) - grad**2
        assert pw["var"] == pytest.approx(var_pw, rel=0.05)
        assert sc["var"] == pytest.approx(var_sc, rel=0.05)
        if k <= 1.0:
            assert pw["var"] < sc["var"]
        if k >= 1.5:
            assert pw["var"] > sc["var"]
    big = r["sine"]["k"].index(4.0)
    assert r["sine"]["pathwise"][big]["var"] > 10 * r["sine"]["score"][big]["var"]


# VAE ----------------------------------------------------------------------------------


def test_vae_setup(res, digits):
    v = res["vae"]
    assert v["n_images"] == len(digits) == 1797 and v["pixels"] == 64
    assert v["latent"] == 2
    assert sum(v["per_class"]) == len(digits)
    assert v["steps"] == v["epochs"] * math.ceil(len(digits) / v["batch_size"])


def test_vae_bound(res, digits):
    v = res["vae"]
    x = digits / 16
    assert v["elbo"] == pytest.approx(-(v["recon"] + v["kl"]), abs=1e-4)
    # reconstruction cannot beat p(x|z) = x: the binary entropy of the grey levels
    floor = -(xlogy(x, x) + xlogy(1 - x, 1 - x)).sum(1).mean()
    assert v["recon_floor"] == pytest.approx(floor, rel=1e-4)
    assert v["recon"] > floor
    # no latent code: one Bernoulli per pixel, p = mean image
    p = x.mean(0)  # 0 for pixels that are blank in every image: 0 log 0 = 0
    independent = -(xlogy(x, p) + xlogy(1 - x, 1 - p)).sum(1).mean()
    assert v["independent_bernoulli_nll"] == pytest.approx(independent, rel=1e-4)
    assert -v["elbo"] < independent - 1.0  # the 2-D code is worth more than a nat
    # the ELBO is a lower bound: the gain it shows is a lower bound too
    assert v["independent_bernoulli_nll"] + v["elbo"] > 2.0  # "at least ... nats"
    assert 0 < v["kl"] < 2 * math.log(len(digits))


def test_elbo_surgery(res):
    v = res["vae"]
    # E_x KL(q(z|x) || p) = I(x; z) + KL(q(z) || p), both sides by Monte Carlo
    assert v["kl_sum_monte_carlo"] == pytest.approx(v["kl"], abs=4 * v["kl_sum_se"])
    assert v["mutual_information"] + v["kl_aggregate"] == pytest.approx(
        v["kl_sum_monte_carlo"], abs=1e-9)
    assert 0 < v["mutual_information"] < v["mutual_information_max"] == pytest.approx(
        math.log(v["n_images"]))
    # the aggregate posterior is measurably not N(0, I) ...
    assert v["kl_aggregate"] > 5 * v["kl_aggregate_se"]
    # the standard error from per-image averages of the draws: the draws of one image
    # share its posterior and are positively correlated, so it exceeds the i.i.d. one,
    # but by less than sqrt(draws) (the factor if the draws of an image were identical)
    assert v["kl_aggregate_se_iid"] < v["kl_aggregate_se"] < (
        math.sqrt(v["aggregate_draws"]) * v["kl_aggregate_se_iid"])
    # ... but it is a small part of the KL term
    assert v["kl_aggregate"] < 0.1 * v["kl"]
    # Pythagoras for a Gaussian p: KL(q || p) = KL(q || N(m, C)) + KL(N(m, C) || p)
    mean = np.array(v["aggregate_mean"])
    C = np.array(v["aggregate_cov"])
    moment = 0.5 * (np.trace(C) + mean @ mean - 2 - np.log(np.linalg.det(C)))
    assert v["kl_moment_matched"] == pytest.approx(moment, rel=1e-6)
    assert v["kl_moment_matched"] < 0.2 * v["kl_aggregate"]
    # "almost exactly in mean and covariance, less closely in shape"
    assert v["kl_moment_matched"] < 0.02 < v["kl_aggregate"]


def test_aggregate_codes_against_prior(res):
    v = res["vae"]
    n = v["n_images"]
    assert v["prior_inside_1"] == pytest.approx(1 - math.exp(-0.5))  # chi-square, 2 dof
    assert v["prior_inside_2"] == pytest.approx(1 - math.exp(-2))
    # first two moments close to the prior's
    assert all(abs(a) < 0.1 for a in v["z_mean"])
    assert all(0.9 < s < 1.15 for s in v["z_std"])
    assert all(s < 1 for s in v["mu_std"])  # means alone: less spread than the codes
    # the centre of the prior is under-populated: > 3 binomial standard errors
    se1 = math.sqrt(v["prior_inside_1"] * (1 - v["prior_inside_1"]) / n)
    assert v["z_inside_1"] < v["prior_inside_1"] - 3 * se1
    se2 = math.sqrt(v["prior_inside_2"] * (1 - v["prior_inside_2"]) / n)
    assert abs(v["z_inside_2"] - v["prior_inside_2"]) < 3 * se2
    # each coordinate: KS "about the 5% critical value" (within a factor of 2 either way;
    # which side of it a coordinate lands on varies with the CPU's floating-point path)
    assert v["ks_critical_5pct"] == pytest.approx(1.358 / math.sqrt(n))
    assert all(0.5 * v["ks_critical_5pct"] < d < 2 * v["ks_critical_5pct"] for d in v["z_ks"])
    # encoders are confident: posterior std well below the prior's 1
    assert v["sigma_median"] < 0.5


def test_stacked_training_equals_separate_runs():
    """train_vae_seeds is train_vae for several seeds at once, up to rounding."""
    import torch

    x = m.digits01()[0][:200]
    stacked = m.train_vae_seeds(x, [0, 2], epochs=1)
    for seed, model in zip([0, 2], stacked):
        ref = m.train_vae(epochs=1, seed=seed, x=x)
        for a, b in zip(model.parameters(), ref.parameters()):
            assert torch.allclose(a, b, atol=1e-5)


def test_vae_held_out(res, digits):
    s = res["vae_seeds"]
    labels = load_digits().target
    assert len(s["seeds"]) >= 5 and s["n_train"] + s["n_test"] == len(digits)
    assert s["n_test"] == s["test_size"]
    # stratified: every class holds about its share of the test set
    counts = np.bincount(labels, minlength=10)
    assert np.allclose(s["test_per_class"], counts * s["n_test"] / len(digits), atol=1)
    from sklearn.model_selection import train_test_split

    tr, te = train_test_split(np.arange(len(digits)), test_size=s["test_size"],
                              stratify=labels, random_state=s["split_seed"])
    x = digits / 16
    # the no-code baseline, fitted on the training images only
    p = np.clip(x[tr].mean(0), 1e-6, 1 - 1e-6)
    for idx, key in [(tr, "baseline_train_nll"), (te, "baseline_test_nll")]:
        nll = -(xlogy(x[idx], p) + xlogy(1 - x[idx], 1 - p)).sum(1).mean()
        assert s[key] == pytest.approx(nll, rel=1e-4)
    gains = [r["test_gain"] for r in s["rows"]]
    for r in s["rows"]:
        assert r["test_gain"] == pytest.approx(s["baseline_test_nll"] + r["test_elbo"],
                                               abs=1e-4)
    assert s["test_gain_median"] == pytest.approx(float(np.median(gains)))
    # the claim: on held-out digits the 2-D code still beats the model without a code,
    # for the median seed by well over a nat, and for every seed
    assert s["test_gain_median"] > 1.0
    assert s["test_gain_min"] > 0
    # a generalization gap exists but is small next to the gain
    assert 0 < s["gap_median"] < 0.5 * s["test_gain_median"]
    assert s["steps"] == s["epochs"] * math.ceil(s["n_train"] / res["vae"]["batch_size"])
    assert s["epochs"] < res["vae"]["epochs"]  # the page says: fewer steps than above


def test_ks_over_seeds(res):
    s = res["vae_seeds"]
    ks = np.array(s["ks"])
    assert ks.shape == (len(s["seeds"]), s["code_draws"], 2)
    n = s["n_train"]
    assert s["ks_critical_5pct"] == pytest.approx(1.358 / math.sqrt(n))
    assert s["ks_median"] == pytest.approx(float(np.median(ks)))
    assert s["ks_above"] == int((ks > s["ks_critical_5pct"]).sum()) and s["ks_n"] == ks.size
    # the claim: over seeds and draws, most KS distances exceed the 5% critical value
    # (marginal normality rejected more often than not), by a modest factor
    assert s["ks_above"] > 0.6 * s["ks_n"]
    assert 1.0 < s["ks_median_ratio"] < 2.5
    assert s["ks_median_ratio"] == pytest.approx(s["ks_median"] / s["ks_critical_5pct"])


def test_decoded_samples_are_images(res):
    v = res["vae"]
    for key in ("samples", "manifold"):
        imgs = np.array(v[key])
        assert imgs.shape == (v["grid_side"] ** 2, 64)
        assert imgs.min() >= 0 and imgs.max() <= 1
    grid = np.array(v["grid_z"])  # N(0, 1) quantiles at (i + 1/2) / side
    assert np.allclose(grid, -grid[::-1], atol=1e-6)
    side = v["grid_side"]
    cdf = 0.5 * (1 + np.array([math.erf(z / math.sqrt(2)) for z in grid]))
    assert np.allclose(cdf, (np.arange(side) + 0.5) / side, atol=1e-6)


# Diffusion forward process ------------------------------------------------------------


def test_chain_matches_closed_form(res):
    f = res["forward"]
    assert (f["T"], f["beta_1"], f["beta_T"]) == (1000, 1e-4, 0.02)
    ab = linear_alpha_bar()
    for row in f["rows"]:
        assert row["alpha_bar"] == pytest.approx(ab[row["t"] - 1], rel=1e-12)
        assert row["max_mean_z"] < 4.5 and row["max_var_z"] < 4.5
        assert row["ks_pvalue"] > 0.01
    assert 0.75 < f["rms_mean_z"] < 1.3
    assert 0.75 < f["rms_var_z"] < 1.3
    assert f["min_ks_pvalue"] == min(r["ks_pvalue"] for r in f["rows"])
    assert f["n_values"] == f["chains"] * 64


def test_noising_strip(res, digits):
    f = res["forward"]
    assert f["strip_ts"][0] == 0
    for name in ("linear", "cosine"):
        for i, idx in enumerate(f["strip_digits"]):
            assert np.allclose(f["strips"][name][i][0], digits[idx] / 8 - 1)
            assert len(f["strips"][name][i]) == len(f["strip_ts"])


# Schedule -----------------------------------------------------------------------------


def test_schedules(res, digits):
    s = res["schedule"]
    lin, cos = linear_alpha_bar(), cosine_alpha_bar()
    m2 = ((digits / 8 - 1) ** 2).mean()
    assert s["x0_mean_square"] == pytest.approx(m2)
    for name, ab in [("linear", lin), ("cosine", cos)]:
        r = s[name]
        assert np.allclose(r["alpha_bar"], np.concatenate([[1.0], ab[9::10]]), rtol=1e-10)
        assert r["alpha_bar_T"] == pytest.approx(ab[-1], rel=1e-10)
        assert r["alpha_bar_quarter"] == pytest.approx([ab[249], ab[499], ab[749]], rel=1e-10)
        kl = 0.5 * (ab * m2 - ab - np.log1p(-ab)) / math.log(2)
        assert r["kl_T"] == pytest.approx(kl[-1], rel=1e-6)
        assert r["kl_quarter"] == pytest.approx([kl[249], kl[499], kl[749]], rel=1e-6)
        assert np.all(np.diff(kl) < 0)  # monotone towards N(0, I)
        assert r["t_half"] == int(np.argmax(ab < 0.5)) + 1
        assert r["t_kl_001"] == int(np.argmax(kl < 0.01)) + 1
    assert 3.5e-5 < s["linear"]["alpha_bar_T"] < 4.5e-5  # "about 4e-5"
    assert 1e-6 < s["linear"]["kl_T"] < 1e-4  # the order of Ho et al.'s 1e-5 bits
    assert s["cosine"]["beta_T"] == pytest.approx(0.999)  # clipped: alpha_bar_T > 0
    assert s["cosine"]["alpha_bar_T"] < 1e-8
    # the cosine schedule keeps more signal in the middle, reaches noise later
    assert all(c > lin_ for c, lin_ in zip(s["cosine"]["alpha_bar_quarter"],
                                            s["linear"]["alpha_bar_quarter"]))
    assert s["cosine"]["t_half"] > s["linear"]["t_half"]
    assert s["cosine"]["t_kl_001"] > s["linear"]["t_kl_001"]


# Last step ----------------------------------------------------------------------------


def test_last_step_against_standard_normal(res, digits):
    ls = res["last_step"]
    x0 = digits / 8 - 1
    a = linear_alpha_bar()[-1]
    n = x0.size
    assert ls["n"] == n
    assert ls["alpha_bar_T"] == pytest.approx(a, rel=1e-10)
    assert ls["signal_scale"] == pytest.approx(math.sqrt(a), rel=1e-10)
    assert ls["predicted_mean"] == pytest.approx(math.sqrt(a) * x0.mean(), rel=1e-9)
    assert ls["predicted_std"] == pytest.approx(math.sqrt(a * x0.var() + 1 - a), rel=1e-9)
    assert ls["mean_se"] == pytest.approx(1 / math.sqrt(n))
    assert abs(ls["mean"] - ls["predicted_mean"]) < 4 * ls["mean_se"]
    assert abs(ls["std"] - ls["predicted_std"]) < 4 / math.sqrt(2 * n)
    assert abs(ls["skewness"]) < 4 * math.sqrt(6 / n)
    assert abs(ls["excess_kurtosis"]) < 4 * math.sqrt(24 / n)
    # the KS test does not reject N(0, 1) at 5% on this draw ...
    assert ls["ks_pvalue"] > 0.05 and ls["ks"] < ls["ks_critical_5pct"]
    # ... and the systematic mean shift is below what this many values resolve
    assert abs(ls["predicted_mean"]) < ls["mean_se"]
    kl = 0.5 * (a * (x0**2).mean() - a - math.log1p(-a)) / math.log(2)
    assert ls["kl_bits_per_dim"] == pytest.approx(kl, rel=1e-6)
    # the clean pixels are far from normal: half of them sit at -1
    assert ls["clean_fraction_minus1"] == pytest.approx((digits == 0).mean())
    assert ls["clean_fraction_minus1"] > 0.4
    assert ls["ks_clean"] > 50 * ls["ks"]


def test_histograms(res):
    ls = res["last_step"]
    edges = np.array(ls["hist_edges"])
    centres = (edges[1:] + edges[:-1]) / 2
    normal = np.exp(-centres**2 / 2) / math.sqrt(2 * math.pi)
    gap = {t: np.abs(np.array(ls["hist"][str(t)]) - normal).max() for t in ls["hist_ts"]}
    assert gap[ls["hist_ts"][-1]] < 0.03  # t = T: on the N(0, 1) density
    assert gap[ls["hist_ts"][0]] > 0.2  # t = 100: far from it


def test_figures(res):
    figs = m.figures(res, "en")
    assert set(figs) == {"reparam", "vae_samples", "latent_codes", "noising", "schedule",
                         "last_step"}
    matplotlib.pyplot.close("all")
