"""English-French sentence pairs (Tatoeba, as packaged by the PyTorch seq2seq tutorial).

The file ``translation/eng-fra.txt`` has one pair a line, ``English<TAB>French``
(135,842 lines). The preprocessing follows the PyTorch tutorial "NLP From
Scratch: Translation with a Sequence to Sequence Network and Attention", so
the numbers here can be compared with the many copies of it:

1. **Normalise** each sentence: lower case, strip accents (Unicode NFD, then
   drop the combining marks, so ``é`` becomes ``e``), put a space before
   ``. ! ?``, and turn every other run of non-letters into one space.
2. **Filter by length**: keep pairs whose two sides have fewer than
   ``max_length`` words (10 in the tutorial).
3. **Prefix filter** (optional, on by default): keep only pairs whose English
   side starts with "i am", "he is", "you are", ... (:data:`ENG_PREFIXES`).
   With ``max_length=10`` this keeps the tutorial's **10,599** pairs: small
   enough to train on a CPU in minutes.

The pairs are then shuffled with a seed and split into train / valid / test,
and the word vocabularies are built from the training split only (with a
minimum frequency); any other word becomes ``<unk>``. The default direction
is French -> English, like the tutorial.

Sentences: Tatoeba Project (https://tatoeba.org), CC-BY 2.0 FR.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections.abc import Iterable

from gattut.data.corpus import ParallelCorpus
from gattut.data.fetch import open_text
from gattut.data.vocab import Vocab

__all__ = [
    "ENG_PREFIXES",
    "FILE",
    "normalize",
    "tokenize",
    "read_pairs",
    "filter_pairs",
    "load_eng_fra",
]

FILE = "translation/eng-fra.txt"
ENG_PREFIXES = (
    "i am ", "i m ", "he is", "he s ", "she is", "she s ",
    "you are", "you re ", "we are", "we re ", "they are", "they re ",
)  # fmt: skip


def _strip_accents(s: str) -> str:
    # NFD splits "é" into "e" + a combining accent (category Mn); dropping Mn keeps "e".
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def normalize(s: str) -> str:
    """The tutorial's ``normalizeString``: ``"Je suis à l'école!"`` -> ``"je suis a l ecole !"``.

    Words are separated by single spaces; the result may start or end with a
    space when the sentence starts or ends with a non-letter (as in the
    tutorial, whose length filter counts ``s.split(" ")``).
    """
    s = _strip_accents(s.lower().strip())
    s = re.sub(r"([.!?])", r" \1", s)
    return re.sub(r"[^a-zA-Z.!?]+", r" ", s)


def tokenize(s: str) -> list[str]:
    """Normalise, then split on spaces: the word tokens the models see."""
    return normalize(s).split()


def read_pairs() -> list[tuple[str, str]]:
    """All raw ``(english, french)`` pairs of the file, in file order (verified by sha256)."""
    with open_text(FILE) as f:
        lines = f.read().strip().split("\n")
    pairs = []
    for number, line in enumerate(lines, start=1):
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(
                f"{FILE} line {number}: expected 2 tab-separated fields, got {len(parts)}"
            )
        pairs.append((parts[0], parts[1]))
    return pairs


def filter_pairs(
    pairs: Iterable[tuple[str, str]],
    max_length: int | None = 10,
    prefixes: tuple[str, ...] | None = ENG_PREFIXES,
) -> list[tuple[str, str]]:
    """Normalise ``(english, french)`` pairs and keep the short ones (and those with an English prefix).

    The length test is the tutorial's: ``len(s.split(" ")) < max_length`` on
    each normalised side. ``max_length=None`` keeps every length;
    ``prefixes=None`` turns the prefix filter off.
    """
    if max_length is not None and max_length < 2:
        raise ValueError(f"max_length must be >= 2 (or None), got {max_length}")
    kept = []
    for eng, fra in pairs:
        eng, fra = normalize(eng), normalize(fra)
        if max_length is not None and not (
            len(eng.split(" ")) < max_length and len(fra.split(" ")) < max_length
        ):
            continue
        if prefixes is not None and not eng.startswith(prefixes):
            continue
        kept.append((eng, fra))
    return kept


@functools.lru_cache(maxsize=4)
def _filtered_pairs(max_length: int | None, prefix_filter: bool) -> tuple[tuple[str, str], ...]:
    # Reading and normalising 135,842 lines takes seconds; a notebook that
    # loads the corpus twice should not pay twice.
    return tuple(filter_pairs(read_pairs(), max_length, ENG_PREFIXES if prefix_filter else None))


def load_eng_fra(
    max_length: int | None = 10,
    prefix_filter: bool = True,
    direction: str = "fra-eng",
    min_freq: int = 1,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
) -> ParallelCorpus:
    """The translation task as a word-level :class:`ParallelCorpus`.

    ``direction`` is ``"fra-eng"`` (French source, as in the tutorial) or
    ``"eng-fra"``. The split is fixed by ``seed``. Words seen fewer than
    ``min_freq`` times in the training split map to ``<unk>``.
    """
    if direction not in ("fra-eng", "eng-fra"):
        raise ValueError(f"direction must be 'fra-eng' or 'eng-fra', got {direction!r}")
    if not (
        0 <= valid_fraction < 1 and 0 <= test_fraction < 1 and valid_fraction + test_fraction < 1
    ):
        raise ValueError(
            f"valid_fraction and test_fraction must be in [0, 1) with a sum below 1, "
            f"got {valid_fraction} and {test_fraction}"
        )
    # Checked here, before the file is read (filter_pairs and Vocab.build check them again).
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2
    ):
        raise ValueError(f"max_length must be an int >= 2 (or None), got {max_length!r}")
    if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
        raise ValueError(f"min_freq must be an int >= 1, got {min_freq!r}")
    pairs = _filtered_pairs(max_length, prefix_filter)
    if not pairs:
        raise ValueError(f"no pairs left after filtering with max_length={max_length}")
    tokenised = [(eng.split(), fra.split()) for eng, fra in pairs]
    if direction == "fra-eng":
        tokenised = [(fra, eng) for eng, fra in tokenised]
    random.Random(seed).shuffle(tokenised)
    n_valid = int(round(valid_fraction * len(tokenised)))
    n_test = int(round(test_fraction * len(tokenised)))
    n_train = len(tokenised) - n_valid - n_test
    splits = {
        "train": tokenised[:n_train],
        "valid": tokenised[n_train : n_train + n_valid],
        "test": tokenised[n_train + n_valid :],
    }
    src_vocab = Vocab.build((s for s, _ in splits["train"]), min_freq=min_freq)
    tgt_vocab = Vocab.build((t for _, t in splits["train"]), min_freq=min_freq)
    info = {"task": "eng-fra", "direction": direction, "num_pairs": len(pairs), "seed": seed}
    return ParallelCorpus(src_vocab, tgt_vocab, splits, joiner=" ", info=info)
