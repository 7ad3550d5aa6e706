"""Message passing: compute a message on each edge, reduce the messages at each node.

This is the pattern of every layer in this part of the book (the DGL
"edge function / node function" style):

.. math::
    m_{ij} = \\phi(x_j, x_i) \\ \\text{for each edge } j \\to i, \\qquad
    h_i = \\bigoplus_{j \\in N(i)} m_{ij}

with ``phi`` the *message* function and ``(+)`` a *reduce* (sum, mean or max).
GCN is ``phi = x_j / c_ij`` with a sum; GAT is ``phi = alpha_ij z_j`` with a
sum. :func:`propagate` runs any such pair on an edge list. The layers compute
their sums with :mod:`gattut.graph.spmm` (gather and scatter-add on the
readable path, sparse products on the fast one), which gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from gattut.graph.ops import check_edge_index, scatter_max, scatter_mean, scatter_sum

__all__ = ["copy_source", "propagate"]

_REDUCERS = {"sum": scatter_sum, "mean": scatter_mean, "max": scatter_max}


def copy_source(x_j: Tensor, x_i: Tensor) -> Tensor:
    """The simplest message: the source's features, ``m_ij = x_j``."""
    return x_j


def propagate(edge_index: Tensor, x: Tensor,
              message: Callable[[Tensor, Tensor], Tensor] = copy_source,
              reduce: str = "sum", num_nodes: int | None = None) -> Tensor:
    """Run ``h_i = reduce_{j in N(i)} message(x_j, x_i)`` over an edge list.

    Args:
        edge_index: ``(2, E)``; row 0 sources ``j``, row 1 targets ``i``.
        x: node features; ``message`` receives them gathered per edge.
        message: ``(x_j, x_i) -> m`` on all edges at once; ``x_j = x[edge_index[0]]``,
            ``x_i = x[edge_index[1]]``. Per-edge quantities (GCN's ``1/c_ij``, GAT's
            ``alpha_ij``) enter through a closure, in edge order.
        reduce: ``"sum"``, ``"mean"`` or ``"max"``. Nodes with no incoming edge get zeros.
        num_nodes: ``N``; defaults to ``x.shape[0]``.

    Shapes:
        edge_index: (2, E); x: (N, *) -> messages: (E, *') -> out: (N, *').
    """
    if reduce not in _REDUCERS:
        raise ValueError(f"reduce must be one of {sorted(_REDUCERS)}, got {reduce!r}")
    N = x.shape[0] if num_nodes is None else num_nodes
    check_edge_index(edge_index, N, "propagate edge_index")
    j, i = edge_index[0], edge_index[1]
    messages = message(x[j], x[i])  # (E, *'): one message per edge j -> i
    if messages.shape[0] != edge_index.shape[1]:
        raise ValueError(
            f"message returned {messages.shape[0]} rows for {edge_index.shape[1]} edges"
        )
    return _REDUCERS[reduce](messages, i, N)  # (N, *')
