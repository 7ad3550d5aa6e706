import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from gattut.plot.seq import accuracy_vs_length, attention_heatmap  # noqa: E402


def test_attention_heatmap_labels_axes():
    weights = torch.softmax(torch.randn(4, 6), dim=-1)
    fig = attention_heatmap(weights, list("3/3/15"), list("2015"), title="dates")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list("3/3/15")
    assert [t.get_text() for t in ax.get_yticklabels()] == list("2015")
    np.testing.assert_allclose(ax.images[0].get_array(), weights.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="must have shape"):
        attention_heatmap(weights, list("3/3/1"), list("2015"))
    fig2, ax2 = matplotlib.pyplot.subplots()
    assert attention_heatmap(np.eye(2), ["a", " "], ["x", "y"], ax=ax2) is fig2


def test_accuracy_vs_length_draws_one_line_per_model():
    results = {
        "none": ([5, 10, 30, 50], [True, True, False, False]),
        "bahdanau": ([5, 10, 30, 50], [True, True, True, True]),
    }
    fig = accuracy_vs_length(results, num_bins=4)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["none", "bahdanau"]
    assert list(ax.get_lines()[1].get_ydata()) == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="empty"):
        accuracy_vs_length({})
