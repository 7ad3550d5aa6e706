"""fit_stacked: R seeds trained at once follow the paper's protocol seed by seed."""

import pytest
import torch

from gattut import set_seed
from gattut.data.synthetic import contextual_sbm
from gattut.graph import GAT, GCN, MLP, GATv2
from gattut.train.loop import TrainConfig, fit_transductive
from gattut.train.seeds import fit_stacked
from gattut.train.stacked import stack_models


@pytest.fixture(scope="module")
def graph():
    g = contextual_sbm(num_nodes=120, num_classes=3, p_in=0.1, p_out=0.02, num_features=16,
                       feature_noise=2.0, seed=0, train_per_class=5)
    g.x = g.x.double()
    return g


def _models(cls, kw, seeds=(0, 1, 2)):
    out = []
    for seed in seeds:
        set_seed(seed)
        out.append(cls(16, 3, **kw).double())
    return out


CONFIG = TrainConfig(max_epochs=40, patience=8, progress=False, device="cpu")


@pytest.mark.parametrize("cls,kw", [(GAT, {"paper_dropout": True, "dropout": 0.0}),
                                    (GATv2, {"dropout": 0.0}), (GCN, {"dropout": 0.0}),
                                    (MLP, {"dropout": 0.0})], ids=["gat", "gatv2", "gcn", "mlp"])
def test_without_dropout_each_seed_is_its_serial_run(graph, cls, kw):
    """Dropout off, the only difference left (the random stream) is gone: same runs exactly."""
    stacked = fit_stacked(stack_models(_models(cls, kw)), graph, CONFIG, seeds=[0, 1, 2])
    serial = [fit_transductive(m, graph, CONFIG) for m in _models(cls, kw)]
    assert [r.seed for r in stacked] == [0, 1, 2]
    for a, b in zip(stacked, serial):
        assert (a.best_epoch, a.epochs_run, a.stopped_early) == (b.best_epoch, b.epochs_run,
                                                                 b.stopped_early)
        assert a.test_metric == b.test_metric
        assert a.test_loss == pytest.approx(b.test_loss, abs=1e-6)
        assert a.history["val_metric"] == pytest.approx(b.history["val_metric"])
    assert len({r.epochs_run for r in stacked}) > 1 or cls is GCN  # seeds stop at their own epochs


def test_with_dropout_runs_are_deterministic_on_cpu(graph):
    def run(**kw):
        models = _models(GAT, {"paper_dropout": True, **kw})
        return [r.to_dict() for r in fit_stacked(stack_models(models), graph, CONFIG)]

    first, second, no_dropout = run(), run(), run(dropout=0.0)
    for result in first + second + no_dropout:
        result.pop("time_per_epoch")
    assert first == second
    assert [r["history"] for r in first] != [r["history"] for r in no_dropout]


def test_model_is_left_with_the_early_stopping_weights(graph):
    models = _models(GCN, {"dropout": 0.0})
    stacked = stack_models(models)
    results = fit_stacked(stacked, graph, CONFIG)
    serial = stacked.unstack(1, _models(GCN, {"dropout": 0.0})[0]).eval()
    logits = serial(graph.x, graph.edge_index)[graph.test_mask]
    accuracy = float((logits.argmax(1) == graph.y[graph.test_mask]).float().mean())
    assert accuracy == results[1].test_metric


def test_bad_calls_are_named(graph):
    stacked = stack_models(_models(GCN, {}))
    with pytest.raises(ValueError, match="StackedModel"):
        fit_stacked(GCN(16, 3), graph, CONFIG)
    with pytest.raises(ValueError, match="bf16"):
        fit_stacked(stacked, graph, TrainConfig(bf16=True, progress=False, device="cpu"))
    with pytest.raises(ValueError, match="2 seeds given for 3"):
        fit_stacked(stacked, graph, CONFIG, seeds=[0, 1])
    from dataclasses import replace

    with pytest.raises(ValueError, match="one class label per node"):
        fit_stacked(stacked, replace(graph, y=torch.zeros(graph.num_nodes, 3)), CONFIG)
