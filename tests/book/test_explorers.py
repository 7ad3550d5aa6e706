"""The attention explorers in a real browser: a real pointer, the numbers the page shows.

Playwright drives Debian's Chromium (the same launch and server as
``test_browser.py``). The pointer moves over a token and over a node with
``page.mouse.move``; the test then reads what the page shows (the read-out
line under the figure, ``span.gattut-w``, and plotly's hover label) and
compares it with the package's attention weights for that row, to the three
decimals shown. Every request is routed: one to a host other than 127.0.0.1
fails the test. plotly.js must load exactly once per page, and each
explorer's data must stay under 500 KB.

A hand-made page (the explorers' own HTML, fed with weights from
``MultiHeadAttention``, ``masked_softmax`` and ``GATConv``) runs whether or
not the book is built; the built chapters are checked when ``_build/html``
exists. ``test_pointer_check_can_fail`` runs the same check on a page whose
explorer lost its hover handler and on a page with only the static picture,
and sees it fail.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from urllib.parse import urlparse

import pytest
import torch
from test_browser import HTML, _missing, _QuietHandler, browser, site  # noqa: F401

plotly_offline = pytest.importorskip("plotly.offline")

from gattut.attention import MultiHeadAttention, masked_softmax  # noqa: E402
from gattut.graph import GATConv  # noqa: E402
from gattut.plot.explore import (  # noqa: E402
    DIGITS,
    MAX_DATA_BYTES,
    PLOTLYJS_STATIC,
    explore_alignment,
    explore_graph_attention,
    explore_heads,
)

# The chapters with explorers, and how many each shows.
CHAPTERS = {"04_bahdanau_luong": 2, "06_multi_head": 2, "08_transformer": 2, "12_reading_attention": 1}

# The centre of point ``i`` of trace ``k`` of an explorer, in page coordinates.
_POINT_JS = """([id, k, i]) => {
    const gd = document.querySelector('#' + id + ' .gattut-explorer-plot');
    if (!gd || !gd._fullData) return null;
    const pt = gd.querySelectorAll('.trace' + gd._fullData[k].uid + ' .point')[i];
    if (!pt) return null;
    pt.scrollIntoView({block: 'center'});
    const r = pt.getBoundingClientRect();
    return [r.x + r.width / 2, r.y + r.height / 2];
}"""

_SHOWN_JS = """(id) => {
    const root = document.getElementById(id);
    const hover = root.querySelector('.hoverlayer');
    return {
        weights: [...root.querySelectorAll('.gattut-explorer-readout .gattut-w')]
            .map(s => [s.dataset.key, Number(s.dataset.weight), s.textContent]),
        hover: hover ? hover.textContent : '',
        live: root.classList.contains('gattut-explorer-live'),
    };
}"""


def _route_offline(page) -> list[str]:
    """Abort every request that is not for 127.0.0.1 and record it."""
    outside: list[str] = []

    def handle(route):
        url = urlparse(route.request.url)
        if url.scheme in {"data", "blob", "about"} or url.hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return outside


def _explorer_ids(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('.gattut-explorer')].map(e => e.id)")


def _spec(page, explorer_id: str) -> dict:
    return page.evaluate(
        "(id) => JSON.parse(document.getElementById(id + '-spec').textContent)", explorer_id
    )


def _point_at(page, explorer_id: str, trace: int, index: int) -> str | None:
    """Move the real pointer onto a point; None when the point is not on the page."""
    page.mouse.move(1, 1)  # leave any point first, so a new hover event fires
    at = page.evaluate(_POINT_JS, [explorer_id, trace, index])
    if at is None:
        return None
    page.mouse.move(at[0], at[1], steps=4)
    page.wait_for_timeout(150)
    return "moved"


def _pick_head(page, explorer_id: str, head: int) -> None:
    root = page.locator(f"#{explorer_id}")
    if root.locator(".updatemenu-header").count() == 0:
        return  # no figure drawn: the pointer check reports it
    root.locator(".updatemenu-header").click()
    root.locator(".updatemenu-dropdown-button").nth(head).click()
    page.wait_for_timeout(150)


def pointer_problems(page, explorer_id: str, row: int, expected: list[tuple[str, float]],
                     hover_text: str) -> list[str]:  # fmt: skip
    """Point at row ``row`` (a target token, or node) of an explorer and compare the
    read-out with ``expected`` (key, weight) pairs to the displayed precision."""
    spec = _spec(page, explorer_id)
    trace = spec["nodes"] if spec["kind"] == "graph" else 2  # the node or token column
    if _point_at(page, explorer_id, trace, row) is None:
        return [f"{explorer_id}: no point {row} to move the pointer to"]
    shown = page.evaluate(_SHOWN_JS, explorer_id)
    if not shown["live"]:
        return [f"{explorer_id}: the interactive figure never started (no plotly.js?)"]
    if not shown["weights"]:
        return [f"{explorer_id}: the pointer is on row {row} but the read-out shows no weights"]
    problems = []
    got = [(key, weight) for key, weight, _ in shown["weights"]]
    want = [(key, round(weight, DIGITS)) for key, weight in expected]
    if [k for k, _ in got] != [k for k, _ in want]:
        problems.append(f"{explorer_id} row {row}: keys {[k for k, _ in got]}, expected {want}")
    for (key, weight), (_, target) in zip(got, want):
        if abs(weight - target) > 0.5 * 10**-DIGITS + 1e-9:
            problems.append(f"{explorer_id} row {row}: {key} shows {weight}, expected {target}")
    for _, weight, text in shown["weights"]:
        if f"{weight:.{DIGITS}f}" not in text:
            problems.append(f"{explorer_id}: the read-out text {text!r} lacks {weight}")
    if hover_text not in shown["hover"]:
        problems.append(f"{explorer_id}: hover label {shown['hover']!r} lacks {hover_text!r}")
    return problems


# A hand-made page: three explorers fed by the package's layers.


def _display(token: str) -> str:
    return "\u2423" if token == " " else token


def _package_weights():
    torch.manual_seed(0)
    source, target = list("3 march 2015"), list("2015-03")
    scores = torch.randn(len(target), len(source))  # (T, S)
    alignment = masked_softmax(scores, torch.ones(len(target), len(source), dtype=torch.bool))
    words = "the cat sat on the mat".split()
    layer = MultiHeadAttention(12, 4).eval()
    with torch.no_grad():
        x = torch.randn(1, len(words), 12)  # (B, T, D)
        _, heads = layer(x, x, x)  # (B, H, T, T)
    edge_index = torch.tensor([[1, 2, 3, 4, 0, 2], [0, 0, 0, 1, 1, 3]])
    conv = GATConv(5, 3, heads=2).eval()
    with torch.no_grad():
        _, (edges, alpha) = conv(torch.randn(5, 5), edge_index, return_attention=True)
    return {
        "alignment": (alignment, source, target),
        "heads": (heads[0], words),
        "graph": (edges, alpha, ["A", "B", "C", "D", "E"]),
    }


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The hand-made page, served on 127.0.0.1 with plotly.js beside it."""
    folder = tmp_path_factory.mktemp("explorers")
    (folder / "plotly.min.js").write_text(plotly_offline.get_plotlyjs(), encoding="utf-8")
    weights = _package_weights()
    edges, alpha, labels = weights["graph"]
    positions = [[0.0, 0.0], [1.0, 0.2], [-0.8, 0.9], [0.3, -1.0], [1.6, -0.7]]
    explorers = [
        explore_alignment(*weights["alignment"], title="a date"),
        explore_heads(*weights["heads"], title="four heads"),
        explore_graph_attention(edges, alpha, labels, positions, title="a graph"),
    ]
    body = "".join(e.to_html() for e in explorers)
    head = '<script src="plotly.min.js"></script>'
    wide = explore_heads(*weights["heads"], title="four heads")
    wide.figure.update_layout(autosize=False, width=1400)  # wider than any window here
    pages = {
        "page.html": f"<html><head>{head}</head><body>{body}</body></html>",
        # An explorer drawn wider than its column: cut on the right.
        "wide.html": f"<html><head>{head}</head><body>{wide.to_html()}</body></html>",
        # The same page whose explorers never answer the pointer.
        "deaf.html": f"<html><head>{head}</head><body>"
        + re.sub(r"gd\.on\('plotly_(hover|click)', react\);", "", body)
        + "</body></html>",
        # Only the static picture: no plotly.js at all.
        "static.html": f"<html><body>{body}</body></html>",
    }
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", weights
    server.shutdown()
    server.server_close()


def _open(browser, url: str):  # noqa: F811
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.set_default_timeout(10_000)
    outside = _route_offline(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    return page, outside, errors


def _toy_problems(page, weights) -> list[str]:
    ids = _explorer_ids(page)
    if len(ids) != 3:
        return [f"{len(ids)} explorers on the page, expected 3"]
    problems = []
    alignment, source, target = weights["alignment"]
    for t in (4, 0):  # two rows: a read-out stuck on one row cannot pass
        expected = [(_display(s), float(w)) for s, w in zip(source, alignment[t])]
        problems += pointer_problems(page, ids[0], t, expected, hover_text=f"target {target[t]}")
    heads, words = weights["heads"]
    for head, t in ((0, 1), (2, 1), (3, 5)):
        if head:
            _pick_head(page, ids[1], head)
        expected = [(w, float(a)) for w, a in zip(words, heads[head, t])]
        problems += pointer_problems(page, ids[1], t, expected, hover_text=f"query {words[t]}")
    edges, alpha, labels = weights["graph"]
    for head, node in ((0, 0), (1, 1)):
        if head:
            _pick_head(page, ids[2], head)
        into = (edges[1] == node).nonzero().flatten().tolist()
        expected = [(labels[int(edges[0, e])], float(alpha[e, head])) for e in into]
        problems += pointer_problems(
            page, ids[2], node, expected, hover_text=f"node {labels[node]}"
        )
    return problems


# Explorers whose drawing is wider than their box: plotly clips it, so the right of the
# figure (the last tokens, the head menu) is cut, which no page-overflow check sees.
_CUT_JS = """() => [...document.querySelectorAll('.gattut-explorer')].filter(root => {
    const svg = root.querySelector('svg.main-svg');
    const box = root.querySelector('.gattut-explorer-plot');
    return svg && box && svg.getBoundingClientRect().width > box.clientWidth + 1;
}).map(root => root.id)"""


def _cut_explorers(page) -> list[str]:
    return page.evaluate(_CUT_JS)


@pytest.mark.parametrize("width", [1000, 390])
def test_explorers_fit_their_column(browser, toy, width):  # noqa: F811
    url, _ = toy
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}/page.html", wait_until="load")
    page.wait_for_function("document.querySelectorAll('.gattut-explorer-live').length === 3")
    cut = _cut_explorers(page)
    page.close()
    assert cut == []


def test_fit_check_can_fail(browser, toy):  # noqa: F811
    url, _ = toy
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(f"{url}/wide.html", wait_until="load")
    page.wait_for_selector(".gattut-explorer-live", timeout=30_000)
    cut = _cut_explorers(page)
    page.close()
    assert len(cut) == 1


def test_pointer_reads_the_package_weights(browser, toy):  # noqa: F811
    url, weights = toy
    page, outside, errors = _open(browser, f"{url}/page.html")
    page.wait_for_selector(".gattut-explorer-live", timeout=30_000)
    problems = _toy_problems(page, weights)
    page.close()
    assert problems == []
    assert errors == [] and outside == []


def test_pointer_check_can_fail(browser, toy):  # noqa: F811
    url, weights = toy
    for name in ("deaf.html", "static.html"):
        page, _, _ = _open(browser, f"{url}/{name}")
        if name == "deaf.html":
            page.wait_for_selector(".gattut-explorer-live", timeout=30_000)
        ids = _explorer_ids(page)
        problems = _toy_problems(page, weights)
        page.close()
        # Every explorer is caught, each on every row it was asked about.
        for explorer_id in ids:
            caught = [p for p in problems if p.startswith(explorer_id)]
            assert caught, f"{name}: the check passed on {explorer_id}, which cannot answer"
        assert len(problems) >= 7, problems


def test_graph_edges_drawn_by_weight(browser, toy):  # noqa: F811
    """Pointing at a node draws its incoming edges, wider for a larger alpha."""
    url, weights = toy
    page, _, _ = _open(browser, f"{url}/page.html")
    page.wait_for_selector(".gattut-explorer-live", timeout=30_000)
    graph = _explorer_ids(page)[2]
    _point_at(page, graph, _spec(page, graph)["nodes"], 0)
    drawn = page.evaluate(
        """(id) => {
            const gd = document.querySelector('#' + id + ' .gattut-explorer-plot');
            return gd.data.filter(t => t.visible === true).map(t => t.line.width);
        }""",
        graph,
    )
    page.close()
    edges, alpha, _ = weights["graph"]
    into = (edges[1] == 0).nonzero().flatten()
    expected = sorted(1 + 14 * float(alpha[e, 0]) for e in into)
    assert sorted(drawn) == pytest.approx(expected, abs=1e-3)


# The built book: the chapters' own explorers.


@pytest.mark.parametrize("name", sorted(CHAPTERS))
def test_chapter_explorers(browser, site, name):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside = _route_offline(page)
    plotly_requests: list[str] = []
    page.on("request", lambda r: "plotly" in r.url and plotly_requests.append(r.url))
    response = page.goto(f"{site}/notebooks/{name}.html", wait_until="load")
    assert response is not None and response.ok
    ids = _explorer_ids(page)
    if not ids:
        page.close()
        _missing(f"{name} has no explorer on its built page: rebuild the book")
    page.wait_for_function(
        "(n) => document.querySelectorAll('.gattut-explorer-live').length === n",
        arg=len(ids),
        timeout=30_000,
    )
    cut = {1280: _cut_explorers(page)}
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)  # plotly redraws at the new width
    cut[390] = _cut_explorers(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(500)
    scripts = page.evaluate(
        "[...document.scripts].filter(s => /plotly[^/]*\\.js/.test(s.src)).map(s => s.src)"
    )
    sizes = page.evaluate(
        "(ids) => ids.map(id => document.getElementById(id + '-spec').textContent.length)", ids
    )
    problems = []
    for explorer_id in ids:
        spec = _spec(page, explorer_id)
        if spec["kind"] == "graph":
            node = max(range(len(spec["into"])), key=lambda i: len(spec["into"][i]))
            expected = [
                (spec["labels"][spec["src"][e]], spec["alpha"][e][0]) for e in spec["into"][node]
            ]
            hover = f"node {spec['labels'][node]}"
        else:
            node = len(spec["targets"]) - 1
            row = spec["figure"]["data"][0]["z"][node]  # the package's weights, as embedded
            expected = list(zip(spec["sources"], row))
            hover = spec["targets"][node]
        problems += pointer_problems(page, explorer_id, node, expected, hover_text=hover)
    page.close()
    assert len(ids) == CHAPTERS[name], f"{name}: {len(ids)} explorers, expected {CHAPTERS[name]}"
    assert problems == []
    assert cut == {1280: [], 390: []}, f"{name}: explorers cut on the right {cut}"
    assert outside == [], f"{name}: requests to outside hosts {outside}"
    assert len(scripts) == 1 and len(plotly_requests) == 1, (
        f"{name}: plotly.js loaded {len(plotly_requests)} times by {scripts}"
    )
    assert max(sizes) <= MAX_DATA_BYTES, f"{name}: explorer data of {max(sizes)} bytes"
    assert f"_static/{PLOTLYJS_STATIC}" in scripts[0]
    assert (HTML / "_static" / PLOTLYJS_STATIC).exists()
