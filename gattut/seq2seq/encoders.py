"""The GRU encoder of chapters 3 and 4.

The encoder reads the source ``x_1 ... x_S`` and returns one vector per
position, ``h_j`` (the keys and values the decoder attends to), and one
summary vector of the whole sentence (the fixed context ``c`` of a decoder
without attention, and the seed of every decoder's first state).

With ``bidirectional=True`` (Bahdanau et al. 2015) a forward GRU reads left to
right and a backward GRU right to left; ``h_j = [h_j^fwd ; h_j^bwd]``
summarises the words around ``x_j`` on both sides, so
``d_out = 2 * d_hidden``. The summary is ``[h_S^fwd ; h_1^bwd]``: the last
state of each direction.

Padding: sequences are packed with their true lengths, so the GRU never reads
``<pad>`` and the summary is taken at each sentence's own last token. Outputs
at padded positions are zero.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from gattut.attention._checks import check_rate, check_size
from gattut.data.vocab import PAD_ID, SPECIALS

__all__ = ["GRUEncoder", "check_ids", "check_model_args", "check_source"]


def check_model_args(dropout: float = 0.0, **sizes: int | None) -> None:
    """Constructor checks of the seq2seq models: every size a positive int (``None`` = default).

    A size whose name ends in ``vocab_size`` must hold the four special tokens.
    """
    for name, size in sizes.items():
        if size is not None:
            check_size(size, name, minimum=len(SPECIALS) if name.endswith("vocab_size") else 1)
    check_rate(dropout)


def check_ids(ids: torch.Tensor, vocab_size: int | None, name: str, vocab: str) -> None:
    """Raise unless every id lies in ``[0, vocab_size)`` (an embedding would fail deep inside)."""
    if vocab_size is None or ids.numel() == 0:
        return
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= vocab_size:
        bad = high if high >= vocab_size else low
        where = tuple(torch.nonzero(ids == bad)[0].tolist())
        raise ValueError(
            f"{name} holds id {bad} at {where}, outside the {vocab} vocabulary's "
            f"{vocab_size} ids [0, {vocab_size}); was it encoded with another vocabulary?"
        )


def check_source(
    src: torch.Tensor, src_lengths: torch.Tensor, vocab_size: int | None = None
) -> tuple[int, int]:
    """Validate a padded source batch (and its ids, given ``vocab_size``); return ``(B, S)``."""
    if not isinstance(src, torch.Tensor) or src.dim() != 2 or src.dtype != torch.long:
        raise ValueError(
            f"src must be a (B, S) long tensor, got "
            f"{tuple(getattr(src, 'shape', ()))} {getattr(src, 'dtype', type(src).__name__)}"
        )
    B, S = src.shape
    if not isinstance(src_lengths, torch.Tensor) or src_lengths.shape != (B,):
        raise ValueError(
            f"src_lengths must be a tensor of shape ({B},), got "
            f"{tuple(getattr(src_lengths, 'shape', ()))} {type(src_lengths).__name__}"
        )
    if src_lengths.is_floating_point() or src_lengths.dtype == torch.bool:
        raise ValueError(f"src_lengths must be integers, got dtype {src_lengths.dtype}")
    if B and (int(src_lengths.min()) < 1 or int(src_lengths.max()) > S):
        raise ValueError(f"src_lengths must lie in [1, {S}], got {src_lengths.tolist()}")
    check_ids(src, vocab_size, "src", "source")
    return B, S


class GRUEncoder(nn.Module):
    """Embedding + (bi)GRU.

    Args:
        vocab_size: number of source tokens
        d_embed: embedding width
        d_hidden: GRU state width per direction
        num_layers: stacked GRU layers
        bidirectional: read the source both ways (Bahdanau) or left to right only
        dropout: on the embeddings and between GRU layers

    Shapes:
        src: ``(B, S)`` long, ``src_lengths``: ``(B,)``
        returns: ``outputs`` ``(B, S, d_out)`` with ``d_out = d_hidden * (2 if bidirectional else 1)``
        and ``summary`` ``(B, d_out)``
    """

    def __init__(
        self,
        vocab_size: int,
        d_embed: int,
        d_hidden: int,
        num_layers: int = 1,
        bidirectional: bool = True,
        dropout: float = 0.0,
    ):
        super().__init__()
        check_model_args(
            dropout, vocab_size=vocab_size, d_embed=d_embed, d_hidden=d_hidden, num_layers=num_layers
        )
        self.embedding = nn.Embedding(vocab_size, d_embed, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.GRU(
            d_embed,
            d_hidden,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.num_directions = 2 if bidirectional else 1
        self.d_out = d_hidden * self.num_directions

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        B, S = check_source(src, src_lengths, self.embedding.num_embeddings)
        x = self.dropout(self.embedding(src))  # (B, S, d_embed)
        # Packing makes the GRU stop at each sequence's true end, so the
        # backward direction starts at the last real token, not at <pad>.
        packed = pack_padded_sequence(x, src_lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, h_n = self.rnn(packed)  # h_n: (num_layers * dirs, B, d_hidden)
        outputs, _ = pad_packed_sequence(
            packed_out, batch_first=True, total_length=S
        )  # (B, S, d_out)
        # The top layer's final state of each direction, side by side.
        top = h_n[-self.num_directions :]  # (dirs, B, d_hidden)
        summary = top.transpose(0, 1).reshape(B, self.d_out)  # (B, d_out)
        return outputs, summary
