"""Tests for gattut.attention.additive.BahdanauAttention."""

from __future__ import annotations

import pytest
import torch

from gattut.attention import BahdanauAttention, masked_softmax, padding_mask

B, T, S, DQ, DK, DV, A = 2, 3, 5, 4, 6, 7, 8


@pytest.fixture
def inputs():
    torch.manual_seed(0)
    return (
        torch.randn(B, T, DQ, dtype=torch.float64),
        torch.randn(B, S, DK, dtype=torch.float64),
        torch.randn(B, S, DV, dtype=torch.float64),
    )


@pytest.mark.parametrize("normalize", [False, True])
def test_shapes_and_formula(inputs, normalize):
    query, key, value = inputs
    layer = BahdanauAttention(DQ, DK, A, normalize=normalize).double()
    mask = padding_mask(torch.tensor([5, 2]), S)
    context, weights = layer(query, key, value, mask=mask)
    assert context.shape == (B, T, DV) and weights.shape == (B, T, S)  # Shapes
    expected_w = masked_softmax(layer.score(query, key), mask.unsqueeze(1))
    torch.testing.assert_close(weights, expected_w)
    torch.testing.assert_close(context, expected_w @ value)
    assert torch.all(weights[1, :, 2:] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, T, dtype=torch.float64))


def test_one_step_query_matches_sequence(inputs):
    query, key, value = inputs
    layer = BahdanauAttention(DQ, DK, A).double()
    context, weights = layer(query, key, value)
    step_context, step_weights = layer(query[:, 1], key, value)
    assert step_context.shape == (B, DV) and step_weights.shape == (B, S)  # Shapes
    torch.testing.assert_close(step_context, context[:, 1])
    torch.testing.assert_close(step_weights, weights[:, 1])


def test_value_defaults_to_key(inputs):
    query, key, _ = inputs
    layer = BahdanauAttention(DQ, DK, A).double()
    context, weights = layer(query, key)
    torch.testing.assert_close(context, weights @ key)


def test_three_dimensional_mask_and_fully_masked_row(inputs):
    query, key, value = inputs
    layer = BahdanauAttention(DQ, DK, A).double()
    mask = torch.ones(B, T, S, dtype=torch.bool)
    mask[0, 2] = False
    context, weights = layer(query, key, value, mask=mask)
    assert torch.all(weights[0, 2] == 0) and torch.all(context[0, 2] == 0)
    context.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())


def test_rejects_wrong_query_width(inputs):
    _, key, value = inputs
    layer = BahdanauAttention(DQ, DK, A).double()
    with pytest.raises(ValueError, match=r"query has width 9.*expected width 4"):
        layer(torch.randn(B, T, 9, dtype=torch.float64), key, value)


def test_rejects_batch_mismatch(inputs):
    query, key, value = inputs
    with pytest.raises(ValueError, match="batch sizes differ"):
        BahdanauAttention(DQ, DK, A).double()(query[:1], key, value)


def test_rejects_key_value_length_mismatch(inputs):
    query, key, value = inputs
    with pytest.raises(ValueError, match=r"same length S.*\(2, 5, 6\).*\(2, 4, 7\)"):
        BahdanauAttention(DQ, DK, A).double()(query, key, value[:, :4])


def test_rejects_bad_mask(inputs):
    query, key, value = inputs
    layer = BahdanauAttention(DQ, DK, A).double()
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(2, 5\)"):
        layer(query, key, value, mask=torch.ones(B, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="torch.bool"):
        layer(query, key, value, mask=torch.ones(B, S, dtype=torch.long))


def test_rejects_empty_memory(inputs):
    query, key, value = inputs
    with pytest.raises(ValueError, match="zero length S"):
        BahdanauAttention(DQ, DK, A).double()(query, key[:, :0], value[:, :0])
