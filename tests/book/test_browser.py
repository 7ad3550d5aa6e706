"""The rendered book in a real browser (Debian's Chromium, driven by Playwright).

Runs against ``_build/html`` (``python3 dev.py test`` builds it first), served
on 127.0.0.1. Every page of ``_toc.yml`` must load with no console error, no
request to an outside host and no failed request; every math element must be
typeset by the book's own MathJax; every image must have loaded; each chapter
shows at least as many images as its executed notebook has figures; nothing
overflows the page at 1280 px or at a 390 px phone width (a wide block scrolls
inside its own box); at 1280 px no line of code, of printed output or of a
shell block, and no equation, is cut; the
glossary's Chinese renders with real glyphs, not empty boxes. A screenshot of
each page at both widths is saved under ``_build/screenshots/``. The
``*_can_fail`` tests run the same checks on broken pages and see them fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import bookchecks
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing(reason: str):
    if _under_ci():
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


def _pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            pages.append(chapter["file"])
            pages += [s["file"] for s in chapter.get("sections", [])]
    return pages


PAGES = _pages()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        _missing(f"{HTML / 'index.html'} is missing: build the book first (python3 dev.py book)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is not installed at {CHROMIUM} (dev.py test installs Debian's chromium)")
    user_data = tempfile.mkdtemp(prefix="gattut-chromium-")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    shutil.rmtree(user_data, ignore_errors=True)


class PageLog:
    """Console errors, outside requests and failed requests of one page."""

    def __init__(self, page, allowed_host: str):
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._on_request)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.allowed_host = allowed_host

    def _on_request(self, request):
        url = urlparse(request.url)
        if url.scheme in {"data", "blob", "about", "file"}:
            return
        if url.hostname != self.allowed_host:
            self.outside.append(request.url)


def _wait_for_math(page) -> dict:
    """Wait until MathJax has typeset the page; return counts of math elements."""
    count = page.evaluate("document.querySelectorAll('.math').length")
    if count:
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
        )
        page.evaluate("() => MathJax.startup.promise")
    return page.evaluate(
        """() => {
            const math = [...document.querySelectorAll('.math')];
            const raw = math.filter(m => !m.querySelector('mjx-container'));
            return {math: math.length, untypeset: raw.map(m => m.textContent.slice(0, 60))};
        }"""
    )


def _load_images(page) -> list[str]:
    """Make lazy images load, wait for every image, and return the ones that failed."""
    return page.evaluate(
        """async () => {
            const imgs = [...document.images];
            imgs.forEach(i => { i.loading = 'eager'; });
            await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
                i.addEventListener('load', r); i.addEventListener('error', r);
            })));
            return imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.src);
        }"""
    )


# What overflows: the page itself (an element past the window that no scrolling box
# clips), and, at desktop width, code blocks, display equations and tables printed by a
# cell cut at the column (a table wider than its output box scrolls there, its last
# columns hidden).
_OVERFLOW_JS = """() => {
    // Clipped by a box that scrolls, or in a fixed off-canvas drawer (the phone's menus).
    const clipped = e => {
        for (let a = e; a && a !== document.body; a = a.parentElement) {
            const style = getComputedStyle(a);
            if (style.position === 'fixed') return true;
            if (a !== e && style.overflowX !== 'visible') return true;
        }
        return false;
    };
    const past = [...document.querySelectorAll('.bd-main *')].filter(e => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > innerWidth + 1 && !clipped(e);
    });
    const cut = e => e.scrollWidth > e.clientWidth + 1;
    const longest = e => e.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '');
    return {
        page: document.documentElement.scrollWidth - innerWidth,
        past: past.map(e => e.tagName + ' ' + e.textContent.trim().slice(0, 50)),
        code: [...document.querySelectorAll('div.highlight pre, div.cell_output pre')].filter(cut)
            .map(e => longest(e).slice(0, 70)),
        math: [...document.querySelectorAll('mjx-container[display="true"]')].filter(cut)
            .map(e => e.textContent.slice(0, 50)),
        // Past its output box, or squeezed to it with its cells spilling out.
        table: [...document.querySelectorAll('div.cell_output table')].filter(t => cut(t)
            || t.getBoundingClientRect().right > t.closest('div.cell_output').getBoundingClientRect().right + 1)
            .map(e => e.textContent.trim().slice(0, 50)),
    };
}"""

# Draws two characters with the element's font on a canvas: empty boxes ("tofu") of
# a missing font are identical for every character, real glyphs differ.
_GLYPHS_JS = """([selector, a, b]) => {
    const el = document.querySelector(selector);
    if (!el) return null;
    const font = getComputedStyle(el).font;
    const draw = ch => {
        const c = document.createElement('canvas');
        c.width = 64; c.height = 64;
        const g = c.getContext('2d');
        g.font = font.replace(/\\d+(\\.\\d+)?px/, '40px');
        g.fillText(ch, 8, 48);
        return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
    };
    return draw(a) !== draw(b);
}"""


def _overflow(page) -> dict:
    return page.evaluate(_OVERFLOW_JS)


def _shot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if width == 1280 else f"@{width}"
    page.screenshot(path=str(SHOTS / f"{name.replace('/', '__')}{suffix}.png"), full_page=True)


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(browser, site, name):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log = PageLog(page, "127.0.0.1")
    response = page.goto(f"{site}/{name}.html", wait_until="load")
    assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
    math = _wait_for_math(page)
    broken = _load_images(page)
    images = page.evaluate("document.querySelectorAll('.bd-article img').length")
    page.wait_for_load_state("networkidle")
    overflow = _overflow(page)
    _shot(page, name, 1280)
    page.close()
    assert math["untypeset"] == [], f"{name}: untypeset math {math['untypeset']}"
    assert broken == [], f"{name}: images that did not load: {broken}"
    assert log.errors == [], f"{name}: console errors {log.errors}"
    assert log.outside == [], f"{name}: requests to outside hosts {log.outside}"
    assert log.failed == [], f"{name}: failed requests {log.failed}"
    assert overflow["page"] <= 1 and overflow["past"] == [], f"{name}: page overflows {overflow}"
    assert overflow["code"] == [], f"{name}: code lines cut at 1280 px: {overflow['code']}"
    assert overflow["math"] == [], f"{name}: equations cut at 1280 px: {overflow['math']}"
    assert overflow["table"] == [], f"{name}: tables cut at 1280 px: {overflow['table']}"
    if name.startswith("notebooks/"):
        executed = bookchecks.executed_notebook(name.removeprefix("notebooks/"))
        if executed is None:
            _missing(f"the book build has not executed this version of {name}")
        expected = bookchecks.expected_figures(executed)
        assert images >= expected, f"{name}: {images} images shown, the notebook has {expected}"


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone(browser, site, name):
    """At 390 px nothing widens the page; wide code, tables and equations scroll in place."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{site}/{name}.html", wait_until="load")
    _wait_for_math(page)
    _load_images(page)
    overflow = _overflow(page)
    _shot(page, name, 390)
    page.close()
    assert overflow["page"] <= 1 and overflow["past"] == [], f"{name}: page overflows {overflow}"


def test_glossary_chinese_has_glyphs(browser, site):
    page = browser.new_page()
    page.goto(f"{site}/book/glossary.html", wait_until="load")
    text = page.evaluate("document.querySelector('.bd-article').innerText")
    cjk = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    distinct = sorted(set(cjk))
    assert len(distinct) >= 2, "the glossary should hold Chinese terms"
    differ = page.evaluate(_GLYPHS_JS, [".bd-article", distinct[0], distinct[1]])
    page.close()
    assert differ, (
        f"{distinct[0]} and {distinct[1]} draw the same empty box: no CJK font "
        "(dev.py test installs fonts-wqy-zenhei; the book's CSS names CJK fonts)"
    )


_BROKEN_PAGE = """<html><body><div class="bd-main"><div class="bd-article">
<p><span style="white-space: nowrap">{wide}</span></p>
<div class="cell_input"><div class="highlight"><pre style="width: 300px; overflow-x: auto">{code}</pre>
</div></div><div class="cell_output"><pre style="width: 300px; overflow-x: auto">{printed}</pre></div>
<div class="cell_output" style="width: 300px"><div style="overflow-x: auto"><table><tr>{cells}</tr>
</table></div></div>
<div class="highlight"><pre style="width: 300px; overflow-x: auto">{shell}</pre></div><p id="pua">\ue000\ue001</p></div></div></body></html>"""


def test_overflow_checks_can_fail(browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    short = {"code": "y = 1", "printed": "1", "shell": "ls", "cells": "<td>1</td>"}
    page.set_content(_BROKEN_PAGE.format(wide="x" * 200, **{**short, "code": "y = 1 # " + "z" * 120}))
    broken = _overflow(page)
    page.set_content(_BROKEN_PAGE.format(wide="short", **short))
    fine = _overflow(page)
    cut = {}  # a long line printed by a cell, or in a shell block of the prose, is cut too
    for where in ("printed", "shell"):
        page.set_content(_BROKEN_PAGE.format(wide="short", **{**short, where: "w" * 120}))
        cut[where] = _overflow(page)["code"]
    page.set_content(_BROKEN_PAGE.format(wide="short", **{**short, "cells": "<td>1234</td>" * 40}))
    table = _overflow(page)["table"]  # a table printed by a cell, scrolling in its box
    page.close()
    assert broken["page"] > 1 and broken["past"] and broken["code"]
    assert fine["page"] <= 1 and not fine["past"] and not fine["code"] and not fine["table"]
    assert cut["printed"] and cut["shell"] and table


def test_glyph_check_can_fail(browser):
    """Private-use characters have no glyph in any font: the check sees the boxes."""
    page = browser.new_page()
    page.set_content(_BROKEN_PAGE.format(wide="", code="", printed="", shell="", cells=""))
    assert page.evaluate(_GLYPHS_JS, ["#pua", "\ue000", "\ue001"]) is False
    assert page.evaluate(_GLYPHS_JS, ["#pua", "A", "B"]) is True
    page.close()


def test_notation_math_is_typeset(browser, site):
    page = browser.new_page()
    page.goto(f"{site}/book/notation.html")
    math = _wait_for_math(page)
    page.close()
    assert math["math"] >= 10 and math["untypeset"] == []


def test_math_typesets_from_disk(browser):
    """Opened as a file (no server at all), MathJax still comes from the book itself."""
    if not (HTML / "book" / "notation.html").exists():
        _missing("the book is not built")
    page = browser.new_page()
    log = PageLog(page, allowed_host="")
    page.goto((HTML / "book" / "notation.html").as_uri())
    math = _wait_for_math(page)
    page.close()
    assert math["math"] >= 10 and math["untypeset"] == []
    assert log.outside == []


def test_framework_tabs_switch(browser, site):
    page = browser.new_page()
    page.goto(f"{site}/book/intro.html")
    labels = page.locator(".sd-tab-set > label")
    assert labels.count() >= 2, "the intro page should have a tab set"
    second = labels.nth(1)
    second.click()
    panel_visible = page.evaluate(
        """() => {
            const set = document.querySelector('.sd-tab-set');
            const inputs = [...set.querySelectorAll(':scope > input')];
            const panels = [...set.querySelectorAll(':scope > .sd-tab-content')];
            return inputs[1].checked && getComputedStyle(panels[1]).display !== 'none'
                && getComputedStyle(panels[0]).display === 'none';
        }"""
    )
    page.close()
    assert panel_visible


def test_search_finds_attention(browser, site):
    page = browser.new_page()
    page.goto(f"{site}/search.html?q=attention")
    page.wait_for_selector("#search-results ul.search li", timeout=30_000)
    hits = page.locator("#search-results ul.search li").count()
    page.close()
    assert hits > 0


def test_colab_link_points_at_the_chapter(browser, site):
    chapters = [p for p in PAGES if p.startswith("notebooks/")]
    assert chapters
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].rstrip("/").removeprefix("https://github.com/")
    page = browser.new_page()
    for chapter in chapters:
        page.goto(f"{site}/{chapter}.html")
        links = page.eval_on_selector_all(
            "a[href*='colab.research.google.com']", "els => els.map(e => e.href)"
        )
        expected = f"https://colab.research.google.com/github/{repo}/blob/main/{chapter}.ipynb"
        assert expected in links, f"{chapter}: Colab links {links}, expected {expected}"
    page.close()


def test_search_works_from_disk(browser):
    """Opened as files, with no server, the search page still finds pages."""
    if not (HTML / "search.html").exists():
        _missing("the book is not built")
    page = browser.new_page()
    log = PageLog(page, allowed_host="")
    page.goto((HTML / "search.html").as_uri() + "?q=attention")
    page.wait_for_selector("#search-results ul.search li", timeout=30_000)
    hits = page.locator("#search-results ul.search li").count()
    page.close()
    assert hits > 0 and log.outside == []
