"""Token vocabularies: tokens <-> integer ids, with the four special tokens.

Every vocabulary starts with the same four specials, in this order, so that
their ids are the same in every model of the book:

=====  =======  ==========================================================
id     token    meaning
=====  =======  ==========================================================
0      <pad>    fills a batch up to its longest sequence; never attended to
1      <sos>    start of sequence: the first decoder input
2      <eos>    end of sequence: the decoder's signal to stop
3      <unk>    any token that is not in the vocabulary
=====  =======  ==========================================================

A vocabulary is plain data (a list of strings), so it can be saved inside a
checkpoint and compared with another one when the checkpoint is loaded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

PAD, SOS, EOS, UNK = "<pad>", "<sos>", "<eos>", "<unk>"
SPECIALS = (PAD, SOS, EOS, UNK)
PAD_ID, SOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3

__all__ = ["PAD", "SOS", "EOS", "UNK", "SPECIALS", "PAD_ID", "SOS_ID", "EOS_ID", "UNK_ID", "Vocab"]


class Vocab:
    """A fixed list of tokens; ``vocab[token]`` is its id, ``vocab.tokens[id]`` the token.

    Build one from a corpus with :meth:`Vocab.build`. Tokens can be words or
    characters: a vocabulary does not know how its text was split.
    """

    def __init__(self, tokens: Sequence[str]):
        if isinstance(tokens, str):
            raise TypeError(f"a Vocab is built from a list of token strings, got {tokens!r:.60}")
        tokens = list(tokens)
        if not all(isinstance(t, str) for t in tokens):
            raise TypeError(f"a Vocab is built from a list of token strings, got {tokens!r:.60}")
        if tuple(tokens[:4]) != SPECIALS:
            raise ValueError(f"a Vocab must start with {SPECIALS}, got {tuple(tokens[:4])}")
        if len(set(tokens)) != len(tokens):
            dupes = sorted({t for t in tokens if tokens.count(t) > 1})
            raise ValueError(f"duplicate tokens in vocabulary: {dupes[:10]}")
        self.tokens: list[str] = tokens
        self.index: dict[str, int] = {t: i for i, t in enumerate(tokens)}

    @classmethod
    def build(
        cls, sequences: Iterable[Sequence[str]], min_freq: int = 1, max_size: int | None = None
    ) -> Vocab:
        """Collect the tokens seen at least ``min_freq`` times, most frequent first.

        Ties are broken alphabetically so that the same corpus always gives
        the same ids. ``max_size`` (if given) counts the four specials.
        """
        if isinstance(sequences, str):
            raise TypeError(
                f"Vocab.build takes token sequences (one list per sentence), got the string "
                f"{sequences[:30]!r}; wrap it: Vocab.build([list(text)]) or [text.split()]"
            )
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"min_freq must be an int >= 1, got {min_freq!r}")
        counts = Counter(tok for seq in sequences for tok in seq)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in SPECIALS),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            if max_size < len(SPECIALS):
                raise ValueError(f"max_size must be >= {len(SPECIALS)}, got {max_size}")
            kept = kept[: max_size - len(SPECIALS)]
        return cls([*SPECIALS, *kept])

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, token: str) -> int:
        return self.index.get(token, UNK_ID)

    def __contains__(self, token: object) -> bool:
        return token in self.index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.tokens == other.tokens

    def __hash__(self) -> int:
        return hash(tuple(self.tokens))

    def __repr__(self) -> str:
        preview = ", ".join(repr(t) for t in self.tokens[4:10])
        return f"Vocab({len(self)} tokens: specials, {preview}{', ...' if len(self) > 10 else ''})"

    def encode(
        self, tokens: Sequence[str], add_sos: bool = False, add_eos: bool = False
    ) -> list[int]:
        """Map tokens to ids; unknown tokens become ``<unk>`` (id 3)."""
        ids = [self[t] for t in tokens]
        return ([SOS_ID] if add_sos else []) + ids + ([EOS_ID] if add_eos else [])

    def decode(self, ids: Iterable[int], strip: bool = True) -> list[str]:
        """Map ids back to tokens.

        With ``strip=True`` decoding stops at the first ``<eos>`` and drops
        ``<pad>`` and ``<sos>``, which is what a prediction should print.
        """
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"id {i} is outside the vocabulary [0, {len(self.tokens)})")
            if strip and i == EOS_ID:
                break
            if strip and i in (PAD_ID, SOS_ID):
                continue
            out.append(self.tokens[i])
        return out

    def to_list(self) -> list[str]:
        """The tokens, in id order: all a checkpoint needs to rebuild the vocabulary."""
        return list(self.tokens)

    def difference(self, other: Vocab) -> str | None:
        """Describe how ``other`` differs from this vocabulary, or ``None`` if equal."""
        if self == other:
            return None
        if len(self) != len(other):
            return f"{len(self)} tokens vs {len(other)} tokens"
        i = next(i for i, (a, b) in enumerate(zip(self.tokens, other.tokens)) if a != b)
        return f"same size ({len(self)}) but id {i} is {self.tokens[i]!r} vs {other.tokens[i]!r}"
