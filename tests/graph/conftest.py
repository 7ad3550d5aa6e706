"""Small graphs shared by the graph tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def tricky_edges() -> tuple[torch.Tensor, int]:
    """7 nodes: directed edges, a duplicate edge (3 -> 0 twice), a self-loop (4 -> 4),
    a node with out-edges only (2 receives from 1, 5 sends only) and an isolated node (6)."""
    edge_index = torch.tensor([
        [0, 1, 2, 3, 3, 0, 4, 4, 5, 1],
        [1, 2, 0, 0, 0, 3, 4, 1, 1, 3],
    ])
    return edge_index, 7


@pytest.fixture
def simple_edges() -> tuple[torch.Tensor, int]:
    """6 nodes, directed, no duplicates and no self-loops (so a dense mask can represent it),
    with node 5 isolated."""
    edge_index = torch.tensor([
        [0, 1, 2, 3, 0, 4, 1, 2],
        [1, 2, 0, 0, 3, 1, 4, 4],
    ])
    return edge_index, 6
