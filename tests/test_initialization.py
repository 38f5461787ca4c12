"""Every claim of the *Weight initialization* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_initialization.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest

from conftest import built_results  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.initialization as init_mod  # noqa: E402

LN10 = math.log(10)
SAT = math.atanh(0.99)  # |tanh(z)| > 0.99  <=>  |z| > atanh(0.99)

# Fine grid for E[f(sigma * xi)], xi ~ N(0, 1) (accurate even for sharp integrands such as tanh(28 xi))
_XI = np.linspace(-10, 10, 400_001)
_PHI = np.exp(-_XI**2 / 2) / math.sqrt(2 * math.pi)


def gauss_mean(f) -> float:
    return float(np.trapezoid(f(_XI) * _PHI, _XI))


def tanh_mean_field(weight_var_times_n: float, n_layers: int = 50) -> tuple[list[float], float]:
    """Mean-field (infinite-width) std of tanh activations per layer for input E[x^2] = 1; also the last Var(z)."""
    second_moment, stds, q = 1.0, [], 0.0
    for _ in range(n_layers):
        q = weight_var_times_n * second_moment  # Var(z) = n Var(w) E[h^2]
        second_moment = gauss_mean(lambda x: np.tanh(math.sqrt(q) * x) ** 2)
        stds.append(math.sqrt(second_moment))
    return stds, q


def geometric_factor(stds: list[float], first: int, last: int) -> float:
    """Mean per-layer multiplicative factor between layers first and last (1-based)."""
    return (stds[last - 1] / stds[first - 1]) ** (1 / (last - first))


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("initialization")


def test_results_deterministic_cheap_parts(res):
    # two runs in this process agree exactly (the build ran with one math thread: compare
    # with its numbers only to rounding)
    assert init_mod._randn_results() == init_mod._randn_results()
    assert init_mod._shape_results() == init_mod._shape_results()
    assert init_mod._init_rules_results().keys() == res["init_rules"].keys()
    assert init_mod._randn_results().keys() == res["randn"].keys()
    assert init_mod.train_small_mlp("constant") == init_mod.train_small_mlp("constant")


# ---------------------------------------------------------------------------------------------
# 1. Symmetry


def test_constant_init_never_breaks_symmetry(res):
    c = res["symmetry"]["constant"]
    assert c["rank"] == 1
    assert c["max_row_difference"] == 0.0  # every hidden unit has exactly the same weights


def test_zero_init_stays_zero(res):
    z = res["symmetry"]["zeros"]
    assert z["first_step_grad_max_abs"] == 0.0
    assert z["first_layer_max_abs"] == 0.0
    assert z["rank"] == 0
    # Only the output bias can learn, so the network predicts one class: accuracy <= largest class share.
    X, y = load_digits(return_X_y=True)
    _, _, _, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    assert z["test_acc"] <= np.bincount(y_te).max() / len(y_te) + 1e-6


def test_random_init_full_rank_and_learns(res):
    r = res["symmetry"]["random"]
    assert r["rank"] == min(32, 64)
    assert r["test_acc"] >= 0.9
    assert res["symmetry"]["constant"]["test_acc"] < r["test_acc"] - 0.3


# ---------------------------------------------------------------------------------------------
# 2. randn


def test_randn_preactivation_std_follows_sqrt_fan_in(res):
    sweep = res["randn"]["fan_in_sweep"]
    assert len(sweep["fan_in"]) >= 4
    for n, s in zip(sweep["fan_in"], sweep["preact_std"]):
        assert abs(s / math.sqrt(n) - 1) < 0.05, (n, s)


def test_randn_saturates_tanh(res):
    r = res["randn"]
    assert r["fan_in"] == 784
    assert abs(r["randn"]["preact_std"] - 28) < 0.05 * 28
    assert abs(r["scaled"]["preact_std"] - 1) < 0.05
    theory_randn = math.erfc(SAT / math.sqrt(2 * 784))  # P(|N(0, 784)| > atanh 0.99)
    theory_scaled = math.erfc(SAT / math.sqrt(2))
    assert r["randn"]["saturated"] > 0.9
    assert abs(r["randn"]["saturated"] - theory_randn) < 0.01
    assert r["scaled"]["saturated"] < 0.1
    assert abs(r["scaled"]["saturated"] - theory_scaled) < 0.005
    for key, sigma in [("randn", 28.0), ("scaled", 1.0)]:
        theory = gauss_mean(lambda x: 1 - np.tanh(sigma * x) ** 2)
        assert abs(r[key]["mean_derivative"] / theory - 1) < 0.05
    for key in ["randn", "scaled"]:
        assert abs(sum(r[key]["hist_fraction"]) - 1) < 1e-9
        assert len(r[key]["hist_fraction"]) == len(r["hist_edges"]) - 1


# ---------------------------------------------------------------------------------------------
# 3. Init rules


def test_init_rules_match_formulas(res):
    fi, fo = 784, 256
    expected = {
        "lecun_normal": math.sqrt(1 / fi),
        "xavier_normal": math.sqrt(2 / (fi + fo)),
        "xavier_uniform": math.sqrt(6 / (fi + fo)) / math.sqrt(3),  # std of U(-a, a) is a / sqrt(3)
        "kaiming_normal_fan_in": math.sqrt(2 / fi),
        "kaiming_normal_fan_out": math.sqrt(2 / fo),
        "kaiming_uniform_fan_in": math.sqrt(6 / fi) / math.sqrt(3),
        "linear_default": (1 / math.sqrt(fi)) / math.sqrt(3),  # U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        "kaiming_transposed_layout": math.sqrt(2 / fo),  # torch reads fan_in from dim 1
    }
    std = res["init_rules"]["std"]
    assert set(std) == set(expected)
    for key, value in expected.items():
        assert abs(std[key]["measured"] / value - 1) < 0.03, key


def test_gains(res):
    g = res["init_rules"]["gain"]
    assert g["linear"] == 1
    assert g["sigmoid"] == 1
    assert math.isclose(g["tanh"], 5 / 3)
    assert math.isclose(g["relu"], math.sqrt(2))
    assert math.isclose(g["leaky_relu"], math.sqrt(2 / (1 + 0.01**2)))
    assert math.isclose(g["selu"], 3 / 4)


def test_linear_default_is_not_kaiming(res):
    r = res["init_rules"]
    lin = r["std"]["linear_default"]["measured"]
    assert abs(lin / math.sqrt(1 / (3 * 784)) - 1) < 0.03
    assert abs(r["linear_default_var_over_lecun"] - 1 / 3) < 0.03
    assert abs(r["linear_default_var_over_kaiming"] - 1 / 6) < 0.015
    assert lin < 0.5 * math.sqrt(2 / 784)


def test_transposed_layout_pitfall(res):
    s = res["init_rules"]["std"]["kaiming_transposed_layout"]["measured"]
    assert abs(s / math.sqrt(2 / 784) - 1) > 0.5  # not the intended 2 / fan_in


# ---------------------------------------------------------------------------------------------
# 4. Depth


def test_depth_tanh_matches_mean_field(res):
    d = res["depth"]
    n = d["width"]
    weight_var = {"small": 0.01**2, "unit": 1.0, "xavier": 2 / (n + n), "kaiming": 2 / n}
    for init, var in weight_var.items():
        theory, _ = tanh_mean_field(var * n, d["n_layers"])
        measured = d["stds"]["tanh"][init]
        # finite width (256) and 50 layers: allow 15 % per layer
        for layer, (m, t) in enumerate(zip(measured, theory), start=1):
            assert abs(m / t - 1) < 0.15, (init, layer, m, t)


def test_tanh_unit_saturates(res):
    d = res["depth"]
    _, q = tanh_mean_field(d["width"] * 1.0, d["n_layers"])
    theory = math.erfc(SAT / math.sqrt(2 * q))
    assert d["tanh_unit_saturated_final"] > 0.8
    assert abs(d["tanh_unit_saturated_final"] - theory) < 0.02


def test_tanh_xavier_decays_slowly(res):
    d = res["depth"]
    # small-signal analysis: tanh(z)^2 ~ z^2 - 2 z^4 / 3  =>  Var ~ 1 / (2 l)
    assert abs(d["tanh_xavier_final_std"] * math.sqrt(2 * d["n_layers"]) - 1) < 0.15


def test_relu_xavier_halves_variance_per_layer(res):
    d = res["depth"]
    assert abs(d["relu_xavier_factor_per_layer"] / math.sqrt(0.5) - 1) < 0.03
    # also via a least-squares slope of log std
    s = np.log(d["stds"]["relu"]["xavier"])
    slope = np.polyfit(np.arange(1, len(s) + 1), s, 1)[0]
    assert abs(slope - math.log(math.sqrt(0.5))) < 0.02


def test_relu_kaiming_preserves_scale(res):
    d = res["depth"]
    theory = math.sqrt(1 - 1 / math.pi)  # std of relu(z), Var(z) = 2
    assert abs(d["relu_kaiming_first_std"] / theory - 1) < 0.05
    final = d["relu_kaiming_final_std"]
    assert 0.5 < final < 2  # input std is 1
    assert 0.5 < final / d["relu_kaiming_first_std"] < 2
    # Ten independent networks: log std wanders with sd ~ sqrt(5 L / n) / 2 ~ 0.5 (Hanin & Rolnick 2018);
    # a factor 5 is > 3 sd. Compared with Xavier's 2^-25, the scale is preserved.
    seeds = d["relu_kaiming_final_std_seeds"]
    assert len(seeds) == 10
    assert all(theory / 5 < s < theory * 5 for s in seeds)
    assert theory / 2 < math.exp(np.mean(np.log(seeds))) < theory * 2


def test_small_init_vanishes(res):
    d = res["depth"]
    n = d["width"]
    tanh_small = d["stds"]["tanh"]["small"]
    assert tanh_small[-1] < 1e-10
    assert abs(geometric_factor(tanh_small, 1, 30) / (0.01 * math.sqrt(n)) - 1) < 0.05
    relu_small = d["stds"]["relu"]["small"]
    assert abs(geometric_factor(relu_small, 1, 30) / (0.01 * math.sqrt(n / 2)) - 1) < 0.05
    # float32 underflow: the ReLU stack reaches exact zeros before layer 50 (0.113^50 ~ 5e-48 < 1.4e-45)
    layer = d["relu_small_first_all_zero_layer"]
    assert layer is not None and layer <= 50
    assert relu_small[layer - 1] == 0.0


def test_unit_init_explodes_relu(res):
    d = res["depth"]
    n = d["width"]
    s = d["stds"]["relu"]["unit"]
    assert abs(geometric_factor(s, 1, 30) / math.sqrt(n / 2) - 1) < 0.05
    layer = d["relu_unit_first_nonfinite_layer"]
    assert layer is not None
    # theory: std_l = std_1 * sqrt(n/2)^(l-1) reaches float32's max (3.4e38) around the overflow layer
    predicted = s[0] * math.sqrt(n / 2) ** (layer - 1)
    assert 3.4e38 / 1e3 < predicted < 3.4e38 * 1e3
    assert all(v is None for v in s[layer - 1:])
    assert all(v is not None for v in s[: layer - 1])


def test_depth_histograms(res):
    d = res["depth"]
    for init in ["unit", "xavier", "kaiming"]:
        assert len(d["hist_fraction"][init]) == len(d["hist_layers"])
        for frac in d["hist_fraction"][init]:
            assert abs(sum(frac) - 1) < 1e-9


# ---------------------------------------------------------------------------------------------
# 5. Shape vs variance


def test_shape_matters_less_than_variance(res):
    s = res["shape"]
    for key, ratio in s["final_ratio"].items():
        assert 0.8 < ratio < 1.25, key
    # At every layer: within finite-width noise (log-ratio sd ~ sqrt(L / n) ~ 0.4 for independent draws;
    # the shared uniform numbers make it much smaller)
    assert 0.67 < s["min_ratio_any_layer"] <= s["max_ratio_any_layer"] < 1.5
    # Same shape, different variance: 2^(50/2) apart for ReLU
    assert s["stds"]["relu_kaiming"]["normal"][-1] / s["stds"]["relu_xavier"]["normal"][-1] > 1e6


# ---------------------------------------------------------------------------------------------
# 6. Training (He et al. 2015, Fig. 3 analogue)


def test_training_kaiming_learns_xavier_stalls(res):
    t = res["training"]
    assert math.isclose(t["ln10"], LN10)
    assert len(set(t["seeds"])) >= 3, "several seeds, as the page claims"
    for acc in t["kaiming"]["final_test_acc"]:
        assert acc >= 0.9
    for loss, acc in zip(t["xavier"]["final_train_loss"], t["xavier"]["final_test_acc"]):
        assert abs(loss - LN10) < 0.05 and acc < 0.3, "Xavier must stall on every seed"
    for init in ["xavier", "kaiming"]:
        assert all(len(c) == t["epochs"] for c in t[init]["loss_curves"])
        assert all(len(c) == t["epochs"] for c in t[init]["acc_curves"])
