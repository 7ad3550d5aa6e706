"""The chapter 2 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.attention import cosine_score
from gattut.exercises import ExerciseError, ch02


def _additive(query, key, W1, W2, v, tanh=True, tanh_last=False, transpose=False):
    hidden = (query @ W1.T)[:, :, None, :] + (key @ W2.T)[:, None, :, :]  # (B, T, S, A)
    if tanh_last:
        scores = torch.tanh(hidden @ v)
    else:
        scores = (torch.tanh(hidden) if tanh else hidden) @ v
    return scores.transpose(1, 2) if transpose else scores


def test_additive_checker_accepts_a_right_answer():
    assert "passed" in ch02.check_additive_score(_additive)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda q, k, W1, W2, v: _additive(q, k, W1, W2, v, tanh=False), "linear"),
        (lambda q, k, W1, W2, v: _additive(q, k, W1, W2, v, tanh_last=True), "after v"),
        (lambda q, k, W1, W2, v: _additive(q, k, W1, W2, v, transpose=True), r"\(B, S, T\)"),
        (lambda q, k, W1, W2, v: _additive(q, k, W2, W1, v), "raised RuntimeError"),
    ],
)
def test_additive_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch02.check_additive_score(wrong)


def test_cosine_checker():
    assert "passed" in ch02.check_cosine_score(cosine_score)
    norms = lambda x: x.norm(dim=-1, keepdim=True)  # noqa: E731
    for wrong, words in [
        (lambda q, k: q @ k.transpose(-2, -1), "plain dot"),
        (lambda q, k: (q / norms(q)) @ k.transpose(-2, -1), "only the queries"),
        (lambda q, k: (q / norms(q)) @ (k / norms(k)).transpose(-2, -1), "NaN"),
        (lambda q, k: q @ k.transpose(-2, -1) / 100, "differ"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch02.check_cosine_score(wrong)
