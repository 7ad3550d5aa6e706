import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gattut.plot import graph as gplot  # noqa: E402

EDGES = torch.tensor([[0, 1, 2, 2, 3], [1, 2, 0, 2, 1]])  # includes a self-loop 2 -> 2


def test_layout_gives_every_node_a_position():
    pos = gplot.layout(EDGES, 5)
    assert sorted(pos) == [0, 1, 2, 3, 4]
    assert all(len(p) == 2 for p in pos.values())
    again = gplot.layout(EDGES, 5)
    assert all((pos[n] == again[n]).all() for n in pos)


def test_draw_graph_with_and_without_weights():
    ax = gplot.draw_graph(EDGES, 5, title="plain")
    assert ax.get_title() == "plain"
    ax = gplot.draw_graph(EDGES, 5, edge_weights=torch.rand(5), node_colors=torch.tensor([0, 1, 0, 1, 2]))
    assert len(ax.collections) >= 1  # the nodes
    with pytest.raises(ValueError, match=r"edge_weights must have shape \(5,\)"):
        gplot.draw_graph(EDGES, 5, edge_weights=torch.rand(4))
    with pytest.raises(ValueError, match="node_colors must have 5"):
        gplot.draw_graph(EDGES, 5, node_colors=[0, 1])
    with pytest.raises(ValueError, match=r"\(2, E\)"):
        gplot.draw_graph(EDGES[0], 5)


def test_histograms_share_bins():
    ax = gplot.histograms({"a": torch.rand(50), "b": torch.rand(20) + 1}, bins=10)
    assert len(ax.patches) == 2  # one outline per array
    with pytest.raises(ValueError, match="at least one"):
        gplot.histograms({})


def test_embedding_scatter():
    ax = gplot.embedding(torch.randn(30, 2), torch.randint(0, 3, (30,)), title="pca")
    assert ax.collections[0].get_offsets().shape == (30, 2)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        gplot.embedding(torch.randn(30, 3))
    with pytest.raises(ValueError, match="labels"):
        gplot.embedding(torch.randn(30, 2), torch.zeros(29))


@pytest.mark.parametrize("weighted", [False, True])
def test_draw_graph_without_arrows_warns_nothing(weighted):
    """Straight edges take no connection style (networkx warns, and the book builds with -W)."""
    import warnings

    edge_index = torch.tensor([[0, 1, 2], [1, 2, 0]])
    weights = torch.tensor([0.2, 0.5, 0.3]) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gplot.draw_graph(edge_index, 3, edge_weights=weights, arrows=False)
    plt.close("all")
