"""Every training entry point refuses bad input before any epoch: ValueError (TypeError for a
bad call, FileNotFoundError for a missing file) naming the problem, with the model's weights
unchanged and nothing written."""

from __future__ import annotations

import copy
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from gattut import set_seed
from gattut.graph import GCN, MLP
from gattut.train.checkpoint import CheckpointMismatchError, load_checkpoint
from gattut.train.ledger import run_ledger
from gattut.train.loop import TrainConfig, fit_inductive, fit_transductive
from gattut.train.runner import check_run, run_seeds, summarize
from gattut.train.seeds import fit_stacked
from gattut.train.stacked import stack_models


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def _config(tmp_path, **kw):
    return TrainConfig(device="cpu", progress=False, max_epochs=3,
                       checkpoint=str(tmp_path / "c.pt"), **kw)


def _graphs(g):
    """Graphs that are wrong in one way each, most of them only after construction."""
    long_mask = copy.copy(g)
    long_mask.train_mask = g.train_mask.long()  # 0/1 as long: indexing would read node ids
    high_label = copy.copy(g)
    y = g.y.clone()
    y[g.test_mask.nonzero()[0]] = 7  # out of range on a test node only
    high_label.y = y
    return [
        (long_mask, "Graph.train_mask must be a .* bool tensor.*use mask.bool\\(\\)"),
        (high_label, "label 7 is out of range for a model with 3 outputs"),
        (replace(g, y=None), "needs a graph with y"),
        (replace(g, val_mask=torch.zeros_like(g.val_mask)), "val_mask selects no node"),
        ((g.x, g.edge_index), "expects a gattut Graph, got tuple"),
    ]


_CASES = ["long-mask", "label", "no-y", "empty-val", "not-a-graph"]
# An inductive graph needs no masks, so an empty validation mask is no error there.
_TRAINER_CASES = [(t, c) for t in ("serial", "stacked", "inductive") for c in range(5)
                  if not (t == "inductive" and _CASES[c] == "empty-val")]


@pytest.mark.parametrize("trainer, case", _TRAINER_CASES,
                         ids=[f"{t}-{_CASES[c]}" for t, c in _TRAINER_CASES])
def test_bad_graphs_are_refused_before_training(tiny_graph, tmp_path, case, trainer):
    graph, match = _graphs(tiny_graph)[case]
    set_seed(0)
    model = GCN(tiny_graph.num_features, 3)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=match):
        if trainer == "serial":
            fit_transductive(model, graph, _config(tmp_path))
        elif trainer == "stacked":
            stacked = stack_models([model])
            fit_stacked(stacked, graph, replace(_config(tmp_path), checkpoint=None))
        else:
            fit_inductive(model, [graph], [graph], [graph], _config(tmp_path))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("settings, match", [
    ({"lr": 0.0}, "lr must be > 0"),
    ({"max_epochs": 0}, "max_epochs must be >= 1"),
    ({"patience": 0}, "patience must be >= 1"),
    ({"checkpoint_every": 0}, "checkpoint_every must be >= 1"),
    ({"weight_decay": -1.0}, "weight_decay must be >= 0"),
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"monitor": "accuracy"}, "monitor must be 'both', 'metric' or 'loss'"),
    ({"resume": True, "checkpoint": None}, "resume=True needs a checkpoint"),
    ({"checkpoint": "{tmp}"}, "is a directory; name a file"),
])
def test_train_config_is_checked_before_training(tiny_graph, tmp_path, settings, match):
    settings = {k: (v.replace("{tmp}", str(tmp_path)) if isinstance(v, str) else v)
                for k, v in settings.items()}
    model = MLP(tiny_graph.num_features, 3)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=match):
        fit_transductive(model, tiny_graph, TrainConfig(device="cpu", progress=False, **settings))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("call, error, match", [
    (lambda: check_run("gin", "cora", [0]), ValueError, "unknown model 'gin'; choose one of"),
    (lambda: check_run("gat", "reddit", [0]), ValueError, "unknown dataset 'reddit'"),
    (lambda: check_run("gcn", "ppi", [0]), ValueError, "not set up for PPI"),
    (lambda: check_run("gat", "cora", []), ValueError, "no seeds"),
    (lambda: check_run("gat", "cora", [-1]), ValueError, "seeds must be ints in"),
    (lambda: check_run("gat", "cora", [0], stacked=0), ValueError, "stacked must be >= 1"),
    (lambda: check_run("gat", "ppi", [0], stacked=2), ValueError, "one-graph dataset"),
    (lambda: check_run("gat", "cora", [0], stacked=2, bf16=True), ValueError,
     "stacked cannot be combined with bf16"),
    (lambda: check_run("gat", "cora", [0], lr=-1.0), ValueError, "lr must be > 0"),
    (lambda: check_run("gat", "cora", [0], bogus=1), TypeError, "bogus"),
    (lambda: summarize([]), ValueError, "at least one run"),
    (lambda: fit_stacked(GCN(8, 3), None), ValueError, "expects a StackedModel"),
], ids=["model", "dataset", "pair", "no-seeds", "seed", "stacked", "stacked-ppi", "stacked-bf16",
        "lr", "unknown-setting", "summarize", "not-stacked"])
def test_runner_refuses_before_reading_data(call, error, match, monkeypatch):
    import gattut.train.registry as registry

    monkeypatch.setattr(registry, "load_dataset", lambda name: pytest.fail("data was read"))
    with pytest.raises(error, match=match):
        call()


def test_run_seeds_refuses_an_existing_checkpoint_before_training(tiny_graph, tmp_path):
    file = tmp_path / "c.pt"
    file.write_bytes(b"an older run")
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match="c.pt exists; pass --resume"):
        run_seeds("mlp", "csbm", [0], tiny_graph, device="cpu", checkpoint=str(file))
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("content, error, match", [
    (None, FileNotFoundError, "no checkpoint at"),
    ("dir", CheckpointMismatchError, "is a directory"),
    (b"", CheckpointMismatchError, "is empty"),
    (b"PK\x03\x04 truncated", CheckpointMismatchError, "truncated or corrupt"),
    (b"\x80\x04garbage" * 8, CheckpointMismatchError, "not a gattut checkpoint"),
    (b"hello world, not a checkpoint" * 10, CheckpointMismatchError, "KeyError.*truncated or corrupt"),
    (b"caf\xe9 au lait\n" * 5, CheckpointMismatchError, "UnicodeDecodeError.*truncated or corrupt"),
    (b"\x80 text", CheckpointMismatchError, "IndexError.*truncated or corrupt"),
], ids=["missing", "directory", "empty", "truncated", "junk", "text", "latin-1", "cut pickle"])
def test_load_checkpoint_names_the_file_and_the_problem(tmp_path, content, error, match):
    file = tmp_path / "c.pt"
    if content == "dir":
        file.mkdir()
    elif content is not None:
        file.write_bytes(content)
    before = snapshot(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error alone, no pickle-protocol warning from torch
        with pytest.raises(error, match=match) as info:
            load_checkpoint(file)
    assert "c.pt" in str(info.value) and "weights_only=False" not in str(info.value)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("text, match", [
    ("{ not json", "ledger.json is not a ledger \\(not readable JSON"),
    ('["a", "list"]', "ledger.json is not a ledger \\(no list of rows\\)"),
])
def test_a_ledger_that_is_not_one_is_named_and_kept(tmp_path, text, match):
    (tmp_path / "ledger.json").write_text(text)
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=match):
        run_ledger(tmp_path, seeds=1, datasets=["cora"], models=["mlp"], device="cpu",
                   log=lambda s: None)
    assert snapshot(tmp_path) == before
