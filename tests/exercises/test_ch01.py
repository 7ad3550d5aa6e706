"""The chapter 1 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.attention import masked_softmax
from gattut.exercises import ExerciseError, ch01


def test_masked_softmax_checker_accepts_the_package():
    assert "passed" in ch01.check_masked_softmax(masked_softmax)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda s, m: torch.softmax(s, dim=-1), "mask is ignored"),
        (lambda s, m: torch.softmax(s, dim=-1) * m, "sum to one"),
        (lambda s, m: torch.softmax(s.masked_fill(~m, float("-inf")), dim=-1), "NaN"),
        (lambda s, m: torch.softmax(s, dim=-1)[..., :3], "wrong shape"),
        (lambda s, m: (_ for _ in ()).throw(NotImplementedError), "not written yet"),
    ],
)
def test_masked_softmax_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch01.check_masked_softmax(wrong)


def _nw(queries, keys, values, sigma):
    weights = torch.softmax(-((queries[:, None] - keys[None, :]) ** 2) / (2 * sigma**2), dim=-1)
    return weights @ values, weights


def test_nadaraya_watson_checker():
    assert "passed" in ch01.check_nadaraya_watson(_nw)
    with pytest.raises(ExerciseError, match="pair"):
        ch01.check_nadaraya_watson(lambda q, k, v, s: _nw(q, k, v, s)[0])
    with pytest.raises(ExerciseError, match="kernel"):
        ch01.check_nadaraya_watson(lambda q, k, v, s: _nw(q, k, v, 2 * s))
