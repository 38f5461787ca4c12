"""Every claim of the *Residual scaling and the output layer* page, checked against theory or a
stated tolerance.

Run from the repository root: python -m pytest tests/test_residual_scaling.py -q
"""

import itertools
import math

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from conftest import built_results
from scipy import integrate, stats

import snippets.residual_scaling as m


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("residual_scaling")


def gelu_second_moment(tau2: float) -> float:
    """E[GELU(h)^2], h ~ N(0, tau2), by adaptive quadrature (independent of the snippet's rule)."""
    tau = math.sqrt(tau2)

    def f(h: float) -> float:
        return (h * stats.norm.cdf(h)) ** 2 * stats.norm.pdf(h, scale=tau)

    return integrate.quad(f, -15 * tau, 15 * tau, limit=200)[0]


def branch_variance(s: dict, q: float = 1.0, scale: float = 1.0) -> float:
    """What one branch adds to the stream's mean square when its input has mean square q."""
    d, std = s["d"], s["std"]
    return scale**2 * 4 * d * std**2 * gelu_second_moment(std**2 * d * q)


# --- the residual stream ------------------------------------------------------------------------


def test_settings_are_gpt2_like(res):
    s = res["stream"]
    assert s["std"] == 0.02 and s["d"] == 768  # GPT-2 small's width, GPT-2's 0.02
    assert s["depths"] == [6, 12, 24, 48] and s["n_max"] == 48
    assert s["x0"] == pytest.approx(1.0, abs=0.02)  # N(0, 1) stream input


def test_pre_ln_growth_is_additive_and_matches_theory(res):
    s = res["stream"]
    v = branch_variance(s)
    assert s["v_theory"] == pytest.approx(v, rel=1e-4)
    un = np.array(s["pre_ln"]["unscaled"])
    # Var(x_l) = Var(x_0) + l v: a straight line with slope v
    assert s["pre_fit"]["slope"] == pytest.approx(v, rel=0.03)
    assert s["pre_fit"]["max_rel_resid"] < 0.05
    theory = s["x0"] + np.arange(len(un)) * v
    assert np.allclose(un, theory, rtol=0.04)
    assert s["pre_end"] == pytest.approx(s["x0"] + s["n_max"] * v, rel=0.02)
    assert s["pre_std_ratio"] == pytest.approx(math.sqrt(un[-1] / un[0]))
    # additive: the last quarter adds as much as the first quarter
    assert 0.85 < s["pre_increment_ratio"] < 1.15
    # each branch sees LayerNorm(x): c_fc's output has variance d * std^2 at every depth
    hidden = s["hidden_var_theory"]
    assert hidden == pytest.approx(s["d"] * s["std"] ** 2)
    assert s["hidden_ms_pre_mean"] == pytest.approx(hidden, rel=0.02)
    lo, hi = s["hidden_ms_pre_range"]
    assert lo > 0.95 * hidden and hi < 1.05 * hidden
    assert hidden < 0.5  # far from unit variance


def test_no_ln_growth_is_multiplicative(res):
    s = res["stream"]
    no = np.array(s["no_ln"]["unscaled"])
    f = s["no_factor"]
    ratios = no[1:] / no[:-1]
    q4 = s["quarter"]
    assert f["first"] == pytest.approx(ratios[0]) and f["last"] == pytest.approx(ratios[-1])
    assert f["first_quarter"] == pytest.approx(ratios[:q4].mean())
    assert f["last_quarter"] == pytest.approx(ratios[-q4:].mean())
    assert f["sd"] == pytest.approx(ratios.std(ddof=1))
    # every branch multiplies by more than 1, and the factor grows (averaged per quarter:
    # a single branch's factor is noisy)
    assert ratios.min() > 1.05
    assert f["last_quarter"] > f["first_quarter"] + 2 * f["sd"] / math.sqrt(q4)
    # mean-field recurrence q <- q + 4 d std^2 E[GELU(h)^2], Var(h) = std^2 d q
    q = [no[0]]
    for _ in range(len(no) - 1):
        q.append(q[-1] + branch_variance(s, q=q[-1]))
    q = np.array(q)
    assert np.allclose(s["no_theory"], q, rtol=1e-3)
    th = q[1:] / q[:-1]
    assert f["theory_first"] == pytest.approx(1 + branch_variance(s, q=no[0]) / no[0], rel=1e-3)
    assert f["theory_first_quarter"] == pytest.approx(th[:q4].mean(), rel=1e-3)
    assert f["theory_last_quarter"] == pytest.approx(th[-q4:].mean(), rel=1e-3)
    # for large inputs GELU acts like ReLU, E[GELU(h)^2] -> Var(h) / 2: factor 1 + 2 (d std^2)^2,
    # the largest the factor gets; the recurrence reaches it by the last branch
    ceiling = 1 + 2 * (s["d"] * s["std"] ** 2) ** 2
    assert f["relu_ceiling"] == pytest.approx(ceiling)
    assert f["theory_last"] == pytest.approx(ceiling, abs=5e-4)
    assert np.all(th <= ceiling + 1e-6)
    # measured quarter means agree with the recurrence within 3 standard errors
    se = f["sd"] / math.sqrt(q4)
    assert abs(f["first_quarter"] - f["theory_first_quarter"]) < 3 * se
    assert abs(f["last_quarter"] - f["theory_last_quarter"]) < 3 * se
    assert s["no_increment_ratio"] > 100
    rel = np.abs(no - q) / q
    assert rel.max() < 0.12
    assert s["no_theory_max_rel_error"] == pytest.approx(rel.max(), rel=0.01)
    assert s["no_end"] > 1000
    assert s["hidden_ms_no_last"] > 100 * s["hidden_var_theory"]


def test_scaling_makes_the_end_independent_of_n(res):
    s = res["stream"]
    v = branch_variance(s)
    for n in s["depths"]:
        # Pre-LN: N branches of variance v / N add exactly v
        end = s["pre_scaled_end"][str(n)]
        assert end == pytest.approx(s["x0"] + v, rel=0.02)
        assert s["pre_ln"][f"scaled_{n}"][-1] == end
        assert len(s["pre_ln"][f"scaled_{n}"]) == n + 1
        # no LN: the recurrence with c_proj scaled by 1/sqrt(N)
        q = s["x0"]
        for _ in range(n):
            q += branch_variance(s, q=q, scale=1 / math.sqrt(n))
        assert s["no_scaled_theory"][str(n)] == pytest.approx(q, rel=1e-3)
        assert s["no_scaled_end"][str(n)] == pytest.approx(q, rel=0.03)
    assert s["pre_scaled_end_theory"] == pytest.approx(s["x0"] + v, rel=1e-4)
    for key in ("pre", "no"):
        lo, hi = s[f"{key}_scaled_range"]
        assert hi / lo < 1.02  # flat in N (48 branches vs 6)
    # N -> infinity: an ODE limit close to x0 * exp(v), not unbounded growth
    assert s["no_scaled_limit"] == pytest.approx(s["x0"] * math.exp(v), rel=0.01)
    assert s["no_scaled_limit"] == pytest.approx(s["no_scaled_theory"]["48"], rel=0.01)
    # unscaled, the end grows with N; scaled, it does not
    assert s["pre_end"] > 5 * s["pre_scaled_end"]["48"]


def test_gpt2_embedding_scale_and_what_the_rule_changes(res):
    s = res["stream"]
    c = s["control"]
    v = branch_variance(s)
    n = c["n"]
    assert n == 24 == 2 * s["nanogpt"]["n_layer"]  # GPT-2 small: 12 layers, 2 branches each
    assert s["nanogpt"]["c_proj_std"] == pytest.approx(0.02 / math.sqrt(24))
    # the stream's input: nanoGPT's wte + wpe, each N(0, 0.02^2); GPT-2's code: 0.02 and 0.01
    e = c["embedding"]
    assert c["embed_std"] == 0.02
    assert e["x0_ms_theory"] == pytest.approx(2 * 0.02**2)
    assert e["x0_ms"] == pytest.approx(2 * 0.02**2, rel=0.03)
    assert c["gpt2_x0_ms"] == pytest.approx(0.02**2 + 0.01**2)
    # Pre-LN adds v per branch whatever the input's size: x0 + v with the rule, x0 + N v without
    assert e["scaled_end_theory"] == pytest.approx(e["x0_ms_theory"] + v, rel=1e-4)
    assert e["unscaled_end_theory"] == pytest.approx(e["x0_ms_theory"] + n * v, rel=1e-4)
    assert e["scaled_end"] == pytest.approx(e["scaled_end_theory"], rel=0.03)
    assert e["unscaled_end"] == pytest.approx(e["unscaled_end_theory"], rel=0.03)
    assert e["scaled_end"] < 0.2 and e["unscaled_end"] > 2  # neither near unit variance
    # the input's share of x_N: large for a unit input, negligible at the embeddings' scale
    u = c["unit"]
    assert u["input_share_scaled"] == pytest.approx(u["x0_ms"] / (u["x0_ms"] + v), rel=0.02)
    assert u["input_share_unscaled"] == pytest.approx(u["x0_ms"] / (u["x0_ms"] + n * v), rel=0.03)
    assert u["input_share_scaled"] > 0.8 and u["input_share_unscaled"] < 0.3
    assert e["input_share_scaled"] < 0.01 and e["input_share_unscaled"] < 0.001
    assert u["unscaled_end"] == s["pre_ln"]["unscaled"][n]
    # after LayerNorm, scaled and unscaled stacks point the same way when the branches dominate
    assert e["cosine"] > 0.9
    assert u["cosine"] < 0.8
    assert e["cosine"] > u["cosine"] + 0.15
    assert s["pre_ln"]["cosine"][str(n)] == u["cosine"]


def test_only_the_variance_of_the_weights_matters(res):
    s = res["stream"]
    u = s["uniform"]
    v = branch_variance(s)
    a, b = u["normal"], u["uniform"]
    assert a["n"] == s["n_max"] and b["n"] == u["n"]
    # each draw agrees with the theory, and the two with each other, within 3 standard errors
    assert abs(a["mean"] - v) < 3 * a["se"]
    assert abs(b["mean"] - v) < 3 * b["se"]
    assert abs(a["mean"] - b["mean"]) < 3 * math.hypot(a["se"], b["se"])
    assert b["se"] < 0.02 * v  # a yardstick fine enough to mean something
    # the normal run's per-branch increments are the main run's
    incs = np.diff(s["pre_ln"]["unscaled"])
    assert a["mean"] == pytest.approx(incs.mean())
    assert a["se"] == pytest.approx(incs.std(ddof=1) / math.sqrt(len(incs)))


# --- the loss at initialization -----------------------------------------------------------------


def expected_max(c: int) -> float:
    """E[max of c N(0, 1)] by Monte Carlo (a check independent of the snippet's quadrature)."""
    rng = np.random.default_rng(1)
    return float(rng.standard_normal((400_000, c)).max(1).mean())


@pytest.mark.parametrize("task", ["digits", "text"])
def test_expected_initial_loss_curve(res, task):
    r = res["initial"]
    e = r[task]
    c = e["n_classes"]
    assert e["ln_c"] == pytest.approx(math.log(c))
    assert e["expected_max"] == pytest.approx(expected_max(c), abs=0.005)
    s = np.array(r["stds"])
    curve = np.array(e["curve"])
    # small s: ln C + s^2 (C - 1) / (2C); Monte Carlo noise of the linear term ~ s / sqrt(n)
    noise = 4 * s / math.sqrt(r["n_samples"])
    small = s < 0.3
    approx = math.log(c) + s**2 * (c - 1) / (2 * c)
    assert np.all(np.abs(curve[small] - approx[small]) < noise[small] + s[small] ** 4)
    assert e["at_small"] == pytest.approx(math.log(c), abs=1e-3)
    # always: s E[max] <= E[logsumexp] <= s E[max] + ln C (1% for Monte Carlo noise)
    lower = s * e["expected_max"]
    assert np.all(curve >= np.maximum(lower, math.log(c)) * 0.99)
    assert np.all(curve <= (lower + math.log(c)) * 1.01)
    # large s: the curve approaches s E[max]
    assert e["at_large_over_slope"] == pytest.approx(1.0, abs=0.01)
    assert e["at_10"] == pytest.approx(10 * e["expected_max"], rel=0.05)
    assert e["at_1"] > math.log(c) + 0.3


@pytest.mark.parametrize("task", ["digits", "text"])
def test_measured_initial_loss(res, task):
    e = res["initial"][task]
    sweep = e["sweep"]
    assert [p["m"] for p in sweep] == m.SWEEP_MULTIPLIERS
    assert sweep[3]["m"] == 1  # the page quotes sweep[3] as PyTorch's default head
    rel = [abs(p["loss"] - p["predicted_per_example"]) / p["loss"] for p in sweep]
    assert e["per_example_max_rel_error"] == pytest.approx(max(rel))
    assert e["per_example_max_rel_error"] < 0.05
    for p in sweep:
        # averaging the curve over each example's own logit spread predicts the measured loss
        assert p["loss"] == pytest.approx(p["predicted_per_example"], rel=0.05)
        if p["m"] <= 0.1:
            assert p["loss"] == pytest.approx(e["ln_c"], abs=0.01)
    # the loss grows with the head's scale, roughly linearly once the logits are large
    losses = [p["loss"] for p in sweep]
    assert all(b > a for a, b in itertools.pairwise(losses[2:]))
    by_m = {p["m"]: p for p in sweep}
    assert by_m[100]["loss"] / by_m[10]["loss"] == pytest.approx(10, rel=0.25)
    assert by_m[1]["loss"] == pytest.approx(e["ln_c"], abs=0.05)  # PyTorch's default head


def test_pooled_prediction_and_the_spread_of_logits(res):
    r = res["initial"]
    # characters: the spread of the logits is similar for every context; the pooled std is enough
    for p in r["text"]["sweep"]:
        assert p["loss"] == pytest.approx(p["predicted"], rel=0.05)
    assert r["text"]["pooled_max_rel_error"] < 0.05
    assert r["digits"]["pooled_max_rel_error"] > 0.1
    # digits: the spread varies a lot from image to image; the pooled std overestimates the loss
    assert r["digits"]["spread_cv"] > 2 * r["text"]["spread_cv"]
    assert r["digits"]["spread_cv_range"][0] > r["text"]["spread_cv_range"][1]  # in every network
    for t in ("digits", "text"):
        lo, hi = r[t]["spread_cv_range"]
        assert lo <= r[t]["spread_cv"] <= hi
    for p in r["digits"]["sweep"]:
        if p["m"] >= 10:
            assert p["predicted"] > 1.1 * p["loss"]


# --- training with a too-large head --------------------------------------------------------------


def test_training_settings(res):
    o = res["output"]
    assert o["multipliers"] == [0.01, 1, 30]
    assert o["steps"] == 200 and o["batch"] == 64
    assert len(o["seeds"]) >= 5 and o["tune_seeds"] == 2
    assert o["lrs"] == [0.001, 0.003, 0.01, 0.03]
    assert o["digits_sizes"] == [1347, 450] and o["digits_eval"] == 225
    assert o["text_sizes"][0] > 300_000
    for task in ("digits", "text"):
        t = o[task]
        assert t["steps"][0] == 0 and t["steps"][-1] == o["steps"]
        for mult in o["multipliers"]:
            a = t["summary"][f"{mult:g}"]
            # each head's rate is the best of the sweep for that head
            tried = {lr: t["sweep"][f"{mult:g}, {lr:g}"] for lr in o["lrs"]}
            assert a["lr"] == min(tried, key=tried.get)
            assert a["lr"] < o["lrs"][-1]  # the largest rate is never best: the sweep brackets it
            assert a["tuning_loss_own_lr"] == tried[a["lr"]]
            for key in ("test_loss", "accuracy", "steps_to_ln_c", "default_equivalent_step"):
                assert a[key]["min"] <= a[key]["median"] <= a[key]["max"]
            c = a["curve"]
            assert len(c["median"]) == len(t["steps"])
            assert all(lo <= md <= hi for lo, md, hi in zip(c["min"], c["median"], c["max"]))


@pytest.mark.parametrize("task", ["digits", "text"])
def test_batched_training_is_plain_adam(task):
    """train() runs K networks side by side with Adam written out; for one network it must match
    nn.Sequential + torch.optim.Adam on the same minibatches."""
    import torch
    import torch.nn.functional as F

    steps, lr, batch = 10, 0.01, m._defaults(m.train)["batch"]
    got = m.train(task, ((1, lr, 0),), steps=steps)
    X_tr, y_tr, X_ho, y_ho = m.digits_data() if task == "digits" else m.text_data()
    n = min(m._defaults(m.train)["n_eval"], len(y_ho) // 2)
    torch.manual_seed(0)
    net = m.make_net(task)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    g = torch.Generator().manual_seed(0)
    want = []
    for step in range(steps + 1):
        if step in got["steps"]:
            with torch.no_grad():
                want.append(F.cross_entropy(net(X_ho[:n]), y_ho[:n]).item())
        if step == steps:
            break
        idx = torch.randint(0, len(y_tr), (batch,), generator=g)
        loss = F.cross_entropy(net(X_tr[idx]), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert len(want) == len(got["steps"]) >= 5
    assert got["runs"][0]["loss"] == pytest.approx(want, rel=1e-4)


def test_hockey_stick_costs_steps_on_characters(res):
    t = res["output"]["text"]
    s = t["summary"]
    steps = res["output"]["steps"]
    ln_c = t["ln_c"]
    # a small head starts at ln 27; a large one far above it and needs steps to come back
    assert s["0.01"]["loss_0"]["max"] == pytest.approx(ln_c, abs=0.01)
    assert s["30"]["loss_0"]["min"] > 3 * ln_c
    assert s["30"]["steps_to_ln_c"]["min"] >= 10 > s["1"]["steps_to_ln_c"]["max"]
    # the first steps squash the logits: the large head's logit std falls, the default's rises,
    # and both end near the same scale (the one the task wants)
    assert s["30"]["logit_std_0"]["median"] > 2 * s["30"]["logit_std_end"]["median"]
    assert s["1"]["logit_std_end"]["median"] > 5 * s["1"]["logit_std_0"]["median"]
    assert s["30"]["logit_std_end"]["median"] == pytest.approx(
        s["1"]["logit_std_end"]["median"], rel=0.2)
    # the cost outlasts the blade, at each head's own rate: worse than the default in every seed,
    # and where the default was after at most 60% of the steps
    assert s["30"]["test_loss"]["min"] > s["1"]["test_loss"]["max"]
    assert s["30"]["test_loss"]["median"] > s["1"]["test_loss"]["median"] + 0.1
    assert s["30"]["default_equivalent_step"]["max"] <= 0.6 * steps
    # the default against itself: close to the end (the resolution of this measure)
    assert s["1"]["default_equivalent_step"]["min"] >= 0.75 * steps
    # a near-zero head costs nothing and gains nothing measurable: each median inside the other's
    # range over the seeds
    a, b = s["0.01"]["test_loss"], s["1"]["test_loss"]
    assert b["min"] <= a["median"] <= b["max"] and a["min"] <= b["median"] <= a["max"]
    assert a["median"] == pytest.approx(b["median"], abs=0.05)


def test_large_head_on_digits_leaves_overconfidence(res):
    o = res["output"]
    d = o["digits"]
    s = d["summary"]
    steps = o["steps"]
    # the hockey stick is short, much shorter than on the characters
    assert s["30"]["loss_0"]["min"] > 3 * d["ln_c"]
    assert s["1"]["steps_to_ln_c"]["max"] <= 4
    assert s["30"]["steps_to_ln_c"]["median"] > s["1"]["steps_to_ln_c"]["median"]
    text30 = o["text"]["summary"]["30"]["steps_to_ln_c"]["median"]
    assert s["30"]["steps_to_ln_c"]["median"] < 0.5 * text30
    # the task wants large logits: even the default's grow far
    assert s["1"]["logit_std_end"]["median"] > 5
    # the large head's logits end larger, its test loss higher in every seed, at similar accuracy
    assert s["30"]["logit_std_end"]["min"] > s["1"]["logit_std_end"]["max"]
    assert s["30"]["logit_std_end"]["median"] > 1.5 * s["1"]["logit_std_end"]["median"]
    assert s["30"]["test_loss"]["min"] > s["1"]["test_loss"]["max"]
    assert s["30"]["test_loss"]["median"] > 2 * s["1"]["test_loss"]["median"]
    assert abs(s["30"]["accuracy"]["median"] - s["1"]["accuracy"]["median"]) < 0.03
    assert s["1"]["accuracy"]["min"] > 0.9
    # the mistakes are confident ones: a misclassified image costs more with the large head
    assert s["30"]["test_loss_wrong"]["min"] > s["1"]["test_loss_wrong"]["max"]
    assert s["30"]["test_loss_wrong"]["median"] > 1.5 * s["1"]["test_loss_wrong"]["median"]
    # in loss, the large head at the end is where the default was early on
    assert s["30"]["default_equivalent_step"]["median"] <= 0.3 * steps
    # its own rate matters: at the default's rate it does clearly worse
    assert s["30"]["lr"] != s["1"]["lr"]
    assert s["30"]["tuning_loss_default_lr"] > 1.3 * s["30"]["tuning_loss_own_lr"]
    # a near-zero head: no measurable gain or loss
    a, b = s["0.01"]["test_loss"], s["1"]["test_loss"]
    assert b["min"] <= a["median"] <= b["max"] and a["min"] <= b["median"] <= a["max"]


def test_figures(res):
    for lang in ("en", "zh"):
        figs = m.figures(res, lang)
        assert set(figs) == {"stream", "initial_loss", "training"}
    matplotlib.pyplot.close("all")
