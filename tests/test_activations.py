"""Every claim of the *Activation sweet spots* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_activations.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest

from conftest import built_results  # noqa: E402
import torch  # noqa: E402
from scipy.optimize import brentq  # noqa: E402
from scipy.special import expit, ndtr  # noqa: E402

import snippets.activations as act  # noqa: E402

LN2 = math.log(2)
SQRT2 = math.sqrt(2)


def phi(x):
    return np.exp(-np.asarray(x) ** 2 / 2) / math.sqrt(2 * math.pi)


def gelu_slope(x):
    return ndtr(x) + x * phi(x)


DERIV = {
    "sigmoid": lambda x: expit(x) * expit(-x),
    "tanh": lambda x: 1 / np.cosh(np.clip(x, -300, 300)) ** 2,
    "relu": lambda x: (x > 0).astype(float),
    "gelu": gelu_slope,
}
FUNC = {
    "sigmoid": expit,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "gelu": lambda x: x * ndtr(x),
}


def gauss_moments(g, s: float) -> tuple[float, float]:
    """E[g(z)] and Var[g(z)] for z ~ N(0, s^2), by quadrature in x = z (sharp integrands stay resolved)."""
    x = np.linspace(-max(12 * s, 60), max(12 * s, 60), 2_000_001)
    w = phi(x / s) / s
    m1 = np.trapezoid(g(x) * w, x)
    m2 = np.trapezoid(g(x) ** 2 * w, x)
    return float(m1), float(m2 - m1**2)


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("activations")


def test_results_deterministic_cheap_parts(res):
    assert act._windows_results() == res["windows"]
    assert act._float32_results() == res["zero"]
    assert act._gelu_results() == res["gelu"]


# ---------------------------------------------------------------------------------------------
# 1. Windows where the slope is at least a fraction of its peak


def test_peaks(res):
    w = res["windows"]
    assert math.isclose(w["sigmoid"]["half"]["peak"], 0.25)
    assert math.isclose(w["tanh"]["half"]["peak"], 1.0)
    assert w["relu"]["half"]["peak"] == 1.0
    # GELU'' = phi(x) (2 - x^2): the peak is at sqrt(2)
    assert abs(w["gelu"]["half"]["peak_at"] - SQRT2) < 1e-3
    assert abs(w["gelu"]["half"]["peak"] - gelu_slope(SQRT2)) < 1e-7
    assert abs(w["sigmoid"]["half"]["peak_at"]) < 1e-3 and abs(w["tanh"]["half"]["peak_at"]) < 1e-3


@pytest.mark.parametrize("key,level", [("half", 0.5), ("tenth", 0.1)])
def test_windows_match_closed_forms(res, key, level):
    w = res["windows"]
    step = 2 * w["edge"] / 200_000
    # tanh' = 1 - tanh^2 >= level  <=>  |x| <= atanh(sqrt(1 - level))
    t = math.atanh(math.sqrt(1 - level))
    # sigmoid(x) = (1 + tanh(x/2)) / 2, so sigmoid' = tanh'(x/2) / 4: the same window, twice as wide
    for name, edge in [("tanh", t), ("sigmoid", 2 * t)]:
        assert abs(w[name][key]["hi"] - edge) <= step
        assert abs(w[name][key]["lo"] + edge) <= step
        inside = ndtr(edge) - ndtr(-edge)
        assert abs(w[name][key]["std_normal_inside"] - inside) < 1e-3
    # ReLU: slope 1 on all of (0, inf), whatever the level
    assert w["relu"][key]["hi"] is None and 0 < w["relu"][key]["lo"] <= step
    # GELU: unbounded on the right, left edge where GELU' = level * peak
    peak = gelu_slope(SQRT2)
    lo = brentq(lambda x: gelu_slope(x) - level * peak, -0.74, SQRT2)
    assert w["gelu"][key]["hi"] is None
    assert abs(w["gelu"][key]["lo"] - lo) <= step
    for name in act.NAMES:
        assert w[name][key]["contiguous"]


def test_seed_table_edges(res):
    w = res["windows"]
    # The seed's sigmoid (-2, 2) and tanh (-1, 1) are one and the same level: 4 sigmoid(2) sigmoid(-2) = tanh'(1)
    r = w["seed_edge_slope_ratio"]
    assert math.isclose(r["sigmoid"], 1 / math.cosh(1) ** 2, rel_tol=1e-9)
    assert math.isclose(r["sigmoid"], r["tanh"], rel_tol=1e-9)
    assert 0.1 < r["tanh"] < 0.5  # between the tenth and the half level
    # the half-peak windows are narrower than the seed's, the tenth windows wider
    assert w["sigmoid"]["half"]["hi"] < 2 < w["sigmoid"]["tenth"]["hi"]
    assert w["tanh"]["half"]["hi"] < 1 < w["tanh"]["tenth"]["hi"]
    assert w["tanh"]["half"]["std_normal_inside"] < 0.65  # N(0, 1) is not all inside tanh's window


def test_gelu_negative_slope(res):
    w = res["windows"]
    zero = brentq(gelu_slope, -3, 0)
    assert abs(w["gelu_slope_zero"] - zero) < 1e-4
    assert abs(w["gelu_min_slope_at"] + SQRT2) < 1e-4
    assert abs(w["gelu_min_slope"] - gelu_slope(-SQRT2)) < 1e-9
    assert w["gelu_min_slope"] < 0


def test_relu_is_positively_homogeneous(res):
    rows = res["windows"]["relu_active"]
    n = 100_000
    for row in rows:
        theory = ndtr(row["mean"] / row["std"])
        assert abs(row["active"] - theory) < 5 * math.sqrt(0.25 / n), row
    by = {(r["mean"], r["std"]): r["active"] for r in rows}
    # same samples, scaled: the active fraction depends on mean / std only, exactly
    assert by[(0.0, 0.01)] == by[(0.0, 100.0)]
    assert by[(1.0, 1.0)] == by[(100.0, 100.0)]
    assert by[(100.0, 1.0)] == 1.0 and by[(-100.0, 1.0)] == 0.0


# ---------------------------------------------------------------------------------------------
# 2. Expected slope under N(0, s^2)


def test_expected_slope_matches_quadrature(res):
    e = res["expected"]
    n = e["n"]
    for name in act.NAMES:
        for s, measured in zip(e["s_sweep"], e["sweep"][name]):
            mean, var = gauss_moments(DERIV[name], s)
            se = math.sqrt(var / n)
            assert abs(measured - mean) < 5 * se + 1e-12, (name, s, measured, mean)


def test_expected_slope_shapes(res):
    e = res["expected"]
    for name in ["sigmoid", "tanh"]:
        sweep = e["sweep"][name]
        assert all(a > b for a, b in zip(sweep, sweep[1:])), f"{name}: largest slope at the smallest s"
    # large s: E[f'] -> (integral of f') / (s sqrt(2 pi)); integral is 1 for sigmoid, 2 for tanh
    s = e["s_sweep"][-1]
    assert abs(e["sweep"]["sigmoid"][-1] * s * math.sqrt(2 * math.pi) - 1) < 0.05
    assert abs(e["sweep"]["tanh"][-1] * s * math.sqrt(2 * math.pi) / 2 - 1) < 0.05
    # ReLU: P(z > 0) = 1/2; GELU: Phi(z) - 1/2 and z phi(z) are odd, so E[GELU'] = 1/2 for every s
    se = 0.5 / math.sqrt(e["n"])
    for name in ["relu", "gelu"]:
        assert all(abs(v - 0.5) < 5 * se for v in e["sweep"][name])
    # the table is a subset of the sweep
    for name in act.NAMES:
        for s, v in zip(e["table_s"], e["table"][name]):
            assert v == e["sweep"][name][e["s_sweep"].index(s)]


def test_mean_100(res):
    e = res["expected"]
    # z = 100 + xi: sigmoid' ~ e^{-z}, tanh' ~ 4 e^{-2z}; lognormal means
    assert abs(e["mean100"]["sigmoid"] / math.exp(-100 + 0.5) - 1) < 0.02
    assert abs(e["mean100"]["tanh"] / (4 * math.exp(-200 + 2)) - 1) < 0.1
    assert e["mean100"]["relu"] == 1.0 and abs(e["mean100"]["gelu"] - 1) < 1e-12
    assert e["mean_minus100"]["relu"] == 0.0 and abs(e["mean_minus100"]["gelu"]) < 1e-12
    assert e["mean100"]["sigmoid"] < 1e-40 and e["mean100"]["tanh"] < 1e-80
    # what float32 autograd actually returns there
    assert e["mean100_float32_autograd"] == {"sigmoid": 0.0, "tanh": 0.0}


def test_nonlinearity(res):
    e = res["expected"]
    for name in act.NAMES:
        for s, measured in zip(e["s_sweep"], e["nonlinearity_sweep"][name]):
            cov = gauss_moments(lambda x: x * FUNC[name](x), s)[0] - 0  # E[z f(z)], E[z] = 0
            mean_f, var_f = gauss_moments(FUNC[name], s)
            theory = 1 - cov**2 / (s**2 * var_f)
            assert abs(measured - theory) < 0.01, (name, s, measured, theory)
    # ReLU: the same at every scale, 1 - (1/2) / (1 - 1/pi)
    relu = 1 - 0.5 / (1 - 1 / math.pi)
    assert all(abs(v - relu) < 0.01 for v in e["nonlinearity_sweep"]["relu"])
    assert all(abs(e["nonlinearity_s1"][n] - e["nonlinearity_sweep"][n][4]) < 1e-12 for n in act.NAMES)
    assert e["s_sweep"][4] == 1.0
    # sigmoid and tanh are nearly linear at small s
    for name in ["sigmoid", "tanh"]:
        assert e["nonlinearity_sweep"][name][0] < 1e-3


# ---------------------------------------------------------------------------------------------
# 3. Exact zeros in float32


def test_float_thresholds(res):
    z = res["zero"]
    # sigmoid(x) rounds to 1 once e^{-x} < 2^-24 (float32) or 2^-53 (float64): then sigma (1 - sigma) = 0
    assert abs(z["float32"]["sigmoid"]["pos"] - 24 * LN2) < 0.05
    assert abs(z["float64"]["sigmoid"]["pos"] - 53 * LN2) < 0.05
    # tanh(x) rounds to 1 once 2 e^{-2x} < 2^-25 (float32) or 2^-54 (float64): then 1 - tanh^2 = 0
    assert abs(z["float32"]["tanh"]["pos"] - 13 * LN2) < 0.05
    assert abs(z["float64"]["tanh"]["pos"] - 27.5 * LN2) < 0.05
    assert z["float32"]["tanh"]["neg"] == -z["float32"]["tanh"]["pos"]
    # negative side of the sigmoid: exp(-x) overflows (float max), not the underflow of sigma itself
    assert abs(z["float32"]["sigmoid"]["neg"] + math.log(torch.finfo(torch.float32).max)) < 0.05
    assert abs(z["float64"]["sigmoid"]["neg"] + math.log(torch.finfo(torch.float64).max)) < 0.05
    assert z["float32_max_grad_beyond"] == {"sigmoid": 0.0, "tanh": 0.0}
    # just inside each float32 threshold the gradient is not zero
    for name, f in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
        for side in ("pos", "neg"):
            x = torch.tensor(z["float32"][name][side] * 0.995, requires_grad=True)
            f(x).backward()
            assert x.grad.item() != 0.0, (name, side)


# ---------------------------------------------------------------------------------------------
# 4. Depth


def test_sigmoid_slopes_multiply(res):
    d = res["depth"]
    L = d["n_layers"]
    assert math.isclose(d["ceiling"], 0.25 ** (L - 1))
    assert len(d["seeds"]) >= 5
    for key in ["sigmoid", "sigmoid_x4", "sigmoid_x4_nobias"]:
        assert all(s <= 0.25 for s in d[key]["rms_slope"]), key  # a sigmoid's slope never exceeds 1/4
    for key in act.DEPTH_KEYS.values():
        r = d[key]
        # the weights multiply the gradient by their gain c on average (c = 1 for 1/n, 4 for 16/n):
        # slopes x gains predict the measured ratio
        assert 0.5 < r["ratio_first_last"] / r["predicted_ratio"] < 2, key
        g = r["grad_norm"]
        assert math.isclose(r["ratio_first_last"], g[0] / g[-1])
        assert r["ratio_first_last"] == r["ratio_seeds"][0]
        # seed 0 is representative: all seeds within a factor 1.5 of each other
        assert r["ratio_max"] / r["ratio_min"] < 1.5, key
    # with variance 1/n the slopes decide: sigmoid loses at least 4x per layer, tanh much less
    assert d["sigmoid"]["factor_per_layer"] < 0.25
    assert d["sigmoid"]["ratio_max"] < 2 * d["ceiling"]
    assert d["tanh"]["ratio_min"] > 1e4 * d["sigmoid"]["ratio_max"]
    assert d["tanh"]["ratio_max"] < 1  # tanh at variance 1/n also shrinks the gradient, much less


def test_sigmoid_is_a_scaled_tanh():
    # sigma(x) = 1/2 + tanh(x/2)/2, the identity behind the 'sigmoid x4' network
    x = np.linspace(-30, 30, 100_001)
    assert np.max(np.abs(expit(x) - (0.5 + 0.5 * np.tanh(x / 2)))) < 1e-15


def test_sigmoid_x4_is_the_tanh_network(res):
    d = res["depth"]
    ident = d["identity"]
    # same logits up to float32 rounding (a few ulps of the logits, accumulated over 10 layers)
    assert ident["max_logit_diff"] < 1e-5 * max(1.0, ident["max_abs_logit"])
    # z = 2u in every layer, so dL/dz is exactly half of the tanh network's dL/du
    assert ident["grad_ratio_max_dev"] < 1e-5
    assert ident["grad_ratio_min"] <= 0.5 + 1e-5 and ident["grad_ratio_max"] >= 0.5 - 1e-5
    x4, tanh = d["sigmoid_x4"], d["tanh"]
    for a, b in zip(x4["ratio_seeds"], tanh["ratio_seeds"]):
        assert math.isclose(a, b, rel_tol=1e-4)
    # sigma'(2u) = tanh'(u) / 4: every RMS slope is a quarter of tanh's
    for a, b in zip(x4["rms_slope"], tanh["rms_slope"]):
        assert math.isclose(a, b / 4, rel_tol=1e-4)
    # so the 0.25-per-layer ceiling of the slopes says nothing about the network
    assert x4["ratio_min"] > 1e4 * d["ceiling"]
    assert x4["factor_per_layer"] > 3 * 0.25


def test_what_the_sigmoid_costs(res):
    d = res["depth"]
    x4, nobias = d["sigmoid_x4"], d["sigmoid_x4_nobias"]
    # without the mean-cancelling bias each unit gets a fixed offset W (1/2) 1 of std 2: smaller slopes,
    # and the gradient shrinks much more (every seed of one below every seed of the other, 5x margin)
    # (from layer 5 on, where the page compares them)
    assert all(a < 0.8 * b for a, b in zip(nobias["rms_slope"][4:], x4["rms_slope"][4:]))
    assert nobias["ratio_max"] < x4["ratio_min"] / 5
    assert nobias["factor_per_layer"] < x4["factor_per_layer"]
    # the mean-1/2 term of the weight gradient is of the same order as the rest (Frobenius norms)
    assert 0.3 < x4["mean_part_min"] <= x4["mean_part_max"] < 3
    assert len(x4["mean_part_of_weight_grad"]) == d["n_layers"] - 1
    assert d["tanh"]["mean_part_of_weight_grad"] is None
    # PyTorch's initializers assume gain 1 for the sigmoid, i.e. variance of order 1/n, not 16/n
    assert d["torch_gain_sigmoid"] == 1
    assert math.isclose(d["torch_gain_tanh"], 5 / 3)


# ---------------------------------------------------------------------------------------------
# 5. One-sign gradients


def test_one_sign_gradients(res):
    g = res["sign"]
    # one sample: dL/dW2[i, j] = delta_i * h1_j with h1_j > 0, so every row shares the sign of delta_i
    assert g["sigmoid"]["single"] == 1.0
    # zero-centred inputs: all 32 entries of a row share a sign with probability ~ 2^-31
    for key in ["tanh", "centred"]:
        assert g[key]["single"] < 0.01 and g[key]["batch"] < 0.01, key
    # a mini-batch mixes the signs of delta_i, but sigmoid rows still often share one sign
    assert 0.2 < g["sigmoid"]["batch"] < 1.0
    assert g["batch_sizes"] == [1, 32]


def test_one_sign_over_seeds_and_training(res):
    g = res["sign"]
    assert len(g["seeds"]) >= 5 and g["steps"] >= 50
    # one sample: positive inputs give one-sign rows by construction, in every seed
    for key in ["sigmoid", "control"]:
        assert g[key]["single_seeds"]["min"] == 1.0, key
    # zero-centred inputs: no one-sign row, at initialization and after training, in any seed
    for key in ["tanh", "centred"]:
        assert g[key]["batch_seeds"]["max"] < 0.01, key
        assert g[key]["trained"]["batch"]["max"] < 0.01, key
    s = g["sigmoid"]
    # every arm trained: the median loss fell well below its value at initialization (about ln 10)
    for key in ["sigmoid", "tanh", "centred"]:
        t = g[key]["trained"]
        assert t["loss"]["median"] < 0.3 * t["init_loss"]["median"], key
        assert t["lr"] in g["grid"][{"centred": "sigmoid - 1/2"}.get(key, key)]
        assert t["loss"]["median"] == min(t["loss_median_per_lr"])
    # sigmoid: a large share at initialization in every seed; training at the best lr lowers it
    # but does not remove it (medians over 5 seeds, wide margins)
    assert s["batch_seeds"]["min"] > 0.2
    assert s["trained"]["batch"]["median"] > 0.05
    assert s["trained"]["batch"]["median"] < 0.8 * s["batch_seeds"]["median"]
    # control: positive inputs with the centred net's forward pass, so the same deltas as 'centred':
    # the one-sign rows come back, in every seed
    assert g["control"]["batch_seeds"]["min"] > 0.1
    assert g["sigmoid"]["batch"] == g["sigmoid"]["batch_seeds"]["seeds"][0]


def test_control_has_the_centred_forward_pass():
    nets = act.init_nets([0, 1])
    X, y = act.digits_train()
    a = act.losses("sigmoid, bias -W/2", nets, X[:64], y[:64])
    b = act.losses("sigmoid - 1/2", nets, X[:64], y[:64])
    assert torch.allclose(a, b, rtol=0, atol=1e-5)


def test_training_network_3_against_network_2(res):
    t = res["training"]
    L = t["n_layers"]
    assert len(t["seeds"]) >= 5
    # sigma(z) = 1/2 + tanh(z/2)/2 with z = 2u: with the bias tied to -W/2, dL/dW is dL/dV / 2 in the
    # first layer and readout (W = 2V) and dL/dV / 4 in the others (W = 4V); V = W/c then moves by
    # lr/4 and lr/16 of the step. So lr factors 4, 16, ..., 16, 4 give gradient descent on network 2.
    assert t["layer_factors"] == [4] + [16] * (L - 1) + [4]
    assert t["identity"]["max_loss_diff"] < 1e-3
    assert t["identity"]["lr"] == t["tanh"]["lr"]
    keys = ["tanh", "sigmoid_x4", "sigmoid_x4_tied"]
    for key in keys:
        r = t[key]
        assert r["loss"]["median"] == min(r["loss_median_per_lr"]), key
        assert r["loss"]["median"] < 0.2 * math.log(10), key  # all arms train
    free, tied, tanh = (t[k]["loss"]["median"] for k in keys[1:] + keys[:1])
    # plain SGD on network 3 (biases trained, mean term in dL/dW) ends well above both the tied
    # network 3 and network 2, each at its best learning rate (medians of 5 seeds)
    assert free > 1.5 * tied
    assert free > 1.3 * tanh
    # at the learning rate that suits the tied network best, plain SGD on network 3 is far behind
    k = t["grid"]["sigmoid"].index(t["sigmoid_x4_tied"]["lr"])
    assert t["sigmoid_x4"]["loss_median_per_lr"][k] > 3 * tied


# ---------------------------------------------------------------------------------------------
# 6. GELU


def test_gelu_approximations(res):
    q = res["gelu"]
    x = np.linspace(-q["edge"], q["edge"], 200_001)
    exact = x * ndtr(x)
    tanh_err = np.abs(0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))) - exact)
    sig_err = np.abs(x * expit(1.702 * x) - exact)
    assert abs(q["tanh_max_error"] - tanh_err.max()) < 1e-9
    assert abs(q["sigmoid_max_error"] - sig_err.max()) < 1e-9
    assert abs(abs(q["tanh_max_error_at"]) - abs(x[tanh_err.argmax()])) < 1e-3
    assert abs(abs(q["sigmoid_max_error_at"]) - abs(x[sig_err.argmax()])) < 1e-3
    assert q["sigmoid_max_error"] > 10 * q["tanh_max_error"]
    # torch's approximate="tanh" is the same formula; its default is the exact x Phi(x)
    assert q["torch_tanh_vs_formula"] < 1e-12
    assert abs(q["torch_tanh_max_error"] - q["tanh_max_error"]) < 1e-12
    assert q["torch_default_max_error"] < 1e-12
