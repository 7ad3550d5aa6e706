"""Attention on graphs: the container, edge operations, GCN, GAT and its variants.

``edge_index[0]`` holds sources ``j`` and ``edge_index[1]`` targets ``i``;
attention coefficients on edges are called ``alpha`` and have shape ``(E, H)``.
"""

from gattut.graph.graph import Graph, batch_graphs

__all__ = ["Graph", "batch_graphs"]
