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


def test_rmsnorm_default_eps_is_machine_epsilon(res):
    """nn.RMSNorm(eps=None) uses torch.finfo(float32).eps, not LayerNorm's 1e-5."""
    s = res["invariance"]
    eps_d = float(np.finfo(np.float32).eps)
    assert s["rmsd_eps"] == eps_d
    c = np.array(s["sweep"]["c"])
    theory = c / np.sqrt(c**2 + eps_d)
    assert np.allclose(s["sweep"]["rmsnorm_default"], theory, rtol=1e-3, atol=1e-6)
    assert s["rmsd_c_half"] == pytest.approx(math.sqrt(eps_d / 3), rel=0.05)
    assert s["rmsd_at_sqrt_eps"] == pytest.approx(1 / math.sqrt(2), rel=1e-3)
    # where default RMSNorm is at 1/sqrt(2), LayerNorm (eps 1e-5) is far below it
    c0 = math.sqrt(eps_d)
    assert s["ln_at_rmsd_sqrt_eps"] == pytest.approx(c0 / math.sqrt(c0**2 + s["eps"]), rel=1e-3)
    assert s["ln_at_rmsd_sqrt_eps"] < 0.2


def _digits64():
    from sklearn.datasets import load_digits

    return load_digits().data[:200].astype(np.float64)


def test_rescaling_change_is_epsilon_not_rounding(res):
    """In float64 the change under x -> 10 x is what eps predicts; with eps = 0 it vanishes."""
    s = res["invariance"]
    x, k, eps = _digits64(), s["scale"], s["eps"]
    var = x.var(axis=1, keepdims=True)
    ms = (x**2).mean(axis=1, keepdims=True)
    xc = x - x.mean(axis=1, keepdims=True)
    ln_theory = np.abs(xc * (k / np.sqrt(k**2 * var + eps) - 1 / np.sqrt(var + eps))).max()
    rms_theory = np.abs(x * (k / np.sqrt(k**2 * ms + eps) - 1 / np.sqrt(ms + eps))).max()
    assert s["ln_scale_f64"] == pytest.approx(ln_theory, rel=1e-6)
    assert s["rms_scale_f64"] == pytest.approx(rms_theory, rel=1e-6)
    assert s["ln_scale_f64_eps0"] < 1e-12 and s["rms_scale_f64_eps0"] < 1e-12
    # the float32 change is the eps effect plus rounding of the same order
    f32 = float(np.finfo(np.float32).eps)
    for key in ("ln", "rms"):
        assert s[f"{key}_scale"] >= 0.5 * s[f"{key}_scale_f64"]
        assert s[f"{key}_scale"] < s[f"{key}_scale_f64"] + 64 * f32


def test_shift(res):
    s = res["invariance"]
    assert s["ln_shift"] < 1e-5
    assert s["rms_shift"] > 0.1
    assert s["ln_out_mean"] < 1e-5 and s["ln_out_mean_shifted"] < 1e-5
    # "of order 1e-7": a few float32 roundings of values of size ~1-3
    f32 = float(np.finfo(np.float32).eps)
    assert s["ln_out_mean_shifted"] < 16 * f32
    assert s["rms_out_mean"] > 0.3  # pixels are non-negative: RMSNorm keeps a positive mean
    assert s["rms_out_mean_shifted"] > s["rms_out_mean"]


def test_shape_untouched_within_a_row(res):
    s = res["invariance"]
    assert s["skew_out"] == pytest.approx(s["skew_in"], abs=1e-5)
    assert abs(s["skew_in"]) > 0.1  # not normal-shaped, and it stays so
    assert s["distinct_out"] == s["distinct_in"]


def test_shape_changes_across_rows(res):
    """x = s z with a log-normal scale per row: heavy-tailed features; LayerNorm removes s.

    Excess kurtosis of s z with log s ~ N(0, v^2): 3 E[s^4] / E[s^2]^2 - 3 = 3 exp(4 v^2) - 3.
    After LayerNorm a row lies on a sphere of radius sqrt(d) in the (d-1)-dim. zero-mean
    subspace: one coordinate has excess kurtosis -6 / (d + 1)."""
    s = res["invariance"]
    v, d = s["log_sd"], s["features"]
    kurt_in = 3 * math.exp(4 * v**2) - 3
    assert s["kurt_in_theory"] == pytest.approx(kurt_in)
    assert s["kurt_out_theory"] == pytest.approx(-6 / (d + 1))
    # the sample kurtosis of a heavy-tailed variable is biased low: 30 % margin
    assert 0.7 * kurt_in < s["kurt_in"] < 1.1 * kurt_in
    assert s["kurt_out"] == pytest.approx(-6 / (d + 1), abs=0.1)


def test_batch_dependence(res):
    b = res["batch"]
    for key in ("other_samples", "train_vs_eval"):
        assert b[f"ln_{key}"] == 0.0 and b[f"ln_{key}_median"] == 0.0
        # BatchNorm: sample 0 changes; the max over its 64 features exceeds the median
        assert b[f"bn_{key}"] > 0.1
        assert 0.01 < b[f"bn_{key}_median"] < b[f"bn_{key}"]
    assert b["padding"]["ln"] == 0.0 and b["padding"]["ln_median"] == 0.0
    assert b["padding"]["bn"] > 0.1
    assert 0.01 < b["padding"]["bn_median"] <= b["padding"]["bn"]
    assert b["one_bn_error"] is True
    assert b["one_ln_rms"] == pytest.approx(1.0, abs=1e-4)


def test_batchnorm_eval_uses_exact_statistics():
    """momentum=None, reset, one pass over all rows: running stats = mean and unbiased variance."""
    import torch

    x = torch.tensor(_digits64(), dtype=torch.float32)
    bn = torch.nn.BatchNorm1d(64, momentum=None)
    bn(x[:16])
    bn.reset_running_stats()
    bn(x)
    assert torch.allclose(bn.running_mean, x.mean(0), atol=1e-4)
    assert torch.allclose(bn.running_var, x.var(0, unbiased=True), rtol=1e-4, atol=1e-4)


def test_pre_post_theorem1_depth(res):
    """Xiong et al. Theorem 1: the last layer's gradient bound is independent of L for Post-LN
    and shrinks like 1/sqrt(L) for Pre-LN, because the final LayerNorm divides by the stream."""
    p = res["pre_post"]
    assert p["n_seeds"] >= 5
    post, pre = p["post"], p["pre"]
    # Post-LN: no trend with depth (median over seeds within 25 %)
    assert 0.8 < post["last_ratio_deep_shallow"] < 1.25
    # Pre-LN: falls with depth, monotonically in the medians, clearly (4x depth: 1/sqrt(4) = 0.5)
    med = pre["last_by_depth_median"]
    assert all(a > b for a, b in zip(med, med[1:]))
    assert pre["last_ratio_deep_shallow"] < 0.75
    assert p["sqrt_depth_ratio"] == pytest.approx(0.5)
    # ... and gradient x RMS of the stream is flat in depth (within 20 % of its mean)
    prod = np.array(pre["last_times_rms_by_depth_median"])
    assert np.all(np.abs(prod / prod.mean() - 1) < 0.2)
    stream = pre["stream_end_by_depth_median"]
    assert all(a < b for a, b in zip(stream, stream[1:]))  # the stream grows with depth


def test_pre_ln_fall_within_a_stack_is_the_stream(res):
    p = res["pre_post"]
    pre = p["pre"]
    assert len(pre["grads_median"]) == p["n_layers"]
    # every seed: block 1 gets clearly more gradient than block L
    assert pre["first_over_last"]["min"] > 1.5
    # the stream grows over the stack, and gradient x stream RMS is nearly flat
    assert pre["stream_growth"]["min"] > 1.5
    assert 0.7 < pre["times_rms_first_over_last"]["median"] < 1.4
    assert pre["times_rms_first_over_last"]["median"] < 0.6 * pre["first_over_last"]["median"]
    # control: a stream that starts large (embedding x 16) removes the fall, on every seed
    big = p["pre_big_embed"]
    assert p["embed_gain_control"] >= 8
    assert 0.75 < big["first_over_last"]["min"] and big["first_over_last"]["max"] < 1.3


def test_post_ln_flat_profile(res):
    """This FFN-only stack does not show Post-LN's growth towards the output, at either init."""
    p = res["pre_post"]
    post = p["post"]
    assert post["max_over_min"]["median"] < 1.5
    assert post["last_over_first"]["max"] < 1.0  # on no seed does the last block get more
    # default init: each branch is small next to the normalized stream (RMS 1)
    assert post["branch_rms"]["median"] < 0.4
    assert all(abs(v - 1) < 1e-3 for v in post["stream_rms_median"][1:])
    xav = p["post_xavier"]
    assert xav["branch_rms"]["median"] > 1.5 * post["branch_rms"]["median"]
    # no consistent growth towards the output: median below 1.1, and some seed below 1
    assert xav["last_over_first"]["median"] < 1.1 and xav["last_over_first"]["min"] < 1.0


def test_figures(res):
    figs = m.figures(res, "en")
    assert set(figs) == {"groups", "eps_scale", "grad_norms"}
    matplotlib.pyplot.close("all")
