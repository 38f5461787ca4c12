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
    # first branch: input mean square 1, the same increment as a Pre-LN branch
    assert s["no_first_ratio"] == pytest.approx(1 + branch_variance(s, q=no[0]) / no[0], rel=0.02)
    # the ratio per branch grows with depth (GELU turns ReLU-like), never shrinks to 1
    ratios = no[1:] / no[:-1]
    assert s["no_last_ratio"] == pytest.approx(ratios[-1])
    assert ratios[-1] > ratios[0] > 1.1
    # for large inputs GELU acts like ReLU, E[GELU(h)^2] -> Var(h) / 2: factor 1 + 2 (d std^2)^2
    assert s["no_last_ratio"] == pytest.approx(1 + 2 * (s["d"] * s["std"] ** 2) ** 2, rel=0.02)
    assert s["no_increment_ratio"] > 100
    # mean-field recurrence q <- q + 4 d std^2 E[GELU(h)^2], Var(h) = std^2 d q
    q = [no[0]]
    for _ in range(len(no) - 1):
        q.append(q[-1] + branch_variance(s, q=q[-1]))
    assert np.allclose(s["no_theory"], q, rtol=1e-3)
    rel = np.abs(no - np.array(q)) / np.array(q)
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


def test_branch_shares(res):
    s = res["stream"]
    un = s["pre_ln"]["unscaled"]
    v = branch_variance(s)
    n = s["n_max"]
    share = s["branch_share"]
    # unscaled: the first branch adds v / (1 + v) of the stream, the last only v / (1 + N v)
    assert share["first_unscaled"] == pytest.approx(v / (s["x0"] + v), rel=0.1)
    assert share["last_unscaled"] == pytest.approx(v / un[-1], rel=0.1)
    assert share["first_unscaled"] > 5 * share["last_unscaled"]
    # scaled: every branch adds about v / N, first and last alike
    assert share["last_scaled"] == pytest.approx(v / n / s["pre_scaled_end"]["48"], rel=0.1)
    assert share["first_scaled"] == pytest.approx(share["last_scaled"], rel=0.25)
    assert s["nanogpt"]["c_proj_std"] == pytest.approx(0.02 / math.sqrt(24))


def test_only_the_variance_of_the_weights_matters(res):
    u = res["stream"]["uniform"]
    for ln in ("pre_ln", "no_ln"):
        for key in ("unscaled", "scaled"):
            assert u[ln][key] == pytest.approx(u[ln][f"{key}_normal"], rel=0.05)
    # ... and both agree with the theory, which uses only the variance
    s = res["stream"]
    assert u["pre_ln"]["unscaled"] == pytest.approx(s["x0"] + u["n"] * s["v_theory"], rel=0.03)
    assert u["no_ln"]["unscaled"] == pytest.approx(s["no_theory"][u["n"]], rel=0.05)


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
    for p in r["digits"]["sweep"]:
        if p["m"] >= 10:
            assert p["predicted"] > 1.1 * p["loss"]


# --- training with a too-large head --------------------------------------------------------------


def test_training_settings(res):
    o = res["output"]
    assert o["multipliers"] == [0.01, 1, 10, 30]
    assert o["steps"] == 200 and o["lr"] == 0.01
    for task in ("digits", "text"):
        for run in o[task]["runs"].values():
            assert run["steps"][0] == 0 and run["steps"][-1] == o["steps"]
    assert o["digits_sizes"] == [1347, 450]
    assert o["text_sizes"][0] > 300_000


def test_hockey_stick_costs_steps_on_characters(res):
    t = res["output"]["text"]
    s = t["summary"]
    steps = res["output"]["steps"]
    ln_c = t["ln_c"]
    # a small head starts at ln 27; a large one far above it and needs steps to come back
    assert s["0.01"]["loss_0"] == pytest.approx(ln_c, abs=0.01)
    assert s["30"]["loss_0"] > 3 * ln_c
    assert s["30"]["steps_to_ln_c"] >= 10 > s["1"]["steps_to_ln_c"]
    # the first steps squash the logits: the large head's logit std falls, the default's rises,
    # and both end near the same scale (the one the task wants)
    assert s["30"]["logit_std_0"] > 2 * s["30"]["logit_std_end"]
    assert s["1"]["logit_std_end"] > 5 * s["1"]["logit_std_0"]
    assert s["30"]["logit_std_end"] == pytest.approx(s["1"]["logit_std_end"], rel=0.15)
    # the cost: after all the steps, x30 is where the default was after at most 60% of them
    assert s["30"]["loss_end"] > s["1"]["loss_end"] + 0.1
    assert s["30"]["default_equivalent_step"] <= 0.6 * steps
    assert s["10"]["default_equivalent_step"] < 0.8 * steps
    assert s["10"]["loss_end"] > s["1"]["loss_end"]
    # a near-zero head costs nothing here
    assert s["0.01"]["loss_end"] == pytest.approx(s["1"]["loss_end"], abs=0.05)


def test_large_head_on_digits_leaves_overconfidence(res):
    d = res["output"]["digits"]
    s = d["summary"]
    # the hockey stick is short: back under ln 10 within two steps
    assert s["30"]["loss_0"] > 3 * d["ln_c"]
    every = res["output"]["eval_every"]
    assert all(s[k]["steps_to_ln_c"] <= every for k in s)
    assert s["30"]["steps_to_ln_c"] == every  # the page: "at the first measurement after the start"
    # but the logits stay much larger and the held-out loss much higher, at similar accuracy
    assert s["30"]["logit_std_end"] > 2 * s["1"]["logit_std_end"]
    assert s["30"]["loss_end"] > 3 * s["1"]["loss_end"]
    assert s["10"]["loss_end"] > 1.3 * s["1"]["loss_end"]
    assert abs(s["30"]["accuracy"] - s["1"]["accuracy"]) < 0.03
    assert abs(s["10"]["accuracy"] - s["1"]["accuracy"]) < 0.03
    assert s["1"]["accuracy"] > 0.9


def test_figures(res):
    for lang in ("en", "zh"):
        figs = m.figures(res, lang)
        assert set(figs) == {"stream", "initial_loss", "training"}
    matplotlib.pyplot.close("all")
