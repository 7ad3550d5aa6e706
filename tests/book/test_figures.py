"""Every figure reaches the rendered book, sized and styled for it; outputs are clean.

The real checks read the build (``python3 dev.py test`` builds the book first):
the executed notebooks in the build's execution cache and the pages in
``_build/html``. The expected number of figures comes from the executed
notebook itself: its image outputs, and at least one image for every cell that
calls ``plt.show()`` or draws a diagram, so a build whose figures vanished
(the ``MPLBACKEND=Agg`` kernel) fails instead of passing with nothing to count.
The ``*_can_fail`` tests show each check failing on a deliberately broken input.
"""

from __future__ import annotations

import base64
import io
import json
import os

import bookchecks as bc
import pytest


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _executed(name: str) -> dict:
    notebook = bc.executed_notebook(name)
    if notebook is None:
        reason = f"the book build has not executed this version of {name}: run python3 dev.py book"
        if _under_ci():
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return notebook


CHAPTERS = bc.chapter_names()


def test_there_are_chapters():
    assert len(CHAPTERS) >= 15


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_figure_cell_shows_its_figure(name):
    assert bc.missing_figures(_executed(name), name) == []


@pytest.mark.parametrize("name", CHAPTERS)
def test_built_page_has_every_figure(name):
    notebook = _executed(name)
    page = bc.HTML / "notebooks" / f"{name}.html"
    assert page.exists(), f"{page} is missing"
    assert bc.too_few_page_images(page.read_text(), bc.expected_figures(notebook), name) == []


def test_the_book_has_figures():
    """Most chapters draw: the book as a whole shows dozens of figures."""
    total = sum(bc.expected_figures(_executed(name)) for name in CHAPTERS)
    assert total >= 40, f"only {total} figures in the whole book"


@pytest.mark.parametrize("name", CHAPTERS)
def test_figures_fit_the_column_on_white(name):
    assert bc.figure_style_problems(_executed(name), name) == []


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_machine_path_in_outputs(name):
    assert bc.path_leaks(_executed(name), name) == []


@pytest.mark.parametrize("name", CHAPTERS)
def test_tables_render_as_tables(name):
    assert bc.raw_tables(_executed(name), name) == []
    page = bc.HTML / "notebooks" / f"{name}.html"
    assert bc.raw_tables_on_page(page.read_text(), name) == []


# The checks can fail -----------------------------------------------------------------

_PLOT = "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()"


def _run_plot_notebook(monkeypatch, backend: str | None) -> dict:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if backend is None:
        monkeypatch.delenv("MPLBACKEND", raising=False)
    else:
        monkeypatch.setenv("MPLBACKEND", backend)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_PLOT)])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    return json.loads(nbformat.writes(notebook))


def test_figure_check_fails_under_the_agg_backend(monkeypatch):
    """The cause of the book's missing figures, reproduced: the check catches it."""
    broken = _run_plot_notebook(monkeypatch, "Agg")
    assert bc.missing_figures(broken, "agg") != []
    assert bc.expected_figures(broken) == 1
    assert bc.too_few_page_images("<html><p>no images</p></html>", 1, "agg") != []
    working = _run_plot_notebook(monkeypatch, None)
    assert bc.missing_figures(working, "inline") == []


def _png(width_in: float, transparent: bool) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width_in, 2), dpi=100)
    ax.plot([0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", transparent=transparent)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _notebook_with(output: dict, source: str = "x") -> dict:
    cell = {"cell_type": "code", "source": source, "outputs": [output], "metadata": {}}
    return {"cells": [cell]}


def test_style_check_can_fail():
    wide = _notebook_with({"output_type": "display_data", "data": {"image/png": _png(12, False)}})
    clear = _notebook_with({"output_type": "display_data", "data": {"image/png": _png(6, True)}})
    good = _notebook_with({"output_type": "display_data", "data": {"image/png": _png(6, False)}})
    assert any("px wide" in p for p in bc.figure_style_problems(wide))
    assert any("transparent" in p for p in bc.figure_style_problems(clear))
    assert bc.figure_style_problems(good) == []


def test_path_check_can_fail():
    leak = _notebook_with({"output_type": "stream", "name": "stdout", "text": f"data in {bc.ROOT}\n"})
    scratch = "/" + "/".join(["tmp", "abc", "x.pt"])  # a temporary folder of the build machine
    tmp = _notebook_with({"output_type": "stream", "name": "stdout", "text": f"saved {scratch}\n"})
    clean = _notebook_with({"output_type": "stream", "name": "stdout", "text": "accuracy 0.83\n"})
    assert bc.path_leaks(leak) != [] and bc.path_leaks(tmp) != []
    assert bc.path_leaks(clean) == []


def test_table_check_can_fail():
    text = "| model | acc |\n| --- | ---: |\n| gat | 83.2 |\n"
    raw = _notebook_with({"output_type": "stream", "name": "stdout", "text": text})
    shown = _notebook_with(
        {"output_type": "display_data", "data": {"text/markdown": text, "text/plain": "<Markdown>"}}
    )
    assert bc.raw_tables(raw) != []
    assert bc.raw_tables(shown) == []
    # On the page: pipes in a paragraph fail, a real table or pipes inside code pass.
    assert bc.raw_tables_on_page("<p>| a | b |\n| --- | --- |\n| 1 | 2 |</p>") != []
    assert bc.raw_tables_on_page("<table><tr><td>a</td></tr></table>") == []
    assert bc.raw_tables_on_page("<pre>print('| --- |')</pre>") == []
