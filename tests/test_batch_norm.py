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


def test_sweep_design(res):
    t = res["training"]
    assert len(t["seeds"]) >= 5 and len(t["lrs"]) >= 3
    for arm in t["arms"]:
        a = t[arm]
        assert len(a["sweep_acc"]) == len(t["lrs"])
        assert all(len(v) == len(t["seeds"]) for v in a["sweep_acc"])
        # best = lowest mean final training loss over the seeds
        assert a["sweep_mean_loss"][t["lrs"].index(a["best_lr"])] == min(a["sweep_mean_loss"])
        assert a["test_acc"] == a["sweep_acc"][t["lrs"].index(a["best_lr"])]


def test_default_init_stays_at_chance_at_every_rate(res):
    t = res["training"]
    d = t["default"]
    assert d["max_acc_any_lr"] < 0.15  # chance is 10 %
    assert d["max_loss_gap_ln10"] < 0.05
    assert all(abs(v - LN10) < 0.05 for row in d["sweep_loss"] for v in row)
    assert d["max_classes_any_lr"] == 1  # one class for every test image


def test_default_init_ignores_its_input(res):
    t = res["training"]
    s = t["default"]["sample_std"]  # spread across samples shrinks by orders of magnitude
    assert s[-1] < 1e-4 * s[0]
    # per layer: sqrt(fan_in * Var(w)) * slope = sqrt(1/3) / 4 for nn.Linear's U(+-1/sqrt(n)) and slope 1/4
    assert t["default"]["decay_per_layer"] == pytest.approx(1 / (4 * math.sqrt(3)), rel=0.25)
    assert t["default"]["decay_per_layer"] == pytest.approx((s[-1] / s[0]) ** (1 / (len(s) - 1)))
    # not saturation: the sigmoid inputs stay near 0
    assert max(t["default"]["preact_std"]) < 1.0


def test_default_init_decay_matches_theory_above_the_float32_floor(res):
    """The page quotes the factor over layers 1 to depth-1: the last layer's spread is below the
    float32 spacing of numbers between 1/4 and 1/2 (2^-25), where rounding, not the weights,
    sets what is left."""
    t = res["training"]
    s = t["default"]["sample_std"]
    assert 0.25 <= t["default"]["preact_std"][-1] < 0.5  # the size the 2^-25 spacing refers to
    assert s[-1] < 2**-25
    above_floor = (s[-2] / s[0]) ** (1 / (len(s) - 2))
    assert above_floor == pytest.approx(1 / (4 * math.sqrt(3)), rel=0.05)
    assert above_floor < t["default"]["decay_per_layer"]  # the floor inflates the all-layer factor


def test_sigmoid_init_trains_without_bn(res):
    t = res["training"]
    a = t["sigmoid_init"]
    assert a["mean_acc"] > 0.8 and a["min_acc"] > 0.7
    assert a["classes_predicted"] == [10] * len(t["seeds"])
    # the input-dependent spread stays of order 1 through the depth: no collapse
    assert all(0.3 < v < 10 for v in a["sample_std"])


def test_bn_trains_and_leads_by_a_few_points(res):
    t = res["training"]
    bn, si = t["bn"], t["sigmoid_init"]
    assert bn["mean_acc"] > 0.88 and bn["min_acc"] > 0.85
    assert all(l < 0.5 * LN10 for l in bn["train_loss"])
    assert bn["classes_predicted"] == [10] * len(t["seeds"])
    assert min(bn["sample_std"]) > 0.5
    # "a few points ahead, seeds closer together": ahead, by less than 10 points, and a narrower range
    assert t["bn_minus_sigmoid_init_pts"] == pytest.approx(100 * (bn["mean_acc"] - si["mean_acc"]))
    assert 0 < t["bn_minus_sigmoid_init_pts"] < 10
    assert bn["max_acc"] - bn["min_acc"] < si["max_acc"] - si["min_acc"]


def test_bn_leads_whichever_way_the_rate_is_chosen(res):
    """The gap depends on the selection rule (training loss vs test accuracy), its sign does not;
    BatchNorm's test accuracy is highest at the smallest rate, not at the loss-selected one."""
    t = res["training"]
    bn, si = t["bn"], t["sigmoid_init"]
    assert max(bn["sweep_mean_acc"]) > max(si["sweep_mean_acc"])
    assert bn["mean_acc"] > si["mean_acc"]
    assert bn["sweep_mean_acc"][0] > bn["mean_acc"]


def test_noise_costs_at_every_rate(res):
    t = res["training"]
    bn, noisy = t["bn"], t["noisy_bn"]
    assert all(b > n + 0.05 for b, n in zip(bn["sweep_mean_acc"], noisy["sweep_mean_acc"]))
    assert max(noisy["sweep_mean_acc"]) < t["sigmoid_init"]["mean_acc"]


def test_noisy_bn_trains_but_the_noise_costs(res):
    t = res["training"]
    n = t["noisy_bn"]
    assert n["min_acc"] > t["default"]["max_acc_any_lr"] + 0.4  # far above chance
    assert t["bn_minus_noisy_pts"] == pytest.approx(100 * (t["bn"]["mean_acc"] - n["mean_acc"]))
    assert t["bn_minus_noisy_pts"] > 5  # not free here
    assert n["mean_acc"] < t["sigmoid_init"]["mean_acc"]
    assert (t["max_scale"], t["shift_std"]) == (2.0, 1.0)


def test_preactivations_unit_scale_with_bn(res):
    t = res["training"]
    # with BN (gamma, beta learned) the sigmoid inputs stay at the unit scale
    assert all(0.5 < s < 2.5 for s in t["bn"]["preact_std"])
    # without BN, default init, they shrink to well below 1 in the deep layers
    assert max(t["default"]["preact_std"][1:]) < 0.5


@pytest.mark.parametrize("arm", ["bn", "sigmoid_init"])
def test_side_by_side_runs_equal_plain_pytorch(arm):
    """A run of the stacked trainer equals nn.Sequential trained alone with torch.optim.SGD."""
    import torch
    from torch import nn

    r = bn_mod.train_runs(arm, lrs=(0.1,), seeds=(3,), epochs=2)
    X_tr, y_tr, X_te, y_te = bn_mod.load_digits_split()
    torch.manual_seed(3)
    net = bn_mod.sigmoid_mlp(arm)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    order = torch.Generator().manual_seed(3)
    for _ in range(2):
        net.train()
        for idx in torch.randperm(len(X_tr), generator=order).split(128):
            opt.zero_grad()
            nn.functional.cross_entropy(net(X_tr[idx]), y_tr[idx]).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        loss = nn.functional.cross_entropy(net(X_tr), y_tr).item()
        acc = (net(X_te).argmax(1) == y_te).float().mean().item()
    assert r["train_loss"][0] == pytest.approx(loss, rel=1e-4)
    assert r["test_acc"][0] == pytest.approx(acc, abs=1.5 / len(y_te))


def test_sigmoid_init_is_a_tanh_net():
    """sigmoid(z) - 1/2 = tanh(z / 2) / 2: with the centring bias, layer 2 on is W/4 tanh."""
    import torch

    torch.manual_seed(0)
    net = bn_mod.sigmoid_mlp("sigmoid_init", depth=3, width=400)
    W = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    for w in W[:-1]:  # variance 16 / fan_in
        assert (w.var() * w.shape[1]).item() == pytest.approx(16, rel=0.05)
    x = torch.randn(5, 64)
    with torch.no_grad():
        z1 = net[0](x)
        z2 = net[2](torch.sigmoid(z1))
        u1, u2 = z1 / 2, z2 / 2
        assert torch.allclose(u2, torch.tanh(u1) @ (W[1] / 4).T, atol=1e-4)


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
        assert len(figs["training"].axes) == 2
        for fig in figs.values():
            assert fig.get_size_inches()[0] <= 6.4
