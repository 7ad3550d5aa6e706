"""Shapes, attention weights and teacher forcing for every model kind."""

import pytest
import torch

from gattut.seq2seq import (
    BahdanauDecoder,
    GRUEncoder,
    LuongDecoder,
    Memory,
    NoAttentionDecoder,
    Seq2SeqConfig,
    TransformerSeq2Seq,
    build_model,
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
