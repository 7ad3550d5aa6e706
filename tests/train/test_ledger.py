import json

import pytest

from gattut.data.synthetic import contextual_sbm
from gattut.train import ledger as ledger_module
from gattut.train.ledger import PAPER, render_markdown, run_ledger


@pytest.fixture
def fake_cora(monkeypatch):
    """Run the ledger on a small synthetic graph that stands in for Cora."""
    import gattut.train.registry as registry

    graph = contextual_sbm(num_nodes=90, num_classes=3, p_in=0.1, p_out=0.01, num_features=6,
                           seed=0, train_per_class=5)
    real = registry.load_dataset
    monkeypatch.setattr(registry, "load_dataset", lambda name: graph if name == "cora" else real(name))


def test_rows_are_written_and_continued(fake_cora, tmp_path, monkeypatch):
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "no-data"))
    quiet = lambda s: None  # noqa: E731
    ledger = run_ledger(tmp_path, seeds=2, datasets=["cora"], models=["mlp"], device="cpu",
                        max_epochs=5, log=quiet)
    row = next(r for r in ledger["rows"] if (r["dataset"], r["model"]) == ("cora", "mlp"))
    assert row["status"] == "measured" and row["num_seeds"] == 2
    assert [r["seed"] for r in row["runs"]] == [0, 1]
    assert all(r["code"] for r in row["runs"])  # the commit each seed ran with
    assert row["std"] is not None and 0 <= row["mean"] <= 100
    # A second run keeps seeds 0 and 1 and adds only seed 2.
    ledger = run_ledger(tmp_path, seeds=3, datasets=["cora"], models=["mlp"], device="cpu",
                        max_epochs=5, log=quiet)
    row = next(r for r in ledger["rows"] if (r["dataset"], r["model"]) == ("cora", "mlp"))
    assert [r["seed"] for r in row["runs"]] == [0, 1, 2]
    saved = json.loads((tmp_path / "ledger.json").read_text())
    assert saved["rows"] == ledger["rows"]
    text = (tmp_path / "ledger.md").read_text()
    assert "| cora | mlp |" in text and "| 3 |" in text
    assert "| cora | gat | not run | 0 | 83.0 +- 0.7" in text


def test_missing_data_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "no-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ledger = run_ledger(tmp_path, seeds=1, datasets=["pubmed", "ppi"], device="cpu", log=lambda s: None)
    status = {(r["dataset"], r["model"]): r["status"] for r in ledger["rows"]}
    assert status[("pubmed", "gat")] == "not run: data not available"
    assert status[("ppi", "gat")] == "not run: data not available"
    assert "| ppi | gat | not run: data not available | 0 | 0.973 +- 0.002" in render_markdown(ledger)


def test_paper_numbers():
    assert PAPER[("cora", "gat")][:2] == (83.0, 0.7)
    assert PAPER[("citeseer", "gat")][:2] == (72.5, 0.7)
    assert PAPER[("pubmed", "gat")][:2] == (79.0, 0.3)
    assert PAPER[("ppi", "gat")][:2] == (0.973, 0.002)
    assert PAPER[("cora", "gcn")][0] == 81.5 and PAPER[("citeseer", "gcn")][0] == 70.3


def test_machine_info_names_cpu_and_torch():
    info = ledger_module.machine_info("cpu")
    assert info["torch"] and info["cpu"] and info["torch_threads"] >= 1


def test_stacked_rows_run_seeds_side_by_side(fake_cora, tmp_path, monkeypatch):
    """--stacked R: seeds in groups of R, each run marked, the row's time and mode in the table."""
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "no-data"))
    ledger = run_ledger(tmp_path, seeds=3, datasets=["cora"], models=["gat"], device="cpu",
                        max_epochs=4, log=lambda s: None, stacked=2)
    row = next(r for r in ledger["rows"] if (r["dataset"], r["model"]) == ("cora", "gat"))
    assert [r["seed"] for r in row["runs"]] == [0, 1, 2]
    assert [r["stacked"] for r in row["runs"]] == [2, 2, 1]
    assert row["stacked"] == 2 and row["wall_s"] > 0
    assert "(2 seeds at once)" in render_markdown(ledger)
