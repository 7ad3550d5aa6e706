"""Parallel corpora and padded batches.

A :class:`ParallelCorpus` holds tokenised ``(source, target)`` pairs split into
``train`` / ``valid`` / ``test``, and the two vocabularies. Both data sets of
the book (generated dates, English-French) are returned as one, so every
model and the training loop see the same thing: a :class:`Batch` of padded
id tensors with their true lengths.

The target tensor carries ``<sos>`` in front and ``<eos>`` at the end, so the
decoder's input is ``tgt[:, :-1]`` and what it must predict is ``tgt[:, 1:]``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from gattut.data.vocab import PAD_ID, Vocab

__all__ = ["Batch", "ParallelCorpus", "pad_batch"]

Pair = tuple[list[str], list[str]]


def pad_batch(
    sequences: Sequence[Sequence[int]], pad_id: int = PAD_ID
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack id lists into one padded tensor.

    Shapes:
        sequences: B lists of lengths ``L_b``
        returns: ids ``(B, max L_b)`` (long, padded with ``pad_id``), lengths ``(B,)``
    """
    if len(sequences) == 0:
        raise ValueError("pad_batch needs at least one sequence, got none")
    for b, seq in enumerate(sequences):
        bad = [i for i in seq if isinstance(i, bool) or not isinstance(i, int) or i < 0]
        if bad:
            raise ValueError(
                f"pad_batch takes lists of non-negative int ids; sequence {b} holds {bad[0]!r} "
                "(encode tokens with Vocab.encode first)"
            )
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    if int(lengths.min()) == 0:
        raise ValueError(f"pad_batch got an empty sequence (lengths {lengths.tolist()})")
    ids = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)  # (B, L)
    for b, seq in enumerate(sequences):
        ids[b, : len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
    return ids, lengths


class Batch(NamedTuple):
    """One padded batch.

    Shapes:
        src: ``(B, S)`` source ids, padded with ``<pad>``
        src_lengths: ``(B,)`` true source lengths
        tgt: ``(B, T + 1)`` ``<sos> y_1 ... y_n <eos>``, padded
        tgt_lengths: ``(B,)`` true target lengths, counting ``<sos>`` and ``<eos>``
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt: torch.Tensor
    tgt_lengths: torch.Tensor

    def to(self, device: torch.device | str) -> Batch:
        return Batch(*(t.to(device) for t in self))


@dataclass
class ParallelCorpus:
    """Tokenised pairs in fixed splits, plus the two vocabularies.

    ``joiner`` turns a token list back into text: ``""`` for characters,
    ``" "`` for words.
    """

    src_vocab: Vocab
    tgt_vocab: Vocab
    splits: dict[str, list[Pair]]
    joiner: str = " "
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        for side in ("src_vocab", "tgt_vocab"):
            if not isinstance(getattr(self, side), Vocab):
                raise TypeError(f"{side} must be a Vocab, got {type(getattr(self, side)).__name__}")
        if not isinstance(self.splits, dict):
            raise TypeError(f"splits must be a dict of split name -> pairs, got {self.splits!r:.60}")
        for split, pairs in self.splits.items():
            for i, pair in enumerate(pairs):
                if not (
                    isinstance(pair, tuple | list)
                    and len(pair) == 2
                    and all(isinstance(s, list | tuple) for s in pair)
                    and all(isinstance(t, str) for s in pair for t in s)
                ):
                    raise ValueError(
                        f"splits[{split!r}][{i}] must be a (source tokens, target tokens) pair "
                        f"of lists of strings, got {pair!r:.80}"
                    )

    def pairs(self, split: str) -> list[Pair]:
        if split not in self.splits:
            raise ValueError(f"unknown split {split!r}; this corpus has {sorted(self.splits)}")
        return self.splits[split]

    def encode_pair(self, pair: Pair) -> tuple[list[int], list[int]]:
        src, tgt = pair
        return self.src_vocab.encode(src), self.tgt_vocab.encode(tgt, add_sos=True, add_eos=True)

    def batches(
        self,
        split: str,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        bucket: bool = False,
    ) -> Iterator[Batch]:
        """Yield padded batches of one split; ``shuffle`` uses its own seeded generator.

        ``bucket=True`` (with ``shuffle``) groups sources of similar length:
        the shuffled pairs are cut into chunks of 50 batches, each chunk is
        sorted by source length and cut into batches, and the batches are
        shuffled again. Batches then carry little padding, which makes an
        epoch much faster when lengths vary as much as in the date task.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        pairs = self.pairs(split)
        order = list(range(len(pairs)))
        if shuffle:
            gen = torch.Generator().manual_seed(seed)
            order = torch.randperm(len(pairs), generator=gen).tolist()
        groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        if shuffle and bucket:
            chunk = 50 * batch_size
            groups = []
            for c in range(0, len(order), chunk):
                ordered = sorted(order[c : c + chunk], key=lambda i: len(pairs[i][0]))
                groups += [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]
            groups = [groups[i] for i in torch.randperm(len(groups), generator=gen).tolist()]
        for group in groups:
            encoded = [self.encode_pair(pairs[i]) for i in group]
            src, src_lengths = pad_batch([s for s, _ in encoded])
            tgt, tgt_lengths = pad_batch([t for _, t in encoded])
            yield Batch(src, src_lengths, tgt, tgt_lengths)

    def num_batches(self, split: str, batch_size: int) -> int:
        return -(-len(self.pairs(split)) // batch_size)

    def join(self, tokens: Sequence[str]) -> str:
        return self.joiner.join(tokens)
