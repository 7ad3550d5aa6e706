"""Checkers for appendix A2, hierarchical attention: attention pooling and scoring its peaks."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.attention.masks import masked_softmax
from gattut.attention.peaks import peak_share
from gattut.exercises._check import (
    ExerciseError,
    call,
    expect_close,
    expect_shape,
    expect_weights,
    passed,
)

__all__ = ["check_attention_pooling", "check_peak_share"]


def check_attention_pooling(fn: Callable) -> str:
    """Check ``fn(h, W, b, u, mask) -> (pooled (B, D), weights (B, T))``, Yang et al.'s eqs. 5-7."""
    gen = torch.Generator().manual_seed(20)
    B, T, D, A = 3, 5, 4, 6
    h = torch.randn(B, T, D, generator=gen, dtype=torch.float64)
    W = torch.randn(A, D, generator=gen, dtype=torch.float64)
    b = torch.randn(A, generator=gen, dtype=torch.float64)
    u = torch.randn(A, generator=gen, dtype=torch.float64)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True, False, True, True, False]])
    out = call(fn, h, W, b, u, mask, what="your attention_pooling")
    if not isinstance(out, tuple) or len(out) != 2:
        raise ExerciseError("attention_pooling should return two things: (pooled, weights)")
    pooled, weights = out
    expect_shape(weights, (B, T), "the weights")
    expect_shape(pooled, (B, D), "the pooled vectors")
    scores = torch.tanh(h @ W.T + b) @ u  # (B, T)
    wrong = [
        ((h @ W.T + b) @ u, mask,
         "the tanh is missing: the score is u_w^T tanh(W h_t + b), not u_w^T (W h_t + b)"),
        (torch.tanh(h @ W.T) @ u, mask,
         "the bias b is missing inside the tanh: u_t = tanh(W h_t + b)"),
        (scores, None,
         "the mask is ignored: padding positions must get zero weight (masked_softmax)"),
    ]  # fmt: skip
    for values, values_mask, words in wrong:
        if torch.allclose(weights.detach().double(), masked_softmax(values, values_mask), atol=1e-6):
            raise ExerciseError(words)
    if torch.allclose(weights.detach().double(), masked_softmax(scores, mask, dim=0), atol=1e-6):
        raise ExerciseError(
            "the softmax runs over the batch axis: normalise over the positions t of each row"
        )
    expect_weights(weights.detach(), "the weights", mask)
    expected = masked_softmax(scores, mask)
    expect_close(weights, expected, "the weights", atol=1e-6)
    if torch.allclose(pooled.detach().to(h.dtype), h.mean(dim=1), atol=1e-6):
        raise ExerciseError("the pooled vectors are plain means of h: weigh each h_t by alpha_t")
    expect_close(pooled, (expected.unsqueeze(1) @ h).squeeze(1), "the pooled vectors", atol=1e-6)
    return passed("s = sum_t alpha_t h_t with alpha = softmax(tanh(W h_t + b)^T u_w).")


def check_peak_share(fn: Callable) -> str:
    """Check ``fn(weights (N, T), target (N,), mask (N, T)) -> float``, the share of peaks on target."""
    weights = torch.tensor([
        [0.1, 0.7, 0.2, 0.0],  # peak 1
        [0.5, 0.2, 0.3, 0.0],  # peak 0
        [0.3, 0.1, 0.1, 0.5],  # peak 3 is padding: among the real positions the peak is 0
        [0.3, 0.1, 0.6, 0.0],  # peak 2
    ])  # fmt: skip
    mask = torch.tensor([[True] * 4, [True] * 4, [True, True, True, False], [True] * 4])
    target = torch.tensor([1, 2, 0, 2])  # hits: rows 0, 2 (among the real positions), 3
    share = call(fn, weights, target, mask, what="your peak_share")
    if isinstance(share, torch.Tensor):
        if share.numel() != 1:
            raise ExerciseError(
                f"peak_share should return one number, got a tensor of shape {tuple(share.shape)}"
            )
        share = share.item()
    if not isinstance(share, int | float):
        raise ExerciseError(f"peak_share should return a number, got {type(share).__name__}")
    if abs(share - 3) < 1e-9:
        raise ExerciseError("you returned the number of hits (3); return the share, hits / rows")
    if abs(share - 0.5) < 1e-9:
        raise ExerciseError(
            "row 2's largest weight sits on a padding position: take the peak among the real "
            "positions only (mask it out before argmax)"
        )
    expected = peak_share(weights, target, mask)
    if abs(share - expected) > 1e-9:
        raise ExerciseError(
            f"the share is {share:.4g}, expected {expected:.4g} (3 of the 4 rows hit)"
        )
    return passed("the share of rows whose peak, among real positions, is the target.")
