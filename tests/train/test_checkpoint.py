import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from gattut import set_seed
from gattut.train.checkpoint import (
    CheckpointMismatchError,
    load_checkpoint,
    model_signature,
    save_checkpoint,
)
from gattut.train.loop import TrainConfig, fit_transductive

from .helpers import TinyGNN

ROOT = Path(__file__).resolve().parents[2]


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path):
    file = tmp_path / "sub" / "c.pt"
    model = TinyGNN(4, 2)
    save_checkpoint(file, {"signature": model_signature(model), "epoch": 1})
    save_checkpoint(file, {"signature": model_signature(model), "epoch": 2})
    assert sorted(p.name for p in file.parent.iterdir()) == ["c.pt"]
    assert load_checkpoint(file, model)["epoch"] == 2


def test_a_failed_save_keeps_the_old_checkpoint(tmp_path):
    file = tmp_path / "c.pt"
    model = TinyGNN(4, 2)
    save_checkpoint(file, {"signature": model_signature(model), "epoch": 1})
    with pytest.raises((AttributeError, pickle.PicklingError)):  # a lambda cannot be pickled
        save_checkpoint(file, {"signature": model_signature(model), "bad": lambda: None})
    assert load_checkpoint(file)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


def test_signature_holds_class_repr_and_shapes():
    sig = model_signature(TinyGNN(4, 2))
    assert sig["class"] == "TinyGNN"
    assert sig["shapes"] == {"lin.weight": [2, 4], "lin.bias": [2]}
    assert "Linear(in_features=4" in sig["repr"]


def test_checkpoint_from_another_class_is_refused(tmp_path):
    file = save_checkpoint(tmp_path / "c.pt", {"signature": model_signature(torch.nn.Linear(4, 2))})
    with pytest.raises(CheckpointMismatchError, match="Linear model, not a TinyGNN"):
        load_checkpoint(file, TinyGNN(4, 2))


def test_checkpoint_with_other_shapes_is_refused(tmp_path):
    file = save_checkpoint(tmp_path / "c.pt", {"signature": model_signature(TinyGNN(4, 3))})
    with pytest.raises(CheckpointMismatchError, match=r"lin.weight \[3, 4\] vs \[2, 4\]"):
        load_checkpoint(file, TinyGNN(4, 2))


def test_not_a_checkpoint(tmp_path):
    torch.save({"x": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointMismatchError, match="not a gattut training checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def test_resume_refuses_other_settings(tiny_graph, tmp_path):
    def config(**kw):
        return TrainConfig(device="cpu", progress=False, max_epochs=4, patience=100,
                           checkpoint=str(tmp_path / "c.pt"), checkpoint_every=2, **kw)

    set_seed(0)
    fit_transductive(TinyGNN(8, 3), tiny_graph, config())
    with pytest.raises(CheckpointMismatchError, match="lr=0.005 \\(now 0.1\\)"):
        fit_transductive(TinyGNN(8, 3), tiny_graph, config(resume=True, lr=0.1))


# The training script the kill test runs: a tiny model that sleeps in each training
# forward (so the test can kill it between checkpoints) but computes the same numbers.
SCRIPT = textwrap.dedent("""
    import json, sys, time
    import torch
    torch.set_num_threads(1)
    from gattut import set_seed
    from gattut.data.synthetic import contextual_sbm
    from gattut.train.loop import TrainConfig, fit_transductive
    sys.path.insert(0, sys.argv[1])
    from helpers import TinyGNN

    class Slow(TinyGNN):
        def forward(self, x, edge_index):
            if self.training and SLEEP:
                time.sleep(SLEEP)
            return super().forward(x, edge_index)

    mode, out = sys.argv[2], sys.argv[3]
    SLEEP = 0.05 if mode == "killed" else 0.0
    graph = contextual_sbm(num_nodes=120, num_classes=3, p_in=0.08, p_out=0.01, num_features=8,
                           feature_noise=1.5, seed=1, train_per_class=10)

    def run(checkpoint=None, resume=False):
        set_seed(3)
        model = Slow(8, 3)
        config = TrainConfig(device="cpu", progress=False, max_epochs=80, patience=1000, lr=0.05,
                             seed=3, checkpoint=checkpoint, checkpoint_every=4, resume=resume)
        result = fit_transductive(model, graph, config).to_dict()
        result.pop("time_per_epoch")
        return result

    if mode == "killed":
        run(checkpoint=out + "/c.pt")
    else:  # resume the killed run, then run the same training without interruption
        resumed = run(checkpoint=out + "/c.pt", resume=True)
        whole = run()
        json.dump({"resumed": resumed, "whole": whole}, open(out + "/results.json", "w"))
""")


def test_a_killed_run_resumes_to_exactly_the_same_numbers(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    helpers = str(Path(__file__).parent)
    proc = subprocess.Popen([sys.executable, str(script), helpers, "killed", str(tmp_path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ckpt = tmp_path / "c.pt"
    deadline = time.monotonic() + 120
    try:
        while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ckpt.exists(), f"no checkpoint appeared: {proc.stderr.read().decode()[-2000:] if proc.poll() is not None else 'timeout'}"
        time.sleep(0.3)  # let it train past the checkpoint, so work after it is lost
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    saved = load_checkpoint(ckpt)
    assert not saved["finished"] and saved["epoch"] < 79

    done = subprocess.run([sys.executable, str(script), helpers, "resume", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["resumed"] == results["whole"]
    assert results["whole"]["epochs_run"] == 80


def test_a_run_ended_by_max_epochs_continues_when_max_epochs_grows(tiny_graph, tmp_path):
    def run(max_epochs, **kw):
        set_seed(0)
        config = TrainConfig(device="cpu", progress=False, max_epochs=max_epochs, patience=100,
                             lr=0.05, **kw)
        result = fit_transductive(TinyGNN(8, 3), tiny_graph, config).to_dict()
        result.pop("time_per_epoch")
        return result

    run(4, checkpoint=str(tmp_path / "c.pt"))
    continued = run(8, checkpoint=str(tmp_path / "c.pt"), resume=True)
    assert continued == run(8)


def test_a_checkpoint_of_an_older_format_is_refused_by_name(tiny_graph, tmp_path):
    """A checkpoint without the per-run epoch counts (written before the one loop) is named."""
    file = tmp_path / "c.pt"
    config = TrainConfig(device="cpu", progress=False, max_epochs=3, checkpoint=str(file))
    set_seed(0)
    fit_transductive(TinyGNN(8, 3), tiny_graph, config)
    state = load_checkpoint(file)
    del state["epochs_run"]
    save_checkpoint(file, state)
    set_seed(0)
    with pytest.raises(CheckpointMismatchError, match="c.pt was written by an older gattut"):
        fit_transductive(TinyGNN(8, 3), tiny_graph, replace(config, max_epochs=6, resume=True))
