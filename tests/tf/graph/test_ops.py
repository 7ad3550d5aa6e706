"""Tests for gattut.tf.graph.ops: edge softmax and self-loops, against TF's sparse softmax and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import torch  # noqa: E402

from gattut.graph import ops as torch_ops  # noqa: E402
from gattut.tf.graph.ops import add_self_loops, edge_softmax, remove_self_loops  # noqa: E402

N, H = 5, 3
# Node 4 has no incoming edge; 1 -> 1 is a loop.
EDGE_INDEX = np.array([[0, 2, 3, 1, 0, 1, 2], [1, 1, 1, 1, 2, 3, 0]])


def scores(seed=0):
    return np.random.default_rng(seed).standard_normal((EDGE_INDEX.shape[1], H)).astype(np.float32)


def test_edge_softmax_equals_tf_sparse_softmax():
    """Per head, the segment softmax equals tf.sparse.softmax on the (N, N) score matrix."""
    e = scores()
    alpha = edge_softmax(tf.constant(e), tf.constant(EDGE_INDEX[1]), N).numpy()
    assert alpha.shape == e.shape
    # Row i of the sparse matrix holds the scores of edges into i (column = source j).
    indices = np.stack([EDGE_INDEX[1], EDGE_INDEX[0]], axis=1)
    for h in range(H):
        matrix = tf.sparse.reorder(tf.SparseTensor(indices, e[:, h], (N, N)))
        reference = tf.sparse.to_dense(tf.sparse.softmax(matrix)).numpy()
        np.testing.assert_allclose(alpha[:, h], reference[EDGE_INDEX[1], EDGE_INDEX[0]], atol=1e-6)


def test_edge_softmax_equals_torch_and_is_stable():
    e = scores() * 1000  # large scores: the max shift keeps exp finite
    index = EDGE_INDEX[1]
    e_tf = tf.constant(e)
    with tf.GradientTape() as tape:
        tape.watch(e_tf)
        alpha = edge_softmax(e_tf, tf.constant(index), N)
        loss = tf.reduce_sum(alpha * np.arange(e.size, dtype=np.float32).reshape(e.shape))
    grad = tape.gradient(loss, e_tf).numpy()
    e_t = torch.tensor(e, requires_grad=True)
    alpha_t = torch_ops.edge_softmax(e_t, torch.tensor(index), N)
    (alpha_t * torch.arange(e.size, dtype=torch.float32).view(e.shape)).sum().backward()
    np.testing.assert_allclose(alpha.numpy(), alpha_t.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(grad, e_t.grad.numpy(), atol=1e-4)
    assert np.isfinite(grad).all()
    sums = tf.math.unsorted_segment_sum(alpha, index, N).numpy()
    np.testing.assert_allclose(sums[:4], 1.0, atol=1e-6)
    np.testing.assert_array_equal(sums[4], 0.0)  # no incoming edge: owns no entry


def test_edge_softmax_bad_shapes():
    with pytest.raises(ValueError, match="same number of edges E"):
        edge_softmax(tf.zeros((4, 2)), tf.zeros((3,), tf.int64), N)
    with pytest.raises(ValueError, match="index of shape"):
        edge_softmax(tf.zeros((4, 2)), tf.zeros((4, 1), tf.int64), N)


def test_self_loops_match_torch():
    ei = tf.constant(EDGE_INDEX, tf.int64)
    no_loops = remove_self_loops(ei).numpy()
    assert no_loops.shape == (2, 6)
    ours = add_self_loops(ei, N).numpy()
    theirs = torch_ops.add_self_loops(torch.tensor(EDGE_INDEX), N).numpy()
    assert ours.shape == (2, 6 + N)
    np.testing.assert_array_equal(ours, theirs)


def test_edge_softmax_accepts_numpy_and_rejects_float_index():
    scores = np.array([0.0, 1.0, 2.0], dtype=np.float32)
    alpha = edge_softmax(scores, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(alpha.numpy(), [1 / (1 + np.e), np.e / (1 + np.e), 1.0], rtol=1e-6)
    with pytest.raises(ValueError, match="integer"):
        edge_softmax(scores, np.array([0.0, 0.0, 1.0]), 2)
