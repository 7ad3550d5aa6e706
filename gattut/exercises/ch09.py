"""Checkers for chapter 9, graphs and message passing: GCN weights and a neighbour mean."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed
from gattut.graph import add_self_loops, degree, propagate, sym_norm

__all__ = ["check_gcn_weights", "check_neighbour_mean"]


def _directed() -> tuple[torch.Tensor, int]:
    # 0 -> 1, 0 -> 2, 1 -> 2, 3 -> 2, 2 -> 4; node 3 receives nothing, in- and out-degrees differ.
    return torch.tensor([[0, 0, 1, 3, 2], [1, 2, 2, 2, 4]]), 5


def check_gcn_weights(fn: Callable) -> str:
    """Check ``fn(edge_index, num_nodes) -> (E,)`` GCN weights ``1 / c_ij``.

    ``c_ij = sqrt((d_i + 1)(d_j + 1))``, with ``d_i = |N(i)|`` the number of
    edges into node ``i`` and ``+ 1`` its self-loop. ``edge_index`` already
    has its self-loops, so a node's in-degree counted on it is ``d_i + 1``.
    The graph is directed, so in- and out-degrees differ and a mix-up shows.
    """
    edge_index, N = _directed()
    loops = add_self_loops(edge_index, N)
    weights = call(fn, loops, N, what="your gcn_weights")
    expect_shape(weights, (loops.shape[1],), "the weights")
    deg = degree(loops[1], N)  # (N,): d_i + 1, the self-loops counted
    j, i = loops[0], loops[1]
    wrong = {
        "the square roots are missing: 1 / c_ij = 1 / sqrt((d_i + 1) * (d_j + 1))":
            1.0 / (deg[i] * deg[j]),
        "the weights are 1 / (d_i + 1) (a mean over neighbours); GCN uses "
        "1 / sqrt((d_i + 1) * (d_j + 1))":
            1.0 / deg[i],
        "the degrees count outgoing edges (edge_index[0]); count incoming edges, edge_index[1]":
            sym_norm(loops.flip(0), N),
    }
    for words, values in wrong.items():
        if torch.allclose(weights.to(values.dtype), values, atol=1e-6):
            raise ExerciseError(words)
    expect_close(weights, sym_norm(loops, N), "the weights", atol=1e-6)
    return passed("1 / c_ij = 1 / sqrt((d_i + 1)(d_j + 1)), the self-loops counted.")


def check_neighbour_mean(fn: Callable) -> str:
    """Check ``fn(x, edge_index) -> (N, F)``: the mean of ``x_j`` over the in-neighbours ``j`` of ``i``."""
    edge_index, N = _directed()
    x = torch.randn(N, 3, generator=torch.Generator().manual_seed(9))
    out = call(fn, x, edge_index, what="your neighbour_mean")
    expect_shape(out, (N, 3), "the neighbour means")
    expected = propagate(edge_index, x, reduce="mean")
    wrong = {
        "messages go the wrong way: node i should average its sources j (edge_index[0]) over the "
        "edges j -> i that end at it (edge_index[1])": propagate(edge_index.flip(0), x, reduce="mean"),
        "this is the sum of the neighbours, not their mean: divide by the in-degree":
            propagate(edge_index, x, reduce="sum"),
    }
    for words, values in wrong.items():
        if torch.allclose(out.to(values.dtype), values, atol=1e-6):
            raise ExerciseError(words)
    if not torch.isfinite(out).all():
        raise ExerciseError(
            "the result has NaN: node 3 has no incoming edge, so divide by max(degree, 1) "
            "and let it get zeros"
        )
    expect_close(out, expected, "the neighbour means", atol=1e-6)
    return passed("mean of x_j over the sources of each node's incoming edges, zeros for none.")
