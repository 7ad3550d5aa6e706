"""Checkers for chapter 7, positional encoding."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.attention import layout_permutation, sinusoidal_encoding
from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed

__all__ = ["check_sinusoidal_encoding", "check_interleaved_to_sin_cos"]


def _same(actual: torch.Tensor, expected: torch.Tensor) -> bool:
    return actual.shape == expected.shape and torch.allclose(
        actual.detach().to(expected.dtype), expected, atol=1e-5
    )


def check_sinusoidal_encoding(fn: Callable) -> str:
    r"""Check ``fn(length, d_model) -> (length, d_model)``, the interleaved layout of the Transformer.

    Column ``2i`` holds :math:`\sin(p / 10000^{2i/D})`, column ``2i + 1`` the cosine.
    """
    L, D = 12, 8
    pe = call(fn, L, D, what="your sinusoidal_encoding")
    expect_shape(pe, (L, D), "the encoding")
    pe = pe.detach().to(torch.float64)
    expected = sinusoidal_encoding(L, D).to(torch.float64)
    angles = torch.arange(L, dtype=torch.float64)[:, None] * 10000 ** (
        -torch.arange(0, D, 2, dtype=torch.float64) / D
    )  # (L, D/2)
    if _same(pe, sinusoidal_encoding(L, D, "sin_cos").to(torch.float64)):
        raise ExerciseError(
            "this is the [sin | cos] layout (all sines, then all cosines). The Transformer "
            "interleaves them: column 2i is a sine, column 2i + 1 the cosine of the same angle"
        )
    if _same(pe, torch.stack([angles.cos(), angles.sin()], dim=-1).reshape(L, D)):
        raise ExerciseError("sine and cosine are swapped: column 2i is the sine, 2i + 1 the cosine")
    if _same(pe, torch.stack([(angles + 1).sin(), (angles + 1).cos()], dim=-1).reshape(L, D)) or (
        _same(pe[:-1], expected[1:])
    ):
        raise ExerciseError("positions start at 0: row 0 must be [0, 1, 0, 1, ...]")
    slow = torch.arange(L, dtype=torch.float64)[:, None] * 10000 ** (
        -torch.arange(D // 2, dtype=torch.float64) / D
    )  # exponent i / D instead of 2i / D
    if _same(pe, torch.stack([slow.sin(), slow.cos()], dim=-1).reshape(L, D)):
        raise ExerciseError(
            "the frequencies use the exponent i / D; the paper's is 2i / D, i.e. "
            "10000 ** (-torch.arange(0, D, 2) / D)"
        )
    expect_close(pe, expected, "the encoding")
    return passed("interleaved sin/cos, angle p / 10000^(2i/D), positions from 0.")


def check_interleaved_to_sin_cos(fn: Callable) -> str:
    """Check ``fn(d_model) -> perm`` with ``sin_cos == interleaved[:, perm]``."""
    for D in (8, 6, 2):
        perm = call(fn, D, what="your permutation")
        if not isinstance(perm, torch.Tensor) or perm.dtype != torch.long:
            raise ExerciseError(
                f"return a LongTensor of column indices, got "
                f"{getattr(perm, 'dtype', type(perm).__name__)}"
            )
        expect_shape(perm, (D,), f"the permutation for D={D}")
        if not torch.equal(perm.sort().values, torch.arange(D)):
            raise ExerciseError(
                f"{perm.tolist()} is not a permutation of 0 .. {D - 1}: each column must be "
                "used exactly once"
            )
        expected = layout_permutation("interleaved", "sin_cos", D)
        inverse = torch.empty_like(expected)
        inverse[expected] = torch.arange(D)
        if D > 4 and torch.equal(perm, inverse):
            raise ExerciseError(
                "that is the inverse permutation: perm[c] must name the column of the "
                "interleaved table that goes to column c of [sin | cos], so sin_cos = interleaved[:, perm]"
            )
        expect_close(perm.double(), expected.double(), f"the permutation for D={D}", atol=0)
    return passed("sin_cos = interleaved[:, perm]: the even columns first, then the odd ones.")
