"""Checkers for chapter 1, attention as soft lookup."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.attention import masked_softmax
from gattut.exercises._check import (
    ExerciseError,
    call,
    expect_close,
    expect_shape,
    expect_weights,
    passed,
)

__all__ = ["check_masked_softmax", "check_nadaraya_watson"]


def check_masked_softmax(fn: Callable) -> str:
    """Check ``fn(scores, mask) -> weights`` against :func:`gattut.attention.masked_softmax`.

    The cases: no mask, a padding mask, a fully masked row (must give zeros,
    not NaN), and large scores (must not overflow).
    """
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 3, 5, generator=gen)
    mask = torch.ones(2, 3, 5, dtype=torch.bool)
    mask[0, :, 3:] = False
    mask[1, 2, :] = False  # a query that may attend to nothing
    for name, s, m in [
        ("without a mask", scores, torch.ones_like(mask)),
        ("with a padding mask and a fully masked row", scores, mask),
        ("with large scores (1000 + s)", scores + 1000.0, mask),
    ]:
        weights = call(fn, s, m, what="your masked_softmax")
        expect_shape(weights, s.shape, f"the weights {name}")
        expect_weights(weights, f"the weights {name}", mask=m)
        expect_close(weights, masked_softmax(s, m), f"the weights {name}")
    return passed("weights are a distribution over the allowed keys, and a fully masked row is zero.")


def check_nadaraya_watson(fn: Callable) -> str:
    """Check ``fn(queries (T,), keys (S,), values (S,), sigma) -> (predictions (T,), weights (T, S))``."""
    gen = torch.Generator().manual_seed(1)
    keys = torch.rand(20, generator=gen) * 5
    values = torch.sin(keys)
    queries = torch.linspace(0, 5, 7)
    sigma = 0.5
    out = call(fn, queries, keys, values, sigma, what="your nadaraya_watson")
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ExerciseError(
            f"your nadaraya_watson should return a pair (predictions, weights), got {type(out).__name__}"
        )
    predictions, weights = out
    expect_shape(weights, (7, 20), "the weights")
    expect_weights(weights, "the weights")
    scores = -((queries[:, None] - keys[None, :]) ** 2) / (2 * sigma**2)
    expected_weights = torch.softmax(scores, dim=-1)
    expect_close(weights, expected_weights, "the weights (is the kernel exp(-(q - k)^2 / (2 sigma^2))?)")
    expect_shape(predictions, (7,), "the predictions")
    expect_close(predictions, expected_weights @ values, "the predictions (a weighted sum of the values)")
    return passed("Gaussian-kernel weights, and predictions that are their weighted sum of the values.")
