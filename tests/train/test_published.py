"""Tests for gattut.train.published: the shipped ledger equals results/ledger.json; its table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gattut.train.published import (
    SHIPPED,
    LedgerTable,
    ledger_table,
    published,
    shipped_text,
    summarize,
)

REPO = Path(__file__).resolve().parents[2]
LEDGER_JSON = REPO / "results" / "ledger.json"


def _repo_ledger() -> dict:
    if not LEDGER_JSON.exists():
        pytest.skip("results/ledger.json is not in this checkout")
    return json.loads(LEDGER_JSON.read_text())


def test_shipped_copy_equals_results_ledger():
    """The package's copy cannot drift from results/ledger.json (regenerate it if this fails)."""
    assert published() == summarize(_repo_ledger()), (
        "gattut/train/published_ledger.json is out of date: run "
        "`python -m gattut.train.published results/ledger.json`"
    )


def test_shipped_file_is_the_generated_text():
    """The shipped file is byte for byte what the generator writes, so it is never hand-edited."""
    shipped = (REPO / "gattut" / "train" / SHIPPED).read_text()
    assert shipped == shipped_text(_repo_ledger())


def test_summary_drops_runs_and_keeps_figures():
    ledger = {"note": "n", "rows": [
        {"dataset": "cora", "model": "gat", "metric": "accuracy", "status": "measured",
         "mean": 83.0, "std": 0.5, "num_seeds": 2, "mean_epochs": 300.0,
         "mean_time_per_epoch": 0.01, "median_time_per_epoch": 0.009, "wall_s": 6.0,
         "stacked": 1,
         "machine": {"cpu": "x", "torch_threads": 1, "torch": "2", "device": "cpu"},
         "runs": [{"seed": 0, "code": "b"}, {"seed": 1, "code": "a"}]},
        {"dataset": "ppi", "model": "gat", "metric": "micro_f1", "status": "not run", "runs": []},
    ]}
    out = summarize(ledger)
    assert out["note"] == "n"
    assert all("runs" not in row for row in out["rows"])
    assert out["rows"][0]["code"] == ["a", "b"] and out["rows"][0]["mean"] == 83.0
    assert out["rows"][0]["median_time_per_epoch"] == 0.009
    assert out["rows"][0]["paper"][:2] == [83.0, 0.7]
    assert out["rows"][1]["paper"][0] == 0.973


def test_table_renders_as_html_not_pipes():
    table = ledger_table(datasets=("cora", "pubmed"), models=("gat", "gcn"))
    assert isinstance(table, LedgerTable)
    assert [(r["dataset"], r["model"]) for r in table.rows] == [
        ("cora", "gat"), ("cora", "gcn"), ("pubmed", "gat"), ("pubmed", "gcn")]
    page = table._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + len(table)
    assert "|" not in page and "---" not in page
    markdown = table.to_markdown().splitlines()
    assert markdown[0].startswith("| Dataset") and markdown[1].startswith("| ---")
    assert len(markdown) == 2 + len(table)
    assert "Dataset" in str(table).splitlines()[0]


def test_table_cells_from_a_full_ledger():
    ledger = {"rows": [
        {"dataset": "pubmed", "model": "gat", "metric": "accuracy", "status": "measured",
         "mean": 77.456, "std": 0.61, "num_seeds": 40, "mean_epochs": 291.6,
         "mean_time_per_epoch": 0.31, "median_time_per_epoch": 0.2384, "stacked": 1,
         "machine": {"cpu": "AMD EPYC", "torch_threads": 1, "device": "cpu"},
         "runs": [{"seed": 0, "code": "abc"}]},
        {"dataset": "cora", "model": "gat", "metric": "accuracy", "status": "measured",
         "mean": 83.2, "std": 0.7, "num_seeds": 100, "mean_epochs": 822, "stacked": 100,
         "mean_time_per_epoch": 0.019, "median_time_per_epoch": 0.019,
         "machine": {"gpu": "NVIDIA H200", "device": "cuda"},
         "runs": []},
    ]}
    table = ledger_table(ledger=ledger)
    assert table.cells[0] == ["pubmed", "gat", "77.5 ± 0.6", "40", "79.0 ± 0.3", "292",
                              "238.4 ms", "CPU, 1 thread"]
    assert table.cells[1][-2:] == ["19.0 ms (100 at once)", "H200 GPU"]


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="dataset 'corra'"):
        ledger_table(datasets=["corra"])
    with pytest.raises(ValueError, match="model 'gatt'"):
        ledger_table(models=["gatt"])


def test_html_cells_break_only_before_a_parenthesis():
    """In the book's narrow column a figure and its unit stay on one line."""
    ledger = {"rows": [
        {"dataset": "cora", "model": "gat", "metric": "accuracy", "status": "measured",
         "mean": 83.2, "std": 0.7, "num_seeds": 100, "mean_epochs": 822, "stacked": 100,
         "mean_time_per_epoch": 0.019, "median_time_per_epoch": 0.019,
         "machine": {"cpu": "x", "torch_threads": 1, "device": "cpu"}, "runs": []},
    ]}
    page = ledger_table(ledger=ledger).to_html()
    assert ">83.2&nbsp;±&nbsp;0.7<" in page
    assert ">19.0&nbsp;ms (100&nbsp;at&nbsp;once)<" in page
    assert ">CPU, 1 thread<" in page  # the last column may wrap
    assert ">Time / epoch<" in page  # headers wrap as usual
