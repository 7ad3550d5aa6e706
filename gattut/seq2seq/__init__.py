"""Sequence-to-sequence models with attention (chapters 3, 4 and 8).

* :class:`~gattut.data.Vocab`, :class:`~gattut.data.ParallelCorpus`, :class:`~gattut.data.Batch`:
  tokens, ids, padded batches (they live in :mod:`gattut.data`, re-exported here).
* :mod:`~gattut.seq2seq.encoders`: the (bi)GRU encoder.
* :mod:`~gattut.seq2seq.decoders`: no attention, Bahdanau, Luong.
* :mod:`~gattut.seq2seq.transformer`: the Transformer encoder-decoder.
* :mod:`~gattut.seq2seq.model`, :mod:`~gattut.seq2seq.config`: the shared interface and factory.
* :mod:`~gattut.seq2seq.decode`: greedy and beam search, translating one sentence.
* :mod:`~gattut.seq2seq.metrics`: exact match, BLEU, accuracy by length.
* :mod:`~gattut.seq2seq.train`, :mod:`~gattut.seq2seq.checkpoint`: training, checkpoints, resume.
"""

from gattut.data.corpus import Batch, ParallelCorpus, pad_batch
from gattut.data.vocab import EOS_ID, PAD_ID, SOS_ID, UNK_ID, Vocab
from gattut.seq2seq.checkpoint import CheckpointMismatchError, load_checkpoint, save_checkpoint
from gattut.seq2seq.config import ATTENTION_KINDS, Seq2SeqConfig, build_model
from gattut.seq2seq.decode import Hypothesis, beam_search, decode_split, greedy_decode, translate
from gattut.seq2seq.decoders import BahdanauDecoder, LuongDecoder, Memory, NoAttentionDecoder
from gattut.seq2seq.encoders import GRUEncoder
from gattut.seq2seq.metrics import accuracy_by_length, corpus_bleu, exact_match
from gattut.seq2seq.model import RNNSeq2Seq, Seq2Seq
from gattut.seq2seq.train import (
    Seq2SeqResult,
    TrainResult,  # noqa: F401  (Seq2SeqResult's old name)
    evaluate_loss,
    sequence_loss,
    train,
)
from gattut.seq2seq.transformer import TransformerSeq2Seq

__all__ = [
    "ATTENTION_KINDS",
    "BahdanauDecoder",
    "Batch",
    "CheckpointMismatchError",
    "EOS_ID",
    "GRUEncoder",
    "Hypothesis",
    "LuongDecoder",
    "Memory",
    "NoAttentionDecoder",
    "PAD_ID",
    "ParallelCorpus",
    "RNNSeq2Seq",
    "SOS_ID",
    "Seq2Seq",
    "Seq2SeqConfig",
    "Seq2SeqResult",
    "TransformerSeq2Seq",
    "UNK_ID",
    "Vocab",
    "accuracy_by_length",
    "beam_search",
    "build_model",
    "corpus_bleu",
    "decode_split",
    "evaluate_loss",
    "exact_match",
    "greedy_decode",
    "load_checkpoint",
    "pad_batch",
    "save_checkpoint",
    "sequence_loss",
    "train",
    "translate",
]
