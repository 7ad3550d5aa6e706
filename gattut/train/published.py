"""The book's reproduction ledger, shipped inside the package, and a table of it that renders anywhere.

``results/ledger.json`` (written by ``python -m gattut reproduce``, see
:mod:`gattut.train.ledger`) lives in the book's repository, which an installed
package (Colab, ``pip install``) does not have. Its summary, every row's mean,
spread, seeds, epochs, time and machine but not the per-seed lists, is shipped
as the package data file ``gattut/train/published_ledger.json`` (listed in
``pyproject.toml``'s package data, so every install carries it). A test checks
that it equals the summary of ``results/ledger.json``; after the ledger changes,
regenerate it:

    python -m gattut.train.published results/ledger.json

:func:`ledger_table` picks rows and returns a :class:`LedgerTable`, which a
notebook shows as an HTML table (Jupyter, Colab and the book all render
HTML; a Markdown table printed by code would show as raw ``|`` pipes in the
book, whose Markdown output renderer has no tables).
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["LedgerTable", "ledger_table", "published", "shipped_text", "summarize"]

SHIPPED = "published_ledger.json"

# What a summary row keeps of a ledger row (everything but the per-seed "runs").
_ROW_KEYS = ("dataset", "model", "metric", "status", "mean", "std", "num_seeds", "mean_epochs",
             "mean_time_per_epoch", "median_time_per_epoch", "wall_s", "stacked", "max_epochs",
             "machine")


def summarize(ledger: dict[str, Any]) -> dict[str, Any]:
    """The shipped form of a ledger: each row without its per-seed runs, plus the paper's figure.

    A row keeps ``_ROW_KEYS`` where present, ``code`` (the sorted gattut commits
    its runs came from) and ``paper`` (``[mean, std, source]`` or ``None``);
    the ledger's ``note`` is kept.
    """
    from gattut.train.ledger import PAPER

    rows = []
    for row in ledger["rows"]:
        out = {k: row[k] for k in _ROW_KEYS if k in row}
        out["code"] = sorted({run["code"] for run in row.get("runs", []) if "code" in run})
        paper = PAPER.get((row["dataset"], row["model"]))
        out["paper"] = list(paper) if paper else None
        rows.append(out)
    return {"note": ledger.get("note", ""), "rows": rows}


def published() -> dict[str, Any]:
    """The summary of the book's ``results/ledger.json`` shipped with this package."""
    return json.loads(resources.files("gattut.train").joinpath(SHIPPED).read_text())


def shipped_text(ledger: dict[str, Any]) -> str:
    """The text of the shipped ``published_ledger.json`` for ``ledger`` (the full ledger.json)."""
    return json.dumps(summarize(ledger), indent=1, ensure_ascii=True) + "\n"


# ----------------------------------------------------------------------- the table
def _number(mean: float | None, std: float | None, metric: str) -> str:
    if mean is None:
        return ""
    digits = 1 if metric == "accuracy" else 3
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")


def _machine(info: dict[str, Any] | None) -> str:
    if not info:
        return ""
    if "gpu" in info:
        return info["gpu"].removeprefix("NVIDIA ") + " GPU"
    threads = info.get("torch_threads")
    return f"CPU, {threads} thread{'s' if threads != 1 else ''}" if threads else "CPU"


def _cells(row: dict[str, Any]) -> list[str]:
    paper = row.get("paper")
    paper_text = _number(paper[0], paper[1], row["metric"]) if paper else ""
    if row.get("status") != "measured":
        return [row["dataset"], row["model"], row.get("status", "not run"), "0", paper_text,
                "", "", ""]
    stacked = row.get("stacked", 1)
    per_epoch = f"{1000 * row['median_time_per_epoch']:.1f} ms"
    if stacked > 1:
        per_epoch += f" ({stacked} at once)"
    epochs = f"{row['mean_epochs']:.0f}"
    if row.get("max_epochs"):
        epochs += f" (cap {row['max_epochs']})"
    return [row["dataset"], row["model"], _number(row["mean"], row.get("std"), row["metric"]),
            str(row["num_seeds"]), paper_text, epochs, per_epoch, _machine(row.get("machine"))]


class LedgerTable:
    """Ledger rows as a table: HTML in a notebook (``_repr_html_``), Markdown or text on demand.

    Columns: dataset, model, our mean ± sample standard deviation over the seeds
    (accuracy in %, PPI micro-F1 as a fraction), seeds, the paper's figure, mean
    epochs, median time per epoch (of all seeds together for a stacked row) and machine.
    """

    HEADER = ("Dataset", "Model", "Ours", "Seeds", "Paper", "Epochs", "Time / epoch", "Machine")
    _RIGHT = (False, False, True, True, True, True, True, False)
    # Cells that break only before a parenthesis: "83.2 ± 0.7" stays whole and
    # "19.0 ms (100 at once)" takes at most two lines.
    _WHOLE = (False, False, True, False, True, True, True, False)

    def __init__(self, rows: list[dict[str, Any]]):
        self.rows = rows
        self.cells = [_cells(row) for row in rows]

    def __len__(self) -> int:
        return len(self.rows)

    def to_html(self) -> str:
        """A plain ``<table>`` (no colours, so it reads in light and dark themes)."""

        def cell(tag: str, text: str, k: int) -> str:
            # Padding keeps neighbouring figures apart.
            style = ["padding: 0.15em 0.3em"] + ["text-align: right"] * self._RIGHT[k]
            text = html.escape(text)
            if self._WHOLE[k] and tag == "td":
                text = " (".join(part.replace(" ", "&nbsp;") for part in text.split(" ("))
            return f'<{tag} style="{"; ".join(style)}">{text}</{tag}>'

        head = "".join(cell("th", h, k) for k, h in enumerate(self.HEADER))
        body = "".join("<tr>" + "".join(cell("td", c, k) for k, c in enumerate(cells)) + "</tr>"
                       for cells in self.cells)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table (for files and READMEs)."""
        rule = ["---:" if r else "---" for r in self._RIGHT]
        lines = [self.HEADER, rule, *self.cells]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        rows = [self.HEADER, *self.cells]
        widths = [max(len(r[k]) for r in rows) for k in range(len(self.HEADER))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)

    def __repr__(self) -> str:
        return str(self)


def ledger_table(datasets: Iterable[str] | None = None, models: Iterable[str] | None = None,
                 ledger: dict[str, Any] | None = None) -> LedgerTable:
    """The rows of ``ledger`` (default: the shipped one) for these datasets and models, in ledger order.

    ``ledger`` may be a summary (:func:`published`) or a full ``ledger.json``.

    Raises:
        ValueError: a dataset or model that no row has.
    """
    datasets = None if datasets is None else tuple(datasets)
    models = None if models is None else tuple(models)
    source = published() if ledger is None else ledger
    rows = source["rows"]
    if ledger is not None and any("runs" in row for row in rows):
        rows = summarize(ledger)["rows"]
    for name, wanted, key in (("dataset", datasets, "dataset"), ("model", models, "model")):
        if wanted is not None:
            known = {row[key] for row in rows}
            unknown = [w for w in wanted if w not in known]
            if unknown:
                raise ValueError(f"no ledger row has {name} {unknown[0]!r}; known: {sorted(known)}")
    keep = [row for row in rows
            if (datasets is None or row["dataset"] in datasets)
            and (models is None or row["model"] in models)]
    return LedgerTable(keep)


def main(argv: list[str] | None = None) -> int:
    """``python -m gattut.train.published LEDGER_JSON``: regenerate the shipped summary from it."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m gattut.train.published results/ledger.json", file=sys.stderr)
        return 2
    ledger = json.loads(Path(args[0]).read_text())
    out = Path(__file__).with_name(SHIPPED)
    out.write_text(shipped_text(ledger))
    print(f"wrote {out.name} ({len(ledger['rows'])} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
