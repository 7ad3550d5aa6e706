"""Tests for gattut.attention.multiplicative: LuongAttention and LocalPAttention."""

from __future__ import annotations

import math

import pytest
import torch

from gattut.attention import LocalPAttention, LuongAttention, masked_softmax, padding_mask

B, T, S, D, DK = 2, 3, 7, 4, 6


@pytest.fixture
def inputs():
    torch.manual_seed(0)
    return torch.randn(B, T, D, dtype=torch.float64), torch.randn(B, S, D, dtype=torch.float64)


@pytest.mark.parametrize("score", ["dot", "general", "concat"])
@pytest.mark.parametrize("scale", [False, True])
def test_luong_formula_and_shapes(inputs, score, scale):
    query, key = inputs
    layer = LuongAttention(D, D, score=score, scale=scale).double()
    if scale:
        with torch.no_grad():
            layer.g.fill_(1.5)
    mask = padding_mask(torch.tensor([7, 3]), S)
    context, weights = layer(query, key, mask=mask)
    assert context.shape == (B, T, D) and weights.shape == (B, T, S)  # Shapes
    if score == "dot":
        raw = query @ key.transpose(1, 2)
    elif score == "general":
        raw = query @ (key @ layer.score.key_proj.weight.T).transpose(1, 2)
    else:
        raw = layer.score(query, key)
    expected = masked_softmax((1.5 if scale else 1.0) * raw, mask.unsqueeze(1))
    torch.testing.assert_close(weights, expected)
    torch.testing.assert_close(context, expected @ key)
    step_context, step_weights = layer(query[:, 0], key, mask=mask)
    assert step_context.shape == (B, D) and step_weights.shape == (B, S)  # Shapes
    torch.testing.assert_close(step_weights, weights[:, 0])


def test_luong_general_different_widths():
    layer = LuongAttention(D, DK, score="general")
    context, weights = layer(torch.randn(B, D), torch.randn(B, S, DK))
    assert context.shape == (B, DK) and weights.shape == (B, S)


def test_luong_dot_rejects_different_widths():
    with pytest.raises(ValueError, match="d_query == d_key.*d_query=4, d_key=6"):
        LuongAttention(D, DK, score="dot")


def test_luong_rejects_unknown_score():
    with pytest.raises(ValueError, match="score must be one of"):
        LuongAttention(D, D, score="bilinear")


def test_local_p_matches_formula(inputs):
    query, key = inputs
    window = 2
    layer = LocalPAttention(D, D, window=window).double()
    lengths = torch.tensor([7, 4])
    mask = padding_mask(lengths, S)
    context, weights, positions = layer(query, key, mask=mask, return_positions=True)
    assert context.shape == (B, T, D) and weights.shape == (B, T, S)  # Shapes
    assert positions.shape == (B, T)
    # p_t = L * sigmoid(v_p^T tanh(W_p q_t)) with the true length L per example.
    gate = torch.sigmoid(layer.position_v(torch.tanh(layer.position_proj(query)))).squeeze(-1)
    torch.testing.assert_close(positions, lengths[:, None].double() * gate)
    for b in range(B):
        for t in range(T):
            p = positions[b, t].item()
            allowed = torch.tensor([abs(s - p) <= window and s < lengths[b] for s in range(S)])
            scores = layer.score(query[b : b + 1, t : t + 1], key[b : b + 1])[0, 0]
            align = masked_softmax(scores, allowed)
            gauss = torch.tensor(
                [math.exp(-((s - p) ** 2) / (2 * (window / 2) ** 2)) for s in range(S)],
                dtype=torch.float64,
            )
            torch.testing.assert_close(weights[b, t], align * gauss)
            assert torch.all(weights[b, t][~allowed] == 0)
    torch.testing.assert_close(context, weights @ key)


def test_local_p_one_step_and_gradients_reach_position_network(inputs):
    query, key = inputs
    layer = LocalPAttention(D, D, window=3, score="dot").double()
    context, weights, positions = layer(query[:, 0], key, return_positions=True)
    assert context.shape == (B, D) and weights.shape == (B, S) and positions.shape == (B,)
    assert torch.all((positions >= 0) & (positions <= S))
    context.sum().backward()
    assert layer.position_v.weight.grad.abs().sum() > 0


def test_local_p_rejects_bad_window():
    with pytest.raises(ValueError, match="window must be a positive int"):
        LocalPAttention(D, D, window=0)
