r"""The Transformer encoder-decoder (Vaswani et al. 2017), built from gattut's own layers.

Every attention here is :class:`gattut.attention.MultiHeadAttention`, and
positions come from :class:`gattut.attention.SinusoidalPositionalEncoding`.

* Encoder layer: self-attention over the source (padding masked), then a
  position-wise feed-forward net ``W_2 relu(W_1 x)``.
* Decoder layer: *causal* self-attention over the output so far, then
  cross-attention (queries from the decoder, keys and values from the
  encoder), then the feed-forward net.

Each sub-layer is wrapped in a residual connection and a LayerNorm. This
model is **pre-norm** by default (``norm_first=True``:
``x + Sublayer(LayerNorm(x))``, with a final LayerNorm after the last layer),
which trains stably without a learning-rate warm-up; ``norm_first=False``
gives the paper's **post-norm** ``LayerNorm(x + Sublayer(x))``.

The attention weights it returns for plotting are the *cross-attention* of
the last decoder layer, averaged over heads, ``(B, T, S)``.

Step-by-step decoding (for greedy and beam search) re-runs the decoder on the
whole prefix at each step: ``O(T^2)`` work, simple, and plenty fast for the
short sentences of the book. The state is the prefix itself.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from gattut.attention import MultiHeadAttention, SinusoidalPositionalEncoding, padding_mask
from gattut.data.vocab import PAD_ID
from gattut.seq2seq.encoders import check_model_args, check_source
from gattut.seq2seq.model import Seq2Seq, check_target

__all__ = ["TransformerMemory", "EncoderLayer", "DecoderLayer", "TransformerSeq2Seq"]


class TransformerMemory(NamedTuple):
    """Encoder output ``(B, S, D)`` and source mask ``(B, S)`` (``True`` = real token)."""

    outputs: torch.Tensor
    mask: torch.Tensor


def _feed_forward(d_model: int, d_ff: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(d_model, d_ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model)
    )


class EncoderLayer(nn.Module):
    """Self-attention + feed-forward, each with a residual and a LayerNorm.

    Shapes:
        x ``(B, S, D)``, src_mask ``(B, S)`` -> ``(B, S, D)``
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float, norm_first: bool):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = _feed_forward(d_model, d_ff, dropout)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def _attend(self, x, src_mask):
        out, _ = self.self_attn(x, x, x, key_mask=src_mask, need_weights=False)
        return self.dropout(out)

    def forward(self, x: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        if self.norm_first:
            x = x + self._attend(self.norm1(x), src_mask)
            return x + self.dropout(self.ff(self.norm2(x)))
        x = self.norm1(x + self._attend(x, src_mask))
        return self.norm2(x + self.dropout(self.ff(x)))


class DecoderLayer(nn.Module):
    """Causal self-attention + cross-attention + feed-forward.

    Shapes:
        y ``(B, T, D)``, memory ``(B, S, D)``, src_mask ``(B, S)`` ->
        ``(B, T, D)`` and cross-attention weights ``(B, H, T, S)`` (or ``None``)
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float, norm_first: bool):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = _feed_forward(d_model, d_ff, dropout)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, y, memory, src_mask, need_weights: bool = False):
        def self_block(h):
            return self.dropout(self.self_attn(h, h, h, causal=True, need_weights=False)[0])

        def cross_block(h):
            out, w = self.cross_attn(
                h, memory, memory, key_mask=src_mask, need_weights=need_weights
            )
            return self.dropout(out), w

        if self.norm_first:
            y = y + self_block(self.norm1(y))
            out, weights = cross_block(self.norm2(y))
            y = y + out
            return y + self.dropout(self.ff(self.norm3(y))), weights
        y = self.norm1(y + self_block(y))
        out, weights = cross_block(y)
        y = self.norm2(y + out)
        return self.norm3(y + self.dropout(self.ff(y))), weights


class TransformerSeq2Seq(Seq2Seq):
    """Encoder-decoder Transformer with the :class:`~gattut.seq2seq.model.Seq2Seq` interface.

    Shapes:
        forward: ``src (B, S)``, ``src_lengths (B,)``, ``tgt_in (B, T)`` ->
        ``logits (B, T, V)``, ``weights (B, T, S)`` (last layer's cross-attention, mean over heads)
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        d_model: int = 128,
        num_heads: int = 4,
        num_layers: int = 2,
        d_ff: int = 256,
        dropout: float = 0.1,
        norm_first: bool = True,
        max_len: int = 256,
    ):
        super().__init__()
        check_model_args(
            dropout, src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size,
            d_model=d_model, num_heads=num_heads, num_layers=num_layers, d_ff=d_ff,
            max_len=max_len,
        )  # fmt: skip
        self.d_model, self.norm_first, self.max_len = d_model, norm_first, max_len
        self.src_vocab_size, self.tgt_vocab_size = src_vocab_size, tgt_vocab_size
        self.src_embed = nn.Embedding(src_vocab_size, d_model, padding_idx=PAD_ID)
        self.tgt_embed = nn.Embedding(tgt_vocab_size, d_model, padding_idx=PAD_ID)
        self.positions = SinusoidalPositionalEncoding(max_len, d_model, dropout=dropout)
        self.encoder_layers = nn.ModuleList(
            EncoderLayer(d_model, num_heads, d_ff, dropout, norm_first) for _ in range(num_layers)
        )
        self.decoder_layers = nn.ModuleList(
            DecoderLayer(d_model, num_heads, d_ff, dropout, norm_first) for _ in range(num_layers)
        )
        # Pre-norm leaves the residual stream un-normalised: one LayerNorm at each stack's end.
        self.encoder_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.decoder_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.out = nn.Linear(d_model, tgt_vocab_size)
        # Embeddings start with standard deviation 1/sqrt(D), so that after the
        # sqrt(D) scaling in _embed they have unit size, like the positional
        # encoding. With PyTorch's default N(0, 1) they would be sqrt(D) times
        # larger and drown the positions, which a character task cannot afford.
        for embedding in (self.src_embed, self.tgt_embed):
            nn.init.normal_(embedding.weight, std=d_model**-0.5)
            with torch.no_grad():
                embedding.weight[PAD_ID].zero_()

    def _embed(self, embedding: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
        # Scale by sqrt(D) so the embeddings are not drowned by the unit-size positional encoding.
        return self.positions(embedding(ids) * math.sqrt(self.d_model))  # (B, L, D)

    def _check_length(self, length: int, what: str) -> None:
        if length > self.max_len:
            raise ValueError(
                f"the {what} has {length} positions but this Transformer's positional "
                f"encoding covers max_len={self.max_len}; shorten it or build the model "
                f"with a larger max_len"
            )

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> TransformerMemory:
        B, S = check_source(src, src_lengths, self.src_vocab_size)
        self._check_length(S, "source")
        src_mask = padding_mask(src_lengths, S).to(src.device)  # (B, S)
        x = self._embed(self.src_embed, src)  # (B, S, D)
        for layer in self.encoder_layers:
            x = layer(x, src_mask)
        return TransformerMemory(self.encoder_norm(x), src_mask)

    def decode(
        self, tgt_in: torch.Tensor, memory: TransformerMemory
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the decoder on a whole (prefix of the) target in parallel.

        Shapes:
            tgt_in ``(B, T)`` -> logits ``(B, T, V)``, weights ``(B, T, S)``
        """
        check_target(tgt_in, memory.outputs.shape[0], self.tgt_vocab_size)
        self._check_length(tgt_in.shape[1], "target prefix")
        y = self._embed(self.tgt_embed, tgt_in)  # (B, T, D)
        weights = None
        for i, layer in enumerate(self.decoder_layers):
            last = i == len(self.decoder_layers) - 1
            y, weights = layer(y, memory.outputs, memory.mask, need_weights=last)  # (B, H, T, S)
        return self.out(self.decoder_norm(y)), weights.mean(dim=1)  # (B, T, V), (B, T, S)

    def forward(self, src, src_lengths, tgt_in, teacher_forcing_ratio: float = 1.0):
        if teacher_forcing_ratio < 1.0:
            # Feeding back its own predictions needs the step-by-step loop of the base class.
            return super().forward(src, src_lengths, tgt_in, teacher_forcing_ratio)
        B, S = check_source(src, src_lengths, self.src_vocab_size)
        check_target(tgt_in, B, self.tgt_vocab_size)
        return self.decode(tgt_in, self.encode(src, src_lengths))

    def init_state(self, memory: TransformerMemory) -> tuple[torch.Tensor]:
        B = memory.outputs.shape[0]
        return (torch.zeros(B, 0, dtype=torch.long, device=memory.outputs.device),)  # (B, 0)

    def step(self, prev_tokens: torch.Tensor, state, memory: TransformerMemory):
        (prefix,) = state
        prefix = torch.cat([prefix, prev_tokens[:, None]], dim=1)  # (B, t)
        logits, weights = self.decode(prefix, memory)  # (B, t, V), (B, t, S)
        return logits[:, -1], (prefix,), weights[:, -1]  # (B, V), ..., (B, S)
