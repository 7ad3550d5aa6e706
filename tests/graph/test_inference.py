"""Tests for gattut.graph.inference: layer-wise inference equals the full-graph forward pass."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.inference import layerwise_inference
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
