import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gattut.plot import attention as aplot  # noqa: E402


def test_curves_draws_one_line_per_entry():
    x = torch.arange(1, 5)
    ax = aplot.curves(x, {"a": x**2, "b": x * 1.0}, logx=True, xlabel="Dh")
    assert len(ax.lines) == 2 and ax.get_xlabel() == "Dh" and ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="shape"):
        aplot.curves(x, {"bad": torch.ones(3)})
    plt.close("all")


def test_head_heatmaps_one_panel_per_head():
    fig = aplot.head_heatmaps(torch.rand(3, 4, 5), xlabels=list("abcde"), titles=["x", "y", "z"])
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 3 and panels[1].get_title() == "y"
    assert panels[0].images[0].get_array().shape == (4, 5)
    with pytest.raises(ValueError, match=r"\(H, T, S\)"):
        aplot.head_heatmaps(torch.rand(4, 5))
    plt.close("all")


def test_encoding_heatmap_is_centred_on_zero():
    ax = aplot.encoding_heatmap(torch.rand(6, 8) - 0.2)
    low, high = ax.images[0].get_clim()
    assert low == -high and ax.get_xlabel() == "dimension"
    with pytest.raises(ValueError, match="2-D"):
        aplot.encoding_heatmap(torch.rand(6))
    plt.close("all")
