"""The Planetoid citation graphs: Cora, CiteSeer and PubMed.

Yang, Cohen & Salakhutdinov (ICML 2016) published each dataset as eight
files, ``ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index}``:

====================  ==========================================================
``x``, ``y``          features and one-hot labels of the labelled training nodes
``tx``, ``ty``        features and labels of the 1,000 test nodes
``allx``, ``ally``    features and labels of every node that is not a test node
                      (``x`` is its first rows)
``graph``             a dict ``{node: [neighbours]}``
``test.index``        the node ids of the rows of ``tx``, in that (shuffled) order
====================  ==========================================================

:func:`load_planetoid` assembles them the way Kipf & Welling's ``gcn`` code
and PyTorch Geometric's ``read_planetoid_data`` do, so the node order, the
labels, the edges and the masks are exactly theirs (a test checks this
against PyG on the same files):

1. ``x = [allx; tx]`` and ``y = argmax([ally; ty])``; the rows of ``tx``/``ty``
   are moved to the node ids in ``test.index`` (the files store them in
   sorted order, the graph uses the shuffled ids).
2. CiteSeer has 15 isolated nodes whose ids fall inside the test range but
   that have no ``tx`` row. They get an all-zero feature row and label 0
   (the argmax of an all-zero row), and they are in no mask.
3. Edges come from the adjacency dict; self-loops and duplicates are removed.
   The dicts are already symmetric, so the result is undirected: Cora has
   10,556 directed edges (5,278 undirected), CiteSeer 9,104, PubMed 88,648.
   Edges are sorted by target, then source (PyG's order).
4. Masks: train = the first ``len(y)`` nodes (20 per class), val = the next
   500, test = the 1,000 nodes of ``test.index``.

Every file is read through :func:`gattut.data.path`, so its sha256 has been
checked before it is unpickled.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import scipy.sparse as sp
import torch

from gattut.data.fetch import path
from gattut.data.graph import Graph

__all__ = ["PLANETOID_NAMES", "load_planetoid", "normalize_rows"]

PLANETOID_NAMES = ("cora", "citeseer", "pubmed")


_SUFFIXES = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")


def _unpickle(file):
    """Unpickle one verified Planetoid file (written by Python 2, hence latin1)."""
    with open(file, "rb") as f, warnings.catch_warnings():
        # The pickles name the old ``scipy.sparse.csr`` module, which SciPy now
        # reports as deprecated every time it is loaded.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pickle.load(f, encoding="latin1")


def normalize_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    """Divide each row by its sum, so non-empty rows sum to one; empty rows stay zero.

    ``x_ij <- x_ij / sum_k x_ik``. This is Kipf & Welling's
    ``preprocess_features`` and, for features that are non-negative with row
    sums of at least one (all three Planetoid sets), PyG's ``NormalizeFeatures``.

    Shapes:
        x: (N, F) -> (N, F)
    """
    if not sp.issparse(x) or x.ndim != 2:
        raise TypeError(
            f"normalize_rows takes a 2-D SciPy sparse matrix, got {type(x).__name__}; "
            "for a tensor x use x / x.sum(dim=1, keepdim=True).clamp_min(1e-12)"
        )
    row_sum = np.asarray(x.sum(axis=1)).ravel()
    inverse = np.zeros_like(row_sum, dtype=np.float64)
    np.divide(1.0, row_sum, out=inverse, where=row_sum != 0)
    return sp.csr_matrix(sp.diags(inverse) @ x)


def _to_torch_csr(x: sp.csr_matrix) -> torch.Tensor:
    """A SciPy CSR matrix as a ``torch.sparse_csr_tensor`` with the same layout."""
    x = x.copy()
    x.sort_indices()
    with warnings.catch_warnings():
        # PyTorch warns once per process that sparse CSR is "beta"; it is what we want.
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
        return torch.sparse_csr_tensor(
            torch.from_numpy(x.indptr.astype(np.int64)),
            torch.from_numpy(x.indices.astype(np.int64)),
            torch.from_numpy(x.data),
            size=x.shape,
            check_invariants=True,
        )


def _edges_from_dict(graph: dict, num_nodes: int) -> np.ndarray:
    """Adjacency dict -> (2, E) edge_index without self-loops or duplicates.

    Row 0 is the dict key and row 1 the neighbour; the dicts are symmetric, so
    every edge appears in both directions. Sorted by target, then source.
    """
    sources = np.fromiter(
        (k for k, neighbours in graph.items() for _ in neighbours), dtype=np.int64
    )
    targets = np.fromiter(
        (j for neighbours in graph.values() for j in neighbours), dtype=np.int64
    )
    keep = sources != targets
    sources, targets = sources[keep], targets[keep]
    # One integer per edge, target-major, so np.unique both removes duplicates
    # and sorts by target then source.
    keys = np.unique(targets * num_nodes + sources)
    return np.stack([keys % num_nodes, keys // num_nodes])  # (2, E)


def load_planetoid(
    name: str,
    *,
    normalize_features: bool = True,
    sparse: bool = False,
) -> Graph:
    """Load Cora, CiteSeer or PubMed with the standard Planetoid split.

    Args:
        name: ``"cora"``, ``"citeseer"`` or ``"pubmed"`` (any case).
        normalize_features: divide each feature row by its sum (the GAT and
            GCN papers, and PyG's GAT example with ``NormalizeFeatures``).
        sparse: return ``x`` as a ``torch.sparse_csr_tensor``; multiplying it
            by a weight matrix (``x @ W``) is much faster than with the dense
            (N, F) matrix, which is 99% zeros.

    Returns:
        A :class:`~gattut.data.graph.Graph` with ``x`` (float32), ``y`` (int64),
        ``edge_index`` (int64, both directions of each edge), the three
        boolean masks and ``name`` (``"cora"``, ``"citeseer"``, ``"pubmed"``).

    Raises:
        ValueError: an unknown name.
        DataNotFoundError: a file is missing (PubMed's ``ind.pubmed.allx`` is
            not in the project's shared data; the message says where to get it).

    Shapes:
        x: (N, F); y: (N,); edge_index: (2, E); masks: (N,).
        Cora N=2708, F=1433, 7 classes, E=10556; CiteSeer N=3327, F=3703,
        6 classes, E=9104; PubMed N=19717, F=500, 3 classes, E=88648.
    """
    key = name.lower()
    if key not in PLANETOID_NAMES:
        raise ValueError(f"unknown Planetoid dataset {name!r}; expected one of {PLANETOID_NAMES}")

    # Find and verify every file first, so a missing one fails before any work.
    files = {suffix: path(f"planetoid/ind.{key}.{suffix}") for suffix in _SUFFIXES}
    x, y, tx, ty, allx, ally, graph = (
        _unpickle(files[s]) for s in ("x", "y", "tx", "ty", "allx", "ally", "graph")
    )
    test_index = np.loadtxt(files["test.index"], dtype=np.int64, ndmin=1)
    sorted_test = np.sort(test_index)

    if key == "citeseer":
        # Isolated nodes have ids inside the test range but no tx/ty rows: give
        # them zero rows so that row id == node id holds (Kipf's and PyG's fix).
        first, span = sorted_test[0], sorted_test[-1] - sorted_test[0] + 1
        tx_full = sp.lil_matrix((span, tx.shape[1]), dtype=tx.dtype)
        tx_full[sorted_test - first, :] = tx
        ty_full = np.zeros((span, ty.shape[1]), dtype=ty.dtype)
        ty_full[sorted_test - first, :] = ty
        tx, ty = tx_full.tocsr(), ty_full

    # tx holds the test nodes in sorted order; node test_index[k] takes row
    # sorted_test[k] (Kipf's ``features[test_idx_reorder] = features[test_idx_range]``).
    num_nodes = allx.shape[0] + tx.shape[0]
    order = np.arange(num_nodes)
    order[test_index] = sorted_test
    features = sp.csr_matrix(sp.vstack([allx, tx]).tocsr()[order], dtype=np.float32)
    labels = np.vstack([ally, ty])[order].argmax(axis=1).astype(np.int64)

    if normalize_features:
        features = normalize_rows(features).astype(np.float32)

    train_mask = np.zeros(num_nodes, dtype=bool)
    train_mask[: y.shape[0]] = True
    val_mask = np.zeros(num_nodes, dtype=bool)
    val_mask[y.shape[0] : y.shape[0] + 500] = True
    test_mask = np.zeros(num_nodes, dtype=bool)
    test_mask[test_index] = True

    if sparse:
        x_out = _to_torch_csr(features)
    else:
        x_out = torch.from_numpy(features.toarray())

    return Graph(
        x=x_out,
        edge_index=torch.from_numpy(_edges_from_dict(graph, num_nodes)),
        y=torch.from_numpy(labels),
        train_mask=torch.from_numpy(train_mask),
        val_mask=torch.from_numpy(val_mask),
        test_mask=torch.from_numpy(test_mask),
        name=key,
    )
