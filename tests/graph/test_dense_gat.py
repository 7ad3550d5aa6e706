"""Tests for gattut.graph.dense_gat: the masked N x N layer."""

from __future__ import annotations

import warnings

import pytest
import torch

from gattut.graph.dense_gat import DenseGATConv, adjacency_mask


def test_adjacency_mask_rows_are_targets(simple_edges):
    edge_index, N = simple_edges
    mask = adjacency_mask(edge_index, N)
    assert mask.shape == (N, N) and mask.dtype == torch.bool
    assert mask[1, 0] and not mask[0, 1]  # edge 0 -> 1: row 1 attends to column 0
    assert int(mask.sum()) == edge_index.shape[1]
    assert adjacency_mask(edge_index, N, add_self_loops=True).diagonal().all()


def test_shapes_and_rows_sum_to_one(simple_edges):
    edge_index, N = simple_edges
    layer = DenseGATConv(5, 3, heads=2)
    out, weights = layer(torch.randn(N, 5), edge_index, return_attention=True)
    assert out.shape == (N, 6) and weights.shape == (2, N, N)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, N))


def test_mask_or_edge_index_give_the_same(simple_edges):
    edge_index, N = simple_edges
    layer = DenseGATConv(5, 3, heads=2, concat=False)
    x = torch.randn(N, 5)
    torch.testing.assert_close(layer(x, edge_index), layer(x, adjacency_mask(edge_index, N)))


def test_empty_rows_give_zeros_not_nan(simple_edges):
    """Node 5 has no edges and no self-loop: zero weights, zero output, finite gradients."""
    edge_index, N = simple_edges
    layer = DenseGATConv(5, 3, heads=2, add_self_loops=False, bias=False)
    x = torch.randn(N, 5, requires_grad=True)
    out, weights = layer(x, edge_index, return_attention=True)
    assert (weights[:, 5] == 0).all() and (out[5] == 0).all()
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())


def test_rejects_wrong_mask_shape():
    with pytest.raises(ValueError, match=r"adj mask must be \(4, 4\)"):
        DenseGATConv(5, 3)(torch.randn(4, 5), torch.ones(3, 3, dtype=torch.bool))


def test_rejects_out_of_range_edge_index():
    with pytest.raises(ValueError, match="DenseGATConv edge_index has node id 9"):
        DenseGATConv(5, 3)(torch.randn(4, 5), torch.tensor([[0, 9], [1, 2]]))


def test_duplicate_edges_warn_because_the_mask_counts_them_once():
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 2, 2, 0]])  # 1 -> 2 twice
    layer = DenseGATConv(5, 3)
    with pytest.warns(UserWarning, match="duplicate edges"):
        layer(torch.randn(3, 5), edge_index)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a self-loop next to add_self_loops is not a duplicate
        layer(torch.randn(3, 5), torch.tensor([[0, 1, 1], [1, 2, 1]]))


def test_pyg_names():
    layer = DenseGATConv(in_channels=5, out_channels=3, heads=2, residual=True)
    out, weights = layer(torch.randn(3, 5), torch.tensor([[0], [1]]), return_attention_weights=True)
    assert out.shape == (3, 6) and weights.shape == (2, 3, 3)
