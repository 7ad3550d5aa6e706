"""Tests for gattut.graph.spmm: the sparse weighted sum equals the gather/scatter one."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.spmm import csr_by_target, spmm, spmm_reference


def test_csr_by_target_structure(tricky_edges):
    edge_index, N = tricky_edges
    csr = csr_by_target(edge_index, N)
    assert csr.crow.shape == (N + 1,) and csr.col.shape == csr.perm.shape == (edge_index.shape[1],)
    for i in range(N):
        cols = csr.col[csr.crow[i]:csr.crow[i + 1]].tolist()
        assert cols == edge_index[0, edge_index[1] == i].tolist()


@pytest.mark.parametrize("heads", [None, 1, 3])
def test_spmm_equals_reference_values_and_gradients(tricky_edges, heads):
    edge_index, N = tricky_edges
    E = edge_index.shape[1]
    torch.manual_seed(0)
    shape_a, shape_x = ((E,), (N, 4)) if heads is None else ((E, heads), (N, heads, 4))
    alpha = torch.rand(shape_a, dtype=torch.float64, requires_grad=True)
    x = torch.randn(shape_x, dtype=torch.float64, requires_grad=True)
    out, ref = spmm(edge_index, alpha, x), spmm_reference(edge_index, alpha, x)
    assert out.shape == ref.shape == shape_x
    torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-6)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, (alpha, x), g)
    grads_ref = torch.autograd.grad(ref, (alpha, x), g)
    for a, b in zip(grads, grads_ref):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


def test_spmm_gradcheck(tricky_edges):
    edge_index, N = tricky_edges
    alpha = torch.rand(edge_index.shape[1], 2, dtype=torch.float64, requires_grad=True)
    x = torch.randn(N, 2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, h: spmm(edge_index, a, h), (alpha, x))


def test_spmm_isolated_nodes_get_zero(tricky_edges):
    edge_index, N = tricky_edges
    out = spmm(edge_index, torch.ones(edge_index.shape[1]), torch.ones(N, 2))
    assert out[5].tolist() == [0.0, 0.0] and out[6].tolist() == [0.0, 0.0]
    assert out[0].tolist() == [3.0, 3.0]  # 2 -> 0 and 3 -> 0 twice


def test_spmm_rejects_bad_shapes(tricky_edges):
    edge_index, N = tricky_edges
    with pytest.raises(ValueError, match=r"weights must be \(E,\) with x \(N, C\)"):
        spmm(edge_index, torch.ones(edge_index.shape[1], 2), torch.ones(N, 3, 4))
    with pytest.raises(ValueError, match="weights for 10 edges"):
        spmm(edge_index, torch.ones(4), torch.ones(N, 3))


def test_edge_pair_sum_values_and_gradients(tricky_edges):
    from gattut.graph.spmm import edge_pair_sum

    edge_index, N = tricky_edges
    csr = csr_by_target(edge_index, N)
    src = torch.randn(N, 2, dtype=torch.float64, requires_grad=True)
    dst = torch.randn(N, 2, dtype=torch.float64, requires_grad=True)
    out = edge_pair_sum(csr, src, dst)
    assert out.shape == (edge_index.shape[1], 2)
    expected = src[edge_index[0]] + dst[edge_index[1]]
    torch.testing.assert_close(out, expected[csr.perm])
    assert torch.autograd.gradcheck(lambda s, d: edge_pair_sum(csr, s, d), (src, dst))


def test_spmm_under_bf16_autocast_sums_in_float32():
    """torch has no bf16 CSR product on the CPU; under autocast the sum runs in float32."""
    torch.manual_seed(0)
    edge_index = torch.tensor([[0, 1, 2, 2, 3], [1, 0, 0, 3, 2]])
    alpha = torch.rand(5, 2, requires_grad=True)
    x = torch.randn(4, 2, 3, requires_grad=True)
    expected = spmm(edge_index, alpha, x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = spmm(edge_index, alpha, x.to(torch.bfloat16))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, expected, atol=2e-2, rtol=2e-2)
    out.sum().backward()
    assert alpha.grad is not None and x.grad is not None


def test_segment_path_equals_the_sparse_products():
    """spmm_segments (the GPU path) gives spmm_csr's CPU numbers, values and gradients."""
    from gattut.graph.spmm import spmm_segments

    torch.manual_seed(0)
    edge_index = torch.tensor([[0, 1, 2, 2, 3, 3, 0], [1, 0, 0, 3, 2, 2, 2]])  # duplicate 3 -> 2, node 4 alone
    csr = csr_by_target(edge_index, 5)
    alpha = torch.rand(7, 3, dtype=torch.float64, requires_grad=True)
    x = torch.randn(5, 3, 2, dtype=torch.float64, requires_grad=True)
    ours = spmm_segments(csr, alpha, x)
    ref = spmm_reference(edge_index, alpha.detach().index_select(0, torch.argsort(csr.perm)), x.detach(), 5)
    torch.testing.assert_close(ours, ref)
    ours.square().sum().backward()
    grads = alpha.grad.clone(), x.grad.clone()
    alpha.grad = x.grad = None
    from gattut.graph.spmm import spmm_csr

    spmm_csr(csr, alpha, x).square().sum().backward()
    torch.testing.assert_close(grads[0], alpha.grad)
    torch.testing.assert_close(grads[1], x.grad)
