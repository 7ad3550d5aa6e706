"""Tests for gattut.attention.scoring: each score against its formula, shapes, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from gattut.attention import AdditiveScore, GeneralScore, cosine_score, dot_score, scaled_dot_score

B, T, S = 2, 3, 4


@pytest.fixture
def qk():
    torch.manual_seed(0)
    return torch.randn(B, T, 5, dtype=torch.float64), torch.randn(B, S, 5, dtype=torch.float64)


def _loop(fn, query, key):
    """The score one (t, s) pair at a time: the definition, no batching tricks."""
    out = torch.empty(query.shape[0], query.shape[1], key.shape[1], dtype=query.dtype)
    for b in range(query.shape[0]):
        for t in range(query.shape[1]):
            for s in range(key.shape[1]):
                out[b, t, s] = fn(query[b, t], key[b, s])
    return out


def test_dot_score(qk):
    query, key = qk
    scores = dot_score(query, key)
    assert scores.shape == (B, T, S)  # Shapes
    torch.testing.assert_close(scores, _loop(torch.dot, query, key))


def test_scaled_dot_score(qk):
    query, key = qk
    expected = _loop(lambda q, k: q @ k / math.sqrt(5), query, key)
    torch.testing.assert_close(scaled_dot_score(query, key), expected)


def test_cosine_score(qk):
    query, key = qk
    expected = _loop(lambda q, k: torch.cosine_similarity(q, k, dim=0), query, key)
    torch.testing.assert_close(cosine_score(query, key), expected)
    zero = torch.zeros(1, 1, 5, dtype=torch.float64)
    assert torch.equal(cosine_score(zero, zero), torch.zeros(1, 1, 1, dtype=torch.float64))


def test_general_score():
    torch.manual_seed(1)
    layer = GeneralScore(5, 3).double()
    query, key = (
        torch.randn(B, T, 5, dtype=torch.float64),
        torch.randn(B, S, 3, dtype=torch.float64),
    )
    W = layer.key_proj.weight  # (Dq, Dk)
    scores = layer(query, key)
    assert scores.shape == (B, T, S)
    torch.testing.assert_close(scores, _loop(lambda q, k: q @ W @ k, query, key))


@pytest.mark.parametrize("normalize", [False, True])
def test_additive_score(normalize):
    torch.manual_seed(2)
    layer = AdditiveScore(5, 3, 7, normalize=normalize).double()
    if normalize:
        with torch.no_grad():
            layer.g.fill_(1.7)
            layer.b.normal_()
    query, key = (
        torch.randn(B, T, 5, dtype=torch.float64),
        torch.randn(B, S, 3, dtype=torch.float64),
    )
    W1, W2, v = layer.query_proj.weight, layer.key_proj.weight, layer.v

    def score(q, k):
        if normalize:
            return (1.7 * v / v.norm()) @ torch.tanh(W1 @ q + W2 @ k + layer.b)
        return v @ torch.tanh(W1 @ q + W2 @ k)

    scores = layer(query, key)
    assert scores.shape == (B, T, S)
    torch.testing.assert_close(scores, _loop(score, query, key))


def test_normalized_additive_score_initial_scale():
    layer = AdditiveScore(5, 3, 16, normalize=True)
    assert layer.g.item() == pytest.approx(math.sqrt(1 / 16))
    assert torch.all(layer.b == 0)


def test_rejects_mismatched_widths():
    with pytest.raises(ValueError, match=r"\(2, 3, 5\).*\(2, 4, 6\)"):
        dot_score(torch.randn(2, 3, 5), torch.randn(2, 4, 6))
    with pytest.raises(ValueError, match=r"key has width 6.*expected width 3"):
        GeneralScore(5, 3)(torch.randn(2, 3, 5), torch.randn(2, 4, 6))


def test_rejects_mismatched_batch():
    with pytest.raises(ValueError, match=r"batch sizes differ.*\(2, 3, 5\).*\(3, 4, 5\)"):
        scaled_dot_score(torch.randn(2, 3, 5), torch.randn(3, 4, 5))


def test_rejects_wrong_rank_and_empty():
    with pytest.raises(ValueError, match=r"\(B, T, Dq\).*\(3, 5\)"):
        AdditiveScore(5, 5, 4)(torch.randn(3, 5), torch.randn(3, 4, 5))
    with pytest.raises(ValueError, match=r"zero length S.*\(2, 0, 5\)"):
        cosine_score(torch.randn(2, 3, 5), torch.randn(2, 0, 5))
