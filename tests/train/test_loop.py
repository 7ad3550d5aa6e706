import math

import pytest
import torch

from gattut import set_seed
from gattut.data.synthetic import inductive_split
from gattut.train.loop import (
    _RESULT_FIELDS,
    EarlyStopping,
    TrainConfig,
    fit_inductive,
    fit_transductive,
    make_optimizer,
)

from .helpers import TinyGNN, multilabel_graphs


def _config(**kw):
    base = dict(device="cpu", progress=False, max_epochs=60, patience=20, lr=0.05, seed=0)
    base.update(kw)
    return TrainConfig(**base)


def _fit(graph, **kw):
    set_seed(0)
    model = TinyGNN(graph.num_features, graph.num_classes)
    return model, fit_transductive(model, graph, _config(**kw))


def test_defaults_are_the_papers():
    c = TrainConfig()
    assert (c.lr, c.weight_decay, c.patience, c.batch_size) == (0.005, 5e-4, 100, 2)
    assert (c.device, c.bf16, c.compile, c.decay_bias) == ("auto", False, False, False)


def _trace(stopper, steps, start=1):
    """Feed ``steps`` ((val_acc, val_loss) -> (saved?, stop?)) to ``stopper``, checking each epoch."""
    model = torch.nn.Linear(1, 1)
    for epoch, ((acc, loss), (saved, stop)) in enumerate(steps, start=start):
        before = stopper.best_epoch
        assert stopper.step(epoch, acc, loss, model) is stop
        assert (stopper.best_epoch == epoch and before != epoch) is saved


def test_early_stopping_follows_the_papers_rule():
    """Hand-traced: save only when accuracy >= best AND loss <= best; reset on either."""
    stopper = EarlyStopping(patience=2)
    steps = [  # (val_acc, val_loss) -> (saved this epoch?, stop?)
        ((0.5, 1.0), (True, False)),    # both records beaten: save
        ((0.6, 1.1), (False, False)),   # accuracy only: reset counter, no save
        ((0.55, 1.05), (False, False)), # neither (acc < 0.6, loss > 1.0): counter 1
        ((0.6, 1.0), (True, False)),    # ties both records: save (>= and <=)
        ((0.1, 0.9), (False, False)),   # loss only: reset
        ((0.1, 2.0), (False, False)),   # counter 1
        ((0.1, 2.0), (False, True)),    # counter 2 == patience: stop
    ]
    _trace(stopper, steps, start=0)
    assert stopper.best_epoch == 3
    assert (stopper.best_metric, stopper.best_loss) == (0.6, 0.9)


def test_early_stopping_on_the_loss_alone_is_seq2seqs_rule():
    """monitor="loss": a strictly lower loss saves and resets; the metric is only recorded."""
    stopper = EarlyStopping(patience=2, monitor="loss")
    steps = [  # (val_acc, val_loss) -> (saved this epoch?, stop?)
        ((0.5, 1.0), (True, False)),    # lower loss: save
        ((0.9, 1.1), (False, False)),   # a better metric does not count: counter 1
        ((0.9, 0.8), (True, False)),    # lower loss: save, reset
        ((0.1, 0.8), (False, False)),   # a tie is no progress: counter 1
        ((0.1, 0.9), (False, True)),    # counter 2 == patience: stop
    ]
    _trace(stopper, steps)
    assert (stopper.best_epoch, stopper.best_loss, stopper.best_val_metric) == (3, 0.8, 0.9)
    never = EarlyStopping(patience=math.inf, monitor="loss")
    assert not any(never.step(epoch, 0.0, 1.0, torch.nn.Linear(1, 1)) for epoch in range(50))
    with pytest.raises(ValueError, match="monitor must be 'both', 'metric' or 'loss'"):
        EarlyStopping(monitor="accuracy")


def test_early_stopping_on_the_metric_alone_is_the_citeseer_rule():
    """monitor="metric": a metric >= the best saves and resets; the loss is not consulted."""
    stopper = EarlyStopping(patience=2, monitor="metric")
    steps = [  # (val_acc, val_loss) -> (saved this epoch?, stop?)
        ((0.5, 1.0), (True, False)),    # better metric: save
        ((0.4, 0.1), (False, False)),   # a lower loss does not count: counter 1
        ((0.5, 9.0), (True, False)),    # a tie with the best metric saves and resets
        ((0.4, 0.1), (False, False)),   # counter 1
        ((0.3, 0.1), (False, True)),    # counter 2 == patience: stop
    ]
    _trace(stopper, steps)
    assert (stopper.best_epoch, stopper.best_metric, stopper.best_val_loss) == (3, 0.5, 9.0)


def test_monitor_reaches_the_loop(tiny_graph):
    """TrainConfig.monitor picks the rule fit_transductive stops by (and a checkpoint records)."""
    stops = {monitor: _fit(tiny_graph, patience=5, max_epochs=300, monitor=monitor)[1]
             for monitor in ("both", "metric", "loss")}
    assert "monitor" in _RESULT_FIELDS
    assert stops["both"].epochs_run != stops["metric"].epochs_run
    val_loss = stops["loss"].history["val_loss"]  # the loss rule keeps the lowest loss's epoch
    assert stops["loss"].best_epoch == min(range(len(val_loss)), key=val_loss.__getitem__)


def test_fit_transductive_learns_and_reports(tiny_graph):
    model, result = _fit(tiny_graph)
    assert result.metric == "accuracy"
    assert result.test_metric > 0.6  # three classes: chance is 1/3
    assert 0 <= result.best_epoch < result.epochs_run <= 60
    assert result.device == "cpu" and result.time_per_epoch > 0
    assert len(result.history["val_loss"]) == result.epochs_run
    # The model holds the early-stopping weights: its validation numbers are the saved ones.
    model.eval()
    g = tiny_graph
    with torch.no_grad():
        logits = model(g.x, g.edge_index)
    val_loss = torch.nn.functional.cross_entropy(logits[g.val_mask], g.y[g.val_mask])
    assert float(val_loss) == pytest.approx(result.val_loss, abs=1e-6)


def test_stops_at_patience(tiny_graph):
    _, result = _fit(tiny_graph, patience=3, max_epochs=500)
    assert result.stopped_early and result.epochs_run < 500


def test_progress_bar_shows_loss_and_validation_accuracy(tiny_graph, capsys):
    _fit(tiny_graph, max_epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "val_acc=" in err and "loss=" in err


def test_same_seed_same_numbers_on_cpu(tiny_graph):
    _, a = _fit(tiny_graph)
    _, b = _fit(tiny_graph)
    da, db = a.to_dict(), b.to_dict()
    da.pop("time_per_epoch"), db.pop("time_per_epoch")
    assert da == db


def test_result_json(tiny_graph, tmp_path):
    import json

    _, result = _fit(tiny_graph, max_epochs=3)
    data = json.loads(result.to_json(tmp_path / "r.json").read_text())
    for key in ("test_metric", "best_epoch", "epochs_run", "time_per_epoch", "device"):
        assert key in data


def test_weight_decay_skips_biases_unless_asked():
    model = TinyGNN(4, 2)
    groups = make_optimizer(model, TrainConfig()).param_groups
    assert [len(g["params"]) for g in groups] == [1, 1]
    assert groups[0]["params"][0] is model.lin.weight and groups[0]["weight_decay"] == 5e-4
    assert groups[1]["params"][0] is model.lin.bias and groups[1]["weight_decay"] == 0.0
    groups = make_optimizer(model, TrainConfig(decay_bias=True)).param_groups
    assert len(groups) == 1 and len(groups[0]["params"]) == 2


def test_adam_weight_decay_is_the_papers_l2_loss():
    """Adam(weight_decay=c) on L equals Adam on L + c * sum(w**2) / 2 (TF's l2_loss)."""
    torch.manual_seed(0)
    x, w0 = torch.randn(5, 3), torch.randn(3, requires_grad=False)
    c = 5e-4
    a = w0.clone().requires_grad_()
    b = w0.clone().requires_grad_()
    opt_a = torch.optim.Adam([a], lr=0.005, weight_decay=c)
    opt_b = torch.optim.Adam([b], lr=0.005)
    for _ in range(3):
        opt_a.zero_grad(), opt_b.zero_grad()
        (x @ a).square().mean().backward()
        ((x @ b).square().mean() + c * b.square().sum() / 2).backward()
        opt_a.step(), opt_b.step()
    torch.testing.assert_close(a, b, rtol=0, atol=1e-7)


def test_bf16_autocast_on_cpu_matches_float32_loosely(tiny_graph):
    _, full = _fit(tiny_graph, max_epochs=15, patience=100)
    _, half = _fit(tiny_graph, max_epochs=15, patience=100, bf16=True)
    for a, b in zip(full.history["train_loss"], half.history["train_loss"]):
        assert a == pytest.approx(b, abs=0.05)
    assert half.test_metric == pytest.approx(full.test_metric, abs=0.1)


def test_bf16_gets_dense_features(tiny_graph):
    """torch has no bf16 sparse-CSR product, so bf16 training densifies sparse features first."""
    from dataclasses import replace

    sparse = replace(tiny_graph, x=tiny_graph.x.to_sparse_csr())
    _, dense_run = _fit(tiny_graph, max_epochs=5, patience=100, bf16=True)
    _, sparse_run = _fit(sparse, max_epochs=5, patience=100, bf16=True)
    assert sparse_run.history == dense_run.history


def test_torch_compile_matches_eager(tiny_graph):
    """Dropout off: compiled code draws its random numbers from another stream than eager."""

    def fit(**kw):
        set_seed(0)
        model = TinyGNN(tiny_graph.num_features, tiny_graph.num_classes, dropout=0.0)
        return fit_transductive(model, tiny_graph, _config(max_epochs=3, patience=100, **kw))

    eager = fit()
    try:
        compiled = fit(compile=True)
    except Exception as exc:  # no C++ compiler, unsupported platform, ...
        pytest.skip(f"torch.compile cannot compile here: {type(exc).__name__}: {str(exc)[:200]}")
    for a, b in zip(eager.history["train_loss"], compiled.history["train_loss"]):
        assert a == pytest.approx(b, abs=1e-4)


def test_fit_inductive_multilabel_uses_micro_f1():
    graphs = multilabel_graphs(5)
    set_seed(0)
    model = TinyGNN(6, 4, dropout=0.0)
    result = fit_inductive(model, graphs[:3], graphs[3:4], graphs[4:], _config(max_epochs=40))
    assert result.metric == "micro_f1"
    assert 0.6 < result.test_metric <= 1.0
    assert not math.isnan(result.val_loss)


def test_fit_inductive_on_an_inductive_split(tiny_graph):
    split = inductive_split(tiny_graph, test_fraction=0.3, seed=0)
    set_seed(0)
    model = TinyGNN(tiny_graph.num_features, tiny_graph.num_classes)
    result = fit_inductive(model, [split.train_graph], [split.train_graph], [split.test_graph],
                           _config(max_epochs=40))
    assert result.metric == "accuracy" and result.test_metric > 0.5


def test_bad_inputs_raise_value_errors(tiny_graph):
    from dataclasses import replace

    model = TinyGNN(tiny_graph.num_features, tiny_graph.num_classes)
    with pytest.raises(ValueError, match="lr must be > 0"):
        fit_transductive(model, tiny_graph, _config(lr=0.0))
    with pytest.raises(ValueError, match="resume=True needs a checkpoint"):
        fit_transductive(model, tiny_graph, _config(resume=True))
    with pytest.raises(ValueError, match="val_mask"):
        fit_transductive(model, replace(tiny_graph, val_mask=None), _config())
    with pytest.raises(ValueError, match="expects a gattut Graph"):
        fit_transductive(model, (tiny_graph.x, tiny_graph.edge_index), _config())
    with pytest.raises(ValueError, match="no val graphs"):
        fit_inductive(model, [tiny_graph], [], [tiny_graph], _config())


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_asked_for_and_absent_is_an_error(tiny_graph):
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        _fit(tiny_graph, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(tiny_graph):
    _, cpu = _fit(tiny_graph, max_epochs=10, patience=100)
    _, gpu = _fit(tiny_graph, max_epochs=10, patience=100, device="cuda")
    assert gpu.device.startswith("cuda")
    for a, b in zip(cpu.history["train_loss"], gpu.history["train_loss"]):
        assert a == pytest.approx(b, abs=1e-3)


def test_gat_on_cora_is_deterministic_on_cpu(require_data):
    """The paper's model on the real data: same seed, same numbers, run to run."""
    require_data("planetoid/ind.cora.x", "planetoid/ind.cora.graph")
    from gattut.train.registry import build_model, load_dataset, paper_config

    graph = load_dataset("cora")
    runs = []
    for _ in range(2):
        set_seed(0)
        model = build_model("gat", "cora", graph.num_features, graph.num_classes)
        config = paper_config("gat", "cora", device="cpu", progress=False, max_epochs=2)
        runs.append(fit_transductive(model, graph, config))
    assert runs[0].history == runs[1].history
    assert runs[0].test_metric == runs[1].test_metric


def test_fit_inductive_trains_the_papers_ppi_model():
    """PPIGAT (residual GAT layers), shrunk, on small multi-label graphs in batches of two."""
    from gattut.graph.models import PPIGAT

    graphs = multilabel_graphs(6)
    set_seed(0)
    model = PPIGAT(in_features=6, num_labels=4, hidden=4, heads=2, out_heads=2)
    result = fit_inductive(model, graphs[:4], graphs[4:5], graphs[5:],
                           _config(max_epochs=8, lr=0.01, weight_decay=0.0))
    assert result.metric == "micro_f1" and result.epochs_run == 8
    assert 0.0 <= result.test_metric <= 1.0
