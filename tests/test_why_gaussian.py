"""Every claim of the *Why the Gaussian* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_why_gaussian.py -q
"""

import math
import re

import matplotlib

matplotlib.use("Agg")
import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import pytest

from conftest import built_results  # noqa: E402
from scipy import special, stats  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.why_gaussian as wg  # noqa: E402


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("why_gaussian")


def test_results_deterministic_cheap_parts(res):
    # two runs in this process agree exactly; the build's run (one math thread) has the same keys
    assert wg._entropy_results() == wg._entropy_results()
    assert wg._kl_results() == wg._kl_results()
    assert wg._geometry_results() == wg._geometry_results()


# ---------------------------------------------------------------------------------------------
# 1. Central limit theorem


def _irwin_hall_cdf(x: float, n: int) -> float:
    """Exact CDF of a sum of n U(0, 1), in 60-digit arithmetic (the float formula cancels)."""
    if x <= 0:
        return 0.0
    if x >= n:
        return 1.0
    mpmath.mp.dps = 60
    x = mpmath.mpf(x)
    s = sum((-1) ** k * mpmath.binomial(n, k) * (x - k) ** n for k in range(int(x) + 1))
    return float(s / mpmath.factorial(n))


def exact_cdf_distance(kind: str, n: int) -> float:
    """sup_t |P((S_n - E S_n)/std <= t) - Phi(t)| from the exact distribution of S_n."""
    t = np.linspace(-5, 5, 1001)
    if kind == "uniform":
        F = np.array([_irwin_hall_cdf(n / 2 + u * math.sqrt(n / 12), n) for u in t])
    else:  # sum of n Exp(1) is Gamma(n, 1)
        F = stats.gamma(n).cdf(n + t * math.sqrt(n))
    return float(np.abs(F - stats.norm.cdf(t)).max())


def test_clt_moments_follow_theory(res):
    c = res["clt"]
    for n, skew, kurt in zip(c["ns"], c["uniform"]["skewness"], c["uniform"]["excess_kurtosis"]):
        assert abs(skew) < 0.02, n  # symmetric terms: skewness 0
        assert abs(kurt - (-1.2 / n)) < 0.03, n  # excess kurtosis of U is -6/5, of the sum -6/(5n)
    for n, skew, kurt in zip(c["ns"], c["exponential"]["skewness"], c["exponential"]["excess_kurtosis"]):
        assert abs(skew / (2 / math.sqrt(n)) - 1) < 0.05, n  # gamma_1 / sqrt(n)
        assert abs(kurt / (6 / n) - 1) < 0.15, n  # gamma_2 / n


def test_clt_cdf_distance_matches_exact_distribution(res):
    c = res["clt"]
    # |D_sample - D_exact| <= sup |F_N - F| < 2 / sqrt(N) with probability > 0.999 (Kolmogorov)
    tol = 2 / math.sqrt(c["samples"]) + 1e-3 * 0.4  # plus the grid spacing times max density
    for kind in ["uniform", "exponential"]:
        for n, d in zip(c["ns"], c[kind]["cdf_distance"]):
            assert abs(d - exact_cdf_distance(kind, n)) < tol, (kind, n)


def test_clt_rates_one_over_n_and_one_over_sqrt_n(res):
    c = res["clt"]
    # Edgeworth: symmetric terms 1.2/24 * max|He3 phi| / n = 0.0275 / n; skewed 2/6 * phi(0) / sqrt(n)
    x = np.linspace(0, 4, 40001)
    he3 = np.abs((x**3 - 3 * x) * stats.norm.pdf(x)).max()
    assert abs(1.2 / 24 * he3 - 0.0275) < 5e-4
    assert abs(2 / 6 * stats.norm.pdf(0) - 0.133) < 5e-4
    for n in [4, 8, 16, 32]:
        assert abs(exact_cdf_distance("uniform", n) * n / 0.0275 - 1) < 0.1
        assert abs(exact_cdf_distance("exponential", n) * math.sqrt(n) / 0.133 - 1) < 0.02
    # measured: exponential sums stay far from Gaussian much longer than uniform ones
    for du, de in zip(c["uniform"]["cdf_distance"], c["exponential"]["cdf_distance"]):
        assert de > 2.5 * du
    # Berry-Esseen (C = 0.4748): D <= C E|X|^3 / sqrt(n); for U(-sqrt3, sqrt3) E|X|^3 = 3 sqrt3 / 4
    for n, d in zip(c["ns"], c["uniform"]["cdf_distance"]):
        assert d < 0.4748 * 3 * math.sqrt(3) / 4 / math.sqrt(n)
    # the sampling noise level quoted on the page: E sup|F_N - F| ~ sqrt(pi/2) ln 2 / sqrt(N)
    assert abs(c["noise_level"] * math.sqrt(c["samples"]) - 0.8687) < 1e-3


def test_clt_edgeworth_constants_quoted(res):
    # the page's rates: |gamma_2| / 24 * max|He3 phi| (uniform) and gamma_1 / 6 * max|He2 phi| (exponential)
    e = res["clt"]["edgeworth"]
    from scipy import optimize

    he3 = -optimize.minimize_scalar(lambda x: -abs((x**3 - 3 * x) * stats.norm.pdf(x)), bounds=(0, 1.5),
                                    method="bounded", options={"xatol": 1e-10}).fun
    assert abs(e["uniform"] - 1.2 / 24 * he3) < 1e-8
    assert abs(e["exponential"] - 2 / 6 / math.sqrt(2 * math.pi)) < 1e-12  # max |x^2 - 1| phi at x = 0


def test_clt_exact_ratio_at_n4(res):
    c = res["clt"]
    ex = c["exact_cdf_distance_n4"]
    assert abs(ex["uniform"] - exact_cdf_distance("uniform", 4)) < 2e-5  # grids differ slightly
    assert abs(ex["exponential"] - exact_cdf_distance("exponential", 4)) < 2e-5
    # the measured uniform gap at n = 4 includes sampling noise, so the measured ratio is below the exact one
    i = c["ns"].index(4)
    measured = c["exponential"]["cdf_distance"][i] / c["uniform"]["cdf_distance"][i]
    assert measured < ex["exponential"] / ex["uniform"]


def _coin_distance_scipy(n: int) -> float:
    """Independent check: sup over atoms of |F - Phi| on both sides of each jump, from scipy's binomial."""
    k = np.arange(n + 1)
    x = (2 * k - n) / math.sqrt(n)
    F_at = stats.binom(n, 0.5).cdf(k)
    F_below = np.concatenate([[0.0], F_at[:-1]])
    Phi = stats.norm.cdf(x)
    return float(max(np.abs(F_at - Phi).max(), np.abs(F_below - Phi).max()))


def test_coin_sums_stay_one_over_sqrt_n_away(res):
    c = res["clt"]
    for n, d, half in zip(c["ns"], c["coin_cdf_distance"], c["coin_half_jump"]):
        assert abs(d - _coin_distance_scipy(n)) < 1e-12, n
        assert abs(half - 1 / math.sqrt(2 * math.pi * n)) < 1e-15
        if n >= 8:  # half the central jump, sqrt(2 / (pi n)) / 2 (Stirling)
            assert abs(d * math.sqrt(2 * math.pi * n) - 1) < 0.05, n
    # symmetric but lattice: farther from N(0, 1) at n = 32 than the skewed exponential sum (exact values)
    i = c["ns"].index(32)
    assert c["coin_cdf_distance"][i] > 2 * exact_cdf_distance("exponential", 32)
    assert c["coin_cdf_distance"][i] > 2 * c["exponential"]["cdf_distance"][i]


def test_clt_histograms(res):
    c = res["clt"]
    widths = np.diff(c["hist_edges"])
    for kind in ["uniform", "exponential"]:
        for dens in c[kind]["density"].values():
            assert 0.98 < float(np.dot(dens, widths)) <= 1 + 1e-9


# ---------------------------------------------------------------------------------------------
# 2. Over weights vs over data


def _digits_train() -> np.ndarray:
    X, y = load_digits(return_X_y=True)
    X_tr, _ = train_test_split(X, test_size=0.25, stratify=y, random_state=0)
    return X_tr


def test_rare_pixels_blow_up_under_per_pixel_standardization(res):
    w = res["weights_vs_data"]
    X = _digits_train()
    assert w["n_train"] == len(X) and w["n_pixels"] == 64
    assert w["constant_pixels"] == int((X.std(0) == 0).sum())
    # a pixel nonzero in exactly one of N images standardizes to sqrt(N - 1) there
    nonzero = (X > 0).sum(0)
    assert (nonzero == 1).any()
    assert abs(w["max_abs_standardized"] - math.sqrt(len(X) - 1)) < 1e-9


def test_over_weights_is_gaussian(res):
    w = res["weights_vs_data"]
    se = math.sqrt(24 / w["draws"])  # standard error of the sample excess kurtosis
    for name in ["image0", "peaked"]:
        # normal weights: w . x is exactly N(0, |x|^2 / n) for any fixed x
        assert abs(w[name]["normal"]) < 4 * se
        # uniform weights: cumulants add, so excess kurtosis = -1.2 sum x^4 / (sum x^2)^2
        assert abs(w[name]["uniform"] - (-1.2 * w[name]["ratio"])) < 4 * se
    assert abs(-1.2 * w["ratio_median"]) < 0.1  # a typical image: near 0
    assert w["peaked"]["uniform"] < -0.9  # the most peaked image: one pixel dominates the sum
    assert w["ratio_max"] > 0.8


def test_over_data_is_not_gaussian_with_per_pixel_standardization(res):
    w = res["weights_vs_data"]
    assert w["per_pixel"]["median_kurtosis"] > 2
    assert w["per_pixel"]["fraction_above_1"] > 0.75
    assert w["per_pixel"]["max_kurtosis"] > 50
    assert abs(w["global"]["median_kurtosis"]) < 0.5
    assert w["global"]["fraction_above_1"] < 0.05
    # a Gaussian sample of this size has |z| <= 4 (P(|z| > 4) ~ 6e-5 per point)
    assert w["per_pixel"]["median_unit_max_z"] > 6
    assert w["global"]["median_unit_max_z"] < 4


def test_rare_pixels_control(res):
    w = res["weights_vs_data"]
    X = _digits_train()
    nonzero = (X > 0).sum(0)
    rows = {r["min_nonzero"]: r for r in w["rare_dropped"]}
    for m, r in rows.items():
        assert r["pixels_dropped"] == int((nonzero < m).sum())
        # the thresholds are not knife-edges: no pixel is nonzero in exactly m - 1 or m images
        assert not np.isin(nonzero, [m - 1, m]).any()
    # dropping the pixels lit in a few images removes most of the excess kurtosis, but not all of it ...
    r10, r40 = rows[10], rows[40]
    assert r10["median_kurtosis"] < w["per_pixel"]["median_kurtosis"] / 2
    assert r10["median_kurtosis"] > 0.3 and r10["fraction_above_1"] > 0.25
    # ... dropping every pixel lit in fewer than 3 % of the images removes the median's excess
    assert abs(r40["median_kurtosis"]) < 0.3
    assert r40["fraction_above_1"] < 0.25
    assert r40["max_kurtosis"] < w["per_pixel"]["max_kurtosis"] / 10


def test_over_data_not_gaussian_by_kolmogorov(res):
    w = res["weights_vs_data"]
    N = w["n_train"]
    # the simulated null: Lilliefors (1967, Table 1), asymptotic 1 % critical value 1.031 / sqrt(N) for the
    # Kolmogorov distance with estimated mean and std ...
    assert abs(w["ks_null_q99"] * math.sqrt(N) / 1.031 - 1) < 0.1
    # ... and an independent simulation (numpy's generator, scipy's normal CDF) for the median
    rng = np.random.default_rng(12345)
    Z = rng.standard_normal((N, 400))
    Z = np.sort((Z - Z.mean(0)) / Z.std(0, ddof=1), axis=0)
    F = stats.norm.cdf(Z)
    i = np.arange(1, N + 1)[:, None]
    d = np.maximum(i / N - F, F - (i - 1) / N).max(0)
    assert abs(w["ks_null_median"] / np.median(d) - 1) < 0.05
    # a Gaussian unit would exceed the 99 % point 1 % of the time: P(>= 20 of 200) is astronomically small
    for key in ["per_pixel", "global"]:
        assert w[key]["fraction_non_gaussian"] > 0.3, key
        assert w[key]["ks_median"] > w["ks_null_median"] * 1.5, key
    assert w["rare_dropped"][-1]["fraction_non_gaussian"] > 0.3
    # kurtosis alone would call the global units Gaussian
    assert abs(w["global"]["median_kurtosis"]) < 0.5


def _relu_moments() -> tuple[float, float]:
    from scipy import integrate

    m2 = integrate.quad(lambda h: h**2 * stats.norm.pdf(h), 0, np.inf)[0]
    m4 = integrate.quad(lambda h: h**4 * stats.norm.pdf(h), 0, np.inf)[0]
    return m2, m4


def test_finite_width_output_is_not_exactly_gaussian(res):
    fw = res["finite_width"]
    draws = fw["draws"]
    m2, m4 = _relu_moments()
    assert abs(m2 - 0.5) < 1e-9 and abs(m4 - 1.5) < 1e-9
    kurt_prev = math.inf
    for n, k, v in zip(fw["widths"], fw["kurtosis"], fw["variance"]):
        # scale mixture of Gaussians: excess kurtosis 3 Var(s^2) / E[s^2]^2, s^2 = (2/n) sum relu(h)^2
        theory = 3 * (m4 - m2**2) / (n * m2**2)
        assert abs(theory - 15 / n) < 1e-9
        assert abs(k / theory - 1) < 0.35, n  # sampling error of a kurtosis estimate, 5 % of the time ~20 %
        assert k > 5 * math.sqrt(24 / draws), n  # clearly not Gaussian
        assert k < kurt_prev  # shrinks with width
        kurt_prev = k
        # He scaling: Var f = |x|^2 / d at every width (relative sd of the variance ~ sqrt((2 + k) / draws))
        assert abs(v / fw["input_variance"] - 1) < 5 * math.sqrt((2 + theory) / draws), n


# ---------------------------------------------------------------------------------------------
# 3. Maximum entropy


def test_entropies(res):
    e = res["entropy"]
    nu = e["nu"]
    c = math.sqrt((nu - 2) / nu)
    expected = {  # scipy's own entropy() (numerical or closed form), shifted by log(scale)
        "normal": float(stats.norm.entropy()),
        "uniform": math.log(2 * math.sqrt(3)),
        "laplace": float(stats.laplace.entropy()) + math.log(1 / math.sqrt(2)),
        "logistic": float(stats.logistic.entropy()) + math.log(math.sqrt(3) / math.pi),
        "student_t5": float(stats.t(nu).entropy()) + math.log(c),
    }
    for name, h in expected.items():
        assert abs(e[name]["variance"] - 1) < 1e-9, name
        assert abs(e[name]["closed_form"] - h) < 1e-7, name
        assert abs(e[name]["numerical"] - e[name]["closed_form"]) < 1e-7, name
    assert e["max_closed_form_error"] < 1e-7
    # Cover & Thomas Thm 8.6.5: the Gaussian maximizes entropy at fixed variance
    assert max(e["order"], key=lambda n: e[n]["closed_form"]) == "normal"
    assert abs(e["normal"]["closed_form"] - 0.5 * math.log(2 * math.pi * math.e)) < 1e-12
    # the proof: for mean 0, variance 1, KL(p || phi) = h(phi) - h(p) >= 0
    for name in e["order"]:
        gap = e["normal"]["closed_form"] - e[name]["closed_form"]
        assert abs(e[name]["kl_to_normal"] - gap) < 1e-7, name
        assert gap >= 0
    # t entropy: the formula's digamma / beta form
    t_formula = (nu + 1) / 2 * (special.digamma((nu + 1) / 2) - special.digamma(nu / 2)) + math.log(
        math.sqrt(nu) * special.beta(nu / 2, 0.5)
    )
    assert abs(t_formula + math.log(c) - e["student_t5"]["closed_form"]) < 1e-12


# ---------------------------------------------------------------------------------------------
# 4. Closure, reparameterization, KL


def test_affine_map_of_gaussians_is_gaussian(res):
    cl = res["closure"]
    N = cl["samples"]
    a = cl["affine"]
    assert abs(a["mean"] - 10.5) < 4 * math.sqrt(10 / N)
    assert abs(a["var"] - 10) < 4 * 10 * math.sqrt(2 / N)
    assert a["quantile_error"] < 0.02


def test_sum_of_uniforms_is_not_uniform(res):
    cl = res["closure"]
    # triangular quantiles vs the quantiles of the uniform with the same mean and variance
    p = np.array([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
    tri = np.where(p < 0.5, np.sqrt(2 * p), 2 - np.sqrt(2 * (1 - p)))
    s = math.sqrt(1 / 6)
    uni = 1 + math.sqrt(3) * s * (2 * p - 1)
    gap = float(np.abs(tri - uni).max() / s)
    assert abs(cl["uniform_sum_quantile_error"] - gap) < 0.01
    assert cl["uniform_sum_quantile_error"] > 10 * cl["affine"]["quantile_error"]


def test_reparameterized_gradient(res):
    cl = res["closure"]
    N = cl["samples"]
    mu, sigma = cl["mu"], cl["sigma"]
    assert abs(cl["grad_mu"] - 2 * mu) < 4 * 2 * sigma / math.sqrt(N)
    assert abs(cl["grad_sigma"] - 2 * sigma) < 4 * 2 * math.sqrt(mu**2 + 2 * sigma**2) / math.sqrt(N)


def test_kl_closed_form(res):
    k = res["kl"]
    for p in k["pairs"]:
        mu1, s1, mu2, s2 = p["params"]
        # independent statement of the formula: cross-entropy minus entropy
        cross = 0.5 * math.log(2 * math.pi * s2**2) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2)
        h = 0.5 * math.log(2 * math.pi * math.e * s1**2)
        assert abs(p["formula"] - (cross - h)) < 1e-12
        assert abs(p["torch"] - p["formula"]) < 1e-6  # float32
        assert abs(p["monte_carlo"] - p["formula"]) < 4 * p["standard_error"]
    assert k["max_mc_z"] < 4
    assert abs(k["vae_formula"] - k["vae_torch"]) < 1e-4 * k["vae_torch"]


def test_other_families_have_closed_form_kl():
    # the page: closed forms are not unique to the Gaussian (kl_divergence knows these pairs)
    import torch
    from torch.distributions import Beta, Exponential, Gamma, Laplace, kl_divergence

    pairs = [
        (Exponential(torch.tensor(1.0)), Exponential(torch.tensor(2.0))),
        (Gamma(torch.tensor(2.0), torch.tensor(1.0)), Gamma(torch.tensor(3.0), torch.tensor(2.0))),
        (Beta(torch.tensor(2.0), torch.tensor(3.0)), Beta(torch.tensor(1.0), torch.tensor(1.0))),
        (Laplace(torch.tensor(0.0), torch.tensor(1.0)), Laplace(torch.tensor(1.0), torch.tensor(2.0))),
    ]
    for p, q in pairs:
        kl = kl_divergence(p, q).item()  # raises NotImplementedError if there were no closed form
        x = p.sample((200_000,))
        mc = (p.log_prob(x) - q.log_prob(x)).double()
        assert abs(kl - mc.mean().item()) < 5 * mc.std().item() / math.sqrt(len(mc)) + 1e-4
    # exponential: log(l1 / l2) + l2 / l1 - 1
    assert abs(kl_divergence(*pairs[0]).item() - (math.log(1 / 2) + 2 - 1)) < 1e-6


# ---------------------------------------------------------------------------------------------
# 5. High-dimensional geometry


def test_norm_concentrates(res):
    g = res["geometry"]
    for n, m, spread in zip(g["ns"], g["mean_norm_over_sqrt_n"], g["relative_norm_spread"]):
        # E|x| = sqrt(2) Gamma((n+1)/2) / Gamma(n/2), Var|x| = n - (E|x|)^2
        mean = math.sqrt(2) * math.exp(special.gammaln((n + 1) / 2) - special.gammaln(n / 2))
        assert abs(m - mean / math.sqrt(n)) < 0.01, n
        exact = math.sqrt(n - mean**2) / mean
        assert abs(spread / exact - 1) < 0.08, n
        if n >= 64:
            assert abs(spread * math.sqrt(2 * n) - 1) < 0.08, n


def test_independent_vectors_nearly_orthogonal(res):
    g = res["geometry"]
    for n, s in zip(g["ns"], g["cosine_std"]):
        assert abs(s * math.sqrt(n) - 1) < 0.1, n  # E[cos^2] = 1/n exactly


def test_gaussian_matrix_columns_vs_operator(res):
    g = res["geometry"]
    n = g["n"]
    sq, tall = g["square"], g["tall"]
    assert g["columns"] == n and g["tall_columns"] < n
    for m in (sq, tall):
        assert m["max_column_norm_error"] < 5 / math.sqrt(2 * n)  # each |w_j| - 1 has sd 1/sqrt(2n)
        assert 2 / math.sqrt(n) < m["max_abs_cosine"] < 0.3
    # square: quarter-circle law on [0, 2]; not close to orthogonal as an operator
    assert abs(sq["singular_max"] - 2) < 0.05
    assert sq["singular_min"] < 10 / n
    assert abs(sq["gram_minus_identity_op"] - 3) < 0.2
    a = 0.5
    quarter = (a / 2 * math.sqrt(4 - a**2) + 2 * math.asin(a / 2)) / math.pi
    assert abs(sq["fraction_singular_below_half"] - quarter) < 0.02
    # the value the page quotes for the law, against numerical integration of sqrt(4 - s^2) / pi
    from scipy import integrate

    law = integrate.quad(lambda t: math.sqrt(4 - t**2) / math.pi, 0, a)[0]
    assert abs(g["quarter_circle_below_half"] - law) < 1e-10
    # the largest |cos| over all n(n-1)/2 pairs is of order sqrt(log n / n), well above 1 / sqrt(n)
    assert 0.5 < sq["max_abs_cosine"] / math.sqrt(4 * math.log(n) / n) < 1.2
    assert sq["max_abs_cosine"] > 3 / math.sqrt(n)
    assert len(sq["singular_values"]) == n
    # tall (aspect ratio lambda): Marchenko-Pastur edges 1 +- sqrt(lambda)
    lam = g["tall_columns"] / n
    assert abs(tall["singular_min"] - (1 - math.sqrt(lam))) < 0.06
    assert abs(tall["singular_max"] - (1 + math.sqrt(lam))) < 0.06
    assert abs(tall["gram_minus_identity_op"] - ((1 + math.sqrt(lam)) ** 2 - 1)) < 0.1
    assert tall["gram_minus_identity_op"] < sq["gram_minus_identity_op"] / 4


def test_clt_ratio_quoted_at_n4(res):
    c = res["clt"]
    i = c["ns"].index(4)
    ratio = c["exponential"]["cdf_distance"][i] / c["uniform"]["cdf_distance"][i]
    exact = exact_cdf_distance("exponential", 4) / exact_cdf_distance("uniform", 4)
    assert abs(ratio / exact - 1) < 0.25


# ---------------------------------------------------------------------------------------------
# The explorer (central limit theorem), checked against the exact laws of the sums


@pytest.fixture(scope="module")
def clt_explorer():
    from conftest import built_explorer, explorer_states

    spec = built_explorer("why_gaussian", "clt")
    return spec, explorer_states(spec)


def _exact_kolmogorov(kind: str, n: int) -> float:
    """sup_t |P(Z_n <= t) - Phi(t)| from the exact law of the standardized sum of n terms."""
    if kind == "coin":  # S_n = 2 Bin(n, 1/2) - n: compare Phi with F just below and at every atom
        k = np.arange(n + 1)
        x = (2 * k - n) / math.sqrt(n)
        F = stats.binom(n, 0.5).cdf(k)
        below = np.concatenate([[0.0], F[:-1]])
        return float(max(np.abs(F - stats.norm.cdf(x)).max(), np.abs(below - stats.norm.cdf(x)).max()))
    t = np.linspace(-8, 8, 160_001)
    if kind == "exponential":
        F = stats.gamma(n).cdf(n + t * math.sqrt(n))
    else:  # Irwin-Hall (the float formula is accurate for n <= 8)
        s = n / 2 + t * math.sqrt(n / 12)
        F = sum((-1) ** j * math.comb(n, j) * np.clip(s - j, 0, None) ** n for j in range(n + 1)) / math.factorial(n)
    return float(np.abs(F - stats.norm.cdf(t)).max())


def _proline_kolmogorov(n: int) -> float:
    """sup |F - Phi| for the standardized sum of n draws from the 178 proline values, by direct
    convolution of their law (no FFT)."""
    from sklearn.datasets import load_wine

    v = load_wine().data[:, 12].astype(int)
    one = np.bincount(v - v.min()) / len(v)
    pmf = one
    for _ in range(n - 1):
        pmf = np.convolve(pmf, one)
    atoms = (np.arange(len(pmf)) + n * v.min() - n * v.mean()) / (v.std() * math.sqrt(n))
    F, Phi = np.cumsum(pmf), stats.norm.cdf(atoms)
    keep = pmf > 0
    return float(max(np.abs(F - Phi)[keep].max(), np.abs(F - pmf - Phi)[keep].max()))


def test_explorer_distances_are_those_of_the_exact_laws(clt_explorer):
    """The readouts are exact, not sampled: they equal the distances computed here independently
    (Irwin-Hall's formula up to n = 8, then its Edgeworth term 0.0275/n within 5 %; Gamma(n);
    the binomial; the proline law convolved directly up to n = 6)."""
    spec, states = clt_explorer
    checked = 0
    for key, state in states.items():
        kind, n = state["controls"]["source"], int(state["controls"]["n"])
        value = state["values"]["kolmogorov"]
        if kind == "proline":
            if n > 6:
                continue
            expected = _proline_kolmogorov(n)
        elif kind == "uniform" and n > 8:
            assert value == pytest.approx(1.2 / 24 * 0.5506 / n, rel=0.05), key  # max |He3 phi| = 0.5506
            checked += 1
            continue
        else:
            expected = _exact_kolmogorov(kind, n)
        assert value == pytest.approx(expected, abs=2e-5), key
        checked += 1
    assert checked == 12 * 3 + 5


def test_explorer_moments_are_exact_and_the_real_feature_is_skewed(clt_explorer):
    """Skewness gamma_1/sqrt(n) and excess kurtosis gamma_2/n of a sum of n iid terms, with gamma_1,
    gamma_2 of one term: U(0, 1) 0 and -6/5, Exp(1) 2 and 6, a +-1 coin 0 and -2, and proline's
    178 values their own."""
    from sklearn.datasets import load_wine

    v = load_wine().data[:, 12]
    c = v - v.mean()
    one = {"uniform": (0, -1.2), "exponential": (2, 6), "coin": (0, -2),
           "proline": ((c**3).mean() / (c**2).mean() ** 1.5, (c**4).mean() / (c**2).mean() ** 2 - 3)}
    spec, states = clt_explorer
    for key, state in states.items():
        g1, g2 = one[state["controls"]["source"]]
        n = int(state["controls"]["n"])
        assert state["values"]["skewness"] == pytest.approx(g1 / math.sqrt(n), abs=1e-12), key
        assert state["values"]["excess_kurtosis"] == pytest.approx(g2 / n, abs=1e-12), key
    assert one["proline"][0] > 0.5  # a skewed real feature: the sum needs many terms


def test_explorer_histogram_is_a_sample_of_the_exact_law(clt_explorer):
    """For exponential terms the standardized sum has the exact law of (Gamma(n) - n) / sqrt(n): every
    bin of the sampled histogram holds its exact probability within 5 binomial standard errors
    (and 2 counts)."""
    spec, states = clt_explorer
    samples = int(re.search(r"([\d,]+) draws", next(s["label"] for s in spec["charts"][0]["series"])).group(1).replace(",", ""))
    for key, state in states.items():
        if state["controls"]["source"] != "exponential":
            continue
        n = int(state["controls"]["n"])
        points = state["series"]["density"]
        width = points[1][0] - points[0][0]
        for x, density in points:
            low, high = (n + (x - width / 2) * math.sqrt(n), n + (x + width / 2) * math.sqrt(n))
            p = stats.gamma(n).cdf(high) - stats.gamma(n).cdf(low)
            count = density * width * samples
            # 5 binomial standard errors, plus 2 counts for bins where a single draw is already rare
            assert abs(count - samples * p) <= 5 * math.sqrt(samples * p * (1 - p)) + 2, (key, x)


def test_explorer_densities_hold_the_samples_inside_plus_minus_4(clt_explorer):
    spec, states = clt_explorer
    for key, state in states.items():
        points = state["series"]["density"]
        width = points[1][0] - points[0][0]
        mass = sum(d for _, d in points) * width
        assert 0.97 <= mass <= 1.0 + 1e-9, key


def test_explorer_gap_chart_is_the_exact_law_and_peaks_at_the_readout(clt_explorer):
    """The second chart is F(t) - Phi(t) of the exact law: for two uniform terms (a triangle) it is
    checked against the closed form; its largest |value| is the distance read out, to 0.1 % on the
    continuous sources' 0.04 grid, exactly for the coin (its jumps are drawn), within 5 % for
    proline (a fine lattice seen on the grid only)."""
    spec, states = clt_explorer
    for key, state in states.items():
        kind = state["controls"]["source"]
        peak = max(abs(g) for _, g in state["series"]["gap"])
        distance = state["values"]["kolmogorov"]
        low = {"coin": 1 - 1e-9, "proline": 0.95}.get(kind, 0.999)
        assert low * distance <= peak <= distance * (1 + 1e-9), (key, peak, distance)
    for t, gap in states["uniform|2"]["series"]["gap"]:
        s = 1 + t * math.sqrt(2 / 12)  # the sum of two U(0, 1), from the standardized t
        F = 0.0 if s <= 0 else s * s / 2 if s <= 1 else 1 - (2 - s) ** 2 / 2 if s <= 2 else 1.0
        assert gap == pytest.approx(F - stats.norm.cdf(t), abs=1e-12), t
