"""Tests for gattut.attention.sdpa: parity with F.scaled_dot_product_attention and properties."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gattut.attention import causal_mask, scaled_dot_product_attention

B, H, T, S, DH, DV = 2, 3, 4, 5, 8, 6


@pytest.fixture
def qkv():
    torch.manual_seed(0)
    return (
        torch.randn(B, H, T, DH, dtype=torch.float64),
        torch.randn(B, H, S, DH, dtype=torch.float64),
        torch.randn(B, H, S, DV, dtype=torch.float64),
    )


def test_matches_torch_without_mask(qkv):
    query, key, value = qkv
    output, weights = scaled_dot_product_attention(query, key, value)
    assert output.shape == (B, H, T, DV) and weights.shape == (B, H, T, S)  # Shapes
    torch.testing.assert_close(output, F.scaled_dot_product_attention(query, key, value))


def test_matches_torch_causal(qkv):
    query, key, value = qkv
    output, weights = scaled_dot_product_attention(query, key, value, mask=causal_mask(T, S))
    expected = F.scaled_dot_product_attention(query, key, value, is_causal=True)
    torch.testing.assert_close(output, expected)
    assert torch.all(weights.triu(1) == 0)


def test_matches_torch_with_bool_mask(qkv):
    query, key, value = qkv
    mask = torch.rand(B, 1, T, S) > 0.3
    mask[..., 0] = True
    output, _ = scaled_dot_product_attention(query, key, value, mask=mask)
    expected = F.scaled_dot_product_attention(query, key, value, attn_mask=mask)
    torch.testing.assert_close(output, expected)


def test_no_leading_dims_and_weights_sum_to_one():
    torch.manual_seed(1)
    q, k, v = torch.randn(T, DH), torch.randn(S, DH), torch.randn(S, DV)
    output, weights = scaled_dot_product_attention(q, k, v)
    assert output.shape == (T, DV) and weights.shape == (T, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(T))


def test_fully_masked_rows_are_zero_without_nan_grads(qkv):
    query, key, value = (x.clone().requires_grad_() for x in qkv)
    mask = torch.ones(T, S, dtype=torch.bool)
    mask[1] = False
    output, weights = scaled_dot_product_attention(query, key, value, mask=mask)
    assert torch.all(weights[..., 1, :] == 0) and torch.all(output[..., 1, :] == 0)
    output.sum().backward()
    assert all(torch.isfinite(x.grad).all() for x in (query, key, value))


def test_dropout_only_in_training(qkv):
    query, key, value = qkv
    a, _ = scaled_dot_product_attention(query, key, value, dropout=0.5, training=False)
    b, _ = scaled_dot_product_attention(query, key, value)
    torch.testing.assert_close(a, b)
    torch.manual_seed(0)
    c, w = scaled_dot_product_attention(query, key, value, dropout=0.5, training=True)
    assert not torch.allclose(a, c)
    torch.testing.assert_close(w.sum(-1), torch.ones(B, H, T, dtype=torch.float64))


def test_rejects_width_mismatch(qkv):
    query, key, value = qkv
    with pytest.raises(ValueError, match=r"same width Dh.*\(2, 3, 4, 8\).*\(2, 3, 5, 7\)"):
        scaled_dot_product_attention(query, key[..., :7], value)


def test_rejects_key_value_length_mismatch(qkv):
    query, key, value = qkv
    with pytest.raises(ValueError, match=r"key \(2, 3, 5, 8\) and value \(2, 3, 4, 6\)"):
        scaled_dot_product_attention(query, key, value[..., :4, :])


def test_rejects_batch_mismatch(qkv):
    query, key, value = qkv
    with pytest.raises(ValueError, match="share their batch dimensions"):
        scaled_dot_product_attention(query[:1], key, value)


def test_rejects_bad_mask(qkv):
    query, key, value = qkv
    with pytest.raises(ValueError, match=r"\(4, 4\).*\(2, 3, 4, 5\)"):
        scaled_dot_product_attention(query, key, value, mask=torch.ones(T, T, dtype=torch.bool))
    with pytest.raises(ValueError, match="torch.bool"):
        scaled_dot_product_attention(query, key, value, mask=torch.zeros(T, S))


def test_rejects_empty(qkv):
    query, key, value = qkv
    with pytest.raises(ValueError, match="zero length T"):
        scaled_dot_product_attention(query[..., :0, :], key, value)
