"""Tests for gattut.attention.multihead.MultiHeadAttention.

Parity with ``torch.nn.MultiheadAttention`` (weights copied), agreement of the
readable and fast paths, properties (causality, permutation equivariance,
fully masked rows) and one bad-input test per check.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gattut.attention import MultiHeadAttention, causal_mask

B, T, S, D, H = 2, 4, 6, 8, 2


def copy_from_torch(ours: MultiHeadAttention, ref: nn.MultiheadAttention) -> None:
    """Copy torch's packed in-projection into our separate q/k/v projections."""
    with torch.no_grad():
        if ref.in_proj_weight is not None:
            wq, wk, wv = ref.in_proj_weight.chunk(3)
        else:
            wq, wk, wv = ref.q_proj_weight, ref.k_proj_weight, ref.v_proj_weight
        bq, bk, bv = ref.in_proj_bias.chunk(3)
        for proj, w, b in [(ours.q_proj, wq, bq), (ours.k_proj, wk, bk), (ours.v_proj, wv, bv)]:
            proj.weight.copy_(w)
            proj.bias.copy_(b)
        ours.out_proj.weight.copy_(ref.out_proj.weight)
        ours.out_proj.bias.copy_(ref.out_proj.bias)


def make_pair(kdim=None, vdim=None):
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(D, H, batch_first=True, kdim=kdim, vdim=vdim).double()
    with torch.no_grad():  # torch starts the biases at zero: make them count.
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ours = MultiHeadAttention(D, H, kdim=kdim, vdim=vdim).double()
    copy_from_torch(ours, ref)
    return ours, ref


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float64)


@pytest.mark.parametrize("need_weights", [True, False])
def test_self_attention_matches_torch(need_weights):
    ours, ref = make_pair()
    x = randn(B, T, D)
    output, weights = ours(x, x, x, need_weights=need_weights)
    expected, expected_w = ref(x, x, x, average_attn_weights=False)
    assert output.shape == (B, T, D)  # Shapes
    torch.testing.assert_close(output, expected)
    if need_weights:
        assert weights.shape == (B, H, T, T)  # Shapes: per-head weights
        torch.testing.assert_close(weights, expected_w)
    else:
        assert weights is None


@pytest.mark.parametrize("need_weights", [True, False])
def test_cross_attention_with_masks_matches_torch(need_weights):
    ours, ref = make_pair(kdim=5, vdim=3)
    query, key, value = randn(B, T, D), randn(B, S, 5), randn(B, S, 3)
    key_padding = torch.tensor([[True] * S, [True] * 3 + [False] * 3])  # True = real key
    mask = torch.rand(T, S) > 0.3
    mask[:, 0] = True
    output, weights = ours(
        query, key, value, mask=mask, key_mask=key_padding, need_weights=need_weights
    )
    # torch's masks mean the opposite: True = do not attend.
    expected, expected_w = ref(
        query,
        key,
        value,
        key_padding_mask=~key_padding,
        attn_mask=~mask,
        average_attn_weights=False,
    )
    torch.testing.assert_close(output, expected)
    if need_weights:
        assert weights.shape == (B, H, T, S)
        torch.testing.assert_close(weights, expected_w)


@pytest.mark.parametrize("need_weights", [True, False])
def test_causal_and_per_example_mask_match_torch(need_weights):
    ours, ref = make_pair()
    x = randn(B, T, D)
    per_example = torch.rand(B, T, T) > 0.5
    per_example[..., 0] = True
    output, _ = ours(x, x, x, mask=per_example, causal=True, need_weights=need_weights)
    # torch wants a 3-D mask as (B * H, T, S).
    combined = (per_example & causal_mask(T)).repeat_interleave(H, dim=0)
    expected, _ = ref(x, x, x, attn_mask=~combined)
    torch.testing.assert_close(output, expected)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("length", [T, S])
def test_causal_alone_matches_torch(need_weights, length):
    # With T != S the causal mask is aligned top-left: query t sees keys s <= t.
    ours, ref = make_pair()
    query, key = randn(B, T, D), randn(B, length, D)
    output, _ = ours(query, key, key, causal=True, need_weights=need_weights)
    expected, _ = ref(query, key, key, attn_mask=~causal_mask(T, length))
    torch.testing.assert_close(output, expected)


@pytest.mark.parametrize("causal", [False, True])
def test_readable_path_equals_fast_path_in_values_and_gradients(causal):
    torch.manual_seed(1)
    layer = MultiHeadAttention(D, H).double()
    query, key = randn(B, T, D), randn(B, S, D)
    mask = torch.rand(B, H, T, S) > 0.4
    mask[0, 1, 2] = False  # a fully masked row
    key_padding = torch.tensor([[True] * S, [False] * S])  # a fully padded example
    results = []
    for need_weights in (True, False):
        q, k = query.clone().requires_grad_(), key.clone().requires_grad_()
        layer.zero_grad()
        out, _ = layer(
            q,
            k,
            k,
            mask=mask,
            key_mask=key_padding,
            causal=causal,
            need_weights=need_weights,
        )
        out.pow(2).sum().backward()
        grads = [q.grad, k.grad] + [p.grad.clone() for p in layer.parameters()]
        assert all(torch.isfinite(g).all() for g in grads)
        results.append((out, grads))
    (out_a, grads_a), (out_b, grads_b) = results
    torch.testing.assert_close(out_a, out_b)
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("need_weights", [True, False])
def test_fully_masked_rows_give_zero_attention(need_weights):
    layer = MultiHeadAttention(D, H).double()
    x = randn(B, T, D)
    key_padding = torch.tensor([[True] * T, [False] * T])
    output, weights = layer(x, x, x, key_mask=key_padding, need_weights=need_weights)
    # Zero attention output, so the layer returns out_proj's bias there.
    torch.testing.assert_close(output[1], layer.out_proj.bias.expand(T, D))
    if need_weights:
        assert torch.all(weights[1] == 0)


@pytest.mark.parametrize("need_weights", [True, False])
def test_causal_output_ignores_the_future(need_weights):
    torch.manual_seed(2)
    layer = MultiHeadAttention(D, H).double()
    x = randn(B, T, D)
    changed = x.clone()
    changed[:, 2:] = randn(B, T - 2, D)  # change positions 2, 3 only
    before, _ = layer(x, x, x, causal=True, need_weights=need_weights)
    after, _ = layer(changed, changed, changed, causal=True, need_weights=need_weights)
    torch.testing.assert_close(before[:, :2], after[:, :2])
    assert not torch.allclose(before[:, 2:], after[:, 2:])


def test_self_attention_is_permutation_equivariant():
    torch.manual_seed(3)
    layer = MultiHeadAttention(D, H).double()
    x = randn(B, T, D)
    perm = torch.randperm(T)
    output, weights = layer(x, x, x)
    permuted, permuted_w = layer(x[:, perm], x[:, perm], x[:, perm])
    torch.testing.assert_close(permuted, output[:, perm])
    torch.testing.assert_close(permuted_w, weights[:, :, perm][..., perm])


def test_dropout_off_in_eval_mode():
    layer = MultiHeadAttention(D, H, dropout=0.5).double().eval()
    x = randn(B, T, D)
    a, _ = layer(x, x, x)
    b, _ = layer(x, x, x, need_weights=False)
    torch.testing.assert_close(a, b)
    layer.train()
    out, _ = layer(x, x, x, need_weights=False)
    assert out.shape == (B, T, D)


def test_bias_false():
    layer = MultiHeadAttention(D, H, bias=False)
    assert all(p.bias is None for p in (layer.q_proj, layer.k_proj, layer.v_proj, layer.out_proj))


# Bad input: one test each.


@pytest.mark.parametrize("causal", [False, True])
def test_key_dim_is_the_per_head_width(causal):
    # Keras' name and meaning: 3 heads of width 5 on a width-8 model (3 does not divide 8).
    layer = MultiHeadAttention(D, 3, key_dim=5).double()
    assert layer.d_head == 5 and layer.q_proj.weight.shape == (15, D)
    assert layer.out_proj.weight.shape == (D, 15)
    x = randn(B, T, D)
    readable, weights = layer(x, x, x, causal=causal)
    fast, _ = layer(x, x, x, causal=causal, need_weights=False)
    assert readable.shape == (B, T, D) and weights.shape == (B, 3, T, T)  # Shapes
    torch.testing.assert_close(fast, readable)


def test_rejects_num_heads_not_dividing_d_model():
    with pytest.raises(ValueError, match="d_model=8, num_heads=3"):
        MultiHeadAttention(8, 3)


def test_rejects_wrong_query_width():
    with pytest.raises(
        ValueError, match=r"query has width 7 \(shape \(2, 4, 7\)\), expected width 8"
    ):
        MultiHeadAttention(D, H)(
            randn(B, T, 7).float(), randn(B, S, D).float(), randn(B, S, D).float()
        )


def test_rejects_wrong_key_width():
    x = torch.randn(B, T, D)
    with pytest.raises(ValueError, match=r"key has width 8.*expected width 5"):
        MultiHeadAttention(D, H, kdim=5)(x, x, x)


def test_rejects_wrong_value_width():
    x = torch.randn(B, T, D)
    with pytest.raises(ValueError, match=r"value has width 8.*expected width 3"):
        MultiHeadAttention(D, H, vdim=3)(x, x, x)


def test_rejects_batch_mismatch():
    with pytest.raises(ValueError, match=r"batch sizes differ: query \(2, 4, 8\), key \(3, 6, 8\)"):
        MultiHeadAttention(D, H)(torch.randn(B, T, D), torch.randn(3, S, D), torch.randn(3, S, D))


def test_rejects_key_value_length_mismatch():
    with pytest.raises(ValueError, match=r"same length S.*\(2, 6, 8\).*\(2, 5, 8\)"):
        MultiHeadAttention(D, H)(torch.randn(B, T, D), torch.randn(B, S, D), torch.randn(B, 5, D))


def test_rejects_zero_length_query():
    x = torch.randn(B, T, D)
    with pytest.raises(ValueError, match=r"query has zero length T \(shape \(2, 0, 8\)\)"):
        MultiHeadAttention(D, H)(x[:, :0], x, x)


def test_rejects_zero_length_key():
    x = torch.randn(B, T, D)
    with pytest.raises(ValueError, match=r"key has zero length S \(shape \(2, 0, 8\)\)"):
        MultiHeadAttention(D, H)(x, x[:, :0], x[:, :0])


def test_rejects_rank_two_input():
    x = torch.randn(T, D)
    with pytest.raises(ValueError, match=r"query must have shape \(B, T, D\), got shape \(4, 8\)"):
        MultiHeadAttention(D, H)(x, x, x)


def test_rejects_float_mask():
    x = torch.randn(B, T, D)
    with pytest.raises(ValueError, match="mask must have dtype torch.bool.*torch.float32"):
        MultiHeadAttention(D, H)(x, x, x, mask=torch.ones(T, T))


def test_rejects_wrong_mask_shape():
    x = torch.randn(B, T, D)
    with pytest.raises(
        ValueError, match=r"mask of shape \(4, 5\) does not broadcast.*\(2, 2, 4, 4\)"
    ):
        MultiHeadAttention(D, H)(x, x, x, mask=torch.ones(T, 5, dtype=torch.bool))


def test_rejects_wrong_key_mask_shape():
    x = torch.randn(B, T, D)
    with pytest.raises(ValueError, match=r"key_mask of shape \(4, 2\).*\(2, 4\)"):
        MultiHeadAttention(D, H)(x, x, x, key_mask=torch.ones(T, B, dtype=torch.bool))


def test_old_key_padding_mask_name_explains_rename_and_polarity():
    x = torch.randn(B, T, D)
    real = torch.ones(B, T, dtype=torch.bool)
    with pytest.raises(TypeError, match=r"`key_padding_mask` was renamed `key_mask`.*True = may"):
        MultiHeadAttention(D, H)(x, x, x, key_padding_mask=real)
    with pytest.raises(TypeError, match=r"opposite \(True = ignore\)"):
        MultiHeadAttention(D, H)(x, x, x, key_padding_mask=real)
    with pytest.raises(TypeError, match="unexpected keyword argument 'causual'"):
        MultiHeadAttention(D, H)(x, x, x, causual=True)
