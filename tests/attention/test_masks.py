"""Tests for gattut.attention.masks: the mask convention and the masked softmax."""

from __future__ import annotations

import pytest
import torch

from gattut.attention import causal_mask, masked_softmax, padding_mask


def test_no_mask_is_plain_softmax():
    scores = torch.randn(2, 3, 5)
    torch.testing.assert_close(masked_softmax(scores), torch.softmax(scores, dim=-1))


def test_weights_sum_to_one_over_attendable_and_masked_are_exactly_zero():
    torch.manual_seed(0)
    scores = torch.randn(4, 6, dtype=torch.float64)
    mask = torch.rand(4, 6) > 0.4
    mask[:, 0] = True
    weights = masked_softmax(scores, mask)
    assert weights.shape == scores.shape  # Shapes: same as scores
    assert torch.all(weights[~mask] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(4, dtype=torch.float64))
    # Equal to the softmax over the attendable entries only.
    row = scores[1][mask[1]]
    torch.testing.assert_close(weights[1][mask[1]], torch.softmax(row, dim=0))


def test_fully_masked_row_gives_zeros_and_no_nan_gradient():
    scores = torch.randn(3, 4, requires_grad=True)
    mask = torch.tensor([[True, False, True, True], [False] * 4, [True] * 4])
    weights = masked_softmax(scores, mask)
    assert torch.all(weights[1] == 0)
    (weights * torch.randn(3, 4)).sum().backward()
    assert torch.isfinite(scores.grad).all()
    assert torch.all(scores.grad[1] == 0)


def test_mask_broadcasts_and_dim_argument():
    scores = torch.randn(2, 3, 5)
    mask = torch.tensor([True, True, False, True, False])  # (S,) shared by all rows
    weights = masked_softmax(scores, mask)
    assert torch.all(weights[..., 2] == 0)
    # Normalising over dim=1 with a (3, 1) mask: masks query rows.
    w1 = masked_softmax(scores, torch.tensor([[True], [False], [True]]), dim=1)
    assert torch.all(w1[:, 1] == 0)
    torch.testing.assert_close(w1.sum(1), torch.ones(2, 5))


def test_gradcheck_float64():
    scores = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, True, False, True, False], [False] * 5, [True] * 5])
    assert torch.autograd.gradcheck(lambda s: masked_softmax(s, mask), (scores,))


def test_rejects_non_bool_mask():
    with pytest.raises(ValueError, match=r"torch\.bool.*float32"):
        masked_softmax(torch.randn(2, 3), torch.ones(2, 3))


def test_rejects_non_broadcastable_mask():
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(2, 3\)"):
        masked_softmax(torch.randn(2, 3), torch.ones(2, 4, dtype=torch.bool))


def test_rejects_mask_that_enlarges_scores():
    with pytest.raises(ValueError, match=r"\(5, 2, 3\)"):
        masked_softmax(torch.randn(2, 3), torch.ones(5, 2, 3, dtype=torch.bool))


def test_padding_mask():
    mask = padding_mask(torch.tensor([3, 0, 1]), max_len=4)
    assert mask.shape == (3, 4) and mask.dtype == torch.bool  # Shapes: (B, S)
    expected = torch.tensor([[True, True, True, False], [False] * 4, [True, False, False, False]])
    assert torch.equal(mask, expected)
    assert padding_mask(torch.tensor([2, 5])).shape == (2, 5)  # max_len defaults to the max


def test_padding_mask_rejects_bad_lengths():
    with pytest.raises(ValueError, match="1-D integer"):
        padding_mask(torch.tensor([[1, 2]]))
    with pytest.raises(ValueError, match="shorter"):
        padding_mask(torch.tensor([1, 5]), max_len=3)
    with pytest.raises(ValueError, match="non-negative"):
        padding_mask(torch.tensor([1, -1]))


def test_causal_mask():
    mask = causal_mask(3, 4)
    assert mask.shape == (3, 4)  # Shapes: (T, S)
    for t in range(3):
        for s in range(4):
            assert mask[t, s] == (s <= t)
    assert torch.equal(causal_mask(3), torch.ones(3, 3, dtype=torch.bool).tril())
