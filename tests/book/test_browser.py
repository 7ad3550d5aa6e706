"""The rendered book in a real browser (Debian's Chromium, driven by Playwright).

Runs against ``_build/html`` (``python3 dev.py test`` builds it first), served
on 127.0.0.1. Every page of ``_toc.yml`` must load with no console error, no
request to an outside host and no failed request; every math element must be
typeset by the book's own MathJax; every image must have loaded. A screenshot
of each page is saved under ``_build/screenshots/``.
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


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(browser, site, name):
    page = browser.new_page()
    log = PageLog(page, "127.0.0.1")
    response = page.goto(f"{site}/{name}.html", wait_until="load")
    assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
    math = _wait_for_math(page)
    broken = _load_images(page)
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name.replace('/', '__')}.png"), full_page=True)
    page.close()
    assert math["untypeset"] == [], f"{name}: untypeset math {math['untypeset']}"
    assert broken == [], f"{name}: images that did not load: {broken}"
    assert log.errors == [], f"{name}: console errors {log.errors}"
    assert log.outside == [], f"{name}: requests to outside hosts {log.outside}"
    assert log.failed == [], f"{name}: failed requests {log.failed}"


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
