"""Generated documents: deterministic per seed, labels decided by the one deciding word, clear errors."""

import pytest
import torch

from gattut.data import PAD_ID
from gattut.data.documents import (
    CLASS_WORDS,
    FILLER_WORDS,
    Documents,
    document_vocab,
    make_documents,
)


def test_same_seed_same_documents_other_seed_other_documents():
    a, b = make_documents(50, seed=3), make_documents(50, seed=3)
    for name in ("tokens", "labels", "key_sentence", "key_word"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert not torch.equal(a.tokens, make_documents(50, seed=4).tokens)


@pytest.mark.parametrize("num_classes", [2, 3, 4])
def test_label_is_the_class_of_the_one_deciding_word_in_the_key_sentence(num_classes):
    docs = make_documents(200, num_classes, sentences=(2, 6), words=(1, 7), seed=1)
    vocab = docs.vocab
    filler = torch.tensor([vocab[w] for w in FILLER_WORDS])
    word_class = {vocab[w]: c for c in range(num_classes) for w in CLASS_WORDS[c]}
    assert docs.num_classes == num_classes
    assert set(docs.labels.tolist()) == set(range(num_classes))
    for i in range(len(docs)):
        deciding = [
            (s, t) for s, row in enumerate(docs.tokens[i].tolist())
            for t, tok in enumerate(row) if tok in word_class
        ]  # fmt: skip
        # Exactly one deciding word, where the generator says, of the document's class.
        assert deciding == [(int(docs.key_sentence[i]), int(docs.key_word[i]))]
        s, t = deciding[0]
        assert word_class[int(docs.tokens[i, s, t])] == int(docs.labels[i])
        # Every other real word is filler (the distractors share the key sentence's vocabulary).
        rest = docs.tokens[i].clone()
        rest[s, t] = PAD_ID
        assert torch.isin(rest[rest != PAD_ID], filler).all()


def test_layout_sizes_and_masks():
    docs = make_documents(300, sentences=(2, 5), words=(3, 6), seed=2)
    N, S, W = docs.tokens.shape
    assert (N, S, W) == (300, 5, 6) and docs.tokens.dtype == torch.long
    counts = docs.sentence_mask.sum(1)
    lengths = docs.word_mask.sum(2)
    assert counts.min() == 2 and counts.max() == 5
    real = lengths[docs.sentence_mask]
    assert real.min() == 3 and real.max() == 6
    # padding only at the ends: masks are non-increasing along sentences and words
    assert (docs.sentence_mask[:, 1:] <= docs.sentence_mask[:, :-1]).all()
    assert (docs.word_mask[..., 1:] <= docs.word_mask[..., :-1]).all()
    assert (docs.key_sentence < counts).all()
    assert (docs.key_word < lengths[torch.arange(N), docs.key_sentence]).all()
    # the key sentence is at every position, not always the first
    assert len(set(docs.key_sentence.tolist())) == 5


def test_sentences_text_and_indexing():
    docs = make_documents(4, seed=5)
    text = docs.sentences(1)
    assert len(text) == int(docs.sentence_mask[1].sum())
    assert text[docs.key_sentence[1]][docs.key_word[1]] in CLASS_WORDS[int(docs.labels[1])]
    sub = docs[[2, 0]]
    assert isinstance(sub, Documents) and len(sub) == 2
    assert torch.equal(sub.tokens[1], docs.tokens[0]) and sub.vocab == docs.vocab
    assert len(docs[1]) == 1 and len(docs[1:3]) == 2


def test_vocab_holds_filler_then_class_words():
    vocab = document_vocab(3)
    assert len(vocab) == 4 + len(FILLER_WORDS) + 3 * len(CLASS_WORDS[0])
    assert "superb" in vocab and "hilarious" not in vocab


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"sentences": (0, 3)}, ValueError, "zero sentences"),
        ({"words": (0, 4)}, ValueError, "empty sentence"),
        ({"sentences": (5, 3)}, ValueError, "minimum exceeds the maximum"),
        ({"num_classes": 1}, ValueError, "num_classes must be in"),
        ({"num_classes": 5}, ValueError, "num_classes must be in"),
        ({"num_classes": 2.0}, TypeError, "num_classes must be an int"),
        ({"words": 5}, TypeError, r"\(min, max\) pair"),
        ({"sentences": (1.5, 3)}, TypeError, "must be an int"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, error, words):
    with pytest.raises(error, match=words):
        make_documents(10, **kwargs)


def test_zero_documents_is_an_error():
    with pytest.raises(ValueError, match="num_documents must be >= 1"):
        make_documents(0)
