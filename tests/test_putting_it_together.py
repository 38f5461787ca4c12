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
    assert (s["epochs"], s["momentum"], s["batch_size"]) == (6, 0.9, 128)
    assert len(s["seeds"]) >= 5 and s["shallow"] == [128, 64]
    assert (s["deep_layers"], s["deep_width"]) == (10, 64)
    assert res["scale"]["deep_factor"] == pytest.approx(math.sqrt(s["deep_width"] / 2))
    # a grid a factor 5 apart, with the seed's rate in it
    lrs = s["lrs"]
    assert all(b / a == pytest.approx(s["grid_factor"]) for a, b in zip(lrs, lrs[1:]))
    assert s["seed_lr"] in lrs and s["grid_factor"] == 5
    # the figure's loss axis ends above ln 10 and below the first losses it cuts off
    top = s["loss_axis_top"]
    assert res["ln10"] < top < res["shallow"]["only_std"]["seed_lr"]["first_loss_min"]
    assert len(s["configs"]) == 8 and len({tuple(v) for v in s["configs"].values()}) == 8


def _all_sweeps(res):
    for key in ["shallow", "deep"]:
        for name, r in res[key].items():
            yield key, name, r


def test_each_configuration_has_its_own_best_rate(res):
    s = res["settings"]
    for key, name, r in _all_sweeps(res):
        assert s["seed_lr"] in r["lrs"], (key, name)
        assert r["lrs"] == sorted(r["lrs"])
        assert len(r["val_mean"]) == len(r["lrs"]) == len(r["test_mean"])
        if not r["trains"]:
            assert max(r["val_mean"]) <= s["chance_val"]
            continue
        # best = highest mean validation accuracy; never at an edge unless the grid was extended twice
        i = r["lrs"].index(r["best_lr"])
        assert r["val_mean"][i] == max(r["val_mean"])
        assert r["best_at_edge"] == (i in (0, len(r["lrs"]) - 1))
        start = s["lrs"] if key == "shallow" else s["deep_lrs"]
        assert set(start) <= set(r["lrs"])
        assert not r["best_at_edge"] or len(r["lrs"]) == len(start) + 2
        assert len(r["best"]["test_acc"]) == len(s["seeds"])


def test_side_by_side_runs_equal_plain_pytorch():
    """A run of the stacked trainer equals nn.Sequential trained alone with torch.optim.SGD."""
    import torch
    from torch import nn

    for name in ["recipe", "no_bn"]:
        r = m.train_runs(name, lrs=(0.05,), seeds=(3,), epochs=2)
        standardize, init, bn = m.CONFIGS[name]
        data = m.load_splits(standardize)
        X, y = data["train"]
        torch.manual_seed(3)
        net = m.make_mlp((128, 64), bn, init)
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        order, curve = torch.Generator().manual_seed(3), []
        for _ in range(2):
            net.train()
            total = 0.0
            for idx in torch.randperm(len(X), generator=order).split(128):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(net(X[idx]), y[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            curve.append(total / len(X))
        net.eval()
        with torch.no_grad():
            acc = (net(data["test"][0]).argmax(1) == data["test"][1]).float().mean().item()
        assert r["curves"][0] == pytest.approx(curve, rel=1e-4), name
        assert r["test_acc"][0] == pytest.approx(acc, abs=1.5 / len(data["test"][1])), name


def test_recipe_fixes(res):
    r = res["recipe"]
    # kaiming_normal_'s default (leaky_relu, a = 0) has ReLU's gain sqrt(2)
    assert r["gain_default"] == pytest.approx(math.sqrt(2), abs=1e-12)
    assert r["gain_relu"] == r["gain_default"]
    # 16384 weights: the sample std is within 2% of sqrt(2 / 64)
    assert r["fc1_std"] == pytest.approx(r["kaiming_std_fc1"], rel=0.02)
    assert r["test_acc"] >= 0.95
    assert res["recipe_fit"]["seed_hidden"] == [256, 128]


def test_standard_scaler_on_near_constant_pixels(res):
    r = res["recipe"]
    # Samuelson's inequality: |z| <= sqrt(n - 1) in the training split,
    # reached by a pixel that is on in a single training image
    assert r["max_abs_train"] == pytest.approx(math.sqrt(r["n_train"] - 1), rel=1e-4)
    assert r["max_abs_test"] > 2 * r["max_abs_train"]  # the test split has no such bound
    assert r["constant_pixels"] >= 1


def test_shallow_at_the_seed_rate(res):
    sh = res["shallow"]
    # as a quick ablation sees it: chance, a collapsed Kaiming-on-raw net, a randn cost even with BN
    assert sh["none"]["seed_lr"]["acc_max"] < 0.15
    assert sh["only_init"]["seed_lr"]["acc_mean"] < 0.6
    assert sh["only_std"]["seed_lr"]["acc_mean"] < 0.8
    assert sh["bad_init"]["seed_lr"]["drop_pts"] > 4
    assert sh["recipe"]["seed_lr"]["acc_min"] >= 0.93
    # kept alone, BatchNorm does most at the seed's rate
    assert sh["only_bn"]["seed_lr"]["acc_mean"] > max(sh[n]["seed_lr"]["acc_mean"] for n in ["only_std", "only_init"]) + 0.1
    # without BatchNorm, standardization decides between a collapsed and a trained network
    assert sh["no_bn"]["seed_lr"]["acc_mean"] > sh["only_init"]["seed_lr"]["acc_mean"] + 0.3


def test_shallow_every_configuration_trains_at_its_best_rate(res):
    sh, s = res["shallow"], res["summary"]
    assert all(r["trains"] for r in sh.values())
    bests = [r["best"]["acc_mean"] for r in sh.values()]
    assert s["shallow_best_min"] == min(bests) and s["shallow_best_max"] == max(bests)
    assert min(bests) > 0.8
    assert sh["recipe"]["best"]["acc_mean"] >= 0.95
    # all three removed: the largest cost, at a rate far below the seed's
    assert sh["none"]["best"]["drop_pts"] == max(r["best"]["drop_pts"] for r in sh.values())
    assert sh["none"]["best_lr"] <= res["settings"]["seed_lr"] / 25


def test_shallow_costs_at_the_best_rates(res):
    sh = res["shallow"]
    # one removed: randn init costs a little, more than no BN and raw inputs, which cost < 1.5 points
    assert 1 < sh["bad_init"]["best"]["drop_pts"] < sh["bad_init"]["seed_lr"]["drop_pts"]
    assert sh["bad_init"]["best"]["drop_pts"] > max(sh["no_bn"]["best"]["drop_pts"],
                                                    sh["raw_inputs"]["best"]["drop_pts"])
    for name in ["no_bn", "raw_inputs"]:  # within the spread between seeds
        spread = max(sh[n]["best"]["acc_max"] - sh[n]["best"]["acc_min"] for n in ["recipe", name])
        assert abs(sh[name]["best"]["drop_pts"]) < min(1.5, 100 * spread), name
    # one kept: BatchNorm or Kaiming within 5 points; standardization alone well behind
    assert max(sh["only_bn"]["best"]["drop_pts"], sh["only_init"]["best"]["drop_pts"]) < 5
    assert sh["only_std"]["best"]["drop_pts"] > 4
    # the drop is against the recipe's mean at the same choice of rate
    for r in sh.values():
        for key in ["best", "seed_lr"]:
            assert r[key]["drop_pts"] == pytest.approx(
                100 * (sh["recipe"][key]["acc_mean"] - r[key]["acc_mean"]))


def test_curves(res):
    sh, ln10 = res["shallow"], res["ln10"]
    # with BatchNorm the first epoch stays below ln 10; without it, a wrong scale shows at once
    bn_max = res["first_epoch"]["shallow_bn_max"]
    with_bn = [n for n, (_, _, bn) in res["settings"]["configs"].items() if bn]
    assert bn_max == max(sh[n]["seed_lr"]["first_loss_max"] for n in with_bn)
    assert bn_max < ln10 < sh["only_init"]["seed_lr"]["first_loss_min"] / 2
    assert sh["only_std"]["seed_lr"]["first_loss_min"] > 50
    assert sh["none"]["seed_lr"]["first_loss_min"] > 1e4
    # dead units after training at the seed's rate (mean over seeds); far fewer at the best rate
    assert sh["none"]["seed_lr"]["dead"][-1] > 0.9
    assert sh["only_init"]["seed_lr"]["dead"][-1] > 0.5
    assert sh["only_std"]["seed_lr"]["dead"][-1] > 0.3
    for name in ["none", "only_init", "only_std"]:
        assert max(sh[name]["best"]["dead"]) < 0.5, name
    # a dead last hidden layer: constant logits, loss ln 10
    assert sh["none"]["seed_lr"]["final_loss_mean"] == pytest.approx(ln10, abs=0.01)
    for key in ["shallow", "deep"]:
        mean = {n: np.mean(res[key][n]["seed_lr"]["curves"], axis=0) for n in ["recipe", "bad_init"]}
        # the randn curve lies above the full recipe's at every epoch
        assert (mean["bad_init"] > mean["recipe"]).all(), key
    # ... and above the other configurations that train at this rate
    for other in ["raw_inputs", "no_bn"]:
        curve = np.mean(sh[other]["seed_lr"]["curves"], axis=0)
        assert (np.mean(sh["bad_init"]["seed_lr"]["curves"], axis=0) > curve).all(), other
    # the raw-input curve ends close to the full recipe's (within a factor 1.5)
    ratio = sh["raw_inputs"]["seed_lr"]["final_loss_mean"] / sh["recipe"]["seed_lr"]["final_loss_mean"]
    assert 1 / 1.5 < ratio < 1.5
    # deep, all removed: nan in the first epoch, every seed, every rate
    d = res["deep"]["none"]
    assert not d["trains"] and all(n == len(res["settings"]["seeds"]) for n in d["diverged"])
    assert all(c == [None] for c in d["seed_lr"]["curves"])


def test_bn_with_randn_weights_moves_the_weights_less(res):
    for key in ["shallow", "deep"]:
        moved_good = res[key]["recipe"]["seed_lr"]["moved"]
        moved_bad = res[key]["bad_init"]["seed_lr"]["moved"]
        assert all(b < g / 5 for g, b in zip(moved_good, moved_bad)), key
    # in the shallow net the ratio is at most the step ratio at initialization, a^2
    sh = res["shallow"]
    ratios = [g / b for g, b in zip(sh["recipe"]["seed_lr"]["moved"], sh["bad_init"]["seed_lr"]["moved"])]
    assert all(r < f**2 for r, f in zip(ratios, res["scale"]["kaiming_factor"]))
    # a larger rate gives most of the cost back: randn's best rate is at least the recipe's
    for key in ["shallow", "deep"]:
        r = res[key]
        assert r["bad_init"]["best_lr"] >= r["recipe"]["best_lr"], key
        assert r["bad_init"]["best"]["drop_pts"] < r["bad_init"]["seed_lr"]["drop_pts"] / 2, key
    # raw inputs without BatchNorm call for a smaller step
    assert sh["only_init"]["best_lr"] < res["settings"]["seed_lr"]


def test_deep_network(res):
    d, s = res["deep"], res["summary"]
    assert d["recipe"]["best"]["acc_mean"] >= 0.88
    # BatchNorm matters at the best rates too, and widens the range of rates that work
    assert s["deep_bn_minus_no_bn_pts"] == pytest.approx(
        100 * (d["recipe"]["best"]["acc_mean"] - d["no_bn"]["best"]["acc_mean"]))
    assert s["deep_bn_minus_no_bn_pts"] > 5
    assert s["deep_bn_minus_no_bn_pts"] > res["shallow"]["no_bn"]["best"]["drop_pts"] + 3
    assert s["deep_no_bn_max_working_lr"] < s["deep_recipe_max_working_lr"]
    assert s["deep_recipe_max_working_lr"] >= 5 * res["settings"]["seed_lr"]
    # randn weights under BatchNorm: a few points at their best rate too. Which removal costs
    # more at the best rates is not asserted: the page says five seeds do not settle the order.
    assert d["bad_init"]["best"]["drop_pts"] > 2
    assert all(d[n]["seed_lr"]["diverged"] == 0 for n in ["recipe", "bad_init"])


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
        assert all(fig.get_size_inches()[0] <= 6.4 for fig in figs.values())
    matplotlib.pyplot.close("all")
