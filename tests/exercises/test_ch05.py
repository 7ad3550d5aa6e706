"""The chapter 5 checkers accept right answers and explain wrong ones in words."""

import math

import pytest
import torch

from gattut.attention import causal_mask, masked_softmax, scaled_dot_product_attention
from gattut.exercises import ExerciseError, ch05


def _attention(query, key, value, mask=None, scale=None, flip=False, naive=False):
    scale = math.sqrt(query.shape[-1]) if scale is None else scale
    scores = query @ key.transpose(-2, -1) / scale
    if mask is not None and flip:
        mask = ~mask
    if naive and mask is not None:
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    else:
        weights = masked_softmax(scores, mask)
    return weights @ value, weights


def test_attention_checker_accepts_the_package():
    assert "passed" in ch05.check_attention(scaled_dot_product_attention)
    assert "passed" in ch05.check_attention(_attention)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda q, k, v, m: _attention(q, k, v, m, scale=1.0), "not scaled"),
        (lambda q, k, v, m: _attention(q, k, v, m, scale=q.shape[-1]), "divided by Dh"),
        (lambda q, k, v, m: _attention(q, k, v, m, flip=True), "upside down"),
        (lambda q, k, v, m: _attention(q, k, v, m, naive=True), "NaN"),
        (lambda q, k, v, m: _attention(q, k, v, m)[0], "pair"),
        (lambda q, k, v, m: (_attention(q, k, v, m)[1] @ k, _attention(q, k, v, m)[1]), "output"),
    ],
)
def test_attention_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch05.check_attention(wrong)


def test_causal_mask_checker():
    assert "passed" in ch05.check_causal_mask(causal_mask)
    for wrong, words in [
        (lambda T: ~causal_mask(T), "upside down"),
        (lambda T: causal_mask(T).T.contiguous(), "future"),
        (lambda T: causal_mask(T) & ~torch.eye(T, dtype=torch.bool), "itself"),
        (lambda T: causal_mask(T).float(), "dtype"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch05.check_causal_mask(wrong)
