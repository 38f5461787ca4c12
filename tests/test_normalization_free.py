"""Every claim of the *Deep networks without normalization* page, checked against theory or a
stated tolerance.

Run from the repository root: python -m pytest tests/test_normalization_free.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest
import torch
from scipy import integrate, stats

from conftest import built_results  # noqa: E402

import snippets.normalization_free as m  # noqa: E402


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("normalization_free")


def relu_second_moment() -> float:
    """E[relu(z)^2], z ~ N(0, 1): 1/2."""
    return integrate.quad(lambda z: z * z * stats.norm.pdf(z), 0, 40)[0]


def relu_variance() -> float:
    mean = integrate.quad(lambda z: z * stats.norm.pdf(z), 0, 40)[0]
    return relu_second_moment() - mean**2


# --- the stream at initialization ---------------------------------------------------------------


def test_the_stream_starts_near_unit_scale(res):
    s = res["stream"]
    for arm in m.ARMS:
        assert s["median"][arm][0] == pytest.approx(s["q0"])  # the same input layer in every arm
    assert 0.7 < s["q0"] < 1.1


def test_he_branches_triple_the_stream_every_block(res):
    s = res["stream"]
    # theory: a branch returns c * relu-share * c * q with c = 2 (He), relu-share = E relu(z)^2 = 1/2
    factor = 1 + 2 * relu_second_moment() * 2
    assert factor == pytest.approx(3.0)
    assert s["theory"]["he"][-1] == pytest.approx(s["q0"] * factor**m.BLOCKS, rel=1e-9)
    # the median draw grows a little slower than the mean (a product of random factors is skewed)
    assert 0.93 * factor < s["he_rate"] < factor
    assert s["median"]["he"][-1] > 1e12


def test_pytorch_default_branches_add_one_eighteenth(res):
    s = res["stream"]
    factor = 1 + (1 / 3) * relu_second_moment() * (1 / 3)
    assert factor == pytest.approx(19 / 18)
    assert s["theory"]["default"][-1] == pytest.approx(s["q0"] * factor**m.BLOCKS, rel=1e-9)
    assert s["median"]["default"][-1] == pytest.approx(s["theory"]["default"][-1], rel=0.15)


def test_batchnorm_stream_grows_linearly_not_held_at_one(res):
    s = res["stream"]
    ms = np.array(s["median"]["batchnorm"])
    # each branch adds He's 2 * E relu(z)^2 * 2 * E relu(z)^2 ... = 1 on a BN-normalized input
    # one draw per seed, five seeds: the median wanders around the line by a few percent
    assert np.allclose(ms, s["q0"] + np.arange(len(ms)), rtol=0.15)
    slope = np.polyfit(np.arange(len(ms)), ms, 1)[0]
    assert slope == pytest.approx(1.0, rel=0.05)
    assert ms[-1] > 25  # far from unit variance


def test_zero_branches_are_the_identity(res):
    s = res["stream"]
    for arm in ["skipinit", "fixup"]:
        for key in ["min", "median", "max"]:
            assert np.allclose(s[key][arm], s[key][arm][0], rtol=1e-6), (arm, key)


def test_nf_stream_follows_alpha_squared_per_block(res):
    s = res["stream"]
    assert m.RELU_GAIN**2 * relu_variance() == pytest.approx(1.0)  # the gain gives relu unit variance
    q, expected = s["q0"], 1.0
    for l, measured in enumerate(s["median"]["nf"][1:], start=1):
        q, expected = q + m.NF_ALPHA**2 * q / expected, expected + m.NF_ALPHA**2
        assert measured == pytest.approx(q, rel=0.1), l
    assert s["theory"]["nf"][-1] == pytest.approx(q)


def test_scaled_weight_standardization_gives_each_unit_mean_0_and_norm_1():
    w = torch.randn(3, 4, 16, 16) * 5 + 2
    ws = m.standardized(w, torch.ones(3, 4, 16, 1))
    assert torch.allclose(ws.mean(-1), torch.zeros(3, 4, 16), atol=1e-6)
    assert torch.allclose(ws.norm(dim=-1), torch.ones(3, 4, 16), atol=1e-4)


def test_adaptive_clipping_caps_each_units_gradient_at_lambda_times_its_norm():
    p = m.init("nf", [0])
    for v in p.values():
        v.grad = torch.randn_like(v) * 10
    p["w1"].grad[..., 0, :] = 0  # a unit whose gradient is already small stays unchanged
    m.clip_gradients(p, clip=0.01)
    ratio = p["w1"].grad.norm(dim=-1) / p["w1"].norm(dim=-1)
    assert (ratio <= 0.01 + 1e-6).all()
    assert (p["w1"].grad[..., 0, :] == 0).all()


# --- training -----------------------------------------------------------------------------------


def test_each_version_gets_its_own_rate_over_five_seeds(res):
    t = res["training"]
    assert len(t["seeds"]) >= 5
    for arm, a in t["arms"].items():
        if a["trains"]:
            assert a["best_median"] == min(a["median"])
            # the best rate is inside the grid, or at its top with every rate stable (nothing above
            # it was tried because the curve has already turned up or flattened)
            assert 0 < a["best"] < len(t["lrs"]) - 1, arm


def test_he_without_normalization_trains_at_no_rate(res):
    a = res["training"]["arms"]["he"]
    assert not a["trains"] and a["stable_lrs"] == 0
    assert not any(math.isfinite(v) for v in a["max"])


def test_every_bounded_version_trains_and_none_is_ranked(res):
    t = res["training"]
    for arm in [*m.UNNORMALIZED, "batchnorm", "nf_noclip"]:
        assert t["arms"][arm]["trains"], arm
        assert t["arms"][arm]["best_median"] < 0.1 * t["chance"], arm  # far below chance, ln 10
    # at each one's best rate, the seed ranges of most pairs overlap; the page names the others
    arms = t["arms"]
    for a, b in t["disjoint"]:
        assert max(arms[a]["best_losses"]) < min(arms[b]["best_losses"]) or \
            max(arms[b]["best_losses"]) < min(arms[a]["best_losses"])
    assert t["overlapping_pairs"] >= t["pairs"] - 3
    lo, hi = t["trained_range"]
    assert hi / lo < 2


def test_batchnorm_tolerates_the_largest_rates(res):
    arms = res["training"]["arms"]
    bn = arms["batchnorm"]
    assert bn["stable_lrs"] == len(res["training"]["lrs"])
    assert all(bn["best"] >= arms[a]["best"] for a in m.UNNORMALIZED)
    assert all(bn["best"] > arms[a]["best"] for a in ["default", "skipinit"])


def test_adaptive_clipping_clips_most_units_and_widens_the_stable_rates(res):
    t = res["training"]
    with_agc, without = t["arms"]["nf"], t["arms"]["nf_noclip"]
    assert with_agc["stable_lrs"] == len(t["lrs"]) > without["stable_lrs"]
    assert with_agc["best"] > without["best"]  # clipping moves the best rate up
    assert with_agc["clipped_share"][with_agc["best"]] > 0.5  # lambda = 0.01 at batch 32
    assert all(v == 0 for v in without["clipped_share"])
    # no better optimum: the best loss without clipping is at least as low (within 20 %)
    assert without["best_median"] <= 1.2 * with_agc["best_median"]
