"""The chapter 7 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.attention import layout_permutation, sinusoidal_encoding
from gattut.exercises import ExerciseError, ch07


def _pe(L, D, swap=False, exponent=2, offset=0):
    positions = torch.arange(L, dtype=torch.float32)[:, None] + offset  # (L, 1)
    angles = positions * 10000 ** (-exponent * torch.arange(D // 2) / D)  # (L, D/2)
    pair = [angles.cos(), angles.sin()] if swap else [angles.sin(), angles.cos()]
    return torch.stack(pair, dim=-1).reshape(L, D)


def test_sinusoidal_checker_accepts_right_answers():
    assert "passed" in ch07.check_sinusoidal_encoding(_pe)
    assert "passed" in ch07.check_sinusoidal_encoding(sinusoidal_encoding)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda L, D: sinusoidal_encoding(L, D, "sin_cos"), r"\[sin \| cos\] layout"),
        (lambda L, D: _pe(L, D, swap=True), "swapped"),
        (lambda L, D: _pe(L, D, exponent=1), "exponent i / D"),
        (lambda L, D: _pe(L, D, offset=1), "start at 0"),
        (lambda L, D: _pe(L, D)[:, : D // 2], "wrong shape"),
    ],
)
def test_sinusoidal_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch07.check_sinusoidal_encoding(wrong)


def test_permutation_checker():
    def right(D):
        return torch.cat([torch.arange(0, D, 2), torch.arange(1, D, 2)])

    assert "passed" in ch07.check_interleaved_to_sin_cos(right)
    assert torch.equal(right(8), layout_permutation("interleaved", "sin_cos", 8))

    def inverse(D):
        perm = right(D)
        inv = torch.empty_like(perm)
        inv[perm] = torch.arange(D)
        return inv

    for wrong, words in [
        (inverse, "inverse"),
        (lambda D: torch.zeros(D, dtype=torch.long), "not a permutation"),
        (lambda D: right(D).tolist(), "LongTensor"),
        (lambda D: torch.arange(D), "differ"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch07.check_interleaved_to_sin_cos(wrong)
