"""The book's SVG diagrams: well-formed, safe, legible in both themes, with their key labels."""

import re
import xml.etree.ElementTree as ET

import pytest

from gattut.plot import diagrams

NS = "{http://www.w3.org/2000/svg}"
NOT_DRAWN = {"title", "desc", "defs", "metadata", "style"}

# The labels each figure must show (what the chapter's prose refers to).
LABELS = {
    "seq2seq_attention": ["h1", "st-1", "αt,j", "ct = ∑j αt,j hj", "softmax", "yt"],
    "scaled_dot_product": ["Q", "K", "V", "(B, T, S)", "√Dk", "softmax", "(B, T, Dv)"],
    "multi_head": ["q_proj", "k_proj", "v_proj", "out_proj", "(B, H, T, S)", "(B, H, T, Dh)",
                   "Dh = D / H", "concat"],
    "transformer": ["Add & Norm", "Masked self-attention", "Cross-attention", "Feed-forward",
                    "positional", "N ×", "Linear", "Softmax"],
    "gat_layer": ["α", "Ñ(i)", "LeakyReLU", "‖", "softmax", "σ", "concat", "average"],
    "static_dynamic": ["GAT: static", "GATv2", "LeakyReLU", "same order for every query"],
}


def _luminance(color: str) -> float:
    m = re.fullmatch(r"#([0-9a-fA-F]{6})", color or "")
    if m is None:
        return -1.0
    r, g, b = (int(m.group(1)[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _check_svg(svg_text: str, labels=()) -> None:
    """Raise AssertionError unless ``svg_text`` is a safe, book-sized SVG with ``labels``."""
    root = ET.fromstring(svg_text)
    assert root.tag == NS + "svg", f"root is {root.tag}, not <svg>"
    x0, y0, w, h = (float(v) for v in root.get("viewBox", "").split())
    assert (x0, y0) == (0, 0) and 0 < w <= 760, f"viewBox width {w} does not fit the column"
    assert "max-width:100%" in root.get("style", "").replace(" ", ""), "does not scale down"
    assert "sans-serif" in root.get("font-family", ""), "no generic font fallback"
    # Dark mode: an opaque, light rectangle covering the whole viewBox is drawn first.
    drawn = [el for el in root if el.tag.removeprefix(NS) not in NOT_DRAWN]
    bg = drawn[0] if drawn else None
    assert bg is not None and bg.tag == NS + "rect", "first drawn element is not a rect"
    box = [float(bg.get(k, "0")) for k in ("x", "y", "width", "height")]
    assert box == [0, 0, w, h], f"background {box} does not cover the viewBox {w} x {h}"
    assert _luminance(bg.get("fill")) > 0.9, f"background fill {bg.get('fill')} is not light"
    assert bg.get("opacity") is None and bg.get("fill-opacity") is None, "background see-through"
    # Safe to inline: no scripts, handlers or links that reach the network.
    for el in root.iter():
        assert el.tag.removeprefix(NS) not in {"script", "foreignObject", "image"}, el.tag
        for key, value in el.attrib.items():
            assert not key.startswith("on"), f"event handler {key}"
            assert "href" not in key or not value.startswith(("http", "//")), value
    assert "http://" not in svg_text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in svg_text
    # Legible: no text under 12 px.
    for el in root.iter():
        if el.get("font-size") is not None:
            assert float(el.get("font-size")) >= 12, f"{el.get('font-size')} px text"
    texts = ["".join(t.itertext()) for t in root.iter(NS + "text")]
    for label in labels:
        assert any(label in t for t in texts), f"label {label!r} missing from {texts}"


@pytest.mark.parametrize("name", sorted(LABELS))
def test_diagram_is_a_valid_book_figure(name):
    fig = getattr(diagrams, name)()
    svg = fig.data
    assert fig._repr_svg_() == svg or ET.fromstring(fig._repr_svg_()).tag == NS + "svg"
    _check_svg(svg, LABELS[name])


def test_every_public_diagram_is_checked():
    assert sorted(diagrams.__all__) == sorted(LABELS)
    for name in diagrams.__all__:
        assert getattr(diagrams, name).__doc__, f"{name} has no docstring"


def test_fallback_object_without_ipython(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ipython(name, *args, **kwargs):
        if name.startswith("IPython"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipython)
    fig = diagrams.multi_head()
    assert type(fig).__name__ == "_SvgFigure"
    assert fig._repr_svg_() == fig.data
    _check_svg(fig.data, LABELS["multi_head"])


def test_subscript_markup():
    svg = diagrams._rich("α_{t,j} q_proj D_h)", 15)
    assert svg.count('font-size="12"') == 2  # t,j and h; q_proj stays literal
    assert "q_proj" in svg


GOOD = diagrams.multi_head().data


@pytest.mark.parametrize(
    "broken, why",
    [
        (re.sub(r'<rect x="0" y="0"[^>]*/>', "", GOOD, count=1), "no background"),
        (GOOD.replace('fill="#ffffff"', 'fill="none"', 1), "transparent background"),
        (GOOD.replace("(B, H, T, S)", "(B, T, S)"), "missing label"),
        (GOOD.replace('viewBox="0 0 720', 'viewBox="0 0 900'), "too wide"),
        (GOOD.replace("</svg>", "<script>alert(1)</script></svg>"), "script"),
        (GOOD.replace("</svg>", '<a href="https://example.org"><text>x</text></a></svg>'),
         "external link"),
        (GOOD.replace('font-size="13"', 'font-size="9"', 1), "tiny text"),
        (GOOD.replace("</svg>", "<text>"), "not XML"),
    ],
)
def test_check_svg_catches_broken_figures(broken, why):
    _check_svg(GOOD, LABELS["multi_head"])  # the unbroken figure passes
    with pytest.raises((AssertionError, ET.ParseError)):
        _check_svg(broken, LABELS["multi_head"])
