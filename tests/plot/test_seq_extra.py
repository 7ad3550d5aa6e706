import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from gattut.plot.seq import accuracy_bars  # noqa: E402


def test_accuracy_bars_one_bar_per_group_in_order():
    results = {"short": [True, True, False, True], "long": [False, True]}
    fig = accuracy_bars(results, title="by format")
    ax = fig.axes[0]
    widths = [patch.get_width() for patch in ax.patches]
    np.testing.assert_allclose(widths, [0.75, 0.5])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["short", "long"]
    assert ax.get_xlabel() == "exact match" and ax.get_title() == "by format"
    assert [t.get_text() for t in ax.texts] == ["0.75 (n=4)", "0.50 (n=2)"]
    assert fig.get_size_inches()[0] <= 7.5


def test_accuracy_bars_draws_on_a_given_axes_and_rejects_empty_input():
    fig, ax = matplotlib.pyplot.subplots()
    assert accuracy_bars({"a": np.array([True])}, ax=ax) is fig
    with pytest.raises(ValueError, match="empty"):
        accuracy_bars({})
    with pytest.raises(ValueError, match="no examples"):
        accuracy_bars({"a": []})
