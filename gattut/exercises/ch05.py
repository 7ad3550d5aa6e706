"""Checkers for chapter 5, scaled dot-product and self-attention."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from gattut.attention import causal_mask, masked_softmax, scaled_dot_product_attention
from gattut.exercises._check import (
    ExerciseError,
    call,
    expect_close,
    expect_shape,
    expect_weights,
    passed,
)

__all__ = ["check_attention", "check_causal_mask"]


def _diagnose_scale(weights: torch.Tensor, query, key, mask) -> None:
    """Name the common wrong scales before the generic 'values differ' message."""
    Dh = query.shape[-1]
    raw = query @ key.transpose(-2, -1)  # (..., T, S)
    for wrong, words in [
        (raw, "the scores are not scaled: divide q k^T by sqrt(Dh)"),
        (raw / Dh, f"the scores are divided by Dh = {Dh}; divide by sqrt(Dh) = {math.sqrt(Dh):.3g}"),
    ]:
        if torch.allclose(weights, masked_softmax(wrong, mask), atol=1e-5):
            raise ExerciseError(f"the weights are a softmax, but {words}")


def check_attention(fn: Callable) -> str:
    """Check ``fn(query, key, value, mask=None) -> (output, weights)``.

    The reference is :func:`gattut.attention.scaled_dot_product_attention`. The
    cases: no mask, a batch of heads ``(B, H, T, Dh)`` with a padding-and-causal
    mask, and a query that may attend to nothing (zeros, not NaN).
    """
    gen = torch.Generator().manual_seed(5)
    B, H, T, S, Dh, Dv = 2, 2, 4, 5, 8, 3
    query = torch.randn(B, H, T, Dh, generator=gen, dtype=torch.float64)
    key = torch.randn(B, H, S, Dh, generator=gen, dtype=torch.float64)
    value = torch.randn(B, H, S, Dv, generator=gen, dtype=torch.float64)
    mask = torch.ones(B, 1, T, S, dtype=torch.bool).tril(diagonal=1)  # (B, 1, T, S)
    mask[1, :, :, 3:] = False  # padding in the second example
    mask[0, :, 2, :] = False  # a query that may see nothing
    for name, m in [("without a mask", None), ("with a mask", mask)]:
        out = call(fn, query, key, value, m, what="your attention")
        if not (isinstance(out, tuple) and len(out) == 2):
            raise ExerciseError(
                f"your attention should return a pair (output, weights), got {type(out).__name__}"
            )
        output, weights = out
        expect_shape(weights, (B, H, T, S), f"the weights {name}")
        if m is not None and not torch.isfinite(weights).all():
            raise ExerciseError(
                "the weights contain NaN: a query that may attend to nothing must get all-zero "
                "weights (use gattut.attention.masked_softmax, or guard the division)"
            )
        if m is not None:
            flipped = masked_softmax(query @ key.transpose(-2, -1) / math.sqrt(Dh), ~m)
            if torch.allclose(weights.to(flipped.dtype), flipped, atol=1e-5):
                raise ExerciseError(
                    "the mask is used upside down: in this book True means 'may attend', so the "
                    "weights must be zero where the mask is False"
                )
        expect_weights(weights, f"the weights {name}", mask=m)
        _diagnose_scale(weights.detach().to(query.dtype), query, key, m)
        expected_output, expected_weights = scaled_dot_product_attention(query, key, value, m)
        expect_close(weights, expected_weights, f"the weights {name}")
        expect_shape(output, (B, H, T, Dv), f"the output {name}")
        expect_close(output, expected_output, f"the output {name} (weights @ value)")
    return passed("softmax(q k^T / sqrt(Dh)) v, masked with True = may attend, zeros for empty rows.")


def check_causal_mask(fn: Callable) -> str:
    """Check ``fn(T) -> mask (T, T)``, bool, ``True`` where query ``t`` may see key ``s <= t``."""
    for T in (4, 7, 1):
        mask = call(fn, T, what="your causal_mask")
        expect_shape(mask, (T, T), f"the mask for T={T}")
        if mask.dtype != torch.bool:
            raise ExerciseError(
                f"the mask should have dtype torch.bool (True = may attend), got {mask.dtype}"
            )
        expected = causal_mask(T)
        if T > 1 and torch.equal(mask, ~expected):
            raise ExerciseError(
                "the mask is upside down: True must mean 'may attend', so True on and below "
                "the diagonal (s <= t), False above it"
            )
        if T > 1 and torch.equal(mask, expected.T):
            raise ExerciseError(
                "query t may see the keys s >= t (its future): the mask must be lower "
                "triangular, mask[t, s] = s <= t"
            )
        if T > 1 and torch.equal(mask, expected & ~torch.eye(T, dtype=torch.bool)):
            raise ExerciseError(
                "query t may not see itself: keep the diagonal, mask[t, s] = s <= t"
            )
        if not torch.equal(mask, expected):
            t, s = (int(i) for i in (mask != expected).nonzero()[0])
            raise ExerciseError(
                f"mask[{t}, {s}] is {bool(mask[t, s])}, expected {bool(expected[t, s])} "
                f"(query {t} may see key {s} exactly when {s} <= {t})"
            )
    return passed("lower triangular, True = may attend, the diagonal included.")
