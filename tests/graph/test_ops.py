"""Tests for gattut.graph.ops: self-loops, degree, GCN weights, scatter, edge softmax."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.ops import (
    add_self_loops,
    check_edge_index,
    degree,
    edge_softmax,
    remove_self_loops,
    scatter_max,
    scatter_mean,
    scatter_sum,
    sym_norm,
)


def test_remove_self_loops_keeps_order_and_duplicates(tricky_edges):
    edge_index, _ = tricky_edges
    out = remove_self_loops(edge_index)
    assert out.shape == (2, 9)
    assert out.t().tolist() == [e for e in edge_index.t().tolist() if e[0] != e[1]]


def test_add_self_loops_one_per_node_at_the_end(tricky_edges):
    edge_index, N = tricky_edges
    out = add_self_loops(edge_index, N)
    assert out.shape == (2, 9 + N)
    assert out[:, -N:].tolist() == [list(range(N)), list(range(N))]
    assert int((out[0] == out[1]).sum()) == N


def test_add_self_loops_matches_pyg_gatconv_order(tricky_edges):
    utils = pytest.importorskip("torch_geometric.utils")
    edge_index, N = tricky_edges
    expected, _ = utils.add_self_loops(utils.remove_self_loops(edge_index)[0], num_nodes=N)
    assert add_self_loops(edge_index, N).tolist() == expected.tolist()


def test_degree_counts_in_edges(tricky_edges):
    edge_index, N = tricky_edges
    assert degree(edge_index[1], N).tolist() == [3, 3, 1, 2, 1, 0, 0]
    assert degree(edge_index[1], N).shape == (N,)


def test_sym_norm_is_one_over_sqrt_degrees():
    edge_index = add_self_loops(torch.tensor([[0, 1], [1, 2]]), 3)  # 0->1, 1->2, loops
    w = sym_norm(edge_index, 3)
    deg = torch.tensor([1.0, 2.0, 2.0])
    expected = 1 / (deg[edge_index[0]].sqrt() * deg[edge_index[1]].sqrt())
    torch.testing.assert_close(w, expected)
    assert w.shape == (edge_index.shape[1],)


def test_sym_norm_matches_pyg_gcn_norm(tricky_edges):
    gcn = pytest.importorskip("torch_geometric.nn.conv.gcn_conv")
    edge_index, N = tricky_edges
    ei_ref, w_ref = gcn.gcn_norm(edge_index, num_nodes=N)
    ei = add_self_loops(edge_index, N)
    assert ei.tolist() == ei_ref.tolist()
    torch.testing.assert_close(sym_norm(ei, N), w_ref)


def test_scatter_helpers_against_a_loop(tricky_edges):
    edge_index, N = tricky_edges
    torch.manual_seed(0)
    src = torch.randn(edge_index.shape[1], 3)
    i = edge_index[1]
    s, m, x = scatter_sum(src, i, N), scatter_mean(src, i, N), scatter_max(src, i, N)
    assert s.shape == m.shape == x.shape == (N, 3)
    for node in range(N):
        rows = src[i == node]
        if len(rows) == 0:
            assert s[node].abs().sum() == 0 and m[node].abs().sum() == 0 and x[node].abs().sum() == 0
            continue
        torch.testing.assert_close(s[node], rows.sum(0))
        torch.testing.assert_close(m[node], rows.mean(0))
        torch.testing.assert_close(x[node], rows.max(0).values)


def test_scatter_max_gradcheck():
    src = torch.randn(6, 2, dtype=torch.float64, requires_grad=True)
    index = torch.tensor([0, 0, 2, 2, 2, 1])
    assert torch.autograd.gradcheck(lambda s: scatter_max(s, index, 4), (src,))


def dense_masked_softmax(scores, edge_index, N):
    """Reference: put each head's scores in an N x N matrix, -inf off the edges, softmax rows."""
    E, H = scores.shape
    dense = torch.full((H, N, N), float("-inf"), dtype=scores.dtype)
    dense[:, edge_index[1], edge_index[0]] = scores.t()
    weights = torch.softmax(dense, -1).nan_to_num(0.0)  # (H, N, N); empty rows -> 0
    return weights[:, edge_index[1], edge_index[0]].t()  # (E, H)


def test_edge_softmax_equals_dense_masked_softmax(simple_edges):
    edge_index, N = simple_edges
    scores = torch.randn(edge_index.shape[1], 3, dtype=torch.float64, requires_grad=True)
    alpha = edge_softmax(scores, edge_index[1], N)
    expected = dense_masked_softmax(scores, edge_index, N)
    assert alpha.shape == scores.shape
    torch.testing.assert_close(alpha, expected, rtol=1e-6, atol=1e-6)
    # Gradients too, against the dense reference, for a random upstream gradient.
    g = torch.randn_like(alpha)
    (grad,) = torch.autograd.grad(alpha, scores, g)
    (grad_ref,) = torch.autograd.grad(expected, scores, g)
    torch.testing.assert_close(grad, grad_ref, rtol=1e-6, atol=1e-6)


def test_edge_softmax_gradcheck_with_duplicates(tricky_edges):
    edge_index, N = tricky_edges
    scores = torch.randn(edge_index.shape[1], 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: edge_softmax(s, edge_index[1], N), (scores,))


def test_edge_softmax_sums_to_one_and_is_stable(tricky_edges):
    edge_index, N = tricky_edges
    scores = torch.randn(edge_index.shape[1]) * 1000  # would overflow a naive exp
    alpha = edge_softmax(scores, edge_index[1], N)
    assert alpha.shape == (edge_index.shape[1],)
    assert torch.isfinite(alpha).all()
    sums = scatter_sum(alpha, edge_index[1], N)
    has_in = degree(edge_index[1], N) > 0
    torch.testing.assert_close(sums[has_in], torch.ones(int(has_in.sum())))
    assert (sums[~has_in] == 0).all()  # nodes with no incoming edge own no weights


def test_edge_softmax_rejects_mismatched_index():
    with pytest.raises(ValueError, match="same number of edges"):
        edge_softmax(torch.randn(5, 2), torch.tensor([0, 1]), 3)


def test_check_edge_index_messages():
    with pytest.raises(ValueError, match=r"shape \(2, E\)"):
        check_edge_index(torch.zeros(3, 2, dtype=torch.long), 4)
    with pytest.raises(ValueError, match="integer"):
        check_edge_index(torch.zeros(2, 2), 4)
    with pytest.raises(ValueError, match="negative node id"):
        check_edge_index(torch.tensor([[0, -2], [1, 1]]), 4)
    with pytest.raises(ValueError, match="node id 4 but there are only 4 nodes"):
        check_edge_index(torch.tensor([[0, 4], [1, 1]]), 4)


def test_edge_softmax_with_ptr_equals_scatter_version(tricky_edges):
    from gattut.graph.spmm import csr_by_target

    edge_index, N = tricky_edges
    csr = csr_by_target(edge_index, N)
    scores = torch.randn(edge_index.shape[1], 3, dtype=torch.float64, requires_grad=True)
    sorted_scores = scores.index_select(0, csr.perm)
    fast = edge_softmax(sorted_scores, csr.row, N, ptr=csr.crow)
    slow = edge_softmax(scores, edge_index[1], N).index_select(0, csr.perm)
    torch.testing.assert_close(fast, slow, rtol=1e-6, atol=1e-6)
    assert torch.autograd.gradcheck(lambda s: edge_softmax(s, csr.row, N, csr.crow),
                                    (sorted_scores.detach().requires_grad_(),))
    with pytest.raises(ValueError, match=r"ptr must be \(8,\)"):
        edge_softmax(sorted_scores, csr.row, N, ptr=csr.crow[:-1])
