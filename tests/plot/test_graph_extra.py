"""gattut.plot.graph.tsne: an exact t-SNE for the 2-D maps of chapter 12."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gattut.plot import graph as gplot  # noqa: E402
from gattut.plot.graph import _tsne_affinities, _tsne_conditional  # noqa: E402


def _blobs(n_per=40, dim=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = 6.0 * rng.standard_normal((3, dim))
    points = np.concatenate([c + rng.standard_normal((n_per, dim)) for c in centres])
    return points, np.repeat(np.arange(3), n_per)


def test_each_row_has_the_asked_perplexity():
    points, _ = _blobs()
    N, perplexity = len(points), 15.0
    rows = _tsne_conditional(points, perplexity)  # (N, N): p_j|i
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    assert np.all(np.diag(rows) == 0)
    entropy = -(rows * np.log(np.where(rows > 0, rows, 1.0))).sum(axis=1)
    np.testing.assert_allclose(np.exp(entropy), perplexity, rtol=1e-4)
    P = _tsne_affinities(points, perplexity)
    np.testing.assert_allclose(P, (rows + rows.T) / (2 * N))
    np.testing.assert_allclose(P.sum(), 1.0)


def test_tsne_keeps_clusters_apart():
    points, labels = _blobs()
    Y = gplot.tsne(torch.from_numpy(points), perplexity=15.0, iterations=250)
    assert Y.shape == (len(points), 2) and np.isfinite(Y).all()
    d = np.linalg.norm(Y[:, None] - Y[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = d.argsort(axis=1)[:, :5]  # each point's 5 nearest in the map
    assert (labels[nearest] == labels[:, None]).mean() > 0.95
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-9)  # centred


def test_tsne_is_deterministic_and_checks_its_input():
    points, _ = _blobs(n_per=10)
    np.testing.assert_array_equal(gplot.tsne(points, perplexity=5.0, iterations=20),
                                  gplot.tsne(points, perplexity=5.0, iterations=20))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        gplot.tsne(points[0])
    with pytest.raises(ValueError, match="perplexity"):
        gplot.tsne(points, perplexity=40.0)
