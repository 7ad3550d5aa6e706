"""The chapter 12 checkers accept right answers and explain wrong ones in words."""

import math

import pytest
import torch

from gattut.exercises import ExerciseError, ch12
from gattut.graph import scatter_sum


def _entropy(alpha, index, n):
    return -scatter_sum(alpha * torch.log(alpha.clamp(min=1e-30)), index, n)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda a, index, n: -_entropy(a, index, n), "minus sign"),
        (lambda a, index, n: _entropy(a, index, n) / math.log(2), "bits"),
        (lambda a, index, n: -scatter_sum(a * a.log(), index, n), "NaN"),
        (lambda a, index, n: _entropy(a, torch.tensor([1, 2, 3, 0, 2, 2]), n), "source"),
        (lambda a, index, n: _entropy(a, index, n).sum(), "wrong shape"),
        (lambda a, index, n: _entropy(a, index, n) + 0.1, "differ"),
    ],
)
def test_entropy_checker(wrong, words):
    assert "passed" in ch12.check_attention_entropy(_entropy)
    with pytest.raises(ExerciseError, match=words):
        ch12.check_attention_entropy(wrong)


def _pca(h, centre=True, last=False):
    c = h - h.mean(dim=0) if centre else h
    Vh = torch.linalg.svd(c, full_matrices=False)[2]
    return c @ (Vh[-2:] if last else Vh[:2]).T


def test_pca_checker():
    assert "passed" in ch12.check_pca_2d(_pca)
    assert "passed" in ch12.check_pca_2d(lambda h: -_pca(h))  # signs may flip
    for wrong, words in [
        (lambda h: _pca(h, centre=False), "not centred"),
        (lambda h: _pca(h, last=True), "smallest"),
        (lambda h: _pca(h).T, r"\(N, 2\)"),
        (lambda h: _pca(h)[:, :1], "wrong shape"),
        (lambda h: _pca(h) * 2, "differ"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch12.check_pca_2d(wrong)
