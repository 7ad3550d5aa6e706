"""Tests for gattut.graph.models: shapes, the paper's layout, sparse input, training steps."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gattut.data.graph import Graph, batch_graphs
from gattut.graph.models import GAT, GCN, MLP, PPIGAT


def random_graph(N=12, F=20, C=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(N, F, generator=g) * (torch.rand(N, F, generator=g) < 0.2)
    edge_index = torch.randint(0, N, (2, 40), generator=g)
    return Graph(x=x, edge_index=edge_index, y=torch.randint(0, C, (N,), generator=g))


@pytest.mark.parametrize("cls", [GAT, GCN, MLP])
def test_shapes_dense_and_sparse_agree_in_eval(cls):
    g = random_graph()
    torch.manual_seed(0)
    model = cls(20, 3).eval()
    out = model(g.x, g.edge_index)
    assert out.shape == (12, 3)
    torch.testing.assert_close(model(g.x.to_sparse_csr(), g.edge_index), out)


def test_gat_follows_the_paper():
    model = GAT(1433, 7)
    assert model.conv1.heads == 8 and model.conv1.out_features == 8 and model.conv1.concat
    assert model.conv2.in_features == 64 and model.conv2.heads == 1 and not model.conv2.concat
    assert model.dropout == 0.6 and model.conv1.dropout == 0.6
    pubmed = GAT(500, 3, out_heads=8)
    assert pubmed.conv2.heads == 8 and pubmed(torch.rand(5, 500), torch.tensor([[0], [1]])).shape == (5, 3)


def test_gat_equals_pyg_model_with_dropout_off():
    nn = pytest.importorskip("torch_geometric.nn")
    g = random_graph()
    torch.manual_seed(0)
    ours = GAT(20, 3).eval()
    conv1, conv2 = nn.GATConv(20, 8, heads=8), nn.GATConv(64, 3, heads=1, concat=False)
    conv1.load_state_dict(ours.conv1.state_dict())
    conv2.load_state_dict(ours.conv2.state_dict())
    expected = conv2(F.elu(conv1(g.x, g.edge_index)), g.edge_index)
    torch.testing.assert_close(ours(g.x.to_sparse_csr(), g.edge_index), expected,
                               rtol=1e-5, atol=1e-5)


def test_ppigat_layout_and_batched_graphs():
    model = PPIGAT(in_features=6, num_labels=5, hidden=4, heads=2, out_heads=3)
    assert model.conv3.heads == 3 and not model.conv3.concat
    assert all(conv.res is not None for conv in (model.conv1, model.conv2, model.conv3))
    graphs = [Graph(x=torch.randn(n, 6), edge_index=torch.randint(0, n, (2, 3 * n)),
                    y=(torch.rand(n, 5) < 0.5).float()) for n in (4, 7)]
    batch = batch_graphs(graphs)
    out = model(batch.x, batch.edge_index)
    assert out.shape == (11, 5)
    # Disjoint union: each graph's outputs are what it gets alone.
    torch.testing.assert_close(out[4:], model(graphs[1].x, graphs[1].edge_index))
    loss = F.binary_cross_entropy_with_logits(out, batch.y)
    loss.backward()


def test_gat_trains_on_a_toy_graph():
    """A few Adam steps lower the loss (a smoke test that gradients reach every parameter)."""
    g = random_graph(N=30, C=2, seed=1)
    torch.manual_seed(0)
    model = GAT(20, 2, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(g.x.to_sparse_csr(), g.edge_index), g.y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(p.grad is not None for p in model.parameters())


def test_models_reject_bad_input():
    with pytest.raises(ValueError, match="GATConv edge_index has node id 99"):
        GAT(20, 3)(torch.rand(5, 20), torch.tensor([[0, 99], [1, 2]]))
