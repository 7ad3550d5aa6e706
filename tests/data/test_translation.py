import pytest

from gattut.data.translation import filter_pairs, load_eng_fra, normalize, tokenize
from gattut.data.vocab import UNK_ID


def test_normalize_like_the_pytorch_tutorial():
    assert normalize("Je suis à l'école!") == "je suis a l ecole !"
    assert normalize("Ça va?") == "ca va ?"
    assert tokenize("  He's  here.  ") == ["he", "s", "here", "."]


def test_filters():
    pairs = [("I am cold.", "J'ai froid."), ("Go.", "Va !"), ("I am " + "very " * 10, "x")]
    assert filter_pairs(pairs) == [("i am cold .", "j ai froid .")]
    assert len(filter_pairs(pairs, prefixes=None)) == 2
    assert len(filter_pairs(pairs, max_length=None)) == 2
    with pytest.raises(ValueError, match="max_length"):
        filter_pairs(pairs, max_length=1)


def test_classic_setup_keeps_10599_pairs(require_data):
    require_data("translation/eng-fra.txt")
    corpus = load_eng_fra()
    assert corpus.info["num_pairs"] == 10_599
    assert sum(len(v) for v in corpus.splits.values()) == 10_599
    assert {k: len(v) for k, v in corpus.splits.items()} == {
        "train": 8479,
        "valid": 1060,
        "test": 1060,
    }
    # French source, English target with one of the classic prefixes.
    src, tgt = corpus.pairs("train")[0]
    assert " ".join(tgt).startswith(("i ", "he ", "she ", "you ", "we ", "they "))
    # Deterministic split; vocabularies from the training split only.
    again = load_eng_fra()
    assert again.splits == corpus.splits and again.src_vocab == corpus.src_vocab
    train_words = {w for s, _ in corpus.pairs("train") for w in s}
    assert set(corpus.src_vocab.tokens[4:]) == train_words
    unseen = [w for s, _ in corpus.pairs("test") for w in s if w not in train_words]
    assert unseen and all(corpus.src_vocab[w] == UNK_ID for w in unseen)
    batch = next(corpus.batches("test", 32))
    assert batch.src.shape[0] == 32 and batch.src.shape[1] == int(batch.src_lengths.max())


def test_min_freq_and_direction(require_data):
    require_data("translation/eng-fra.txt")
    corpus = load_eng_fra(min_freq=2, direction="eng-fra")
    assert " ".join(corpus.pairs("train")[0][0]).startswith(
        ("i ", "he ", "she ", "you ", "we ", "they ")
    )
    full = load_eng_fra()
    assert len(corpus.tgt_vocab) < len(full.src_vocab)
    with pytest.raises(ValueError, match="direction"):
        load_eng_fra(direction="fr-en")
