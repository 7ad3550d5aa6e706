"""PPI: the protein-protein interaction graphs of the GAT paper's inductive task.

24 graphs, one per human tissue (Zitnik & Leskovec, 2017, as preprocessed by
Hamilton et al., 2017): 20 to train, 2 to validate, 2 to test; 56,944 nodes
(44,906 / 6,514 / 5,524), 50 features per node and 121 labels, several of
which can be on at once (multi-label). A model trained on the 20 training
graphs is tested on two graphs it never saw.

The files are the DGL / PyTorch Geometric layout, twelve of them::

    {train,valid,test}_graph.json     networkx node-link JSON, all graphs of the split
    {train,valid,test}_feats.npy      (N, 50) features
    {train,valid,test}_labels.npy     (N, 121) 0/1 labels
    {train,valid,test}_graph_id.npy   (N,) which graph each node belongs to

Getting them: download ``https://data.dgl.ai/dataset/ppi.zip`` (the ``url`` of
PyG's ``PPI`` class and of DGL's ``PPIDataset``) and unzip it into
``<data root>/ppi/``, where the data root is ``$GATTUT_DATA`` or
``~/.cache/gattut``. If ``ppi/ppi.zip`` is registered and downloads are on,
:func:`load_ppi` fetches and unpacks it itself.

The checksum is **not verified by this project**: no copy of the archive was
available when it was written. A third-party analysis file gives SHA-256
``1f5b2b09ac0f897fa6aa1338c64ab75a5473674cbba89380120bede8cddb2a6a`` for the
DGL ``ppi.zip`` (and ``53aeb76e54fd41b645e7edb48b62929240b89839495396b048086fd212503fbd``
for the older GraphSAGE-format ``http://snap.stanford.edu/graphsage/ppi.zip``,
which this loader does not read). See ``shared/data/MANIFEST.md``.

Nothing here unpickles: arrays are read with ``np.load(allow_pickle=False)``
and the graph with ``json.load``, so unverified files cannot run code.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

from gattut.data.fetch import (
    ENV_VAR,
    ChecksumError,
    DataNotFoundError,
    _check_env_root,
    data_roots,
    path,
)
from gattut.data.graph import Graph
from gattut.data.registry import REGISTRY

__all__ = ["PPI_SPLITS", "PPI_URL", "load_ppi", "ppi_files"]

PPI_URL = "https://data.dgl.ai/dataset/ppi.zip"
PPI_SPLITS = ("train", "valid", "test")
_PARTS = ("graph.json", "feats.npy", "labels.npy", "graph_id.npy")
_ZIP_KEY = "ppi/ppi.zip"


def ppi_files(split: str) -> list[str]:
    """The four file names one split needs, e.g. ``train_graph.json``."""
    if split not in PPI_SPLITS:
        raise ValueError(f"unknown PPI split {split!r}; expected one of {PPI_SPLITS}")
    return [f"{split}_{part}" for part in _PARTS]


def _find_folder(split: str, root: str | Path | None) -> Path | None:
    """The first folder that holds all files of ``split``, or None."""
    folders = [Path(root)] if root is not None else [r / "ppi" for r in data_roots()]
    for folder in folders:
        if all((folder / name).is_file() for name in ppi_files(split)):
            return folder
    return None


def _unpack_zip(archive: Path, folder: Path) -> None:
    """Extract the twelve PPI files from ``archive`` into ``folder``, by base name only.

    Members are matched on their base name (the archive may or may not keep a
    top folder) and written through a temporary file, so a half-written file
    never carries a final name and no member can escape ``folder``.
    """
    wanted = {name for split in PPI_SPLITS for name in ppi_files(split)}
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if base not in wanted or info.is_dir():
                continue
            fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".part", dir=folder)
            try:
                with os.fdopen(fd, "wb") as out, zf.open(info) as member:
                    while chunk := member.read(1 << 20):
                        out.write(chunk)
                os.replace(tmp, folder / base)
            finally:
                Path(tmp).unlink(missing_ok=True)


def _not_found(split: str, root: str | Path | None, reason: str) -> DataNotFoundError:
    folders = [Path(root)] if root is not None else [r / "ppi" for r in data_roots()]
    looked = "\n".join(f"  - {f}/{name}" for f in folders for name in ppi_files(split))
    target = folders[0]
    return DataNotFoundError(
        f"PPI split {split!r} is missing: {reason}.\n"
        f"Looked for:\n{looked}\n"
        f"Get {PPI_URL} (its sha256 is not verified by gattut, see gattut.data.ppi), unzip it so that {target}/{split}_feats.npy exists, or set "
        f"{ENV_VAR} to a folder that holds ppi/{split}_feats.npy."
    )


def _read_edges(file: Path, num_nodes: int) -> np.ndarray:
    """Node-link JSON -> (2, E) edges, both directions for an undirected graph.

    Node ids must be ``0..N-1`` (row ``n`` of the feature file is node ``n``).
    Self-loops and repeats are dropped; sorted by target, then source.
    """
    with open(file, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or "nodes" not in data or "links" not in data:
        raise ValueError(f"{file}: not networkx node-link JSON (needs 'nodes' and 'links')")
    ids = np.array([node["id"] for node in data["nodes"]], dtype=np.int64)
    if not np.array_equal(np.sort(ids), np.arange(num_nodes)):
        raise ValueError(
            f"{file}: node ids must be 0..{num_nodes - 1} to match the {num_nodes} feature rows; "
            f"got {len(ids)} ids in [{ids.min() if len(ids) else '-'}, "
            f"{ids.max() if len(ids) else '-'}]"
        )
    links = data["links"]
    src = np.array([link["source"] for link in links], dtype=np.int64)
    dst = np.array([link["target"] for link in links], dtype=np.int64)
    if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= num_nodes):
        raise ValueError(f"{file}: a link refers to a node outside 0..{num_nodes - 1}")
    if not data.get("directed", False):
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    keep = src != dst
    keys = np.unique(dst[keep] * num_nodes + src[keep])
    return np.stack([keys % num_nodes, keys // num_nodes])  # (2, E)


def load_ppi(split: str = "train", *, root: str | Path | None = None) -> list[Graph]:
    """Load one split of PPI as a list of graphs, one per ``graph_id``.

    Args:
        split: ``"train"`` (20 graphs), ``"valid"`` (2) or ``"test"`` (2).
        root: a folder holding the files directly. By default ``ppi/`` under
            each data root is searched (``$GATTUT_DATA``, then the user cache);
            when the files are nowhere, the registered ``ppi/ppi.zip`` is
            fetched (unless ``GATTUT_OFFLINE`` is set) and unpacked there.

    Returns:
        Graphs in increasing ``graph_id`` order. Each has ``x`` (float32),
        ``y`` (float32 0/1 multi-labels), ``edge_index`` (both directions of
        every edge, no self-loops, node ids local to the graph) and ``name``
        ``"ppi-<split>-<k>"``. Edges between two different graphs are dropped,
        as PyG does. Use :func:`gattut.data.graph.batch_graphs` to train on several.

    Raises:
        ValueError: an unknown split, or files that disagree (row counts of
            features, labels and graph ids; labels that are not 0/1; node ids
            out of range).
        DataNotFoundError: the files are missing; the message says where it
            looked and how to get them.

    Shapes:
        per graph: x (N_g, 50); y (N_g, 121); edge_index (2, E_g).
    """
    if split not in PPI_SPLITS:
        raise ValueError(f"unknown PPI split {split!r}; expected one of {PPI_SPLITS}")
    if root is None:
        _check_env_root(data_roots())
    elif Path(root).exists() and not Path(root).is_dir():
        raise DataNotFoundError(f"root={str(root)!r} is a file, not the folder of the PPI files")
    folder = _find_folder(split, root)
    if folder is None and root is None:
        if _ZIP_KEY not in REGISTRY:
            raise _not_found(split, root, "the files are not in any data folder")
        try:
            archive = path(_ZIP_KEY)
        except DataNotFoundError as exc:
            raise _not_found(split, root, f"neither the files nor ppi.zip were found ({exc})") from exc
        except ChecksumError as exc:
            # The registered digest is third-party and unverified, so say so.
            raise ChecksumError(
                f"{exc}\nNote: gattut could not verify this digest itself (see gattut.data.ppi). "
                f"If you trust the archive, unzip it by hand into {data_roots()[0] / 'ppi'}."
            ) from exc
        _unpack_zip(archive, archive.parent)
        folder = _find_folder(split, root)
    if folder is None:
        raise _not_found(split, root, "not every file of the split is there")

    feats = np.load(folder / f"{split}_feats.npy", allow_pickle=False)
    labels = np.load(folder / f"{split}_labels.npy", allow_pickle=False)
    graph_id = np.load(folder / f"{split}_graph_id.npy", allow_pickle=False)
    if feats.ndim != 2 or labels.ndim != 2 or graph_id.ndim != 1:
        raise ValueError(
            f"PPI {split}: expected feats (N, F), labels (N, C), graph_id (N,); got "
            f"{feats.shape}, {labels.shape}, {graph_id.shape}"
        )
    N = feats.shape[0]
    if labels.shape[0] != N or graph_id.shape[0] != N:
        raise ValueError(
            f"PPI {split}: feats has {N} rows but labels has {labels.shape[0]} and graph_id "
            f"{graph_id.shape[0]}; all three must have one row per node"
        )
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"PPI {split}: labels must be 0/1")
    edge_index = _read_edges(folder / f"{split}_graph.json", N)  # (2, E)

    x = torch.from_numpy(feats.astype(np.float32))  # (N, F)
    y = torch.from_numpy(labels.astype(np.float32))  # (N, C)
    gid = torch.from_numpy(graph_id.astype(np.int64))  # (N,)
    src, dst = torch.from_numpy(edge_index)
    graphs = []
    for k, g in enumerate(torch.unique(gid).tolist()):
        nodes = torch.nonzero(gid == g).view(-1)  # (N_g,)
        local = torch.full((N,), -1, dtype=torch.long)
        local[nodes] = torch.arange(len(nodes))
        inside = (local[src] >= 0) & (local[dst] >= 0)  # (E,)
        graphs.append(
            Graph(
                x=x[nodes],
                edge_index=torch.stack([local[src[inside]], local[dst[inside]]]),  # (2, E_g)
                y=y[nodes],
                name=f"ppi-{split}-{k}",
            )
        )
    return graphs
