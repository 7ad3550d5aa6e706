"""Tests for gattut.train.minibatch: mini-batch training trains, resumes exactly, runs under DDP,
and refuses bad settings by name."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.models import GAT, GCN, MLP, PPIGAT, GATv2
from gattut.train.loop import TrainConfig
from gattut.train.minibatch import check_minibatch, fit_minibatch
from gattut.utils import set_seed


def _config(**kw) -> TrainConfig:
    base = {"device": "cpu", "progress": False, "max_epochs": 6, "lr": 0.01, "patience": 100}
    return TrainConfig(**{**base, **kw})


def _fit(graph, cls=GCN, fanouts=(5, 5), batch_size=8, **kw):
    set_seed(0)
    model = cls(graph.num_features, graph.num_classes)
    config = kw.pop("config", _config())
    return model, fit_minibatch(model, graph, config, fanouts=list(fanouts), batch_size=batch_size,
                                **kw)


@pytest.mark.parametrize("cls", [GAT, GATv2, GCN, MLP])
def test_trains_every_model(tiny_graph, cls):
    _, result = _fit(tiny_graph, cls, config=_config(max_epochs=4))
    assert result.epochs_run == 4 and len(result.history["train_loss"]) == 4
    assert 0.0 <= result.test_metric <= 1.0


def test_learns_the_synthetic_classes(tiny_graph):
    _, result = _fit(tiny_graph, GCN, config=_config(max_epochs=15))
    assert result.history["train_loss"][-1] < result.history["train_loss"][0]
    assert result.test_metric > 0.6  # three classes: chance is 1/3


def test_same_seed_same_run_and_ids_equal_a_mask(tiny_graph):
    _, a = _fit(tiny_graph)
    _, b = _fit(tiny_graph, train_nodes=tiny_graph.train_mask)
    _, c = _fit(tiny_graph, train_nodes=tiny_graph.train_mask.nonzero().squeeze(1))
    assert a.history == b.history == c.history


def test_resume_gives_the_uninterrupted_run(tiny_graph, tmp_path):
    _, whole = _fit(tiny_graph, GAT, config=_config(max_epochs=6))
    file = tmp_path / "run.pt"
    _fit(tiny_graph, GAT, config=_config(max_epochs=3, checkpoint=str(file), checkpoint_every=1))
    model, resumed = _fit(tiny_graph, GAT, config=_config(max_epochs=6, checkpoint=str(file),
                                                          checkpoint_every=1, resume=True))
    assert resumed.history == whole.history
    assert resumed.test_metric == whole.test_metric


def test_resume_refuses_other_fanouts_or_a_full_batch_checkpoint(tiny_graph, tmp_path):
    """A run resumed with other batching is another run: refused, naming the old and new values."""
    from gattut.train.checkpoint import CheckpointMismatchError
    from gattut.train.loop import fit_transductive

    file = tmp_path / "run.pt"
    _fit(tiny_graph, GAT, config=_config(max_epochs=2, checkpoint=str(file)))
    resume = _config(max_epochs=4, checkpoint=str(file), resume=True)
    with pytest.raises(CheckpointMismatchError, match=r"fanouts=\[5, 5\] \(now \[4, 4\]\)"):
        _fit(tiny_graph, GAT, fanouts=(4, 4), config=resume)
    with pytest.raises(CheckpointMismatchError, match=r"drop_last=False \(now True\)"):
        _fit(tiny_graph, GAT, config=resume, drop_last=True)
    assert torch.load(file)["config"]["fanouts"] == [5, 5]  # the file is left as it was

    full = tmp_path / "full.pt"  # a full-batch checkpoint records no fanouts
    set_seed(0)
    fit_transductive(GAT(8, 3), tiny_graph, _config(max_epochs=2, checkpoint=str(full)))
    with pytest.raises(CheckpointMismatchError, match=r"fanouts=None \(now \[5, 5\]\)"):
        _fit(tiny_graph, GAT, config=_config(max_epochs=4, checkpoint=str(full), resume=True))


def test_resume_refuses_other_training_nodes(tiny_graph, tmp_path):
    """train_nodes are recorded by count and digest: a resume on other nodes is refused."""
    from gattut.train.checkpoint import CheckpointMismatchError

    ids = tiny_graph.train_mask.nonzero().squeeze(1)
    file = tmp_path / "run.pt"
    _fit(tiny_graph, GAT, train_nodes=ids, config=_config(max_epochs=2, checkpoint=str(file)))
    recorded = torch.load(file)["config"]["train_nodes"]
    assert recorded.startswith(f"{len(ids)} nodes, sha256 ")
    resume = _config(max_epochs=3, checkpoint=str(file), resume=True)
    other = rf"train_nodes='{recorded}' \(now '{len(ids) - 1} nodes"
    with pytest.raises(CheckpointMismatchError, match=other):
        _fit(tiny_graph, GAT, train_nodes=ids[1:], config=resume)
    with pytest.raises(CheckpointMismatchError, match="train_nodes="):
        _fit(tiny_graph, GAT, train_nodes=ids.flip(0), config=resume)  # the order draws the batches
    _, result = _fit(tiny_graph, GAT, train_nodes=tiny_graph.train_mask, config=resume)  # the same
    assert result.epochs_run == 3


def test_the_command_line_refuses_other_fanouts_on_resume_in_one_line(tmp_path, capsys):
    from gattut.__main__ import main

    cli = ["train", "--dataset", "csbm", "--model", "gcn", "--batch-size", "16", "--device", "cpu",
           "--no-progress", "--checkpoint", str(tmp_path / "run.pt")]
    assert main([*cli, "--fanouts", "4,4", "--epochs", "2"]) == 0
    capsys.readouterr()
    assert main([*cli, "--fanouts", "3,3", "--epochs", "4", "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gattut: error: ")
    assert "fanouts=[4, 4] (now [3, 3])" in err


def test_runs_inside_distributed_data_parallel(tiny_graph, tmp_path):
    """One gloo process: DDP's forward takes the blocks, and the result equals the plain model's."""
    dist = pytest.importorskip("torch.distributed")
    if not dist.is_available():
        pytest.skip("torch.distributed is not built in")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    try:
        set_seed(0)
        ddp = torch.nn.parallel.DistributedDataParallel(GCN(tiny_graph.num_features, 3))
        wrapped = fit_minibatch(ddp, tiny_graph, _config(), fanouts=[5, 5], batch_size=8)
    finally:
        dist.destroy_process_group()
    plain_model, plain = _fit(tiny_graph)
    assert wrapped.history == plain.history
    for a, b in zip(ddp.module.parameters(), plain_model.parameters()):
        torch.testing.assert_close(a, b)


def test_paper_gcn_on_cora_trains_in_a_few_epochs(require_data):
    require_data("planetoid/ind.cora.x", "planetoid/ind.cora.graph")
    from gattut.train.registry import build_model, load_dataset, paper_config

    graph = load_dataset("cora")
    set_seed(0)
    model = build_model("gcn", "cora", graph.num_features, graph.num_classes)
    config = paper_config("gcn", "cora", device="cpu", progress=False, max_epochs=20)
    result = fit_minibatch(model, graph, config, fanouts=[10, 10], batch_size=32)
    assert result.test_metric > 0.6  # seven classes; the largest is 30% of the nodes


@pytest.mark.parametrize("kw, message", [
    ({"fanouts": [5]}, "the model has 2 layers, got \\[5\\] \\(1 values\\)"),
    ({"fanouts": [5, 0]}, "fanouts must be >= 1 or -1"),
    ({"fanouts": [5, -3]}, "got -3"),
    ({"fanouts": [5, "a"]}, "fanouts must be ints"),
    ({"batch_size": 0}, "batch_size must be an int >= 1"),
    ({"batch_size": -4}, "batch_size must be an int >= 1"),
    ({"train_nodes": torch.ones(3, dtype=torch.bool)}, "mask must have shape"),
    ({"train_nodes": torch.zeros(2, 2, dtype=torch.long)}, "1-D tensor"),
    ({"config": _config(compile=True)}, "compile is not supported"),
])
def test_bad_settings_are_named(tiny_graph, kw, message):
    with pytest.raises(ValueError, match=message):
        _fit(tiny_graph, **kw)


def test_refuses_models_it_cannot_batch_and_labels_out_of_range(tiny_graph):
    with pytest.raises(ValueError, match="layer sequence"):
        fit_minibatch(PPIGAT(8, 3), tiny_graph, _config(), fanouts=[2, 2, 2], batch_size=4)
    with pytest.raises(ValueError, match="label 2 is out of range"):
        fit_minibatch(GCN(8, 2), tiny_graph, _config(), fanouts=[2, 2], batch_size=4)
    assert check_minibatch([-1, 10], 1, 2) == [-1, 10]


def test_run_seeds_takes_fanouts_and_a_batch_size(tiny_graph):
    """The one run path: run_seeds(..., fanouts=, batch_size=) trains each seed on mini-batches."""
    from gattut.train.runner import check_run, run_seeds

    runs = run_seeds("gcn", "csbm", [0, 1], tiny_graph, fanouts=[5, 5], batch_size=8,
                     max_epochs=3, device="cpu", progress=False)
    assert [r.seed for r in runs] == [0, 1] and all(r.epochs_run == 3 for r in runs)
    with pytest.raises(ValueError, match="batch_size .* needs fanouts"):
        check_run("gcn", "csbm", [0], batch_size=8)
    with pytest.raises(ValueError, match="cannot be combined with stacked"):
        check_run("gcn", "csbm", [0], stacked=2, fanouts=[5, 5])
    rng = torch.get_rng_state()
    check_run("gat", "csbm", [0], fanouts=[5, 5])  # builds a tiny model for its layer count
    assert torch.equal(torch.get_rng_state(), rng)  # without touching the caller's random stream
