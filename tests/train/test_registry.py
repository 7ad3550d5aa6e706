import pytest
import torch

from gattut.graph.models import GAT, GCN, MLP, PPIGAT
from gattut.train.registry import DATASETS, MODELS, GATv2, build_model, paper_config


def test_names():
    assert set(DATASETS) >= {"cora", "citeseer", "pubmed", "ppi"}
    assert MODELS == ("gat", "gatv2", "gcn", "mlp")


@pytest.mark.parametrize("name, cls", [("gat", GAT), ("gatv2", GATv2), ("gcn", GCN), ("mlp", MLP)])
def test_build_model_shapes(name, cls, tiny_graph):
    g = tiny_graph
    model = build_model(name, "cora", g.num_features, g.num_classes)
    assert isinstance(model, cls)
    assert model(g.x, g.edge_index).shape == (g.num_nodes, g.num_classes)  # (N, C)


def test_gatv2_shapes_on_sparse_features(tiny_graph):
    g = tiny_graph
    model = GATv2(g.num_features, g.num_classes).eval()
    dense = model(g.x, g.edge_index)
    sparse = model(g.x.to_sparse_csr(), g.edge_index)
    assert dense.shape == (g.num_nodes, g.num_classes)
    torch.testing.assert_close(sparse, dense, rtol=1e-5, atol=1e-6)


def test_paper_settings():
    gat = build_model("gat", "cora", 1433, 7)
    assert (gat.conv1.heads, gat.conv1.out_features, gat.conv2.heads) == (8, 8, 1)
    # The paper's dropouts live in the layers: per-head input masks, W h dropped before the sum.
    for conv in (gat.conv1, gat.conv2):
        assert (conv.dropout, conv.input_dropout, conv.value_dropout) == (0.6, 0.6, 0.6)
    assert gat.dropout == 0.0
    assert build_model("gat", "pubmed", 500, 3).conv2.heads == 8
    assert isinstance(build_model("gat", "ppi", 50, 121), PPIGAT)
    c = paper_config("gat", "cora")
    assert (c.lr, c.weight_decay, c.patience) == (0.005, 5e-4, 100)
    c = paper_config("gat", "pubmed")
    assert (c.lr, c.weight_decay) == (0.01, 1e-3)
    c = paper_config("gat", "ppi")
    assert (c.weight_decay, c.batch_size) == (0.0, 2)
    assert paper_config("gcn", "cora").lr == 0.01
    assert paper_config("gat", "cora", seed=4).seed == 4


def test_unknown_names():
    with pytest.raises(ValueError, match="unknown model 'gin'; choose one of: gat, gatv2, gcn, mlp"):
        build_model("gin", "cora", 4, 2)
    with pytest.raises(ValueError, match="unknown dataset 'reddit'"):
        paper_config("gat", "reddit")
    with pytest.raises(ValueError, match="not set up for PPI"):
        build_model("gcn", "ppi", 50, 121)
