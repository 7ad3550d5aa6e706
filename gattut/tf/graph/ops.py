"""Edge-list operations in TensorFlow: the twin of :mod:`gattut.graph.ops` (the parts GAT needs).

``edge_index`` is a ``(2, E)`` integer tensor; ``edge_index[0]`` holds the
sources ``j`` and ``edge_index[1]`` the targets ``i`` (messages flow ``j -> i``).
Per-node reductions over edges use TensorFlow's *unsorted segment* ops, whose
``segment_ids`` are the target of each edge: ``unsorted_segment_sum(v, i, N)``
is PyTorch's ``zeros(N).index_add_(0, i, v)``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = [
    "add_self_loops",
    "check_edge_index",
    "check_node_features",
    "edge_softmax",
    "remove_self_loops",
]


def check_node_features(x, in_features: int | None, where: str):
    """Return ``x`` as a dense tensor or ``tf.SparseTensor``; raise ``ValueError`` unless ``(N, F)`` float.

    Shapes:
        x: (N, F), dense or ``tf.SparseTensor``.
    """
    if not isinstance(x, tf.SparseTensor):
        if isinstance(x, np.ndarray | list | tuple):
            x = np.asarray(x)
        try:
            x = tf.convert_to_tensor(x)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{where}: x must be an (N, F) tensor, got {type(x).__name__}"
            ) from exc
    if x.shape.rank != 2:
        raise ValueError(f"{where}: x must be (N, F) node features, got shape {tuple(x.shape)}")
    if not x.dtype.is_floating:
        raise ValueError(f"{where}: x must be floating point, got dtype {x.dtype.name}")
    if in_features is not None and x.shape[1] is not None and x.shape[1] != in_features:
        raise ValueError(
            f"{where}: x has {x.shape[1]} features per node but the layer expects {in_features}"
        )
    # As the PyTorch twin: a NaN or inf would spread through every softmax it reaches.
    # Checked when running eagerly (a traced tf.function has no values to look at).
    values = x.values if isinstance(x, tf.SparseTensor) else x
    if tf.executing_eagerly() and not bool(tf.reduce_all(tf.math.is_finite(values))):
        raise ValueError(f"{where}: x has NaN or infinite feature values")
    return x


def check_edge_index(edge_index, num_nodes, where: str = "edge_index") -> tf.Tensor:
    """Return ``edge_index`` as an int64 tensor; raise ``ValueError`` unless it is ``(2, E)`` with ids in ``[0, N)``.

    The id range is checked when running eagerly (a traced ``tf.function``
    has no values to look at).

    Shapes:
        edge_index: (2, E).
    """
    if isinstance(edge_index, np.ndarray | list | tuple):
        edge_index = np.asarray(edge_index)
    try:
        edge_index = tf.convert_to_tensor(edge_index)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{where} must be a (2, E) integer tensor, got {type(edge_index)}"
        ) from exc
    if edge_index.shape.rank != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"{where} must have shape (2, E), got {tuple(edge_index.shape)}")
    if not edge_index.dtype.is_integer:
        raise ValueError(f"{where} must be an integer tensor, got dtype {edge_index.dtype.name}")
    edge_index = tf.cast(edge_index, tf.int64)
    if tf.executing_eagerly() and edge_index.shape[1]:
        ids = edge_index.numpy()
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0:
            raise ValueError(f"{where} has negative node id {lo}")
        if isinstance(num_nodes, int) and hi >= num_nodes:
            raise ValueError(
                f"{where} has node id {hi} but there are only {num_nodes} nodes "
                f"(ids must be < {num_nodes})"
            )
    return edge_index


def remove_self_loops(edge_index: tf.Tensor) -> tf.Tensor:
    """Drop every edge ``i -> i``; other edges keep their order (duplicates included).

    Shapes:
        edge_index: (2, E) -> (2, E') with E' <= E.
    """
    keep = tf.not_equal(edge_index[0], edge_index[1])  # (E,)
    return tf.boolean_mask(edge_index, keep, axis=1)


def add_self_loops(edge_index: tf.Tensor, num_nodes) -> tf.Tensor:
    """Remove existing self-loops, then append one loop ``i -> i`` per node, in node order.

    The same order as :func:`gattut.graph.ops.add_self_loops` (and PyG), so
    per-edge attention lines up edge by edge with the PyTorch layer.

    Shapes:
        edge_index: (2, E) -> (2, E' + N), where E' counts the edges that are not loops.
    """
    loops = tf.range(num_nodes, dtype=edge_index.dtype)  # (N,)
    return tf.concat([remove_self_loops(edge_index), tf.stack([loops, loops])], axis=1)


def edge_softmax(scores: tf.Tensor, index: tf.Tensor, num_nodes) -> tf.Tensor:
    """Softmax of edge scores over the edges that share a target node.

    .. math::
        \\alpha_{ij} = \\frac{\\exp(e_{ij} - m_i)}{\\sum_{k \\in N(i)} \\exp(e_{ik} - m_i)},
        \\qquad m_i = \\max_{k \\in N(i)} e_{ik}

    The same four steps as the PyTorch version: segment max (held constant
    with ``stop_gradient``, it is only a shift), subtract and exponentiate,
    segment sum, gather the sum back to each edge. Each head is normalised on
    its own. It equals ``tf.sparse.softmax`` applied to the ``(N, N)`` sparse
    score matrix of each head (row ``i`` holds the scores of edges into ``i``);
    the segment form handles all heads at once and any edge order.

    Args:
        scores: ``e``, one score per edge (and head).
        index: the target node ``i`` of each edge, usually ``edge_index[1]``.
        num_nodes: ``N``.

    Shapes:
        scores: (E,) or (E, H); index: (E,) -> alpha: same shape as scores.
    """
    # NumPy arrays and lists are accepted, as the PyTorch version accepts tensors of any origin.
    scores = tf.convert_to_tensor(scores)
    index = tf.convert_to_tensor(index)
    if index.dtype not in (tf.int32, tf.int64):
        raise ValueError(f"edge_softmax: index must be an integer tensor, got dtype {index.dtype.name}")
    if index.shape.rank != 1 or (
        scores.shape[0] is not None
        and index.shape[0] is not None
        and scores.shape[0] != index.shape[0]
    ):
        raise ValueError(
            f"edge_softmax: scores {tuple(scores.shape)} and index {tuple(index.shape)} "
            "must have the same number of edges E, with index of shape (E,)"
        )
    # 1) the largest score per target node; a node with no edges gets the
    #    dtype's lowest value, but it is never gathered, so it does no harm.
    m = tf.stop_gradient(tf.math.unsorted_segment_max(scores, index, num_nodes))  # (N,) or (N, H)
    # 2) subtract and exponentiate: every exponent is <= 0, so nothing overflows.
    exp = tf.exp(scores - tf.gather(m, index))  # (E,) or (E, H)
    # 3) sum per target node (at least 1 wherever there is an edge) and 4) gather back.
    denom = tf.math.unsorted_segment_sum(exp, index, num_nodes)  # (N,) or (N, H)
    return exp / tf.gather(denom, index)  # (E,) or (E, H)
