"""Every claim of the *Attention scaling* page, checked against theory or a stated tolerance.

Run from the repository root: python -m pytest tests/test_attention_scaling.py -q
"""

import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest

from conftest import built_results  # noqa: E402
from sklearn.datasets import load_wine  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import snippets.attention_scaling as mod  # noqa: E402


@pytest.fixture(scope="module")
def res() -> dict:
    return built_results("attention_scaling")


def softmax_reference(sigma: float, n_keys: int, n: int = 20_000, seed: int = 123) -> dict:
    """Independent Monte Carlo: softmax of n_keys i.i.d. N(0, sigma^2) logits (the large-d_k limit)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, n_keys)) * sigma
    z -= z.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    ent = -(p * np.log(np.clip(p, 1e-300, None))).sum(1)
    return {"max_prob": p.max(1).mean(), "entropy": ent.mean()}


def test_deterministic(res):
    again = mod.dot_product_variance()
    assert again["var_raw"] == res["dot"]["var_raw"]
    assert mod.compare_sdpa() | mod._defaults(mod.compare_sdpa) == res["sdpa"]


# 1. Var(q.k) = d_k, and 1 after scaling
def test_dot_product_variance_equals_d_k(res):
    d = res["dot"]
    assert len(d["d_k"]) >= 4 and min(d["d_k"]) <= 4 and max(d["d_k"]) >= 1024
    n = d["n_pairs"]
    for dk, raw, scaled in zip(d["d_k"], d["var_raw"], d["var_scaled"]):
        # Var(q.k) = d_k; kurtosis of q.k is 3 + 6/d_k, so the sample variance has relative
        # sd sqrt((2 + 6/d_k) / n): allow 4 sd
        tol = 4 * math.sqrt((2 + 6 / dk) / n)
        assert abs(raw / dk - 1) < tol, (dk, raw)
        assert abs(scaled - 1) < tol, (dk, scaled)
        assert math.isclose(scaled, raw / dk, rel_tol=1e-4)


# 2. Softmax saturation
def test_logit_std(res):
    s = res["saturation"]
    for dk, u, sc in zip(s["d_k"], s["unscaled"]["logit_std"], s["scaled"]["logit_std"]):
        assert abs(u / math.sqrt(dk) - 1) < 0.1
        assert abs(sc - 1) < 0.1


def test_unscaled_saturates(res):
    s = res["saturation"]
    n_keys = s["n_keys"]
    assert n_keys == 64 and math.isclose(s["ln_n_keys"], math.log(64))
    u = s["unscaled"]
    # monotone towards one-hot as d_k grows
    assert all(a < b for a, b in zip(u["max_prob"], u["max_prob"][1:]))
    assert all(a > b for a, b in zip(u["entropy"], u["entropy"][1:]))
    assert u["max_prob"][-1] > 0.9 and u["entropy"][-1] < 0.25
    # matches i.i.d. N(0, d_k) logits (tolerance: finite sample, |q|^2 / d_k fluctuates)
    for i in [0, 2, len(s["d_k"]) - 1]:
        ref = softmax_reference(math.sqrt(s["d_k"][i]), n_keys)
        assert abs(u["max_prob"][i] - ref["max_prob"]) < 0.05, i
        assert abs(u["entropy"][i] - ref["entropy"]) < 0.15 + 0.1 * ref["entropy"], i
    # the Jacobian shrinks at large d_k: clearly below the scaled one at the largest d_k
    assert u["jacobian_norm"][-1] < 0.7 * s["scaled"]["jacobian_norm"][-1]
    # ... but not monotonically: at small d_k the unscaled Jacobian is *larger* (the page says so)
    assert u["jacobian_norm"][0] > s["scaled"]["jacobian_norm"][0]
    assert max(u["jacobian_norm"]) > u["jacobian_norm"][0]


def test_scaled_does_not_saturate(res):
    s = res["saturation"]
    ref = softmax_reference(1.0, s["n_keys"])
    sc = s["scaled"]
    for mp, ent in zip(sc["max_prob"], sc["entropy"]):
        assert abs(mp - ref["max_prob"]) < 0.02
        assert abs(ent - ref["entropy"]) < 0.1
        assert ent < s["ln_n_keys"]  # not uniform either
    # roughly constant across d_k
    assert max(sc["jacobian_norm"]) - min(sc["jacobian_norm"]) < 0.03


def test_jacobian_norm_bounds(res):
    s = res["saturation"]
    for key in ["scaled", "unscaled"]:
        for j, mp in zip(s[key]["jacobian_norm"], s[key]["max_prob"]):
            assert 0 < j <= 0.5  # ||diag(p) - p p^T||_2 <= 1/2


def test_maps(res):
    m = res["maps"]
    assert m["d_k"] == 1024
    for key in ["scaled", "unscaled"]:
        p = np.array(m[key])
        assert p.shape == (m["n_queries"], m["n_keys"])
        assert np.allclose(p.sum(1), 1)
    assert np.array(m["unscaled"]).max(1).mean() > 0.85
    assert np.array(m["scaled"]).max(1).max() < 0.5


# 3. PyTorch's default
def test_sdpa_default_scale(res):
    r = res["sdpa"]
    assert r["default_vs_manual_scaled"] < 1e-12  # float64
    assert r["scale1_vs_manual_unscaled"] < 1e-12
    assert r["default_vs_manual_unscaled"] > 0.1


# 4. The assumption: independent entries
def test_wine_correlated_features(res):
    w = res["wine"]
    X, y = load_wine(return_X_y=True)
    X_tr, _, _, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    Z = (X_tr - X_tr.mean(0)) / X_tr.std(0)
    d, n = Z.shape[1], len(Z)
    assert w["d_k"] == d == 13 and len(X) == 178
    # Exact theory over pairs of distinct samples: E[(z_i . z_j)^2], i != j
    G = Z @ Z.T
    exact = ((G**2).sum() - (np.diag(G) ** 2).sum()) / (n * (n - 1)) / d
    assert abs(w["var_over_d"] / exact - 1) < 0.1
    # tr(C^2) / d: sum of squared correlations, > 1 because the features are correlated
    C = np.corrcoef(Z, rowvar=False)
    assert math.isclose(w["sum_sq_corr_over_d"], (C**2).sum() / d, rel_tol=1e-9)
    assert abs(w["var_over_d"] / w["sum_sq_corr_over_d"] - 1) < 0.1
    assert w["var_over_d"] > 1.5
    assert math.isclose(w["scaled_logit_std"] ** 2, w["var_over_d"], rel_tol=1e-3)
