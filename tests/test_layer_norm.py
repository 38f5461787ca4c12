"""Every claim of the *LayerNorm and RMSNorm* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_layer_norm.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest

from conftest import built_results  # noqa: E402

import snippets.layer_norm as m  # noqa: E402


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("layer_norm")


def test_groups_match_the_definitions(res):
    g = res["groups"]
    N, C, H, W = g["shape"]
    G = g["groups"]
    img = g["image"]
    # BatchNorm: one channel over the whole batch and all positions
    assert img["BatchNorm"]["count"] == N * H * W
    assert [row[0] for row in img["BatchNorm"]["grid"]] == [1] * N
    assert sum(map(sum, img["BatchNorm"]["grid"])) == N
    # LayerNorm and RMSNorm over (C, H, W): one sample, everything
    for name in ("LayerNorm", "RMSNorm"):
        assert img[name]["count"] == C * H * W
        assert img[name]["grid"][0] == [1] * C
        assert sum(map(sum, img[name]["grid"])) == C
    # GroupNorm: one sample, C / G channels
    assert img["GroupNorm"]["count"] == (C // G) * H * W
    assert img["GroupNorm"]["grid"][0] == [1] * (C // G) + [0] * (C - C // G)
    assert all(v["full_cells"] for v in img.values())
    B, T, D = g["token_shape"]
    assert g["tokens"] == {"BatchNorm": B * T, "LayerNorm": D, "RMSNorm": D}


def test_scale_invariance_and_eps(res):
    s = res["invariance"]
    eps = s["eps"]
    assert s["ln_scale"] < 1e-5 and s["rms_scale"] < 1e-5
    c = np.array(s["sweep"]["c"])
    theory = c / np.sqrt(c**2 + eps)  # inputs have per-row std (and RMS) 1
    assert np.allclose(s["sweep"]["layernorm"], theory, rtol=1e-3, atol=1e-6)
    assert np.allclose(s["sweep"]["rmsnorm"], theory, rtol=1e-3, atol=1e-6)
    assert s["rms_at_sqrt_eps"] == pytest.approx(1 / math.sqrt(2), rel=1e-3)
    assert s["c_half"] == pytest.approx(math.sqrt(eps / 3), rel=0.05)  # c/sqrt(c^2+eps)=1/2
    assert s["ln_rms_small"] == pytest.approx(c[0] / math.sqrt(eps), rel=1e-3)
    assert s["ln_rms_c1"] > 0.9999


def test_shift(res):
    s = res["invariance"]
    assert s["ln_shift"] < 1e-5
    assert s["rms_shift"] > 0.1
    assert s["ln_out_mean"] < 1e-5 and s["ln_out_mean_shifted"] < 1e-5
    assert s["rms_out_mean"] > 0.3  # pixels are non-negative: RMSNorm keeps a positive mean
    assert s["rms_out_mean_shifted"] > s["rms_out_mean"]


def test_shape_untouched(res):
    s = res["invariance"]
    assert s["skew_out"] == pytest.approx(s["skew_in"], abs=1e-5)
    assert abs(s["skew_in"]) > 0.1  # not normal-shaped, and it stays so
    assert s["distinct_out"] == s["distinct_in"]


def test_batch_dependence(res):
    b = res["batch"]
    assert b["ln_other_samples"] == 0.0 and b["ln_train_vs_eval"] == 0.0
    assert b["padding"]["ln"] == 0.0
    assert b["bn_other_samples"] > 0.1 and b["bn_train_vs_eval"] > 0.1
    assert b["padding"]["bn"] > 0.1
    assert b["one_bn_error"] is True
    assert b["one_ln_rms"] == pytest.approx(1.0, abs=1e-4)


def test_pre_post_ln(res):
    p = res["pre_post"]
    assert len(p["post"]["grads"]) == p["n_layers"]
    # Pre-LN: later blocks get smaller gradients (the residual stream grows)
    assert p["pre"]["first_over_last"] > 1.5
    assert all(a > b for a, b in zip(p["pre"]["last_by_depth"], p["pre"]["last_by_depth"][1:]))
    # Post-LN in this FFN-only stack: flat across blocks (within 30%)
    assert p["post"]["max_over_min"] < 1.3


def test_figures(res):
    figs = m.figures(res, "en")
    assert set(figs) == {"groups", "eps_scale", "grad_norms"}
    matplotlib.pyplot.close("all")
