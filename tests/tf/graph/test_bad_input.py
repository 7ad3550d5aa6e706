"""Keras GATConv: bad input is refused like the PyTorch twin's (NaN and inf features included)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("keras")

from gattut.tf.graph import GATConv  # noqa: E402

EDGES = np.array([[0, 1], [1, 2]])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("sparse", [False, True])
def test_nan_and_inf_features_are_refused(bad, sparse):
    x = np.ones((3, 4), dtype="float32")
    x[1, 2] = bad
    features = tf.sparse.from_dense(x) if sparse else x
    with pytest.raises(ValueError, match="GATConv: x has NaN or infinite feature values"):
        GATConv(4, 2)(features, EDGES)


def test_finite_features_still_run_inside_a_traced_function():
    layer = GATConv(4, 2)
    run = tf.function(lambda x: layer(x, EDGES))
    assert tuple(run(tf.ones((3, 4))).shape) == (3, 2)
