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

__all__ = ["draw_graph", "embedding", "histograms", "layout"]


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
    if weights is not None and len(edges):
        w = weights[keep]
        top = max(float(np.abs(w).max()), 1e-12)
        widths = 0.4 + width_scale * np.abs(w) / top  # a floor, so weak edges stay visible
        nx.draw_networkx_edges(G, pos, edgelist=edges, ax=ax, width=widths, edge_color=w,
                               edge_cmap=plt.cm.Reds, edge_vmin=0.0, edge_vmax=top, arrows=arrows,
                               node_size=node_size, connectionstyle="arc3,rad=0.1")  # fmt: skip
    elif len(edges):
        nx.draw_networkx_edges(G, pos, edgelist=edges, ax=ax, arrows=arrows, node_size=node_size,
                               edge_color="#555555", connectionstyle="arc3,rad=0.1")  # fmt: skip
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
