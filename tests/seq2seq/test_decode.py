import math

import pytest
import torch

from gattut.seq2seq import (
    EOS_ID,
    SOS_ID,
    Seq2SeqConfig,
    beam_search,
    build_model,
    greedy_decode,
    translate,
)
from gattut.seq2seq.decode import decode_split

A, B, C = 4, 5, 6


class ScriptedModel(torch.nn.Module):
    """A 'model' whose next-token distribution depends only on the previous token.

    After <sos>: A 0.6, B 0.4. After A: C 0.34, <eos> 0.33, B 0.33. After B: <eos> 0.9.
    After C: <eos>. Greedy takes A then C (0.6 * 0.34 = 0.204); the best sequence is
    B <eos> (0.4 * 0.9 = 0.36), which only a beam of width >= 2 finds.
    """

    table = {
        SOS_ID: {A: 0.6, B: 0.4},
        A: {C: 0.34, EOS_ID: 0.33, B: 0.33},
        B: {EOS_ID: 0.9, C: 0.1},
        C: {EOS_ID: 1.0},
    }

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def encode(self, src, src_lengths):
        return (src.float(),)

    def init_state(self, memory):
        return (torch.zeros(memory[0].shape[0]),)

    def step(self, prev_tokens, state, memory):
        probs = torch.full((prev_tokens.shape[0], 7), 1e-9)
        for b, tok in enumerate(prev_tokens.tolist()):
            for nxt, p in self.table.get(tok, {EOS_ID: 1.0}).items():
                probs[b, nxt] = p
        S = memory[0].shape[1]
        return probs.log(), state, torch.full((prev_tokens.shape[0], S), 1.0 / S)


def test_beam_finds_a_better_sequence_than_greedy():
    model = ScriptedModel()
    src, lengths = torch.tensor([[4, 4]]), torch.tensor([2])
    (greedy,) = greedy_decode(model, src, lengths, max_len=10)
    (beam,) = beam_search(model, src, lengths, beam_width=2, max_len=10)
    assert greedy.tokens == [A, C] and beam.tokens == [B]
    assert beam.finished and greedy.finished
    assert math.isclose(greedy.score, math.log(0.6 * 0.34 * 1.0), rel_tol=1e-5)
    assert math.isclose(beam.score, math.log(0.4 * 0.9), rel_tol=1e-5)
    assert beam.score > greedy.score
    assert beam.weights.shape == (1, 2) and greedy.weights.shape == (2, 2)
    (one,) = beam_search(model, src, lengths, beam_width=1, max_len=10)
    assert one.tokens == greedy.tokens


def test_max_len_cuts_unfinished_hypotheses():
    model = ScriptedModel()
    (greedy,) = greedy_decode(model, torch.tensor([[4]]), torch.tensor([1]), max_len=1)
    (beam,) = beam_search(model, torch.tensor([[4]]), torch.tensor([1]), beam_width=1, max_len=1)
    assert greedy.tokens == beam.tokens == [A] and not greedy.finished and not beam.finished


@pytest.mark.parametrize("kind", ["none", "bahdanau", "luong", "transformer"])
def test_greedy_equals_beam_of_width_one(kind, tiny_dates):
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(kind, len(tiny_dates.src_vocab), len(tiny_dates.tgt_vocab), d_embed=8,
                        d_hidden=16, d_ff=32, num_heads=2)  # fmt: skip
    model = build_model(cfg).eval()
    batch = next(tiny_dates.batches("test", 6))
    greedy = greedy_decode(model, batch.src, batch.src_lengths, max_len=12)
    beam = beam_search(
        model, batch.src, batch.src_lengths, beam_width=1, max_len=12, length_penalty=1.0
    )
    for g, b, L in zip(greedy, beam, batch.src_lengths.tolist()):
        assert g.tokens == b.tokens and g.finished == b.finished
        assert math.isclose(g.score, b.score, rel_tol=1e-4, abs_tol=1e-4)
        if kind == "none":
            assert g.weights is None
        else:
            assert g.weights.shape == (len(g.tokens), L)
            torch.testing.assert_close(g.weights, b.weights, atol=1e-5, rtol=1e-5)
    wide = beam_search(model, batch.src, batch.src_lengths, beam_width=4, max_len=12)
    assert len(wide) == 6
    assert (
        len(decode_split(model, tiny_dates, "valid", batch_size=32, beam_width=2, max_len=12)) == 64
    )


def test_translate_errors_and_truncation(tiny_dates):
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(
        "bahdanau", len(tiny_dates.src_vocab), len(tiny_dates.tgt_vocab), d_embed=8, d_hidden=16
    )
    model = build_model(cfg)
    src_vocab, tgt_vocab = tiny_dates.src_vocab, tiny_dates.tgt_vocab
    tokens, weights = translate(model, list("3/3/15"), src_vocab, tgt_vocab, max_len=12)
    assert isinstance(tokens, list) and weights.shape == (len(tokens), 6)
    assert model.training  # translate restores the mode it found
    with pytest.raises(ValueError, match="empty sentence"):
        translate(model, [], src_vocab, tgt_vocab)
    with pytest.raises(ValueError, match="truncate=True"):
        translate(model, list("3/3/2015"), src_vocab, tgt_vocab, max_src_len=6)
    tokens, weights = translate(model, list("3/3/2015"), src_vocab, tgt_vocab, max_src_len=6,
                                truncate=True, beam_width=3, max_len=12)  # fmt: skip
    assert weights.shape[1] == 6
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(model, torch.tensor([[4]]), torch.tensor([1]), beam_width=0)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model, torch.tensor([[4]]), torch.tensor([1]), max_len=0)


def test_translate_default_length_respects_the_transformer_max_len(tiny_dates):
    torch.manual_seed(0)
    src_vocab, tgt_vocab = tiny_dates.src_vocab, tiny_dates.tgt_vocab
    cfg = Seq2SeqConfig(
        "transformer", len(src_vocab), len(tgt_vocab), d_hidden=16, num_heads=2, d_ff=16,
        max_len=12,
    )  # fmt: skip
    model = build_model(cfg).eval()
    # Untrained, it never says <eos>: the default 2 * 8 + 10 = 26 steps would run past
    # the 12 positions its encoding covers. Capped, it stops at 12 without an error.
    for beam_width in (1, 2):
        tokens, weights = translate(
            model, list("3/3/2015"), src_vocab, tgt_vocab, beam_width=beam_width
        )
        assert len(tokens) <= 12 and weights.shape[1] == 8
    with pytest.raises(ValueError, match=r"max_len=20 output steps.*max_len=12"):
        translate(model, list("3/3/2015"), src_vocab, tgt_vocab, max_len=20)
    with pytest.raises(ValueError, match=r"13 tokens but this Transformer.*covers at most 12.*truncate=True"):
        translate(model, list("March 3, 2015"), src_vocab, tgt_vocab)
    tokens, weights = translate(model, list("March 3, 2015"), src_vocab, tgt_vocab, truncate=True)
    assert weights.shape[1] == 12


@pytest.mark.parametrize("attention", ["bahdanau", "transformer"])
def test_ids_past_the_vocabulary_are_named(tiny_dates, attention):
    torch.manual_seed(0)
    V_src, V_tgt = len(tiny_dates.src_vocab), len(tiny_dates.tgt_vocab)
    cfg = Seq2SeqConfig(attention, V_src, V_tgt, d_embed=8, d_hidden=16, num_heads=2, d_ff=16)
    model = build_model(cfg)
    src = torch.tensor([[4, 5, V_src]])
    lengths, tgt_in = torch.tensor([3]), torch.tensor([[SOS_ID, 4]])
    message = rf"src holds id {V_src} at \(0, 2\), outside the source vocabulary's {V_src} ids"
    with pytest.raises(ValueError, match=message):
        model(src, lengths, tgt_in)
    with pytest.raises(ValueError, match=message):
        greedy_decode(model, src, lengths, max_len=5)
    with pytest.raises(ValueError, match=rf"tgt_in holds id -1.*target vocabulary's {V_tgt}"):
        model(src.clamp(max=4), lengths, torch.tensor([[SOS_ID, -1]]))
