"""Checkers for appendix A1, visual attention: eq. 14's regulariser, the attention peak, hard attention."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from gattut.attention.localisation import peak_hits
from gattut.exercises._check import ExerciseError, call, expect_shape, passed
from gattut.seq2seq.captioning import doubly_stochastic_penalty

__all__ = ["check_doubly_stochastic", "check_peak_in_mask", "check_hard_attention"]


def _as_float(value, what: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ExerciseError(f"{what} should be one number, got a tensor of shape {tuple(value.shape)}")
        return float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ExerciseError(f"{what} should be a number (or a one-element tensor), got {type(value).__name__}")


def check_doubly_stochastic(fn: Callable) -> str:
    """Check ``fn(weights (B, T, L), step_mask (B, T)) -> scalar``, eq. 14's sum over regions, batch mean."""
    gen = torch.Generator().manual_seed(21)
    B, T, L = 3, 5, 7
    weights = F.softmax(torch.randn(B, T, L, generator=gen, dtype=torch.float64), dim=-1)
    step_mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True] * 4 + [False]])
    got = _as_float(call(fn, weights, step_mask, what="your doubly_stochastic"), "the penalty")
    kept = weights * step_mask[:, :, None]
    wrong = {
        "the sum runs over the regions, not over time: each row already sums to one, so "
        "that penalty is zero; sum over t (dim=1) for the attention each region collects":
            ((1 - kept.sum(2)) ** 2).sum(1).mean(),
        "padding steps are counted: multiply the weights by step_mask before summing over t":
            ((1 - weights.sum(1)) ** 2).sum(1).mean(),
        "the square is missing: eq. 14 squares (1 - sum_t alpha_ti) for each region":
            (1 - kept.sum(1)).sum(1).mean(),
        "the regions are averaged: eq. 14 sums over the L regions (and averages over the batch)":
            ((1 - kept.sum(1)) ** 2).mean(1).mean(),
        "the batch is summed: take the mean over the batch, as the loss does":
            ((1 - kept.sum(1)) ** 2).sum(1).sum(),
    }
    for words, value in wrong.items():
        if abs(got - float(value)) < 1e-6:
            raise ExerciseError(words)
    expected = float(doubly_stochastic_penalty(weights, step_mask))
    if abs(got - expected) > 1e-6:
        raise ExerciseError(f"the penalty is {got:.6g}, expected {expected:.6g}")
    return passed("sum_i (1 - sum_t alpha_ti)^2 over the real steps, one number per caption, averaged.")


def check_peak_in_mask(fn: Callable) -> str:
    """Check ``fn(attention_map (Hg, Wg), mask (H, W) bool) -> bool``: does the peak region touch the mask?"""
    H, W, Hg, Wg = 8, 12, 2, 3  # 4 x 4 pixel blocks; a grid that is not square on purpose
    cases = []
    mask = torch.zeros(H, W, dtype=torch.bool)
    mask[5, 9] = True  # one pixel, in block (1, 2)
    for peak, answer in [((1, 2), True), ((2 - 1, 0), False), ((0, 2), False)]:
        amap = torch.full((Hg, Wg), 0.1)
        amap[peak] = 0.5
        cases.append((amap, mask, answer, f"a peak at region {peak} and an object in block (1, 2)"))
    swapped = torch.zeros(H, W, dtype=torch.bool)
    swapped[1, 5] = True  # block (0, 1): row 0, column 1
    amap = torch.full((Hg, Wg), 0.1)
    amap[0, 1] = 0.5
    cases.append((amap, swapped, True, "a peak at region (0, 1) (row 0, column 1)"))
    for amap, m, answer, where in cases:
        got = call(fn, amap, m, what="your peak_in_mask")
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = bool(got)
        if not isinstance(got, bool):
            raise ExerciseError(f"peak_in_mask should return True or False, got {type(got).__name__}")
        if got != answer:
            hint = (
                " A region counts when *any* of its pixels belongs to the object, not all."
                if answer else " Check how the flat argmax maps back to (row, column): row = i // Wg."
            )
            raise ExerciseError(f"for {where} you answered {got}, the right answer is {answer}.{hint}")
    # Agree with the package on random cases too.
    gen = torch.Generator().manual_seed(3)
    for _ in range(20):
        amap = torch.rand(Hg, Wg, generator=gen)
        m = torch.rand(H, W, generator=gen) > 0.9
        m[0, 0] = True
        expected = bool(peak_hits(amap[None], m[None])[0])
        if bool(call(fn, amap, m, what="your peak_in_mask")) != expected:
            raise ExerciseError("your answer differs from gattut.attention.localisation.peak_hits on a random map")
    return passed("the peak region is found and checked against the object's pixels.")


def check_hard_attention(fn: Callable) -> str:
    """Check ``fn(weights (B, L), features (B, L, D), generator) -> (B, D)``: one sampled region per row."""
    gen = torch.Generator().manual_seed(5)
    B, L, D = 2, 4, 3
    features = torch.randn(B, L, D, generator=gen, dtype=torch.float64)
    weights = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]], dtype=torch.float64)
    soft = (weights[:, :, None] * features).sum(1)  # (B, D)
    draws = []
    for _ in range(3000):
        context = call(fn, weights, features, gen, what="your hard_attention")
        expect_shape(context, (B, D), "the hard context")
        draws.append(context.detach().to(torch.float64))
    draws = torch.stack(draws)  # (N, B, D)
    if torch.allclose(draws[0], soft):
        raise ExerciseError("this is the soft context (the weighted mean); hard attention picks ONE region")
    is_row = (draws[:, :, None, :] - features[None]).abs().amax(-1) < 1e-9  # (N, B, L)
    if not is_row.any(-1).all():
        raise ExerciseError("a hard context must be one of the L feature vectors a_i, unchanged")
    picked = is_row.double().mean(0)  # (B, L): how often each region was drawn
    if (picked.amax(-1) > 0.99).all():
        raise ExerciseError(
            "the same region every time: that is the argmax, not a sample; draw s ~ Categorical(alpha)"
        )
    if (picked - weights).abs().max() > 0.05:
        raise ExerciseError(
            f"regions are drawn with the wrong frequencies: got {picked[0].tolist()} for "
            f"weights {weights[0].tolist()} (use torch.multinomial(weights, 1, generator=generator))"
        )
    return passed("one region per step, drawn with probability alpha; on average, the soft context.")
