"""The encoder-decoder interface every seq2seq model of the book follows.

A model has four methods:

* ``encode(src, src_lengths) -> memory`` runs the encoder once;
* ``init_state(memory) -> state`` gives the decoder's first state;
* ``step(prev_tokens, state, memory) -> (logits, state, weights)`` runs one
  decoder step;
* ``forward(src, src_lengths, tgt_in, teacher_forcing_ratio)`` runs a whole
  target at once, for training.

Greedy decoding and beam search (:mod:`gattut.seq2seq.decode`) use only
``encode``, ``init_state`` and ``step``, so they work with the RNN models here
and with the Transformer alike.

**Teacher forcing.** During training the decoder's input at step ``t`` is the
*gold* token ``y_{t-1}`` with probability ``teacher_forcing_ratio`` and the
model's own previous prediction otherwise (decided per example and step).
Ratio 1 is pure teacher forcing (fast and stable); lowering it makes training
look more like test time, when the model only ever sees its own outputs.
"""

from __future__ import annotations

import torch
from torch import nn

from gattut.attention import padding_mask
from gattut.seq2seq.decoders import Memory
from gattut.seq2seq.encoders import GRUEncoder, check_ids, check_source

__all__ = ["Seq2Seq", "RNNSeq2Seq", "check_target"]


def check_target(tgt_in: torch.Tensor, B: int, vocab_size: int | None = None) -> int:
    """Validate the decoder input ``(B, T)`` (and its ids, given ``vocab_size``); return ``T``."""
    if (
        not isinstance(tgt_in, torch.Tensor)
        or tgt_in.dim() != 2
        or tgt_in.dtype != torch.long
        or tgt_in.shape[0] != B
    ):
        raise ValueError(
            f"tgt_in must be a ({B}, T) long tensor, got "
            f"{tuple(getattr(tgt_in, 'shape', ()))} {getattr(tgt_in, 'dtype', type(tgt_in).__name__)}"
        )
    if tgt_in.shape[1] < 1:
        raise ValueError("tgt_in must hold at least the <sos> column, got T=0")
    check_ids(tgt_in, vocab_size, "tgt_in", "target")
    return tgt_in.shape[1]


class Seq2Seq(nn.Module):
    """Base class: the step-by-step training loop with teacher forcing.

    Subclasses provide ``encode``, ``init_state`` and ``step``, and set
    ``src_vocab_size`` and ``tgt_vocab_size`` (ids are checked against them).

    Shapes:
        forward: ``src (B, S)``, ``src_lengths (B,)``, ``tgt_in (B, T)`` ->
        ``logits (B, T, V)``, ``weights (B, T, S)`` (``None`` without attention)
    """

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor):
        raise NotImplementedError

    def init_state(self, memory):
        raise NotImplementedError

    def step(self, prev_tokens: torch.Tensor, state, memory):
        raise NotImplementedError

    def forward(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor,
        tgt_in: torch.Tensor,
        teacher_forcing_ratio: float = 1.0,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, S = check_source(src, src_lengths, getattr(self, "src_vocab_size", None))
        T = check_target(tgt_in, B, getattr(self, "tgt_vocab_size", None))
        if not 0.0 <= teacher_forcing_ratio <= 1.0:
            raise ValueError(
                f"teacher_forcing_ratio must be in [0, 1], got {teacher_forcing_ratio}"
            )
        memory = self.encode(src, src_lengths)
        state = self.init_state(memory)
        tokens = tgt_in[:, 0]  # (B,) the <sos> column
        all_logits, all_weights = [], []
        for t in range(T):
            logits, state, weights = self.step(tokens, state, memory)  # (B, V), ..., (B, S)
            all_logits.append(logits)
            all_weights.append(weights)
            if t + 1 < T:
                tokens = tgt_in[:, t + 1]
                if teacher_forcing_ratio < 1.0:
                    # Per example: feed the gold token or the model's own best guess.
                    use_gold = torch.rand(B, device=src.device) < teacher_forcing_ratio  # (B,)
                    tokens = torch.where(use_gold, tokens, logits.detach().argmax(-1))
        stacked_logits = torch.stack(all_logits, dim=1)  # (B, T, V)
        if all_weights[0] is None:
            return stacked_logits, None
        return stacked_logits, torch.stack(all_weights, dim=1)  # (B, T, S)


class RNNSeq2Seq(Seq2Seq):
    """A :class:`GRUEncoder` and one of the GRU decoders of :mod:`gattut.seq2seq.decoders`."""

    def __init__(self, encoder: GRUEncoder, decoder: nn.Module):
        super().__init__()
        if not isinstance(encoder, GRUEncoder):
            raise TypeError(f"encoder must be a GRUEncoder, got {type(encoder).__name__}")
        if not all(hasattr(decoder, a) for a in ("d_context", "embedding", "init_state", "step")):
            raise TypeError(
                "decoder must be a GRU decoder of gattut.seq2seq.decoders (NoAttentionDecoder, "
                f"BahdanauDecoder, LuongDecoder), got {type(decoder).__name__}"
            )
        if decoder.d_context != encoder.d_out:
            raise ValueError(
                f"decoder.d_context={decoder.d_context} must equal encoder.d_out={encoder.d_out}"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.src_vocab_size = encoder.embedding.num_embeddings
        self.tgt_vocab_size = decoder.embedding.num_embeddings

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Memory:
        B, S = check_source(src, src_lengths, self.src_vocab_size)
        outputs, summary = self.encoder(src, src_lengths)  # (B, S, d_context), (B, d_context)
        return Memory(outputs, summary, padding_mask(src_lengths, S))

    def init_state(self, memory: Memory):
        return self.decoder.init_state(memory)

    def step(self, prev_tokens: torch.Tensor, state, memory: Memory):
        return self.decoder.step(prev_tokens, state, memory)
