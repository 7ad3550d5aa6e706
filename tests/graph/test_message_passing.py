"""Tests for gattut.graph.message_passing: propagate equals a hand-written loop."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.message_passing import propagate


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_propagate_equals_hand_loop(tricky_edges, reduce):
    edge_index, N = tricky_edges
    torch.manual_seed(0)
    x = torch.randn(N, 3)
    w = torch.rand(edge_index.shape[1])

    def message(x_j, x_i):
        return w.unsqueeze(-1) * x_j - 0.5 * x_i  # uses both ends and a per-edge weight

    out = propagate(edge_index, x, message, reduce=reduce)
    assert out.shape == (N, 3)
    for i in range(N):
        msgs = [w[e] * x[edge_index[0, e]] - 0.5 * x[i]
                for e in range(edge_index.shape[1]) if edge_index[1, e] == i]
        if not msgs:
            expected = torch.zeros(3)
        else:
            stacked = torch.stack(msgs)
            expected = {"sum": stacked.sum(0), "mean": stacked.mean(0),
                        "max": stacked.max(0).values}[reduce]
        torch.testing.assert_close(out[i], expected)


def test_propagate_default_message_sums_neighbours(tricky_edges):
    edge_index, N = tricky_edges
    out = propagate(edge_index, torch.ones(N, 1))
    assert out[:, 0].tolist() == [3.0, 3.0, 1.0, 2.0, 1.0, 0.0, 0.0]  # in-degrees


def test_propagate_rejects_bad_input(tricky_edges):
    edge_index, N = tricky_edges
    with pytest.raises(ValueError, match="reduce must be one of"):
        propagate(edge_index, torch.ones(N, 1), reduce="median")
    with pytest.raises(ValueError, match="node id 5 but there are only 5 nodes"):
        propagate(edge_index, torch.ones(5, 1))
    with pytest.raises(ValueError, match="message returned 1 rows for 10 edges"):
        propagate(edge_index, torch.ones(N, 1), lambda x_j, x_i: x_j[:1])
