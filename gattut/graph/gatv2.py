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
from torch import Tensor, nn

from gattut.graph.attend import (
    GraphLayer,
    gatv2_attention,
    merge_heads,
)
from gattut.graph.features import linear, stacked_linear
from gattut.graph.gat import glorot_

__all__ = ["GATv2Conv"]


class GATv2Conv(GraphLayer, nn.Module):
    """Multi-head GATv2 on an edge list; parameters named as in PyG (``lin_l``, ``lin_r``, ``att``).

    .. math::
        e_{ij}^k = a^{k\\top} \\mathrm{LeakyReLU}(W_r^k h_i + W_l^k h_j), \\quad
        \\alpha_{ij}^k = \\mathrm{softmax}_{j \\in N(i)}(e_{ij}^k), \\quad
        h_i' = \\Big\\Vert_k \\sum_{j \\in N(i)} \\alpha_{ij}^k W_l^k h_j

    ``W_l`` (``lin_l``) transforms sources ``j`` and is also the message;
    ``W_r`` (``lin_r``) transforms targets ``i``. Both carry a bias, as in PyG.
    Bipartite input ``x = (x_src, x_dst)``, ``in_channels=(F_src, F_dst)``, and the
    self-loops of two node sets work as in :class:`gattut.graph.gat.GATConv`.

    Args:
        in_channels, out_channels, heads, concat, negative_slope, dropout, add_self_loops,
        bias, residual: as :class:`gattut.graph.gat.GATConv` (old names accepted as there).
        share_weights: use one matrix for sources and targets (``W_l = W_r``).

    Shapes:
        x: (N, F), dense or sparse, or (x_src: (N_src, F_src), x_dst: (N_dst, F_dst));
        edge_index: (2, E) -> out: (N_dst, H * C) if concat else (N_dst, C);
        with ``return_attention_weights`` also (edge_index', alpha: (E', H)).
    """

    def __init__(self, in_channels: int | tuple[int, int] | None = None,
                 out_channels: int | None = None, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True,
                 bias: bool = True, residual: bool = False, share_weights: bool = False, *,
                 in_features: int | None = None, out_features: int | None = None):
        super().__init__()
        F_src, F_dst = self.arguments(in_channels, out_channels, in_features, out_features,
                                      pair=True, heads=heads, negative_slope=negative_slope,
                                      dropout=dropout)
        self.concat, self.add_self_loops, self.share_weights = concat, add_self_loops, share_weights
        C = self.out_channels
        HC, total = heads * C, heads * C if concat else C
        self.lin_l = nn.Linear(F_src, HC, bias=bias)  # W_l, sources j
        self.lin_r = self.lin_l if share_weights else nn.Linear(F_dst, HC, bias=bias)  # W_r, targets i
        self.att = nn.Parameter(torch.empty(1, heads, C))
        self.res = nn.Linear(F_dst, total, bias=False) if residual else None
        self.bias = nn.Parameter(torch.empty(total)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in (self.lin_l, self.lin_r, self.res):
            if lin is not None:
                nn.init.xavier_uniform_(lin.weight)
                if lin.bias is not None:
                    nn.init.zeros_(lin.bias)
        glorot_(self.att)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor, *,
                return_attention_weights: bool | None = None,
                return_attention: bool | None = None):
        want = self.wants_attention("GATv2Conv", return_attention_weights, return_attention)
        x_src, x_dst = self.node_pair(x)
        N_src, N_dst, H, C = x_src.shape[0], x_dst.shape[0], self.heads, self.out_channels
        edges = self.prepared(edge_index, N_src, N_dst)
        # 1) project sources (W_l h_j, also the message) and targets (W_r h_i).
        x_l = linear(x_src, self.lin_l.weight, self.lin_l.bias).view(N_src, H, C)  # (N_src, H, C)
        x_r = (x_l if self.share_weights and x_dst is x_src
               else linear(x_dst, self.lin_r.weight, self.lin_r.bias).view(N_dst, H, C))
        # 2)-4) dynamic scores, edge softmax, aggregate the source messages.
        out, alpha = gatv2_attention(x_l, x_r, self.att, edges, negative_slope=self.negative_slope,
                                     dropout=self.dropout, training=self.training)  # (N_dst, H, C)
        residual = None if self.res is None else linear(x_dst, self.res.weight)
        out = merge_heads(out, self.concat, residual, self.bias)  # (N_dst, H*C) or (N_dst, C)
        return (out, (edges.edge_index, edges.in_edge_order(alpha))) if want else out

    def forward_stacked(self, params: dict[str, Tensor], x: Tensor, edge_index: Tensor,
                        dropout: float, training: bool) -> Tensor:
        """This layer for ``R`` seeds at once; see :meth:`gattut.graph.gat.GATConv.forward_stacked`.

        Shapes:
            x: (N, F) shared or (N, R, F) per seed -> (N, R, H * C) or (N, R, C).
        """
        if self.res is not None or self.share_weights:
            raise ValueError("GATv2Conv with a residual or shared weights is not stacked")
        N, H, C = x.shape[0], self.heads, self.out_channels
        edges = self.prepared(edge_index, N, N)
        # W_l and W_r in one product, so that both see the same input mask.
        w = torch.cat([params["lin_l.weight"], params["lin_r.weight"]], 1)  # (R, 2*H*C, F)
        lr = stacked_linear(x, w.unsqueeze(1), dropout, training).squeeze(2)  # (N, R, 2*H*C)
        if "lin_l.bias" in params:
            lr = lr + torch.cat([params["lin_l.bias"], params["lin_r.bias"]], 1)
        x_l, x_r = lr.view(N, -1, 2, H, C).unbind(2)  # (N, R, H, C) each
        out, _ = gatv2_attention(x_l, x_r, params["att"], edges, negative_slope=self.negative_slope,
                                 dropout=self.dropout, training=training)  # (N, R, H, C)
        return merge_heads(out, self.concat, bias=params.get("bias"))
