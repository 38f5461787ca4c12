"""Every claim of the *Batch normalization* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_batch_norm.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import pytest

from conftest import built_results  # noqa: E402

import snippets.batch_norm as bn_mod  # noqa: E402

LN10 = math.log(10)


def Phi(v: float) -> float:
    return 0.5 * (1 + math.erf(v / math.sqrt(2)))


@pytest.fixture(scope="module")
def res():
    return built_results("batch_norm")


def test_normalizes_with_biased_variance(res):
    t = res["transform"]
    assert t["err_biased"] < 1e-5  # float32 rounding
    # the unbiased variance would give a visibly different output
    assert t["err_unbiased"] > 1e-2


def test_running_var_uses_unbiased_variance(res):
    t = res["transform"]
    assert t["running_var_err_unbiased"] < 1e-5
    assert t["running_var_err_biased"] > 1e-2


def test_gamma_beta_set_output_mean_and_std(res):
    t = res["transform"]
    assert t["output_mean"] == pytest.approx(-1.0, abs=1e-5)
    # std is gamma * sqrt(var / (var + eps)): slightly below gamma
    assert t["output_std"] == pytest.approx(2.0, abs=1e-3)


def test_eval_uses_running_statistics(res):
    t = res["transform"]
    assert t["eval_err"] < 1e-5
    assert t["eval_vs_train_max_diff"] > 1.0  # after one training-mode forward pass the running stats are far off


def test_bias_is_redundant(res):
    b = res["bias"]
    assert b["max_output_change"] < 1e-4 * b["shift"]
    assert b["bias_grad_max"] < 1e-3 * b["weight_grad_max"]


def test_batch_coupling(res):
    c = res["coupling"]
    assert c["train_diff"] > 0.1
    assert c["eval_diff"] == 0.0
    assert "Expected more than 1 value per channel when training" in c["error"]
    assert c["eval_single_ok"]


def test_deep_sigmoid_without_bn_stays_at_chance(res):
    t = res["training"]
    assert t["none"]["max_acc"] < 0.15  # chance is 10 %
    assert all(abs(l - LN10) < 0.05 for l in t["none"]["train_loss"])


def test_deep_sigmoid_without_bn_ignores_its_input(res):
    t = res["training"]
    assert t["none"]["classes_predicted"] == [1] * len(t["seeds"])
    s = t["none"]["sample_std"]  # spread across samples shrinks by orders of magnitude
    assert s[-1] < 1e-4 * s[0]
    assert t["bn"]["classes_predicted"] == [10] * len(t["seeds"])
    assert min(t["bn"]["sample_std"]) > 0.5


def test_deep_sigmoid_with_bn_trains(res):
    t = res["training"]
    assert t["bn"]["min_acc"] > 0.85
    assert all(l < 0.5 * LN10 for l in t["bn"]["train_loss"])


def test_noisy_bn_still_trains(res):
    t = res["training"]
    assert t["noisy_bn"]["min_acc"] > 0.75
    assert t["noisy_bn"]["min_acc"] > t["none"]["max_acc"] + 0.5


def test_preactivations_unit_scale_with_bn(res):
    t = res["training"]
    # with BN (gamma, beta learned) the sigmoid inputs stay at the unit scale
    assert all(0.5 < s < 2.0 for s in t["bn"]["preact_std"])
    # without BN they shrink to well below 1 in the deep layers
    assert max(t["none"]["preact_std"][1:]) < 0.5


def test_bn_before_tanh_matches_gaussian_theory(res):
    p = res["placement"]
    theory = 2 * (1 - Phi(math.atanh(0.99)))
    assert p["theory_unit"] == pytest.approx(theory, rel=1e-12)
    assert all(abs(f - theory) < 0.003 for f in p["before"])


def test_bn_after_tanh_saturates(res):
    p = res["placement"]
    # z = W h with Var(h) = 1: std(z) = sqrt(width)
    theory = 2 * (1 - Phi(math.atanh(0.99) / math.sqrt(p["width"])))
    assert p["theory_after"] == pytest.approx(theory, rel=1e-12)
    assert all(abs(f - theory) < 0.02 for f in p["after"])
    assert min(p["after"]) > 0.8


def test_bn_keeps_skewness(res):
    s = res["skew"]
    # Exponential(1): skewness 2, excess kurtosis 6 (sampling tolerance)
    assert s["input"][0] == pytest.approx(2.0, abs=0.2)
    assert s["input"][1] == pytest.approx(6.0, abs=1.5)
    for mode in ["train", "eval"]:
        assert s[mode][0] == pytest.approx(s["input"][0], abs=1e-9)
        assert s[mode][1] == pytest.approx(s["input"][1], abs=1e-9)
    assert abs(s["train_mean"]) < 1e-9
    assert s["train_std"] == pytest.approx(1.0, abs=1e-4)


def test_figures(res):
    for lang in ["en", "zh"]:
        figs = bn_mod.figures(res, lang)
        assert set(figs) == {"preact_hist", "training", "placement"}
        for fig in figs.values():
            assert fig.get_size_inches()[0] <= 6.4
