"""The chapter 4 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.attention import masked_softmax, monotonic_attention
from gattut.exercises import ExerciseError, ch04


def _bahdanau(query, keys, mask, W1, W2, v, *, dim=-1, use_mask=True, weighted=True):
    scores = torch.tanh((query @ W1.T)[:, None, :] + keys @ W2.T) @ v  # (B, S)
    if dim == 0:
        weights = torch.softmax(scores, dim=0)
    else:
        weights = masked_softmax(scores, mask if use_mask else None)
    context = (weights[:, None, :] @ keys).squeeze(1) if weighted else keys.sum(dim=1)
    return context, weights


def test_bahdanau_checker_accepts_a_right_answer():
    assert "passed" in ch04.check_bahdanau_attention(_bahdanau)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda *a: _bahdanau(*a, dim=0), "over the batch axis"),
        (lambda *a: _bahdanau(*a, use_mask=False), "mask is ignored"),
        (lambda *a: _bahdanau(*a, weighted=False), "ignores the weights"),
        (lambda *a: _bahdanau(*a)[1], "pair"),
        (lambda q, k, m, W1, W2, v: _bahdanau(q, k, m, W1, W2, -v), "is the score"),
    ],
)
def test_bahdanau_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch04.check_bahdanau_attention(wrong)


def _monotonic(p_choose, previous):
    B, S = p_choose.shape
    q, columns = torch.zeros(B, dtype=p_choose.dtype), []
    for j in range(S):
        q = (q * (1 - p_choose[:, j - 1]) if j > 0 else q) + previous[:, j]
        columns.append(p_choose[:, j] * q)
    return torch.stack(columns, dim=1)


def test_monotonic_checker():
    assert "passed" in ch04.check_monotonic_attention(_monotonic)
    assert "passed" in ch04.check_monotonic_attention(
        lambda p, prev: monotonic_attention(p, prev, mode="parallel")
    )
    with pytest.raises(ExerciseError, match=r"multiplied by \(1 - p_\{j-1\}\)"):
        ch04.check_monotonic_attention(lambda p, prev: p * torch.cumsum(prev, dim=-1))
    with pytest.raises(ExerciseError, match="softmax of p_choose"):
        ch04.check_monotonic_attention(lambda p, prev: torch.softmax(p, dim=-1))
    with pytest.raises(ExerciseError, match="more than one"):
        ch04.check_monotonic_attention(lambda p, prev: p + prev)
    with pytest.raises(ExerciseError, match="wrong shape"):
        ch04.check_monotonic_attention(lambda p, prev: p[:, :3])
