"""Every claim of the *Width: why N(0, 1/n) is not the whole story* page, checked against theory or a
stated tolerance.

Run from the repository root: python -m pytest tests/test_width_scaling.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest
from scipy import integrate, stats

from conftest import built_results  # noqa: E402

import snippets.width_scaling as m  # noqa: E402


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("width_scaling")


def relu_moment(power: int) -> float:
    """E[relu(g)^power] for g ~ N(0, 1), by quadrature."""
    return integrate.quad(lambda z: z**power * stats.norm.pdf(z), 0, 40)[0]


def relu_kernel_by_quadrature(q1: float, q2: float, c: float) -> float:
    """E[relu(u) relu(v)], (u, v) Gaussian with variances q1, q2 and covariance c, by adaptive
    quadrature over the quadrant u > 0, v > 0 (u = sqrt(q1) a, v = sqrt(q2) (rho a + s b))."""
    rho = c / math.sqrt(q1 * q2)
    s = math.sqrt(1 - rho**2)

    def inner(a: float) -> float:
        def f(b: float) -> float:
            return a * (rho * a + s * b) * stats.norm.pdf(b)
        return integrate.quad(f, -rho * a / s, 12)[0] * stats.norm.pdf(a)

    return math.sqrt(q1 * q2) * integrate.quad(inner, 0, 12)[0]


# --- the Gaussian-process limit -----------------------------------------------------------------


def test_output_variance_is_the_input_mean_square_at_every_width(res):
    g = res["gp"]
    x = m.two_digits().double()
    q = float(x[0].pow(2).mean())  # |x|^2 / 64: He initialization passes it through unchanged
    assert g["variance_theory"] == pytest.approx(q, rel=1e-6)
    # one hidden layer: within 4 standard errors of the sample variance, whose relative standard
    # error is sqrt((2 + excess kurtosis) / draws)
    for i, n in enumerate(g["widths"]):
        se = math.sqrt((2 + g["kurtosis_theory"][i][0]) / g["draws"])
        assert g["variance"][i][0] == pytest.approx(q, rel=4 * se), n
    # deep and narrow: the sample variance falls short (rare networks carry the mean)
    assert g["variance"][0][-1] < 0.8 * q


def test_one_layer_multiplies_the_squared_norm_by_a_factor_of_second_moment_1_plus_5_over_n():
    # R = (2/n) sum_i relu(g_i)^2, g_i iid N(0, 1): E R = 2 E relu^2 = 1, Var R = (4/n) Var relu(g)^2
    assert 2 * relu_moment(2) == pytest.approx(1.0)
    var_relu_sq = relu_moment(4) - relu_moment(2) ** 2
    assert 4 * var_relu_sq == pytest.approx(5.0)  # so E R^2 = 1 + 5/n


def test_kurtosis_matches_the_product_formula_where_it_is_small(res):
    g = res["gp"]
    for i, n in enumerate(g["widths"]):
        for j, depth in enumerate(g["depths"]):
            theory = 3 * ((1 + 4 * (relu_moment(4) - relu_moment(2) ** 2) / n) ** depth - 1)
            assert g["kurtosis_theory"][i][j] == pytest.approx(theory, rel=1e-6)
            if theory < g["kurtosis_small"]["below"]:
                assert g["kurtosis_s"][i][j] == pytest.approx(theory, rel=0.15), (n, depth)
    assert g["kurtosis_small"]["max_error"] < 0.15
    assert g["kurtosis_small"]["cells"] >= 10
    # where it is large the estimates scatter, more often short than over (heavy right tails)
    large = g["kurtosis_large"]
    assert large["short"] > large["over"] >= 0 and large["worst_ratio"] < 0.5


def test_kurtosis_falls_with_width_and_rises_with_depth(res):
    g = res["gp"]
    k = np.array(g["kurtosis_s"])
    assert (np.diff(k[:, 0]) < 0).all()  # one layer: every doubling of the width lowers it
    assert (np.diff(k[-3:], axis=1) > 0).all()  # at the widest widths, deeper is less Gaussian


def test_output_correlation_tends_to_the_arccosine_kernel(res):
    g = res["gp"]
    x = m.two_digits().double()
    q = (2 * x @ x.T / 64).numpy()
    for j, depth in enumerate(range(1, max(g["depths"]) + 1)):
        k = np.array([[relu_kernel_by_quadrature(q[a, a], q[b, b], q[a, b]) for b in range(2)]
                      for a in range(2)])
        if depth in g["depths"]:
            corr = k[0, 1] / math.sqrt(k[0, 0] * k[1, 1])
            assert g["corr_theory"][g["depths"].index(depth)] == pytest.approx(corr, abs=1e-3)
        q = 2 * k
    for j in range(len(g["depths"])):
        theory = g["corr_theory"][j]
        widest = g["corr"][-1][j]
        # 2500 draws: a correlation near 0.5-0.8 has a standard error below 0.02
        assert widest == pytest.approx(theory, abs=0.05)
    # the narrowest deep networks are far from the limit, the widest close to it
    assert abs(g["corr"][0][-1] - g["corr_theory"][-1]) > 0.2


def test_the_typical_deep_narrow_network_is_far_below_the_mean(res):
    g = res["gp"]
    med = [row[-1] for row in g["median_s"]]  # depth 8
    assert med[0] < 0.1 and med[-1] > 0.75
    assert all(a < b for a, b in zip(med, med[1:]))


# --- the coordinate check -----------------------------------------------------------------------


def test_every_parametrization_is_the_same_network_at_the_base_width(res):
    c = res["coord"]
    assert c["widths"][0] == c["base"]
    for optimizer, keys in [("sgd", ["sgd_sp", "sgd_ntk", "sgd_mup"]), ("adam", ["adam_sp", "adam_mup"])]:
        first = [c["change"][k][i][0] for k in keys for i in range(3)]
        assert first == [c["change"][keys[0]][i][0] for _ in keys for i in range(3)], optimizer


def test_rules_follow_tensor_programs_v_table_3():
    n = 4 * m.BASE
    std, lr = m.rules("mup", "adam", n)
    assert std[2] ** 2 == pytest.approx(m.BASE / n**2)  # readout variance ~ 1/n^2
    assert lr == [1, m.BASE / n, m.BASE / n]
    std, lr = m.rules("mup", "sgd", n)
    assert lr == [n / m.BASE, 1, m.BASE / n]
    std_sp, lr_sp = m.rules("sp", "sgd", n)
    assert std_sp[:2] == std[:2] and lr_sp == [1, 1, 1]
    assert m.rules("ntk", "sgd", n)[1] == [1, m.BASE / n, m.BASE / n]


@pytest.mark.parametrize("key", ["sgd_sp", "sgd_ntk", "sgd_mup", "adam_sp", "adam_mup"])
def test_hidden_layers_move_with_the_predicted_power_of_the_width(res, key):
    c = res["coord"]
    for i, layer in enumerate(["h1", "h2"]):
        assert c["slope"][key][layer] == pytest.approx(c["theory"][key][i], abs=0.15), layer


@pytest.mark.parametrize("key", ["sgd_sp", "sgd_ntk", "sgd_mup", "adam_mup"])
def test_logits_move_with_the_predicted_power_of_the_width(res, key):
    c = res["coord"]
    assert c["slope"][key]["logits"] == pytest.approx(c["theory"][key][2], abs=0.2)


def test_standard_logits_blow_up_fastest_with_adam(res):
    c = res["coord"]
    # a product of two updates, each ~ n: n^2, approached from below (first-order terms ~ n, n^1.5)
    assert c["theory"]["adam_sp"][2] is None  # terms ~ n, n^1.5, n^2: the page says 1.5-2
    assert 1.2 < c["slope"]["adam_sp"]["logits"] < 2.1
    # over the fitted widths (a factor 8): SGD ~ n, Adam faster
    assert c["growth"]["sgd_sp"]["logits"] > 5 and c["growth"]["adam_sp"]["logits"] > 15


# --- learning-rate transfer ---------------------------------------------------------------------


def test_each_arm_has_its_best_rate_inside_its_grid(res):
    t = res["transfer"]
    for param in ["sp", "mup"]:
        grid = t["exponents"][param]
        for best in t[param]["best_log2"]:
            assert grid[0] < best < grid[-1], param
    assert len(t["seeds"]) >= 5


def test_mup_is_standard_at_the_base_width(res):
    t = res["transfer"]
    sp, mup = t["exponents"]["sp"], t["exponents"]["mup"]
    for k in set(sp) & set(mup):
        assert t["mup"]["median"][0][mup.index(k)] == t["sp"]["median"][0][sp.index(k)]


def test_standard_best_rate_drifts_and_mup_best_rate_transfers(res):
    t = res["transfer"]
    sp, mup = t["sp"]["best_log2"], t["mup"]["best_log2"]
    assert sp[0] - sp[-1] >= 2  # at least a factor 4 over a factor 16 in width
    assert all(a >= b for a, b in zip(sp, sp[1:]))  # never rises with width
    assert max(mup) - min(mup) <= 1
    # tuned at the base width and reused: SP pays at the widest, muP does not
    assert t["sp"]["at_base_best_ratio"][-1] > 3
    assert max(t["mup"]["at_base_best_ratio"]) < 1.25


def test_the_hidden_rule_is_what_keeps_the_rate_with_two_hidden_layers(res):
    h = res["transfer"]["hidden"]
    assert h["hidden_layers"] == 2
    grid = h["exponents"]
    mup, control = h["mup"]["best_log2"], h["mup_sp_hidden"]["best_log2"]
    assert all(grid[0] < b < grid[-1] for b in mup)
    assert mup[0] == mup[-1]  # muP keeps its rate
    assert control[0] - control[-1] >= 1  # SP's hidden rate moves it down
    assert h["mup"]["at_base_best_ratio"][-1] < 1.1
    assert h["mup_sp_hidden"]["at_base_best_ratio"][-1] > 1.3


def test_each_optimum_but_the_widest_sp_one_is_clear(res):
    t = res["transfer"]
    assert min(t["sp"]["neighbour_gap"][:-1] + t["mup"]["neighbour_gap"]) > 0.1
    assert t["sp"]["neighbour_gap"][-1] >= 0


def test_both_parametrizations_reach_similar_best_losses(res):
    t = res["transfer"]
    for a, b in zip(t["sp"]["best_median"], t["mup"]["best_median"]):
        assert 0.75 < a / b < 1.33
        assert a < 0.1 and b < 0.1  # both learn: chance is ln 10 = 2.3
