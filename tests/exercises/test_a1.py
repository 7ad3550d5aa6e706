"""The appendix A1 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.exercises import ExerciseError, a1


def _penalty(weights, step_mask):
    return ((1 - (weights * step_mask[:, :, None]).sum(1)) ** 2).sum(1).mean()


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda w, m: ((1 - (w * m[:, :, None]).sum(2)) ** 2).sum(1).mean(), "over the regions"),
        (lambda w, m: ((1 - w.sum(1)) ** 2).sum(1).mean(), "padding"),
        (lambda w, m: (1 - (w * m[:, :, None]).sum(1)).sum(1).mean(), "square"),
        (lambda w, m: ((1 - (w * m[:, :, None]).sum(1)) ** 2).mean(), "averaged"),
        (lambda w, m: ((1 - (w * m[:, :, None]).sum(1)) ** 2).sum(), "batch is summed"),
        (lambda w, m: _penalty(w, m) * 2, "expected"),
        (lambda w, m: torch.ones(3), "one number"),
        (lambda w, m: "x", "a number"),
    ],
)
def test_doubly_stochastic_checker(wrong, words):
    assert "passed" in a1.check_doubly_stochastic(_penalty)
    with pytest.raises(ExerciseError, match=words):
        a1.check_doubly_stochastic(wrong)


def _peak(amap, mask):
    Hg, Wg = amap.shape
    H, W = mask.shape
    i = int(amap.argmax())
    r, c = i // Wg, i % Wg
    h, w = H // Hg, W // Wg
    return bool(mask[r * h : (r + 1) * h, c * w : (c + 1) * w].any())


def _peak_all(amap, mask):
    Hg, Wg = amap.shape
    H, W = mask.shape
    r, c = divmod(int(amap.argmax()), Wg)
    h, w = H // Hg, W // Wg
    return bool(mask[r * h : (r + 1) * h, c * w : (c + 1) * w].all())


def _peak_swapped(amap, mask):
    Hg, Wg = amap.shape
    H, W = mask.shape
    i = int(amap.argmax())
    r, c = i % Hg, i // Hg  # the wrong unravel
    h, w = H // Hg, W // Wg
    return bool(mask[r * h : (r + 1) * h, c * w : (c + 1) * w].any())


@pytest.mark.parametrize(
    "wrong, words",
    [(_peak_all, "any"), (_peak_swapped, "row"), (lambda a, m: "yes", "True or False")],
)
def test_peak_in_mask_checker(wrong, words):
    assert "passed" in a1.check_peak_in_mask(_peak)
    with pytest.raises(ExerciseError, match=words):
        a1.check_peak_in_mask(wrong)


def _hard(weights, features, generator):
    index = torch.multinomial(weights, 1, generator=generator).squeeze(1)
    return features[torch.arange(len(index)), index]


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda w, f, g: (w[:, :, None] * f).sum(1), "soft context"),
        (lambda w, f, g: f[torch.arange(2), w.argmax(1)], "argmax"),
        (lambda w, f, g: f[torch.arange(2), torch.randint(0, 4, (2,), generator=g)], "frequencies"),
        (lambda w, f, g: _hard(w, f, g) * 2, "unchanged"),
        (lambda w, f, g: _hard(w, f, g)[0], "wrong shape"),
    ],
)
def test_hard_attention_checker(wrong, words):
    assert "passed" in a1.check_hard_attention(_hard)
    with pytest.raises(ExerciseError, match=words):
        a1.check_hard_attention(wrong)
