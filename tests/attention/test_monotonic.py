"""Tests for gattut.attention.monotonic (Raffel et al., 2017)."""

from __future__ import annotations

import pytest
import torch

from gattut.attention import MonotonicAttention, monotonic_attention, padding_mask, safe_cumprod

B, S, D, A = 3, 6, 4, 5


def _random_previous(B, S, dtype=torch.float64):
    """A previous alignment with total mass <= 1, like a real one."""
    prev = torch.rand(B, S, dtype=dtype)
    return prev / prev.sum(-1, keepdim=True) * torch.rand(B, 1, dtype=dtype)


def test_parallel_equals_recursive():
    torch.manual_seed(0)
    p = torch.rand(B, S, dtype=torch.float64) * 0.98 + 0.01
    prev = _random_previous(B, S)
    parallel = monotonic_attention(p, prev, "parallel")
    recursive = monotonic_attention(p, prev, "recursive")
    assert parallel.shape == (B, S)  # Shapes
    torch.testing.assert_close(parallel, recursive)


def test_parallel_equals_recursive_with_zero_probabilities():
    # p = 0 (a masked memory slot) keeps the recurrence going: no division by zero.
    p = torch.tensor([[0.3, 0.0, 0.6, 0.0, 0.5, 0.2]], dtype=torch.float64)
    prev = torch.tensor([[0.5, 0.1, 0.2, 0.1, 0.05, 0.05]], dtype=torch.float64)
    torch.testing.assert_close(
        monotonic_attention(p, prev, "parallel"), monotonic_attention(p, prev, "recursive")
    )


def test_recursion_by_hand():
    # From position 0 with certainty: alpha_j = p_j * prod_{k<j} (1 - p_k).
    p = torch.tensor([[0.5, 0.5, 0.5]], dtype=torch.float64)
    prev = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    expected = torch.tensor([[0.5, 0.25, 0.125]], dtype=torch.float64)
    for mode in ("parallel", "recursive"):
        torch.testing.assert_close(monotonic_attention(p, prev, mode), expected)


def test_mass_at_most_previous_mass():
    torch.manual_seed(1)
    p = torch.rand(B, S, dtype=torch.float64)
    prev = _random_previous(B, S)
    weights = monotonic_attention(p, prev, "parallel")
    assert torch.all(weights >= 0)
    assert torch.all(weights.sum(-1) <= prev.sum(-1) + 1e-12)


def test_gradcheck_parallel_float64():
    torch.manual_seed(2)
    p = (torch.rand(2, 4, dtype=torch.float64) * 0.8 + 0.1).requires_grad_()
    prev = _random_previous(2, 4).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: monotonic_attention(a, b, "parallel"), (p, prev))


def test_parallel_has_no_nan_when_cumprod_underflows():
    # Certain early stops make cumprod(1 - p) reach 0: clamped, no NaN/inf, gradients finite.
    p = torch.tensor([[1.0, 1.0, 1.0, 0.5]], requires_grad=True)
    prev = torch.tensor([[0.0, 0.0, 0.5, 0.5]])
    weights = monotonic_attention(p, prev, "parallel")
    weights.sum().backward()
    assert torch.isfinite(weights).all() and torch.isfinite(p.grad).all()


def test_safe_cumprod():
    x = torch.tensor([[0.5, 0.0, 0.25]], dtype=torch.float64)
    torch.testing.assert_close(
        safe_cumprod(x), torch.tensor([[0.5, 0.0, 0.0]], dtype=torch.float64)
    )
    torch.testing.assert_close(
        safe_cumprod(x, exclusive=True), torch.tensor([[1.0, 0.5, 0.0]], dtype=torch.float64)
    )


def test_hard_mode():
    p = torch.tensor([[0.9, 0.2, 0.7, 0.8, 0.1], [0.1, 0.2, 0.3, 0.4, 0.2]])
    prev = torch.tensor([[0.0, 1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    weights = monotonic_attention(p, prev, "hard")
    # Row 0: never looks back before position 1; first p > 0.5 from there is position 2.
    # Row 1: nothing passes the threshold, so it attends nowhere.
    expected = torch.tensor([[0.0, 0.0, 1.0, 0.0, 0.0], [0.0] * 5])
    assert torch.equal(weights, expected)


def _hard_by_hand(p_choose, previous_weights):
    """Hard mode with every prefix product written out: autograd of it is the exact gradient."""
    chosen = (p_choose > 0.5).to(p_choose.dtype) * torch.cumsum(previous_weights, dim=1)
    B, S = chosen.shape
    rows = []
    for b in range(B):
        row, before = [], torch.ones((), dtype=chosen.dtype)
        for j in range(S):
            row.append(chosen[b, j] * before)  # chosen here, and nowhere before
            before = before * (1 - chosen[b, j])
        rows.append(torch.stack(row))
    return torch.stack(rows)  # (B, S)


def test_hard_mode_gradient_is_exact_where_a_factor_is_zero():
    # With one-hot previous weights, 1 - chosen is exactly 0 after the chosen
    # position: a cumprod gradient that divides by the factors gets 0 there.
    g = torch.Generator().manual_seed(3)
    p = torch.rand(4, 7, generator=g, dtype=torch.float64)
    previous = torch.nn.functional.one_hot(torch.tensor([0, 2, 1, 5]), 7).double()
    upstream = torch.randn(4, 7, generator=g, dtype=torch.float64)
    grads = []
    for fn in (lambda q: monotonic_attention(p, q, "hard"), lambda q: _hard_by_hand(p, q)):
        q = previous.clone().requires_grad_(True)
        (fn(q) * upstream).sum().backward()
        grads.append(q.grad)
    assert grads[1].abs().max() > 0.1  # the test has something to catch
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=1e-12)


def test_rejects_bad_inputs():
    with pytest.raises(ValueError, match="mode must be one of"):
        monotonic_attention(torch.rand(2, 3), torch.rand(2, 3), "soft")
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        monotonic_attention(torch.rand(2, 3), torch.rand(2, 4))


@pytest.mark.parametrize("score", ["bahdanau", "luong"])
def test_layer_shapes_and_masking(score):
    torch.manual_seed(3)
    layer = MonotonicAttention(D, D + 1, d_attn=A if score == "bahdanau" else None, score=score)
    query, key = torch.randn(B, D), torch.randn(B, S, D + 1)
    value = torch.randn(B, S, 2)
    previous = layer.initial_weights(B, S)
    assert torch.equal(previous, torch.eye(S)[[0, 0, 0]])  # one-hot on position 0
    mask = padding_mask(torch.tensor([6, 3, 1]), S)
    context, weights = layer(query, key, previous, value=value, mask=mask)
    assert context.shape == (B, 2) and weights.shape == (B, S)  # Shapes
    assert torch.all(weights[~mask] == 0)
    torch.testing.assert_close(context, (weights.unsqueeze(1) @ value).squeeze(1))


def test_noise_only_in_training():
    torch.manual_seed(4)
    layer = MonotonicAttention(D, D, A, sigmoid_noise=1.0)
    query, key = torch.randn(B, D), torch.randn(B, S, D)
    previous = layer.initial_weights(B, S)
    layer.eval()
    a, _ = layer(query, key, previous)
    b, _ = layer(query, key, previous)
    assert torch.equal(a, b)
    layer.train()
    c, _ = layer(query, key, previous)
    assert not torch.allclose(a, c)


def test_layer_hard_mode_is_one_hot_or_zero():
    torch.manual_seed(5)
    layer = MonotonicAttention(D, D, A, mode="hard", score_bias_init=0.5)
    weights = layer(torch.randn(B, D), torch.randn(B, S, D), layer.initial_weights(B, S))[1]
    assert set(weights.sum(-1).tolist()) <= {0.0, 1.0}
    assert set(weights.unique().tolist()) <= {0.0, 1.0}


def test_layer_rejects_bad_arguments():
    assert MonotonicAttention(D, D + 1).score.d_attn == D  # d_attn defaults to d_query
    with pytest.raises(ValueError, match="projects keys to d_query=4, got d_attn=5"):
        MonotonicAttention(D, D, d_attn=A, score="luong")
    with pytest.raises(ValueError, match="score must be 'bahdanau' or 'luong'"):
        MonotonicAttention(D, D, score="dot")
    with pytest.raises(ValueError, match="scale=True belongs to score='luong'"):
        MonotonicAttention(D, D, A, scale=True)
    layer = MonotonicAttention(D, D, A)
    with pytest.raises(ValueError, match=r"previous_weights must have shape \(B, S\) = \(3, 6\)"):
        layer(torch.randn(B, D), torch.randn(B, S, D), torch.zeros(B, S - 1))
    with pytest.raises(ValueError, match=r"query must have shape \(B, Dq\)"):
        layer(torch.randn(B, 2, D), torch.randn(B, S, D), torch.zeros(B, S))
