"""The graph convolution of Kipf & Welling (2017), the baseline GAT improves on.

.. math::
    h_i' = \\sum_{j \\in N(i) \\cup \\{i\\}} \\frac{1}{c_{ij}} W h_j + b, \\qquad
    c_{ij} = \\sqrt{|N(i)|}\\,\\sqrt{|N(j)|}

with degrees counted after adding self-loops. The weight ``1/c_ij`` of a
neighbour is fixed by the graph's structure: this is the first weakness GAT
answers, by learning ``alpha_ij`` instead.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gattut.graph.attend import GraphLayer
from gattut.graph.features import check_features, linear, stacked_linear
from gattut.graph.ops import sym_norm
from gattut.graph.spmm import EdgeCSR, spmm_csr

__all__ = ["GCNConv"]


class GCNConv(GraphLayer, nn.Module):
    """Graph convolution with the symmetric normalisation ``1/c_ij``.

    Equal to PyG's ``GCNConv`` with copied weights (same names: ``lin.weight``, ``bias``).

    Args:
        in_channels: ``F`` (old name ``in_features``, keyword).
        out_channels: ``C`` (old name ``out_features``, keyword).
        bias: add a learned bias after the aggregation.
        add_self_loops: replace existing loops by one ``i -> i`` per node (PyG's default).

    Sampled mini-batches: ``x = (x_src, x_dst)`` with the targets the first
    sources, and ``degree`` each source's in-degree in the whole graph (see
    :meth:`_forward_sampled` for the normalisation), as a
    :class:`~gattut.graph.sampling.Block` provides them.

    Shapes:
        x: (N, F), dense or sparse, or (x_src: (N_src, F), x_dst: (N_dst, F)) with
        degree: (N_src,); edge_index: (2, E) -> out: (N, C) or (N_dst, C).
    """

    def __init__(self, in_channels: int | None = None, out_channels: int | None = None,
                 bias: bool = True, add_self_loops: bool = True, *,
                 in_features: int | None = None, out_features: int | None = None):
        super().__init__()
        F_, _ = self.arguments(in_channels, out_channels, in_features, out_features)
        self.add_self_loops = add_self_loops
        self.lin = nn.Linear(F_, self.out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(self.out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor, *,
                degree: Tensor | None = None) -> Tensor:
        if isinstance(x, (tuple, list)):
            return self._forward_sampled(x, edge_index, degree)
        N = x.shape[0] if isinstance(x, Tensor) and x.dim() >= 1 else 0
        check_features(x, self.in_channels, "GCNConv")
        z = linear(x, self.lin.weight)  # (N, F) @ (F, C) -> (N, C)
        csr, weight = self._edges(edge_index, N)
        out = spmm_csr(csr, weight.to(z.dtype), z)  # (N, C): sum_j z_j / c_ij
        return out if self.bias is None else out + self.bias

    def forward_block(self, x: Tensor, block) -> Tensor:
        """This layer on a sampled :class:`~gattut.graph.sampling.Block`: (N_src, F) -> (N_dst, C)."""
        if block.degree is None:
            raise ValueError("GCNConv: a block needs the whole graph's degrees (Block.degree); "
                             "blocks from NeighborSampler carry them")
        return self._forward_sampled((x, None), block.edge_index, block.degree, block.n_dst)

    def _forward_sampled(self, x, edge_index: Tensor, degree: Tensor | None,
                         num_dst: int | None = None) -> Tensor:
        """GCN on a bipartite graph of sampled edges, targets first among the sources.

        With ``d_i`` the in-degree of ``i`` in the whole graph (loops not
        counted), ``D_i = d_i + 1`` its degree with the self-loop, and ``s_i``
        the edges of ``i`` that were sampled:

        .. math::
            h_i' = \\frac{1}{D_i} W h_i
                 + \\frac{d_i}{s_i} \\sum_{j \\text{ sampled}} \\frac{1}{\\sqrt{D_i D_j}} W h_j + b

        The factor ``d_i / s_i`` makes the sampled sum an unbiased estimate of
        the whole neighbourhood's (GraphSAGE's GCN variant); with every edge
        kept (fanout -1), ``s_i = d_i`` and this is the full-graph layer, exactly.

        Shapes:
            x: (x_src: (N_src, F), x_dst: (N_dst, F)); edge_index: (2, E_b); degree: (N_src,)
            -> (N_dst, C).
        """
        x_src, x_dst = x
        if degree is None:
            raise ValueError("GCNConv on two node sets needs degree=, each source's in-degree in "
                             "the whole graph (Block.degree)")
        if not self.add_self_loops:
            raise ValueError("GCNConv on two node sets needs add_self_loops=True")
        check_features(x_src, self.in_channels, "GCNConv x_src")
        N_src = x_src.shape[0]
        N_dst = x_dst.shape[0] if num_dst is None else num_dst
        if tuple(degree.shape) != (N_src,):
            raise ValueError(f"GCNConv: degree must have one entry per source ({N_src},), got "
                             f"{tuple(degree.shape)}")
        edges = self.prepared(edge_index, N_src, N_dst)  # loops replaced by one per target
        j, i = edges.csr.col.long(), edges.csr.row  # (E',): sorted by target
        deg = degree.to(self.lin.weight.dtype).to(x_src.device)  # (N_src,): d
        loop = j == i  # (E',)
        sampled = torch.bincount(i[~loop], minlength=N_dst).to(deg.dtype)  # (N_dst,): s_i
        scale = (deg[:N_dst] / sampled.clamp(min=1)).index_select(0, i)  # (E',): d_i / s_i
        inv_sqrt = (deg + 1).rsqrt()  # (N_src,): 1 / sqrt(D)
        weight = inv_sqrt[j] * inv_sqrt[i] * torch.where(loop, 1.0, scale)  # (E',)
        z = linear(x_src, self.lin.weight)  # (N_src, C): the targets are the first rows
        out = spmm_csr(edges.csr, weight.to(z.dtype), z)  # (N_dst, C)
        return out if self.bias is None else out + self.bias

    def _edges(self, edge_index: Tensor, num_nodes: int) -> tuple[EdgeCSR, Tensor]:
        """The checked, looped edges sorted by target, and ``1/c_ij`` in that order."""
        edges = self.prepared(edge_index, num_nodes, num_nodes)
        weight = sym_norm(edges.edge_index, num_nodes, self.lin.weight.dtype)  # (E,): 1/c_ij
        return edges.csr, weight.index_select(0, edges.csr.perm)  # weights in CSR order

    def forward_stacked(self, params: dict[str, Tensor], x: Tensor, edge_index: Tensor,
                        dropout: float, training: bool) -> Tensor:
        """This layer for ``R`` seeds at once; see :meth:`gattut.graph.gat.GATConv.forward_stacked`.

        Shapes:
            x: (N, F) shared or (N, R, F) per seed -> (N, R, C).
        """
        csr, weight = self._edges(edge_index, x.shape[0])
        z = stacked_linear(x, params["lin.weight"].unsqueeze(1), dropout, training).squeeze(2)
        weights = weight.to(z.dtype).unsqueeze(1).expand(-1, z.shape[1])  # (E, R): one 1/c_ij
        out = spmm_csr(csr, weights, z)  # (N, R, C): the seeds are heads of one product
        return out if "bias" not in params else out + params["bias"]

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, add_self_loops={self.add_self_loops}"
