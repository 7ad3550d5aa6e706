"""Print the single-page build of the book to one PDF with Debian's Chromium.

    python tools/print_pdf.py _build/singlehtml/book/intro.html _build/pdf/gattut.pdf

Jupyter Book's own ``pdfhtml`` builder downloads a browser through pyppeteer,
which cannot work offline; this prints the same page through the Chromium the
browser test uses. MathJax typesets first and every image loads before printing,
so the PDF holds the figures and the typeset equations.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

# The printed book: no navigation, code that wraps instead of running off the page.
PRINT_CSS = """
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .bd-footer-article,
.header-article, .prev-next-area, .toggle-details, button.toggle-button { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
pre { white-space: pre-wrap !important; word-break: break-word; }
details.hide, details.above-input { display: none !important; }
img { max-width: 100% !important; page-break-inside: avoid; }
"""


def print_pdf(html: Path, pdf: Path) -> int:
    """Print ``html`` to ``pdf``; return the number of images on the printed page."""
    from playwright.sync_api import sync_playwright

    if not html.exists():
        sys.exit(f"{html} is missing: build the single-page book first")
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium is not installed at {CHROMIUM}: install Debian's chromium package")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    # Sphinx's single-page builder writes the page under the root document's folder
    # (book/) but its links to _static and _images relative to the build root: read a
    # copy placed at the root.
    build_root = html.parent
    while build_root.parent != build_root and not (build_root / "_static").is_dir():
        build_root = build_root.parent
    html_at_root = build_root / "gattut-print.html"
    shutil.copyfile(html, html_at_root)
    html = html_at_root
    with tempfile.TemporaryDirectory(prefix="gattut-pdf-") as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True
        )
        page = browser.new_page()
        page.goto(html.resolve().as_uri(), wait_until="load", timeout=120_000)
        if page.evaluate("document.querySelectorAll('.math').length"):
            page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=60_000)
            page.evaluate("() => MathJax.startup.promise")
        images = page.evaluate(
            """async () => {
                const imgs = [...document.images];
                imgs.forEach(i => { i.loading = 'eager'; });
                await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
                    i.addEventListener('load', r); i.addEventListener('error', r);
                })));
                return imgs.filter(i => i.naturalWidth > 0).length;
            }"""
        )
        page.add_style_tag(content=PRINT_CSS)
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4", print_background=True,
                 margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})  # fmt: skip
        browser.close()
    return images


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    count = print_pdf(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]} ({count} images)")
