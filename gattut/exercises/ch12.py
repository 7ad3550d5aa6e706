"""Checkers for chapter 12, reading the attention: per-node entropy and a 2-D PCA."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed
from gattut.graph import edge_softmax, scatter_sum

__all__ = ["check_attention_entropy", "check_pca_2d"]


def _entropy(alpha: torch.Tensor, index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    return -scatter_sum(alpha * torch.log(alpha.clamp(min=1e-30)), index, num_nodes)


def check_attention_entropy(fn: Callable) -> str:
    """Check ``fn(alpha, index, num_nodes)``: ``H_i = -sum_j alpha_ij log alpha_ij`` per node (and head).

    Cases: one head, two heads, and an edge with weight exactly 0 (``0 log 0 = 0``).
    """
    # Targets: node 0 <- 3 edges, node 1 <- 2, node 2 <- 1 (weight 1), node 3 <- none.
    index = torch.tensor([0, 0, 0, 1, 1, 2])
    source = torch.tensor([1, 2, 3, 0, 2, 2])
    N = 4
    gen = torch.Generator().manual_seed(12)
    one = edge_softmax(torch.randn(6, generator=gen, dtype=torch.float64), index, N)
    two = edge_softmax(torch.randn(6, 2, generator=gen, dtype=torch.float64), index, N)
    hard = torch.tensor([1.0, 0.0, 0.0, 0.5, 0.5, 1.0], dtype=torch.float64)  # a zero weight
    for name, alpha in [("one head", one), ("two heads", two), ("a weight of exactly 0", hard)]:
        out = call(fn, alpha, index, N, what="your attention_entropy")
        expect_shape(out, (N, *alpha.shape[1:]), f"the entropies ({name})")
        if not torch.isfinite(out).all():
            raise ExerciseError(
                f"the entropies ({name}) contain NaN: 0 * log(0) is NaN in floating point, but the "
                "entropy term for a zero weight is 0; clamp alpha before the log"
            )
        expected = _entropy(alpha, index, N)
        wrong = {
            "the entropies are negative: H = -sum alpha log alpha (the minus sign is missing)":
                -expected,
            "the entropies are in bits (log2); use the natural log, nats, to compare with log|N(i)|":
                expected / math.log(2),
            "the sums are grouped by source node; group by the target i (the index given)":
                _entropy(alpha, source, N),
        }
        for words, values in wrong.items():
            if torch.allclose(out.to(values.dtype), values, atol=1e-6):
                raise ExerciseError(words)
        expect_close(out, expected, f"the entropies ({name})", atol=1e-6)
    return passed("H_i = -sum_j alpha_ij log alpha_ij per node, 0 log 0 = 0, in nats.")


def check_pca_2d(fn: Callable) -> str:
    """Check ``fn(h) -> (N, 2)``: the centred rows projected on the top two principal directions (up to sign)."""
    gen = torch.Generator().manual_seed(3)
    N, D = 50, 6
    scales = torch.tensor([5.0, 3.0, 1.0, 0.5, 0.2, 0.1], dtype=torch.float64)
    basis = torch.linalg.qr(torch.randn(D, D, generator=gen, dtype=torch.float64))[0]
    h = (torch.randn(N, D, generator=gen, dtype=torch.float64) * scales) @ basis.T + 10.0  # far from 0
    out = call(fn, h, what="your pca_2d")
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (2, N):
        raise ExerciseError("the result is (2, N); return one row per node, (N, 2)")
    expect_shape(out, (N, 2), "the projection")
    centred = h - h.mean(dim=0)
    Vh = torch.linalg.svd(centred, full_matrices=False)[2]
    expected = centred @ Vh[:2].T  # (N, 2)
    out = out.to(expected.dtype)
    if torch.allclose((h @ Vh[:2].T).abs(), out.abs(), atol=1e-6) or out.mean(dim=0).abs().max() > 1e-6:
        raise ExerciseError(
            "the projection is not centred: subtract the mean of each column before the SVD "
            "(and project the centred rows)"
        )
    if torch.allclose((centred @ Vh[-2:].T).abs(), out.abs(), atol=1e-6) or torch.allclose(
        (centred @ Vh[-2:].flip(0).T).abs(), out.abs(), atol=1e-6
    ):
        raise ExerciseError(
            "these are the two directions of *smallest* variance; singular values come sorted "
            "largest first, so take the first two rows of Vh"
        )
    expect_close(out.abs(), expected.abs(), "the projection (up to sign)", atol=1e-6)
    return passed("centre, SVD, project on the top two right singular vectors.")
