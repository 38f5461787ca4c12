"""Every claim of the *Putting it together* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_putting_it_together.py -q
"""

import math

import matplotlib
import numpy as np
import pytest

from conftest import built_results

import snippets.putting_it_together as m

matplotlib.use("Agg")  # pyplot switches to it before any figure exists


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("putting_it_together")


def test_settings_are_the_ones_the_page_states(res):
    s = res["settings"]
    assert (s["epochs"], s["lr"], s["momentum"], s["batch_size"]) == (10, 0.05, 0.9, 128)
    assert s["seeds"] == [0, 1, 2] and s["shallow"] == [256, 128]
    assert (s["deep_layers"], s["deep_width"], s["lr_check"]) == (15, 64, 0.01)
    assert res["scale"]["deep_factor"] == pytest.approx(math.sqrt(s["deep_width"] / 2))
    # the figure's loss axis ends above ln 10 and below the first losses it cuts off
    assert res["ln10"] < s["loss_axis_top"] < res["shallow"]["only_std"]["first_loss_min"]
    assert len(s["configs"]) == 8 and len({tuple(v) for v in s["configs"].values()}) == 8


def test_recipe_fixes(res):
    r = res["recipe"]
    # kaiming_normal_'s default (leaky_relu, a = 0) has ReLU's gain sqrt(2)
    assert r["gain_default"] == pytest.approx(math.sqrt(2), abs=1e-12)
    assert r["gain_relu"] == r["gain_default"]
    # 16384 weights: the sample std is within 2% of sqrt(2 / 64)
    assert r["fc1_std"] == pytest.approx(r["kaiming_std_fc1"], rel=0.02)
    # the page's Net is exactly the ablation's "recipe" configuration
    assert r["same_as_ablation"] is True
    assert r["test_acc"] >= 0.95


def test_standard_scaler_on_near_constant_pixels(res):
    r = res["recipe"]
    # Samuelson's inequality: |z| <= sqrt(n - 1) in the training split,
    # reached by a pixel that is on in a single training image
    assert r["max_abs_train"] == pytest.approx(math.sqrt(r["n_train"] - 1), rel=1e-4)
    assert r["max_abs_test"] > 2 * r["max_abs_train"]  # the test split has no such bound
    assert r["constant_pixels"] >= 1


def test_shallow_one_ingredient_removed(res):
    sh = res["shallow"]
    assert sh["recipe"]["acc_min"] >= 0.95
    # raw inputs cost nothing (within 1.5 points either way)
    assert abs(sh["raw_inputs"]["drop_pts"]) < 1.5
    # no BatchNorm: still >= 95% on every seed, under 2 points lost
    assert sh["no_bn"]["acc_min"] >= 0.95 and sh["no_bn"]["drop_pts"] < 2
    # randn init: the largest single loss, a few points, and a much higher training loss
    assert 1.5 < sh["bad_init"]["drop_pts"] < 10
    assert sh["bad_init"]["drop_pts"] > max(sh["no_bn"]["drop_pts"], sh["raw_inputs"]["drop_pts"])
    assert sh["bad_init"]["final_loss_mean"] > 3 * sh["recipe"]["final_loss_mean"]
    assert all(v["diverged"] == 0 for v in sh.values())
    # no BatchNorm: the lowest final training loss of all eight configurations
    assert sh["no_bn"]["final_loss_mean"] == min(v["final_loss_mean"] for v in sh.values())


def test_curves(res):
    sh, ln10 = res["shallow"], res["ln10"]
    # with BatchNorm the first epoch stays below ln 10; without it, far above
    bn_max = res["first_epoch"]["shallow_bn_max"]
    with_bn = [n for n, (_, _, bn) in res["settings"]["configs"].items() if bn]
    assert bn_max == max(sh[n]["first_loss_max"] for n in with_bn)
    assert bn_max < ln10 < sh["only_init"]["first_loss_min"] / 3
    for key in ["shallow", "deep"]:
        mean = {n: np.mean(res[key][n]["curves"], axis=0) for n in ["recipe", "raw_inputs", "bad_init"]}
        # the randn curve lies above the full recipe's and the raw-input one at every epoch
        assert (mean["bad_init"] > mean["recipe"]).all()
        assert (mean["bad_init"] > mean["raw_inputs"]).all()
        # the raw-input curve ends close to the full recipe's (within a factor 1.5)
        ratio = res[key]["raw_inputs"]["final_loss_mean"] / res[key]["recipe"]["final_loss_mean"]
        assert 1 / 1.5 < ratio < 1.5
    # deep, no BatchNorm: the loss rises again; all removed: nan in the first epoch
    assert res["deep"]["no_bn"]["rebound"] >= 2
    assert all(c == [None] for c in res["deep"]["none"]["curves"])


def test_shallow_all_removed_and_single_ingredients(res):
    sh, ln10 = res["shallow"], res["ln10"]
    for name in ["none", "only_init"]:  # chance level: constant output, loss ln 10
        assert sh[name]["acc_max"] < 0.15
        assert sh[name]["final_loss_mean"] == pytest.approx(ln10, abs=0.01)
        assert sh[name]["dead"][-1] == 1.0  # every unit of the last hidden layer is dead
    assert sh["none"]["first_loss_min"] > 1e6
    assert sh["only_init"]["first_loss_min"] > 2 * ln10
    assert sh["only_std"]["first_loss_min"] > 100
    assert 0.3 < sh["only_std"]["acc_mean"] < sh["recipe"]["acc_mean"] - 0.2
    assert sh["only_std"]["dead"][-1] > 0.3
    # BatchNorm alone: within 3 points of the full recipe
    assert sh["only_bn"]["acc_min"] >= 0.95 and sh["only_bn"]["drop_pts"] < 3


def test_bn_with_randn_weights_moves_the_weights_less(res):
    for key in ["shallow", "deep"]:
        moved_good = res[key]["recipe"]["moved"]
        moved_bad = res[key]["bad_init"]["moved"]
        assert all(b < g / 5 for g, b in zip(moved_good, moved_bad)), key
    # in the shallow net the ratio is at most the step ratio at initialization, s^2
    ratios = [g / b for g, b in zip(res["shallow"]["recipe"]["moved"], res["shallow"]["bad_init"]["moved"])]
    assert all(r < f**2 for r, f in zip(ratios, res["scale"]["kaiming_factor"]))


def test_deep_ranking_changes(res):
    d, sh = res["deep"], res["shallow"]
    assert d["recipe"]["acc_min"] >= 0.9
    assert abs(d["raw_inputs"]["drop_pts"]) < 3
    assert d["bad_init"]["drop_pts"] > 15
    assert d["bad_init"]["drop_pts"] > 3 * sh["bad_init"]["drop_pts"]
    assert d["no_bn"]["acc_mean"] < 0.5
    assert d["no_bn"]["drop_pts"] > d["bad_init"]["drop_pts"] > abs(d["raw_inputs"]["drop_pts"])
    assert max(d["no_bn"]["dead"]) > 0.3  # dead units appear in training (seed 0)
    assert d["none"]["diverged"] == 3 and d["none"]["first_loss_min"] is None
    assert all(d[n]["diverged"] == 0 for n in ["recipe", "raw_inputs", "bad_init"])


def test_learning_rate_check(res):
    lo, d = res["lr_check"], res["deep"]
    assert res["settings"]["lr_check"] < res["settings"]["lr"]
    # shallow: at the small rate, BatchNorm or not makes no difference (2 points)
    assert abs(lo["shallow"]["no_bn"]["drop_pts"]) < 2
    # deep: without BatchNorm the small rate trains, the large one does not
    assert lo["deep"]["no_bn"]["acc_min"] > 0.75
    assert lo["deep"]["no_bn"]["acc_mean"] > d["no_bn"]["acc_mean"] + 0.3
    assert lo["deep"]["no_bn"]["diverged"] == 0
    # with BatchNorm the large rate is better than the small one, and the best measured
    assert d["recipe"]["acc_mean"] > lo["deep"]["recipe"]["acc_mean"] + 0.05
    assert d["recipe"]["acc_mean"] > lo["deep"]["no_bn"]["acc_mean"]
    # at the small rate, the deep net without BatchNorm is ahead of the one with it
    assert lo["deep"]["no_bn"]["acc_mean"] > lo["deep"]["recipe"]["acc_mean"]


def test_scale_invariance_under_batchnorm(res):
    bn = res["scale"]["bn"]
    # BN(a W x) = BN(W x): the same logits up to epsilon and float32 rounding
    assert bn["max_logit_diff"] < 1e-3
    assert bn["randn"]["logit_std"] == pytest.approx(bn["kaiming"]["logit_std"], rel=1e-3)
    # d BN(aWx) / d(aW) = (1/a) d BN(Wx) / dW: gradients smaller by the scale factor
    for ratio, factor in zip(bn["grad_ratio"], res["scale"]["kaiming_factor"]):
        assert ratio == pytest.approx(factor, rel=1e-3)
    # the bias before BatchNorm gets no gradient (float32 rounding only)
    for name in ["randn", "kaiming"]:
        assert bn[name]["bias_grad_max"] < 1e-6 * min(bn[name]["grad_norm"])


def test_scales_multiply_without_batchnorm(res):
    sc = res["scale"]
    for key in ["shallow", "deep"]:
        product = sc[f"{key}_scale_product"]
        layers = res["settings"]["deep_layers"]
        expected = math.prod(sc["kaiming_factor"]) if key == "shallow" else sc["deep_factor"] ** layers
        assert product == pytest.approx(expected)
        for inputs in ["std", "raw"]:
            r = sc[f"{key}_{inputs}"]
            # ReLU is positively homogeneous: logits scale by the product of the factors
            assert r["randn_logit_std"] / r["kaiming_logit_std"] == pytest.approx(product, rel=1e-3)
    # first pre-activation under Kaiming: Var = 2 E[x^2] (within 10%, finite width)
    for key in ["shallow", "deep"]:
        for inputs in ["std", "raw"]:
            x2 = sc[f"x2_{inputs}"]
            assert sc[f"{key}_{inputs}"]["kaiming_z1_std"] == pytest.approx(math.sqrt(2 * x2), rel=0.1)
    # standardized pixels: E[x^2] = 1 except the constant pixels, which are 0
    n_const = res["recipe"]["constant_pixels"]
    assert sc["x2_std"] == pytest.approx((64 - n_const) / 64, rel=1e-5)
    assert sc["x2_raw"] > 30 * sc["x2_std"]
    # Kaiming keeps the logit scale in the deep net: within a factor 2 of the shallow one
    ratio = sc["deep_std"]["kaiming_logit_std"] / sc["shallow_std"]["kaiming_logit_std"]
    assert 0.5 < ratio < 2


def test_figures(res):
    for lang in ("en", "zh"):
        figs = m.figures(res, lang)
        assert set(figs) == {"curves", "accuracy"}
    matplotlib.pyplot.close("all")
