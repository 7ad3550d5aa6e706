"""Tests for gattut.data.graph: the Graph container, its checks, conversions and batching."""

from __future__ import annotations

import pytest
import torch

from gattut.data.graph import Graph, batch_graphs


def small_graph(**overrides) -> Graph:
    kwargs = dict(
        x=torch.randn(4, 3),
        edge_index=torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]),
        y=torch.tensor([0, 1, 2, 1]),
        train_mask=torch.tensor([True, True, False, False]),
    )
    kwargs.update(overrides)
    return Graph(**kwargs)


def test_fields_and_properties():
    g = small_graph(name="toy")
    assert g.num_nodes == 4 and g.num_edges == 4 and g.num_features == 3
    assert g.num_classes == 3 and g.num_graphs == 1
    assert g.batch.tolist() == [0, 0, 0, 0]
    assert "toy" in repr(g) and "num_edges=4" in repr(g)


def test_int32_edge_index_stored_as_long():
    g = small_graph(edge_index=torch.tensor([[0, 1], [1, 2]], dtype=torch.int32))
    assert g.edge_index.dtype == torch.long


def test_multilabel_num_classes():
    g = small_graph(y=torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]]))
    assert g.num_classes == 2


def test_sparse_features_accepted():
    x = torch.zeros(4, 3)
    x[1, 2] = 1.0
    g = small_graph(x=x.to_sparse_csr())
    assert g.is_sparse and g.num_features == 3
    torch.testing.assert_close(g.to_dense().x, x)


def test_to_device_keeps_fields():
    g = small_graph().to("cpu")
    assert isinstance(g, Graph) and g.train_mask is not None and g.num_nodes == 4


# --- bad input: one test each, and the message names the problem -------------------------------

def test_edge_index_wrong_shape():
    with pytest.raises(ValueError, match=r"edge_index must have shape \(2, E\)"):
        small_graph(edge_index=torch.tensor([[0, 1, 2]]))


def test_edge_index_wrong_dtype():
    with pytest.raises(ValueError, match="edge_index must be an integer tensor"):
        small_graph(edge_index=torch.tensor([[0.0, 1.0], [1.0, 2.0]]))


def test_edge_index_negative_id():
    with pytest.raises(ValueError, match="negative node id -1"):
        small_graph(edge_index=torch.tensor([[0, -1], [1, 2]]))


def test_edge_index_id_out_of_range():
    with pytest.raises(ValueError, match="node id 4 but num_nodes is 4"):
        small_graph(edge_index=torch.tensor([[0, 4], [1, 2]]))


def test_x_rows_disagree_with_num_nodes():
    with pytest.raises(ValueError, match="x has 4 rows but num_nodes is 5"):
        small_graph(num_nodes=5)


def test_x_not_two_dimensional():
    with pytest.raises(ValueError, match=r"x must be a 2-D \(N, F\)"):
        small_graph(x=torch.randn(4))


def test_x_nan_features():
    x = torch.randn(4, 3)
    x[2, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        small_graph(x=x)


def test_x_inf_features_sparse():
    x = torch.zeros(4, 3)
    x[0, 0] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        small_graph(x=x.to_sparse_coo())


def test_labels_negative():
    with pytest.raises(ValueError, match="y has label -1"):
        small_graph(y=torch.tensor([0, -1, 2, 1]))


def test_labels_wrong_length():
    with pytest.raises(ValueError, match="y must be"):
        small_graph(y=torch.tensor([0, 1]))


def test_multilabels_not_binary():
    with pytest.raises(ValueError, match="must be 0 or 1"):
        small_graph(y=torch.full((4, 2), 0.5))


def test_mask_wrong_dtype():
    with pytest.raises(ValueError, match=r"train_mask must be a \(4,\) bool"):
        small_graph(train_mask=torch.tensor([1, 0, 0, 1]))


def test_mask_wrong_shape():
    with pytest.raises(ValueError, match=r"val_mask must be a \(4,\) bool"):
        small_graph(val_mask=torch.tensor([True, False]))


# --- conversions -------------------------------------------------------------------------------

def test_networkx_round_trip():
    nx = pytest.importorskip("networkx")
    g = small_graph()
    G = g.to_networkx()
    assert isinstance(G, nx.DiGraph) and G.number_of_edges() == 4
    back = Graph.from_networkx(G)
    torch.testing.assert_close(back.x, g.x)
    assert back.edge_index.tolist() == g.edge_index.tolist()
    assert back.y.tolist() == g.y.tolist()


def test_from_undirected_networkx_gives_both_directions():
    nx = pytest.importorskip("networkx")
    g = Graph.from_networkx(nx.path_graph(3))
    assert sorted(map(tuple, g.edge_index.t().tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    assert g.x.shape == (3, 1)


def test_pyg_round_trip():
    pytest.importorskip("torch_geometric")
    g = small_graph(graph_id=torch.tensor([0, 0, 1, 1]))
    data = g.to_pyg()
    assert data.num_nodes == 4 and data.batch.tolist() == [0, 0, 1, 1]
    back = Graph.from_pyg(data)
    torch.testing.assert_close(back.x, g.x)
    assert back.edge_index.tolist() == g.edge_index.tolist()
    assert back.train_mask.tolist() == g.train_mask.tolist()
    assert back.graph_id.tolist() == [0, 0, 1, 1]


# --- batching ----------------------------------------------------------------------------------

def test_batch_graphs_offsets_and_ids():
    a = small_graph()
    b = Graph(x=torch.randn(2, 3), edge_index=torch.tensor([[0, 1], [1, 0]]),
              y=torch.tensor([2, 0]), train_mask=torch.tensor([False, True]))
    g = batch_graphs([a, b])
    assert g.num_nodes == 6 and g.num_edges == 6 and g.num_graphs == 2
    assert g.graph_id.tolist() == [0, 0, 0, 0, 1, 1]
    assert g.edge_index[:, 4:].tolist() == [[4, 5], [5, 4]]
    torch.testing.assert_close(g.x[4:], b.x)
    assert g.y.tolist() == [0, 1, 2, 1, 2, 0]
    assert g.train_mask.tolist() == [True, True, False, False, False, True]
    assert g.val_mask is None
    # No edge crosses between the two graphs.
    assert bool((g.graph_id[g.edge_index[0]] == g.graph_id[g.edge_index[1]]).all())


def test_batch_graphs_sparse_and_dense_mix():
    a = small_graph()
    b = small_graph(x=torch.eye(4, 3).to_sparse_csr())
    g = batch_graphs([a, b])
    assert g.is_sparse
    torch.testing.assert_close(g.x.to_dense(), torch.cat([a.x, torch.eye(4, 3)]))


def test_batch_graphs_rejects_empty_and_mismatched():
    with pytest.raises(ValueError, match="at least one graph"):
        batch_graphs([])
    with pytest.raises(ValueError, match="different feature widths"):
        batch_graphs([small_graph(), small_graph(x=torch.randn(4, 5))])


def test_old_import_paths_give_the_same_container():
    import gattut.data
    import gattut.graph
    import gattut.graph.graph

    assert gattut.graph.Graph is gattut.graph.graph.Graph is gattut.data.Graph is Graph
    assert gattut.graph.batch_graphs is gattut.graph.graph.batch_graphs is batch_graphs
