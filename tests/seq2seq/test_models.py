"""Shapes, attention weights and teacher forcing for every model kind."""

import math

import pytest
import torch

from gattut.attention import masked_softmax
from gattut.seq2seq import (
    BahdanauDecoder,
    GRUEncoder,
    LuongDecoder,
    Memory,
    NoAttentionDecoder,
    Seq2SeqConfig,
    TransformerSeq2Seq,
    build_model,
    train,
)

KINDS = ["none", "bahdanau", "luong", "transformer"]


def make(kind, corpus, **kw):
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(kind, len(corpus.src_vocab), len(corpus.tgt_vocab), d_embed=8, d_hidden=16,
                        d_ff=32, num_heads=2, **kw)  # fmt: skip
    return build_model(cfg).eval()


def test_encoder_shapes_and_padding():
    enc = GRUEncoder(20, 8, 16, bidirectional=True)
    src = torch.tensor([[4, 5, 6, 7], [8, 9, 0, 0]])
    outputs, summary = enc(src, torch.tensor([4, 2]))
    assert outputs.shape == (2, 4, 32) and summary.shape == (2, 32)
    assert torch.all(outputs[1, 2:] == 0)
    # The padded example's summary equals that of the same sentence without padding.
    _, alone = enc(src[1:, :2], torch.tensor([2]))
    torch.testing.assert_close(summary[1:], alone)
    assert GRUEncoder(20, 8, 16, num_layers=2, bidirectional=False)(src, torch.tensor([4, 2]))[
        0
    ].shape == (2, 4, 16)
    with pytest.raises(ValueError, match="src_lengths must lie"):
        enc(src, torch.tensor([5, 2]))
    with pytest.raises(ValueError, match="long tensor"):
        enc(src.float(), torch.tensor([4, 2]))


@pytest.mark.parametrize("decoder_cls", [NoAttentionDecoder, BahdanauDecoder, LuongDecoder])
def test_decoder_step_shapes(decoder_cls):
    B, S, V = 3, 5, 11
    memory = Memory(
        torch.randn(B, S, 16),
        torch.randn(B, 16),
        torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True] + [False] * 4]),
    )
    dec = decoder_cls(V, 8, 16, 16)
    state = dec.init_state(memory)
    logits, state, weights = dec.step(torch.tensor([1, 1, 1]), state, memory)
    assert logits.shape == (B, V)
    if decoder_cls is NoAttentionDecoder:
        assert weights is None
    else:
        assert weights.shape == (B, S)
        torch.testing.assert_close(weights.sum(-1), torch.ones(B))
        assert torch.all(weights[~memory.mask] == 0)
    with pytest.raises(ValueError, match="prev_tokens"):
        dec.step(torch.tensor([1, 1]), state, memory)


def test_luong_dot_needs_equal_widths():
    with pytest.raises(ValueError, match="d_hidden == d_context"):
        LuongDecoder(10, 8, 16, 32, score="dot")
    LuongDecoder(10, 8, 16, 16, score="dot")


def test_luong_scaled_score_divides_by_sqrt_d_hidden():
    B, S, d_hidden = 3, 5, 16
    torch.manual_seed(0)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True] + [False] * 4])
    memory = Memory(torch.randn(B, S, 32), torch.randn(B, 32), mask)
    plain = LuongDecoder(11, 8, d_hidden, 32)
    scaled = LuongDecoder(11, 8, d_hidden, 32, scaled_score=True)
    scaled.load_state_dict(plain.state_dict())
    tokens, state = torch.tensor([1, 1, 1]), plain.init_state(memory)
    _, (h, _), plain_weights = plain.step(tokens, state, memory)
    _, _, scaled_weights = scaled.step(tokens, state, memory)
    scores = plain.attention.scores(h[:, None, :], memory.outputs).squeeze(1)  # (B, S)
    torch.testing.assert_close(plain_weights, masked_softmax(scores, mask))
    torch.testing.assert_close(scaled_weights, masked_softmax(scores / math.sqrt(d_hidden), mask))
    assert Seq2SeqConfig("luong", 10, 10, scaled_score=True).to_dict()["scaled_score"] is True


def _mean_max_weight(model, corpus) -> float:
    batch = next(corpus.batches("valid", 64))
    with torch.no_grad():
        _, weights = model.eval()(batch.src, batch.src_lengths, batch.tgt[:, :-1])  # (B, T, S)
    real = batch.tgt[:, 1:] != 0  # (B, T)
    return float(weights.max(-1).values[real].mean())


@pytest.mark.parametrize("scaled_score", [False, True])
def test_luong_attention_stays_soft_early_in_training(tiny_dates, scaled_score):
    """The bug behind Luong's poor English-French BLEU, in miniature.

    With a wide decoder state (d_hidden=128) and the benchmark's Adam learning
    rate, the unscaled general score grows within a few dozen steps until the
    softmax is nearly one-hot (mean largest weight ~0.71 here; ~0.99 after two
    epochs of English-French), where its gradient vanishes and the alignment
    stops learning. Scaled by 1/sqrt(d_hidden), it stays soft (~0.14 here).
    """
    torch.manual_seed(0)
    cfg = Seq2SeqConfig("luong", len(tiny_dates.src_vocab), len(tiny_dates.tgt_vocab),
                        d_embed=16, d_hidden=128, scaled_score=scaled_score)  # fmt: skip
    model = build_model(cfg)
    train(model, tiny_dates, epochs=3, batch_size=32, lr=3e-3, seed=0, progress=False, device="cpu")
    sharpness = _mean_max_weight(model, tiny_dates)
    if scaled_score:
        assert sharpness < 0.5
    else:
        assert sharpness > 0.5  # documents why scaled_score exists


@pytest.mark.parametrize("kind", KINDS)
def test_forward_shapes_and_weights_sum_to_one_over_real_source(kind, tiny_dates):
    model = make(kind, tiny_dates)
    batch = next(tiny_dates.batches("train", 8))
    logits, weights = model(batch.src, batch.src_lengths, batch.tgt[:, :-1])
    B, S = batch.src.shape
    T = batch.tgt.shape[1] - 1
    assert logits.shape == (B, T, len(tiny_dates.tgt_vocab))
    if kind == "none":
        assert weights is None
        return
    assert weights.shape == (B, T, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, T))
    pad = torch.arange(S)[None, :] >= batch.src_lengths[:, None]  # (B, S)
    assert torch.all(weights.masked_select(pad[:, None, :].expand(B, T, S)) == 0)


@pytest.mark.parametrize("kind", ["bahdanau", "luong"])
def test_luong_and_bahdanau_options(kind, tiny_dates):
    extra = {"normalize": True} if kind == "bahdanau" else {"score": "concat", "scale": True}
    model = make(kind, tiny_dates, bidirectional=False, **extra)
    batch = next(tiny_dates.batches("train", 4))
    logits, weights = model(batch.src, batch.src_lengths, batch.tgt[:, :-1])
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:2]))


@pytest.mark.parametrize("kind", KINDS)
def test_teacher_forcing_vs_free_running(kind, tiny_dates):
    """Ratio 1 feeds the gold tokens; ratio 0 feeds back the model's own argmax,
    which equals greedy decoding step by step."""
    model = make(kind, tiny_dates)
    batch = next(tiny_dates.batches("train", 4))
    tgt_in = batch.tgt[:, :-1]
    forced, _ = model(batch.src, batch.src_lengths, tgt_in, teacher_forcing_ratio=1.0)
    free, _ = model(batch.src, batch.src_lengths, tgt_in, teacher_forcing_ratio=0.0)
    # Step 0 reads <sos> in both runs.
    torch.testing.assert_close(forced[:, 0], free[:, 0])
    # Free running never looked at the gold tokens: changing them changes nothing.
    scrambled = tgt_in.clone()
    scrambled[:, 1:] = 4
    free2, _ = model(batch.src, batch.src_lengths, scrambled, teacher_forcing_ratio=0.0)
    torch.testing.assert_close(free, free2)
    forced2, _ = model(batch.src, batch.src_lengths, scrambled, teacher_forcing_ratio=1.0)
    assert not torch.allclose(forced, forced2)
    # Free running feeds back its own argmax: the same as the step-by-step loop.
    memory = model.encode(batch.src, batch.src_lengths)
    state, tokens = model.init_state(memory), tgt_in[:, 0]
    for t in range(tgt_in.shape[1]):
        logits, state, _ = model.step(tokens, state, memory)
        torch.testing.assert_close(logits, free[:, t], atol=1e-5, rtol=1e-5)
        tokens = logits.argmax(-1)


def test_transformer_parallel_equals_step_by_step(tiny_dates):
    for norm_first in (True, False):
        torch.manual_seed(0)
        model = TransformerSeq2Seq(len(tiny_dates.src_vocab), len(tiny_dates.tgt_vocab), d_model=16,
                                   num_heads=2, num_layers=2, d_ff=32, norm_first=norm_first).eval()  # fmt: skip
        batch = next(tiny_dates.batches("train", 4))
        tgt_in = batch.tgt[:, :-1]
        logits, weights = model(batch.src, batch.src_lengths, tgt_in)
        memory = model.encode(batch.src, batch.src_lengths)
        state = model.init_state(memory)
        for t in range(tgt_in.shape[1]):
            step_logits, state, step_weights = model.step(tgt_in[:, t], state, memory)
            torch.testing.assert_close(step_logits, logits[:, t], atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(step_weights, weights[:, t], atol=1e-5, rtol=1e-5)


def test_forward_errors(tiny_dates):
    model = make("bahdanau", tiny_dates)
    batch = next(tiny_dates.batches("train", 4))
    with pytest.raises(ValueError, match="tgt_in must be"):
        model(batch.src, batch.src_lengths, batch.tgt[:2])
    with pytest.raises(ValueError, match="teacher_forcing_ratio"):
        model(batch.src, batch.src_lengths, batch.tgt, teacher_forcing_ratio=1.5)
    with pytest.raises(ValueError, match="attention must be one of"):
        Seq2SeqConfig("lstm", 10, 10)
