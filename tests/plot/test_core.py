import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from gattut.plot import core  # noqa: E402


def test_heatmap_labels_and_shape():
    ax = core.heatmap(torch.rand(3, 4), xlabels=list("abcd"), ylabels=list("xyz"))
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcd")
    assert ax.images[0].get_array().shape == (3, 4)
    with pytest.raises(ValueError, match="2-D"):
        core.heatmap(torch.rand(3))


def test_kernel_regression_draws_each_curve():
    x = torch.linspace(0, 1, 5)
    ax = core.kernel_regression(x, x, x, {"fit": x, "other": x}, truth=x)
    assert len(ax.lines) == 4
