"""``python -m gattut``: every user error is one line on stderr and exit status 2, before any work.

Each case runs ``main`` in this process (starting Python and torch costs
seconds a case), with training replaced by a function that fails the test:
an error found after training started would show up as that failure. The
folder the case may write to is compared before and after: nothing is
written or changed. ``tests/train/test_cli.py`` runs a few cases in their
own process, as a user meets them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import gattut.train.runner as runner
from gattut.__main__ import main


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def files(tmp_path):
    """A folder with a directory, a plain file, a good checkpoint and three broken ones."""
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "a_file").write_text("not a folder\n")
    good = tmp_path / "good.pt"
    assert main(["train", "--dataset", "csbm", "--model", "mlp", "--epochs", "2", "--device",
                 "cpu", "--no-progress", "--checkpoint", str(good)]) == 0
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "truncated.pt").write_bytes(good.read_bytes()[:1500])
    (tmp_path / "junk.pt").write_bytes(b"\x80\x04 not a checkpoint at all" * 10)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "ledger.json").write_text("{ this is not JSON")
    return tmp_path


def _cases():
    t = ["train", "--dataset", "csbm", "--model", "mlp", "--device", "cpu", "--no-progress"]
    return [
        (t + ["--epochs", "0"], ["--epochs must be >= 1, got 0"]),
        (t + ["--epochs", "-3"], ["--epochs must be >= 1, got -3"]),
        (t + ["--patience", "0"], ["--patience must be >= 1"]),
        (t + ["--lr", "-0.1"], ["--lr must be > 0"]),
        (t + ["--weight-decay", "-1"], ["--weight-decay must be >= 0"]),
        (t + ["--checkpoint-every", "0"], ["--checkpoint-every must be >= 1"]),
        (t + ["--seed-start", "-1"], ["--seed-start must be >= 0"]),
        (t + ["--seeds", "0"], ["--seeds must be >= 1"]),
        (t + ["--threads", "0"], ["--threads must be >= 1"]),
        (t + ["--stacked", "0"], ["--stacked must be >= 1"]),
        (t + ["--device", "tpu"], ["unknown device 'tpu'"]),
        (t + ["--epochs", "many"], ["--epochs", "invalid int value"]),
        (["train", "--dataset", "reddit"], ["unknown dataset 'reddit'", "cora"]),
        (["train", "--dataset", "csbm", "--model", "gin"], ["unknown model 'gin'"]),
        (["train", "--dataset", "ppi", "--model", "gcn"], ["not set up for PPI"]),
        (t + ["--resume"], ["--resume needs --checkpoint"]),
        (t + ["--json", "{tmp}/a_dir"], ["--json", "a_dir is a directory"]),
        (t + ["--json", "{tmp}/a_file/out.json"], ["a_file is a file, not a directory"]),
        (t + ["--checkpoint", "{tmp}/a_dir", "--resume"], ["a_dir is a directory"]),
        (t + ["--checkpoint", "{tmp}/a_file/c.pt"], ["a_file is a file, not a directory"]),
        (t + ["--checkpoint", "{tmp}/good.pt"], ["good.pt exists; pass --resume"]),
        (t + ["--checkpoint", "{tmp}/empty.pt", "--resume"], ["empty.pt is empty"]),
        (t + ["--checkpoint", "{tmp}/truncated.pt", "--resume"], ["truncated.pt", "truncated"]),
        (t + ["--checkpoint", "{tmp}/junk.pt", "--resume"], ["junk.pt is not a gattut checkpoint"]),
        (["train", "--dataset", "csbm", "--model", "gat", "--checkpoint", "{tmp}/good.pt",
          "--resume"], ["MLP model, not a GAT"]),
        (t + ["--stacked", "2", "--checkpoint", "{tmp}/c.pt"], ["--stacked cannot", "--checkpoint"]),
        (t + ["--fanouts", "10"], ["--fanouts needs one value per layer", "2 layers"]),
        (t + ["--fanouts", "10,10,10"], ["the model has 2 layers, got [10, 10, 10]"]),
        (t + ["--fanouts", "10,0"], ["--fanouts must be >= 1 or -1", "got 0"]),
        (t + ["--fanouts", "10,-2"], ["--fanouts must be >= 1 or -1", "got -2"]),
        (t + ["--fanouts", "10,a"], ["--fanouts must be comma-separated ints", "'10,a'"]),
        (t + ["--fanouts", "10,10", "--batch-size", "0"], ["--batch-size must be an int >= 1"]),
        (t + ["--fanouts", "10,10", "--batch-size", "-5"], ["--batch-size must be an int >= 1"]),
        (t + ["--batch-size", "8"], ["--batch-size (nodes per mini-batch) needs --fanouts"]),
        (t + ["--fanouts", "5,5", "--stacked", "2"], ["--fanouts", "cannot be combined with --stacked"]),
        (["train", "--dataset", "ppi", "--fanouts", "5,5"], ["need a one-graph dataset", "ppi"]),
        (["reproduce", "--out", "{tmp}/a_file"], ["--out", "a_file is a file"]),
        (["reproduce", "--out", "{tmp}/results"], ["ledger.json is not a ledger"]),
        (["reproduce", "--seeds", "0"], ["--seeds must be >= 1"]),
        (["reproduce", "--seed-start", "-1"], ["--seed-start must be >= 0"]),
        (["reproduce", "--threads", "0", "--out", "{tmp}/new"], ["--threads must be >= 1"]),
        (["reproduce", "--datasets", "csbm"], ["'csbm' has no ledger row"]),
        (["reproduce", "--models", "gat,gin"], ["unknown model 'gin'"]),
    ]


@pytest.mark.parametrize("args, words", _cases(), ids=lambda v: " ".join(v) if v and
                         isinstance(v[0], str) and v[0] in ("train", "reproduce") else None)
def test_one_line_exit_2_nothing_written(files, monkeypatch, capsys, args, words):
    def trained(*a, **k):
        raise AssertionError("training started before the error was found")

    monkeypatch.setattr(runner, "run_seeds", trained)
    monkeypatch.chdir(files)
    capsys.readouterr()
    before = snapshot(files)
    args = [a.replace("{tmp}", str(files)) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gattut: error: "), err
    for word in words:
        assert word in err[0], err[0]
    assert snapshot(files) == before


NO_GPU = pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="NCCL has GPUs here")


@pytest.mark.parametrize("world, args, words", [
    (None, ["--backend", "gloo"], ["--backend and --split are for runs started by torchrun"]),
    (None, ["--split", "metis"], ["--backend and --split are for runs started by torchrun"]),
    (None, ["--backend", "mpi"], ["unknown backend 'mpi'"]),
    (None, ["--split", "halves"], ["--split", "invalid choice: 'halves'"]),
    pytest.param(None, ["--backend", "nccl"], ["backend nccl needs CUDA GPUs"], marks=NO_GPU),
    pytest.param(2, ["--fanouts", "5,5", "--backend", "nccl"], ["backend nccl needs CUDA GPUs",
                                                                "--backend gloo"], marks=NO_GPU),
    (2, [], ["under torchrun the processes train on mini-batches: add --fanouts"]),
    (31, ["--fanouts", "5,5"], ["world size 31 is larger than the training set",
                                "30 training nodes in csbm"]),
    (2, ["--fanouts", "5,5", "--batch-size", "0"], ["--batch-size must be an int >= 1"]),
], ids=lambda v: " ".join(map(str, v)) if isinstance(v, list) else str(v))
def test_distributed_errors_one_line_exit_2(files, monkeypatch, capsys, world, args, words):
    """Under torchrun (its RANK and WORLD_SIZE set) or not: refused before any process joins a group."""
    import torch.distributed as dist

    monkeypatch.setattr(runner, "run_seeds", lambda *a, **k: pytest.fail("trained"))
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    if world is not None:
        monkeypatch.setenv("RANK", "0")
        monkeypatch.setenv("WORLD_SIZE", str(world))
    monkeypatch.chdir(files)
    before = snapshot(files)
    t = ["train", "--dataset", "csbm", "--model", "mlp", "--device", "cpu", "--no-progress"]
    assert main(t + args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gattut: error: "), err
    for word in words:
        assert word in err[0], err[0]
    assert snapshot(files) == before and not dist.is_initialized()


def test_checksum_error_in_the_data(require_data, tmp_path, monkeypatch, capsys):
    """A data file whose sha256 is wrong: one line naming the file, nothing trained."""
    real = require_data("planetoid/ind.cora.x")
    root = tmp_path / "data" / "planetoid"
    root.mkdir(parents=True)
    for f in Path(real).parent.glob("ind.cora.*"):
        (root / f.name).symlink_to(f)
    (root / "ind.cora.graph").unlink()
    (root / "ind.cora.graph").write_bytes(b"corrupt")
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(runner, "run_seeds", lambda *a, **k: pytest.fail("trained"))
    before = snapshot(tmp_path)
    assert main(["train", "--dataset", "cora", "--epochs", "1", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checksum" in err[0] and "ind.cora.graph" in err[0]
    assert snapshot(tmp_path) == before
