"""Helpers for the training tests: a tiny graph model and small PPI-like graphs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gattut.data.graph import Graph


class TinyGNN(nn.Module):
    """``dropout -> Linear -> mean over {i} and its in-neighbours``: enough to train and early-stop.

    Shapes:
        x: (N, F); edge_index: (2, E) -> logits: (N, C).
    """

    def __init__(self, in_features: int, num_classes: int, dropout: float = 0.5):
        super().__init__()
        self.dropout = dropout
        self.lin = nn.Linear(in_features, num_classes)

    def forward(self, x, edge_index):
        N = x.shape[0]
        h = self.lin(F.dropout(x, self.dropout, self.training))  # (N, C)
        j, i = edge_index
        total = h.index_add(0, i, h[j])  # (N, C): h_i + sum_j h_j
        count = torch.ones(N, dtype=h.dtype).index_add(0, i, torch.ones(len(i), dtype=h.dtype))
        return total / count[:, None]  # (N, C)


def multilabel_graphs(count: int, seed: int = 0, labels: int = 4) -> list[Graph]:
    """Small random graphs whose 0/1 labels are thresholds of their features (PPI-like)."""
    gen = torch.Generator().manual_seed(seed)
    graphs = []
    for k in range(count):
        N = 30 + 5 * k
        x = torch.randn(N, 6, generator=gen)
        src = torch.randint(0, N, (3 * N,), generator=gen)
        dst = torch.randint(0, N, (3 * N,), generator=gen)
        y = (x[:, :labels] > 0).float()
        graphs.append(Graph(x=x, edge_index=torch.stack([src, dst]), y=y))
    return graphs
