"""Tests for gattut.graph.inference: layer-wise inference equals the full-graph forward pass."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.inference import layerwise_inference, targets_within
from gattut.graph.models import GAT, GCN, MLP, PPIGAT, GATv2
from gattut.graph.sampling import NeighborSampler


def graph(N=50, E=300, F=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.cat([torch.randint(0, N, (2, E), generator=g), torch.tensor([[2], [2]])], 1)
    x = torch.randn(N, F, generator=g, dtype=torch.float64) * (torch.rand(N, F, generator=g) < 0.5)
    return x, edge_index


@pytest.mark.parametrize("cls", [GAT, GATv2, GCN, MLP])
@pytest.mark.parametrize("chunk_size", [7, 1000])
def test_equals_full_forward(cls, chunk_size):
    x, edge_index = graph()
    torch.manual_seed(0)
    model = cls(6, 3, **({"original": True} if cls is GAT else {})).double()
    model.eval()
    full = model(x, edge_index)
    model.train()
    for feats in (x, x.to_sparse_csr()):
        out = layerwise_inference(model, feats, edge_index, chunk_size=chunk_size)
        torch.testing.assert_close(out, full, rtol=1e-6, atol=1e-6)
    assert model.training  # the mode is restored
    assert not out.requires_grad


def test_reuses_a_sampler_and_unwraps_a_module():
    x, edge_index = graph()
    model = GCN(6, 3).double().eval()
    sampler = NeighborSampler(edge_index, x.shape[0], [10, 10])  # its fanouts are not used

    class Wrapper(torch.nn.Module):  # stands for DDP: the model is .module
        def __init__(self, module):
            super().__init__()
            self.module = module

    out = layerwise_inference(Wrapper(model), x, sampler=sampler, chunk_size=16)
    torch.testing.assert_close(out, model(x, edge_index), rtol=1e-6, atol=1e-6)


def test_bad_inputs_are_named():
    x, edge_index = graph()
    model = GCN(6, 3).double()
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        layerwise_inference(model, x, edge_index, chunk_size=0)
    with pytest.raises(ValueError, match="layer sequence"):
        layerwise_inference(PPIGAT(6, 3), x, edge_index)
    with pytest.raises(ValueError, match="pass edge_index or sampler"):
        layerwise_inference(model, x)
    with pytest.raises(ValueError, match="x must be \\(N, F\\)"):
        layerwise_inference(model, x[0], edge_index)
    sampler = NeighborSampler(edge_index, 60, [2])
    with pytest.raises(ValueError, match="60 nodes but x has 50 rows"):
        layerwise_inference(model, x, sampler=sampler)


# ----------------------------------------------------------------- only the rows a set needs
def _needed(edge_index, N, wanted, num_layers):
    from gattut.graph.partition import hop_distance

    return targets_within(hop_distance(edge_index, N, wanted, num_layers), num_layers)


@pytest.mark.parametrize("cls", [GAT, GATv2, GCN, MLP])
@pytest.mark.parametrize("chunk_size", [7, 1000])
def test_per_layer_targets_give_the_full_forward_on_the_wanted_rows(cls, chunk_size):
    x, edge_index = graph()
    torch.manual_seed(0)
    model = cls(6, 3, **({"original": True} if cls is GAT else {})).double().eval()
    full = model(x, edge_index)  # (N, C)
    wanted = torch.tensor([0, 2, 5, 11, 30, 49])
    needed = _needed(edge_index, 50, wanted, len(model.layer_names))
    assert torch.equal(needed[-1], wanted)  # the last layer: the wanted nodes only
    assert needed[0].numel() < 50  # the first layer skips the nodes too far away
    for feats in (x, x.to_sparse_csr()):
        out = layerwise_inference(model, feats, edge_index, chunk_size=chunk_size,
                                  targets_per_layer=needed)
        torch.testing.assert_close(out[wanted], full[wanted], rtol=1e-6, atol=1e-6)
        rest = torch.ones(50, dtype=torch.bool)
        rest[wanted] = False
        assert torch.equal(out[rest], torch.zeros_like(out[rest]))  # never computed


def test_every_node_at_every_layer_equals_the_default():
    x, edge_index = graph()
    model = GAT(6, 3).double().eval()
    every = [torch.arange(50)] * len(model.layer_names)
    torch.testing.assert_close(layerwise_inference(model, x, edge_index, targets_per_layer=every),
                               layerwise_inference(model, x, edge_index), rtol=0, atol=0)


@pytest.mark.parametrize("cls", [GAT, GATv2, GCN, MLP])
def test_no_targets_give_zeros_of_the_output_width(cls):
    x, edge_index = graph()
    model = cls(6, 3).double().eval()
    none = torch.tensor([], dtype=torch.long)
    for feats in (x, x.to_sparse_csr()):
        for first in (torch.arange(5), none):  # a process with no node of a split to score
            out = layerwise_inference(model, feats, edge_index, targets_per_layer=[first, none])
            assert out.shape == (50, 3) and not out.any()


def test_targets_within_follows_the_hop_rule():
    hops = torch.tensor([0, 1, 2, -1, 1, 0, 3])
    assert [t.tolist() for t in targets_within(hops, 3)] == [[0, 1, 2, 4, 5], [0, 1, 4, 5], [0, 5]]
    with pytest.raises(ValueError, match="num_layers must be an int >= 1"):
        targets_within(hops, 0)
    with pytest.raises(ValueError, match="hops must be a 1-D integer tensor"):
        targets_within(hops.float(), 2)


def test_bad_per_layer_targets_are_named():
    x, edge_index = graph()
    model = GCN(6, 3).double()  # two layers
    ok = torch.arange(50)
    with pytest.raises(ValueError, match="has 1 entries but the model has 2 layers"):
        layerwise_inference(model, x, edge_index, targets_per_layer=[ok])
    with pytest.raises(ValueError, match="sequence of 2 tensors"):
        layerwise_inference(model, x, edge_index, targets_per_layer=ok)
    with pytest.raises(ValueError, match=r"targets_per_layer\[1\] holds node id 50, out of range"):
        layerwise_inference(model, x, edge_index, targets_per_layer=[ok, torch.tensor([3, 50])])
    with pytest.raises(ValueError, match=r"holds node id -1, out of range \[0, 50\)"):
        layerwise_inference(model, x, edge_index, targets_per_layer=[torch.tensor([-1]), ok])
    with pytest.raises(ValueError, match=r"targets_per_layer\[0\] must be a 1-D tensor of node ids"):
        layerwise_inference(model, x, edge_index, targets_per_layer=[ok.float(), ok])
    with pytest.raises(ValueError, match=r"targets_per_layer\[0\] must be a 1-D tensor of node ids"):
        layerwise_inference(model, x, edge_index, targets_per_layer=[ok > 3, ok])
    # Layer 1 computing every node reads rows layer 0 (only node 2) did not compute.
    with pytest.raises(ValueError, match=r"targets_per_layer\[1\] reads node \d+, which "
                                         r"targets_per_layer\[0\] does not compute"):
        layerwise_inference(model, x, edge_index, targets_per_layer=[torch.tensor([2]), ok])
