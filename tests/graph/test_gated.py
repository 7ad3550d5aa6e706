"""Tests for gattut.graph.gated: the gate formula and its reduction to GATConv."""

from __future__ import annotations

import torch

from gattut.graph.gat import GATConv
from gattut.graph.gated import GatedGATConv
from gattut.graph.ops import add_self_loops


def test_shapes_and_gate_range(tricky_edges):
    edge_index, N = tricky_edges
    layer = GatedGATConv(5, 3, heads=2, gate_features=4)
    out, (ei, alpha) = layer(torch.randn(N, 5), edge_index, return_attention=True)
    assert out.shape == (N, 6) and alpha.shape == (ei.shape[1], 2)
    assert layer.last_gate.shape == (N, 2)
    assert ((layer.last_gate > 0) & (layer.last_gate < 1)).all()


def test_gate_equals_formula_by_hand(tricky_edges):
    edge_index, N = tricky_edges
    torch.manual_seed(0)
    layer = GatedGATConv(5, 3, heads=2, gate_features=4).double()
    x = torch.randn(N, 5, dtype=torch.float64)
    ei = add_self_loops(edge_index, N)
    g = layer.gate(x, ei)
    for i in range(N):
        nbrs = ei[0, ei[1] == i]
        pooled = (x[nbrs] @ layer.gate_pool.weight.t()).max(0).values
        mean = x[nbrs].mean(0)
        expected = torch.sigmoid(layer.gate_x(x[i]) + layer.gate_max(pooled) + layer.gate_mean(mean))
        torch.testing.assert_close(g[i], expected)


def test_gate_of_one_gives_gatconv(tricky_edges):
    edge_index, N = tricky_edges
    torch.manual_seed(0)
    gated = GatedGATConv(5, 3, heads=2, concat=False)
    plain = GATConv(5, 3, heads=2, concat=False)
    plain.load_state_dict({k: v for k, v in gated.state_dict().items()
                           if not k.startswith("gate")})
    with torch.no_grad():  # a huge gate bias saturates the sigmoid at 1
        gated.gate_x.bias.fill_(100.0)
    x = torch.randn(N, 5)
    torch.testing.assert_close(gated(x, edge_index), plain(x, edge_index))

