"""Stacked seeds: R models run as one give each model's own outputs, gradients and dropout."""

import pytest
import torch

import gattut.graph.features as features_module
from gattut import set_seed
from gattut.data.synthetic import contextual_sbm
from gattut.graph import GAT, GCN, MLP, GATv2
from gattut.train.stacked import stack_models, stacked_linear

CASES = [
    (GAT, {"paper_dropout": True}),
    (GAT, {}),
    (GAT, {"out_heads": 3, "paper_dropout": True}),
    (GAT, {"original": True}),
    (GATv2, {}),
    (GCN, {}),
    (MLP, {}),
]


@pytest.fixture(scope="module")
def graph():
    g = contextual_sbm(num_nodes=50, num_classes=3, p_in=0.2, p_out=0.02, num_features=12,
                       feature_noise=1.0, seed=0, train_per_class=5)
    return g


def _models(cls, kw, seeds=3):
    models = []
    for seed in range(seeds):
        set_seed(seed)
        models.append(cls(12, 3, **kw).double().eval())
    return models


@pytest.mark.parametrize("cls,kw", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_stacked_equals_each_model_values_and_gradients(graph, cls, kw, layout):
    models = _models(cls, kw)
    for m in models:  # nonzero score biases, so that they are compared too
        for name, p in m.named_parameters():
            if name.endswith("att_bias"):
                p.data.uniform_(-1, 1)
    stacked = stack_models(models).eval()
    x = graph.x.double()
    x = x.to_sparse_csr() if layout == "sparse" else x
    out = stacked(x, graph.edge_index)  # (R, N, C)
    assert out.shape == (3, graph.num_nodes, 3)
    serial = torch.stack([m(x, graph.edge_index) for m in models])
    torch.testing.assert_close(out, serial, rtol=1e-10, atol=1e-10)
    weights = torch.randn_like(out)
    (out * weights).sum().backward()
    sum((m(x, graph.edge_index) * w).sum() for m, w in zip(models, weights)).backward()
    for name in stacked.names:
        expected = torch.stack([dict(m.named_parameters())[name].grad for m in models])
        torch.testing.assert_close(stacked.stacked(name).grad, expected, rtol=1e-9, atol=1e-10)


def test_unstack_round_trip(graph):
    models = _models(GAT, {"paper_dropout": True})
    stacked = stack_models(models)
    with torch.no_grad():
        stacked.stacked("conv1.bias").add_(1.0)
    fresh = _models(GAT, {"paper_dropout": True}, seeds=1)[0]
    stacked.unstack(2, fresh)
    torch.testing.assert_close(fresh.conv1.bias, models[2].conv1.bias + 1.0)
    torch.testing.assert_close(fresh.conv1.lin.weight, models[2].conv1.lin.weight)
    with pytest.raises(ValueError, match="out of range"):
        stacked.unstack(3, fresh)


def _recording_dropout(record):
    """A dropout that keeps a fixed pattern (every other entry) and records what it saw."""

    def fake(x, p, training=True):
        if not training or p == 0.0:
            return x
        keep = torch.zeros(x.numel(), dtype=x.dtype)
        keep[torch.randperm(x.numel(), generator=torch.Generator().manual_seed(len(record)))[: x.numel() // 2]] = 1
        keep = keep.view(x.shape) / (1 - p)
        record.append(keep)
        return x * keep

    return fake


@pytest.mark.parametrize("layout", ["dense", "sparse"])
def test_per_head_masks_go_to_their_own_head(monkeypatch, layout):
    """Each (seed, head) block gets its own mask; checked against the masked dense product."""
    record = []
    monkeypatch.setattr(features_module, "dropout", _recording_dropout(record))
    torch.manual_seed(0)
    x = torch.rand(5, 4, dtype=torch.float64) * (torch.rand(5, 4) > 0.3)
    weight = torch.randn(2, 3, 6, 4, dtype=torch.float64)  # (R, H, K, F)
    xin = x.to_sparse_csr() if layout == "sparse" else x
    out = stacked_linear(xin, weight, p=0.5, training=True, per_head=True)  # (N, R, H, K)
    (keep,) = record
    if layout == "sparse":  # (G, nnz) masks over the stored values -> dense masks
        dense_keep = torch.zeros(6, 5, 4, dtype=torch.float64)
        rows, cols = x.nonzero().unbind(1)
        dense_keep[:, rows, cols] = keep
        keep = dense_keep
    keep = keep.view(2, 3, 5, 4)  # (R, H, N, F)
    for r in range(2):
        for h in range(3):
            expected = (x * keep[r, h]) @ weight[r, h].T  # (N, K)
            torch.testing.assert_close(out[:, r, h], expected)


def test_per_seed_mask_is_shared_by_heads(monkeypatch):
    record = []
    monkeypatch.setattr(features_module, "dropout", _recording_dropout(record))
    x = torch.rand(5, 4, dtype=torch.float64)
    weight = torch.randn(2, 3, 6, 4, dtype=torch.float64)
    out = stacked_linear(x, weight, p=0.5, training=True)  # one mask a seed
    (keep,) = record  # (R, N, F)
    for r in range(2):
        for h in range(3):
            torch.testing.assert_close(out[:, r, h], (x * keep[r]) @ weight[r, h].T)


def test_dropout_keeps_the_expected_value(graph):
    """Averaged over many masks, the stacked training-mode product is the no-dropout product."""
    torch.manual_seed(0)
    x = graph.x.double().to_sparse_csr()
    weight = torch.randn(2, 4, 3, 12, dtype=torch.float64)
    plain = stacked_linear(x, weight)
    mean = sum(stacked_linear(x, weight, 0.5, True, per_head=True) for _ in range(2000)) / 2000
    assert (mean - plain).abs().max() < 0.15 * plain.abs().max()


def test_old_import_path_still_works():
    import gattut.graph.stacked as old

    assert old.stack_models is stack_models and old.stacked_linear is stacked_linear


def test_bad_inputs_are_named(graph):
    with pytest.raises(ValueError, match="at least one model"):
        stack_models([])
    with pytest.raises(ValueError, match="model 1 is a GCN"):
        stack_models([GAT(12, 3), GCN(12, 3)])
    with pytest.raises(ValueError, match="other parameter shapes"):
        stack_models([GAT(12, 3), GAT(12, 3, hidden=4)])
    with pytest.raises(ValueError, match="expects 12"):
        stack_models([GAT(12, 3)])(torch.rand(4, 5), graph.edge_index)
    with pytest.raises(ValueError, match="seeds"):
        stacked_linear(torch.rand(5, 2, 4), torch.rand(3, 1, 2, 4))
