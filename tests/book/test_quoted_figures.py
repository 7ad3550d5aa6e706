"""Figures the prose quotes from a measurement file must be that file's figures.

Chapter 11 and the README quote the PubMed comparison of
``benchmarks/pubmed_gap.py`` (``results/cpu/pubmed_gap.json``): the code's lr
and L2 against the paper's, on the same seeds. A rerun with more seeds changes
the file; this test then names every sentence that still quotes the old run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GAP = ROOT / "results" / "cpu" / "pubmed_gap.json"
#: The pages that quote it, and whether they quote all of it (best epochs, the third setting).
QUOTING = {ROOT / "notebooks" / "11_training_gat.ipynb": True, ROOT / "README.md": False}


def gap_phrases(report: dict, full: bool = True) -> list[str]:
    """The phrases a page quoting ``report`` must contain, as it writes them.

    ``full``: also the best epochs and the third setting (the chapter quotes them).
    """
    p, c, d = report["paper_settings"], report["code_settings"], report["difference"]
    n = len(report["seeds"])
    return [
        f"{c['mean']:.1f} ± {c['std']:.1f}",
        f"{p['mean']:.1f} ± {p['std']:.1f}",
        f"{d['mean']:+.1f} points",
        f"{d['higher']} of {n} seeds",
        *([f"best epoch near {c['best_epoch']:.0f}", f"instead of {p['best_epoch']:.0f}",
           *metric_phrases(report)] if full else []),
    ]


def metric_phrases(report: dict) -> list[str]:
    """The phrases of the third setting (stopping on accuracy alone), where the report has it."""
    if "code_settings_metric" not in report:
        return []
    m, dm = report["code_settings_metric"], report["metric_difference"]
    return [f"{m['mean']:.1f} ± {m['std']:.1f} over {len(report['metric_seeds'])} seeds",
            f"{dm['mean']:+.1f} points a seed"]


def page_text(path: Path) -> str:
    """A page's prose: a notebook's Markdown cells, or the whole file."""
    if path.suffix != ".ipynb":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def missing_phrases(text: str, report: dict, full: bool = True) -> list[str]:
    flat = " ".join(text.split())  # a phrase may be broken across lines
    return [phrase for phrase in gap_phrases(report, full) if phrase not in flat]


@pytest.fixture(scope="module")
def report() -> dict:
    return json.loads(GAP.read_text())


@pytest.mark.parametrize("page", QUOTING, ids=lambda p: p.name)
def test_pages_quote_the_measured_gap(page, report):
    missing = missing_phrases(page_text(page), report, QUOTING[page])
    assert not missing, f"{page.name} does not quote {GAP.name}: missing {missing}"


def test_check_fails_on_a_figure_that_moved(report):
    """A page written from an older run (another mean) is caught."""
    text = page_text(next(iter(QUOTING)))
    assert not missing_phrases(text, report)
    moved = json.loads(json.dumps(report))
    moved["code_settings"]["mean"] += 0.2
    assert missing_phrases(text, moved) == [f"{moved['code_settings']['mean']:.1f} ± "
                                            f"{moved['code_settings']['std']:.1f}"]
    moved["metric_difference"]["mean"] -= 0.2  # the third setting's figures are checked too
    assert f"{moved['metric_difference']['mean']:+.1f} points a seed" in missing_phrases(text, moved)
    assert missing_phrases("", report) == gap_phrases(report)
