"""Tests for gattut.data.planetoid: statistics, the split, and parity with PyG's reader."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from gattut.data import DataNotFoundError
from gattut.data.planetoid import load_planetoid, normalize_rows
from gattut.graph import Graph

SUFFIXES = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")

# name: (nodes, features, classes, directed edges, train, val, test)
STATS = {
    "cora": (2708, 1433, 7, 10556, 140, 500, 1000),
    "citeseer": (3327, 3703, 6, 9104, 120, 500, 1000),
    "pubmed": (19717, 500, 3, 88648, 60, 500, 1000),
}


def _require_all(require_data, name):
    return require_data(*[f"planetoid/ind.{name}.{s}" for s in SUFFIXES])


@pytest.mark.parametrize("name", sorted(STATS))
def test_statistics_and_shapes(require_data, name):
    _require_all(require_data, name)
    N, F, C, E, n_train, n_val, n_test = STATS[name]
    g = load_planetoid(name)
    assert isinstance(g, Graph) and g.name == name
    assert g.x.shape == (N, F) and g.x.dtype == torch.float32
    assert g.y.shape == (N,) and g.y.dtype == torch.int64
    assert g.edge_index.shape == (2, E) and g.edge_index.dtype == torch.int64
    assert g.num_classes == C
    masks = (g.train_mask, g.val_mask, g.test_mask)
    assert [int(m.sum()) for m in masks] == [n_train, n_val, n_test]
    assert all(m.shape == (N,) and m.dtype == torch.bool for m in masks)
    # The three splits are disjoint.
    assert int((g.train_mask.int() + g.val_mask.int() + g.test_mask.int()).max()) == 1
    # Train is the first 20 nodes per class, val the next 500.
    assert torch.equal(torch.bincount(g.y[g.train_mask], minlength=C), torch.full((C,), 20))
    assert torch.equal(g.train_mask.nonzero().view(-1), torch.arange(n_train))
    assert torch.equal(g.val_mask.nonzero().view(-1), torch.arange(n_train, n_train + n_val))
    # Undirected, no self-loops, no duplicates, sorted by target then source.
    src, dst = g.edge_index
    assert not bool((src == dst).any())
    keys = dst * N + src
    assert torch.equal(keys, torch.unique(keys))
    assert torch.equal(torch.sort(src * N + dst).values, torch.sort(keys).values)
    # Rows are normalised to sum one (CiteSeer has a few all-zero rows).
    sums = g.x.sum(dim=1)
    assert torch.allclose(sums[sums > 0], torch.ones(()), atol=1e-5)


def test_cora_class_counts(require_data):
    _require_all(require_data, "cora")
    g = load_planetoid("Cora", normalize_features=False)
    assert torch.bincount(g.y).tolist() == [351, 217, 418, 818, 426, 298, 180]
    assert set(torch.unique(g.x).tolist()) == {0.0, 1.0}


def test_citeseer_isolated_test_nodes(require_data):
    """The 15 ids in the test range without a tx row: zero features, label 0, in no mask."""
    index_file = _require_all(require_data, "citeseer")[-1]
    test_index = np.loadtxt(index_file, dtype=np.int64)
    g = load_planetoid("citeseer", normalize_features=False)
    missing = sorted(set(range(test_index.min(), test_index.max() + 1)) - set(test_index.tolist()))
    assert len(missing) == 15
    missing = torch.tensor(missing)
    assert int(g.x[missing].abs().sum()) == 0
    assert int(g.y[missing].abs().sum()) == 0
    in_any = g.train_mask | g.val_mask | g.test_mask
    assert not bool(in_any[missing].any())


@pytest.mark.parametrize("name", sorted(STATS))
def test_sparse_equals_dense(require_data, name):
    _require_all(require_data, name)
    dense = load_planetoid(name)
    sparse = load_planetoid(name, sparse=True)
    assert sparse.x.layout == torch.sparse_csr and sparse.x.shape == dense.x.shape
    assert sparse.x.dtype == torch.float32 and sparse.is_sparse
    assert torch.equal(sparse.x.to_dense(), dense.x)
    W = torch.randn(dense.x.shape[1], 4)
    assert torch.allclose(sparse.x @ W, dense.x @ W, atol=1e-5)


@pytest.mark.parametrize("name", sorted(STATS))
def test_matches_pyg_reader(require_data, tmp_path, name):
    """Same raw files through PyG's own reader: identical x, y, edges and masks."""
    pyg_io = pytest.importorskip("torch_geometric.io")
    files = _require_all(require_data, name)
    raw = tmp_path / "raw"
    raw.mkdir()
    for suffix, file in zip(SUFFIXES, files):
        shutil.copy(file, raw / f"ind.{name}.{suffix}")
    ref = pyg_io.read_planetoid_data(str(raw), name)
    ours = load_planetoid(name, normalize_features=False)
    assert torch.equal(ours.x, ref.x)
    assert torch.equal(ours.y, ref.y)
    # PyG sorts edges by target then source, as we do, so even the order agrees.
    assert torch.equal(ours.edge_index, ref.edge_index)
    for mask in ("train_mask", "val_mask", "test_mask"):
        assert torch.equal(getattr(ours, mask), getattr(ref, mask))
    # Row normalisation equals PyG's NormalizeFeatures on these files.
    from torch_geometric.transforms import NormalizeFeatures

    assert torch.allclose(load_planetoid(name).x, NormalizeFeatures()(ref).x, atol=1e-7)


def test_pubmed_class_counts_and_tfidf(require_data):
    """PubMed's features are TF-IDF weights (not 0/1 words), about 10% of them nonzero."""
    _require_all(require_data, "pubmed")
    g = load_planetoid("pubmed", normalize_features=False, sparse=True)
    assert torch.bincount(g.y).tolist() == [4103, 7739, 7875]
    values = g.x.values()
    assert 0.09 < values.numel() / (19717 * 500) < 0.11
    assert bool((values > 0).all()) and len(torch.unique(values)) > 1000


def test_pubmed_missing_allx_is_named(require_data, tmp_path, monkeypatch):
    """Without ind.pubmed.allx (once absent from the shared data) the error names that file."""
    files = _require_all(require_data, "pubmed")
    folder = tmp_path / "data" / "planetoid"
    folder.mkdir(parents=True)
    for suffix, file in zip(SUFFIXES, files):
        if suffix != "allx":
            (folder / f"ind.pubmed.{suffix}").symlink_to(file)
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataNotFoundError, match=r"ind\.pubmed\.allx"):
        load_planetoid("pubmed")


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown Planetoid dataset 'corra'"):
        load_planetoid("corra")


def test_normalize_rows():
    x = sp.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 2.0]]))
    out = normalize_rows(x)
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out.toarray(), [[0.25, 0.75, 0.0], [0.0, 0.0, 0.0], [0.5, 0.0, 0.5]])
