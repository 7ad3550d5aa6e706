"""Graphs made up on the spot: a contextual SBM, big random graphs, an inductive split.

* :func:`contextual_sbm` draws a small graph where both the edges and the
  features carry the class, so a chapter can dial how much each one helps
  (``p_in``/``p_out`` for the edges, ``feature_noise`` for the features).
* :func:`sparse_csbm` draws the same kind of graph edge by edge in ``O(E)``:
  millions of nodes with a fixed average degree, for scaling benchmarks.
* :func:`random_graph` draws a large graph fast (a million nodes with ten
  edges each in a few seconds) for memory and speed benchmarks.
* :func:`inductive_split` turns a transductive graph such as Cora into an
  inductive task: the test nodes and every edge that touches them are hidden
  during training.

Every function is deterministic given ``seed`` (NumPy's ``default_rng``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from gattut.data.graph import Graph

__all__ = ["InductiveSplit", "contextual_sbm", "inductive_split", "random_graph", "sparse_csbm"]

# Rows of the SBM's random matrix drawn at once: bounds memory at ~32 MiB of floats.
_SBM_CHUNK = 1 << 22


def contextual_sbm(
    num_nodes: int = 1000,
    num_classes: int = 2,
    p_in: float = 0.02,
    p_out: float = 0.002,
    num_features: int = 16,
    feature_noise: float = 1.0,
    seed: int = 0,
    *,
    train_per_class: int = 20,
) -> Graph:
    """A contextual stochastic block model (Deshpande et al., 2018): a graph with classes.

    Each node gets a class ``y_i`` (classes as balanced as ``N`` allows, in a
    random order). Each unordered pair ``{i, j}`` is an edge with probability
    ``p_in`` when ``y_i = y_j`` and ``p_out`` otherwise, and is stored in both
    directions. Features are a class mean plus Gaussian noise:

        ``x_i = mu_{y_i} + feature_noise * eps_i``,  ``mu_c ~ N(0, I_F)``, ``eps_i ~ N(0, I_F)``.

    Masks: ``train_per_class`` random nodes of each class train; the other
    nodes are shuffled and split in half, validation then test.

    Drawing every pair costs O(N^2) time (not memory): fine up to ~10^4
    nodes. Use :func:`random_graph` for large graphs.

    Shapes:
        x: (N, F) float32; y: (N,) int64; edge_index: (2, E) int64; masks: (N,) bool.

    Raises:
        ValueError: a probability outside [0, 1], a negative noise, fewer than
            two classes, or a class too small to give ``train_per_class``
            training nodes and still leave nodes to test.
    """
    N, C, F = num_nodes, num_classes, num_features
    if C < 2 or N < 1 or F < 1:
        raise ValueError(
            f"contextual_sbm needs num_classes >= 2, num_nodes >= 1, num_features >= 1; "
            f"got {C}, {N}, {F}"
        )
    for label, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"contextual_sbm: {label} must be a probability in [0, 1], got {p}")
    if feature_noise < 0:
        raise ValueError(f"contextual_sbm: feature_noise must be >= 0, got {feature_noise}")
    if N // C <= train_per_class:
        raise ValueError(
            f"contextual_sbm: {N} nodes in {C} classes give {N // C} per class, "
            f"not more than train_per_class={train_per_class}"
        )
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(N) % C)  # (N,)

    # 1) edges: one uniform number per ordered pair, kept where i < j and it
    #    falls under the pair's probability. Rows are drawn in chunks so that
    #    memory stays bounded; the chunk size depends only on N, so the graph
    #    depends only on the seed.
    rows = max(1, _SBM_CHUNK // N)
    sources, targets = [], []
    for start in range(0, N, rows):
        i = np.arange(start, min(start + rows, N))
        same = y[i, None] == y[None, :]  # (rows, N)
        p = np.where(same, p_in, p_out)  # (rows, N)
        hit = (rng.random((len(i), N)) < p) & (i[:, None] < np.arange(N)[None, :])
        r, c = np.nonzero(hit)
        sources.append(i[r])
        targets.append(c)
    src, dst = np.concatenate(sources), np.concatenate(targets)
    edge_index = np.stack([np.concatenate([src, dst]), np.concatenate([dst, src])])  # (2, E)

    # 2) features: class means plus noise.
    means = rng.standard_normal((C, F))  # (C, F)
    x = means[y] + feature_noise * rng.standard_normal((N, F))  # (N, F)

    # 3) masks.
    train_mask = np.zeros(N, dtype=bool)
    for c in range(C):
        members = np.flatnonzero(y == c)
        train_mask[rng.choice(members, train_per_class, replace=False)] = True
    rest = rng.permutation(np.flatnonzero(~train_mask))
    val_mask = np.zeros(N, dtype=bool)
    val_mask[rest[: len(rest) // 2]] = True
    test_mask = np.zeros(N, dtype=bool)
    test_mask[rest[len(rest) // 2 :]] = True

    return Graph(
        x=torch.from_numpy(x.astype(np.float32)),
        edge_index=torch.from_numpy(edge_index),
        y=torch.from_numpy(y.astype(np.int64)),
        train_mask=torch.from_numpy(train_mask),
        val_mask=torch.from_numpy(val_mask),
        test_mask=torch.from_numpy(test_mask),
        name="contextual_sbm",
    )


def sparse_csbm(
    num_nodes: int,
    num_classes: int = 4,
    avg_degree: float = 10.0,
    num_features: int = 128,
    homophily: float = 0.8,
    feature_noise: float = 4.0,
    seed: int = 0,
    *,
    train_fraction: float = 0.01,
    val_fraction: float = 0.1,
) -> Graph:
    """A contextual SBM drawn edge by edge in ``O(E)``: the sparse regime of :func:`contextual_sbm`.

    :func:`contextual_sbm` draws every pair (``O(N^2)`` time, fine to ~10^4
    nodes). Here ``M = N * avg_degree / 2`` undirected edges are drawn
    directly, each one as

    1. an endpoint ``i`` uniform over the nodes;
    2. with probability ``homophily``, the other end ``j`` uniform in ``i``'s
       class, otherwise uniform in one of the other classes (itself uniform);

    which is an SBM with ``p_in, p_out = O(1 / N)``. Loops and repeated pairs
    (a few dozen, whatever ``N``) are dropped and both directions kept, so
    the graph is simple and undirected with average degree just under
    ``avg_degree``, and about a fraction ``homophily`` of its edges join
    nodes of one class. Classes are as balanced as ``N`` allows, in a random
    order. Features are a class mean plus Gaussian noise, as in :func:`contextual_sbm`:

        ``x_i = mu_{y_i} + feature_noise * eps_i``,  ``mu_c ~ N(0, I_F)``, ``eps_i ~ N(0, I_F)``.

    Masks: each node independently trains with probability
    ``train_fraction``, validates with probability ``val_fraction``, and
    tests otherwise. Time and memory are ``O(N F + E)`` (a million nodes of
    degree 10 in a few seconds); the same ``seed`` gives the same graph.

    Shapes:
        x: (N, F) float32; y: (N,) int64; edge_index: (2, E) int64, E <= N * avg_degree;
        masks: (N,) bool, disjoint, covering every node.

    Raises:
        ValueError: fewer than two classes or nodes than classes, a negative degree or noise,
            ``homophily`` outside [0, 1], or fractions outside [0, 1] or summing above 1.
    """
    N, C, F = num_nodes, num_classes, num_features
    for label, value in (("num_nodes", N), ("num_classes", C), ("num_features", F)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"sparse_csbm: {label} must be an int, got {value!r}")
    if C < 2 or N < C or F < 1:
        raise ValueError(f"sparse_csbm needs num_classes >= 2, num_nodes >= num_classes and "
                         f"num_features >= 1; got {C}, {N}, {F}")
    if not avg_degree >= 0:
        raise ValueError(f"sparse_csbm: avg_degree must be >= 0, got {avg_degree}")
    if not feature_noise >= 0:
        raise ValueError(f"sparse_csbm: feature_noise must be >= 0, got {feature_noise}")
    for label, p in (("homophily", homophily), ("train_fraction", train_fraction),
                     ("val_fraction", val_fraction)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"sparse_csbm: {label} must be in [0, 1], got {p}")
    if train_fraction + val_fraction > 1.0:
        raise ValueError(f"sparse_csbm: train_fraction + val_fraction must be <= 1, got "
                         f"{train_fraction} + {val_fraction}")
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(N) % C)  # (N,)
    members = np.argsort(y, kind="stable")  # (N,) node ids grouped by class
    start = np.searchsorted(y[members], np.arange(C))  # (C,) where each class begins in members
    count = np.bincount(y, minlength=C)  # (C,)

    # 1) edges: M draws of (i, class of j, j), all at once.
    M = int(N * avg_degree / 2)
    i = rng.integers(0, N, M)  # (M,)
    other = (y[i] + rng.integers(1, C, M)) % C  # (M,): a class that is not i's
    cls = np.where(rng.random(M) < homophily, y[i], other)  # (M,)
    j = members[start[cls] + (rng.random(M) * count[cls]).astype(np.int64)]  # (M,)
    del other, cls
    # Each undirected pair once (min, max), loops dropped; both directions stored.
    low, high = np.minimum(i, j), np.maximum(i, j)  # (M,) each
    del i, j
    keys = _sorted_unique(low[low != high] * N + high[low != high])  # (M',)
    del low, high
    src, dst = keys // N, keys % N  # (M',) each
    del keys
    edge_index = np.stack([np.concatenate([src, dst]), np.concatenate([dst, src])])  # (2, 2 M')
    del src, dst

    # 2) features: class means plus noise, in float32 from the start (N * F floats once).
    means = rng.standard_normal((C, F), dtype=np.float32)  # (C, F)
    x = rng.standard_normal((N, F), dtype=np.float32)  # (N, F)
    x *= np.float32(feature_noise)
    x += means[y]

    # 3) masks: one uniform number per node.
    u = rng.random(N)  # (N,)
    train_mask = u < train_fraction
    val_mask = (u >= train_fraction) & (u < train_fraction + val_fraction)
    return Graph(
        x=torch.from_numpy(x),
        edge_index=torch.from_numpy(edge_index),
        y=torch.from_numpy(y.astype(np.int64)),
        train_mask=torch.from_numpy(train_mask),
        val_mask=torch.from_numpy(val_mask),
        test_mask=torch.from_numpy(~(train_mask | val_mask)),
        name="sparse_csbm",
    )


def random_graph(
    num_nodes: int,
    avg_degree: float,
    num_features: int = 16,
    seed: int = 0,
    *,
    num_classes: int = 2,
) -> Graph:
    """A directed random graph with Gaussian features, for scaling benchmarks.

    ``round(N * avg_degree)`` edges ``j -> i`` are drawn with ``i`` uniform
    and ``j`` uniform among the other nodes (so no self-loops); repeats are
    then removed, so ``E`` is a little under ``N * avg_degree`` (by about
    ``E^2 / (2 N^2)``, a handful on a large sparse graph). Edges are sorted
    by target, then source. Features are ``N(0, 1)``; labels are uniform in
    ``[0, num_classes)`` and carry no signal. No masks.

    Everything is vectorised: a million nodes with ``avg_degree=10`` takes a
    few seconds (``benchmarks/`` measure it), most of it in the sort.

    Shapes:
        x: (N, F) float32; y: (N,) int64; edge_index: (2, E) int64, E <= N * avg_degree.

    Raises:
        ValueError: fewer than two nodes, or a negative degree.
    """
    N, F = num_nodes, num_features
    if N < 2 or F < 1 or avg_degree < 0 or num_classes < 1:
        raise ValueError(
            f"random_graph needs num_nodes >= 2, num_features >= 1, avg_degree >= 0, "
            f"num_classes >= 1; got {N}, {F}, {avg_degree}, {num_classes}"
        )
    rng = np.random.default_rng(seed)
    E = int(round(N * avg_degree))
    dst = rng.integers(0, N, size=E)  # (E,)
    # An offset in [1, N) never maps a node to itself.
    src = (dst + rng.integers(1, N, size=E)) % N  # (E,)
    keys = _sorted_unique(dst * N + src)  # sorts by target, then source, and drops repeats
    edge_index = np.stack([keys % N, keys // N])  # (2, E)
    x = rng.standard_normal((N, F), dtype=np.float32)  # (N, F)
    y = rng.integers(0, num_classes, size=N)  # (N,)
    return Graph(
        x=torch.from_numpy(x),
        edge_index=torch.from_numpy(edge_index),
        y=torch.from_numpy(y),
        name="random_graph",
    )


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` for integers by sort-and-compare, several times faster on 10^7 keys."""
    keys = np.sort(keys)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first]


class InductiveSplit(NamedTuple):
    """What :func:`inductive_split` returns.

    Attributes:
        train_graph: the graph the model may see while training and choosing
            its epoch: every node that is not a test node, the edges among
            them, and their ``train_mask``/``val_mask`` (``test_mask`` all False).
        test_graph: the full graph (all nodes, all edges), with ``test_mask``
            only marking the test nodes; ``train_mask``/``val_mask`` as in the input.
        train_nodes: (N_train,) ids in the full graph of ``train_graph``'s
            nodes, in order: ``train_graph.x == test_graph.x[train_nodes]``.
    """

    train_graph: Graph
    test_graph: Graph
    train_nodes: torch.Tensor


def inductive_split(
    graph: Graph,
    *,
    test_fraction: float | None = None,
    seed: int = 0,
) -> InductiveSplit:
    """Hide the test nodes and their edges during training (inductive node classification).

    At train time the test nodes are removed from the graph: their features,
    their labels, and every edge with a test node at either end are gone
    (``train_graph`` is the subgraph induced by the other nodes, renumbered
    ``0..N_train-1``). Training uses ``train_graph.train_mask``; early
    stopping uses ``train_graph.val_mask``. Validation and unlabelled nodes
    stay, so messages still flow through them.

    At test time the trained model runs on ``test_graph``, the whole original
    graph, and is scored on ``test_graph.test_mask``. The test nodes and the
    edges into and out of them are seen for the first time there; a GAT can
    do this because its weights act on features, not on node ids.

    Args:
        graph: a graph with ``train_mask`` and ``val_mask`` (Cora, CiteSeer,
            a contextual SBM).
        test_fraction: ``None`` (the default) uses ``graph.test_mask`` (Cora's
            1,000 Planetoid test nodes). A number in (0, 1) instead draws
            ``round(test_fraction * N)`` test nodes at random, with ``seed``,
            from the nodes in neither ``train_mask`` nor ``val_mask``.
        seed: used only with ``test_fraction``.

    Shapes:
        graph: N nodes, E edges -> train_graph: N - N_test nodes and the edges
        with neither end a test node; test_graph: N nodes, E edges; train_nodes: (N - N_test,).

    Raises:
        ValueError: a mask is missing, the fraction is outside (0, 1), there
            are not enough unlabelled nodes to draw from, or a test node is
            also a train or validation node.
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"inductive_split takes a Graph, got {type(graph).__name__}")
    N = graph.num_nodes
    if graph.train_mask is None or graph.val_mask is None:
        raise ValueError("inductive_split needs a graph with train_mask and val_mask")
    seen = graph.train_mask | graph.val_mask  # (N,)
    if test_fraction is None:
        if graph.test_mask is None:
            raise ValueError("inductive_split: graph has no test_mask; pass test_fraction")
        test_mask = graph.test_mask.clone()
    else:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"inductive_split: test_fraction must be in (0, 1), got {test_fraction}")
        pool = torch.nonzero(~seen).view(-1).numpy()
        count = int(round(test_fraction * N))
        if count > len(pool):
            raise ValueError(
                f"inductive_split: {count} test nodes asked for, but only {len(pool)} nodes are "
                f"outside the train and validation masks"
            )
        chosen = np.random.default_rng(seed).choice(pool, count, replace=False)
        test_mask = torch.zeros(N, dtype=torch.bool)
        test_mask[torch.from_numpy(chosen)] = True
    if bool((test_mask & seen).any()):
        raise ValueError("inductive_split: some test nodes are also train or validation nodes")

    keep = ~test_mask  # (N,)
    train_nodes = torch.nonzero(keep).view(-1)  # (N_train,)
    # New id of each kept node; -1 for hidden ones.
    new_id = torch.full((N,), -1, dtype=torch.long)
    new_id[train_nodes] = torch.arange(len(train_nodes))
    src, dst = graph.edge_index
    both_kept = keep[src] & keep[dst]  # (E,)
    train_edges = new_id[graph.edge_index[:, both_kept]]  # (2, E_train)

    if graph.is_sparse:
        # Sparse tensors support row selection in COO form; keep the caller's layout.
        x_train = graph.x.to_sparse_coo().index_select(0, train_nodes).coalesce()
        if graph.x.layout == torch.sparse_csr:
            x_train = x_train.to_sparse_csr()
    else:
        x_train = graph.x[train_nodes]  # (N_train, F)
    train_graph = Graph(
        x=x_train,
        edge_index=train_edges,
        y=None if graph.y is None else graph.y[train_nodes],
        train_mask=graph.train_mask[train_nodes],
        val_mask=graph.val_mask[train_nodes],
        test_mask=torch.zeros(len(train_nodes), dtype=torch.bool),
        name=None if graph.name is None else f"{graph.name}-inductive-train",
    )
    test_graph = Graph(
        x=graph.x,
        edge_index=graph.edge_index,
        y=graph.y,
        train_mask=graph.train_mask,
        val_mask=graph.val_mask,
        test_mask=test_mask,
        name=None if graph.name is None else f"{graph.name}-inductive-test",
    )
    return InductiveSplit(train_graph, test_graph, train_nodes)
