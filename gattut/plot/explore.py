"""Interactive attention explorers: point at a word or a node, see where it attends.

Three figures, each a plotly figure wrapped in an :class:`Explorer`:

- :func:`explore_alignment` -- an encoder-decoder's weights ``alpha_{tj}``:
  hover a target token (a row), the source tokens light up by weight;
- :func:`explore_heads` -- self- or cross-attention of several heads, a
  dropdown picks the head, hover a query token;
- :func:`explore_graph_attention` -- a GAT's ``alpha_{ij}`` on a drawn graph:
  hover a node ``i``, its incoming edges ``j -> i`` are drawn by weight, per
  head, with the node's entropy ``H_i = -sum_j alpha_ij log alpha_ij``
  against the uniform ``log |N(i)|``.

What an explorer shows, and where:

- in the rendered book, the plotly figure; plotly.js comes from the book's
  own static files (``_config.yml`` loads it once per page), never from a CDN;
- in JupyterLab, Notebook 7 and VS Code, plotly's own renderer
  (``application/vnd.plotly.v1+json``, numbers in the hover labels);
- in Colab, the same HTML as the book, with plotly.js from plotly's CDN
  (Colab is online; the book never is);
- on paper (the PDF), and wherever plotly.js is missing, a static matplotlib
  picture of the same weights, carried inside the explorer's HTML.

Under the figure a read-out line lists the numbers of the row or node being
pointed at (three decimals), in elements ``span.gattut-w`` whose
``data-key`` and ``data-weight`` attributes a browser test reads back.

Shapes:
    explore_alignment:        weights (T, S), T target and S source tokens
    explore_heads:            weights (H, T, S) or (T, S)
    explore_graph_attention:  edge_index (2, E), alpha (E,) or (E, H),
                              positions (N, 2), N node labels
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import sys
import uuid
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["Explorer", "explore_alignment", "explore_heads", "explore_graph_attention"]

#: Digits of every weight the explorers display.
DIGITS = 3
#: Largest JSON an explorer may embed (the figure and its read-out data), in bytes.
MAX_DATA_BYTES = 500_000
#: plotly.js as the book serves it (see tools/copy_plotlyjs.py and _config.yml).
PLOTLYJS_STATIC = "plotly/plotly.min.js"

# The behaviour shared by every explorer, defined once per page (the first explorer
# defines it; later ones find it). Kept small: plotly does the drawing, this only
# answers a hover or a click by restyling traces and writing the read-out line.
_SCRIPT = r"""
window.gattutExplorer = window.gattutExplorer || (function () {
  const fmt = (w, d) => Number(w).toFixed(d);
  const span = (key, w, d) => '<span class="gattut-w" data-key="' + key.replace(/"/g, '&quot;')
    + '" data-weight="' + fmt(w, d) + '">' + key.replace(/</g, '&lt;') + ' <b>' + fmt(w, d)
    + '</b></span>';
  function rows(gd, spec, readout, point) {
    // A point on the heatmap (its row) or on the target-token column.
    const heat = gd.data[spec.heat];
    const t = point.curveNumber === spec.heat ? Math.round(point.y) : point.pointNumber;
    if (!(t >= 0 && t < heat.z.length)) return;
    const row = heat.z[t];
    Plotly.restyle(gd, {'marker.color': [row], 'customdata': [row]}, [spec.strip]);
    Plotly.relayout(gd, {'shapes[0].y0': t - 0.5, 'shapes[0].y1': t + 0.5,
                         'shapes[0].visible': true});
    const head = spec.heads > 1 ? ' (head ' + (gd.layout.updatemenus[0].active || 0) + ')' : '';
    readout.dataset.row = t;
    readout.innerHTML = '<span class="gattut-q">' + spec.query_label + ' '
      + spec.targets[t].replace(/</g, '&lt;') + head + ' attends to:</span> '
      + spec.sources.map((s, j) => span(s, row[j], spec.digits)).join(' ');
  }
  function graph(gd, spec, readout, point) {
    if (point.curveNumber !== spec.nodes) return;
    const i = point.pointNumber, h = (gd.layout.updatemenus || [{}])[0].active || 0;
    const into = spec.into[i], x = gd.data[spec.nodes].x, y = gd.data[spec.nodes].y;
    const update = {x: [], y: [], 'line.width': [], visible: []}, traces = [];
    for (let k = 0; k < spec.slots; k++) {
      const e = into[k];
      traces.push(spec.first + k);
      if (e === undefined) {
        update.x.push([]); update.y.push([]); update['line.width'].push(1);
        update.visible.push(false);
        continue;
      }
      const j = spec.src[e], a = spec.alpha[e][h];
      update.x.push([x[j], x[i]]); update.y.push([y[j], y[i]]);
      update['line.width'].push(1 + 14 * a); update.visible.push(true);
    }
    Plotly.restyle(gd, update, traces);
    const total = into.reduce((s, e) => s + spec.alpha[e][h], 0);
    let line = '<span class="gattut-q">node ' + spec.labels[i] + ', head ' + h + ': ';
    if (Math.abs(total - 1) < 1e-3) {
      line += 'entropy ' + fmt(spec.entropy[i][h], spec.digits) + ' nats, uniform log '
        + into.length + ' = ' + fmt(Math.log(into.length), spec.digits) + '.';
    } else {
      line += 'weights shown sum to ' + fmt(total, spec.digits)
        + ' (its other neighbours are outside the picture).';
    }
    readout.dataset.row = i;
    readout.innerHTML = line + ' Incoming:</span> '
      + into.map(e => span(spec.labels[spec.src[e]], spec.alpha[e][h], spec.digits)).join(' ');
  }
  return function (id) {
    const root = document.getElementById(id);
    if (!root || root.dataset.started) return;
    const spec = JSON.parse(document.getElementById(id + '-spec').textContent);
    const gd = root.querySelector('.gattut-explorer-plot');
    const readout = root.querySelector('.gattut-explorer-readout');
    root.dataset.started = '1';
    // Shown before plotly draws: a hidden box has no width, and plotly would fall
    // back to 700 px (cut on a phone) instead of fitting the column.
    root.classList.add('gattut-explorer-on');
    Plotly.newPlot(gd, spec.figure.data, spec.figure.layout, spec.config).then(() => {
      const react = ev => ev && ev.points && ev.points.length
        && (spec.kind === 'graph' ? graph : rows)(gd, spec, readout, ev.points[0]);
      gd.on('plotly_hover', react);
      gd.on('plotly_click', react);
      gd.on('plotly_buttonclicked', () => {
        readout.innerHTML = 'Point at a ' + (spec.kind === 'graph' ? 'node' : 'token') + '.';
      });
      root.classList.add('gattut-explorer-live');
    });
  };
})();
"""

_STYLE = """<style>
.gattut-explorer { margin: 0.5em 0 1em; max-width: 100%; }
.gattut-explorer-plot { width: 100%; }
.gattut-explorer-on .gattut-explorer-static { display: none; }
.gattut-explorer:not(.gattut-explorer-on) .gattut-explorer-plot,
.gattut-explorer:not(.gattut-explorer-on) .gattut-explorer-readout { display: none; }
.gattut-explorer-static { max-width: 100%; height: auto; }
.gattut-explorer-readout { font-size: 0.85em; line-height: 1.6; min-height: 1.6em;
  overflow-wrap: anywhere; }
.gattut-explorer-readout .gattut-w { white-space: nowrap; margin-right: 0.4em; }
.gattut-explorer-readout .gattut-w[data-weight^="0.00"] { opacity: 0.5; }
@media print {
  .gattut-explorer .gattut-explorer-plot, .gattut-explorer .gattut-explorer-readout {
    display: none !important; }
  .gattut-explorer .gattut-explorer-static { display: block !important; }
}
</style>"""


def _numpy(x, name: str) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from error


def _check_weights(w: np.ndarray, name: str) -> None:
    if not np.isfinite(w).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    if w.size and (w.min() < -1e-6 or w.max() > 1 + 1e-6):
        raise ValueError(
            f"{name} must be attention weights in [0, 1], got values in "
            f"[{w.min():.3g}, {w.max():.3g}]"
        )


def _tokens(tokens, name: str) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"{name} must be a list of strings, got {type(tokens).__name__}")
    # A space is a real token of a character model: show it as a visible box.
    return [("\u2423" if str(t) == " " else str(t)) for t in tokens]


def _plotly():
    try:
        import plotly.graph_objects as go
    except ImportError as error:  # pragma: no cover - plotly is in the book and test sets
        raise ImportError("the explorers need plotly: pip install 'gattut[interactive]'") from error
    return go


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, facecolor="white")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _static_figure(width: float, height: float):
    """A matplotlib Figure outside pyplot, so the inline backend never shows it twice."""
    from matplotlib.figure import Figure

    return Figure(figsize=(min(width, 7.5), height), facecolor="white")


class Explorer:
    """An interactive figure: plotly in a browser, a static picture on paper.

    Attributes:
        figure: the plotly ``Figure`` (change it before display if you like).
        spec: the numbers the page's script reads (tokens, weights, edges).
        png: the static fallback, a base64 PNG drawn with matplotlib.
    """

    def __init__(self, figure, spec: dict, png: str, title: str):
        self.figure = figure
        self.spec = spec
        self.png = png
        self.title = title
        # Unique across chapters: the single-page book (the PDF) holds them all.
        self.id = f"gattut-explorer-{uuid.uuid4().hex[:12]}"

    def data_json(self) -> str:
        """The JSON the page embeds for this explorer (figure, read-out data)."""
        spec = {**self.spec, "figure": self.figure.to_plotly_json(),
                # Nothing to zoom or export: no mode bar over the tokens.
                "config": {"responsive": True, "displayModeBar": False}}  # fmt: skip
        text = json.dumps(spec, separators=(",", ":"), cls=_Encoder)
        if len(text) > MAX_DATA_BYTES:
            raise ValueError(
                f"the explorer's data is {len(text):,} bytes, more than {MAX_DATA_BYTES:,}: "
                "show fewer tokens or nodes"
            )
        # Inside <script type="application/json">, only "</" could end the element early.
        return text.replace("</", "<\\/")

    def to_html(self, plotlyjs: str | None = None) -> str:
        """The explorer as an HTML fragment: plot, read-out line, static picture, script.

        ``plotlyjs`` is a ``<script>`` tag that loads plotly.js, for pages that do not
        load it themselves (Colab); the book loads it once per page and passes none.
        """
        alt = html.escape(f"{self.title} (static picture of the interactive explorer)")
        start = f"window.gattutExplorer({json.dumps(self.id)})"
        return (
            f'{_STYLE}{plotlyjs or ""}<div class="gattut-explorer" id="{self.id}">'
            # An explicit height: a responsive plotly figure fills its box's height.
            f'<div class="gattut-explorer-plot" style="height: {self.figure.layout.height}px">'
            "</div>"
            f'<div class="gattut-explorer-readout" aria-live="polite">Point at a '
            f"{'node' if self.spec['kind'] == 'graph' else 'token'}.</div>"
            f'<img class="gattut-explorer-static" alt="{alt}" '
            f'src="data:image/png;base64,{self.png}"/>'
            f'<script type="application/json" id="{self.id}-spec">{self.data_json()}</script>'
            f"<script>{_SCRIPT}\n(function () {{\n"
            f"  const go = () => window.Plotly && {start};\n"
            # plotly.js may still be loading (Colab's script tag): look again for 10 s.
            "  if (window.Plotly) { go(); return; }\n"
            "  let tries = 0;\n"
            "  const wait = setInterval(() => {\n"
            "    if (window.Plotly || ++tries > 100) { clearInterval(wait); go(); }\n"
            "  }, 100);\n"
            "})();</script></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        colab = "google.colab" in sys.modules
        plotlyjs = None
        if colab:  # Colab draws each output in its own frame, without plotly.js
            from plotly.offline import get_plotlyjs_version

            version = get_plotlyjs_version()
            plotlyjs = f'<script src="https://cdn.plot.ly/plotly-{version}.min.js"></script>'

        bundle = {
            "text/html": self.to_html(plotlyjs),
            # The static picture as its own image too: tools that keep only images
            # (nbconvert to PDF, a figure count of the executed notebook) still see it.
            "image/png": self.png,
            "text/plain": f"<Explorer: {self.title}>",
        }
        if not colab:
            bundle["application/vnd.plotly.v1+json"] = self.figure.to_plotly_json()
        return bundle

    def __repr__(self) -> str:
        return f"<Explorer: {self.title}>"


class _Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        return super().default(o)


def _round(w: np.ndarray) -> list:
    """Weights as the page stores them: enough digits that display rounding is exact."""
    return np.round(w, DIGITS + 3).tolist()


def _rows_figure(go, weights: np.ndarray, sources: list[str], targets: list[str],
                 title: str, head_names: list[str] | None, query_label: str):  # fmt: skip
    """Heatmap of one (T, S) matrix per head, a strip of source tokens above it that
    lights up with the hovered row, and a column of target tokens to hover."""
    H, T, S = weights.shape
    cell = 22 if S <= 30 else 15
    height = int(140 + cell * T + (40 if H > 1 else 0))
    heat = go.Heatmap(
        z=_round(weights[0]), x=list(range(S)), y=list(range(T)),
        colorscale="Reds", zmin=0, zmax=1, showscale=False, xgap=1, ygap=1,
        customdata=[[[targets[t], sources[j]] for j in range(S)] for t in range(T)],
        hovertemplate="%{customdata[0]} \u2192 %{customdata[1]}: %{z:.3f}<extra></extra>",
        xaxis="x", yaxis="y",
    )  # fmt: skip
    strip = go.Scatter(
        x=list(range(S)), y=[0] * S, mode="markers+text", text=sources,
        textposition="middle center", textfont={"size": 11},
        # White to a light red: the token stays readable on its box at any weight.
        marker={"symbol": "square", "size": cell, "color": [0.0] * S,
                "colorscale": [[0, "#ffffff"], [1, "#f7845e"]],
                "cmin": 0, "cmax": 1, "line": {"width": 1, "color": "#999"}},
        customdata=[0.0] * S, hovertemplate="%{text}: %{customdata:.3f}<extra></extra>",
        xaxis="x", yaxis="y2", name="sources",
    )  # fmt: skip
    column = go.Scatter(
        x=[0] * T, y=list(range(T)), mode="markers+text", text=targets,
        textposition="middle center", textfont={"size": 11},
        marker={"symbol": "square", "size": cell, "color": "rgba(0,0,0,0.04)"},
        hovertemplate=f"{query_label} %{{text}}<extra></extra>", xaxis="x2", yaxis="y",
        name="targets",
    )  # fmt: skip
    strip_height = min(0.9, (cell + 14) / (height - 60))
    layout = go.Layout(
        title={"text": title, "font": {"size": 13}, "x": 0.02},
        # autosize: as wide as the page's column (plotly.js would draw 700 px and a
        # phone would cut it); the height is fixed.
        autosize=True, height=height,
        margin={"l": 8, "r": 8, "t": 40 + (30 if H > 1 else 0), "b": 8},
        xaxis={"domain": [0.12, 1], "showticklabels": False, "range": [-0.5, S - 0.5],
               "fixedrange": True, "showgrid": False, "zeroline": False},
        xaxis2={"domain": [0, 0.1], "showticklabels": False, "range": [-0.5, 0.5],
                "fixedrange": True, "showgrid": False, "zeroline": False},
        yaxis={"domain": [0, 1 - strip_height - 0.02], "autorange": "reversed",
               "showticklabels": False, "fixedrange": True, "showgrid": False,
               "zeroline": False},
        yaxis2={"domain": [1 - strip_height, 1], "showticklabels": False, "range": [-0.5, 0.5],
                "fixedrange": True, "showgrid": False, "zeroline": False},
        shapes=[{"type": "rect", "xref": "x", "yref": "y", "x0": -0.5, "x1": S - 0.5,
                 "y0": -0.5, "y1": 0.5, "line": {"color": "#1f77b4", "width": 2},
                 "visible": False}],
        hovermode="closest", plot_bgcolor="white", paper_bgcolor="white", showlegend=False,
    )  # fmt: skip
    if H > 1:
        layout.updatemenus = [{
            "buttons": [{"label": name, "method": "restyle",
                         "args": [{"z": [_round(weights[h])]}, [0]]}
                        for h, name in enumerate(head_names)],
            "direction": "down", "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom",
            "pad": {"b": 4}, "active": 0, "showactive": True,
        }]  # fmt: skip
    return go.Figure([heat, strip, column], layout)


def _static_rows(weights: np.ndarray, sources, targets, title: str, head_names) -> str:
    from gattut.plot.core import heatmap

    H, T, S = weights.shape
    cols = min(H, 4)
    rows = math.ceil(H / cols)
    width = min(7.5, 1.2 + (0.3 if S <= 20 else 0.14) * S * cols)
    fig = _static_figure(max(width, 3.5), min(9.0, max(2.2, rows * (1.0 + 0.26 * T))))
    axes = fig.subplots(rows, cols, squeeze=False)
    for h, ax in enumerate(axes.flat):
        if h >= H:
            ax.set_axis_off()
            continue
        heatmap(weights[h], ax=ax, xlabels=sources, ylabels=targets if h % cols == 0 else None,
                xlabel="", ylabel="", colorbar=False, vmin=0.0, vmax=1.0,
                title=head_names[h] if H > 1 else None)  # fmt: skip
        ax.tick_params(axis="x", labelsize=7 if S > 20 else 9, rotation=90)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _png(fig)


def explore_alignment(weights, source_tokens, target_tokens, *, title: str = "Alignment"):
    """Hover a target token: the source tokens light up by their weight.

    ``weights[t, j]`` is ``alpha_{tj}``, the weight output step ``t`` puts on
    source position ``j`` (each row sums to one, ``sum_j alpha_tj = 1``), as
    ``gattut.seq2seq.translate`` returns it.

    Shapes:
        weights: (T, S); source_tokens: S strings; target_tokens: T strings.

    Returns:
        An :class:`Explorer` (a notebook shows it; ``.figure`` is the plotly figure).
    """
    w = _numpy(weights, "weights")
    sources = _tokens(source_tokens, "source_tokens")
    targets = _tokens(target_tokens, "target_tokens")
    if w.ndim != 2:
        raise ValueError(f"weights must have shape (T, S), got shape {w.shape}")
    if w.shape != (len(targets), len(sources)):
        raise ValueError(
            f"weights has shape {w.shape} but there are {len(targets)} target and "
            f"{len(sources)} source tokens: expected ({len(targets)}, {len(sources)})"
        )
    _check_weights(w, "weights")
    return _rows_explorer(w[None], sources, targets, title, None, "target")


def explore_heads(weights, tokens, key_tokens=None, *, title: str = "Attention heads",
                  head_names: Sequence[str] | None = None, query_label: str = "query"):  # fmt: skip
    """Pick a head in the dropdown, hover a query token: its keys light up by weight.

    ``weights[h, t, s]`` is head ``h``'s weight of query ``t`` on key ``s``,
    ``softmax_s(q_t k_s^T / sqrt(Dh))``, as ``MultiHeadAttention`` returns it
    for one example. For self-attention the keys are the query tokens
    (``key_tokens=None``); for cross-attention pass the source tokens.

    Shapes:
        weights: (H, T, S) or (T, S); tokens: T strings; key_tokens: S strings.
    """
    w = _numpy(weights, "weights")
    queries = _tokens(tokens, "tokens")
    keys = queries if key_tokens is None else _tokens(key_tokens, "key_tokens")
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3:
        raise ValueError(f"weights must have shape (H, T, S) or (T, S), got shape {w.shape}")
    if w.shape[1:] != (len(queries), len(keys)):
        raise ValueError(
            f"weights has shape {w.shape} but there are {len(queries)} query and "
            f"{len(keys)} key tokens: expected (H, {len(queries)}, {len(keys)})"
        )
    _check_weights(w, "weights")
    names = [f"head {h}" for h in range(w.shape[0])] if head_names is None else list(head_names)
    if len(names) != w.shape[0]:
        raise ValueError(f"{len(names)} head_names for {w.shape[0]} heads")
    return _rows_explorer(w, keys, queries, title, names, query_label)


def _rows_explorer(w, sources, targets, title, head_names, query_label) -> Explorer:
    go = _plotly()
    H, T, S = w.shape
    figure = _rows_figure(go, w, sources, targets, title, head_names, query_label)
    spec = {"kind": "rows", "heat": 0, "strip": 1, "heads": H, "sources": sources,
            "targets": targets, "digits": DIGITS, "query_label": query_label}  # fmt: skip
    return Explorer(figure, spec, _static_rows(w, sources, targets, title, head_names), title)


def _entropy(alpha: np.ndarray, target: np.ndarray, N: int) -> np.ndarray:
    """H_i = -sum_{j -> i} alpha_ij log alpha_ij per node and head; (E, H) -> (N, H)."""
    terms = alpha * np.log(np.clip(alpha, 1e-30, None))  # 0 log 0 = 0
    out = np.zeros((N, alpha.shape[1]))
    np.add.at(out, target, -terms)
    return out


def explore_graph_attention(edge_index, alpha, node_labels, positions, *,
                            node_colors=None, title: str = "Graph attention"):  # fmt: skip
    """Hover (or click) a node i: its incoming edges j -> i are drawn by alpha_ij.

    A dropdown picks the head. The read-out gives the node's attention entropy
    ``H_i = -sum_j alpha_ij log alpha_ij`` against the uniform ``log |N(i)|``
    when all of ``i``'s incoming edges are in ``edge_index`` (its weights sum
    to one), or the sum of the weights drawn when some come from outside.

    Shapes:
        edge_index: (2, E), row 0 the source j, row 1 the target i;
        alpha: (E,) or (E, H); node_labels: N strings; positions: (N, 2)
        (or a mapping node -> (x, y), as ``gattut.plot.graph.layout`` returns);
        node_colors: N class ids (optional).
    """
    go = _plotly()
    edges = _numpy(edge_index, "edge_index")
    a = _numpy(alpha, "alpha")
    labels = [str(n) for n in node_labels]
    N = len(labels)
    if isinstance(positions, Mapping):
        missing = [n for n in range(N) if n not in positions]
        if missing:
            raise ValueError(f"positions has no entry for nodes {missing[:5]}")
        positions = [positions[n] for n in range(N)]
    pos = _numpy(positions, "positions")
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got shape {edges.shape}")
    if not np.array_equal(edges, np.round(edges)):
        raise TypeError("edge_index must hold integer node ids")
    edges = edges.astype(np.int64)
    E = edges.shape[1]
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != E:
        raise ValueError(f"alpha must have shape (E,) or (E, H) with E = {E}, got {a.shape}")
    _check_weights(a, "alpha")
    if pos.shape != (N, 2):
        raise ValueError(f"positions must have shape (N, 2) = ({N}, 2), got {pos.shape}")
    if E and (edges.min() < 0 or edges.max() >= N):
        raise ValueError(
            f"edge_index refers to nodes {edges.min()}..{edges.max()}, "
            f"but there are {N} node labels"
        )
    colors = None if node_colors is None else _numpy(node_colors, "node_colors")
    if colors is not None and colors.shape != (N,):
        raise ValueError(f"node_colors must have shape (N,) = ({N},), got {colors.shape}")
    H = a.shape[1]
    src, dst = edges
    into = [np.nonzero(dst == i)[0].tolist() for i in range(N)]
    slots = max((len(e) for e in into), default=0)
    entropy = _entropy(a, dst, N)
    figure = _graph_figure(go, pos, src, dst, labels, colors, into, slots, H, title)
    spec = {"kind": "graph", "nodes": 1, "first": 2, "slots": slots, "src": src.tolist(),
            "into": into, "alpha": _round(a), "entropy": _round(entropy), "labels": labels,
            "digits": DIGITS}  # fmt: skip
    png = _static_graph(pos, src, dst, labels, colors, a[:, 0], title)
    return Explorer(figure, spec, png, title)


def _class_colors(colors) -> list[str] | str:
    """One colour a class (matplotlib's tab10, as the static picture uses)."""
    if colors is None:
        return "#9ecae1"
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    tab10 = colormaps["tab10"]
    return [to_hex(tab10(int(c) % 10)) for c in colors]


def _graph_figure(go, pos, src, dst, labels, colors, into, slots, H, title):
    xs, ys = [], []
    for j, i in zip(src, dst):
        if j != i:
            xs += [pos[j, 0], pos[i, 0], None]
            ys += [pos[j, 1], pos[i, 1], None]
    base = go.Scatter(x=xs, y=ys, mode="lines", line={"width": 0.6, "color": "#cccccc"},
                      hoverinfo="skip")  # fmt: skip
    degree = [len(e) for e in into]
    nodes = go.Scatter(
        x=pos[:, 0].tolist(), y=pos[:, 1].tolist(), mode="markers+text", text=labels,
        textposition="top center", textfont={"size": 9},
        marker={"size": 13, "line": {"width": 1, "color": "#333"}, "color": _class_colors(colors)},
        customdata=degree,
        hovertemplate="node %{text}: %{customdata} incoming edges<extra></extra>",
    )  # fmt: skip
    highlight = [
        go.Scatter(x=[], y=[], mode="lines", line={"width": 1, "color": "rgba(214,39,40,0.75)"},
                   hoverinfo="skip", visible=False)
        for _ in range(slots)
    ]  # fmt: skip
    layout = go.Layout(
        title={"text": title, "font": {"size": 13}, "x": 0.02}, autosize=True, height=460,
        margin={"l": 8, "r": 8, "t": 40 + (30 if H > 1 else 0), "b": 8},
        xaxis={"visible": False, "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True, "scaleanchor": "x"},
        hovermode="closest", plot_bgcolor="white", paper_bgcolor="white", showlegend=False,
    )  # fmt: skip
    if H > 1:
        layout.updatemenus = [{
            "buttons": [{"label": f"head {h}", "method": "skip", "args": []}
                        for h in range(H)],
            "direction": "down", "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom",
            "pad": {"b": 4}, "active": 0, "showactive": True,
        }]  # fmt: skip
    # The highlights skip hover, so a node under an edge still answers the pointer.
    return go.Figure([base, nodes, *highlight], layout)


def _static_graph(pos, src, dst, labels, colors, alpha0, title) -> str:
    fig = _static_figure(6.0, 4.6)
    ax = fig.subplots()
    for j, i, a in zip(src, dst, alpha0):
        if j != i:
            ax.plot([pos[j, 0], pos[i, 0]], [pos[j, 1], pos[i, 1]], color="#c44e52",
                    linewidth=0.4 + 4 * a, alpha=0.6, zorder=1)  # fmt: skip
    ax.scatter(pos[:, 0], pos[:, 1], s=60, c=_class_colors(colors), edgecolors="#333",
               linewidths=0.8, zorder=2)  # fmt: skip
    for (x, y), label in zip(pos, labels):
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                    fontsize=7)  # fmt: skip
    ax.set_title(f"{title} (head 0, width \u221d \u03b1)", fontsize=10)
    ax.set_axis_off()
    fig.tight_layout()
    return _png(fig)
