"""Operations on edge lists: self-loops, degrees, GCN weights, scatter reductions, edge softmax.

Everything here works on an ``edge_index`` of shape ``(2, E)`` whose row 0
holds sources ``j`` and row 1 targets ``i`` (messages flow ``j -> i``). A
per-edge tensor has ``E`` rows in the same order as the columns of
``edge_index``; a per-node tensor has ``N`` rows.

The scatter helpers are thin wrappers over ``Tensor.index_add_`` and
``Tensor.index_reduce_``: both take a 1-D index along dimension 0, so an
``(E, H)`` tensor of per-head scores never needs an ``(E, H)`` copy of its
index.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

__all__ = [
    "add_self_loops",
    "check_edge_index",
    "degree",
    "edge_softmax",
    "remove_self_loops",
    "scatter_max",
    "scatter_mean",
    "scatter_sum",
    "sym_norm",
]


def check_edge_index(edge_index: Tensor, num_nodes: int, where: str = "edge_index",
                     num_dst: int | None = None) -> None:
    """Raise ``ValueError`` unless ``edge_index`` is a ``(2, E)`` integer tensor with ids in range.

    Ids are checked against ``[0, N)``; with ``num_dst`` (two node sets),
    sources against ``[0, num_nodes)`` and targets against ``[0, num_dst)``.
    The message names ``where`` (the caller) and the shape, dtype or id that is wrong.

    Shapes:
        edge_index: (2, E).
    """
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.shape[0] != 2:
        shape = tuple(edge_index.shape) if isinstance(edge_index, Tensor) else type(edge_index)
        raise ValueError(f"{where} must have shape (2, E), got {shape}")
    if edge_index.is_floating_point() or edge_index.is_complex() or edge_index.dtype == torch.bool:
        raise ValueError(f"{where} must be an integer (long) tensor, got dtype {edge_index.dtype}")
    if not edge_index.numel():
        return
    parts = [(edge_index, num_nodes, "node")] if num_dst is None else [
        (edge_index[0], num_nodes, "source node"), (edge_index[1], num_dst, "target node")]
    for ids, count, what in parts:
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0:
            raise ValueError(f"{where} has negative {what} id {lo}")
        if hi >= count:
            raise ValueError(f"{where} has {what} id {hi} but there are only {count} "
                             f"{what}s (ids must be < {count})")


def remove_self_loops(edge_index: Tensor) -> Tensor:
    """Drop every edge ``i -> i``; other edges keep their order (duplicates included).

    Shapes:
        edge_index: (2, E) -> (2, E') with E' <= E.
    """
    keep = edge_index[0] != edge_index[1]
    return edge_index[:, keep]


def add_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Remove existing self-loops, then append exactly one loop ``i -> i`` per node.

    This is what PyTorch Geometric's ``GATConv`` does (``remove_self_loops``
    then ``add_self_loops``) and, without edge weights, what its ``GCNConv``
    does (``add_remaining_self_loops``): the other edges keep their order and
    the ``N`` loops come last, in node order, so per-edge outputs line up with
    PyG's edge by edge. Every node then has at least one incoming edge, so no
    node is left without attention.

    Shapes:
        edge_index: (2, E) -> (2, E' + N), where E' counts the edges that are not loops.
    """
    loops = torch.arange(num_nodes, device=edge_index.device, dtype=edge_index.dtype)
    return torch.cat([remove_self_loops(edge_index), loops.expand(2, num_nodes)], dim=1)


def degree(index: Tensor, num_nodes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Count how often each node appears in ``index``: ``deg_i = |{e : index_e = i}|``.

    Pass ``edge_index[1]`` for in-degrees (the neighbourhood ``N(i)`` that node
    ``i`` aggregates over), ``edge_index[0]`` for out-degrees.

    Shapes:
        index: (E,) -> (N,).
    """
    ones = torch.ones(index.shape[0], dtype=dtype, device=index.device)
    return torch.zeros(num_nodes, dtype=dtype, device=index.device).index_add_(0, index, ones)


def sym_norm(edge_index: Tensor, num_nodes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """GCN's edge weights ``1 / c_ij = 1 / (sqrt(deg_i) sqrt(deg_j))`` (Kipf & Welling 2017).

    ``deg`` is the in-degree over ``edge_index`` as given, so add self-loops
    first to get the paper's ``D^-1/2 (A + I) D^-1/2``. A node of degree 0
    gets weight 0 instead of ``inf`` (the same choice as PyG's ``gcn_norm``).

    Shapes:
        edge_index: (2, E) -> (E,).
    """
    j, i = edge_index[0], edge_index[1]
    deg = degree(i, num_nodes, dtype)  # (N,)
    deg_inv_sqrt = deg.pow(-0.5).masked_fill(deg == 0, 0.0)  # (N,)
    return deg_inv_sqrt[j] * deg_inv_sqrt[i]  # (E,)


def scatter_sum(src: Tensor, index: Tensor, num_nodes: int) -> Tensor:
    """``out_i = sum_{e : index_e = i} src_e``; nodes that receive nothing get 0.

    Shapes:
        src: (E, *) and index: (E,) -> (N, *).
    """
    out = src.new_zeros((num_nodes, *src.shape[1:]))
    return out.index_add_(0, index, src)


def scatter_mean(src: Tensor, index: Tensor, num_nodes: int) -> Tensor:
    """``out_i = mean_{e : index_e = i} src_e``; nodes that receive nothing get 0.

    Shapes:
        src: (E, *) and index: (E,) -> (N, *).
    """
    total = scatter_sum(src, index, num_nodes)  # (N, *)
    count = degree(index, num_nodes, src.dtype).clamp(min=1)  # (N,)
    return total / count.view(-1, *([1] * (src.dim() - 1)))


def scatter_max(src: Tensor, index: Tensor, num_nodes: int) -> Tensor:
    """``out_i = max_{e : index_e = i} src_e``; nodes that receive nothing get 0.

    Gradients flow to the maximal entries (split evenly between ties), as
    for ``torch.amax``.

    Shapes:
        src: (E, *) and index: (E,) -> (N, *).
    """
    out = src.new_zeros((num_nodes, *src.shape[1:]))
    # include_self=False: a node's result is the max of what it receives, not
    # of that and the zero it started from; untouched nodes keep the zero.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # index_reduce calls itself "beta"
        return out.index_reduce(0, index, src, "amax", include_self=False)


def _segment_or_scatter(src: Tensor, index: Tensor, num_nodes: int, reduce: str,
                        ptr: Tensor | None) -> Tensor:
    """Sum or max per node: a segment reduction when edges are sorted by node, else a scatter."""
    if ptr is not None:
        # Sorted edges: node i owns positions ptr[i]:ptr[i+1]. A segment reduction
        # reads them in one pass, several times faster than a scatter on a CPU.
        return torch.segment_reduce(src, reduce, offsets=ptr, axis=0, unsafe=True)
    return scatter_sum(src, index, num_nodes) if reduce == "sum" else scatter_max(src, index, num_nodes)


class _EdgeSoftmax(torch.autograd.Function):
    """The four steps of :func:`edge_softmax`, with the gradient written out.

    Autograd through the four steps would keep ``exp`` and the gathered sums
    for the backward pass (two more ``(E, H)`` tensors). The softmax's
    gradient needs only its output: for ``alpha = softmax(e)`` over the edges
    into ``i`` and an upstream gradient ``g``,
    ``dL/de_ij = alpha_ij (g_ij - sum_{k in N(i)} alpha_ik g_ik)``.
    """

    @staticmethod
    def forward(ctx, scores: Tensor, index: Tensor, num_nodes: int, ptr: Tensor | None) -> Tensor:
        # 1) the largest score per target node: a shift, not part of the model.
        m = _segment_or_scatter(scores, index, num_nodes, "max", ptr)  # (N,) or (N, H)
        # 2) subtract and exponentiate: every exponent is <= 0, so nothing overflows.
        alpha = (scores - m.index_select(0, index)).exp_()  # (E,) or (E, H)
        # 3) sum per target node and 4) divide each edge by its node's sum.
        denom = _segment_or_scatter(alpha, index, num_nodes, "sum", ptr)  # (N,) or (N, H)
        alpha.div_(denom.index_select(0, index))  # (E,) or (E, H)
        ctx.save_for_backward(alpha, index, ptr)
        ctx.num_nodes = num_nodes
        return alpha

    @staticmethod
    def backward(ctx, grad: Tensor):
        alpha, index, ptr = ctx.saved_tensors
        weighted = alpha * grad  # (E,) or (E, H): alpha_ik g_ik
        per_node = _segment_or_scatter(weighted, index, ctx.num_nodes, "sum", ptr)  # (N,) or (N, H)
        # alpha (g - sum_k alpha g), computed in place in `weighted`.
        return weighted.sub_(alpha * per_node.index_select(0, index)), None, None, None


def edge_softmax(scores: Tensor, index: Tensor, num_nodes: int, ptr: Tensor | None = None) -> Tensor:
    """Softmax of edge scores over the edges that share a target node.

    .. math::
        \\alpha_{ij} = \\frac{\\exp(e_{ij} - m_i)}{\\sum_{k \\in N(i)} \\exp(e_{ik} - m_i)},
        \\qquad m_i = \\max_{k \\in N(i)} e_{ik}

    Subtracting the per-node maximum ``m_i`` (which does not change the
    result) keeps ``exp`` from overflowing; as a constant shift it takes no
    part in the gradient. Each head (column) is normalised on its own. Nodes
    with no incoming edges simply own no entries of the output. For each
    node, the result equals a dense softmax over its row of an ``N x N`` score
    matrix with ``-inf`` where there is no edge (tested, values and gradients).

    The steps (1: scatter-max, 2: subtract and exp, 3: scatter-sum, 4: gather
    back and divide) are in :class:`_EdgeSoftmax`, which also writes out the
    gradient so that only ``alpha`` is kept for the backward pass.

    Args:
        scores: ``e``, one score per edge (and head).
        index: the target node ``i`` of each edge, usually ``edge_index[1]``.
        num_nodes: ``N``.
        ptr: optional; when the edges are sorted by ``index``, the ``(N + 1,)``
            offsets of each node's edges (``EdgeCSR.crow``). The sums and maxima
            then run as segment reductions, which is faster.

    Shapes:
        scores: (E,) or (E, H); index: (E,); ptr: (N + 1,) -> alpha: same shape as scores.
    """
    if scores.shape[0] != index.shape[0] or index.dim() != 1:
        raise ValueError(
            f"edge_softmax: scores {tuple(scores.shape)} and index {tuple(index.shape)} "
            "must have the same number of edges E, with index of shape (E,)"
        )
    if ptr is not None and tuple(ptr.shape) != (num_nodes + 1,):
        raise ValueError(f"edge_softmax: ptr must be ({num_nodes + 1},), got {tuple(ptr.shape)}")
    return _EdgeSoftmax.apply(scores, index, num_nodes, ptr)
