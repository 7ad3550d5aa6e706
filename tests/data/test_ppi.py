"""Tests for gattut.data.ppi on a tiny PPI-format fixture (3 graphs) written in tmp_path."""

from __future__ import annotations

import json
import zipfile

import networkx as nx
import numpy as np
import pytest
import torch

from gattut.data import REGISTRY, ChecksumError, DataNotFoundError, RemoteFile, sha256_of
from gattut.data.ppi import PPI_SPLITS, PPI_URL, load_ppi, ppi_files
from gattut.graph import Graph, batch_graphs

F, C = 5, 4
# Three graphs of 4, 5 and 3 nodes; global node ids 0..11. Undirected edges,
# including a repeat (0, 1)/(1, 0) and a self-loop (6, 6) that must be dropped.
SIZES = (4, 5, 3)
EDGES = [(0, 1), (1, 0), (1, 2), (2, 3), (4, 5), (4, 8), (6, 7), (6, 6), (9, 10), (9, 11)]


def write_split(folder, split="train", *, feats_rows=None, labels=None, edges=EDGES):
    """Write one split in the DGL/PyG layout; return (feats, labels, graph_id)."""
    rng = np.random.default_rng(0)
    N = sum(SIZES)
    folder.mkdir(parents=True, exist_ok=True)
    G = nx.Graph()
    G.add_nodes_from(range(N))
    G.add_edges_from(edges)
    with open(folder / f"{split}_graph.json", "w") as f:
        json.dump(nx.node_link_data(G, edges="links"), f)
    feats = rng.standard_normal((feats_rows or N, F)).astype(np.float32)
    if labels is None:
        labels = (rng.random((N, C)) < 0.5).astype(np.int64)
    # Real PPI numbers graphs from 1, not 0.
    graph_id = np.repeat(np.arange(1, len(SIZES) + 1), SIZES)
    np.save(folder / f"{split}_feats.npy", feats)
    np.save(folder / f"{split}_labels.npy", labels)
    np.save(folder / f"{split}_graph_id.npy", graph_id)
    return feats, labels, graph_id


def test_load_fixture_shapes_and_edges(tmp_path):
    feats, labels, _ = write_split(tmp_path)
    graphs = load_ppi("train", root=tmp_path)
    assert len(graphs) == 3
    assert all(isinstance(g, Graph) for g in graphs)
    assert [g.name for g in graphs] == ["ppi-train-0", "ppi-train-1", "ppi-train-2"]
    start = 0
    for g, n in zip(graphs, SIZES):
        assert g.x.shape == (n, F) and g.x.dtype == torch.float32
        assert g.y.shape == (n, C) and g.y.dtype == torch.float32
        assert torch.equal(g.x, torch.from_numpy(feats[start : start + n]))
        assert torch.equal(g.y, torch.from_numpy(labels[start : start + n]).float())
        start += n
    as_sets = [set(map(tuple, g.edge_index.t().tolist())) for g in graphs]
    both = lambda pairs: pairs | {(b, a) for a, b in pairs}  # noqa: E731
    assert as_sets[0] == both({(0, 1), (1, 2), (2, 3)})
    assert as_sets[1] == both({(0, 1), (0, 4), (2, 3)})  # global 4..8; self-loop 6-6 dropped
    assert as_sets[2] == both({(0, 1), (0, 2)})
    assert [g.num_edges for g in graphs] == [6, 6, 4]
    batch = batch_graphs(graphs)
    assert batch.num_nodes == 12 and batch.num_graphs == 3


def test_found_through_data_root(tmp_path, monkeypatch):
    write_split(tmp_path / "ppi", "valid")
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path))
    assert len(load_ppi("valid")) == 3


def test_missing_files_message(tmp_path, monkeypatch):
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataNotFoundError) as info:
        load_ppi("test")
    message = str(info.value)
    assert "test_feats.npy" in message and str(tmp_path / "ppi") in message
    assert PPI_URL in message and "GATTUT_DATA" in message
    with pytest.raises(DataNotFoundError, match="test_graph.json"):
        load_ppi("test", root=tmp_path)


def test_unpacks_registered_zip(tmp_path, monkeypatch):
    """When only ppi.zip is there, it is verified and its members unpacked by base name."""
    source = tmp_path / "source"
    for split in PPI_SPLITS:
        write_split(source, split)
    archive = tmp_path / "data" / "ppi" / "ppi.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        for split in PPI_SPLITS:
            for name in ppi_files(split):
                zf.write(source / name, f"ppi/{name}")  # a top folder inside the archive
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "data"))
    monkeypatch.setitem(
        REGISTRY, "ppi/ppi.zip", RemoteFile("ppi/ppi.zip", sha256_of(archive), PPI_URL)
    )
    graphs = load_ppi("test")
    assert len(graphs) == 3 and (archive.parent / "test_labels.npy").is_file()
    # A digest that does not match is reported, with the note that it is unverified.
    monkeypatch.setitem(REGISTRY, "ppi/ppi.zip", RemoteFile("ppi/ppi.zip", "0" * 64, PPI_URL))
    (archive.parent / "train_feats.npy").unlink()
    with pytest.raises(ChecksumError, match="could not verify this digest"):
        load_ppi("train")


def test_matches_pyg(tmp_path):
    """PyG's PPI class on the same raw files gives the same graphs."""
    pyg = pytest.importorskip("torch_geometric.datasets")
    write_split(tmp_path / "raw", "train")
    for split in ("valid", "test"):
        write_split(tmp_path / "raw", split)
    ref = pyg.PPI(str(tmp_path), split="train")
    ours = load_ppi("train", root=tmp_path / "raw")
    assert len(ref) == len(ours)
    for g, r in zip(ours, ref):
        assert torch.equal(g.x, r.x) and torch.equal(g.y, r.y)
        assert set(map(tuple, g.edge_index.t().tolist())) == set(map(tuple, r.edge_index.t().tolist()))


def test_shape_mismatch(tmp_path):
    write_split(tmp_path, feats_rows=11)
    with pytest.raises(ValueError, match="feats has 11 rows but labels has 12"):
        load_ppi("train", root=tmp_path)


def test_bad_labels(tmp_path):
    write_split(tmp_path, labels=np.full((12, C), 2))
    with pytest.raises(ValueError, match="labels must be 0/1"):
        load_ppi("train", root=tmp_path)


def test_bad_node_ids(tmp_path):
    write_split(tmp_path, edges=EDGES + [(11, 12)])  # node 12 has no feature row
    with pytest.raises(ValueError, match="node ids must be 0..11"):
        load_ppi("train", root=tmp_path)


def test_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="unknown PPI split 'val'"):
        load_ppi("val", root=tmp_path)
