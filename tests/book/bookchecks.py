"""Checks of the built book, as plain functions that return the problems they find.

The tests in this folder call them on the real build (``_build/``) and on
deliberately broken inputs, so every check is shown to fail when the thing it
checks is missing. Each function returns a list of human-readable problems;
an empty list means the check passed.
"""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
HTML = BUILD / "html"

#: A code cell whose source matches draws a figure: matplotlib's show, or a diagram.
FIGURE_CALL = re.compile(r"plt\.show\(\)|\bdiagrams\.\w+\(|\bexplore_\w+\(")
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")
#: Widest figure image, in pixels: the book's 7.5 in at 100 dpi, plus a little for
#: labels that ``bbox_inches="tight"`` keeps outside the axes.
MAX_IMAGE_WIDTH = 820
#: The separator row of a Markdown table (``| --- | :--: |``) printed as text.
RAW_TABLE = re.compile(r"^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$", re.MULTILINE)


def executed_notebook(name: str) -> dict | None:
    """The chapter as the book build executed it, or None if the build has no run of
    this version of it.

    Read from Jupyter Book's execution cache, merged into the source notebook the
    way the build does. (``_build/jupyter_execute`` is no use here: for a notebook
    taken from the cache, myst-nb writes the copy there without its outputs.)
    """
    import json

    import nbformat
    from jupyter_cache import get_cache

    if not CACHE.exists():
        return None
    source = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    try:
        _, merged = get_cache(CACHE).merge_match_into_notebook(source)
    except KeyError:
        return None
    return json.loads(nbformat.writes(merged))


def chapter_names() -> list[str]:
    """The chapter notebooks (``notebooks/NN_name``), in order."""
    return sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def image_outputs(cell: dict) -> list[tuple[str, str]]:
    """The ``(mime type, data)`` of every image a code cell displayed."""
    found = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        for mime in IMAGE_TYPES:
            if mime in data:
                found.append((mime, _text(data[mime])))
                break
    return found


def figure_cells(notebook: dict) -> list[int]:
    """Indices of the code cells that draw a figure (they call ``plt.show()`` or a diagram)."""
    return [
        i
        for i, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and FIGURE_CALL.search(_source(cell))
    ]


def expected_figures(notebook: dict) -> int:
    """How many figures an executed notebook shows: its image outputs, and at least one
    for every cell that draws one (so a notebook whose figures vanished still expects them)."""
    images = sum(len(image_outputs(c)) for c in notebook["cells"] if c["cell_type"] == "code")
    return max(images, len(figure_cells(notebook)))


def missing_figures(notebook: dict, name: str = "notebook") -> list[str]:
    """Cells that draw a figure but have no image among their outputs."""
    problems = []
    for i in figure_cells(notebook):
        cell = notebook["cells"][i]
        if not image_outputs(cell):
            first = _source(cell).strip().splitlines()[0][:60]
            problems.append(f"{name}: cell {i} draws a figure but shows no image ({first!r})")
    return problems


def page_images(html: str) -> int:
    """Images of cell outputs on a built page (myst-nb writes them under ``_images/``;
    an attention explorer carries its static picture inline, for print)."""
    return len(re.findall(r"<img\b[^>]*\bsrc=\"[^\"]*_images/", html)) + len(
        re.findall(r"<img\b[^>]*\bclass=\"gattut-explorer-static\"", html)
    )


def too_few_page_images(html: str, expected: int, name: str = "page") -> list[str]:
    found = page_images(html)
    if found < expected:
        return [f"{name}: {found} images on the built page, the notebook shows {expected}"]
    return []


def figure_style_problems(notebook: dict, name: str = "notebook") -> list[str]:
    """PNG figures wider than the book's column, or with a transparent background
    (which vanishes in the dark theme)."""
    from PIL import Image

    problems = []
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        for mime, data in image_outputs(cell):
            if mime != "image/png":
                continue
            image = Image.open(io.BytesIO(base64.b64decode(data)))
            if image.width > MAX_IMAGE_WIDTH:
                problems.append(
                    f"{name}: cell {i} has a figure {image.width} px wide "
                    f"(the column holds {MAX_IMAGE_WIDTH} px: use figsize width <= 7.5 in)"
                )
            rgba = image.convert("RGBA")
            corners = [(0, 0), (rgba.width - 1, 0), (0, rgba.height - 1)]
            if any(rgba.getpixel(xy)[3] < 255 for xy in corners):
                problems.append(f"{name}: cell {i} has a figure with a transparent background")
    return problems


def machine_paths() -> list[str]:
    """Paths of the build machine that must never appear in the book's outputs."""
    paths = {str(ROOT), str(ROOT.parent), str(Path.home())}
    data = os.environ.get("GATTUT_DATA")
    if data:
        paths |= {data, str(Path(data).resolve())}
    return sorted(p for p in paths if len(p) > 1)


_PATH_LIKE = re.compile(r"(?<![\w.])/(?:home|root|Users|tmp|work|var/folders)/[\w.-]+")


def _output_texts(cell: dict) -> list[str]:
    """What a cell shows in the book. Its stderr never does: the build removes it
    (``stderr_output: remove-warn``, and -W fails a build that has any untagged)."""
    texts = []
    for output in cell.get("outputs", []):
        if output.get("name") == "stderr":
            continue
        if "text" in output:
            texts.append(_text(output["text"]))
        for mime in ("text/plain", "text/html", "text/markdown"):
            if mime in output.get("data", {}):
                texts.append(_text(output["data"][mime]))
    return texts


def path_leaks(notebook: dict, name: str = "notebook", paths: list[str] | None = None) -> list[str]:
    """Outputs that print a path of the build machine (a folder, the home, the data)."""
    paths = machine_paths() if paths is None else paths
    problems = []
    for i, cell in enumerate(notebook["cells"]):
        for text in _output_texts(cell):
            hits = [p for p in paths if p in text] + _PATH_LIKE.findall(text)
            if hits:
                problems.append(f"{name}: cell {i} prints a machine path: {hits[0]}")
    return problems


def raw_tables_on_page(html: str, name: str = "page") -> list[str]:
    """A Markdown table that reached the built page as text (outside code blocks)."""
    prose = re.sub(r"<pre\b.*?</pre>", "", html, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", "", prose)
    if RAW_TABLE.search(text):
        return [f"{name}: a Markdown table shows as raw pipes on the built page"]
    return []


def raw_tables(notebook: dict, name: str = "notebook") -> list[str]:
    """Printed text that is a Markdown table (it shows as pipes, not as a table)."""
    problems = []
    for i, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and RAW_TABLE.search(_text(output["text"])):
                problems.append(
                    f"{name}: cell {i} prints a Markdown table as text; "
                    "display it with IPython.display.Markdown"
                )
    return problems


PDF = BUILD / "pdf" / "gattut.pdf"


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF written by Chromium (each page object is ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def pdf_raster_images(pdf: bytes) -> int:
    """Raster images in a PDF (the PNG figures; SVG diagrams print as vector drawings)."""
    return len(re.findall(rb"/Subtype\s*/Image\b", pdf))


def png_figures(notebook: dict) -> int:
    return sum(
        mime == "image/png"
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        for mime, _ in image_outputs(cell)
    )


def pdf_problems(pdf: bytes, chapters: int, figures: int) -> list[str]:
    """A PDF of the book has a page per chapter at least, and every PNG figure."""
    problems = []
    if not pdf.startswith(b"%PDF"):
        return ["not a PDF"]
    if pdf_pages(pdf) < chapters:
        problems.append(f"{pdf_pages(pdf)} pages for {chapters} chapters")
    if pdf_raster_images(pdf) < figures:
        problems.append(f"{pdf_raster_images(pdf)} images in the PDF, the notebooks have {figures}")
    return problems
