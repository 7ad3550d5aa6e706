"""Every layer and model refuses bad input the same way: ValueError (TypeError for a bad call)
naming the argument, and a failed call changes nothing (parameters, cached edges)."""

from __future__ import annotations

import copy

import pytest
import torch

from gattut.graph import (
    GAT,
    GCN,
    MLP,
    DenseGATConv,
    GATConv,
    GatedGATConv,
    GATv2,
    GATv2Conv,
    GCNConv,
)
from gattut.train.stacked import stack_models

ATTENTION = [GATConv, GATv2Conv, DenseGATConv, GatedGATConv]
LAYERS = ATTENTION + [GCNConv]


def _name(value):
    return getattr(value, "__name__", None)


@pytest.mark.parametrize("cls", ATTENTION, ids=_name)
@pytest.mark.parametrize("kwargs, match", [
    ({"heads": 0}, "heads must be an int >= 1, got 0"),
    ({"heads": -2}, "heads must be an int >= 1, got -2"),
    ({"heads": 2.0}, "heads must be an int >= 1"),
    ({"out_channels": 0}, "out_channels must be an int >= 1, got 0"),
    ({"in_channels": 0}, "in_channels must be an int >= 1, got 0"),
    ({"negative_slope": -0.1}, "negative_slope must be >= 0"),
    ({"negative_slope": float("nan")}, "negative_slope must be >= 0"),
    ({"dropout": -0.1}, "dropout must be in \\[0, 1\\]"),
    ({"dropout": 1.5}, "dropout must be in \\[0, 1\\]"),
])
def test_attention_layers_check_their_arguments(cls, kwargs, match):
    args = {"in_channels": 4, "out_channels": 3, **kwargs}
    with pytest.raises(ValueError, match=f"{cls.__name__}: {match}"):
        cls(**args)


@pytest.mark.parametrize("make, match, error", [
    (lambda: GCNConv(4, 0), "GCNConv: out_channels must be an int >= 1", ValueError),
    (lambda: GATConv(4, 3, input_dropout=2.0), "input_dropout must be in", ValueError),
    (lambda: GATConv(4, 3, value_dropout=-1.0), "value_dropout must be in", ValueError),
    (lambda: GATConv(4, 3, aggregation="dense"), "aggregation must be 'sparse' or 'gather'",
     ValueError),
    (lambda: GATConv((4, 0), 3), "in_channels must be an int >= 1, got 0", ValueError),
    (lambda: DenseGATConv((4, 3), 3), "in_channels must be an int >= 1", ValueError),
    (lambda: GatedGATConv(4, 3, gate_features=0), "gate_features must be an int >= 1",
     ValueError),
    (lambda: GatedGATConv((4, 3), 3), "one node set", ValueError),
    (lambda: GATConv(4, 3, in_features=4), "not both", TypeError),
    (lambda: GATConv(out_channels=3), "missing in_channels", TypeError),
], ids=["gcn-out", "input-dropout", "value-dropout", "aggregation", "pair-width", "dense-pair",
        "gate-features", "gated-pair", "both-names", "no-in"])
def test_other_constructor_arguments(make, match, error):
    with pytest.raises(error, match=match):
        make()


EDGES = torch.tensor([[0, 1, 2], [1, 2, 3]])


def _nan():
    x = torch.randn(4, 4)
    x[1, 2] = float("inf")
    return x


@pytest.mark.parametrize("cls", LAYERS, ids=_name)
@pytest.mark.parametrize("x, edge_index, match", [
    (torch.randn(4, 5), EDGES, "x has 5 features per node but the layer expects 4"),
    (torch.randn(4), EDGES, "x must be \\(N, F\\) node features"),
    (torch.ones(4, 4, dtype=torch.long), EDGES, "x must be floating point"),
    (_nan(), EDGES, "x has NaN or infinite feature values"),
    (torch.randn(4, 4), torch.tensor([0, 1, 2]), "edge_index must have shape \\(2, E\\)"),
    (torch.randn(4, 4), EDGES.float(), "edge_index must be an integer"),
    (torch.randn(4, 4), torch.tensor([[0, -1], [1, 2]]), "negative node id -1"),
    (torch.randn(4, 4), torch.tensor([[0, 4], [1, 2]]), "node id 4 but there are only 4 nodes"),
    (torch.randn(4, 4), None, "edge_index must have shape \\(2, E\\)"),
], ids=["width", "rank", "dtype", "inf", "edges-rank", "edges-float", "negative", "beyond",
        "no-edges"])
def test_forward_refuses_bad_input_and_changes_nothing(cls, x, edge_index, match):
    torch.manual_seed(0)
    layer = cls(4, 3)
    layer(torch.randn(4, 4), EDGES)  # a good call first, so that its cache is filled
    before = copy.deepcopy(layer.state_dict())
    with pytest.raises(ValueError, match=match):
        layer(x, edge_index)
    assert all(torch.equal(before[k], v) for k, v in layer.state_dict().items())
    torch.testing.assert_close(layer(torch.ones(4, 4), EDGES),
                               _fresh(cls, before)(torch.ones(4, 4), EDGES))


def _fresh(cls, state):
    layer = cls(4, 3)
    layer.load_state_dict(state)
    return layer


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv], ids=_name)
@pytest.mark.parametrize("x, match", [
    ((torch.randn(5, 4), torch.randn(3, 2)), "x_dst: x has 2 features per node but the layer "
                                            "expects 4"),
    ((torch.randn(5, 4),), "pair \\(x_src, x_dst\\)"),
    ((torch.randn(5, 4), None), "pair \\(x_src, x_dst\\)"),
    ((torch.randn(2, 4), torch.randn(3, 4)), "targets to be the first sources; got 3 targets"),
])
def test_bipartite_input_is_checked(cls, x, match):
    with pytest.raises(ValueError, match=match):
        cls(4, 3)(x, torch.tensor([[0, 1], [1, 2]]))


def test_one_x_for_two_widths_is_refused():
    with pytest.raises(ValueError, match=r"one x for in_channels \(4, 2\); pass \(x_src, x_dst\)"):
        GATConv((4, 2), 3)(torch.randn(5, 4), EDGES)


@pytest.mark.parametrize("cls", [GATConv, GATv2Conv, DenseGATConv, GatedGATConv], ids=_name)
def test_a_third_positional_argument_is_refused(cls):
    """PyG's third positional argument is edge_attr: it must not switch the return type."""
    with pytest.raises(TypeError):
        cls(4, 3)(torch.randn(4, 4), EDGES, True)


def test_dense_mask_shape():
    with pytest.raises(ValueError, match=r"adj mask must be \(4, 4\)"):
        DenseGATConv(4, 3)(torch.randn(4, 4), torch.ones(3, 3, dtype=torch.bool))


@pytest.mark.parametrize("models, match", [
    ([], "at least one model"),
    ([GAT(4, 3), GCN(4, 3)], "model 1 is a GCN"),
    ([GAT(4, 3), GAT(4, 3, hidden=4)], "other parameter shapes"),
    ([torch.nn.Linear(4, 3)], "a Linear cannot be stacked"),
])
def test_stack_models_refuses(models, match):
    with pytest.raises(ValueError, match=match):
        stack_models(models)


@pytest.mark.parametrize("model", [GAT(4, 3, paper_dropout=True), GATv2(4, 3), MLP(4, 3)],
                         ids=lambda m: type(m).__name__)
def test_stacked_models_check_features(model):
    with pytest.raises(ValueError, match="x has 5 features per node but the layer expects 4"):
        stack_models([model])(torch.randn(4, 5), EDGES)
