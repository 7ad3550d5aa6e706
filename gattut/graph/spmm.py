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

Both give the same numbers (tested, values and gradients, with duplicate
edges and nodes without edges).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
from torch import Tensor

from gattut.graph.ops import scatter_sum

__all__ = ["EdgeCSR", "csr_by_target", "spmm", "spmm_reference"]


class EdgeCSR(NamedTuple):
    """An edge list sorted into compressed rows.

    ``crow[r]:crow[r+1]`` are the positions (in sorted order) of the edges of
    row ``r``; ``col`` holds their other endpoint, ``perm`` their position in
    the original edge list.
    """

    crow: Tensor  # (N + 1,)
    col: Tensor  # (E,)
    perm: Tensor  # (E,)


def csr_by_target(edge_index: Tensor, num_nodes: int, transpose: bool = False) -> EdgeCSR:
    """Sort edges by target ``i`` (rows of ``A``), or by source ``j`` with ``transpose=True``.

    Shapes:
        edge_index: (2, E) -> crow: (N + 1,), col: (E,), perm: (E,).
    """
    rows, cols = (edge_index[0], edge_index[1]) if transpose else (edge_index[1], edge_index[0])
    perm = torch.argsort(rows, stable=True)  # (E,)
    counts = torch.bincount(rows, minlength=num_nodes)  # (N,)
    crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=rows.device)
    torch.cumsum(counts, 0, out=crow[1:])
    return EdgeCSR(crow, cols[perm], perm)


def _csr_matrix(csr: EdgeCSR, values: Tensor, num_nodes: int) -> Tensor:
    # The structure is built here from sorted, in-range ids, so the invariant
    # checks would only cost time; CSR support also warns that it is "beta".
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            csr.crow, csr.col, values, (num_nodes, num_nodes), check_invariants=False
        )


class _EdgeSpMM(torch.autograd.Function):
    """``out[:, h] = A_h @ x[:, h]`` with ``A_h[i, j] = alpha[e, h]`` for edge ``e = (j, i)``.

    Backward, for each head (``g`` the gradient of ``out``):
    ``d x[:, h] = A_h^T @ g[:, h]`` (a product with the transposed pattern) and
    ``d alpha[e, h] = <g[i, h], x[j, h]>`` (a dense product sampled on the edges).
    """

    @staticmethod
    def forward(ctx, alpha: Tensor, x: Tensor, by_target: EdgeCSR, by_source: EdgeCSR) -> Tensor:
        N, H, C = x.shape
        x_h = x.transpose(0, 1).contiguous()  # (H, N, C)
        alpha_h = alpha[by_target.perm].t().contiguous()  # (H, E) in CSR order
        out = x.new_empty(H, N, C)  # (H, N, C)
        for h in range(H):
            out[h] = _csr_matrix(by_target, alpha_h[h], N) @ x_h[h]  # (N, N) @ (N, C)
        ctx.save_for_backward(alpha, x_h)
        ctx.by_target, ctx.by_source = by_target, by_source
        return out.transpose(0, 1)  # (N, H, C)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        alpha, x_h = ctx.saved_tensors
        by_target, by_source = ctx.by_target, ctx.by_source
        H, N, C = x_h.shape
        g_h = grad_out.transpose(0, 1).contiguous()  # (H, N, C)
        grad_alpha = grad_x = None
        if ctx.needs_input_grad[0]:
            # Only the pattern of this matrix matters: beta=0 ignores its values.
            pattern = _csr_matrix(by_target, alpha.new_zeros(alpha.shape[0]), N)
            grad_sorted = alpha.new_empty(H, alpha.shape[0])  # (H, E) in CSR order
            for h in range(H):
                sampled = torch.sparse.sampled_addmm(pattern, g_h[h], x_h[h].t(), beta=0.0)
                grad_sorted[h] = sampled.values()  # <g_i, x_j> on each edge
            grad_alpha = torch.empty_like(alpha)  # (E, H)
            grad_alpha[by_target.perm] = grad_sorted.t()
        if ctx.needs_input_grad[1]:
            alpha_t = alpha[by_source.perm].t().contiguous()  # (H, E) in transposed order
            grad_x = x_h.new_empty(H, N, C)  # (H, N, C)
            for h in range(H):
                grad_x[h] = _csr_matrix(by_source, alpha_t[h], N) @ g_h[h]  # A_h^T @ g_h
            grad_x = grad_x.transpose(0, 1)  # (N, H, C)
        return grad_alpha, grad_x, None, None


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


def spmm(edge_index: Tensor, alpha: Tensor, x: Tensor, num_nodes: int | None = None) -> Tensor:
    """Weighted neighbourhood sum through sparse products: ``out_i = sum_{j in N(i)} alpha_ij x_j``.

    Duplicate edges each contribute (their weights add up); nodes with no
    incoming edge get zeros. Differentiable in ``alpha`` and ``x``.

    Args:
        edge_index: ``(2, E)``, row 0 sources ``j``, row 1 targets ``i``.
        alpha: edge weights, one per edge (and head).
        x: source features.
        num_nodes: ``N``; defaults to ``x.shape[0]``.

    Shapes:
        edge_index: (2, E); alpha: (E,) or (E, H); x: (N, C) or (N, H, C) -> (N, C) or (N, H, C).
    """
    alpha, x, squeeze = _as_heads(alpha, x)
    N = x.shape[0] if num_nodes is None else num_nodes
    if alpha.shape[0] != edge_index.shape[1]:
        raise ValueError(f"spmm: {alpha.shape[0]} weights for {edge_index.shape[1]} edges")
    by_target = csr_by_target(edge_index, N)
    by_source = csr_by_target(edge_index, N, transpose=True)
    out = _EdgeSpMM.apply(alpha, x, by_target, by_source)  # (N, H, C)
    return out.squeeze(1) if squeeze else out


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
