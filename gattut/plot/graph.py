"""Plots for Part II (graphs): a graph with weighted edges, histograms, 2-D embeddings.

Every function returns the matplotlib ``Axes`` it drew on, so a test can
inspect it without a display. Graphs are given as an ``edge_index`` of shape
``(2, E)`` (row 0 sources ``j``, row 1 targets ``i``), as everywhere in the book.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

__all__ = ["draw_graph", "embedding", "histograms", "layout", "tsne"]


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    elif hasattr(x, "numpy"):  # a TensorFlow tensor
        x = x.numpy()
    return np.asarray(x)


def _check_edge_index(edge_index) -> np.ndarray:
    ei = _numpy(edge_index)
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {ei.shape}")
    return ei.astype(np.int64)


def layout(edge_index, num_nodes: int, seed: int = 0) -> dict[int, np.ndarray]:
    """Node positions from a spring layout, ``{node: (x, y)}``; the same seed gives the same picture.

    Shapes:
        edge_index: (2, E) -> N positions of shape (2,).
    """
    ei = _check_edge_index(edge_index)
    G = nx.Graph()
    G.add_nodes_from(range(num_nodes))
    G.add_edges_from((int(j), int(i)) for j, i in ei.T if j != i)
    return nx.spring_layout(G, seed=seed)


def draw_graph(
    edge_index,
    num_nodes: int,
    *,
    edge_weights=None,
    node_colors=None,
    pos: Mapping[int, Sequence[float]] | None = None,
    labels: Mapping[int, str] | bool = True,
    ax=None,
    title: str | None = None,
    node_size: int = 300,
    arrows: bool = True,
    width_scale: float = 4.0,
    seed: int = 0,
):
    """Draw a directed graph; with ``edge_weights``, each edge ``j -> i`` is as wide and dark as its weight.

    Self-loops are not drawn (their weight can be printed instead). Edge
    weights are usually one head's ``alpha`` or GCN's ``1 / c_ij``; they are
    scaled so the largest edge is ``width_scale`` points wide.

    Shapes:
        edge_index: (2, E); edge_weights: (E,); node_colors: (N,) class ids or values.
    """
    ei = _check_edge_index(edge_index)
    E = ei.shape[1]
    weights = None
    if edge_weights is not None:
        weights = _numpy(edge_weights).astype(float)
        if weights.shape != (E,):
            raise ValueError(f"edge_weights must have shape ({E},) for {E} edges, got {weights.shape}")
    if node_colors is not None and len(_numpy(node_colors)) != num_nodes:
        raise ValueError(f"node_colors must have {num_nodes} entries, got {len(_numpy(node_colors))}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    if pos is None:
        pos = layout(ei, num_nodes, seed)
    G = nx.DiGraph()
    G.add_nodes_from(range(num_nodes))
    keep = ei[0] != ei[1]
    edges = [(int(j), int(i)) for j, i in ei[:, keep].T]
    G.add_edges_from(edges)
    if node_colors is None:
        nx.draw_networkx_nodes(G, pos, ax=ax, node_color="#9ecae1", node_size=node_size)
    else:
        # A pastel map for classes, so that nodes stand apart from the red edges.
        nx.draw_networkx_nodes(G, pos, ax=ax, node_color=_numpy(node_colors), node_size=node_size,
                               cmap="Pastel1", vmin=0, vmax=8)  # fmt: skip
    if labels:
        names = labels if isinstance(labels, Mapping) else {n: str(n) for n in range(num_nodes)}
        nx.draw_networkx_labels(G, pos, labels=names, ax=ax, font_size=8)
    # networkx warns about a connection style on straight (arrowless) edges: curve arrows only.
    curve = {"connectionstyle": "arc3,rad=0.1"} if arrows else {}
    if weights is not None and len(edges):
        w = weights[keep]
        top = max(float(np.abs(w).max()), 1e-12)
        widths = 0.4 + width_scale * np.abs(w) / top  # a floor, so weak edges stay visible
        nx.draw_networkx_edges(G, pos, edgelist=edges, ax=ax, width=widths, edge_color=w,
                               edge_cmap=plt.cm.Reds, edge_vmin=0.0, edge_vmax=top, arrows=arrows,
                               node_size=node_size, **curve)  # fmt: skip
    elif len(edges):
        nx.draw_networkx_edges(G, pos, edgelist=edges, ax=ax, arrows=arrows, node_size=node_size,
                               edge_color="#555555", **curve)  # fmt: skip
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def histograms(
    values: Mapping[str, Sequence[float]],
    *,
    bins: int = 30,
    ax=None,
    xlabel: str = "",
    ylabel: str = "nodes",
    title: str | None = None,
):
    """Overlaid histograms on shared bins, one per entry of ``values``; return the Axes.

    Shapes:
        each value: (n,) (any length; the bins span all of them).
    """
    if not values:
        raise ValueError("histograms needs at least one named array")
    arrays = {name: _numpy(v).astype(float).ravel() for name, v in values.items()}
    everything = np.concatenate(list(arrays.values()))
    edges = np.histogram_bin_edges(everything, bins=bins)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.2))
    for name, v in arrays.items():
        # Outlines, not filled bars: distributions that nearly coincide stay readable.
        ax.hist(v, bins=edges, histtype="step", linewidth=1.8, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(arrays) > 1:
        ax.legend(loc="best", fontsize="small")
    return ax


def embedding(points, labels=None, *, ax=None, title: str | None = None, s: float = 6.0):
    """Scatter 2-D node embeddings, coloured by class; return the Axes.

    Shapes:
        points: (N, 2); labels: (N,) class ids.
    """
    p = _numpy(points).astype(float)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"embedding needs points of shape (N, 2), got {p.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    c = None if labels is None else _numpy(labels)
    if c is not None and c.shape != (p.shape[0],):
        raise ValueError(f"labels must have shape ({p.shape[0]},), got {c.shape}")
    ax.scatter(p[:, 0], p[:, 1], c=c, s=s, cmap="tab10", vmin=0, vmax=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def tsne(
    points,
    *,
    perplexity: float = 30.0,
    iterations: int = 300,
    exaggeration: float = 12.0,
    exaggeration_iterations: int = 100,
    learning_rate: float = 200.0,
) -> np.ndarray:
    """Exact t-SNE (van der Maaten & Hinton, 2008): a 2-D map of the rows of ``points``.

    Each point ``i`` gets a Gaussian over the others whose width is set by
    bisection so that its entropy is ``log(perplexity)``; the symmetrised
    affinities ``p_ij = (p_j|i + p_i|j) / 2N`` are matched by Student-t
    similarities in 2-D, ``q_ij proportional to (1 + ||y_i - y_j||^2)^-1``, by gradient descent
    on ``KL(P || Q)`` with momentum, per-coordinate gains, and ``p`` multiplied
    by ``exaggeration`` for the first ``exaggeration_iterations`` steps. The map
    starts from the top two principal components (scaled to a standard
    deviation of 1e-4), so the result is deterministic.

    Exact means ``O(N^2)`` time and memory per step: a second or a few for
    ~1,000 points; use it for a figure, not for large graphs. Only distances
    within a cluster are meaningful in the picture; sizes of clusters and the
    gaps between them are not.

    Shapes:
        points: (N, D) -> (N, 2).
    """
    X = _numpy(points).astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"tsne needs points of shape (N, D), got {X.shape}")
    N = X.shape[0]
    if not 1.0 < perplexity < N - 1:
        raise ValueError(f"perplexity must be between 1 and N - 1 = {N - 1}, got {perplexity}")
    # float32 for the N x N work of each step: half the memory traffic, ample precision.
    P = _tsne_affinities(X, perplexity).astype(np.float32)  # (N, N), symmetric, sums to 1
    centred = X - X.mean(axis=0)
    Y = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T  # (N, 2): PCA start
    Y = (Y / max(Y[:, 0].std(), 1e-12) * 1e-4).astype(np.float32)
    update, gains = np.zeros_like(Y), np.ones_like(Y)
    P_early = exaggeration * P
    for step in range(iterations):
        early = step < exaggeration_iterations
        sq = (Y**2).sum(axis=1)
        num = 1.0 / (1.0 + np.maximum(sq[:, None] + sq[None, :] - 2.0 * Y @ Y.T, 0.0))  # (N, N)
        np.fill_diagonal(num, 0.0)
        W = ((P_early if early else P) - num / num.sum()) * num  # (p_ij - q_ij) num_ij
        # dKL/dy_i = 4 sum_j W_ij (y_i - y_j)
        grad = 4.0 * (W.sum(axis=1)[:, None] * Y - W @ Y)  # (N, 2)
        # Delta-bar-delta gains: grow a coordinate's step while its gradient keeps its sign.
        same = np.sign(grad) == np.sign(update)
        gains = np.maximum(np.where(same, gains * 0.8, gains + 0.2), 0.01)
        update = (0.5 if early else 0.8) * update - learning_rate * gains * grad
        Y = Y + update
    Y = Y.astype(np.float64)
    return Y - Y.mean(axis=0)


def _tsne_affinities(X: np.ndarray, perplexity: float) -> np.ndarray:
    """Symmetric t-SNE affinities ``p_ij = (p_j|i + p_i|j) / 2N``.

    Shapes:
        X: (N, D) -> (N, N), zero diagonal, summing to 1.
    """
    P = _tsne_conditional(X, perplexity)  # (N, N): p_j|i
    return (P + P.T) / (2.0 * X.shape[0])


def _tsne_conditional(X: np.ndarray, perplexity: float) -> np.ndarray:
    """Rows ``p_j|i``: a Gaussian around each point whose width makes its entropy ``log(perplexity)``.

    The width of each row is found by bisection on ``beta = 1 / (2 sigma_i^2)``.

    Shapes:
        X: (N, D) -> (N, N), zero diagonal, rows summing to 1.
    """
    N = X.shape[0]
    sq = (X**2).sum(axis=1)
    D2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * X @ X.T, 0.0)  # (N, N) squared distances
    np.fill_diagonal(D2, np.inf)
    D2 = D2 - D2.min(axis=1, keepdims=True)  # the nearest neighbour at 0: exp cannot underflow
    target = np.log(perplexity)
    lo, hi = np.zeros(N), np.full(N, np.inf)
    beta = np.ones(N)  # 1 / (2 sigma_i^2), one per row
    finite = np.where(np.isinf(D2), 0.0, D2)
    for _ in range(100):
        E = np.exp(-D2 * beta[:, None])  # (N, N), diagonal exp(-inf) = 0
        S = E.sum(axis=1)
        H = np.log(S) + beta * (finite * E).sum(axis=1) / S  # entropies
        if np.abs(H - target).max() < 1e-5:
            break
        wide = H > target  # too flat: narrow the Gaussian (larger beta)
        lo = np.where(wide, beta, lo)
        hi = np.where(wide, hi, beta)
        beta = np.where(np.isinf(hi), beta * 2.0, (lo + hi) / 2.0)
    return E / S[:, None]  # (N, N): p_j|i
