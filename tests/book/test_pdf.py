"""The PDF of the book (``python3 dev.py pdf``): a page per chapter at least, every figure.

``dev.py test`` prints the PDF before pytest runs; the last test shows the
check failing on a PDF without the figures.
"""

from __future__ import annotations

import base64
import os
import shutil

import bookchecks as bc
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _missing(reason: str):
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


def test_pdf_has_every_chapter_and_figure():
    if not bc.PDF.exists():
        _missing(f"{bc.PDF} is missing: run python3 dev.py pdf")
    figures = 0
    for name in bc.chapter_names():
        executed = bc.executed_notebook(name)
        if executed is None:
            _missing(f"the book build has not executed this version of {name}")
        figures += bc.png_figures(executed)
    assert figures > 0
    assert bc.pdf_problems(bc.PDF.read_bytes(), len(bc.chapter_names()), figures) == []


def _printed(html: str) -> bytes:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        _missing(f"Chromium is not installed at {CHROMIUM}")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_content(html)
        pdf = page.pdf(format="A4")
        browser.close()
    return pdf


def test_pdf_check_can_fail():
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode()
    without = _printed("<h1>Chapter</h1><p>text, no figure</p>")
    with_figure = _printed(f'<h1>Chapter</h1><img src="data:image/png;base64,{png}">')
    assert bc.pdf_problems(without, chapters=1, figures=1) != []
    assert bc.pdf_problems(with_figure, chapters=1, figures=1) == []
    assert bc.pdf_problems(with_figure, chapters=2, figures=1) != []
    assert bc.pdf_problems(b"<html>", chapters=1, figures=0) == ["not a PDF"]
