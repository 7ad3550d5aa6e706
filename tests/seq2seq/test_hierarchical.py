"""The hierarchical attention network and the flat baseline: shapes, masks, scoring, learning."""

import pytest
import torch

from gattut.attention import AttentionPooling
from gattut.data import PAD_ID
from gattut.data.documents import make_documents
from gattut.seq2seq.hierarchical import (
    DocumentAttention,
    FlatAttentionClassifier,
    HierarchicalAttentionNetwork,
    KeyAttention,
    check_documents,
    fit,
    key_attention,
    predict,
)

MODELS = [HierarchicalAttentionNetwork, FlatAttentionClassifier]


@pytest.fixture(scope="module")
def docs():
    return make_documents(40, 3, sentences=(2, 5), words=(2, 6), seed=0)


@pytest.mark.parametrize("model_cls", MODELS)
def test_shapes_and_weights_sum_to_one_over_real_positions(model_cls, docs):
    torch.manual_seed(0)
    model = model_cls(len(docs.vocab), 3, d_embed=8, d_hidden=6, d_attn=5)
    logits, attention = model(docs.tokens)
    N, S, W = docs.tokens.shape
    assert isinstance(attention, DocumentAttention)
    assert logits.shape == (N, 3) and attention.word.shape == (N, S, W)
    assert attention.sentence.shape == (N, S)
    assert attention.word[~docs.word_mask].eq(0).all()
    assert attention.sentence[~docs.sentence_mask].eq(0).all()
    torch.testing.assert_close(attention.sentence.sum(-1), torch.ones(N))
    if model_cls is HierarchicalAttentionNetwork:  # one distribution per real sentence
        sums = attention.word.sum(-1)
        torch.testing.assert_close(
            sums[docs.sentence_mask], torch.ones(int(docs.sentence_mask.sum()))
        )
    else:  # one distribution per document; the sentence weights are its sums per sentence
        torch.testing.assert_close(attention.word.sum((1, 2)), torch.ones(N))
        torch.testing.assert_close(attention.sentence, attention.word.sum(-1))


@pytest.mark.parametrize("model_cls", MODELS)
def test_padding_does_not_change_a_document(model_cls, docs):
    """Extra padding sentences and word slots change neither logits nor real weights."""
    torch.manual_seed(0)
    model = model_cls(len(docs.vocab), 3, d_embed=8, d_hidden=6, d_attn=5).double()
    logits, attention = model(docs.tokens[:3])
    padded = torch.nn.functional.pad(docs.tokens[:3], (0, 2, 0, 3), value=PAD_ID)
    logits2, attention2 = model(padded)
    torch.testing.assert_close(logits2, logits)
    S, W = docs.tokens.shape[1:]
    torch.testing.assert_close(attention2.word[:, :S, :W], attention.word)
    torch.testing.assert_close(attention2.sentence[:, :S], attention.sentence)
    one, _ = model(docs.tokens[1:2])  # a batch of one gives the same as inside a batch
    torch.testing.assert_close(one[0], logits[1])


def test_han_levels_are_the_package_pooling(docs):
    """The HAN's word level is AttentionPooling over the word GRU's states."""
    torch.manual_seed(0)
    model = HierarchicalAttentionNetwork(len(docs.vocab), 3, d_embed=8, d_hidden=6, d_attn=5)
    assert isinstance(model.word_attention, AttentionPooling)
    assert isinstance(model.sentence_attention, AttentionPooling)
    _, attention = model(docs.tokens[:1])
    sentence = docs.tokens[0, 0]
    n = int((sentence != PAD_ID).sum())
    h, _ = model.word_rnn(model.embedding(sentence[:n])[None])  # (1, n, 2H)
    _, alpha = model.word_attention(h)
    torch.testing.assert_close(attention.word[0, 0, :n], alpha[0])


def test_key_attention_on_constructed_attention(docs):
    N, S, W = docs.tokens.shape
    rows = torch.arange(N)
    word = torch.zeros(N, S, W)
    word[rows, docs.key_sentence, docs.key_word] = 1.0  # perfect word attention
    sentence = torch.nn.functional.one_hot(docs.key_sentence, S).float()
    perfect = key_attention(DocumentAttention(word, sentence), docs)
    assert isinstance(perfect, KeyAttention)
    assert perfect.sentence == 1.0 and perfect.word == 1.0
    chance = 1 / docs.sentence_mask.sum(1).double()
    assert perfect.sentence_chance == pytest.approx(chance.mean().item())
    lengths = docs.word_mask.sum(-1)[rows, docs.key_sentence].double()
    assert perfect.word_chance == pytest.approx((1 / lengths).mean().item())
    # Attention always on the first sentence and first word: right exactly when the key is there.
    first = torch.zeros(N, S)
    first[:, 0] = 1.0
    first_word = torch.zeros(N, S, W)
    first_word[:, :, 0] = 1.0
    wrong = key_attention(DocumentAttention(first_word, first), docs)
    assert wrong.sentence == pytest.approx((docs.key_sentence == 0).float().mean().item())
    assert wrong.word == pytest.approx((docs.key_word == 0).float().mean().item())
    with pytest.raises(ValueError, match="does not match documents"):
        key_attention(DocumentAttention(word[:, :, :2], sentence), docs)
    with pytest.raises(ValueError, match="DocumentAttention"):
        key_attention(word, docs)


@pytest.mark.parametrize("model_cls", MODELS)
def test_learns_the_task_and_attends_to_the_key(model_cls):
    train = make_documents(600, 2, sentences=(2, 4), words=(3, 6), seed=1)
    test = make_documents(200, 2, sentences=(2, 4), words=(3, 6), seed=2)
    torch.manual_seed(0)
    model = model_cls(len(train.vocab), 2, d_embed=16, d_hidden=16, d_attn=16)
    losses = fit(model, train, epochs=4, batch_size=32, lr=1e-2)
    assert losses[-1] < losses[0] / 4
    predictions, attention = predict(model, test, batch_size=64)
    assert (predictions == test.labels).float().mean() > 0.9
    scores = key_attention(attention, test)
    assert scores.sentence > scores.sentence_chance + 0.2
    assert scores.word > scores.word_chance + 0.2


def test_fit_is_deterministic_given_the_seeds():
    train = make_documents(64, seed=3, sentences=(2, 3), words=(2, 4))
    runs = []
    for _ in range(2):
        torch.manual_seed(5)
        model = HierarchicalAttentionNetwork(len(train.vocab), 2, 8, 8, 8)
        runs.append(fit(model, train, epochs=2, batch_size=16, seed=7))
    assert runs[0] == runs[1]


def _tokens(rows):
    return torch.tensor(rows, dtype=torch.long)


@pytest.mark.parametrize("model_cls", MODELS)
@pytest.mark.parametrize(
    "tokens, words",
    [
        (torch.ones(2, 3, 4), "integer ids"),
        (torch.ones(2, 3, dtype=torch.long), r"shape \(B, S, W\)"),
        (torch.ones(2, 0, 4, dtype=torch.long), "zero sentences"),
        (torch.ones(2, 3, 0, dtype=torch.long), "zero words"),
        (torch.ones(0, 3, 4, dtype=torch.long), "zero documents"),
        (_tokens([[[5, 6], [5, 0]], [[0, 0], [0, 0]]]), "document 1 has zero sentences"),
        (_tokens([[[5, 6], [0, 0], [7, 0]]]), "empty sentence at index 1"),
        (_tokens([[[5, 0, 6]]]), "padding at word 1"),
        (_tokens([[[5, 999]]]), "outside the document vocabulary"),
        ([[[5]]], "torch.Tensor"),
    ],
)
def test_bad_documents_name_the_problem(model_cls, tokens, words):
    model = model_cls(60, 2, 4, 4, 4)
    with pytest.raises(ValueError, match=words):
        model(tokens)


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        HierarchicalAttentionNetwork(60, 1)
    with pytest.raises(ValueError, match="d_hidden must be a positive int"):
        FlatAttentionClassifier(60, 2, d_hidden=0)
    with pytest.raises(ValueError, match="Documents batch"):
        fit(HierarchicalAttentionNetwork(60, 2), torch.ones(2, 2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="Documents batch"):
        predict(HierarchicalAttentionNetwork(60, 2), torch.ones(2, 2, 2, dtype=torch.long))
    assert check_documents(torch.ones(2, 3, 4, dtype=torch.long)) == (2, 3, 4)
