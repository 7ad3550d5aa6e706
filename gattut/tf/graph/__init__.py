"""Attention on graphs in Keras 3: the twin of :mod:`gattut.graph`.

``edge_index[0]`` holds sources ``j`` and ``edge_index[1]`` targets ``i``;
attention coefficients on edges are ``alpha`` with shape ``(E, H)``. Weights
copy over from the PyTorch layers with :func:`load_torch_weights`.
"""

from gattut.tf.convert import load_torch_weights
from gattut.tf.graph.gat import GATConv
from gattut.tf.graph.ops import add_self_loops, edge_softmax, remove_self_loops

__all__ = ["GATConv", "add_self_loops", "edge_softmax", "load_torch_weights", "remove_self_loops"]
