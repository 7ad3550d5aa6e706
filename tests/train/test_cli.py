"""``python -m gattut``: error cases run in their own process, as a user would meet them.

Starting Python and importing torch costs seconds on a loaded 2-core box, so
the cases that only check arguments or a successful run call ``main`` in
this process; each kind of error (unknown name, no CUDA, missing data, a
checkpoint from another model) is checked once in a subprocess.
"""

import json
import os
import subprocess
import sys

import pytest
import torch

from gattut.__main__ import main


def gattut(*args, env=None, cwd=None):
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "gattut", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=300)


def assert_one_line_error(done, *words):
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("gattut: error: ")
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0]


def test_help_lists_datasets_and_models(capsys):
    for args in (["--help"], ["train", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        for name in ("cora", "citeseer", "pubmed", "ppi", "gat", "gatv2", "gcn", "mlp"):
            assert name in text


def test_unknown_name_in_a_process():
    assert_one_line_error(gattut("train", "--dataset", "reddit"), "unknown dataset 'reddit'", "cora")


@pytest.mark.parametrize("args, words", [
    (["train", "--dataset", "csbm", "--model", "gin"], ["unknown model 'gin'", "gatv2"]),
    (["reproduce", "--models", "gat,gin"], ["unknown model 'gin'"]),
    (["train", "--bogus"], ["unrecognized arguments"]),
    (["train", "--dataset", "csbm", "--resume"], ["--resume needs --checkpoint"]),
    (["train", "--dataset", "csbm", "--stacked", "2", "--bf16"], ["--stacked cannot", "--bf16"]),
    (["train", "--dataset", "ppi", "--stacked", "2"], ["one-graph dataset"]),
    (["train", "--dataset", "csbm", "--stacked", "0"], ["--stacked must be >= 1"]),
    (["reproduce", "--stacked", "0"], ["--stacked must be >= 1"]),
])
def test_usage_errors(args, words, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gattut: error: ")
    for word in words:
        assert word in err[0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_asked_for_and_absent():
    assert_one_line_error(gattut("train", "--dataset", "csbm", "--device", "cuda"),
                          "CUDA is not available")


def test_missing_dataset(tmp_path):
    env = {"GATTUT_DATA": str(tmp_path / "none"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "GATTUT_OFFLINE": "1"}
    assert_one_line_error(gattut("train", "--dataset", "pubmed", env=env),
                          "dataset 'pubmed' is not available")


def test_train_json_checkpoint_and_refusals(tmp_path, capsys):
    ckpt, out = tmp_path / "c.pt", tmp_path / "out.json"
    code = main(["train", "--dataset", "csbm", "--model", "mlp", "--epochs", "6", "--seeds", "2",
                 "--device", "cpu", "--no-progress", "--checkpoint", str(ckpt), "--json", str(out)])
    assert code == 0
    assert "csbm mlp: test accuracy" in capsys.readouterr().out
    summary = json.loads(out.read_text())
    assert summary["seeds"] == [0, 1] and len(summary["runs"]) == 2
    seed0 = tmp_path / "c.seed0.pt"
    before = seed0.read_bytes()

    # The checkpoint of an MLP offered to a GAT: refused, nothing written.
    other = tmp_path / "other.json"
    done = gattut("train", "--dataset", "csbm", "--model", "gat", "--epochs", "6", "--seeds", "2",
                  "--device", "cpu", "--checkpoint", str(ckpt), "--resume", "--json", str(other))
    assert_one_line_error(done, "MLP model, not a GAT")
    assert seed0.read_bytes() == before and not other.exists()

    # An existing checkpoint without --resume is not overwritten.
    code = main(["train", "--dataset", "csbm", "--model", "mlp", "--epochs", "6", "--seeds", "2",
                 "--device", "cpu", "--checkpoint", str(ckpt)])
    assert code == 2 and "exists; pass --resume" in capsys.readouterr().err
    assert seed0.read_bytes() == before

    # With --resume, the finished runs are read back, not retrained: same numbers.
    again = tmp_path / "again.json"
    code = main(["train", "--dataset", "csbm", "--model", "mlp", "--epochs", "6", "--seeds", "2",
                 "--device", "cpu", "--no-progress", "--checkpoint", str(ckpt), "--resume",
                 "--json", str(again)])
    assert code == 0
    first, second = json.loads(out.read_text()), json.loads(again.read_text())
    assert [r["test_metric"] for r in first["runs"]] == [r["test_metric"] for r in second["runs"]]


def test_train_on_cora(require_data, tmp_path):
    require_data("planetoid/ind.cora.x", "planetoid/ind.cora.graph")
    code = main(["train", "--dataset", "cora", "--model", "gat", "--epochs", "2", "--device", "cpu",
                 "--no-progress", "--json", str(tmp_path / "r.json")])
    assert code == 0
    run = json.loads((tmp_path / "r.json").read_text())["runs"][0]
    assert run["epochs_run"] == 2 and run["device"] == "cpu"


def test_train_stacked_seeds(tmp_path, capsys):
    """--stacked 3 trains seeds 0-2 at once: one line per seed, the summary, and the JSON."""
    out = tmp_path / "runs.json"
    assert main(["train", "--dataset", "csbm", "--model", "gat", "--seeds", "3", "--stacked", "3",
                 "--epochs", "5", "--device", "cpu", "--no-progress", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert all(f"seed {k}: test accuracy" in printed for k in range(3))
    assert "ms/epoch of 3 seeds at once on cpu" in printed
    saved = json.loads(out.read_text())
    assert saved["seeds"] == [0, 1, 2] and [r["seed"] for r in saved["runs"]] == [0, 1, 2]


def test_monitor_flag_sets_the_early_stopping_rule(tmp_path, capsys):
    """--monitor metric reaches the run (its checkpoint records it); a resume with the other rule
    is refused, and an unknown rule is a usage error."""
    ckpt = tmp_path / "m.pt"
    assert main(["train", "--dataset", "csbm", "--model", "mlp", "--epochs", "4", "--device", "cpu",
                 "--no-progress", "--monitor", "metric", "--checkpoint", str(ckpt)]) == 0
    capsys.readouterr()
    assert torch.load(ckpt, weights_only=True)["config"]["monitor"] == "metric"
    done = gattut("train", "--dataset", "csbm", "--model", "mlp", "--epochs", "4", "--device",
                  "cpu", "--checkpoint", str(ckpt), "--resume")
    assert_one_line_error(done, "monitor='metric' (now 'both')")
    done = gattut("train", "--dataset", "csbm", "--monitor", "accuracy")
    assert done.returncode == 2 and "invalid choice: 'accuracy'" in done.stderr
