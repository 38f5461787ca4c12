"""Every claim of the *The edge of chaos* page, checked against theory or a stated tolerance.

The theory side is recomputed here independently of the snippet: Gaussian expectations by
adaptive quadrature (scipy.integrate.quad) instead of the snippet's Gauss-Hermite rule.

Run from the repository root: python -m pytest tests/test_edge_of_chaos.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from conftest import built_results
from scipy import integrate, optimize

import snippets.edge_of_chaos as m


def gauss(f) -> float:
    """E[f(z)] for z ~ N(0, 1), by adaptive quadrature."""
    density = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    # |z| > 40 carries less than 1e-300 of the mass
    return integrate.quad(lambda z: f(z) * density(z), -40, 40, points=[0.0],
                          epsabs=1e-14, epsrel=1e-12, limit=200)[0]


def q_map(q, sw2, sb2):
    return sw2 * gauss(lambda z: math.tanh(math.sqrt(q) * z) ** 2) + sb2


def chi_at(q, sw2):
    return sw2 * gauss(lambda z: math.cosh(math.sqrt(q) * z) ** -4)


def q_star(sw2, sb2):
    if sb2 == 0 and sw2 <= 1:
        return 0.0
    return optimize.brentq(lambda q: q_map(q, sw2, sb2) - q, 1e-10, 50, xtol=1e-13)


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("edge_of_chaos")


# --- the length map -----------------------------------------------------------------------


def test_length_map_theory(res):
    r = res["length"]
    for s in r["settings"]:
        qs = q_star(s["sw2"], s["sb2"])
        assert s["q_star"] == pytest.approx(qs, rel=1e-6)
        assert s["chi1"] == pytest.approx(chi_at(qs, s["sw2"]), rel=1e-6)
        for q0, curve in zip(r["q0s"], s["theory"]):
            assert curve[0] == q0
            assert curve[1] == pytest.approx(q_map(q0, s["sw2"], s["sb2"]), rel=1e-6)
            assert curve[-1] == pytest.approx(qs, rel=0.02)  # converged in 10 layers
        # the map drawn in the figure
        i = len(r["map_q"]) // 2
        assert s["map"][i] == pytest.approx(q_map(r["map_q"][i], s["sw2"], s["sb2"]))
    # the two settings are on opposite sides of the edge of chaos
    assert r["settings"][0]["chi1"] < 1 < r["settings"][1]["chi1"]
    # no bias: q* = 0 up to sigma_w^2 = 1, positive above; chi_1 = sigma_w^2 at q* = 0
    nb = r["no_bias"]
    for sw2, qs, chi in zip(nb["sw2"], nb["q_star"], nb["chi1"]):
        if sw2 <= 1:
            assert qs == 0.0 and chi == pytest.approx(sw2, rel=1e-12)
        else:
            assert qs == pytest.approx(q_star(sw2, 0.0), rel=1e-6) and qs > 0
            assert chi > 1  # tanh without bias: sigma_w > 1 is chaotic


def test_simulation_follows_the_length_map(res):
    r = res["length"]
    # q^l of one input fluctuates by sqrt(2/width); averaged over seeds x inputs,
    # and allowing for the noise shared through W and b, a 3-sigma band of one
    # seed's worth of inputs: 3 * sqrt(2 / (width * len(seeds)))
    tol = 3 * math.sqrt(2 / (r["width"] * len(r["seeds"])))
    for s in r["settings"]:
        sim, theory = np.array(s["sim"]), np.array(s["theory"])
        assert np.all(np.abs(sim / theory - 1) < tol)


def test_shape_of_the_weights_does_not_matter(res):
    sh = res["length"]["shape"]
    tol = 3 * math.sqrt(2 / (res["length"]["width"] * len(res["length"]["seeds"])))
    for kind in ("normal", "uniform", "orthogonal"):
        for q, qt in zip(sh[kind]["q_last"], sh["q_last_theory"]):
            assert q == pytest.approx(qt, rel=tol)
        # pre-activations Gaussian: the mean excess kurtosis over n_vectors vectors is
        # within 3 standard errors of a Gaussian sample's (whose sample mean is -6/(n+1))
        n = res["length"]["width"]
        se_mean = math.sqrt(24 / n / sh["n_vectors"])
        assert abs(sh[kind]["kurtosis"] + 6 / (n + 1)) < 3 * se_mean
    assert sh["max_abs_kurtosis"] < 3 * math.sqrt(24 / res["length"]["width"] / sh["n_vectors"]) + 0.02
    assert sh["kurtosis_se"] == pytest.approx(math.sqrt(24 / res["length"]["width"]))
    assert sh["max_rel_dev"] < 0.02  # the page: "to within" this value


# --- chi_1 and the phase diagram ------------------------------------------------------------


def test_chi_theory_and_boundary(res):
    c = res["chi"]
    b = c["boundary"]
    assert b["sb2"][0] == 0 and b["sw2"][0] == 1.0
    for sb2, sw2 in list(zip(b["sb2"], b["sw2"]))[1::10]:
        assert chi_at(q_star(sw2, sb2), sw2) == pytest.approx(1.0, abs=1e-6)
    assert all(np.diff(b["sw2"]) > 0)  # more bias needs larger weights to reach chaos
    assert c["crit_sb2_005"] == pytest.approx(
        optimize.brentq(lambda s: chi_at(q_star(s, 0.05), s) - 1, 1.01, 5), rel=1e-6)
    for p in c["points"] + [c["gain"]]:
        assert p["theory"] == pytest.approx(
            chi_at(q_star(p["sw2"], p["sb2"]), p["sw2"]), rel=1e-6)
    # the q* = 1 curve: sigma_b^2 = 1 - sigma_w^2 E[tanh(z)^2]
    e = gauss(lambda z: math.tanh(z) ** 2)
    uc = c["unit_curve"]
    assert uc["sb2"][5] == pytest.approx(1 - e * uc["sw2"][5], rel=1e-6)
    assert uc["sb2"][-1] == pytest.approx(0.0, abs=1e-9)


def test_measured_chi_matches_theory(res):
    c = res["chi"]
    # 20 layers of width 400: per-layer noise sqrt(2/400)/sqrt(20 * batch) ~ 1.6%;
    # 5% is about three of those
    assert c["max_rel_error"] < 0.05 and c["max_rel_error_all"] < 0.05
    assert c["sign_agrees"] and c["sign_agrees_all"]
    assert c["n_all"] == len(c["points"]) + 1 + 3
    assert any(p["theory"] < 0.8 for p in c["points"])  # both phases are sampled
    assert any(p["theory"] > 1.2 for p in c["points"])


def test_tanh_gain_is_chaotic(res):
    g = res["chi"]["gain"]
    assert g["sw2"] == pytest.approx((5 / 3) ** 2)
    assert g["q_star"] == pytest.approx(q_star(25 / 9, 0.0), rel=1e-6)
    assert g["theory"] > 1.15 and g["measured"] > 1.15
    assert g["growth_10"] == pytest.approx(g["theory"] ** 10)


# --- variance 1 at every layer --------------------------------------------------------------


def test_unit_variance_networks_are_at_q_star_1(res):
    nets = res["unit"]["nets"]
    for n in nets.values():
        assert q_map(1.0, n["sw2"], n["sb2"]) == pytest.approx(1.0, abs=1e-6)
        assert n["chi1"] == pytest.approx(chi_at(1.0, n["sw2"]), rel=1e-6)
    assert nets["ordered"]["chi1"] < 0.75
    assert nets["critical"]["chi1"] == pytest.approx(1.0, abs=1e-6)
    assert nets["chaotic"]["chi1"] > 1.15


def test_unit_variance_simulation(res):
    u = res["unit"]
    depth, noise = u["depth"], u["q_noise"]
    assert noise == pytest.approx(math.sqrt(2 / u["width"]))
    assert u["q_mean_max_dev"] < 0.02
    assert u["q_min"] > 1 - 5 * noise and u["q_max"] < 1 + 5 * noise
    for n in u["nets"].values():
        # forward: the length stays at 1 in all three
        assert n["q_mean"] == pytest.approx(1.0, abs=noise / 2)
        assert n["q_min"] > 1 - 5 * noise and n["q_max"] < 1 + 5 * noise
        assert abs(n["kurtosis"]) < 3 * u["kurtosis_se"]
        # backward: per-layer gain chi_1 within 3%
        assert n["measured"] == pytest.approx(n["chi1"], rel=0.03)
    o, c, ch = (u["nets"][k] for k in ("ordered", "critical", "chaotic"))
    assert o["grad_first"] < 1e-5 and ch["grad_first"] > 100
    assert 0.5 < c["grad_first"] < 2
    assert o["grad_theory_first"] == pytest.approx(o["chi1"] ** depth)
    # correlations: ordered -> 1, chaotic -> c* < 1, even from c0 = 0.99
    assert min(o["corr_last"]) > 0.999
    assert ch["corr_theory_last"][1] < 0.5
    assert ch["corr_last"][1] == pytest.approx(ch["corr_theory_last"][1], abs=0.05)
    assert ch["corr_last"][0] == pytest.approx(u["chaotic_c_star"], abs=0.15)
    assert 0.1 < u["chaotic_c_star"] < 0.25 and 0.85 < u["chaotic_c_slope"] < 1
    assert c["corr_last"][0] == pytest.approx(c["corr_theory_last"][0], abs=0.05)
    assert max(u["chaotic_corr_max_dev"]) < 0.2


# --- ReLU -----------------------------------------------------------------------------------


def test_relu_kaiming_is_critical(res):
    r = res["relu"]
    depth, width = r["depth"], r["width"]
    # one finite network: log q^L / q^0 has sd sqrt(5 L / width) (per layer
    # 1 + eta with Var eta = 5 / width: relu(z)^2 has mean 1/2 and variance 5/4)
    assert r["log_sd"] == pytest.approx(math.sqrt(5 * depth / width))
    by_sw2 = {n["sw2"]: n for n in r["nets"]}
    for n in r["nets"]:
        assert n["chi1"] == n["sw2"] / 2
        assert n["theory_last"] == pytest.approx((n["sw2"] / 2) ** depth)
        assert abs(math.log(n["q_last"] / n["theory_last"])) < 2 * r["log_sd"]
        assert abs(math.log(n["grad_first"] / n["theory_last"])) < 2 * r["log_sd"]
    # the page: "within a factor of 2" for these seeds (well inside 2 log_sd)
    for n in r["nets"]:
        for x in (n["q_last"], n["grad_first"]):
            assert 0.5 < x / n["theory_last"] < 2
    assert by_sw2[1.8]["q_last"] < 0.02 and by_sw2[2.2]["q_last"] > 50
    assert 0.5 < by_sw2[2.0]["q_last"] < 2 and 0.5 < by_sw2[2.0]["grad_first"] < 2


def test_relu_correlation_map(res):
    r = res["relu"]
    # the arc-cosine formula against a direct 2-D Gaussian integral, at c = 0.3
    c = 0.3
    s = math.sqrt(1 - c * c)
    # E[relu(a + s z2)] = a Phi(a/s) + s phi(a/s), then integrate over z1 > 0
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    inner = lambda z1: (c * z1 * cdf(c * z1 / s) + s * pdf(c * z1 / s))
    e = gauss(lambda z1: max(z1, 0.0) * inner(z1))  # E[relu(u1) relu(u2)]
    assert m.relu_correlation(c, 1) == pytest.approx(e / 0.5, rel=1e-6)
    assert abs(r["corr_in"]) < 0.05
    assert r["corr_out"] == pytest.approx(r["corr_theory"], abs=0.02)
    assert r["corr_theory"] > 0.98


# --- dynamical isometry ---------------------------------------------------------------------


def test_critical_tanh_point(res):
    iso = res["isometry"]
    q = iso["q_star"]
    assert chi_at(q, iso["tanh_sw2"]) == pytest.approx(1.0, abs=1e-6)
    assert q_map(q, iso["tanh_sw2"], iso["tanh_sb2"]) == pytest.approx(q, rel=1e-6)
    mu2 = iso["tanh_sw2"] ** 2 * gauss(lambda z: math.cosh(math.sqrt(q) * z) ** -8)
    assert iso["mu2"]["tanh"] == pytest.approx(mu2, rel=1e-6)
    assert iso["mu2"]["linear"] == 1.0 and iso["mu2"]["relu"] == 2.0


def test_orthogonal_linear_is_exactly_isometric(res):
    n = res["isometry"]["nets"]["linear_orthogonal"]
    assert n["max_dev_from_1"] < 1e-10
    assert max(n["var_s2"]) < 1e-20


def test_spread_of_singular_values(res):
    iso = res["isometry"]
    depths = iso["depths"]
    for key, n in iso["nets"].items():
        act, kind = key.split("_")
        v_w = 1.0 if kind == "gaussian" else 0.0
        for L, v, vt in zip(depths, n["var_s2"], n["var_theory"]):
            assert vt == pytest.approx(L * (iso["mu2"][act] - 1 + v_w))
            if vt > 0:
                # width 256, 4 networks: finite-width and sampling error up to 25%
                assert v == pytest.approx(vt, rel=0.25), (key, L)
        # the mean squared singular value is chi_1^L = 1 at criticality (ReLU's
        # fluctuates more: half its units are off, and how many varies)
        tol = 0.25 if act == "relu" else 0.15
        assert all(abs(x - 1) < tol for x in n["mean_s2"]), key
    nets = iso["nets"]
    for key in ("linear_gaussian", "tanh_gaussian", "relu_gaussian",
                "relu_orthogonal"):
        # grows like L: 16x from depth 1 to 16 in theory
        assert nets[key]["var_s2"][-1] > 8 * nets[key]["var_s2"][0]
        assert nets[key]["frac_within_2"] < 0.2
        assert nets[key]["frac_below_001"] > 0.5
    t = nets["tanh_orthogonal"]
    assert t["var_s2"][-1] < 0.05 and t["frac_within_2"] == 1.0
    assert t["frac_below_001"] == 0.0
    # ReLU: at depth 1 exactly the inactive units give zero singular values (~1/2)
    half_sd = 0.5 / math.sqrt(iso["width"] * len(iso["seeds"]))
    for kind in ("gaussian", "orthogonal"):
        assert abs(nets[f"relu_{kind}"]["frac_zero_first"] - 0.5) < 4 * half_sd
    assert nets["tanh_gaussian"]["frac_zero_first"] == 0.0
    # ReLU orthogonal, depth 1: s^2 = 2 on the p N active units, 0 elsewhere, so
    # var / mean^2 = (1 - p) / p; p varies a little between the networks
    p = 1 - nets["relu_orthogonal"]["frac_zero_first"]
    assert nets["relu_orthogonal"]["var_s2"][0] == pytest.approx((1 - p) / p, rel=0.02)
    devs = [abs(v / t - 1) for n in nets.values()
            for v, t in zip(n["var_s2"], n["var_theory"]) if t > 0]
    assert iso["max_rel_dev"] == max(devs)
    assert (iso["max_rel_dev_net"], iso["max_rel_dev_depth"]) == ("relu_orthogonal", 1)


def test_figures(res):
    figs = m.figures(res, "en")
    assert set(figs) == {"length_map", "phase", "unit_variance", "relu", "isometry"}
    matplotlib.pyplot.close("all")
