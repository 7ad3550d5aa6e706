"""GAT as masked dense attention: the teaching version, with an N x N score matrix per head.

Equation (2) of the paper is computed for *every* pair ``(i, j)``; pairs that
are not edges get ``-inf`` before the softmax, so they receive weight zero.
That is the same masked softmax as in a Transformer, with the adjacency
matrix as the mask: ``True`` = ``i`` may attend to ``j``.

It is easy to read and to check, and it needs ``O(H N^2)`` memory:
``H * N^2 * 4`` bytes for the float32 scores alone, about 2.3 GB for Cora's
2708 nodes and 8 heads, counting the softmax and its saved tensors several
times that. :class:`gattut.graph.gat.GATConv` computes the same numbers on the
edges only. The parameters have the same names, so weights copy between them.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gattut.graph.attend import GraphLayer, merge_heads
from gattut.graph.features import check_features, dropout, linear
from gattut.graph.gat import glorot_
from gattut.graph.ops import check_edge_index

__all__ = ["DenseGATConv", "adjacency_mask"]


def adjacency_mask(edge_index: Tensor, num_nodes: int, add_self_loops: bool = False) -> Tensor:
    """Boolean ``(N, N)`` mask with ``mask[i, j] = True`` for every edge ``j -> i``.

    Row ``i`` lists who node ``i`` attends to. Duplicate edges collapse to one
    entry (a dense mask cannot count them). With ``add_self_loops`` the
    diagonal is set.

    Shapes:
        edge_index: (2, E) -> (N, N) bool.
    """
    mask = torch.zeros(num_nodes, num_nodes, dtype=torch.bool, device=edge_index.device)
    mask[edge_index[1], edge_index[0]] = True
    if add_self_loops:
        mask.fill_diagonal_(True)
    return mask


class DenseGATConv(GraphLayer, nn.Module):
    """Multi-head graph attention over a dense ``N x N`` mask.

    .. math::
        S^k_{ij} = \\mathrm{LeakyReLU}(a_{dst}^{k\\top} z_i^k + a_{src}^{k\\top} z_j^k)
        \\ \\text{if } M_{ij} \\text{ else } -\\infty, \\qquad
        A^k = \\mathrm{softmax}_{\\text{rows}}(S^k), \\qquad
        h' = \\Big\\Vert_k A^k Z^k \\ \\text{(or the mean over k)}

    A row with no ``True`` (a node with no neighbours and no self-loop) gets
    all-zero weights and a zero output, never NaN.

    Duplicate edges: a mask holds each pair ``(i, j)`` once, so an edge given
    twice in ``edge_index`` counts once here but twice in :class:`~gattut.graph.gat.GATConv`
    (and PyG); the two layers then differ, and this layer warns (``UserWarning``).

    Args: as :class:`gattut.graph.gat.GATConv` (same names, one node set).

    Shapes:
        x: (N, F); adj: (N, N) bool mask or (2, E) edge_index -> out: (N, H * C) if concat
        else (N, C); with ``return_attention_weights`` also weights: (H, N, N).
    """

    def __init__(self, in_channels: int | None = None, out_channels: int | None = None,
                 heads: int = 1, concat: bool = True, negative_slope: float = 0.2,
                 dropout: float = 0.0, add_self_loops: bool = True, bias: bool = True,
                 residual: bool = False, *, in_features: int | None = None,
                 out_features: int | None = None):
        super().__init__()
        F_, _ = self.arguments(in_channels, out_channels, in_features, out_features, heads=heads,
                               negative_slope=negative_slope, dropout=dropout)
        self.concat, self.add_self_loops = concat, add_self_loops
        C = self.out_channels
        total = heads * C if concat else C
        self.lin = nn.Linear(F_, heads * C, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, C))
        self.att_dst = nn.Parameter(torch.empty(1, heads, C))
        self.res = nn.Linear(F_, total, bias=False) if residual else None
        self.bias = nn.Parameter(torch.empty(total)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        glorot_(self.att_src)
        glorot_(self.att_dst)
        if self.res is not None:
            nn.init.xavier_uniform_(self.res.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, adj: Tensor, *, return_attention_weights: bool | None = None,
                return_attention: bool | None = None):
        want = self.wants_attention("DenseGATConv", return_attention_weights, return_attention)
        N = x.shape[0] if isinstance(x, Tensor) and x.dim() >= 1 else 0
        H, C = self.heads, self.out_channels
        check_features(x, self.in_channels, "DenseGATConv")
        if isinstance(adj, Tensor) and adj.dtype == torch.bool:
            if tuple(adj.shape) != (N, N):
                raise ValueError(f"DenseGATConv: adj mask must be ({N}, {N}), got {tuple(adj.shape)}")
            mask = adj.clone()
            if self.add_self_loops:
                mask.fill_diagonal_(True)
        else:
            check_edge_index(adj, N, "DenseGATConv edge_index")
            mask = adjacency_mask(adj, N, self.add_self_loops)  # (N, N)
            counted = adj[:, adj[0] != adj[1]] if self.add_self_loops else adj  # loops are replaced
            if int(mask.sum()) - (N if self.add_self_loops else 0) < counted.shape[1]:
                warnings.warn("DenseGATConv: edge_index has duplicate edges; the dense mask counts "
                              "each once, GATConv counts every copy (remove them with "
                              "torch.unique(edge_index, dim=1))", stacklevel=2)

        # 1) project, one C-wide vector per head, heads first for the matmuls.
        z = linear(x, self.lin.weight).view(N, H, C).transpose(0, 1)  # (H, N, C)
        # 2) score every pair (i, j): a_dst . z_i down the rows plus a_src . z_j across the columns.
        score_dst = z @ self.att_dst.view(H, C, 1)  # (H, N, C) @ (H, C, 1) -> (H, N, 1)
        score_src = z @ self.att_src.view(H, C, 1)  # (H, N, 1)
        scores = F.leaky_relu(score_dst + score_src.transpose(1, 2), self.negative_slope)  # (H, N, N)
        # 3) masked softmax over each row; a row with no True would be all -inf and give
        #    NaN, so its weights are set to zero afterwards (and its gradients are zero).
        scores = scores.masked_fill(~mask, float("-inf"))  # (H, N, N)
        weights = torch.softmax(scores, dim=-1).masked_fill(~mask, 0.0)  # (H, N, N)
        weights = dropout(weights, self.dropout, self.training)
        # 4) aggregate: h_i' = sum_j A_ij z_j, a dense matmul per head.
        out = (weights @ z).transpose(0, 1)  # (H, N, N) @ (H, N, C) -> (H, N, C) -> (N, H, C)
        residual = None if self.res is None else linear(x, self.res.weight)
        out = merge_heads(out, self.concat, residual, self.bias)  # (N, H*C) or (N, C)
        return (out, weights) if want else out
