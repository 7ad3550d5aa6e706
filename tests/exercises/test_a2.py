"""The appendix A2 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.attention.masks import masked_softmax
from gattut.exercises import ExerciseError, a2


def _pool(h, W, b, u, mask, *, tanh=True, bias=True, use_mask=True, dim=-1, mean=False):
    hidden = h @ W.T + (b if bias else 0)
    scores = (torch.tanh(hidden) if tanh else hidden) @ u
    weights = masked_softmax(scores, mask if use_mask else None, dim=dim)
    pooled = h.mean(1) if mean else (weights.unsqueeze(1) @ h).squeeze(1)
    return pooled, weights


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda *a: _pool(*a, tanh=False), "tanh is missing"),
        (lambda *a: _pool(*a, bias=False), "bias b is missing"),
        (lambda *a: _pool(*a, use_mask=False), "mask is ignored"),
        (lambda *a: _pool(*a, dim=0), "batch axis"),
        (lambda *a: _pool(*a, mean=True), "plain means"),
        (lambda *a: _pool(*a)[1], "two things"),
        (lambda *a: (_pool(*a)[0], _pool(*a)[1][:, :2]), "wrong shape"),
        (lambda *a: (_pool(*a)[0] * 2, _pool(*a)[1]), "pooled vectors differ"),
        (lambda *a: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_attention_pooling_checker(wrong, words):
    assert "passed" in a2.check_attention_pooling(_pool)
    with pytest.raises(ExerciseError, match=words):
        a2.check_attention_pooling(wrong)


def _share(weights, target, mask, *, use_mask=True, count=False):
    peaks = weights.masked_fill(~mask, -1.0).argmax(-1) if use_mask else weights.argmax(-1)
    hits = (peaks == target).sum()
    return hits if count else hits.item() / len(target)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda w, t, m: _share(w, t, m, count=True), "number of hits"),
        (lambda w, t, m: _share(w, t, m, use_mask=False), "padding position"),
        (lambda w, t, m: 0.25, "expected 0.75"),
        (lambda w, t, m: torch.ones(2), "one number"),
        (lambda w, t, m: "0.75", "a number"),
    ],
)
def test_peak_share_checker(wrong, words):
    assert "passed" in a2.check_peak_share(_share)
    assert "passed" in a2.check_peak_share(lambda w, t, m: torch.tensor(_share(w, t, m)))
    with pytest.raises(ExerciseError, match=words):
        a2.check_peak_share(wrong)
