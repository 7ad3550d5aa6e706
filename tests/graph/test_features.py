"""Tests for gattut.graph.features: sparse input dropout is dense dropout restricted to nonzeros."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.features import check_features, feature_dropout, linear


def sparse_features(N=30, F=40, density=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(N, F, generator=g) * (torch.rand(N, F, generator=g) < density)
    return x


def test_linear_sparse_equals_dense():
    x = sparse_features()
    W, b = torch.randn(5, 40), torch.randn(5)
    out = linear(x.to_sparse_csr(), W, b)
    assert out.shape == (30, 5) and out.layout == torch.strided
    torch.testing.assert_close(out, linear(x, W, b))
    torch.testing.assert_close(linear(x.to_sparse_coo(), W), x @ W.t())


def test_linear_sparse_gradient_equals_dense():
    x = sparse_features()
    W = torch.randn(5, 40, requires_grad=True)
    (g_sparse,) = torch.autograd.grad(linear(x.to_sparse_csr(), W).square().sum(), W)
    (g_dense,) = torch.autograd.grad(linear(x, W).square().sum(), W)
    torch.testing.assert_close(g_sparse, g_dense)


def test_same_mask_gives_same_result():
    """A dense dropout mask applied to the stored values only gives the dense dropout result."""
    x, p = sparse_features(), 0.6
    mask = torch.rand(x.shape, generator=torch.Generator().manual_seed(1)) >= p  # keep w.p. 1-p
    dense = x * mask / (1 - p)
    csr = x.to_sparse_csr()
    rows = torch.repeat_interleave(torch.arange(x.shape[0]), csr.crow_indices().diff())
    kept = csr.values() * mask[rows, csr.col_indices()] / (1 - p)
    sparse = torch.sparse_csr_tensor(csr.crow_indices(), csr.col_indices(), kept, x.shape,
                                     check_invariants=True)
    torch.testing.assert_close(sparse.to_dense(), dense)
    W = torch.randn(4, x.shape[1])
    torch.testing.assert_close(linear(sparse, W), linear(dense, W))


def test_sparse_dropout_distribution_matches_dense():
    """Over many draws, x W^T after sparse dropout has the mean and variance of dense dropout."""
    x, p, draws = sparse_features(N=8, F=40, density=0.3), 0.6, 4000
    W = torch.randn(3, 40, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(0)
    dense = torch.stack([linear(feature_dropout(x, p), W) for _ in range(draws)])
    csr = x.to_sparse_csr()
    sparse = torch.stack([linear(feature_dropout(csr, p), W) for _ in range(draws)])
    # Exact moments: E = x W^T; Var = p/(1-p) * sum_f x_f^2 W_kf^2.
    mean = x @ W.t()
    var = p / (1 - p) * (x.square() @ W.square().t())
    for sample in (dense, sparse):
        se = (var / draws).sqrt()
        assert ((sample.mean(0) - mean).abs() <= 5 * se + 1e-6).all()
        torch.testing.assert_close(sample.var(0), var, rtol=0.15, atol=1e-3)


def test_feature_dropout_keeps_layout_and_is_identity_in_eval():
    csr = sparse_features().to_sparse_csr()
    dropped = feature_dropout(csr, 0.5)
    assert dropped.layout == torch.sparse_csr
    assert torch.equal(dropped.col_indices(), csr.col_indices())
    assert feature_dropout(csr, 0.5, training=False) is csr
    coo = feature_dropout(sparse_features().to_sparse_coo(), 0.5)
    assert coo.layout == torch.sparse_coo


def test_check_features_messages():
    with pytest.raises(ValueError, match=r"x must be \(N, F\)"):
        check_features(torch.ones(3), 3, "Layer")
    with pytest.raises(ValueError, match="floating point"):
        check_features(torch.ones(3, 2, dtype=torch.long), 2, "Layer")
    with pytest.raises(ValueError, match="x has 2 features per node but the layer expects 5"):
        check_features(torch.ones(3, 2), 5, "Layer")
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_features(torch.tensor([[1.0, float("inf")]]), 2, "Layer")


def test_csr_linear_gradcheck_values_and_weight():
    """Gradients reach the stored values too (for a learned sparse input, say)."""
    x = sparse_features(N=6, F=5, density=0.5).double().to_sparse_csr()
    values = x.values().clone().requires_grad_()
    W = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)

    def f(v, w):
        rebuilt = torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), v, x.shape)
        return linear(rebuilt, w)

    assert torch.autograd.gradcheck(f, (values, W))


def test_csr_linear_after_dropout_reuses_structure():
    x = sparse_features().to_sparse_csr()
    W = torch.randn(5, 40, requires_grad=True)
    for _ in range(2):  # second pass hits the transpose cache
        dropped = feature_dropout(x, 0.5)
        (g,) = torch.autograd.grad(linear(dropped, W).sum(), W)
        (g_ref,) = torch.autograd.grad(linear(dropped.to_dense(), W).sum(), W)
        torch.testing.assert_close(g, g_ref)


def test_dropout_matches_torch_dropout_in_distribution():
    from gattut.graph.features import dropout

    torch.manual_seed(0)
    x = torch.ones(200_000)
    out = dropout(x, 0.6)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.4) < 0.01  # keeps 1 - p
    torch.testing.assert_close(out[kept], torch.full((int(kept.sum()),), 1 / 0.4))
    assert dropout(x, 0.6, training=False) is x and dropout(x, 0.0) is x
    assert (dropout(x, 1.0) == 0).all()
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\]"):
        dropout(x, 1.5)


def test_check_features_huge_but_finite_values_pass():
    """A sum that overflows to inf is not mistaken for an infinite feature."""
    check_features(torch.full((4, 2), 3e38), 2, "Layer")
    with pytest.raises(ValueError, match="NaN"):
        check_features(torch.tensor([[float("nan"), 1.0]]), 2, "Layer")
