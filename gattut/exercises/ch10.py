"""Checkers for chapter 10, the GAT layer: the edge softmax and merging heads."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed
from gattut.graph import edge_softmax

__all__ = ["check_edge_softmax", "check_merge_heads"]


def _edges() -> tuple[torch.Tensor, int]:
    # A directed graph whose targets are not sorted: 0 <- {1, 2, 3}, 1 <- {0}, 2 <- {0, 1},
    # node 3 receives nothing, node 4 only its own loop.
    edge_index = torch.tensor([[1, 0, 2, 0, 3, 1, 4], [0, 2, 0, 1, 0, 2, 4]])
    return edge_index, 5


def check_edge_softmax(fn: Callable) -> str:
    """Check ``fn(scores, index, num_nodes) -> alpha``, a softmax over the edges of each target.

    Cases: one head ``(E,)``, several heads ``(E, H)``, and scores in the
    thousands (a softmax without the per-target maximum overflows there).
    """
    edge_index, N = _edges()
    index = edge_index[1]
    gen = torch.Generator().manual_seed(10)
    E = index.shape[0]
    cases = [
        ("one head", torch.randn(E, generator=gen, dtype=torch.float64)),
        ("four heads", torch.randn(E, 4, generator=gen, dtype=torch.float64)),
        ("large scores", 1000.0 + 50 * torch.randn(E, 2, generator=gen, dtype=torch.float64)),
    ]
    for name, scores in cases:
        alpha = call(fn, scores, index, N, what="your edge_softmax")
        expect_shape(alpha, tuple(scores.shape), f"alpha ({name})")
        if not torch.isfinite(alpha).all():
            raise ExerciseError(
                f"alpha ({name}) contains NaN or inf: exp overflows for large scores; subtract "
                "each target's largest score (scatter-max) before exp"
            )
        sums = torch.zeros(N, *scores.shape[1:], dtype=alpha.dtype).index_add(0, index, alpha)
        total = alpha.sum(dim=0)
        if torch.allclose(total, torch.ones_like(total), atol=1e-6) and not torch.allclose(
            sums[index], torch.ones_like(alpha), atol=1e-6
        ):
            raise ExerciseError(
                f"alpha ({name}) sums to one over all edges together; it must sum to one over "
                "the incoming edges of each target node (group the edges by index)"
            )
        by_source = torch.zeros(N, *scores.shape[1:], dtype=alpha.dtype).index_add(
            0, edge_index[0], alpha
        )
        if not torch.allclose(sums[index], torch.ones_like(alpha), atol=1e-6):
            receivers = index.unique()
            if torch.allclose(by_source[edge_index[0]], torch.ones_like(alpha), atol=1e-6):
                raise ExerciseError(
                    f"alpha ({name}) sums to one per source node; it must sum to one per target "
                    "(edge_index[1], the index you were given)"
                )
            off = (sums[receivers] - 1).abs().reshape(len(receivers), -1).amax(dim=1)  # (receivers,)
            bad = int(receivers[off > 1e-6][0])
            raise ExerciseError(
                f"alpha ({name}) should sum to one over the incoming edges of each node: node "
                f"{bad}'s edges sum to {sums[bad].flatten()[0].item():.4g}"
            )
        expect_close(alpha, edge_softmax(scores, index, N), f"alpha ({name})", atol=1e-6)
    return passed("a stable softmax over each node's incoming edges, per head.")


def check_merge_heads(fn: Callable) -> str:
    """Check ``fn(out, concat) -> merged``: ``(N, H, C)`` to ``(N, H*C)`` or the mean ``(N, C)``."""
    N, H, C = 6, 3, 4
    out = torch.randn(N, H, C, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    merged = call(fn, out, True, what="your merge_heads (concat=True)")
    expect_shape(merged, (N, H * C), "the concatenated heads")
    if torch.allclose(merged, out.transpose(1, 2).reshape(N, H * C)):
        raise ExerciseError(
            "the concatenated heads are interleaved feature by feature; keep each head's C "
            "features together: out.reshape(N, H * C)"
        )
    expect_close(merged, out.reshape(N, H * C), "the concatenated heads")
    merged = call(fn, out, False, what="your merge_heads (concat=False)")
    if isinstance(merged, torch.Tensor) and merged.dim() == 0:
        raise ExerciseError(
            "averaging returned a single number: a mean with no dim averages over every axis. "
            "Average over the head axis only: out.mean(dim=1)"
        )
    if isinstance(merged, torch.Tensor) and tuple(merged.shape) == (N, H):
        raise ExerciseError(
            "averaging gave shape (N, H): that is the mean over features; average over the "
            "head axis instead (dim=1), giving (N, C)"
        )
    expect_shape(merged, (N, C), "the averaged heads")
    if torch.allclose(merged, out.sum(dim=1)):
        raise ExerciseError("the heads are summed, not averaged: divide by H (or use mean(dim=1))")
    expect_close(merged, out.mean(dim=1), "the averaged heads")
    return passed("concatenate (N, H*C) in hidden layers, average over heads (N, C) at the output.")
