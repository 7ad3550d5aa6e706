"""Checkers for chapter 8, the Transformer."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.attention import causal_mask, padding_mask
from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed
from gattut.seq2seq.transformer import EncoderLayer

__all__ = ["check_decoder_mask", "check_encoder_layer"]


def check_decoder_mask(fn: Callable) -> str:
    """Check ``fn(tgt_lengths, T) -> mask``: what the decoder's self-attention may see.

    Query ``t`` of example ``b`` may attend to key ``s`` when ``s <= t`` (no
    peeking at the future) and ``s < tgt_lengths[b]`` (no padding). ``True``
    means "may attend".

    Shapes: ``tgt_lengths (B,)`` long -> ``mask (B, T, T)`` bool.
    """
    lengths, T = torch.tensor([5, 3, 1]), 5
    mask = call(fn, lengths, T, what="your decoder_mask")
    expect_shape(mask, (3, T, T), "the mask")
    if mask.dtype != torch.bool:
        raise ExerciseError(f"the mask should be boolean (True = may attend), got {mask.dtype}")
    causal = causal_mask(T)  # (T, T)
    padding = padding_mask(lengths, T)[:, None, :]  # (B, 1, S)
    expected = causal & padding  # (B, T, T)
    mistakes = [
        (~expected, "the polarity is flipped: in this book True means 'may attend'"),
        (causal.expand(3, T, T), "padding is not hidden: key s must also satisfy s < length"),
        (padding.expand(3, T, T), "the future is not hidden: query t may only see keys s <= t"),
        (causal.transpose(0, 1) & padding, "the triangle is the wrong way round: query t (a row) sees keys s <= t"),
        (torch.ones(T, T, dtype=torch.bool).tril(-1) & padding, "a query may not see itself: allow s == t (the diagonal)"),
    ]  # fmt: skip
    for wrong, words in mistakes:
        if torch.equal(mask, wrong):
            raise ExerciseError(f"the mask is wrong: {words}")
    if not torch.equal(mask, expected):
        b, t, s = (int(i) for i in (mask != expected).nonzero()[0])
        raise ExerciseError(
            f"the mask is wrong for example {b}, query {t}, key {s}: got {bool(mask[b, t, s])}, "
            f"expected {bool(expected[b, t, s])} (length {int(lengths[b])})"
        )
    return passed("the causal mask AND the padding mask, True = may attend.")


def check_encoder_layer(fn: Callable) -> str:
    """Check ``fn(x, src_mask, layer) -> y``: one pre-norm Transformer encoder layer.

    ``layer`` is a :class:`gattut.seq2seq.transformer.EncoderLayer`; use its
    ``self_attn``, ``ff``, ``norm1`` and ``norm2``:
    ``x = x + self_attn(norm1(x))`` (padding masked), then ``x = x + ff(norm2(x))``.

    Shapes: ``x (B, S, D)``, ``src_mask (B, S)`` bool -> ``y (B, S, D)``.
    """
    gen = torch.Generator().manual_seed(8)
    B, S, D = 2, 5, 8
    layer = EncoderLayer(D, num_heads=2, d_ff=16, dropout=0.0, norm_first=True).double().eval()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    x = torch.randn(B, S, D, generator=gen, dtype=torch.float64)
    src_mask = padding_mask(torch.tensor([5, 3]), S)  # (B, S)
    with torch.no_grad():
        y = call(fn, x, src_mask, layer, what="your encoder_layer")
        expect_shape(y, (B, S, D), "the output")
        expected = layer(x, src_mask)

        def attend(h, mask=src_mask):
            return layer.self_attn(h, h, h, key_mask=mask)[0]

        post = layer.norm1(x + attend(x))
        post = layer.norm2(post + layer.ff(post))
        no_mask = x + attend(layer.norm1(x), None)
        no_mask = no_mask + layer.ff(layer.norm2(no_mask))
        no_residual = attend(layer.norm1(x))
        no_residual = layer.ff(layer.norm2(no_residual))
    mistakes = [
        (post, "this is post-norm, LayerNorm(x + sublayer(x)); the layer is pre-norm: "
               "x + sublayer(LayerNorm(x))"),
        (no_mask, "the padding is attended to: pass key_mask=src_mask to self_attn"),
        (no_residual, "the residual connections are missing: add the sub-layer's output to x"),
    ]  # fmt: skip
    for wrong, words in mistakes:
        if torch.allclose(y.double(), wrong, atol=1e-6):
            raise ExerciseError(f"the output is wrong: {words}")
    expect_close(y, expected, "the output", atol=1e-6)
    return passed("pre-norm self-attention and feed-forward, each with a residual connection.")
