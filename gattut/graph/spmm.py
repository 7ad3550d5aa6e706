"""The weighted neighbourhood sum ``out_i = sum_j alpha_ij x_j``, per head, two ways.

This sum is the last step of GCN (weights ``1/c_ij``) and of GAT (weights
``alpha_ij``). Read as matrices, it is a sparse matrix times a dense one: for
each head ``h``, ``A_h`` is the ``N x N`` matrix with ``A_h[i, j] = alpha_ij``
on the edges and zeros elsewhere, and ``out[:, h] = A_h @ x[:, h]``.

* :func:`spmm_reference` is the readable path: gather ``x_j`` for every edge,
  scale it, and add it into its target. It builds an ``(E, H, C)`` tensor of
  messages, which is what dominates the memory of a GAT layer on a big graph
  (PyTorch Geometric's ``GATConv`` does the same).
* :func:`spmm` is the fast path: one sparse (CSR) product per head, which never
  materialises per-edge messages. Its backward pass is written out by hand
  (:class:`_EdgeSpMM`), because the gradient with respect to the edge weights
  is a *sampled* dense product, ``d alpha_ij = <g_i, x_j>`` on the edges only,
  which ``torch.sparse.sampled_addmm`` computes without an ``(E, H, C)`` tensor.

A CSR matrix lists its entries row by row, so the fast path needs the edges
sorted by target (:func:`csr_by_target`). A layer that sorts its edges once can
then run its whole edge computation in that order (:func:`spmm_csr`).

Both paths give the same numbers (tested, values and gradients, with duplicate
edges and nodes without edges).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
from torch import Tensor

from gattut.graph.ops import scatter_sum

__all__ = [
    "EdgeCSR", "GraphCache", "csr_by_target", "edge_pair_sum", "spmm", "spmm_csr", "spmm_reference",
    "spmm_segments",
]


class EdgeCSR(NamedTuple):
    """An edge list sorted by target node (compressed sparse rows of ``A``, ``A[i, j]`` for ``j -> i``).

    The edges of node ``i`` are the sorted positions ``crow[i]:crow[i+1]``;
    sorted edge ``k`` goes from ``col[k]`` to ``row[k]`` and was edge
    ``perm[k]`` of the original list. ``t_crow, t_col, t_perm`` describe
    ``A^T`` the same way (the sorted edges, sorted again by source), which the
    backward pass of :func:`spmm_csr` needs.
    """

    crow: Tensor  # (N + 1,) offsets
    col: Tensor  # (E,) source j of each sorted edge
    row: Tensor  # (E,) target i of each sorted edge (non-decreasing)
    perm: Tensor  # (E,) original position of each sorted edge
    t_crow: Tensor  # (N + 1,) offsets of A^T
    t_col: Tensor  # (E,) target i, edges sorted by source
    t_perm: Tensor  # (E,) position in CSR order of each edge of A^T


def _sort_rows(rows: Tensor, num_nodes: int) -> tuple[Tensor, Tensor, Tensor]:
    """Stable sort of row ids; returns (sorted rows, permutation, (N + 1,) offsets)."""
    sorted_rows, perm = torch.sort(rows, stable=True)  # (E,), (E,)
    counts = torch.bincount(rows, minlength=num_nodes)  # (N,)
    crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=rows.device)
    torch.cumsum(counts, 0, out=crow[1:])
    return sorted_rows, perm, crow


def csr_by_target(edge_index: Tensor, num_nodes: int, num_src: int | None = None) -> EdgeCSR:
    """Sort edges by target ``i`` (a stable sort: edges into one node keep their order).

    ``num_nodes`` counts the targets; ``num_src`` the sources when they are
    another node set (bipartite input), else the same nodes.

    Shapes:
        edge_index: (2, E) -> crow: (N_dst + 1,); t_crow: (N_src + 1,);
        col, row, perm, t_col, t_perm: (E,).
    """
    num_src = num_nodes if num_src is None else num_src
    j, i = edge_index[0], edge_index[1]
    row, perm, crow = _sort_rows(i, num_nodes)
    col = j.index_select(0, perm)  # (E,)
    _, t_perm, t_crow = _sort_rows(col, num_src)
    t_col = row.index_select(0, t_perm)  # (E,)
    if max(j.shape[0], num_nodes, num_src) < 2**31 - 1:
        # The sparse kernels work on 32-bit indices and would convert 64-bit ones at
        # every product; converting once here also halves the memory of the structure.
        crow, col, t_crow, t_col = (t.int() for t in (crow, col, t_crow, t_col))
    return EdgeCSR(crow, col, row, perm, t_crow, t_col, t_perm)


def _csr_matrix(crow: Tensor, col: Tensor, values: Tensor, num_cols: int) -> Tensor:
    """The ``(len(crow) - 1, num_cols)`` CSR matrix of these entries."""
    # The structure is built here from sorted, in-range ids, so the invariant
    # checks would only cost time; CSR support also warns that it is "beta".
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, (crow.shape[0] - 1, num_cols),
                                       check_invariants=False)


def _no_autocast(t: Tensor):
    """A context that turns autocast off on ``t``'s device (the sums run in ``t``'s dtype)."""
    return torch.autocast(device_type=t.device.type, enabled=False)


class _EdgeSpMM(torch.autograd.Function):
    """``out[:, h] = A_h @ x[:, h]`` with ``A_h[i, j] = alpha[k, h]`` for sorted edge ``k = (j, i)``.

    Backward, for each head (``g`` the gradient of ``out``):
    ``d x[:, h] = A_h^T @ g[:, h]`` (a product with the transposed pattern) and
    ``d alpha[k, h] = <g[i, h], x[j, h]>`` (a dense product sampled on the edges).
    """

    @staticmethod
    def forward(ctx, alpha: Tensor, x: Tensor, csr: EdgeCSR) -> Tensor:
        N, H, C = x.shape  # N sources; the output has one row per target
        x_h = x.transpose(0, 1).contiguous()  # (H, N, C)
        alpha_h = alpha.t().contiguous()  # (H, E), CSR order
        out = x.new_empty(H, csr.crow.shape[0] - 1, C)  # (H, N_dst, C)
        with _no_autocast(x):  # autocast would cast the products back to half precision
            for h in range(H):
                out[h] = _csr_matrix(csr.crow, csr.col, alpha_h[h], N) @ x_h[h]  # (N_dst, N) @ (N, C)
        ctx.save_for_backward(alpha_h, x_h, *csr)
        return out.transpose(0, 1)  # (N_dst, H, C)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        with _no_autocast(grad_out):
            return _EdgeSpMM._backward(ctx, grad_out.to(ctx.saved_tensors[1].dtype))

    @staticmethod
    def _backward(ctx, grad_out: Tensor):
        alpha_h, x_h, *parts = ctx.saved_tensors
        csr = EdgeCSR(*parts)
        H, N, C = x_h.shape  # N sources
        N_dst = csr.crow.shape[0] - 1
        g_h = grad_out.transpose(0, 1).contiguous()  # (H, N_dst, C)
        grad_alpha = grad_x = None
        if ctx.needs_input_grad[0]:
            # Only the pattern of this matrix matters: beta=0 ignores its values.
            pattern = _csr_matrix(csr.crow, csr.col, alpha_h.new_zeros(csr.col.shape[0]), N)
            grad_h = alpha_h.new_empty(alpha_h.shape)  # (H, E)
            for h in range(H):
                sampled = torch.sparse.sampled_addmm(pattern, g_h[h], x_h[h].t(), beta=0.0)
                grad_h[h] = sampled.values()  # <g_i, x_j> on each edge
            grad_alpha = grad_h.t()  # (E, H)
        if ctx.needs_input_grad[1]:
            alpha_t = alpha_h.index_select(1, csr.t_perm)  # (H, E), sorted by source
            grad_x = x_h.new_empty(H, N, C)  # (H, N, C)
            for h in range(H):
                a_t = _csr_matrix(csr.t_crow, csr.t_col, alpha_t[h], N_dst)  # A_h^T
                grad_x[h] = a_t @ g_h[h]  # (N, N_dst) @ (N_dst, C)
            grad_x = grad_x.transpose(0, 1)  # (N, H, C)
        return grad_alpha, grad_x, None


class _EdgePairSum(torch.autograd.Function):
    """``src[j] + dst[i]`` on every sorted edge ``j -> i``.

    The gradient of a gather is a scatter-add per node. With the edges sorted
    by target, the sum for ``dst`` is a segment reduction over ``crow``; the
    edges sorted by source (``t_perm``, ``t_crow``) give the one for ``src``.
    Both are several times faster on a CPU than ``index_add_``.
    """

    @staticmethod
    def forward(ctx, src: Tensor, dst: Tensor, csr: EdgeCSR) -> Tensor:
        ctx.save_for_backward(csr.crow, csr.t_crow, csr.t_perm)
        return src.index_select(0, csr.col) + dst.index_select(0, csr.row)  # (E, *)

    @staticmethod
    def backward(ctx, grad: Tensor):
        crow, t_crow, t_perm = ctx.saved_tensors
        grad_dst = torch.segment_reduce(grad, "sum", offsets=crow, axis=0, unsafe=True)  # (N, *)
        by_source = grad.index_select(0, t_perm)  # (E, *), sorted by source
        grad_src = torch.segment_reduce(by_source, "sum", offsets=t_crow, axis=0, unsafe=True)
        return grad_src, grad_dst, None


def edge_pair_sum(csr: EdgeCSR, src: Tensor, dst: Tensor) -> Tensor:
    """``out_k = src[j_k] + dst[i_k]`` for each edge ``k = (j, i)`` in CSR order (GAT's score halves).

    Shapes:
        src, dst: (N, *) -> (E, *), in the order of ``csr``.
    """
    return _EdgePairSum.apply(src, dst, csr)


class GraphCache:
    """Remembers one value a layer computed from an ``edge_index`` (its sorted form, GCN's weights).

    Transductive training passes the same graph at every step; sorting it
    again each time would cost as much as the attention. The cache returns
    its value only for the same graph: an ``edge_index`` equal, element by
    element, to a private copy of the one it was built from (``O(E)``, far
    less than the sort), with the same ``key`` (node counts and the layer's
    settings, such as ``add_self_loops``), dtype, device and inference mode.
    A tensor changed in place, even through a NumPy view that no version
    counter sees, is another graph and is prepared (and checked) again.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._edges: Tensor | None = None
        self._value = None

    def get(self, edge_index: Tensor, key, build):
        if not isinstance(edge_index, Tensor):
            return build()  # build() checks it and says what is wrong
        # A value built under inference mode holds inference tensors, which autograd
        # cannot save for a backward pass: the mode is part of the key.
        full = (key, edge_index.dtype, edge_index.device, tuple(edge_index.shape),
                torch.is_inference_mode_enabled())
        if self._key == full and torch.equal(self._edges, edge_index):
            return self._value
        value = build()
        self._key, self._edges, self._value = full, edge_index.detach().clone(), value
        return value


def _as_heads(alpha: Tensor, x: Tensor) -> tuple[Tensor, Tensor, bool]:
    """Give one-head inputs a head axis: alpha (E,) -> (E, 1), x (N, C) -> (N, 1, C)."""
    if alpha.dim() == 1 and x.dim() == 2:
        return alpha.unsqueeze(1), x.unsqueeze(1), True
    if alpha.dim() == 2 and x.dim() == 3 and alpha.shape[1] == x.shape[1]:
        return alpha, x, False
    raise ValueError(
        f"spmm: weights must be (E,) with x (N, C), or (E, H) with x (N, H, C); "
        f"got weights {tuple(alpha.shape)} and x {tuple(x.shape)}"
    )


def spmm_csr(csr: EdgeCSR, alpha: Tensor, x: Tensor, num_nodes: int | None = None) -> Tensor:
    """:func:`spmm` for edges already sorted by target: ``alpha`` is in the order of ``csr``.

    Shapes:
        alpha: (E,) or (E, H), CSR order; x: (N, C) or (N, H, C) -> (N, C) or (N, H, C).
    """
    alpha, x, squeeze = _as_heads(alpha, x)
    if alpha.shape[0] != csr.col.shape[0]:
        raise ValueError(f"spmm: {alpha.shape[0]} weights for {csr.col.shape[0]} edges")
    if num_nodes is not None and num_nodes != x.shape[0]:
        raise ValueError(f"spmm: x has {x.shape[0]} rows but num_nodes is {num_nodes}")
    # Under bf16/fp16 autocast the inputs arrive in half precision, for which torch has
    # no sparse CSR product on every backend (the CPU's MKL kernel has none), and a sum
    # over many neighbours loses the most there anyway: aggregate in float32.
    dtype = torch.promote_types(alpha.dtype, x.dtype)
    if dtype in (torch.float16, torch.bfloat16):
        dtype = torch.float32
    alpha, x = alpha.to(dtype), x.to(dtype)
    if x.is_cuda:
        # On a GPU the per-head loop of sparse products costs more in launches than in
        # arithmetic; gathering all heads' messages at once is faster there.
        out = spmm_segments(csr, alpha, x)  # (N, H, C)
    else:
        out = _EdgeSpMM.apply(alpha, x, csr)  # (N, H, C)
    return out.squeeze(1) if squeeze else out


def spmm_segments(csr: EdgeCSR, alpha: Tensor, x: Tensor) -> Tensor:
    """The same sum for edges sorted by target, all heads at once: gather ``x_j``, scale, sum each node's run.

    Memory ``O(E H C)`` for the messages, like :func:`spmm_reference`, but the sums
    are segment reductions over the sorted edges (no scatter). The GPU path of
    :func:`spmm_csr`, and the one of many heads on a GPU.

    Shapes:
        alpha: (E, H), CSR order; x: (N, H, C) -> (N, H, C).
    """
    messages = alpha.unsqueeze(-1) * x.index_select(0, csr.col)  # (E, H, 1) * (E, H, C)
    return torch.segment_reduce(messages, "sum", offsets=csr.crow, axis=0, unsafe=True)  # (N, H, C)


def spmm(edge_index: Tensor, alpha: Tensor, x: Tensor, num_nodes: int | None = None) -> Tensor:
    """Weighted neighbourhood sum through sparse products: ``out_i = sum_{j in N(i)} alpha_ij x_j``.

    Duplicate edges each contribute (their weights add up); nodes with no
    incoming edge get zeros. Differentiable in ``alpha`` and ``x``.

    Args:
        edge_index: ``(2, E)``, row 0 sources ``j``, row 1 targets ``i``.
        alpha: edge weights, one per edge (and head), in the order of ``edge_index``.
        x: source features.
        num_nodes: ``N``; must equal ``x.shape[0]`` when given.

    Shapes:
        edge_index: (2, E); alpha: (E,) or (E, H); x: (N, C) or (N, H, C) -> (N, C) or (N, H, C).
    """
    if alpha.shape[0] != edge_index.shape[1]:
        raise ValueError(f"spmm: {alpha.shape[0]} weights for {edge_index.shape[1]} edges")
    csr = csr_by_target(edge_index, x.shape[0])
    return spmm_csr(csr, alpha.index_select(0, csr.perm), x, num_nodes)


def spmm_reference(edge_index: Tensor, alpha: Tensor, x: Tensor,
                   num_nodes: int | None = None) -> Tensor:
    """The same sum, written as it reads: gather ``x_j`` per edge, scale, scatter-add to ``i``.

    Memory ``O(E H C)`` for the messages; use it to read, :func:`spmm` to run.

    Shapes:
        edge_index: (2, E); alpha: (E,) or (E, H); x: (N, C) or (N, H, C) -> (N, C) or (N, H, C).
    """
    alpha, x, squeeze = _as_heads(alpha, x)
    N = x.shape[0] if num_nodes is None else num_nodes
    j, i = edge_index[0], edge_index[1]
    messages = alpha.unsqueeze(-1) * x[j]  # (E, H, 1) * (E, H, C) -> (E, H, C)
    out = scatter_sum(messages, i, N)  # (N, H, C)
    return out.squeeze(1) if squeeze else out
