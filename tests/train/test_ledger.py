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


def _run(seed, seconds):
    return {"seed": seed, "metric": "accuracy", "test_metric": 0.8, "epochs_run": 300,
            "time_per_epoch": seconds, "code": "abc"}


def test_time_per_epoch_column_is_the_median(tmp_path):
    """A run slowed by a pause (8.5 s an epoch) moves the mean, not the column."""
    row = {"dataset": "pubmed", "model": "gat", "metric": "accuracy", "status": "measured",
           "runs": [_run(0, 0.27), _run(1, 0.28), _run(2, 8.5)],
           "machine": {"cpu": "x", "torch_threads": 1, "cpu_count": 2, "torch": "2",
                       "device": "cpu"}}
    ledger_module._summary(row)
    assert row["median_time_per_epoch"] == 0.28 and row["mean_time_per_epoch"] > 3
    text = render_markdown({"rows": [row]})
    assert "| 280.0 ms |" in text and "3016.7 ms" not in text
    assert "Time / epoch (median)" in text


def test_an_older_ledger_gets_the_newer_summary_keys(tmp_path):
    """A ledger.json written before the median existed renders after reading."""
    row = {"dataset": "cora", "model": "mlp", "metric": "accuracy", "status": "measured",
           "mean": 80.0, "std": None, "num_seeds": 1, "mean_epochs": 300.0,
           "mean_time_per_epoch": 0.01, "runs": [_run(0, 0.01)],
           "machine": {"cpu": "x", "torch_threads": 1, "cpu_count": 2, "torch": "2",
                       "device": "cpu"}}
    (tmp_path / "ledger.json").write_text(json.dumps({"rows": [row]}))
    ledger = ledger_module.read_ledger(tmp_path)
    assert ledger["rows"][0]["median_time_per_epoch"] == 0.01
    assert "| 10.0 ms |" in render_markdown(ledger)


def test_two_processes_fill_one_row_and_merge_run_by_run(fake_cora, tmp_path, monkeypatch):
    """--seed-start in a second folder, then merge_ledgers(runs=True): the row of one process."""
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "no-data"))
    quiet = lambda s: None  # noqa: E731
    common = dict(datasets=["cora"], models=["mlp"], device="cpu", max_epochs=5, log=quiet)
    first = run_ledger(tmp_path / "a", seeds=2, **common)
    second = run_ledger(tmp_path / "b", seeds=1, seed_start=2, **common)
    assert [r["seed"] for r in _row(second, "cora", "mlp")["runs"]] == [2]
    lines = ledger_module.merge_ledgers(second, first, ["cora"], ["mlp"], runs=True)
    assert lines == [lines[0]] and lines[0].startswith("cora mlp: 3 seeds")
    merged = _row(first, "cora", "mlp")
    whole = _row(run_ledger(tmp_path / "c", seeds=3, **common), "cora", "mlp")
    key = lambda r: (r["seed"], r["test_metric"], r["epochs_run"])  # noqa: E731
    assert [key(r) for r in merged["runs"]] == [key(r) for r in whole["runs"]]
    assert (merged["num_seeds"], merged["mean"], merged["std"]) == (
        whole["num_seeds"], whole["mean"], whole["std"])
    # Merging again adds nothing; a seed that disagrees, or another machine, is refused.
    ledger_module.merge_ledgers(second, first, runs=True)
    assert _row(first, "cora", "mlp")["num_seeds"] == 3
    _row(second, "cora", "mlp")["runs"][0]["test_metric"] += 0.01
    with pytest.raises(ValueError, match="seed 2 is in both ledgers with different results"):
        ledger_module.merge_ledgers(second, first, runs=True)
    _row(second, "cora", "mlp")["machine"]["torch_threads"] = 7
    with pytest.raises(ValueError, match="different machines"):
        ledger_module.merge_ledgers(second, first, runs=True)
    # Without runs=True the row is replaced whole.
    ledger_module.merge_ledgers(second, first, runs=False)
    assert _row(first, "cora", "mlp")["num_seeds"] == 1
    with pytest.raises(ValueError, match="has no such row"):
        ledger_module.merge_ledgers(second, {"rows": []})


def _row(ledger, dataset, model):
    return next(r for r in ledger["rows"] if (r["dataset"], r["model"]) == (dataset, model))


def test_merge_script_adds_runs_and_names_bad_input(tmp_path):
    """benchmarks/reproduce.py merge --runs on two ledger folders; a bad one exits 2, named."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "reproduce.py"
    machine = {"cpu": "x", "torch_threads": 1, "cpu_count": 2, "torch": "2", "device": "cpu"}
    for name, seeds in (("a", [0, 1]), ("b", [2])):
        row = {"dataset": "cora", "model": "mlp", "metric": "accuracy", "machine": machine,
               "runs": [_run(s, 0.01) for s in seeds]}
        ledger_module._summary(row)
        (tmp_path / name).mkdir()
        (tmp_path / name / "ledger.json").write_text(json.dumps({"rows": [row]}))
    done = subprocess.run([sys.executable, str(script), "merge", str(tmp_path / "b"),
                           str(tmp_path / "a"), "--runs"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "cora mlp: 3 seeds" in done.stdout
    merged = json.loads((tmp_path / "a" / "ledger.json").read_text())
    assert [r["seed"] for r in merged["rows"][0]["runs"]] == [0, 1, 2]
    assert "| cora | mlp | 80.0 +- 0.0 | 3 |" in (tmp_path / "a" / "ledger.md").read_text()
    done = subprocess.run([sys.executable, str(script), "merge", str(tmp_path / "b"),
                           str(tmp_path / "missing")], capture_output=True, text=True)
    assert done.returncode == 2 and "no ledger.json in" in done.stderr
