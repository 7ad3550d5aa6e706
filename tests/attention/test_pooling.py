"""Attention pooling (Yang et al. 2016) is additive attention with a learned query."""

import pytest
import torch

from gattut.attention import AttentionPooling, BahdanauAttention

B, T, D, A = 3, 5, 6, 4


def _inputs(dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    h = torch.randn(B, T, D, generator=g, dtype=dtype)
    mask = torch.tensor([[True] * 5, [True] * 2 + [False] * 3, [False] * 5])
    return h, mask


def test_formula_and_shapes():
    pool = AttentionPooling(D, A).double()
    h, mask = _inputs()
    pooled, weights = pool(h, mask)
    assert pooled.shape == (B, D) and weights.shape == (B, T)
    u = torch.tanh(h @ pool.proj.weight.T + pool.proj.bias)  # (B, T, A)
    scores = (u @ pool.context).masked_fill(~mask, float("-inf"))  # (B, T)
    expected = torch.softmax(scores[:2], dim=-1)
    torch.testing.assert_close(weights[:2], expected, atol=1e-12, rtol=0)
    torch.testing.assert_close(pooled[:2], (expected.unsqueeze(-1) * h[:2]).sum(1))
    # A row with nothing to attend to: zero weights, a zero vector, no NaN.
    assert torch.equal(weights[2], torch.zeros(T)) and torch.equal(pooled[2], torch.zeros(D))
    assert weights[1, 2:].eq(0).all()
    no_mask, w = pool(h)
    torch.testing.assert_close(w.sum(-1), torch.ones(B, dtype=torch.float64))


def test_equals_bahdanau_attention_with_a_learned_query():
    """v = u_w, W_2 = W, and the one-dimensional query q = 1 projected by W_1 = b."""
    pool = AttentionPooling(D, A).double()
    bahdanau = BahdanauAttention(d_query=1, d_key=D, d_attn=A).double()
    with torch.no_grad():
        bahdanau.score.key_proj.weight.copy_(pool.proj.weight)  # W
        bahdanau.score.query_proj.weight.copy_(pool.proj.bias[:, None])  # b as a (A, 1) column
        bahdanau.score.v.copy_(pool.context)  # u_w
    h, mask = _inputs()
    query = torch.ones(B, 1, dtype=torch.float64)  # the learned query, a constant input
    for m in (None, mask):
        context, weights = bahdanau(query, h, mask=m)
        pooled, alpha = pool(h, m)
        torch.testing.assert_close(alpha, weights, atol=1e-12, rtol=0)
        torch.testing.assert_close(pooled, context, atol=1e-12, rtol=0)


def test_gradients_flow_to_every_parameter_and_not_through_masked_positions():
    pool = AttentionPooling(D, A).double()
    h, mask = _inputs()
    h.requires_grad_(True)
    pooled, _ = pool(h, mask)
    pooled.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in pool.parameters())
    assert h.grad[1, 2:].eq(0).all() and torch.isfinite(h.grad).all()


@pytest.mark.parametrize(
    "args, words",
    [
        ((torch.randn(B, D),), r"\(B, T, D\)"),
        ((torch.randn(B, 0, D),), "zero length T"),
        ((torch.randn(B, T, D + 1),), "width"),
        ((torch.ones(B, T, D, dtype=torch.long),), "floating"),
        ((torch.randn(B, T, D, dtype=torch.float64),), "dtypes differ"),
        ((torch.randn(B, T, D), torch.ones(B, T)), "torch.bool"),
        ((torch.randn(B, T, D), torch.ones(B, T + 1, dtype=torch.bool)), "does not broadcast"),
    ],
)
def test_bad_input_names_the_problem(args, words):
    with pytest.raises(ValueError, match=words):
        AttentionPooling(D, A)(*args)


def test_bad_sizes():
    with pytest.raises(ValueError, match="d_attn must be a positive int"):
        AttentionPooling(D, 0)
