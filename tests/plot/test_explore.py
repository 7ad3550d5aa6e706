import base64
import json
import re
import sys

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
pytest.importorskip("plotly")

from gattut.plot import explore  # noqa: E402
from gattut.plot.explore import (  # noqa: E402
    Explorer,
    explore_alignment,
    explore_graph_attention,
    explore_heads,
)


def _spec(explorer: Explorer) -> dict:
    page = explorer.to_html()
    found = re.search(r'<script type="application/json" id="[^"]+-spec">(.*?)</script>', page)
    return json.loads(found.group(1).replace("<\\/", "</"))


def _rows(T, S, H=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    shape = (T, S) if H is None else (H, T, S)
    return torch.softmax(torch.randn(*shape, generator=gen), dim=-1)


@pytest.fixture
def star():
    """Four nodes: 1, 2, 3 point at 0, and every node has a self-loop."""
    edge_index = torch.tensor([[1, 2, 3, 0, 1, 2, 3], [0, 0, 0, 0, 1, 2, 3]])  # (2, E)
    alpha = torch.tensor([[0.5, 0.2], [0.2, 0.2], [0.2, 0.3], [0.1, 0.3]] + [[1.0, 1.0]] * 3)
    positions = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # (N, 2)
    return edge_index, alpha, ["a", "b", "c", "d"], positions


def test_alignment_carries_the_weights_and_tokens():
    weights = _rows(3, 5)  # (T, S)
    explorer = explore_alignment(weights, list("ab cd"), ["x", "y", "z"], title="toy")
    heat, strip, column = explorer.figure.data
    np.testing.assert_allclose(heat.z, weights.numpy(), atol=1e-6)
    assert list(strip.text) == ["a", "b", "\u2423", "c", "d"]  # a space shows as a box
    assert list(column.text) == ["x", "y", "z"]
    spec = _spec(explorer)
    assert spec["kind"] == "rows" and spec["heads"] == 1
    assert spec["targets"] == ["x", "y", "z"] and len(spec["sources"]) == 5
    np.testing.assert_allclose(spec["figure"]["data"][0]["z"], weights.numpy(), atol=1e-6)


def test_heads_dropdown_switches_the_heatmap():
    weights = _rows(4, 6, H=3)  # (H, T, S)
    explorer = explore_heads(weights, list("abcd"), list("uvwxyz"), query_label="target")
    menu = explorer.figure.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["head 0", "head 1", "head 2"]
    for h, button in enumerate(menu.buttons):
        np.testing.assert_allclose(button.args[0]["z"][0], weights[h].numpy(), atol=1e-6)
    np.testing.assert_allclose(explorer.figure.data[0].z, weights[0].numpy(), atol=1e-6)
    # Self-attention: the keys are the queries.
    self_explorer = explore_heads(_rows(3, 3, H=2), ["p", "q", "r"])
    assert list(self_explorer.figure.data[1].text) == ["p", "q", "r"]
    # One head given as (T, S) has no dropdown.
    assert not explore_heads(_rows(3, 3), ["p", "q", "r"]).figure.layout.updatemenus


def test_graph_entropy_and_incoming_edges(star):
    edge_index, alpha, labels, positions = star
    explorer = explore_graph_attention(
        edge_index, alpha, labels, positions, node_colors=[0, 1, 1, 2]
    )
    spec = _spec(explorer)
    assert spec["into"][0] == [0, 1, 2, 3] and spec["into"][1] == [4]
    assert spec["slots"] == 4  # node 0 has four incoming edges
    a = alpha[:4]  # (4, H): the edges into node 0
    expected = -(a * a.log()).sum(dim=0)  # (H,)
    np.testing.assert_allclose(spec["entropy"][0], expected.numpy(), atol=1e-6)
    np.testing.assert_allclose(spec["entropy"][1], [0.0, 0.0], atol=1e-9)  # 1 log 1 = 0
    np.testing.assert_allclose(spec["alpha"], alpha.numpy(), atol=1e-6)
    assert [b.label for b in explorer.figure.layout.updatemenus[0].buttons] == ["head 0", "head 1"]
    nodes = explorer.figure.data[spec["nodes"]]
    np.testing.assert_allclose(list(zip(nodes.x, nodes.y)), positions)
    assert len(explorer.figure.data) == spec["first"] + spec["slots"]


def test_graph_accepts_a_layout_mapping_and_one_head(star):
    edge_index, alpha, labels, positions = star
    mapping = {n: tuple(p) for n, p in enumerate(positions)}
    explorer = explore_graph_attention(edge_index, alpha[:, 0], labels, mapping)
    assert _spec(explorer)["alpha"][0] == [0.5]
    assert not explorer.figure.layout.updatemenus


def test_html_has_plot_readout_static_picture_and_no_plotlyjs():
    explorer = explore_alignment(_rows(2, 3), list("abc"), list("xy"))
    page = explorer.to_html()
    for part in ("gattut-explorer-plot", "gattut-explorer-readout", "gattut-explorer-static",
                 "window.gattutExplorer", "@media print"):  # fmt: skip
        assert part in page, part
    assert "cdn.plot.ly" not in page and "https://" not in page
    assert len(page) < 300_000  # far from inlining plotly.js (4.8 MB)
    png = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(png).startswith(b"\x89PNG")
    # Two explorers on one page have different ids.
    assert explorer.id != explore_alignment(_rows(2, 3), list("abc"), list("xy")).id


def test_static_picture_fits_the_column_and_is_opaque():
    import io

    from PIL import Image

    for explorer in (explore_heads(_rows(5, 40, H=8), [str(i) for i in range(5)],
                                   [str(j) for j in range(40)]),
                     explore_alignment(_rows(10, 50), list("x" * 50), list("y" * 10))):  # fmt: skip
        image = Image.open(io.BytesIO(base64.b64decode(explorer.png))).convert("RGBA")
        assert image.width <= 820
        assert image.getpixel((0, 0))[3] == 255


def test_mimebundle_for_jupyter_and_colab(monkeypatch):
    explorer = explore_alignment(_rows(2, 3), list("abc"), list("xy"))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain", "application/vnd.plotly.v1+json"}
    assert bundle["image/png"] == explorer.png and explorer.png in bundle["text/html"]
    assert "cdn.plot.ly" not in bundle["text/html"]
    monkeypatch.setitem(sys.modules, "google.colab", object())
    colab = explorer._repr_mimebundle_()
    assert "application/vnd.plotly.v1+json" not in colab  # Colab cannot draw that type
    assert re.search(
        r'<script src="https://cdn\.plot\.ly/plotly-[\d.]+\.min\.js">', colab["text/html"]
    )


def test_data_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(explore, "MAX_DATA_BYTES", 1_000)
    explorer = explore_alignment(_rows(6, 20), list("x" * 20), list("y" * 6))
    with pytest.raises(ValueError, match="bytes, more than"):
        explorer.to_html()


def test_a_script_end_tag_in_a_token_cannot_end_the_data():
    explorer = explore_alignment(_rows(1, 2), ["</script>", "b"], ["x"])
    page = explorer.to_html()
    data = page.split('-spec">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data.replace("<\\/", "</"))["sources"][0] == "</script>"


@pytest.mark.parametrize(
    "args, error, words",
    [
        ((torch.ones(2, 3, 4) / 4, list("abcd"), list("xy")), ValueError, "shape (T, S)"),
        ((torch.ones(2, 3) / 3, list("abcd"), list("xy")), ValueError, "expected (2, 4)"),
        ((torch.full((1, 2), float("nan")), list("ab"), ["x"]), ValueError, "NaN"),
        ((torch.tensor([[2.0, -1.0]]), list("ab"), ["x"]), ValueError, "in [0, 1]"),
        ((torch.ones(1, 2) / 2, "ab", ["x"]), TypeError, "list of strings"),
        ((object(), list("ab"), ["x"]), TypeError, "array of numbers"),
    ],
)
def test_alignment_bad_input(args, error, words):
    with pytest.raises(error) as info:
        explore_alignment(*args)
    assert words in str(info.value)


def test_heads_bad_input():
    with pytest.raises(ValueError, match=r"\(H, T, S\) or \(T, S\)"):
        explore_heads(torch.ones(1, 1, 2, 2) / 2, list("ab"))
    with pytest.raises(ValueError, match="expected"):
        explore_heads(_rows(3, 4, H=2), list("abc"))  # self-attention needs T == S keys
    with pytest.raises(ValueError, match="head_names"):
        explore_heads(_rows(2, 2, H=2), list("ab"), head_names=["only one"])


@pytest.mark.parametrize(
    "change, error, words",
    [
        (dict(edge_index=torch.zeros(3, 7, dtype=torch.long)), ValueError, "shape (2, E)"),
        (dict(edge_index=torch.full((2, 7), 0.5)), TypeError, "integer node ids"),
        (dict(edge_index=torch.full((2, 7), 9)), ValueError, "there are 4 node labels"),
        (dict(alpha=torch.ones(6, 2)), ValueError, "E = 7"),
        (dict(alpha=torch.full((7, 2), 1.5)), ValueError, "in [0, 1]"),
        (dict(positions=np.zeros((3, 2))), ValueError, "(N, 2) = (4, 2)"),
        (dict(positions={0: (0, 0)}), ValueError, "no entry for nodes [1, 2, 3]"),
        (dict(node_colors=[0, 1]), ValueError, "node_colors must have shape"),
    ],
)
def test_graph_bad_input(star, change, error, words):
    edge_index, alpha, labels, positions = star
    args = dict(edge_index=edge_index, alpha=alpha, node_labels=labels, positions=positions)
    node_colors = change.pop("node_colors", None)
    args.update(change)
    with pytest.raises(error) as info:
        explore_graph_attention(**args, node_colors=node_colors)
    assert words in str(info.value)
