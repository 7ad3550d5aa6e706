"""Gated graph attention: a learned gate per head and node (after GaAN, Zhang et al. 2018).

Multi-head attention treats every head as equally important for every node.
GaAN adds a *gate* ``g_i^k`` in ``(0, 1)`` that scales head ``k``'s output at
node ``i``, computed from the node itself and a summary of its neighbourhood:

.. math::
    g_i = \\sigma\\Big(W_x x_i + W_p \\max_{j \\in N(i)} (W_m x_j)
          + W_a \\tfrac{1}{|N(i)|}\\textstyle\\sum_{j \\in N(i)} x_j + b_g\\Big) \\in (0, 1)^H,
    \\qquad
    h_i' = \\Big\\Vert_{k=1}^{H} g_i^k \\sum_{j \\in N(i)} \\alpha_{ij}^k z_j^k

The attention ``alpha`` and ``z`` are those of :class:`gattut.graph.gat.GATConv`
(GaAN itself uses dot-product attention and an output projection; this
version keeps GAT's scores, so the gate is the only change, and a gate of 1
everywhere gives back GATConv exactly). ``max`` and ``mean`` run over the same
neighbourhood as the attention (self-loop included by default). The mean term
is computed as the mean of ``W_a x_j``, which is equal (``W_a`` is linear) and
works for sparse ``x``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gattut.graph.attend import merge_heads
from gattut.graph.features import linear
from gattut.graph.gat import GATConv
from gattut.graph.ops import scatter_max, scatter_mean

__all__ = ["GatedGATConv"]


class GatedGATConv(GATConv):
    """GATConv with a sigmoid gate per head computed from the node and its pooled neighbourhood.

    Args:
        gate_features: width ``M`` of the max-pooled neighbour projection ``W_m x_j``.
        Others: as :class:`gattut.graph.gat.GATConv` (one node set only).

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> out: (N, H * C) if concat else (N, C);
        with ``return_attention_weights`` also (edge_index', alpha: (E', H)) and the gates are
        kept in ``self.last_gate``: (N, H).
    """

    def __init__(self, in_channels: int | None = None, out_channels: int | None = None,
                 heads: int = 1, gate_features: int = 16, **kwargs):
        super().__init__(in_channels, out_channels, heads=heads, **kwargs)
        if isinstance(self.in_channels, tuple):
            raise ValueError("GatedGATConv takes one node set: in_channels must be an int")
        if not isinstance(gate_features, int) or isinstance(gate_features, bool) or gate_features < 1:
            raise ValueError(f"GatedGATConv: gate_features must be an int >= 1, got {gate_features!r}")
        F_ = self.in_channels
        self.gate_x = nn.Linear(F_, heads)  # W_x and the bias b_g
        self.gate_pool = nn.Linear(F_, gate_features, bias=False)  # W_m
        self.gate_max = nn.Linear(gate_features, heads, bias=False)  # W_p
        self.gate_mean = nn.Linear(F_, heads, bias=False)  # W_a
        self.last_gate: Tensor | None = None

    def reset_parameters(self) -> None:
        """GATConv's parameters, then the gate's (absent while GATConv's constructor runs)."""
        super().reset_parameters()
        for name in ("gate_x", "gate_pool", "gate_max", "gate_mean"):
            if name in self._modules:
                self._modules[name].reset_parameters()

    def gate(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """``g = sigmoid(W_x x_i + W_p max_j W_m x_j + W_a mean_j x_j + b_g)`` over ``edge_index``.

        Shapes:
            x: (N, F); edge_index: (2, E) with self-loops as used by the attention -> (N, H).
        """
        N = x.shape[0]
        j, i = edge_index[0], edge_index[1]
        pooled = scatter_max(linear(x, self.gate_pool.weight)[j], i, N)  # (N, M)
        mean = scatter_mean(linear(x, self.gate_mean.weight)[j], i, N)  # (N, H)
        own = linear(x, self.gate_x.weight, self.gate_x.bias)  # (N, H)
        return torch.sigmoid(own + self.gate_max(pooled) + mean)  # (N, H)

    def forward(self, x: Tensor, edge_index: Tensor, *,
                return_attention_weights: bool | None = None,
                return_attention: bool | None = None):
        if isinstance(x, (tuple, list)):
            raise ValueError("GatedGATConv takes one node set: x of shape (N, F), not a pair")
        want = self.wants_attention("GatedGATConv", return_attention_weights, return_attention)
        out, edge_index, alpha = self.attend(x, edge_index, want)  # (N, H, C)
        g = self.gate(x, edge_index)  # (N, H)
        self.last_gate = g.detach()
        out = merge_heads(out * g.unsqueeze(-1), self.concat, self._residual(x), self.bias)
        return (out, (edge_index, alpha)) if want else out

    forward_stacked = None  # the gate has no stacked version: a model of these does not stack
