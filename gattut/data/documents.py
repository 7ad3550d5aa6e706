"""Documents made up on the spot, where one word in one sentence decides the label.

:func:`make_documents` draws reviews of several sentences for a hierarchical
attention network (Yang et al. 2016) to classify. Every sentence is a run of
*filler* words ("the plot was long ..."); in exactly one sentence, the *key
sentence*, at a random position, one filler word is replaced by a *deciding
word* ("superb", "dreadful", ...), and the class of that word is the
document's label. The key sentence is otherwise drawn like the others, from
the same filler vocabulary, so the distractor sentences differ from it only
by the deciding word. Because the generator knows where that word is, the
attention of a trained model can be scored: does the sentence attention peak
on the key sentence, and the word attention, within it, on the deciding word?

Layout: a batch of ``N`` documents is one ``(N, S, W)`` tensor of token ids,
``S`` the most sentences and ``W`` the longest sentence, padded with
``PAD_ID`` (0) at the end of each sentence and with all-padding sentences at
the end of each document. Every document has at least one sentence and every
sentence at least one word.

Deterministic given ``seed`` (NumPy's ``default_rng``): draw the training and
test documents with two seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gattut.data.vocab import PAD_ID, SPECIALS, Vocab

__all__ = ["CLASS_WORDS", "FILLER_WORDS", "Documents", "document_vocab", "make_documents"]

#: Neutral words: every sentence, key or distractor, is drawn from these.
FILLER_WORDS = (
    "the", "a", "film", "plot", "story", "actor", "actress", "scene", "music", "camera",
    "director", "script", "ending", "was", "is", "seemed", "felt", "quite", "very", "rather",
    "long", "short", "old", "new", "slow", "loud", "and", "but", "with", "of", "in", "at",
    "night", "city", "house", "friend", "family", "year", "dialogue", "cast",
)  # fmt: skip

#: The deciding words of each class: class ``c`` is decided by one of ``CLASS_WORDS[c]``.
CLASS_WORDS = (
    ("dreadful", "awful", "boring", "dull"),  # 0: negative
    ("superb", "brilliant", "moving", "great"),  # 1: positive
    ("confusing", "baffling", "muddled", "obscure"),  # 2: puzzled
    ("hilarious", "funny", "witty", "comic"),  # 3: amused
)


def document_vocab(num_classes: int = 2) -> Vocab:
    """The vocabulary of :func:`make_documents`: specials, filler words, then each class's words."""
    _check_int(num_classes, "num_classes", 2, len(CLASS_WORDS))
    words = [w for c in range(num_classes) for w in CLASS_WORDS[c]]
    return Vocab([*SPECIALS, *FILLER_WORDS, *words])


@dataclass(frozen=True)
class Documents:
    """A batch of generated documents and the facts that decide their labels.

    Attributes:
        tokens: ``(N, S, W)`` long, token ids, ``PAD_ID`` where there is no word.
        labels: ``(N,)`` long, the class of each document's deciding word.
        key_sentence: ``(N,)`` long, the index of the sentence that holds it.
        key_word: ``(N,)`` long, its position within that sentence.
        vocab: the :class:`~gattut.data.Vocab` of the ids.

    Shapes:
        tokens ``(N, S, W)``; labels, key_sentence, key_word ``(N,)``;
        ``word_mask`` ``(N, S, W)`` bool; ``sentence_mask`` ``(N, S)`` bool.
    """

    tokens: torch.Tensor
    labels: torch.Tensor
    key_sentence: torch.Tensor
    key_word: torch.Tensor
    vocab: Vocab

    def __len__(self) -> int:
        return self.tokens.shape[0]

    @property
    def num_classes(self) -> int:
        return (len(self.vocab) - len(SPECIALS) - len(FILLER_WORDS)) // len(CLASS_WORDS[0])

    @property
    def word_mask(self) -> torch.Tensor:
        """``(N, S, W)`` bool: ``True`` at real words (not padding)."""
        return self.tokens != PAD_ID

    @property
    def sentence_mask(self) -> torch.Tensor:
        """``(N, S)`` bool: ``True`` at real sentences."""
        return self.word_mask.any(dim=-1)

    def sentences(self, i: int) -> list[list[str]]:
        """Document ``i`` as words, one list per sentence (padding left out)."""
        return [
            [self.vocab.tokens[t] for t in row if t != PAD_ID]
            for row in self.tokens[i].tolist()
            if any(t != PAD_ID for t in row)
        ]

    def __getitem__(self, index) -> Documents:
        """The documents at ``index`` (a slice, a list or a tensor of indices), in that order."""
        if isinstance(index, int):
            index = [index]
        return Documents(
            self.tokens[index],
            self.labels[index],
            self.key_sentence[index],
            self.key_word[index],
            self.vocab,
        )


def _check_int(value, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def make_documents(
    num_documents: int,
    num_classes: int = 2,
    sentences: tuple[int, int] = (4, 8),
    words: tuple[int, int] = (5, 10),
    seed: int = 0,
) -> Documents:
    """Draw ``num_documents`` documents; one deciding word in one sentence gives each its label.

    For each document: a label ``y`` uniform over ``num_classes`` classes, a
    number of sentences uniform in ``sentences`` (inclusive), a length for each
    sentence uniform in ``words`` (inclusive), every word uniform over
    :data:`FILLER_WORDS`; then a key sentence uniform over the document's
    sentences and a position uniform within it, whose word becomes a deciding
    word drawn uniformly from ``CLASS_WORDS[y]``.

    Args:
        num_documents: ``N``, at least 1.
        num_classes: 2 to 4.
        sentences: ``(min, max)`` sentences per document, ``1 <= min <= max``.
        words: ``(min, max)`` words per sentence, ``1 <= min <= max``.
        seed: the seed of the only random generator used.

    Shapes:
        returns :class:`Documents` with tokens ``(N, S, W)``, ``S = max`` of
        ``sentences``, ``W = max`` of ``words``.

    Raises:
        ValueError: zero documents, zero sentences (``sentences[0] < 1``), an
            empty sentence (``words[0] < 1``), a range whose min exceeds its max,
            or ``num_classes`` outside [2, 4]. TypeError: a count that is not an int.
    """
    N = _check_int(num_documents, "num_documents", 1)
    vocab = document_vocab(num_classes)
    ranges = {}
    for name, pair, what in (("sentences", sentences, "zero sentences"),
                             ("words", words, "an empty sentence")):  # fmt: skip
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise TypeError(f"{name} must be a (min, max) pair of ints, got {pair!r}")
        low = _check_int(pair[0], f"{name}[0] (the fewest {name})", 0)
        high = _check_int(pair[1], f"{name}[1] (the most {name})", 0)
        if low < 1:
            raise ValueError(
                f"{name}=({low}, {high}) allows {what}: every document needs at least one "
                "sentence and every sentence at least one word, so the minimum must be >= 1"
            )
        if low > high:
            raise ValueError(f"{name}=({low}, {high}): the minimum exceeds the maximum")
        ranges[name] = (low, high)
    (s_min, S), (w_min, W) = ranges["sentences"], ranges["words"]
    filler = np.array([vocab[w] for w in FILLER_WORDS])  # (F,)
    deciding = np.array([[vocab[w] for w in CLASS_WORDS[c]] for c in range(num_classes)])  # (C, K)

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, N)  # (N,)
    num_sentences = rng.integers(s_min, S + 1, N)  # (N,)
    lengths = rng.integers(w_min, W + 1, (N, S))  # (N, S): drawn for every slot, used where real
    lengths[np.arange(S)[None, :] >= num_sentences[:, None]] = 0
    tokens = filler[rng.integers(0, len(filler), (N, S, W))]  # (N, S, W)
    tokens[np.arange(W)[None, None, :] >= lengths[:, :, None]] = PAD_ID
    key_sentence = (rng.random(N) * num_sentences).astype(np.int64)  # (N,) in [0, n_i)
    key_length = lengths[np.arange(N), key_sentence]  # (N,)
    key_word = (rng.random(N) * key_length).astype(np.int64)  # (N,) in [0, len)
    tokens[np.arange(N), key_sentence, key_word] = deciding[
        labels, rng.integers(0, deciding.shape[1], N)
    ]

    as_long = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64))  # noqa: E731
    return Documents(
        as_long(tokens), as_long(labels), as_long(key_sentence), as_long(key_word), vocab
    )
