"""Tests for gattut.attention.positional: sinusoidal layouts, learned, relative, rotary."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from gattut.attention import (
    LearnedPositionalEncoding,
    RelativePositionEmbedding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    layout_permutation,
    relative_attention,
    scaled_dot_product_attention,
    sinusoidal_encoding,
)

LAYOUTS = ["interleaved", "sin_cos", "cos_sin"]


def test_interleaved_matches_the_paper():
    L, D = 7, 6
    pe = sinusoidal_encoding(L, D)
    assert pe.shape == (L, D)  # Shapes
    for p in range(L):
        for i in range(D // 2):
            angle = p / 10000 ** (2 * i / D)
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)


def test_half_layouts():
    pe = sinusoidal_encoding(5, 8, "interleaved")
    torch.testing.assert_close(sinusoidal_encoding(5, 8, "sin_cos")[:, :4], pe[:, 0::2])
    torch.testing.assert_close(sinusoidal_encoding(5, 8, "sin_cos")[:, 4:], pe[:, 1::2])
    torch.testing.assert_close(sinusoidal_encoding(5, 8, "cos_sin")[:, :4], pe[:, 1::2])


@pytest.mark.parametrize("source, target", list(itertools.product(LAYOUTS, LAYOUTS)))
def test_layouts_differ_by_a_fixed_permutation(source, target):
    D = 10
    perm = layout_permutation(source, target, D)
    assert perm.dtype == torch.long and perm.shape == (D,)  # Shapes
    assert torch.equal(perm.sort().values, torch.arange(D))  # a permutation
    pe_from = sinusoidal_encoding(50, D, source, base=100.0)
    pe_to = sinusoidal_encoding(50, D, target, base=100.0)
    assert torch.equal(pe_to, pe_from[:, perm])  # exact: the same numbers, moved


def test_sinusoidal_module_adds_the_table():
    layer = SinusoidalPositionalEncoding(10, 6, layout="sin_cos")
    x = torch.randn(2, 4, 6)
    out = layer(x)
    assert out.shape == (2, 4, 6)  # Shapes
    torch.testing.assert_close(out, x + sinusoidal_encoding(4, 6, "sin_cos"))
    assert "pe" not in layer.state_dict()  # a fixed table is not a checkpointed weight


def test_learned_module():
    layer = LearnedPositionalEncoding(10, 6)
    x = torch.randn(2, 4, 6)
    out = layer(x)
    assert out.shape == (2, 4, 6)
    torch.testing.assert_close(out, x + layer.embedding.weight[:4])


def test_modules_reject_bad_input():
    with pytest.raises(ValueError, match=r"T=11.*max_len=10"):
        SinusoidalPositionalEncoding(10, 6)(torch.randn(1, 11, 6))
    with pytest.raises(ValueError, match=r"x has width 5.*expected width 6"):
        LearnedPositionalEncoding(10, 6)(torch.randn(1, 3, 5))
    with pytest.raises(ValueError, match="even"):
        sinusoidal_encoding(3, 5)
    with pytest.raises(ValueError, match="layout must be one of"):
        layout_permutation("interleaved", "halves", 4)


def test_relative_embedding_clips_offsets():
    layer = RelativePositionEmbedding(max_distance=2, d=3)
    table = layer(4, 6)
    assert table.shape == (4, 6, 3)  # Shapes: (T, S, d)
    w = layer.embedding.weight
    for t in range(4):
        for s in range(6):
            offset = max(-2, min(2, s - t))
            torch.testing.assert_close(table[t, s], w[offset + 2])


def test_relative_attention_with_zero_tables_is_sdpa():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 5, 8), torch.randn(2, 3, 5, 6)
    mask = torch.rand(4, 5) > 0.3
    output, weights = relative_attention(
        q, k, v, torch.zeros(4, 5, 8), torch.zeros(4, 5, 6), mask=mask
    )
    assert output.shape == (2, 3, 4, 6) and weights.shape == (2, 3, 4, 5)  # Shapes
    expected, expected_w = scaled_dot_product_attention(q, k, v, mask=mask)
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(weights, expected_w)


def test_relative_attention_formula():
    torch.manual_seed(1)
    T, S, Dh, Dv = 3, 4, 5, 2
    q, k, v = torch.randn(T, Dh), torch.randn(S, Dh), torch.randn(S, Dv)
    rel_k, rel_v = torch.randn(T, S, Dh), torch.randn(T, S, Dv)
    output, weights = relative_attention(q, k, v, rel_k, rel_v)
    for t in range(T):
        scores = torch.stack([q[t] @ (k[s] + rel_k[t, s]) for s in range(S)]) / math.sqrt(Dh)
        w = torch.softmax(scores, 0)
        torch.testing.assert_close(weights[t], w)
        torch.testing.assert_close(output[t], sum(w[s] * (v[s] + rel_v[t, s]) for s in range(S)))


def test_relative_attention_rejects_wrong_table():
    q = torch.randn(3, 5)
    with pytest.raises(ValueError, match=r"rel_k must have shape \(T, S, Dh\) = \(3, 4, 5\)"):
        relative_attention(q, torch.randn(4, 5), torch.randn(4, 2), torch.zeros(4, 3, 5))


def test_rope_depends_only_on_relative_offset():
    torch.manual_seed(2)
    rope = RotaryEmbedding(8).double()
    q, k = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)

    def score(m, n):
        qm = rope.apply_rotary(q.view(1, 8), torch.tensor([m]))
        kn = rope.apply_rotary(k.view(1, 8), torch.tensor([n]))
        return (qm @ kn.T).item()

    for offset in (-3, 0, 2, 7):
        reference = score(10 + offset, 10)
        for m in (offset + 0, offset + 5, offset + 31):
            assert score(m, m - offset) == pytest.approx(reference, abs=1e-10)
    assert score(0, 0) == pytest.approx((q @ k).item())  # position 0 is no rotation


def test_rope_shapes_norm_and_pairing():
    rope = RotaryEmbedding(6)
    x = torch.randn(2, 3, 5, 6)
    out = rope(x)
    assert out.shape == x.shape  # Shapes: (..., T, Dh)
    torch.testing.assert_close(out.norm(dim=-1), x.norm(dim=-1))  # rotations keep norms
    # Rotate-half pairing: dims (i, i + Dh/2) form a plane rotated by p * base^(-2i/Dh).
    p, i = 4, 1
    angle = p * 10000 ** (-2 * i / 6)
    a, b = x[0, 0, p, i], x[0, 0, p, i + 3]
    torch.testing.assert_close(out[0, 0, p, i], a * math.cos(angle) - b * math.sin(angle))
    torch.testing.assert_close(out[0, 0, p, i + 3], b * math.cos(angle) + a * math.sin(angle))


def test_rope_rejects_bad_width():
    with pytest.raises(ValueError, match="even"):
        RotaryEmbedding(5)
    with pytest.raises(ValueError, match=r"x has width 4.*expected width 6"):
        RotaryEmbedding(6).apply_rotary(torch.randn(3, 4))


def test_encodings_take_length_then_width():
    # One order everywhere, the order of the table's shape (and of nn.Embedding).
    import inspect

    for cls in (SinusoidalPositionalEncoding, LearnedPositionalEncoding):
        assert list(inspect.signature(cls).parameters)[:2] == ["max_len", "d_model"], cls
    assert list(inspect.signature(sinusoidal_encoding).parameters)[:2] == ["length", "d_model"]
    assert SinusoidalPositionalEncoding(10, 6).pe.shape == (10, 6)
    # The old (d_model, max_len) order is caught with a message that names the order.
    with pytest.raises(ValueError, match=r"take \(max_len, d_model\)"):
        SinusoidalPositionalEncoding(6, 10)(torch.randn(1, 4, 6))
