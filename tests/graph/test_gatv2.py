"""Tests for gattut.graph.gatv2: GATv2Conv against PyG, and dynamic attention."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.gatv2 import GATv2Conv

from .helpers import assert_matches_pyg


@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("loops", [True, False])
@pytest.mark.parametrize("share_weights", [False, True])
def test_equals_pyg_outputs_and_attention(tricky_edges, concat, loops, share_weights):
    nn = pytest.importorskip("torch_geometric.nn")
    edge_index, N = tricky_edges
    torch.manual_seed(0)
    ours = GATv2Conv(5, 3, heads=2, concat=concat, add_self_loops=loops,
                     share_weights=share_weights, residual=True)
    with torch.no_grad():
        for p in (ours.bias, ours.lin_l.bias, ours.lin_r.bias):
            p.uniform_(-1, 1)
    ref = nn.GATv2Conv(5, 3, heads=2, concat=concat, add_self_loops=loops,
                       share_weights=share_weights, residual=True)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(N, 5)
    out, (ei, alpha) = ours(x, edge_index, return_attention=True)
    out_ref, (ei_ref, alpha_ref) = ref(x, edge_index, return_attention_weights=True)
    assert out.shape == ((N, 6) if concat else (N, 3)) and alpha.shape == (ei.shape[1], 2)
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-5)
    assert ei.tolist() == ei_ref.tolist()
    torch.testing.assert_close(alpha, alpha_ref, rtol=1e-5, atol=1e-5)


def test_dynamic_attention_can_reorder_neighbours():
    """GAT ranks every target's neighbours the same way; GATv2 need not (Brody et al. 2022)."""
    from gattut.graph.gat import GATConv

    torch.manual_seed(3)
    # Two targets (0, 1) both attend to the same three sources (2, 3, 4).
    edge_index = torch.tensor([[2, 3, 4, 2, 3, 4], [0, 0, 0, 1, 1, 1]])
    x = torch.randn(5, 4)
    _, (_, a1) = GATConv(4, 8, add_self_loops=False)(x, edge_index, return_attention=True)
    assert torch.equal(a1[:3, 0].argsort(), a1[3:, 0].argsort())  # static: same ranking
    found = False
    for seed in range(20):
        torch.manual_seed(seed)
        layer = GATv2Conv(4, 8, add_self_loops=False)
        _, (_, a2) = layer(x, edge_index, return_attention=True)
        if not torch.equal(a2[:3, 0].argsort(), a2[3:, 0].argsort()):
            found = True
            break
    assert found


def test_rejects_bad_edge_index():
    with pytest.raises(ValueError, match="GATv2Conv edge_index has negative node id"):
        GATv2Conv(5, 3)(torch.randn(4, 5), torch.tensor([[0, -3], [1, 2]]))


@pytest.mark.parametrize("loops", [True, False])
@pytest.mark.parametrize("widths", [5, (5, 3)])
def test_bipartite_equals_pyg(loops, widths):
    """x = (x_src, x_dst), targets the first sources: outputs, attention and gradients."""
    nn = pytest.importorskip("torch_geometric.nn")
    g = torch.Generator().manual_seed(1)
    x_src = torch.randn(7, 5, generator=g)
    x_dst = x_src[:4].clone() if widths == 5 else torch.randn(4, 3, generator=g)
    edge_index = torch.stack([torch.randint(0, 7, (14,), generator=g),
                              torch.randint(0, 4, (14,), generator=g)])
    torch.manual_seed(0)
    ours = GATv2Conv(widths, 3, heads=2, add_self_loops=loops, residual=True)
    ref = nn.GATv2Conv(widths, 3, heads=2, add_self_loops=loops, residual=True)
    ref.load_state_dict(ours.state_dict())
    assert assert_matches_pyg(ours, ref, (x_src, x_dst), edge_index).shape == (4, 6)


def test_old_names():
    layer = GATv2Conv(in_features=5, out_features=3, heads=2, residual=True)
    assert (layer.in_channels, layer.out_channels) == (5, 3)
