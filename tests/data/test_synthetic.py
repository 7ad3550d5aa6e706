"""Tests for gattut.data.synthetic: contextual SBM, random graphs, inductive split."""

from __future__ import annotations

import pytest
import torch

from gattut.data.planetoid import load_planetoid
from gattut.data.synthetic import (
    InductiveSplit,
    contextual_sbm,
    inductive_split,
    random_graph,
    sparse_csbm,
)
from gattut.graph import Graph


def _assert_simple(g: Graph) -> None:
    """No self-loops, no repeated edges."""
    src, dst = g.edge_index
    assert not bool((src == dst).any())
    keys = dst * g.num_nodes + src
    assert torch.unique(keys).numel() == keys.numel()


def _assert_same(a: Graph, b: Graph) -> None:
    for field in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(getattr(a, field), getattr(b, field)), field


# --------------------------------------------------------------- contextual SBM
def test_sbm_shapes_masks_and_symmetry():
    N, C, F = 300, 3, 5
    g = contextual_sbm(N, C, 0.1, 0.01, F, 1.0, seed=1)
    assert g.x.shape == (N, F) and g.x.dtype == torch.float32
    assert g.y.shape == (N,) and g.y.dtype == torch.int64
    assert g.edge_index.shape[0] == 2 and g.edge_index.dtype == torch.int64
    assert torch.bincount(g.y).tolist() == [100, 100, 100]
    _assert_simple(g)
    # Undirected: the reversed edge set is the same set.
    src, dst = g.edge_index
    assert set(zip(src.tolist(), dst.tolist())) == set(zip(dst.tolist(), src.tolist()))
    # Masks are disjoint, cover every node, and train has 20 per class.
    total = g.train_mask.int() + g.val_mask.int() + g.test_mask.int()
    assert torch.equal(total, torch.ones(N, dtype=torch.int32))
    assert torch.bincount(g.y[g.train_mask]).tolist() == [20, 20, 20]
    assert int(g.val_mask.sum()) == 120 and int(g.test_mask.sum()) == 120


def test_sbm_edge_probabilities():
    """Edge counts within and across classes match p_in and p_out (about 4 std)."""
    N, p_in, p_out = 600, 0.05, 0.005
    g = contextual_sbm(N, 2, p_in, p_out, 4, 1.0, seed=0)
    src, dst = g.edge_index
    same = g.y[src] == g.y[dst]
    within, across = int(same.sum()) // 2, int((~same).sum()) // 2
    pairs_in, pairs_out = 2 * (300 * 299 // 2), 300 * 300
    for count, pairs, p in ((within, pairs_in, p_in), (across, pairs_out, p_out)):
        std = (pairs * p * (1 - p)) ** 0.5
        assert abs(count - pairs * p) < 4 * std


def test_sbm_features_carry_the_class():
    g = contextual_sbm(200, 4, 0.05, 0.01, 6, feature_noise=0.0, seed=3)
    for c in range(4):
        rows = g.x[g.y == c]
        assert torch.equal(rows, rows[:1].expand_as(rows))
    noisy = contextual_sbm(200, 4, 0.05, 0.01, 6, feature_noise=0.5, seed=3)
    assert not torch.equal(noisy.x, g.x)


def test_sbm_deterministic_given_seed():
    a = contextual_sbm(150, 2, 0.1, 0.02, 3, 1.0, seed=7)
    _assert_same(a, contextual_sbm(150, 2, 0.1, 0.02, 3, 1.0, seed=7))
    b = contextual_sbm(150, 2, 0.1, 0.02, 3, 1.0, seed=8)
    assert not torch.equal(a.x, b.x)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"p_in": 1.5}, "p_in must be a probability"),
        ({"p_out": -0.1}, "p_out must be a probability"),
        ({"feature_noise": -1.0}, "feature_noise must be >= 0"),
        ({"num_classes": 1}, "num_classes >= 2"),
        ({"num_nodes": 40}, "not more than train_per_class=20"),
    ],
)
def test_sbm_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        contextual_sbm(**kwargs)


# --------------------------------------------------------------- sparse contextual SBM
def test_sparse_csbm_shapes_degree_homophily_and_masks():
    N, C, F, d = 20_000, 4, 5, 10
    g = sparse_csbm(N, C, d, F, homophily=0.8, seed=0, train_fraction=0.05, val_fraction=0.2)
    assert g.x.shape == (N, F) and g.x.dtype == torch.float32
    assert g.y.shape == (N,) and g.y.dtype == torch.int64
    assert g.edge_index.shape[0] == 2 and g.edge_index.dtype == torch.int64
    assert torch.bincount(g.y).tolist() == [N // C] * C
    _assert_simple(g)
    src, dst = g.edge_index
    assert set(zip(src.tolist(), dst.tolist())) == set(zip(dst.tolist(), src.tolist()))
    # N * d / 2 pairs drawn, a few dozen repeats dropped: the degree is just under d.
    assert N * d - 400 <= g.num_edges <= N * d
    # About 80% of the edges join one class (M = 10^5 draws: 4 std is ~0.005).
    assert abs(float((g.y[src] == g.y[dst]).float().mean()) - 0.8) < 0.01
    total = g.train_mask.int() + g.val_mask.int() + g.test_mask.int()
    assert torch.equal(total, torch.ones(N, dtype=torch.int32))  # disjoint, every node
    for mask, p in ((g.train_mask, 0.05), (g.val_mask, 0.2), (g.test_mask, 0.75)):
        assert abs(float(mask.float().mean()) - p) < 4 * (p * (1 - p) / N) ** 0.5


def test_sparse_csbm_features_carry_the_class_and_extremes_hold():
    g = sparse_csbm(400, 4, 6, 3, feature_noise=0.0, seed=1)
    for c in range(4):
        rows = g.x[g.y == c]
        assert torch.equal(rows, rows[:1].expand_as(rows))  # the class mean, no noise
    src, dst = g.edge_index
    assert not bool((g.y[src] == g.y[dst]).all())  # homophily 0.8: some edges cross
    pure = sparse_csbm(400, 4, 6, 3, homophily=1.0, seed=1).edge_index
    assert torch.equal(g.y[pure[0]], g.y[pure[1]])  # homophily 1: every edge in one class
    none = sparse_csbm(400, 4, 6, 3, homophily=0.0, seed=1).edge_index
    assert not bool((g.y[none[0]] == g.y[none[1]]).any())  # homophily 0: none
    assert sparse_csbm(10, 2, 0.0, 3).edge_index.shape == (2, 0)


def test_sparse_csbm_deterministic_given_seed():
    a = sparse_csbm(3000, seed=7)
    _assert_same(a, sparse_csbm(3000, seed=7))
    b = sparse_csbm(3000, seed=8)
    assert not torch.equal(a.x, b.x) and not torch.equal(a.y, b.y)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_classes": 1}, "num_classes >= 2"),
    ({"num_nodes": 3}, "num_nodes >= num_classes"),
    ({"num_features": 0}, "num_features >= 1"),
    ({"num_nodes": 100.0}, "num_nodes must be an int, got 100.0"),
    ({"avg_degree": -1.0}, "avg_degree must be >= 0, got -1.0"),
    ({"feature_noise": -0.5}, "feature_noise must be >= 0"),
    ({"homophily": 1.5}, r"homophily must be in \[0, 1\], got 1.5"),
    ({"train_fraction": -0.1}, r"train_fraction must be in \[0, 1\]"),
    ({"train_fraction": 0.6, "val_fraction": 0.5}, "train_fraction \\+ val_fraction must be <= 1"),
])
def test_sparse_csbm_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sparse_csbm(**{"num_nodes": 100, **kwargs})


# ------------------------------------------------------------------ random graph
def test_random_graph_shapes_and_edges():
    N, d, F = 5000, 4, 3
    g = random_graph(N, d, F, seed=0)
    assert g.x.shape == (N, F) and g.x.dtype == torch.float32
    assert g.y.shape == (N,)
    E = g.num_edges
    assert g.edge_index.shape == (2, E) and N * d - 20 <= E <= N * d
    _assert_simple(g)
    # Sorted by target, then source.
    keys = g.edge_index[1] * N + g.edge_index[0]
    assert torch.equal(keys, torch.sort(keys).values)


def test_random_graph_deterministic_given_seed():
    a = random_graph(1000, 3.5, 2, seed=4)
    b = random_graph(1000, 3.5, 2, seed=4)
    assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.x, b.x)
    assert not torch.equal(a.edge_index, random_graph(1000, 3.5, 2, seed=5).edge_index)


def test_random_graph_bad_arguments():
    with pytest.raises(ValueError, match="num_nodes >= 2"):
        random_graph(1, 3)
    with pytest.raises(ValueError, match="avg_degree >= 0"):
        random_graph(10, -1)


# -------------------------------------------------------------- inductive split
def _check_split(g: Graph, split: InductiveSplit) -> None:
    train_graph, test_graph, train_nodes = split
    test_mask = test_graph.test_mask
    N_test = int(test_mask.sum())
    assert train_graph.num_nodes == g.num_nodes - N_test
    assert torch.equal(train_nodes, torch.nonzero(~test_mask).view(-1))
    x = g.x.to_dense()
    assert torch.equal(train_graph.x.to_dense(), x[train_nodes])
    assert torch.equal(train_graph.y, g.y[train_nodes])
    assert torch.equal(train_graph.train_mask, g.train_mask[train_nodes])
    assert torch.equal(train_graph.val_mask, g.val_mask[train_nodes])
    assert not bool(train_graph.test_mask.any())
    # Train edges are exactly the edges with neither end a test node, renumbered.
    src, dst = g.edge_index
    kept = ~test_mask[src] & ~test_mask[dst]
    assert torch.equal(train_nodes[train_graph.edge_index], g.edge_index[:, kept])
    # The test graph is the whole graph.
    assert torch.equal(test_graph.edge_index, g.edge_index)
    assert torch.equal(test_graph.x.to_dense(), x)


def test_inductive_split_uses_test_mask():
    g = contextual_sbm(300, 3, 0.1, 0.01, 4, 1.0, seed=2)
    split = inductive_split(g)
    assert isinstance(split, InductiveSplit)
    assert torch.equal(split.test_graph.test_mask, g.test_mask)
    _check_split(g, split)


def test_inductive_split_random_fraction():
    g = contextual_sbm(300, 3, 0.1, 0.01, 4, 1.0, seed=2)
    g.test_mask = None
    a = inductive_split(g, test_fraction=0.1, seed=0)
    assert int(a.test_graph.test_mask.sum()) == 30
    assert not bool((a.test_graph.test_mask & (g.train_mask | g.val_mask)).any())
    _check_split(g, a)
    b = inductive_split(g, test_fraction=0.1, seed=0)
    assert torch.equal(a.test_graph.test_mask, b.test_graph.test_mask)


def test_inductive_split_errors():
    g = contextual_sbm(300, 3, 0.1, 0.01, 4, 1.0, seed=2)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        inductive_split(g, test_fraction=1.5)
    with pytest.raises(ValueError, match="only 120 nodes are outside"):
        inductive_split(g, test_fraction=0.5)
    overlapping = Graph(x=g.x, edge_index=g.edge_index, y=g.y, train_mask=g.train_mask,
                        val_mask=g.val_mask, test_mask=g.train_mask.clone())
    with pytest.raises(ValueError, match="also train or validation"):
        inductive_split(overlapping)
    bare = Graph(x=g.x, edge_index=g.edge_index)
    with pytest.raises(ValueError, match="needs a graph with train_mask"):
        inductive_split(bare)


def test_inductive_split_cora(require_data):
    require_data(*[f"planetoid/ind.cora.{s}" for s in
                   ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")])
    cora = load_planetoid("cora", sparse=True)
    split = inductive_split(cora)
    assert split.train_graph.num_nodes == 1708
    assert split.train_graph.x.layout == torch.sparse_csr
    _check_split(cora, split)
