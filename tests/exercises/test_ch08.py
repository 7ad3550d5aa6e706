"""The chapter 8 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.exercises import ExerciseError, ch08


def _mask(lengths, T):
    causal = torch.ones(T, T, dtype=torch.bool).tril()  # (T, T)
    padding = torch.arange(T)[None, :] < lengths[:, None]  # (B, S)
    return causal & padding[:, None, :]  # (B, T, T)


def test_decoder_mask_checker_accepts_a_right_answer():
    assert "passed" in ch08.check_decoder_mask(_mask)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda lengths, T: ~_mask(lengths, T), "polarity is flipped"),
        (
            lambda lengths, T: torch.ones(T, T, dtype=torch.bool).tril().expand(len(lengths), T, T),
            "padding",
        ),
        (lambda lengths, T: _mask(lengths, T).transpose(1, 2), "wrong way round|wrong for example"),
        (
            lambda lengths, T: _mask(lengths, T) & ~torch.eye(T, dtype=torch.bool),
            "may not see itself",
        ),
        (lambda lengths, T: _mask(lengths, T).int(), "boolean"),
        (lambda lengths, T: _mask(lengths, T)[:, :, :-1], "wrong shape"),
    ],
)
def test_decoder_mask_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch08.check_decoder_mask(wrong)


def _encoder_layer(x, src_mask, layer, *, pre=True, masked=True, residual=True):
    def attend(h):
        return layer.self_attn(h, h, h, key_mask=src_mask if masked else None)[0]

    if not pre:
        x = layer.norm1(x + attend(x))
        return layer.norm2(x + layer.ff(x))
    x = (x if residual else 0) + attend(layer.norm1(x))
    return (x if residual else 0) + layer.ff(layer.norm2(x))


def test_encoder_layer_checker():
    assert "passed" in ch08.check_encoder_layer(_encoder_layer)
    with pytest.raises(ExerciseError, match="post-norm"):
        ch08.check_encoder_layer(lambda x, m, layer: _encoder_layer(x, m, layer, pre=False))
    with pytest.raises(ExerciseError, match="padding is attended to"):
        ch08.check_encoder_layer(lambda x, m, layer: _encoder_layer(x, m, layer, masked=False))
    with pytest.raises(ExerciseError, match="residual"):
        ch08.check_encoder_layer(lambda x, m, layer: _encoder_layer(x, m, layer, residual=False))
    with pytest.raises(ExerciseError, match="wrong shape"):
        ch08.check_encoder_layer(lambda x, m, layer: x[:, :2])
