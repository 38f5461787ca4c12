"""Every claim of the *Unit scale and number formats* page, checked against theory or a stated
tolerance.

Run from the repository root: python -m pytest tests/test_number_formats.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest
import torch
from scipy import stats

from conftest import built_results  # noqa: E402

import snippets.number_formats as m  # noqa: E402

# (exponent bits, mantissa bits) of each format, from IEEE 754 (binary32, binary16), bfloat16's
# definition and the OCP 8-bit floating-point specification.
LAYOUT = {"fp32": (8, 23), "bf16": (8, 7), "fp16": (5, 10), "e4m3": (4, 3), "e5m2": (5, 2)}
FLOATS = list(LAYOUT)


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("number_formats")


def spec(exponent_bits: int, mantissa_bits: int, e4m3: bool = False) -> dict:
    """Largest, smallest normal and smallest subnormal number from the bit layout alone."""
    bias = 2 ** (exponent_bits - 1) - 1
    if e4m3:  # no infinities: the top exponent holds numbers, only S.1111.111 is NaN
        largest = (2 - 2 * 2.0**-mantissa_bits) * 2.0 ** (2**exponent_bits - 1 - bias)
    else:  # the top exponent is reserved for inf and NaN
        largest = (2 - 2.0**-mantissa_bits) * 2.0 ** (2**exponent_bits - 2 - bias)
    smallest_normal = 2.0 ** (1 - bias)
    return {"max": largest, "smallest_normal": smallest_normal,
            "smallest_subnormal": smallest_normal * 2.0**-mantissa_bits, "eps": 2.0**-mantissa_bits}


def test_the_table_is_each_formats_specification(res):
    for name, (e, mb) in LAYOUT.items():
        row = res["formats"][name]
        assert (row["exponent_bits"], row["mantissa_bits"]) == (e, mb), name
        for key, value in spec(e, mb, e4m3=name == "e4m3").items():
            assert row[key] == pytest.approx(value, rel=1e-12), (name, key)
    assert res["formats"]["e4m3"]["max"] == 448 and res["formats"]["e5m2"]["max"] == 57344
    assert res["bf16_over_fp16_eps"] == 2 ** (10 - 7)


def plateau_theory(eps: float, smallest_normal: float, sigma: float = 1.0) -> float:
    """Relative RMS error of rounding N(0, sigma^2) to nearest, if the error within each binade
    [2^e, 2^(e+1)) is uniform over one spacing 2^e * eps: sqrt(sum P(binade) (2^e eps)^2 / 12) / sigma."""
    lo = math.floor(math.log2(smallest_normal))
    mse = 0.0
    for e in range(lo, 12):
        p = 2 * (stats.norm.cdf(2.0 ** (e + 1) / sigma) - stats.norm.cdf(2.0**e / sigma))
        mse += p * (2.0**e * eps) ** 2 / 12
    return math.sqrt(mse) / sigma


@pytest.mark.parametrize("name", FLOATS)
def test_the_error_at_unit_scale_is_the_rounding_theory(res, name):
    f = res["formats"][name]
    theory = plateau_theory(f["eps"], f["smallest_normal"])
    # sampling: 10^5 draws give the mean square error to about 1 %
    assert res["cast"]["at_one"][name]["error"] == pytest.approx(theory, rel=0.03), name
    if name == "fp16":
        assert res["cast"]["plateau_factor"] == pytest.approx(theory / (f["eps"] / math.sqrt(12)), rel=0.03)
        assert 0.6 < res["cast"]["plateau_factor"] < 0.8


def test_the_error_is_flat_inside_the_band_and_not_beyond(res):
    c = res["cast"]
    sig = np.array(c["sigmas"])
    for name in ("fp16", "e4m3", "e5m2"):
        band, err = c["bands"][name], np.array(c["curves"][name]["error"])
        base = c["at_one"][name]["error"]
        inside = (sig >= band["low"]) & (sig <= band["high"])
        assert np.all(err[inside] <= c["tolerance"] * base), name
        # one sweep step beyond either edge the error has grown past the tolerance
        below, above = sig < band["low"], sig > band["high"]
        assert err[below][-1] > c["tolerance"] * base and err[above][0] > c["tolerance"] * base, name
        # the band lies within the normal numbers, shrunk by the Gaussian's own spread
        f = res["formats"][name]
        assert band["low"] > f["smallest_normal"] and band["high"] < f["max"], name
        assert band["decades"] < f["normal_decades"], name
        assert band["middle"] == pytest.approx(math.sqrt(band["low"] * band["high"]))
    # E4M3's band is the narrowest
    assert c["bands"]["e4m3"]["decades"] < 5 < min(c["bands"]["fp16"]["decades"], c["bands"]["e5m2"]["decades"])
    # the RMS error notices the bottom late: at the lower edge many values are already subnormal
    for name in ("fp16", "e4m3", "e5m2"):
        band, curve = c["bands"][name], c["curves"][name]
        i = c["sigmas"].index(band["low"])
        assert band["subnormal_at_low"] == curve["subnormal"][i] and band["zero_at_low"] == curve["zero"][i]
        assert band["subnormal_at_low"] > 0.2, name
    # unit scale lies well inside every band (at least a decade from each edge)
    for name in ("fp16", "e4m3", "e5m2"):
        assert c["bands"][name]["low"] <= 0.1 and c["bands"][name]["high"] >= 10, name
    # fp32 and bf16: flat over the whole sweep
    for name in ("fp32", "bf16"):
        assert c["bands"][name]["at_low_edge"] and c["bands"][name]["at_high_edge"], name


def test_overflow_and_zero_shares_follow_the_normal_distribution(res):
    c = res["cast"]
    n = c["n"]
    for name in ("fp16", "e4m3", "e5m2"):
        f = res["formats"][name]
        for sigma, curve_over, curve_zero in zip(c["sigmas"], c["curves"][name]["overflow"], c["curves"][name]["zero"]):
            p_over = 2 * stats.norm.sf(f["max"] / sigma)
            # values below half the smallest subnormal round to 0
            p_zero = 2 * stats.norm.cdf(f["smallest_subnormal"] / 2 / sigma) - 1
            for measured, p in ((curve_over, p_over), (curve_zero, p_zero)):
                spread = 5 * math.sqrt(p * (1 - p) / n) + 2 / n
                assert abs(measured - p) <= spread + 0.02 * p, (name, sigma, measured, p)


def test_int8_has_a_fixed_step_and_no_band(res):
    c = res["cast"]
    step = 4.0 / 127
    # at sigma = 1: rounding error (step^2 / 12) plus the clipped tail beyond 4
    tail = 2 * stats.norm.expect(lambda x: (x - 4) ** 2, lb=4)
    theory = math.sqrt(step**2 / 12 * (1 - 2 * stats.norm.sf(4)) + tail)
    assert c["at_one"]["int8"]["error"] == pytest.approx(theory, rel=0.05)
    assert c["at_one"]["int8"]["error"] < c["at_one"]["e4m3"]["error"] / 2  # better than E4M3 there
    # a fixed absolute step: ten times smaller values, about ten times the relative error
    assert c["at_tenth"]["int8"]["error"] == pytest.approx(10 * c["at_one"]["int8"]["error"], rel=0.1)
    assert c["at_ten"]["int8"]["error"] > 0.5  # mostly clipped
    assert c["at_ten"]["int8"]["overflow"] == pytest.approx(2 * stats.norm.sf(0.4), abs=0.01)
    # by the floats' rule its flat range is a fraction of a decade around 1 (edges by bisection)
    band = c["int8_band"]
    assert band["low"] < 1 < band["high"] and band["decades"] < 0.5 < 3 < c["bands"]["e4m3"]["decades"]
    z = torch.randn(c["n"], generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def err(sigma):
        x = sigma * z
        return ((m.to_int8(x, clip=4.0) - x).pow(2).mean().sqrt() / x.pow(2).mean().sqrt()).item()

    level = c["at_one"]["int8"]["error"]
    assert err(1.0) == pytest.approx(level, rel=1e-12)
    for edge, outward in ((band["low"], 0.97), (band["high"], 1.03)):
        assert err(edge * (2 - outward)) <= c["tolerance"] * level < err(edge * outward)


def test_the_quoted_tails_of_the_gaussian(res):
    t = res["cast"]["tails"]
    assert 2 * stats.norm.cdf(t["low"]) - 1 == pytest.approx(t["low_share"], rel=1e-6)
    assert 2 * stats.norm.sf(t["high"]) == pytest.approx(t["high_share"], rel=1e-6)


def test_gradients_lie_decades_below_weights_and_activations(res):
    g = res["gradients"]
    med = g["trained"]["median"]
    assert med["activation grads"] < med["weight grads"] < med["weights"] < med["activations"]
    assert g["gap_decades"] > 4
    assert g["batch_decades"] == pytest.approx(math.log10(g["batch"]))
    # training shrinks them by more than the batch mean does, as the fitted examples' p - y -> 0
    assert g["training_decades"] > g["batch_decades"]
    assert g["training_decades"] == pytest.approx(
        math.log10(g["init"]["median"]["activation grads"] / g["trained"]["median"]["activation grads"]))
    assert g["trained"]["loss"] < g["init"]["loss"] / 10
    # the mechanism: each example's p - y shrinks as the network fits it, by about as many decades
    # as the activation gradients fell during training
    fall = math.log10(g["init"]["p_minus_y"] / g["trained"]["p_minus_y"])
    assert fall > 2 and abs(fall - g["training_decades"]) < 1.5


def test_gradients_lost_to_zero_and_loss_scaling_brings_them_back(res):
    g = res["gradients"]
    trained, init = g["trained"]["lost"], g["init"]["lost"]
    assert trained["bf16"]["plain"] == 0 and init["bf16"]["plain"] == 0
    assert trained["fp16"]["plain"] > 0.02  # a visible share vanishes in fp16
    assert trained["e5m2"]["plain"] > 0.3  # and most of them in E5M2
    assert trained["e4m3"]["plain"] > 0.9
    for name in ("fp16", "e5m2", "e4m3"):
        assert trained[name]["plain"] > init[name]["plain"], name  # training makes it worse
        # E4M3 is no gradient format: the weight gradients cap its scale, and a quarter still vanish
        assert trained[name]["scaled"] < trained[name]["plain"] / (2 if name == "e4m3" else 5), name
        scale = trained[name]["scale"]
        assert scale == 2 ** round(math.log2(scale)) and scale > 1, name  # a power of two
    assert trained["fp16"]["scaled"] < 0.001 and trained["e5m2"]["scaled"] < 0.01
    assert g["floor"]["fp16"] == res["formats"]["fp16"]["smallest_subnormal"]


def test_loss_scaling_scale_is_the_largest_power_of_two_that_overflows_no_gradient(res):
    """Rerun the section's training (deterministic) and check the page's scales on every cast
    gradient, weight gradients included."""
    tensors = m.trained_tensors(**{k: res["gradients"][k] for k in ("steps", "batch", "lr")},
                                widths=tuple(res["gradients"]["widths"]))
    both = torch.cat([tensors["activation grads"], tensors["weight grads"]])
    for name, dtype in (("fp16", torch.float16), ("e5m2", torch.float8_e5m2), ("e4m3", torch.float8_e4m3fn)):
        # fp16 casts both kinds of gradient; fp8 matmuls read only the activation gradients
        cast = both if name == "fp16" else tensors["activation grads"]
        largest = cast.abs().max().item()
        scale = res["gradients"]["trained"]["lost"][name]["scale"]
        big = torch.finfo(dtype).max
        assert largest * scale <= big < largest * 2 * scale, name
        assert torch.isfinite((cast.double() * scale).to(dtype).double()).all(), name
    assert m.lost_to_zero(torch.tensor([1e-9, 1.0]), torch.float16) == 0.5


def test_float32_controls_are_the_same_network_at_every_offset(res):
    """s and c are powers of two: in float32 every offset takes bit-identical steps."""
    t = res["training"]
    controls = [arm for panel in ("weights", "loss") for arm in t["fp32"][panel].values()]
    for arm in controls:
        assert arm["median_by_lr"] == controls[0]["median_by_lr"]
    assert t["unit_fp32"]["median"] < 0.05


def test_fp8_trains_inside_its_band_and_not_outside(res):
    t = res["training"]
    chance = math.log(10)
    assert t["chance"] == pytest.approx(chance)
    for panel, exponents in (("weights", t["weight_exponents"]), ("loss", t["loss_exponents"])):
        ok = t[f"{panel}_ok"]
        for i, k in enumerate(exponents):
            arm = t["fp8"][panel][str(k)]
            if ok["low"] < k < ok["high"]:  # the band is one piece, well clear of the threshold
                assert arm["median"] < t["trains_below"] * 0.5, (panel, k)
            elif k in (ok["low"], ok["high"]):
                assert arm["median"] < t["trains_below"], (panel, k)
                assert ok["low_median"] == t["fp8"][panel][str(ok["low"])]["median"]
            elif not (i > 0 and exponents[i - 1] == ok["high"]) and not (
                    i + 1 < len(exponents) and exponents[i + 1] == ok["low"]):
                # beyond the points next to the band (where training degrades gradually, and
                # a CPU's rounding decides which side of the threshold they fall): no learning
                assert arm["median"] > 1.0, (panel, k)  # chance: 2.30
    # the extremes fail for the reasons the page gives
    assert t["fp8"]["weights"][str(t["weight_exponents"][0])]["median"] == pytest.approx(chance, abs=1e-3)  # all zero
    assert t["fp8"]["loss"][str(t["loss_exponents"][0])]["median"] > chance  # never moved from init
    for k, share in t["clipped"].items():  # the clipped share the page quotes: 2 P(z > 448 / 2^k)
        assert share == pytest.approx(2 * stats.norm.sf(448 / 2.0 ** int(k)), rel=1e-9, abs=1e-300)
    top = t["weight_exponents"][-1]
    assert t["clipped"][str(top)] > 0.9 and t["fp8"]["weights"][str(top)]["median"] > 1.0
    assert t["clipped"]["10"] > 0.5 and t["fp8"]["weights"]["10"]["median"] > t["trains_below"]
    # unit scale, the band's middle and Kaiming's scale are inside the weight band
    w = t["weights_ok"]
    assert w["low"] <= math.log2(t["kaiming_std"]) and w["high"] >= 0
    assert abs((w["low"] + w["high"]) / 2) <= 2 and w["high"] - w["low"] >= 14
    # the gradient band: from a few binades below the batch mean to the end of the sweep
    assert -10 <= t["loss_ok"]["low"] <= -8 and t["loss_ok"]["high"] == t["loss_exponents"][-1]
    assert t["loss_ok"]["low_median"] == t["fp8"]["loss"][str(t["loss_ok"]["low"])]["median"]


def test_fp8_at_unit_scale_is_within_float32s_spread(res):
    t = res["training"]
    unit, fp32 = t["unit_fp8"], t["unit_fp32"]
    assert fp32["min"] <= unit["median"] <= fp32["max"]
    # at the steady rate, one step below the best, seed by seed within 10 % of float32
    assert t["steady_lr"] < unit["lr"] and t["steady_lr"] < fp32["lr"]
    paired = [(a - b) / b for a, b in zip(unit["steady_by_seed"], fp32["steady_by_seed"])]
    assert t["steady_paired"] == {"min": min(paired), "max": max(paired)}
    assert max(abs(v) for v in paired) < 0.1
    # the next rate fails in both formats: loss near or above chance (ln 10)
    assert unit["median_by_lr"][-1] > 2.0 and fp32["median_by_lr"][-1] > 2.0
    assert unit["acc_median"] > 0.9 and fp32["acc_median"] > 0.9


def test_the_e5m2_cast_zeroes_many_gradients_and_training_goes_on(res):
    t = res["training"]
    unit = t["unit_fp8"]
    assert unit["zeroed_last"] > 0.3 and unit["zeroed_last"] > 2 * unit["zeroed_first"]
    assert unit["median"] < t["trains_below"] / 5
    # no gradient reaches E5M2's largest number anywhere in the sweep: the top wall is beyond it
    assert all(arm["clipped"] == 0 for arm in t["fp8"]["loss"].values())
    # lower c: more entries vanish
    low = t["fp8"]["loss"][str(t["loss_exponents"][2])]
    assert low["zeroed_last"] > unit["zeroed_last"]


def test_the_no_cost_ranges_at_the_steady_rate(res):
    t = res["training"]
    for panel, exponents in (("weights", t["weight_exponents"]), ("loss", t["loss_exponents"])):
        ratio, no_cost = t[f"{panel}_steady_ratio"], t[f"{panel}_no_cost"]
        for k in exponents:
            r = t["fp8"][panel][str(k)]["median_by_lr"][t["lrs"].index(t["steady_lr"])] / t["unit_fp8_steady"]
            assert ratio[str(k)] == pytest.approx(r)
            if no_cost["low"] <= k <= no_cost["high"]:
                assert r <= 1 + t["no_cost_within"], (panel, k)
        below = [k for k in exponents if k < no_cost["low"]]
        assert ratio[str(max(below))] > 1 + t["no_cost_within"]  # the range ends where the cost starts
        assert no_cost["low"] <= 0 <= no_cost["high"]
    # cost appears several binades below the batch mean, and grows as c falls
    assert -6 <= t["loss_no_cost"]["low"] <= -2
    r = t["loss_steady_ratio"]
    assert r[str(t["loss_exponents"][1])] > r[str(t["loss_exponents"][2])] > 1.2
    # weights: at the low end of the no-cost range nearly all are E4M3 subnormals or 0
    low = t["weights_no_cost"]["low"]
    assert t["subnormal"][str(low)] > 0.99
    assert t["subnormal"][str(low)] == pytest.approx(2 * stats.norm.cdf(2.0**-6 / 2.0**low) - 1)


def test_each_arm_that_trains_has_an_interior_best_learning_rate(res):
    """The grid brackets the optimum: neither the smallest nor the largest rate is the best."""
    t = res["training"]
    for panel in ("weights", "loss"):
        for k, arm in t["fp8"][panel].items():
            if arm["median"] < t["trains_below"]:
                assert 0 < arm["lr_index"] < len(t["lrs"]) - 1, (panel, k, arm["lr"])


def test_cast_helpers_behave_as_documented():
    x = torch.tensor([500.0, -1e6, 1.0], dtype=torch.float64)
    assert m.to_format(x, torch.float8_e4m3fn).tolist() == [448.0, -448.0, 1.0]
    assert m.to_format(x, torch.float16).tolist() == [500.0, -65504.0, 1.0]
    assert m.to_int8(torch.tensor([10.0, 0.01]), clip=4.0).tolist() == pytest.approx([4.0, 0.0])


# ---------------------------------------------------------------------------------------------
# The explorer (where N(0, sigma^2) falls on a format's scale)


@pytest.fixture(scope="module")
def window_explorer():
    from conftest import built_explorer, explorer_states

    spec = built_explorer("number_formats", "window")
    return spec, explorer_states(spec)


_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16,
           "e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2}


def _first_above(ok, lo: float, hi: float) -> float:
    """The smallest x in [lo, hi] with ok(x), for ok monotone (geometric bisection)."""
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def _thresholds(name: str) -> tuple:
    """|x| below which the page's cast gives 0, below which it gives a subnormal, above which it
    clips: found by casting (bisection on the cast itself), not from the snippet's window."""
    if name == "int8":
        cast = lambda x: m.to_int8(torch.tensor([x], dtype=torch.float64), clip=4.0).item()  # noqa: E731
        zero = _first_above(lambda x: cast(x) != 0, 1e-6, 1.0)
        big = _first_above(lambda x: cast(x) < x - 1e-9 and cast(x) == cast(2 * x), 1.0, 100.0)  # clipped
        return zero, None, big
    dtype = _DTYPES[name]
    info = torch.finfo(dtype)
    cast = lambda x: torch.tensor([x], dtype=torch.float64).to(dtype).to(torch.float64).item()  # noqa: E731
    zero = _first_above(lambda x: cast(x) != 0, info.tiny * 1e-12, info.tiny)
    normal = _first_above(lambda x: cast(x) >= info.smallest_normal, zero, 2 * info.smallest_normal)
    return zero, normal, info.max


def _band(lo: float, hi: float, sigma: float, power: int) -> float:
    """P(lo <= |x| < hi) (power 0) or E[x^2; lo <= |x| < hi] / sigma^2 (power 2), x ~ N(0, sigma^2),
    by mpmath at 50 digits: |x| / sigma is chi with one degree of freedom, so both are regularized
    incomplete gamma integrals of order (power + 1) / 2 between lo^2 / 2 sigma^2 and hi^2 / 2 sigma^2
    (mpmath integrates over the interval, so there is no cancellation even for shares of 1e-200)."""
    import mpmath

    mpmath.mp.dps = 50
    a = (mpmath.mpf(lo) / sigma) ** 2 / 2
    b = mpmath.inf if math.isinf(hi) else (mpmath.mpf(hi) / sigma) ** 2 / 2
    return float(mpmath.gammainc(mpmath.mpf(power + 1) / 2, a, b, regularized=True))


def test_explorer_shares_are_the_normal_laws_at_the_formats_thresholds(res, window_explorer):
    """Each share, of the values and of ||x||^2, against 50-digit quadrature at thresholds found by
    casting, at every sigma of the sweep (3 significant digits, down to 1e-300); and the shares of
    the values against those measured on the page's 100,000 draws (four binomial standard errors)."""
    spec, states = window_explorer
    n = res["cast"]["n"]
    sigmas = res["cast"]["sigmas"]
    formats = [o["value"] for o in spec["controls"][0]["options"]]
    assert set(formats) == set(_DTYPES) | {"int8"}
    for name in formats:
        zero, normal, big = _thresholds(name)
        curves = res["cast"]["curves"][name]
        for i, sigma in enumerate(sigmas):
            v = states[f"{name}|{i}"]["values"]
            bands = {"zero": (0.0, zero), "subnormal": None if normal is None else (zero, normal), "overflow": (big, math.inf)}
            for key, band in bands.items():
                if band is None:
                    assert v[key] is None and v["energy_" + key] is None
                    continue
                for prefix, power in [("", 0), ("energy_", 2)]:
                    exact = _band(*band, sigma, power)
                    assert v[prefix + key] == pytest.approx(exact, rel=2e-3, abs=1e-300), (name, sigma, prefix + key)
                p = v[key]
                assert abs(curves[key][i] - p) < 4 * math.sqrt(max(p * (1 - p), 1 / n) / n) + 1 / n, (name, key, sigma)
            assert v["error"] == curves["error"][i]  # the figure's measurement, shown as is


def test_explorer_shows_that_small_values_carry_little_of_the_norm(window_explorer):
    """The lead-in's point: somewhere many values round to 0 while carrying almost none of ||x||^2,
    and at fp16's lower band edge (sigma = 1e-4) most of the norm is still in normal numbers."""
    spec, states = window_explorer
    assert any(v["values"]["zero"] > 0.1 and v["values"]["energy_zero"] < 0.01 for v in states.values())
    edge = states[f"fp16|{24}"]["values"]  # sigma = 10^(-10 + 24/4)
    assert edge["subnormal"] > 0.4 and edge["energy_subnormal"] < 0.1


def test_plain_pytorch_casts_overflow_to_infinity_except_e4m3_which_saturates():
    """The lead-in: the page's cast saturates; a plain cast in the pinned PyTorch does so only for E4M3."""
    for name, dtype in _DTYPES.items():
        beyond = torch.tensor([2 * torch.finfo(dtype).max], dtype=torch.float64).to(dtype).to(torch.float64).item()
        if name == "e4m3":
            assert beyond == torch.finfo(dtype).max
        else:
            assert math.isinf(beyond), name


def test_explorer_draws_the_density_of_log_abs_x_and_the_thresholds(window_explorer):
    """The density of log10 |x| integrates to 1 and peaks at |x| = sigma; the area the chart draws
    left of the zero line is the readout's share rounded to 0 (the chart and the numbers agree);
    each line sits at the threshold found by casting."""
    spec, states = window_explorer
    sigma_control = spec["controls"][1]
    for key, state in states.items():
        name, i = key.split("|")
        sigma = 10 ** (-10 + int(i) / 4)  # the page's sweep: four points a decade from 10^-10
        y = np.array(state["series"]["density"])
        assert np.trapezoid(y[:, 1], y[:, 0]) == pytest.approx(1, abs=1e-4), key
        assert y[np.argmax(y[:, 1]), 0] == pytest.approx(math.log10(sigma), abs=0.06), key
        zero, normal, big = _thresholds(name)
        line = state["series"]["zero_line"][0][0]
        if y[2, 0] < line < y[-3, 0]:  # the line falls inside the drawn curve: compare the areas
            left = np.vstack([y[y[:, 0] <= line], [line, np.interp(line, y[:, 0], y[:, 1])]])
            area = np.trapezoid(left[:, 1], left[:, 0])  # 121 points over 6 decades: to about 0.01
            assert area == pytest.approx(state["values"]["zero"], abs=0.01), key
        # PyTorch casts float64 to bf16 through float32, whose own rounding near 1e-40 moves the
        # thresholds found by casting by up to 3e-5 (relative) from the ideal half-step: 1e-4 in log10
        assert line == pytest.approx(math.log10(zero), abs=1e-4)
        assert state["series"]["max_line"][0][0] == pytest.approx(math.log10(big), abs=1e-4)
        assert (state["series"]["normal_line"] == []) == (normal is None)
        if normal is not None:
            assert state["series"]["normal_line"][0][0] == pytest.approx(math.log10(normal), abs=1e-4)
        assert state["series"]["here"][0][0] == pytest.approx(sigma, rel=1e-9)
    texts = [o["text"] for o in sigma_control["options"]]
    assert texts[0] == "10⁻¹⁰" and texts[texts.index("1")] == "1" and texts[-1] == "10⁶"
    assert sigma_control["marks"][0]["value"] == str(texts.index("1"))
