"""Checkers for chapter 4, Bahdanau and Luong attention in Seq2Seq."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.attention import BahdanauAttention, masked_softmax, monotonic_attention
from gattut.exercises._check import (
    ExerciseError,
    call,
    expect_close,
    expect_shape,
    expect_weights,
    passed,
)

__all__ = ["check_bahdanau_attention", "check_monotonic_attention"]


def _pair(out, what: str):
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ExerciseError(
            f"{what} should return a pair (context, weights), got {type(out).__name__}"
        )
    return out


def check_bahdanau_attention(fn: Callable) -> str:
    """Check ``fn(query, keys, mask, W1, W2, v) -> (context, weights)``: one step of additive attention.

    ``e_j = v^T tanh(W1 query + W2 keys_j)``, a masked softmax over ``j``, and
    ``context = sum_j weights_j keys_j``. The reference is
    :class:`gattut.attention.BahdanauAttention` with the same weights.

    Shapes: ``query (B, Dq)``, ``keys (B, S, Dk)``, ``mask (B, S)`` bool (``True`` = real),
    ``W1 (A, Dq)``, ``W2 (A, Dk)``, ``v (A,)`` -> ``context (B, Dk)``, ``weights (B, S)``.
    """
    gen = torch.Generator().manual_seed(40)
    B, S, Dq, Dk, A = 3, 6, 4, 5, 7
    layer = BahdanauAttention(Dq, Dk, A).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    W1, W2, v = (
        t.detach()
        for t in (layer.score.query_proj.weight, layer.score.key_proj.weight, layer.score.v)
    )
    query = torch.randn(B, Dq, generator=gen, dtype=torch.float64)
    keys = torch.randn(B, S, Dk, generator=gen, dtype=torch.float64)
    mask = torch.arange(S) < torch.tensor([6, 4, 2])[:, None]  # (B, S): padded sources
    context, weights = _pair(
        call(fn, query, keys, mask, W1, W2, v, what="your attention"), "your attention"
    )
    expected_context, expected_weights = (t.detach() for t in layer(query, keys, mask=mask))
    expect_shape(weights, (B, S), "the weights")
    scores = torch.tanh(query[:, None, :] @ W1.T + keys @ W2.T) @ v  # (B, S)
    if torch.allclose(weights.detach().double(), torch.softmax(scores, dim=0), atol=1e-6):
        raise ExerciseError(
            "the softmax runs over the batch axis; it must run over the source positions (dim=-1)"
        )
    expect_weights(weights, "the weights", mask=mask)
    if torch.allclose(weights.detach().double(), masked_softmax(scores.abs(), mask), atol=1e-6):
        raise ExerciseError("the scores are wrong: take v^T tanh(...) as it is, signs included")
    expect_close(
        weights, expected_weights, "the weights (is the score v^T tanh(W1 q + W2 k_j)?)", atol=1e-6
    )
    expect_shape(context, (B, Dk), "the context")
    if torch.allclose(context.detach().double(), keys.sum(dim=1), atol=1e-6):
        raise ExerciseError("the context ignores the weights: it should be sum_j weights_j keys_j")
    expect_close(context, expected_context, "the context (the weighted sum of the keys)", atol=1e-6)
    return passed("additive scores, a masked softmax over the source, and the weighted sum.")


def check_monotonic_attention(fn: Callable) -> str:
    """Check ``fn(p_choose, previous) -> weights``: the expected monotonic alignment of one step.

    The recurrence of Raffel et al. (2017):
    ``q_j = (1 - p_{j-1}) q_{j-1} + previous_j``, ``weights_j = p_j q_j``, with ``q_0 = previous_0``.

    Shapes: ``p_choose (B, S)``, ``previous (B, S)`` -> ``weights (B, S)``.
    """
    gen = torch.Generator().manual_seed(41)
    B, S = 3, 7
    p_choose = torch.rand(B, S, generator=gen, dtype=torch.float64)
    previous = torch.softmax(torch.randn(B, S, generator=gen, dtype=torch.float64), dim=-1)
    previous[0] = torch.nn.functional.one_hot(torch.tensor(0), S)  # the first step
    weights = call(fn, p_choose, previous, what="your monotonic_attention")
    expect_shape(weights, (B, S), "the weights")
    expected = monotonic_attention(p_choose, previous, mode="recursive")
    no_carry = p_choose * torch.cumsum(previous, dim=-1)
    if torch.allclose(weights.detach().double(), no_carry, atol=1e-6):
        raise ExerciseError(
            "the weights forget that the decoder may already have stopped: the mass carried to "
            "position j must be multiplied by (1 - p_{j-1}), the chance of not stopping at j - 1"
        )
    if torch.allclose(weights.detach().double(), torch.softmax(p_choose, dim=-1), atol=1e-6):
        raise ExerciseError(
            "this is a softmax of p_choose; monotonic attention uses the recurrence instead"
        )
    if weights.detach().sum(dim=-1).max() > 1 + 1e-6:
        raise ExerciseError(
            "a row of weights sums to more than one; the expected alignment sums to at most one "
            "(the rest is the chance of running off the end of the source)"
        )
    expect_close(weights, expected, "the weights", atol=1e-6)
    return passed(
        "the expected alignment q_j = (1 - p_{j-1}) q_{j-1} + previous_j, weights = p * q."
    )
