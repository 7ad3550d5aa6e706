"""Diagrams of what the chapters explain, drawn as hand-written SVG.

Each public function returns an object that Jupyter, Colab and the Jupyter
Book build display as SVG (``IPython.display.SVG`` when IPython is present,
else a small object with ``_repr_svg_`` and ``.data``). Chapters call them
from ``hide-input`` cells. No matplotlib, fonts, network or scripts: the
figure is a string, built from a few helpers (box, text, arrow).

Every figure has an opaque white background and dark ink, so it reads the
same in the book's light and dark themes, a ``viewBox`` no wider than the
book column (it scales down on a phone), and text of at least 12 px.
Labels use a tiny markup: ``h_j`` or ``α_{t,j}`` writes a subscript.
"""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape

__all__ = [
    "gat_layer",
    "multi_head",
    "scaled_dot_product",
    "seq2seq_attention",
    "static_dynamic",
    "transformer",
]

FONT = "DejaVu Sans, Arial, sans-serif"
INK, MUTED, BG = "#1f2937", "#4b5563", "#ffffff"
# (fill, stroke) pairs: light fills with dark strokes keep text contrast high.
BLUE, ORANGE = ("#dbeafe", "#1d4ed8"), ("#ffedd5", "#c2410c")
GREEN, GREY = ("#dcfce7", "#15803d"), ("#f3f4f6", "#4b5563")
PURPLE = ("#ede9fe", "#6d28d9")
BAR, BAR_TOP = "#60a5fa", "#ea580c"


def _rich(s: str, size: float) -> str:
    """Turn ``a_{ij}`` / ``a_i`` markup into tspans (a subscript lowered by ``dy``).

    A bare ``_`` takes one character only when no letter follows it, so
    ``q_proj`` stays literal; write ``α_{ij}`` for a longer subscript.
    """
    sub, drop = max(12, round(size * 0.8)), round(size * 0.3)
    out, pos, lowered = [], 0, False
    for m in re.finditer(r"_(\{[^}]*\}|\w(?![A-Za-z]))", s):
        text = escape(s[pos : m.start()])
        out.append(_back(text, drop, lowered))
        lowered = lowered and not text
        out.append(f'<tspan dy="{0 if lowered else drop}" font-size="{sub}">'
                   f"{escape(m.group(1).strip('{}'))}</tspan>")
        pos, lowered = m.end(), True
    if s[pos:]:
        out.append(_back(escape(s[pos:]), drop, lowered))
    return "".join(out)


def _back(text: str, drop: int, lowered: bool) -> str:
    """Text after a subscript goes back up (in a tspan with text: an empty one may not move)."""
    if not lowered:
        return text
    return f'<tspan dy="-{drop}">{text}</tspan>'


class _Svg:
    """A list of SVG elements on a white canvas; ``str()`` gives the document."""

    def __init__(self, width: int, height: int, title: str):
        self.w, self.h, self.title, self.parts = width, height, title, []

    def rect(self, x, y, w, h, fill=BG, stroke=INK, rx=6, dash=False, sw=1.5):
        d = ' stroke-dasharray="5 4"' if dash else ""
        self.parts.append(
            f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="{rx}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"{d}/>'
        )

    def circle(self, cx, cy, r, fill=BG, stroke=INK, sw=1.5):
        self.parts.append(
            f'<circle cx="{cx:g}" cy="{cy:g}" r="{r:g}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{sw}"/>'
        )

    def text(self, x, y, s, size=14, anchor="middle", weight="normal", fill=INK, italic=False):
        """Write ``s`` with its baseline at ``y`` (``anchor``: start, middle, end)."""
        style = ' font-style="italic"' if italic else ""
        self.parts.append(
            f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{style}>{_rich(s, size)}</text>'
        )

    def ctext(self, x, cy, s, size=14, **kw):
        """Write ``s`` centred vertically on ``cy``."""
        self.text(x, cy + 0.36 * size, s, size, **kw)

    def path(self, pts, stroke=INK, sw=1.5, dash=False, fill="none"):
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:g},{y:g}" for i, (x, y) in enumerate(pts))
        extra = ' stroke-dasharray="5 4"' if dash else ""
        self.parts.append(
            f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{sw:g}" '
            f'stroke-linejoin="round"{extra}/>'
        )

    def arrow(self, *pts, stroke=INK, sw=1.5, dash=False, both=False, head=8):
        """A polyline through ``pts`` with a filled head on its last point (and first if both)."""
        pts = list(pts)
        ends = [(-1, -2)] + ([(0, 1)] if both else [])
        for tip_i, from_i in ends:
            (x1, y1), (x0, y0) = pts[tip_i], pts[from_i]
            n = math.hypot(x1 - x0, y1 - y0) or 1.0
            ux, uy = (x1 - x0) / n, (y1 - y0) / n
            bx, by, half = x1 - ux * head, y1 - uy * head, head * 0.45
            head_pts = [(x1, y1), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]
            self.path(head_pts + [(x1, y1)], stroke=stroke, sw=1, fill=stroke)
            # Stop the shaft inside the head so a wide line does not poke through its tip.
            pts[tip_i] = (x1 - ux * head * 0.7, y1 - uy * head * 0.7)
        self.path(pts, stroke=stroke, sw=sw, dash=dash)

    def box(self, cx, cy, w, h, label, sub=None, color=BLUE, size=14, dash=False, bold=False):
        """A rounded box centred on (cx, cy) with one label line, or two when ``sub`` is given."""
        self.rect(cx - w / 2, cy - h / 2, w, h, fill=color[0], stroke=color[1], dash=dash)
        weight = "bold" if bold else "normal"
        if sub is None:
            self.ctext(cx, cy, label, size, weight=weight)
        else:
            self.ctext(cx, cy - 0.5 * size - 1, label, size, weight=weight)
            self.ctext(cx, cy + 0.5 * size + 2, sub, 12, fill=MUTED)

    def __str__(self) -> str:
        w, h = self.w, self.h
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
            f'width="{w}" height="{h}" style="max-width:100%;height:auto" role="img" '
            f'aria-label="{escape(self.title)}" font-family="{FONT}">'
            f"<title>{escape(self.title)}</title>"
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="{BG}"/>'
            + "".join(self.parts)
            + "</svg>"
        )


class _SvgFigure:
    """Displays as SVG in a notebook when IPython is missing; ``.data`` is the text."""

    def __init__(self, data: str):
        self.data = data

    def _repr_svg_(self) -> str:
        return self.data


def _show(svg: _Svg):
    text = str(svg)
    try:
        from IPython.display import SVG
    except ImportError:
        return _SvgFigure(text)
    return SVG(data=text)


# --------------------------------------------------------------------------- chapter 4


def seq2seq_attention():
    """Seq2Seq with Bahdanau attention, one decoder step (chapter 4).

    Encoder states ``h_j`` over the source tokens; the previous decoder state
    ``s_{t-1}`` scores each of them; a softmax over the source turns the scores
    into alignment weights ``α_{t,j}`` (bars below, line widths above, summing
    to one); their weighted sum is the context ``c_t``, which the decoder step
    reads, with ``y_{t-1}``, to emit ``y_t``.
    """
    d = _Svg(720, 560, "Seq2Seq with Bahdanau attention: one decoder step")
    tokens, alpha = ["the", "black", "cat", "sat"], [0.10, 0.15, 0.65, 0.10]
    xs = [120, 220, 320, 420]
    plus, dec = (270, 90), 610
    # Context: lines from each h_j to the sum, as wide as their weight.
    for x, a in zip(xs, alpha):
        d.path([(x, 220), plus], stroke=BAR_TOP, sw=1.5 + 14 * a)
        t = 0.28
        lx, ly = x + (plus[0] - x) * t, 220 + (plus[1] - 220) * t
        d.text(lx + (14 if x >= plus[0] else -14), ly + 4, f"{a:.2f}", 13,
               anchor="start" if x >= plus[0] else "end", fill=ORANGE[1])
    d.circle(*plus, 17, fill=ORANGE[0], stroke=ORANGE[1], sw=2)
    d.ctext(plus[0], plus[1] - 1, "∑", 18)
    d.text(plus[0], 50, "c_t = ∑_j α_{t,j} h_j", 15)
    d.arrow((plus[0] + 17, plus[1]), (dec - 56, plus[1]), sw=2)
    d.text((plus[0] + dec - 56) / 2, plus[1] - 8, "context c_t", 13, fill=MUTED)
    # Encoder states with the bidirectional GRU between them.
    for i, (x, tok) in enumerate(zip(xs, tokens)):
        d.box(x, 244, 72, 48, f"h_{i + 1}", sub=tok)
        if i:
            d.arrow((xs[i - 1] + 38, 244), (x - 38, 244), both=True, head=6, sw=1.2)
    d.text(462, 240, "encoder", 13, anchor="start", fill=MUTED)
    d.text(462, 256, "(BiGRU)", 13, anchor="start", fill=MUTED)
    # Scores: s_{t-1} threads every score box (the line runs behind them).
    d.path([(xs[0], 330), (dec - 56, 330)], stroke=PURPLE[1], sw=1.5)
    for i, x in enumerate(xs):
        d.arrow((x, 268), (x, 312))
        d.arrow((x + 70, 330), (x + 33, 330), stroke=PURPLE[1], head=7)
        d.box(x, 330, 64, 34, f"e_{{t,{i + 1}}}", color=PURPLE)
        d.arrow((x, 347), (x, 376))
    d.box(dec, 330, 110, 40, "s_{t-1}", color=GREEN)
    d.box(270, 392, 364, 32, "softmax over j = 1 … S", color=GREY)
    # Alignment weights as bars over the source tokens.
    base = 512
    d.path([(82, base), (458, base)], stroke=INK, sw=1.2)
    for x, a, tok in zip(xs, alpha, tokens):
        top = base - 85 * a
        d.rect(x - 16, top, 32, base - top, fill=BAR_TOP if a == max(alpha) else BAR,
               stroke="none", rx=2)
        d.arrow((x, 408), (x, 424), head=7)
        d.text(x, 441, f"{a:.2f}", 13)
        d.text(x, base + 18, tok, 13, fill=MUTED)
    d.text(88, 442, "α_{t,j}", 15, anchor="end")
    d.text(270, 550, "weights sum to 1; line width ∝ α_{t,j}", 13, fill=MUTED)
    # Decoder step.
    d.box(dec, plus[1], 112, 44, "s_t", sub="GRU step", color=GREEN)
    d.arrow((dec - 25, 310), (dec - 25, plus[1] + 22))
    d.text(dec, 370, "decoder (GRU)", 13, fill=MUTED)
    d.arrow((dec + 30, 170), (dec + 30, plus[1] + 22))
    d.text(dec + 30, 188, "y_{t-1} = le", 13)
    d.arrow((dec, plus[1] - 22), (dec, 38))
    d.text(dec, 30, "y_t = chat", 15, weight="bold")
    d.text(490, 424, "Bahdanau score", 13, anchor="start", fill=MUTED)
    d.text(490, 448, "e_{t,j} = a(s_{t-1}, h_j)", 13, anchor="start")
    d.text(490, 472, "a(s, h) = vᵀ tanh(W s + U h)", 13, anchor="start")
    d.text(490, 496, "α_{t,j} = softmax_j(e_{t,j})", 13, anchor="start")
    return _show(d)


# --------------------------------------------------------------------------- chapters 5-8


def _flow(d: _Svg, cx, y, w, h, label, shape, color=BLUE, dash=False, note=None):
    """A step of a pipeline: box, the shape of what it outputs (right), a note (left)."""
    d.box(cx, y, w, h, label, color=color, dash=dash)
    if shape:
        d.text(cx + w / 2 + 14, y + 5, shape, 13, anchor="start", fill=INK)
    if note:
        d.text(cx - w / 2 - 14, y + 5, note, 13, anchor="end", fill=MUTED)


def scaled_dot_product():
    """Scaled dot-product attention with the tensor shape after each step (chapter 7).

    Q ``(B, T, D_k)`` and K ``(B, S, D_k)`` give ``Q Kᵀ`` ``(B, T, S)``; it is
    divided by ``√D_k``, optionally masked, and softmaxed over the S keys into
    weights ``(B, T, S)`` whose product with V ``(B, S, D_v)`` is the output
    ``(B, T, D_v)``.
    """
    d = _Svg(720, 540, "Scaled dot-product attention with tensor shapes")
    cx, vx = 330, 600
    d.box(265, 40, 110, 48, "Q", sub="(B, T, D_k)", color=ORANGE, bold=True)
    d.box(395, 40, 110, 48, "K", sub="(B, S, D_k)", color=ORANGE, bold=True)
    d.box(vx, 40, 120, 48, "V", sub="(B, S, D_v)", color=ORANGE, bold=True)
    d.arrow((265, 64), (265, 104))
    d.arrow((395, 64), (395, 104))
    d.text(403, 90, "Kᵀ", 13, anchor="start", fill=MUTED)
    steps = [
        (125, "MatMul  Q Kᵀ", "(B, T, S)", "every query-key pair", BLUE, False),
        (200, "Scale  ÷ √D_k", "(B, T, S)", "keeps the variance near 1", BLUE, False),
        (275, "Mask (optional)", "(B, T, S)", "False → −∞", GREY, True),
        (350, "softmax over S", "weights (B, T, S)", "each row sums to 1", PURPLE, False),
        (440, "MatMul  weights @ V", "(B, T, D_v)", None, BLUE, False),
    ]
    for i, (y, label, shape, note, color, dash) in enumerate(steps):
        _flow(d, cx, y, 220, 40, label, None, color=color, dash=dash, note=note)
        nxt = steps[i + 1][0] if i + 1 < len(steps) else 510
        d.arrow((cx, y + 20), (cx, nxt - 20 if i + 1 < len(steps) else 500))
        d.text(cx + 10, (y + 20 + nxt - 20) / 2 + 5, shape, 13, anchor="start")
    d.arrow((vx, 64), (vx, 440), (cx + 110, 440))
    d.text(vx + 8, 250, "V", 13, anchor="start", fill=MUTED)
    d.box(cx, 520, 180, 32, "output", color=ORANGE)
    return _show(d)


def multi_head():
    """Multi-head attention with shapes (chapter 7).

    ``x`` ``(B, T, D)`` goes through the ``q_proj``, ``k_proj`` and ``v_proj``
    projections, is split into H heads of width ``D_h = D / H`` ``(B, H, T, D_h)``,
    attended per head (weights ``(B, H, T, S)``), concatenated back to
    ``(B, T, D)`` and mixed by ``out_proj``.
    """
    d = _Svg(720, 560, "Multi-head attention with tensor shapes")
    cols = [(150, "q", "T"), (360, "k", "S"), (570, "v", "S")]
    d.box(360, 34, 190, 44, "x", sub="(B, T, D)", color=ORANGE, bold=True)
    d.text(470, 30, "(key and value may come from", 12, anchor="start", fill=MUTED)
    d.text(470, 46, "another sequence: (B, S, D))", 12, anchor="start", fill=MUTED)
    for x, n, L in cols:
        d.arrow((360 + (x - 360) * 0.25, 56), (x, 104))
        d.box(x, 124, 130, 38, f"{n}_proj", sub=None, color=BLUE)
        d.arrow((x, 143), (x, 190))
        d.text(x + 8, 172, f"(B, {L}, D)", 13, anchor="start")
        d.box(x, 210, 130, 38, "split heads", color=GREY)
        d.arrow((x, 229), (x, 288))
        d.text(x + 8, 262, f"(B, H, {L}, D_h)", 13, anchor="start")
    d.text(20, 262, "D_h = D / H", 13, anchor="start", fill=MUTED)
    # H stacked copies suggest the heads run side by side.
    for k in (2, 1):
        d.rect(90 + 9 * k, 290 + 7 * k, 540, 60, fill=PURPLE[0], stroke=PURPLE[1])
    d.rect(90, 290, 540, 60, fill=PURPLE[0], stroke=PURPLE[1])
    d.ctext(360, 311, "scaled dot-product attention, each head", 14)
    d.ctext(360, 333, "weights (B, H, T, S)", 13)
    d.text(654, 354, "H heads", 13, anchor="start", fill=MUTED)
    d.arrow((360, 364), (360, 394))
    d.text(368, 384, "(B, H, T, D_h)", 13, anchor="start")
    d.box(360, 414, 190, 38, "concat heads", color=GREY)
    d.arrow((360, 433), (360, 470))
    d.text(368, 456, "(B, T, D)", 13, anchor="start")
    d.box(360, 490, 190, 38, "out_proj", color=BLUE)
    d.arrow((360, 509), (360, 536))
    d.text(368, 530, "(B, T, D)", 13, anchor="start")
    d.text(360, 555, "output", 13, fill=MUTED)
    return _show(d)


def transformer():
    """The Transformer encoder-decoder (chapter 8), drawn bottom-up as in the paper.

    Embeddings plus positional encoding feed N encoder layers (self-attention,
    Add & Norm, feed-forward, Add & Norm) and N decoder layers (masked
    self-attention, cross-attention to the encoder output, feed-forward, each
    followed by Add & Norm); a final linear layer and softmax give next-token
    probabilities.
    """
    d = _Svg(720, 612, "The Transformer encoder-decoder")
    d.parts.append('<g transform="translate(0,-28)">')  # the layout leaves 28 px spare on top
    ex, dx, w = 200, 500, 190

    def sublayer(x, y, label, color, side):
        """Sublayer box at y (centre) and its Add & Norm above; residual on ``side``."""
        d.box(x, y, w, 34, label, color=color)
        d.box(x, y - 46, w, 26, "Add & Norm", color=GREY, size=13)
        d.arrow((x, y + 17 + 18), (x, y + 17))
        d.arrow((x, y - 17), (x, y - 33))
        rx = x + side * (w / 2 + 16)
        d.arrow((x, y + 30), (rx, y + 30), (rx, y - 46), (x + side * w / 2, y - 46), head=7)
        return y - 46 - 13  # top of Add & Norm

    # Encoder (residuals on the left), decoder (residuals on the right).
    d.rect(ex - w / 2 - 34, 262, w + 68, 218, fill="#f9fafb", stroke=MUTED, rx=10)
    d.text(ex - w / 2 - 42, 380, "N ×", 15, anchor="end", weight="bold")
    top = sublayer(ex, 440, "Multi-head self-attention", ORANGE, -1)
    top = sublayer(ex, top - 35, "Feed-forward", BLUE, -1)
    d.rect(dx - w / 2 - 34, 176, w + 68, 304, fill="#f9fafb", stroke=MUTED, rx=10)
    d.text(dx + w / 2 + 42, 334, "× N", 15, anchor="start", weight="bold")
    top = sublayer(dx, 440, "Masked self-attention", ORANGE, 1)
    top = sublayer(dx, top - 35, "Cross-attention", ORANGE, 1)
    # The encoder output enters every decoder layer's cross-attention as keys and values.
    gap = (ex + w / 2 + 34 + dx - w / 2 - 34) / 2
    d.arrow((ex, 287), (ex, 240), (gap, 240), (gap, 346), (dx - w / 2, 346), head=7)
    d.text(ex, 232, "encoder output", 13, fill=MUTED)
    d.text(dx - w / 2 - 2, 338, "K, V", 12, anchor="end", fill=MUTED)
    top = sublayer(dx, top - 35, "Feed-forward", BLUE, 1)
    # Inputs: embeddings plus positional encoding, below each stack.
    for x, label in ((ex, "Input embedding"), (dx, "Output embedding")):
        d.box(x, 600, w, 34, label, color=GREEN)
        d.circle(x, 530, 12, fill=BG)
        d.ctext(x, 529, "+", 18)
        d.arrow((x, 583), (x, 542))
        d.arrow((x, 518), (x, 475))
        d.text(x - 22, 535, "positional", 12, anchor="end", fill=MUTED)
        d.text(x - 22, 549, "encoding", 12, anchor="end", fill=MUTED)
    d.text(ex, 634, "source tokens", 13, fill=MUTED)
    d.text(dx, 634, "target tokens, shifted right", 13, fill=MUTED)
    d.box(dx, 140, w, 30, "Linear", color=BLUE)
    d.arrow((dx, top), (dx, 155))
    d.box(dx, 90, w, 30, "Softmax", color=PURPLE)
    d.arrow((dx, 125), (dx, 105))
    d.arrow((dx, 75), (dx, 52))
    d.text(dx, 42, "next-token probabilities", 13, fill=MUTED)
    d.parts.append("</g>")
    return _show(d)


# --------------------------------------------------------------------------- chapters 10-14


def gat_layer():
    """One GAT layer around a node i (chapter 10).

    Left: i's neighbourhood Ñ(i) = N(i) ∪ {i}, self-loop included, with edge
    widths proportional to the attention weights α_ij. Right: the shared
    projection W h_j, the per-edge score e_ij = LeakyReLU(aᵀ [W h_i ‖ W h_j]),
    the softmax over the neighbourhood, the weighted sum h_i' = σ(∑ α_ij W h_j),
    and the H heads concatenated (hidden layers) or averaged (output layer).
    """
    d = _Svg(720, 460, "A GAT layer: scores, softmax over the neighbourhood, weighted sum")
    ci = (165, 215)
    # (neighbour position, α_ij, its label's position and anchor); the weights sum to 1.
    nbrs = [
        ((45, 95), 0.30, (92, 160, "end")),
        ((265, 85), 0.12, (228, 150, "start")),
        ((295, 285), 0.22, (222, 285, "middle")),
        ((70, 350), 0.08, (90, 300, "end")),
    ]
    self_a = 1 - sum(a for _, a, _ in nbrs)
    for (x, y), a, _ in nbrs:
        n = math.hypot(ci[0] - x, ci[1] - y)
        ux, uy = (ci[0] - x) / n, (ci[1] - y) / n
        d.arrow((x + 21 * ux, y + 21 * uy), (ci[0] - 29 * ux, ci[1] - 29 * uy),
                stroke=ORANGE[1], sw=1.5 + 14 * a, head=10 + 8 * a)
    for k, ((x, y), a, (lx, ly, anchor)) in enumerate(nbrs):
        d.text(lx, ly, f"α_{{i{k + 1}}} = {a:.2f}", 13, anchor=anchor, fill=ORANGE[1])
        d.circle(x, y, 20, fill=BLUE[0], stroke=BLUE[1], sw=2)
        d.ctext(x, y, f"h_{k + 1}", 14)
    # The self-loop: i attends to itself too.
    x, y = ci
    d.parts.append(
        f'<path d="M{x - 20},{y - 16} C{x - 80},{y - 60} {x - 88},{y + 40} {x - 34},{y + 24}" '
        f'fill="none" stroke="{ORANGE[1]}" stroke-width="{1.5 + 14 * self_a:g}"/>'
    )
    d.arrow((x - 40, y + 26), (x - 25, y + 17), stroke=ORANGE[1], sw=1, head=14)
    d.text(x - 80, y + 5, f"α_{{ii}} = {self_a:.2f}", 13, anchor="end", fill=ORANGE[1])
    d.circle(x, y, 26, fill=ORANGE[0], stroke=ORANGE[1], sw=2.5)
    d.ctext(x, y, "h_i", 15, weight="bold")
    d.text(165, 400, "Ñ(i) = N(i) ∪ {i}: the neighbours", 13, fill=MUTED)
    d.text(165, 420, "and i itself; width ∝ α_{ij}", 13, fill=MUTED)
    # Right: what node i computes, top to bottom.
    rx, w = 525, 350
    d.box(rx - 95, 36, 150, 50, "W h_i", sub="node i", color=BLUE)
    d.box(rx + 95, 36, 150, 50, "W h_j", sub="each j ∈ Ñ(i)", color=BLUE)
    d.arrow((rx - 95, 61), (rx - 30, 96))
    d.arrow((rx + 95, 61), (rx + 30, 96))
    d.box(rx, 118, w, 44, "e_{ij} = LeakyReLU(aᵀ [W h_i ‖ W h_j])", color=PURPLE)
    d.arrow((rx, 140), (rx, 176))
    d.text(rx + 10, 163, "one score per edge", 12, anchor="start", fill=MUTED)
    d.box(rx, 198, w, 44, "α_{ij} = softmax of e_{ij} over j ∈ Ñ(i)", color=GREY)
    d.arrow((rx, 220), (rx, 256))
    d.text(rx + 10, 243, "∑_j α_{ij} = 1", 12, anchor="start", fill=MUTED)
    d.box(rx, 278, w, 44, "h_i' = σ(∑_{j∈Ñ(i)} α_{ij} W h_j)", color=ORANGE)
    d.arrow((rx - 20, 300), (rx - 95, 340))
    d.arrow((rx + 20, 300), (rx + 95, 340))
    d.text(rx, 330, "H heads", 12, fill=MUTED)
    d.box(rx - 95, 370, 170, 58, "hidden layers", sub="concat ‖ → (N, H·C)")
    d.box(rx + 95, 370, 170, 58, "output layer", sub="average → (N, C)")
    d.text(rx, 424, "W is shared by all nodes;", 12, fill=MUTED)
    d.text(rx, 442, "each head has its own W and a", 12, fill=MUTED)
    return _show(d)


def static_dynamic():
    """GAT's static attention against GATv2's dynamic attention (chapter 11; Brody et al. 2022).

    GAT scores e(h_i, h_j) = LeakyReLU(a₁ᵀ W h_i + a₂ᵀ W h_j): LeakyReLU is monotone,
    so every query i ranks the keys j in the same order (three queries, one order).
    GATv2 scores aᵀ LeakyReLU(W [h_i ‖ h_j]): the ranking can change with the query.
    Bars are the softmax weights over four keys; the top key of each query is orange.
    """
    d = _Svg(720, 430, "Static (GAT) against dynamic (GATv2) attention")
    key = [0.9, -0.4, 1.7, 0.3]  # a₂ᵀ W h_j for four keys
    query = [0.6, -1.2, 1.5]  # a₁ᵀ W h_i for three queries

    def softmax(row):
        m = max(row)
        e = [math.exp(v - m) for v in row]
        return [v / sum(e) for v in e]

    def lrelu(v):
        return v if v > 0 else 0.2 * v

    gat = [softmax([2 * lrelu(q + k) for k in key]) for q in query]
    # Dynamic: each query prefers a different key (illustrative scores).
    v2 = [softmax(r) for r in ([2.0, 0.2, 0.6, 0.1], [0.1, 0.4, 0.3, 2.1], [0.3, 1.9, 0.6, 0.2])]
    panels = [
        (10, "GAT: static", "e_{ij} = LeakyReLU(a_1ᵀ W h_i + a_2ᵀ W h_j)", gat,
         "same order for every query"),
        (370, "GATv2: dynamic", "e_{ij} = aᵀ LeakyReLU(W [h_i ‖ h_j])", v2,
         "the order changes with the query"),
    ]
    for x0, title, formula, rows, note in panels:
        d.rect(x0, 10, 340, 388, fill="#f9fafb", stroke=MUTED, rx=10)
        d.text(x0 + 170, 40, title, 16, weight="bold")
        d.text(x0 + 170, 66, formula, 13)
        for q, row in enumerate(rows):
            cx0, base = x0 + 22 + q * 106, 290
            d.text(cx0 + 48, 110, f"query i = {q + 1}", 13)
            d.path([(cx0, base), (cx0 + 96, base)], stroke=INK, sw=1)
            top = max(row)
            for j, a in enumerate(row):
                bx, h = cx0 + 6 + j * 22, 150 * a
                d.rect(bx, base - h, 18, h, fill=BAR_TOP if a == top else BAR, stroke="none", rx=2)
                d.text(bx + 9, base + 17, str(j + 1), 12, fill=MUTED)
            ranking = " > ".join(str(j + 1) for j in sorted(range(4), key=lambda j: -row[j]))
            d.text(cx0 + 48, 330, ranking, 12)
        d.text(x0 + 170, 356, "key j; bars: α_{ij}, the top key in orange", 12, fill=MUTED)
        d.text(x0 + 170, 382, note, 14, weight="bold")
    d.text(360, 420, "Brody, Alon & Yahav (2022), How attentive are graph attention networks?",
           12, fill=MUTED)
    return _show(d)
