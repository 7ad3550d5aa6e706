"""Checkers for chapter 2, scoring functions and masks."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.attention import cosine_score, dot_score
from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed

__all__ = ["check_additive_score", "check_cosine_score"]


def _same(actual, expected) -> bool:
    return (
        isinstance(actual, torch.Tensor)
        and actual.shape == expected.shape
        and torch.allclose(actual.detach().to(expected.dtype), expected, atol=1e-6)
    )


def check_additive_score(fn: Callable) -> str:
    r"""Check ``fn(query, key, W1, W2, v) -> scores``, :math:`e_{ts} = v^\top \tanh(W_1 q_t + W_2 k_s)`.

    Shapes: query ``(B, T, Dq)``, key ``(B, S, Dk)``, ``W1 (A, Dq)``,
    ``W2 (A, Dk)``, ``v (A,)`` -> scores ``(B, T, S)``. The widths differ
    (``Dq != Dk``) so that swapped matrices fail loudly.
    """
    gen = torch.Generator().manual_seed(2)
    B, T, S, Dq, Dk, A = 2, 3, 4, 5, 6, 7
    query = torch.randn(B, T, Dq, generator=gen, dtype=torch.float64)
    key = torch.randn(B, S, Dk, generator=gen, dtype=torch.float64)
    W1 = torch.randn(A, Dq, generator=gen, dtype=torch.float64)
    W2 = torch.randn(A, Dk, generator=gen, dtype=torch.float64)
    v = torch.randn(A, generator=gen, dtype=torch.float64)
    scores = call(fn, query, key, W1, W2, v, what="your additive_score")
    q = (query @ W1.T)[:, :, None, :]  # (B, T, 1, A)
    k = (key @ W2.T)[:, None, :, :]  # (B, 1, S, A)
    expected = torch.tanh(q + k) @ v  # (B, T, S)
    if isinstance(scores, torch.Tensor) and tuple(scores.shape) == (B, S, T):
        raise ExerciseError(
            f"the scores have shape (B, S, T) = {(B, S, T)}: put the queries first, (B, T, S)"
        )
    expect_shape(scores, (B, T, S), "the scores")
    if _same(scores, (q + k) @ v):
        raise ExerciseError("the scores are linear in q and k: apply tanh to W1 q + W2 k before v")
    if _same(scores, torch.tanh((q + k) @ v)):
        raise ExerciseError("the tanh is applied after v: the score is v^T tanh(W1 q + W2 k)")
    expect_close(scores, expected, "the scores")
    return passed("v^T tanh(W1 q_t + W2 k_s) for every query-key pair, shape (B, T, S).")


def check_cosine_score(fn: Callable) -> str:
    r"""Check ``fn(query, key) -> scores``, :math:`e_{ts} = q_t^\top k_s / (\lVert q_t\rVert \lVert k_s\rVert)`.

    Includes a zero key, whose score must be 0 (not NaN): clamp the norms.
    """
    gen = torch.Generator().manual_seed(3)
    B, T, S, D = 2, 3, 4, 5
    query = torch.randn(B, T, D, generator=gen, dtype=torch.float64) * 3
    key = torch.randn(B, S, D, generator=gen, dtype=torch.float64) * 2
    key[1, 2] = 0.0  # a zero vector has no direction
    scores = call(fn, query, key, what="your cosine_score")
    expect_shape(scores, (B, T, S), "the scores")
    if not torch.isfinite(scores).all():
        raise ExerciseError(
            "the scores contain NaN or inf: a zero key has norm 0, so clamp the product of "
            "the norms with a small eps (e.g. norms.clamp_min(1e-8)) before dividing"
        )
    expected = cosine_score(query, key)
    q_unit = query / query.norm(dim=-1, keepdim=True)
    if _same(scores, dot_score(query, key)):
        raise ExerciseError("these are plain dot products: divide by the norms of q and k")
    if _same(scores, dot_score(q_unit, key)):
        raise ExerciseError("only the queries are normalised: divide by the norms of the keys too")
    if (scores.abs() > 1 + 1e-6).any():
        raise ExerciseError(
            f"a cosine lies in [-1, 1], but a score is {scores.abs().max().item():.3g}"
        )
    expect_close(scores, expected, "the scores")
    return passed("cosine similarities in [-1, 1], and a zero key scores 0.")
