r"""Three GRU decoders: a fixed context, Bahdanau attention, Luong attention.

All three run one step at a time through the same interface, so the training
loop, greedy decoding and beam search work with any of them:

* ``init_state(memory) -> state``: the first decoder state, from the
  encoder's summary ``s_0 = tanh(W_init [h_S^fwd ; h_1^bwd])``;
* ``step(prev_tokens, state, memory) -> (logits, state, weights)``: read the
  previous output token ``y_{t-1}``, return scores over the target vocabulary,
  the new state, and the attention weights over the source (``None`` for the
  decoder without attention).

A state is a tuple of ``(B, ...)`` tensors, so beam search can reorder it with
one ``index_select`` per tensor.

**No attention** (Cho et al. 2014, chapter 3). The context is one fixed vector
``c`` (the encoder's summary), fed to every step:
``s_t = GRU([E y_{t-1} ; c], s_{t-1})``, ``logits_t = W_o [s_t ; c]``. Every
fact about the source must squeeze through ``c``, whatever the source's length.

**Bahdanau** (additive, chapter 4). The *previous* state asks the question:
``alpha_t = softmax_j(v^T tanh(W_1 s_{t-1} + W_2 h_j))``,
``c_t = sum_j alpha_tj h_j``, ``s_t = GRU([E y_{t-1} ; c_t], s_{t-1})``,
``logits_t = W_o [s_t ; c_t ; E y_{t-1}]``.

**Luong** (multiplicative, chapter 4). The *current* state asks:
``h_t = GRU([E y_{t-1} ; h~_{t-1}], h_{t-1})`` (input feeding: the previous
attentional state goes back in), ``alpha_t = softmax_j(score(h_t, h_j))`` with
score dot / general / concat, ``c_t = sum_j alpha_tj h_j``, the attentional
hidden state ``h~_t = tanh(W_c [c_t ; h_t])``, and ``logits_t = W_s h~_t``.

**Why Luong offers a scaled score.** The dot and general scores are sums of
``d_hidden`` products, and nothing bounds them: trained with Adam, ``W_a``
grows until the scores differ by tens or hundreds (std ~95 after two epochs
of English-French at ``d_hidden=128``). The softmax is then one-hot, its
gradient vanishes, and the alignment freezes wherever it first landed: the
model is left with hard, unlearnable attention and does worse than no
attention at all. ``scaled_score=True`` divides the score by
``sqrt(d_hidden)``, as the Transformer does (Vaswani et al. 2017), so it stays
in the range where the softmax still learns. Bahdanau's additive score is
bounded by its ``tanh`` and does not need this.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from gattut.attention import BahdanauAttention, LuongAttention, masked_softmax
from gattut.data.vocab import PAD_ID
from gattut.seq2seq.encoders import check_model_args

__all__ = ["Memory", "NoAttentionDecoder", "BahdanauDecoder", "LuongDecoder"]


class Memory(NamedTuple):
    """What the encoder hands to the decoder.

    Shapes:
        outputs: ``(B, S, d_context)`` encoder outputs ``h_j`` (keys and values)
        summary: ``(B, d_context)`` one vector for the whole source
        mask: ``(B, S)`` bool, ``True`` at real (non-pad) source positions
    """

    outputs: torch.Tensor
    summary: torch.Tensor
    mask: torch.Tensor


def _check_step(prev_tokens: torch.Tensor, memory: Memory) -> int:
    B = memory.outputs.shape[0]
    if prev_tokens.shape != (B,) or prev_tokens.dtype != torch.long:
        raise ValueError(
            f"prev_tokens must be a ({B},) long tensor, got {tuple(prev_tokens.shape)} "
            f"{prev_tokens.dtype}"
        )
    return B


class _GRUDecoderBase(nn.Module):
    """Embedding, the initial-state bridge and the output layer shared by all three."""

    def __init__(
        self, vocab_size: int, d_embed: int, d_hidden: int, d_context: int, dropout: float
    ):
        super().__init__()
        check_model_args(
            dropout, vocab_size=vocab_size, d_embed=d_embed, d_hidden=d_hidden, d_context=d_context
        )
        self.vocab_size, self.d_hidden, self.d_context = vocab_size, d_hidden, d_context
        self.embedding = nn.Embedding(vocab_size, d_embed, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(dropout)
        self.bridge = nn.Linear(d_context, d_hidden)

    def _first_hidden(self, memory: Memory) -> torch.Tensor:
        if memory.summary.shape[-1] != self.d_context:
            raise ValueError(
                f"encoder summary has width {memory.summary.shape[-1]}, "
                f"this decoder expects d_context={self.d_context}"
            )
        return torch.tanh(self.bridge(memory.summary))  # (B, d_hidden)


class NoAttentionDecoder(_GRUDecoderBase):
    """GRU decoder that sees the source only through the fixed context ``c``.

    Shapes:
        step: ``prev_tokens (B,)`` -> ``logits (B, V)``, state ``(s_t (B, d_hidden), c (B, d_context))``,
        weights ``None``
    """

    def __init__(
        self, vocab_size: int, d_embed: int, d_hidden: int, d_context: int, dropout: float = 0.0
    ):
        super().__init__(vocab_size, d_embed, d_hidden, d_context, dropout)
        self.rnn = nn.GRUCell(d_embed + d_context, d_hidden)
        self.out = nn.Linear(d_hidden + d_context, vocab_size)

    def init_state(self, memory: Memory) -> tuple[torch.Tensor, ...]:
        return (self._first_hidden(memory), memory.summary)

    def step(self, prev_tokens: torch.Tensor, state: tuple[torch.Tensor, ...], memory: Memory):
        _check_step(prev_tokens, memory)
        s, c = state  # (B, d_hidden), (B, d_context)
        x = self.dropout(self.embedding(prev_tokens))  # (B, d_embed)
        s = self.rnn(torch.cat([x, c], dim=-1), s)  # (B, d_hidden)
        logits = self.out(self.dropout(torch.cat([s, c], dim=-1)))  # (B, V)
        return logits, (s, c), None


class BahdanauDecoder(_GRUDecoderBase):
    """GRU decoder with additive attention queried by the previous state ``s_{t-1}``.

    Shapes:
        step: ``prev_tokens (B,)`` -> ``logits (B, V)``, state ``(s_t (B, d_hidden),)``,
        weights ``(B, S)``
    """

    def __init__(
        self,
        vocab_size: int,
        d_embed: int,
        d_hidden: int,
        d_context: int,
        d_attn: int | None = None,
        normalize: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__(vocab_size, d_embed, d_hidden, d_context, dropout)
        check_model_args(d_attn=d_attn)
        self.attention = BahdanauAttention(
            d_hidden, d_context, d_hidden if d_attn is None else d_attn, normalize=normalize
        )
        self.rnn = nn.GRUCell(d_embed + d_context, d_hidden)
        self.out = nn.Linear(d_hidden + d_context + d_embed, vocab_size)

    def init_state(self, memory: Memory) -> tuple[torch.Tensor, ...]:
        return (self._first_hidden(memory),)

    def step(self, prev_tokens: torch.Tensor, state: tuple[torch.Tensor, ...], memory: Memory):
        _check_step(prev_tokens, memory)
        (s,) = state  # (B, d_hidden)
        x = self.dropout(self.embedding(prev_tokens))  # (B, d_embed)
        # 1) the previous state scores every source position, 2) the context is their mix.
        context, weights = self.attention(
            s, memory.outputs, mask=memory.mask
        )  # (B, d_context), (B, S)
        # 3) the GRU reads the previous token and the context.
        s = self.rnn(torch.cat([x, context], dim=-1), s)  # (B, d_hidden)
        # 4) a "deep output": the new state, the context and the previous token all vote.
        logits = self.out(self.dropout(torch.cat([s, context, x], dim=-1)))  # (B, V)
        return logits, (s,), weights


class LuongDecoder(_GRUDecoderBase):
    """GRU decoder with multiplicative attention queried by the current state, and input feeding.

    Args:
        score: ``"dot"`` (needs ``d_hidden == d_context``), ``"general"`` or ``"concat"``
        scale: learn a scalar on the score (TensorFlow's "scaled Luong"), initialised to 1
        scaled_score: divide the score by ``sqrt(d_hidden)`` so that the softmax does not
            saturate as the width grows (see the module docstring)

    Shapes:
        step: ``prev_tokens (B,)`` -> ``logits (B, V)``,
        state ``(h_t (B, d_hidden), h~_t (B, d_hidden))``, weights ``(B, S)``
    """

    def __init__(
        self,
        vocab_size: int,
        d_embed: int,
        d_hidden: int,
        d_context: int,
        score: str = "general",
        scale: bool = False,
        dropout: float = 0.0,
        scaled_score: bool = False,
    ):
        super().__init__(vocab_size, d_embed, d_hidden, d_context, dropout)
        self.scaled_score = scaled_score
        if score == "dot" and d_hidden != d_context:
            raise ValueError(
                f"Luong 'dot' score needs d_hidden == d_context, got d_hidden={d_hidden} and "
                f"d_context={d_context} (a bidirectional encoder doubles d_context); "
                "use score='general' or 'concat'"
            )
        self.attention = LuongAttention(d_hidden, d_context, score=score, scale=scale)
        self.rnn = nn.GRUCell(d_embed + d_hidden, d_hidden)
        self.combine = nn.Linear(d_context + d_hidden, d_hidden, bias=False)  # W_c
        self.out = nn.Linear(d_hidden, vocab_size)  # W_s

    def init_state(self, memory: Memory) -> tuple[torch.Tensor, ...]:
        h = self._first_hidden(memory)
        # Before the first step there is no attentional state to feed back: start from zeros.
        return (h, torch.zeros_like(h))

    def step(self, prev_tokens: torch.Tensor, state: tuple[torch.Tensor, ...], memory: Memory):
        _check_step(prev_tokens, memory)
        h, h_tilde = state  # (B, d_hidden) each
        x = self.dropout(self.embedding(prev_tokens))  # (B, d_embed)
        # 1) input feeding: the last attentional state tells the GRU what was already attended to.
        h = self.rnn(torch.cat([x, h_tilde], dim=-1), h)  # (B, d_hidden)
        # 2) the current state scores the source positions, 3) the context is their mix.
        scores = self.attention.scores(h[:, None, :], memory.outputs).squeeze(1)  # (B, S)
        if self.scaled_score:
            scores = scores / math.sqrt(self.d_hidden)
        weights = masked_softmax(scores, memory.mask)  # (B, S)
        context = (weights[:, None, :] @ memory.outputs).squeeze(1)  # (B, d_context)
        # 4) attentional hidden state h~_t = tanh(W_c [c_t ; h_t]).
        h_tilde = torch.tanh(self.combine(torch.cat([context, h], dim=-1)))  # (B, d_hidden)
        logits = self.out(self.dropout(h_tilde))  # (B, V)
        return logits, (h, h_tilde), weights
