"""Tests for gattut.graph.gcn: GCNConv against PyG and against the formula."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.gcn import GCNConv
from gattut.graph.message_passing import propagate
from gattut.graph.ops import add_self_loops, sym_norm


@pytest.mark.parametrize("loops", [True, False])
def test_equals_pyg(tricky_edges, loops):
    nn = pytest.importorskip("torch_geometric.nn")
    edge_index, N = tricky_edges
    ours = GCNConv(5, 4, add_self_loops=loops)
    with torch.no_grad():
        ours.bias.uniform_(-1, 1)
    ref = nn.GCNConv(5, 4, add_self_loops=loops)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(N, 5)
    out = ours(x, edge_index)
    assert out.shape == (N, 4)
    torch.testing.assert_close(out, ref(x, edge_index), rtol=1e-5, atol=1e-5)


def test_equals_message_passing_formula(tricky_edges):
    edge_index, N = tricky_edges
    layer = GCNConv(5, 4).double()
    x = torch.randn(N, 5, dtype=torch.float64)
    ei = add_self_loops(edge_index, N)
    w = sym_norm(ei, N, torch.float64)
    expected = propagate(ei, x @ layer.lin.weight.t(), lambda x_j, x_i: w.unsqueeze(-1) * x_j)
    torch.testing.assert_close(layer(x, edge_index), expected + layer.bias)


def test_sparse_input(tricky_edges):
    edge_index, N = tricky_edges
    x = torch.randn(N, 5) * (torch.rand(N, 5) < 0.4)
    layer = GCNConv(5, 4)
    torch.testing.assert_close(layer(x.to_sparse_csr(), edge_index), layer(x, edge_index))


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="GCNConv edge_index has node id 7"):
        GCNConv(5, 4)(torch.randn(4, 5), torch.tensor([[0, 7], [1, 2]]))
    with pytest.raises(ValueError, match="GCNConv: x has NaN"):
        GCNConv(5, 4)(torch.full((4, 5), float("inf")), torch.tensor([[0, 1], [1, 2]]))


def test_pyg_names():
    layer = GCNConv(in_channels=5, out_channels=3)
    assert (layer.in_features, layer.out_features) == (5, 3)
