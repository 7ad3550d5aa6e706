"""GATv2 (Brody, Alon & Yahav 2022): dynamic attention by moving the nonlinearity.

GAT scores an edge from two per-node halves,
``e_ij = LeakyReLU(a_dst^T W h_i + a_src^T W h_j)``. Because LeakyReLU is
monotonic and the ``j`` part does not depend on ``i``, every node ranks its
neighbours in the *same* order (the one set by ``a_src^T W h_j``): the
attention is *static*. GATv2 applies the LeakyReLU before the dot product
with ``a``:

.. math::
    e_{ij} = a^\\top \\mathrm{LeakyReLU}(W_r h_i + W_l h_j)

so the ranking can change with ``i`` (*dynamic* attention). The price: the
score no longer splits into per-node halves, so it needs a ``(E, H, C)``
tensor on the edges.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gattut.graph.features import check_features, dropout, linear
from gattut.graph.gat import glorot_
from gattut.graph.ops import add_self_loops, check_edge_index, edge_softmax
from gattut.graph.spmm import spmm

__all__ = ["GATv2Conv"]


class GATv2Conv(nn.Module):
    """Multi-head GATv2 on an edge list; parameters named as in PyG (``lin_l``, ``lin_r``, ``att``).

    .. math::
        e_{ij}^k = a^{k\\top} \\mathrm{LeakyReLU}(W_r^k h_i + W_l^k h_j), \\quad
        \\alpha_{ij}^k = \\mathrm{softmax}_{j \\in N(i)}(e_{ij}^k), \\quad
        h_i' = \\Big\\Vert_k \\sum_{j \\in N(i)} \\alpha_{ij}^k W_l^k h_j

    ``W_l`` (``lin_l``) transforms sources ``j`` and is also the message;
    ``W_r`` (``lin_r``) transforms targets ``i``. Both carry a bias, as in PyG.

    Args:
        in_features, out_features, heads, concat, negative_slope, dropout, add_self_loops,
        bias, residual: as :class:`gattut.graph.gat.GATConv`.
        share_weights: use one matrix for sources and targets (``W_l = W_r``).

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> out: (N, H * C) if concat else (N, C);
        with ``return_attention`` also (edge_index', alpha: (E', H)).
    """

    def __init__(self, in_features: int, out_features: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True,
                 bias: bool = True, residual: bool = False, share_weights: bool = False):
        super().__init__()
        self.in_features, self.out_features, self.heads = in_features, out_features, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops, self.share_weights = add_self_loops, share_weights
        total = heads * out_features if concat else out_features
        self.lin_l = nn.Linear(in_features, heads * out_features, bias=bias)  # W_l, sources j
        self.lin_r = (self.lin_l if share_weights
                      else nn.Linear(in_features, heads * out_features, bias=bias))  # W_r, targets i
        self.att = nn.Parameter(torch.empty(1, heads, out_features))
        self.res = nn.Linear(in_features, total, bias=False) if residual else None
        self.bias = nn.Parameter(torch.zeros(total)) if bias else None
        for lin in (self.lin_l, self.lin_r, self.res):
            if lin is not None:
                nn.init.xavier_uniform_(lin.weight)
                if lin.bias is not None:
                    nn.init.zeros_(lin.bias)
        glorot_(self.att)

    def forward(self, x: Tensor, edge_index: Tensor, return_attention: bool = False):
        N = x.shape[0] if isinstance(x, Tensor) and x.dim() >= 1 else 0
        H, C = self.heads, self.out_features
        check_features(x, self.in_features, "GATv2Conv")
        check_edge_index(edge_index, N, "GATv2Conv edge_index")

        # 1) project sources and targets.
        x_l = linear(x, self.lin_l.weight, self.lin_l.bias).view(N, H, C)  # (N, H, C)
        x_r = x_l if self.share_weights else linear(x, self.lin_r.weight, self.lin_r.bias).view(N, H, C)
        if self.add_self_loops:
            edge_index = add_self_loops(edge_index, N)
        j, i = edge_index[0], edge_index[1]
        # 2) score: the LeakyReLU comes *before* the dot product with a.
        hidden = F.leaky_relu(x_r[i] + x_l[j], self.negative_slope)  # (E, H, C)
        scores = (hidden * self.att).sum(-1)  # (E, H)
        # 3) edge softmax and attention dropout.
        alpha = edge_softmax(scores, i, N)  # (E, H)
        alpha = dropout(alpha, self.dropout, self.training)
        # 4) aggregate the source messages W_l h_j.
        out = spmm(edge_index, alpha, x_l, N)  # (N, H, C)
        out = out.reshape(N, H * C) if self.concat else out.mean(dim=1)  # (N, H*C) or (N, C)
        if self.res is not None:
            out = out + linear(x, self.res.weight)
        if self.bias is not None:
            out = out + self.bias
        return (out, (edge_index, alpha)) if return_attention else out
