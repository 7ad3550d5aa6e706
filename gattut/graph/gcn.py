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

from gattut.graph.features import check_features, linear
from gattut.graph.ops import add_self_loops, check_edge_index, sym_norm
from gattut.graph.spmm import EdgeCSR, GraphCache, csr_by_target, spmm_csr

__all__ = ["GCNConv"]


class GCNConv(nn.Module):
    """Graph convolution with the symmetric normalisation ``1/c_ij``.

    Equal to PyG's ``GCNConv`` with copied weights (same names: ``lin.weight``, ``bias``).

    Args:
        in_features: ``F``.
        out_features: ``C``.
        bias: add a learned bias after the aggregation.
        add_self_loops: replace existing loops by one ``i -> i`` per node (PyG's default).

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> out: (N, C).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 add_self_loops: bool = True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.add_self_loops = add_self_loops
        self.lin = nn.Linear(in_features, out_features, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        nn.init.xavier_uniform_(self.lin.weight)
        self._cache = GraphCache()  # sorted edges and weights of the last edge_index seen

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        N = x.shape[0] if isinstance(x, Tensor) and x.dim() >= 1 else 0
        check_features(x, self.in_features, "GCNConv")
        z = linear(x, self.lin.weight)  # (N, F) @ (F, C) -> (N, C)
        csr, weight = self._cache.get(edge_index, N, lambda: self._prepare(edge_index, N))
        out = spmm_csr(csr, weight.to(z.dtype), z)  # (N, C): sum_j z_j / c_ij
        return out if self.bias is None else out + self.bias

    def _prepare(self, edge_index: Tensor, num_nodes: int) -> tuple[EdgeCSR, Tensor]:
        """Check the edges, add self-loops, sort by target, compute 1/c_ij: once per edge_index."""
        check_edge_index(edge_index, num_nodes, "GCNConv edge_index")
        if self.add_self_loops:
            edge_index = add_self_loops(edge_index, num_nodes)
        csr = csr_by_target(edge_index, num_nodes)
        weight = sym_norm(edge_index, num_nodes, self.lin.weight.dtype)  # (E,): 1 / c_ij
        return csr, weight.index_select(0, csr.perm)  # weights in CSR order

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, add_self_loops={self.add_self_loops}"
