"""Every public entry point of gattut.seq2seq refuses bad input clearly, before any work.

One row per bad input: the entry point, a function of a small setup that makes
the call, the error type and a pattern the message must match. Each row checks
that nothing was changed or written: the model's parameters are as before and
the folder that checkpoints go to holds the same files with the same bytes.
"""

from __future__ import annotations

import os
import types

import pytest
import torch

import gattut.seq2seq as S
from gattut.data import ParallelCorpus, Vocab


@pytest.fixture
def setup(tiny_dates, tmp_path):
    torch.manual_seed(0)
    cfg = S.Seq2SeqConfig(
        "bahdanau", len(tiny_dates.src_vocab), len(tiny_dates.tgt_vocab), d_embed=8, d_hidden=8
    )
    model = S.build_model(cfg)
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    good = folder / "good.pt"
    S.save_checkpoint(
        good, model=model, config=cfg, src_vocab=tiny_dates.src_vocab,
        tgt_vocab=tiny_dates.tgt_vocab,
    )  # fmt: skip
    (folder / "empty.pt").write_bytes(b"")
    return types.SimpleNamespace(
        corpus=tiny_dates, cfg=cfg, model=model, folder=folder, good=good,
        src=torch.tensor([[4, 5, 6]]), lengths=torch.tensor([3]),
    )  # fmt: skip


def _train(s, **kwargs):
    kwargs = {"epochs": 1, "progress": False, "device": "cpu", **kwargs}
    return S.train(s.model, s.corpus, **kwargs)


def _save(s, **kwargs):
    kwargs = {"model": s.model, "config": s.cfg, "src_vocab": s.corpus.src_vocab,
              "tgt_vocab": s.corpus.tgt_vocab, **kwargs}  # fmt: skip
    path = kwargs.pop("path", s.folder / "new.pt")
    return S.save_checkpoint(path, **kwargs)


def _only_train(s):
    return ParallelCorpus(s.corpus.src_vocab, s.corpus.tgt_vocab, {"train": s.corpus.pairs("train")})


# (entry point, call(setup), error type, message pattern)
CASES = [
    ("GRUEncoder", lambda s: S.GRUEncoder(3, 4, 4), ValueError,
     "vocab_size must be an int >= 4, got 3"),
    ("GRUEncoder", lambda s: S.GRUEncoder(10, 4, 4, dropout=1.0), ValueError,
     r"dropout must be in \[0, 1\), got 1.0"),
    ("NoAttentionDecoder", lambda s: S.NoAttentionDecoder(10, 4, 0, 8), ValueError,
     "d_hidden must be a positive int, got 0"),
    ("BahdanauDecoder", lambda s: S.BahdanauDecoder(10, 4, 4, 8, d_attn=0), ValueError,
     "d_attn must be a positive int, got 0"),
    ("LuongDecoder", lambda s: S.LuongDecoder(10, 4, 4, 8, score="cos"), ValueError,
     "score must be one of"),
    ("LuongDecoder", lambda s: S.LuongDecoder(10, 4, 4, 8, score="dot"), ValueError,
     "'dot' score needs d_hidden == d_context"),
    ("RNNSeq2Seq", lambda s: S.RNNSeq2Seq(S.GRUEncoder(10, 4, 4), S.BahdanauDecoder(10, 4, 4, 4)),
     ValueError, "decoder.d_context=4 must equal encoder.d_out=8"),
    ("RNNSeq2Seq", lambda s: S.RNNSeq2Seq("encoder", S.BahdanauDecoder(10, 4, 4, 8)), TypeError,
     "encoder must be a GRUEncoder, got str"),
    ("TransformerSeq2Seq", lambda s: S.TransformerSeq2Seq(10, 10, d_model=10, num_heads=3),
     ValueError, "num_heads must divide d_model"),
    ("TransformerSeq2Seq", lambda s: S.TransformerSeq2Seq(10, 2), ValueError,
     "tgt_vocab_size must be an int >= 4, got 2"),
    ("Seq2SeqConfig", lambda s: S.Seq2SeqConfig("gru", 10, 10), ValueError,
     "attention must be one of"),
    ("Seq2SeqConfig", lambda s: S.Seq2SeqConfig("bahdanau", 10.5, 10), ValueError,
     "src_vocab_size must be an int >= 4, got 10.5"),
    ("Seq2SeqConfig", lambda s: S.Seq2SeqConfig("transformer", 10, 10, max_len=0), ValueError,
     "max_len must be a positive int, got 0"),
    ("Seq2SeqConfig", lambda s: S.Seq2SeqConfig.from_dict({"attention": "none", "heads": 2}),
     ValueError, r"unknown Seq2SeqConfig fields \['heads'\]"),
    ("build_model", lambda s: S.build_model({"attention": "bahdanau"}), TypeError,
     r"build_model takes a Seq2SeqConfig, got dict.*from_dict"),
    ("Seq2Seq.forward", lambda s: s.model(s.src.float(), s.lengths, s.src), ValueError,
     r"src must be a \(B, S\) long tensor"),
    ("Seq2Seq.forward", lambda s: s.model(s.src, torch.tensor([4]), s.src), ValueError,
     r"src_lengths must lie in \[1, 3\], got \[4\]"),
    ("Seq2Seq.forward", lambda s: s.model(s.src + 1000, s.lengths, s.src), ValueError,
     r"src holds id 1006 at \(0, 2\), outside the source vocabulary"),
    ("Seq2Seq.forward", lambda s: s.model(s.src, s.lengths, s.src, 2.0), ValueError,
     r"teacher_forcing_ratio must be in \[0, 1\], got 2.0"),
    ("greedy_decode", lambda s: S.greedy_decode(s.model, s.src, s.lengths, max_len=0), ValueError,
     "max_len must be a positive int, got 0"),
    ("greedy_decode", lambda s: S.greedy_decode(s.model, s.src[0], s.lengths), ValueError,
     r"src must be a \(B, S\) long tensor, got \(3,\)"),
    ("beam_search", lambda s: S.beam_search(s.model, s.src, s.lengths, beam_width=0), ValueError,
     "beam_width must be a positive int, got 0"),
    ("beam_search", lambda s: S.beam_search(s.model, s.src, s.lengths, length_penalty=-1),
     ValueError, "length_penalty must be >= 0"),
    ("translate", lambda s: S.translate(s.model, [], s.corpus.src_vocab, s.corpus.tgt_vocab),
     ValueError, "cannot translate an empty sentence"),
    ("translate", lambda s: S.translate(s.model, ["1"], s.corpus.src_vocab.tokens,
                                        s.corpus.tgt_vocab), TypeError,
     "src_vocab must be a Vocab, got list"),
    ("translate", lambda s: S.translate(s.model, list("3/3/2015"), s.corpus.src_vocab,
                                        s.corpus.tgt_vocab, max_src_len=4), ValueError,
     r"8 tokens but the model was trained on at most 4.*truncate=True"),
    ("decode_split", lambda s: S.decode_split(s.model, s.corpus, "dev"), ValueError,
     r"unknown split 'dev'; this corpus has \['test', 'train', 'valid'\]"),
    ("evaluate_loss", lambda s: S.evaluate_loss(s.model, s.corpus, "test", batch_size=0),
     ValueError, "batch_size must be a positive int, got 0"),
    ("sequence_loss", lambda s: S.sequence_loss(torch.randn(2, 3, 5), torch.ones(2, 3)),
     ValueError, "target must hold long ids, got dtype torch.float32"),
    ("sequence_loss", lambda s: S.sequence_loss(torch.randn(2, 3, 5), torch.full((2, 3), 7)),
     ValueError, r"target holds id 7 at \(0, 0\), outside the target vocabulary's 5 ids"),
    ("sequence_loss", lambda s: S.sequence_loss(torch.randn(2, 3, 5), torch.ones(2, 4).long()),
     ValueError, r"target must have shape \(2, 3\), got \(2, 4\)"),
    ("train", lambda s: _train(s, epochs=0), ValueError, "epochs must be a positive int, got 0"),
    ("train", lambda s: _train(s, patience=0), ValueError,
     "patience must be a positive int, got 0"),
    ("train", lambda s: _train(s, lr=-1e-3), ValueError, "lr must be a number > 0, got -0.001"),
    ("train", lambda s: _train(s, clip_norm=0.0), ValueError,
     "clip_norm must be a number > 0, got 0.0"),
    ("train", lambda s: _train(s, teacher_forcing_ratio=1.5), ValueError,
     r"teacher_forcing_ratio must be in \[0, 1\], got 1.5"),
    ("train", lambda s: _train(s, checkpoint_path=s.folder, model_config=s.cfg), ValueError,
     "is a directory; name a file in it"),
    ("train", lambda s: _train(s, checkpoint_path=s.folder / "x.pt"), ValueError,
     "checkpoint_path needs model_config"),
    ("train", lambda s: _train(s, checkpoint_path=s.folder / "x.pt",
                               model_config=S.Seq2SeqConfig("luong", 10, 10)), ValueError,
     "model_config does not describe this model"),
    ("train", lambda s: _train(s, checkpoint_path=s.folder / "empty.pt", model_config=s.cfg,
                               resume=True), S.CheckpointMismatchError, "empty.pt is empty"),
    ("train", lambda s: S.train(s.model, _only_train(s), epochs=1, progress=False), ValueError,
     r"unknown split 'valid'; this corpus has \['train'\]"),
    ("train", lambda s: S.train(S.build_model(S.Seq2SeqConfig("bahdanau", 5, 5, d_embed=4,
                                                              d_hidden=4)), s.corpus, epochs=1,
                                progress=False), ValueError,
     r"src_vocab_size=5 but the corpus' src_vocab has \d+ tokens"),
    ("save_checkpoint", lambda s: _save(s, path=s.folder), ValueError,
     "is a directory; name a checkpoint file in it"),
    ("save_checkpoint", lambda s: _save(s, src_vocab=s.corpus.tgt_vocab),
     S.CheckpointMismatchError, r"src_vocab has \d+ tokens but config.src_vocab_size is"),
    ("save_checkpoint", lambda s: _save(s, tgt_vocab=s.corpus.tgt_vocab.tokens), TypeError,
     "tgt_vocab must be a Vocab, got list"),
    ("load_checkpoint", lambda s: S.load_checkpoint(s.folder / "empty.pt"),
     S.CheckpointMismatchError, "empty.pt is empty"),
    ("load_checkpoint", lambda s: S.load_checkpoint(s.folder / "none.pt"), FileNotFoundError,
     "no checkpoint at"),
    ("load_checkpoint", lambda s: S.load_checkpoint(s.good, config=S.Seq2SeqConfig("luong", 10, 10)),
     S.CheckpointMismatchError, "model config differs from the checkpoint's"),
    ("corpus_bleu", lambda s: S.corpus_bleu("the cat sat", "the cat sat"), ValueError,
     "bare string as its first argument"),
    ("corpus_bleu", lambda s: S.corpus_bleu(["a b"], ["a b", "c"]), ValueError,
     "got 1 hypotheses but 2 references"),
    ("exact_match", lambda s: S.exact_match([["a"]], [["a"], ["b"]]), ValueError,
     "got 1 predictions but 2 references"),
    ("accuracy_by_length", lambda s: S.accuracy_by_length([1, 2], [True], [0, 5]), ValueError,
     "lengths and correct must be 1-D and equally long"),
    ("pad_batch", lambda s: S.pad_batch([["a", "b"]]), ValueError,
     "pad_batch takes lists of non-negative int ids; sequence 0 holds 'a'"),
    ("Vocab", lambda s: Vocab("abc"), TypeError, "a Vocab is built from a list of token strings"),
    ("ParallelCorpus", lambda s: ParallelCorpus(s.corpus.src_vocab, s.corpus.tgt_vocab,
                                                {"train": [("3/3/15", "2015-03-03")]}),
     ValueError, r"splits\['train'\]\[0\] must be a \(source tokens, target tokens\) pair"),
]  # fmt: skip

# Names exported by gattut.seq2seq that take no input to get wrong (constants, results,
# exceptions, the abstract base) or whose inputs are those of another row.
NOT_CALLED = {
    "ATTENTION_KINDS", "Batch", "CheckpointMismatchError", "EOS_ID", "Hypothesis", "Memory",
    "PAD_ID", "SOS_ID", "Seq2Seq", "Seq2SeqResult", "UNK_ID",
}  # fmt: skip


def _files(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_every_public_entry_point_has_a_bad_input_case():
    covered = {name.split(".")[0] for name, *_ in CASES}
    assert sorted(set(S.__all__) - NOT_CALLED - covered) == []


@pytest.mark.parametrize(
    "name, call, error, message", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_input_is_refused_clearly_and_changes_nothing(setup, name, call, error, message):
    params = [p.detach().clone() for p in setup.model.parameters()]
    files = _files(setup.folder)
    with pytest.raises(error, match=message):
        call(setup)
    assert all(torch.equal(a, b) for a, b in zip(params, setup.model.parameters())), (
        f"{name} changed the model"
    )
    assert _files(setup.folder) == files, f"{name} wrote or changed a file"
    assert not [f for f in os.listdir(setup.folder.parent) if f.endswith((".tmp", ".part"))]
