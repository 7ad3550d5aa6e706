r"""Document classifiers: the hierarchical attention network (Yang et al. 2016) and a flat one.

A document is sentences of words, ``tokens (B, S, W)``, padded with
``PAD_ID``. The hierarchical attention network (HAN) reads it in two levels,
each a bidirectional GRU followed by :class:`~gattut.attention.pooling.AttentionPooling`:

.. math::

    h_{st} &= \mathrm{BiGRU}_{\text{word}}(x_{s1} \dots x_{sW})_t, &
    v_s &= \sum_t \alpha_{st} h_{st},
    \quad \alpha_{s\cdot} = \mathrm{softmax}_t\big(\tanh(W_w h_{st} + b_w)^\top u_w\big), \\
    g_s &= \mathrm{BiGRU}_{\text{sentence}}(v_1 \dots v_S)_s, &
    d &= \sum_s \beta_s g_s,
    \quad \beta = \mathrm{softmax}_s\big(\tanh(W_s g_s + b_s)^\top u_s\big),

and classifies the document vector, :math:`p = \mathrm{softmax}(W_c d + b_c)`.
The word weights :math:`\alpha_{st}` say which words make each sentence's
vector, the sentence weights :math:`\beta_s` which sentences make the document's.

The flat baseline drops the hierarchy: one BiGRU over all the document's
words in a row and one attention pooling over all of them.

Both models return ``(logits, attention)`` where ``attention`` is a
:class:`DocumentAttention` of word weights ``(B, S, W)`` and sentence weights
``(B, S)``. For the HAN each real sentence's word weights sum to one; for the
flat model the word weights sum to one over the whole document and its
sentence weights are the sums of its word weights per sentence.

:func:`key_attention` scores the attention against the generator's truth
(:func:`gattut.data.documents.make_documents`); :func:`fit` and :func:`predict`
train and run either model.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from gattut.attention._checks import check_size
from gattut.attention.peaks import chance_share, peak_share
from gattut.attention.pooling import AttentionPooling
from gattut.data.documents import Documents
from gattut.data.vocab import PAD_ID
from gattut.seq2seq.encoders import check_ids

__all__ = [
    "DocumentAttention",
    "FlatAttentionClassifier",
    "HierarchicalAttentionNetwork",
    "KeyAttention",
    "check_documents",
    "fit",
    "key_attention",
    "predict",
]


class DocumentAttention(NamedTuple):
    """The attention of a document classifier: ``word`` ``(B, S, W)``, ``sentence`` ``(B, S)``."""

    word: torch.Tensor
    sentence: torch.Tensor


def check_documents(tokens: torch.Tensor, vocab_size: int | None = None) -> tuple[int, int, int]:
    """Validate a padded batch of documents; return ``(B, S, W)``.

    A document is its real sentences first, then all-``PAD_ID`` sentences; a
    sentence is its real words first, then ``PAD_ID``. Every document needs at
    least one word.

    Raises:
        ValueError: not a 3-D integer tensor, zero sentences or words, an empty
            sentence before a real one, padding inside a sentence, or an id
            outside the vocabulary.
    """
    if not isinstance(tokens, torch.Tensor):
        raise ValueError(
            f"tokens must be a (B, S, W) torch.Tensor of ids, got {type(tokens).__name__}"
        )
    if tokens.is_floating_point() or tokens.is_complex() or tokens.dtype == torch.bool:
        raise ValueError(f"tokens must hold integer ids (torch.long), got dtype {tokens.dtype}")
    if tokens.dim() != 3:
        raise ValueError(f"tokens must have shape (B, S, W), got shape {tuple(tokens.shape)}")
    B, S, W = tokens.shape
    if B == 0 or S == 0 or W == 0:
        what = "documents" if B == 0 else "sentences" if S == 0 else "words"
        raise ValueError(f"tokens has zero {what} (shape {tuple(tokens.shape)})")
    words = tokens != PAD_ID  # (B, S, W)
    sentences = words.any(dim=-1)  # (B, S)
    if not sentences[:, 0].all():
        i = int((~sentences[:, 0]).nonzero()[0])
        raise ValueError(f"document {i} has zero sentences (its first sentence is all padding)")
    gaps = sentences[:, 1:] & ~sentences[:, :-1]  # (B, S-1): a real sentence after an empty one
    if gaps.any():
        i, s = (int(v) for v in gaps.nonzero()[0])
        raise ValueError(
            f"document {i} has an empty sentence at index {s} before a real one at {s + 1}; "
            "put the real sentences first and the padding sentences last"
        )
    holes = words[..., 1:] & ~words[..., :-1]  # (B, S, W-1): a word after padding
    if holes.any():
        i, s, t = (int(v) for v in holes.nonzero()[0])
        raise ValueError(
            f"document {i}, sentence {s} has padding at word {t} before a real word; "
            "pad sentences at the end only"
        )
    check_ids(tokens, vocab_size, "tokens", "document")
    return B, S, W


def _bigru(rnn: nn.GRU, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Run a (bi)GRU on padded sequences, stopping at each one's true end; zeros at padding."""
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, _ = rnn(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (R, T, 2H)
    return out


class _DocumentClassifier(nn.Module):
    """What both models share: sizes, the embedding, checks, the classifier."""

    def __init__(self, vocab_size: int, num_classes: int, d_embed: int, d_hidden: int, d_attn: int):
        super().__init__()
        self.vocab_size = check_size(vocab_size, "vocab_size")
        self.num_classes = check_size(num_classes, "num_classes", minimum=2)
        for name, size in (("d_embed", d_embed), ("d_hidden", d_hidden), ("d_attn", d_attn)):
            check_size(size, name)
        self.embedding = nn.Embedding(vocab_size, d_embed, padding_idx=PAD_ID)
        self.classifier = nn.Linear(2 * d_hidden, num_classes)


class HierarchicalAttentionNetwork(_DocumentClassifier):
    """Words -> sentence vectors -> document vector, attention pooling at both levels.

    Args:
        vocab_size: number of token ids (``PAD_ID`` included).
        num_classes: ``C``, at least 2.
        d_embed: word embedding width.
        d_hidden: GRU state width per direction (``2 * d_hidden`` per position).
        d_attn: width of each attention pooling's hidden layer.

    Modules: ``embedding``, ``word_rnn``, ``word_attention``, ``sentence_rnn``,
    ``sentence_attention``, ``classifier``.

    Shapes:
        tokens ``(B, S, W)`` long -> logits ``(B, C)``,
        :class:`DocumentAttention` of word ``(B, S, W)`` and sentence ``(B, S)`` weights.
    """

    def __init__(
        self, vocab_size: int, num_classes: int, d_embed: int = 32, d_hidden: int = 32,
        d_attn: int = 32,
    ):  # fmt: skip
        super().__init__(vocab_size, num_classes, d_embed, d_hidden, d_attn)
        self.word_rnn = nn.GRU(d_embed, d_hidden, batch_first=True, bidirectional=True)
        self.word_attention = AttentionPooling(2 * d_hidden, d_attn)
        self.sentence_rnn = nn.GRU(2 * d_hidden, d_hidden, batch_first=True, bidirectional=True)
        self.sentence_attention = AttentionPooling(2 * d_hidden, d_attn)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, DocumentAttention]:
        B, S, W = check_documents(tokens, self.vocab_size)
        word_mask = tokens != PAD_ID  # (B, S, W)
        sentence_mask = word_mask.any(dim=-1)  # (B, S)
        # 1) word level, on the R real sentences only: encode, then pool each into a vector
        real = tokens[sentence_mask]  # (R, W)
        lengths = word_mask[sentence_mask].sum(dim=-1)  # (R,)
        h = _bigru(self.word_rnn, self.embedding(real), lengths)  # (R, W, 2H)
        vectors, alpha = self.word_attention(h, word_mask[sentence_mask])  # (R, 2H), (R, W)
        # 2) back into the document layout; padding sentences get zero vectors and weights
        sentence_vectors = h.new_zeros(B, S, h.shape[-1]).masked_scatter(
            sentence_mask.unsqueeze(-1), vectors
        )  # (B, S, 2H)
        word_weights = alpha.new_zeros(B, S, W).masked_scatter(sentence_mask.unsqueeze(-1), alpha)
        # 3) sentence level: encode the sentence vectors, pool them into the document vector
        g = _bigru(self.sentence_rnn, sentence_vectors, sentence_mask.sum(dim=-1))  # (B, S, 2H)
        document, beta = self.sentence_attention(g, sentence_mask)  # (B, 2H), (B, S)
        # 4) classify
        return self.classifier(document), DocumentAttention(word_weights, beta)  # (B, C)


class FlatAttentionClassifier(_DocumentClassifier):
    """The baseline without the hierarchy: one BiGRU and one attention pooling over all words.

    The document's real words are read as one sequence (sentence boundaries
    dropped). Same arguments, inputs and outputs as
    :class:`HierarchicalAttentionNetwork`; the word weights sum to one over the
    whole document and the sentence weights are their sums per sentence.

    Modules: ``embedding``, ``rnn``, ``attention``, ``classifier``.

    Shapes:
        tokens ``(B, S, W)`` long -> logits ``(B, C)``,
        :class:`DocumentAttention` of word ``(B, S, W)`` and sentence ``(B, S)`` weights.
    """

    def __init__(
        self, vocab_size: int, num_classes: int, d_embed: int = 32, d_hidden: int = 32,
        d_attn: int = 32,
    ):  # fmt: skip
        super().__init__(vocab_size, num_classes, d_embed, d_hidden, d_attn)
        self.rnn = nn.GRU(d_embed, d_hidden, batch_first=True, bidirectional=True)
        self.attention = AttentionPooling(2 * d_hidden, d_attn)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, DocumentAttention]:
        B, S, W = check_documents(tokens, self.vocab_size)
        word_mask = tokens != PAD_ID  # (B, S, W)
        # 1) the real words of each document side by side: word k of document b at (b, k)
        lengths = word_mask.sum(dim=(1, 2))  # (B,)
        L = int(lengths.max())
        flat_mask = torch.arange(L, device=tokens.device) < lengths.unsqueeze(1)  # (B, L)
        flat = tokens.new_full((B, L), PAD_ID).masked_scatter(flat_mask, tokens[word_mask])
        # 2) encode and pool
        h = _bigru(self.rnn, self.embedding(flat), lengths)  # (B, L, 2H)
        document, weights = self.attention(h, flat_mask)  # (B, 2H), (B, L)
        # 3) the weights back in the (B, S, W) layout, and their sums per sentence
        word_weights = weights.new_zeros(B, S, W).masked_scatter(word_mask, weights[flat_mask])
        return self.classifier(document), DocumentAttention(word_weights, word_weights.sum(-1))


class KeyAttention(NamedTuple):
    """Where the attention peaks, against chance (see :func:`key_attention`)."""

    sentence: float  # share of documents whose sentence attention peaks on the key sentence
    sentence_chance: float  # the share a uniform pick among the real sentences would hit
    word: float  # share whose word attention, within the key sentence, peaks on the deciding word
    word_chance: float  # the share a uniform pick among that sentence's words would hit


def key_attention(attention: DocumentAttention, documents: Documents) -> KeyAttention:
    """Score attention against the truth: peaks on the key sentence and on the deciding word.

    The sentence score is :func:`~gattut.attention.peaks.peak_share` of the
    sentence weights with the key sentences as targets; the word score that of
    the word weights *within each key sentence* with the deciding words'
    positions as targets. Each comes with its chance level
    (:func:`~gattut.attention.peaks.chance_share`).

    Shapes:
        attention: word ``(N, S, W)``, sentence ``(N, S)``; documents of ``N``.
    """
    if not isinstance(attention, tuple) or len(attention) != 2:
        raise ValueError(
            "attention must be a DocumentAttention (word, sentence), as the models return"
        )
    word, sentence = attention
    N, S, W = documents.tokens.shape
    if tuple(word.shape) != (N, S, W) or tuple(sentence.shape) != (N, S):
        raise ValueError(
            f"attention of shapes word {tuple(word.shape)}, sentence {tuple(sentence.shape)} does "
            f"not match documents of shape {tuple(documents.tokens.shape)}"
        )
    rows = torch.arange(N)
    key = documents.key_sentence  # (N,)
    key_words = word[rows, key]  # (N, W): the word weights of each key sentence
    key_mask = documents.word_mask[rows, key]  # (N, W)
    return KeyAttention(
        sentence=peak_share(sentence, key, documents.sentence_mask),
        sentence_chance=chance_share(documents.sentence_mask),
        word=peak_share(key_words, documents.key_word, key_mask),
        word_chance=chance_share(key_mask),
    )


def fit(
    model: nn.Module, documents: Documents, *, epochs: int = 5, batch_size: int = 64,
    lr: float = 3e-3, seed: int = 0,
) -> list[float]:  # fmt: skip
    """Train ``model`` on ``documents`` with Adam and cross-entropy; return the mean loss per epoch.

    The batches are shuffled by a generator seeded with ``seed``; the model's
    initial weights are the caller's (seed before building it).
    """
    check_size(epochs, "epochs")
    check_size(batch_size, "batch_size")
    if not isinstance(documents, Documents):
        raise ValueError(f"documents must be a Documents batch, got {type(documents).__name__}")
    check_documents(documents.tokens, getattr(model, "vocab_size", None))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    N = len(documents)
    losses = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for batch in torch.randperm(N, generator=generator).split(batch_size):
            logits, _ = model(_trim(documents.tokens[batch]))  # (b, C)
            loss = F.cross_entropy(logits, documents.labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / N)
    model.eval()
    return losses


@torch.no_grad()
def predict(
    model: nn.Module, documents: Documents, batch_size: int = 256
) -> tuple[torch.Tensor, DocumentAttention]:
    """The predicted class of every document and the model's attention, in ``documents``' layout.

    Shapes:
        returns predictions ``(N,)`` long and attention word ``(N, S, W)``, sentence ``(N, S)``.
    """
    if not isinstance(documents, Documents):
        raise ValueError(f"documents must be a Documents batch, got {type(documents).__name__}")
    check_size(batch_size, "batch_size")
    was_training = model.training
    model.eval()
    N, S, W = documents.tokens.shape
    predictions = torch.empty(N, dtype=torch.long)
    word, sentence = torch.zeros(N, S, W), torch.zeros(N, S)
    for batch in torch.arange(N).split(batch_size):
        tokens = _trim(documents.tokens[batch])
        logits, attention = model(tokens)
        s, w = tokens.shape[1:]
        predictions[batch] = logits.argmax(dim=-1)
        word[batch, :s, :w] = attention.word.float()
        sentence[batch, :s] = attention.sentence.float()
    model.train(was_training)
    return predictions, DocumentAttention(word, sentence)


def _trim(tokens: torch.Tensor) -> torch.Tensor:
    """Drop the sentences and word slots that are padding in every document of the batch."""
    mask = tokens != PAD_ID  # (B, S, W)
    S = int(mask.any(dim=(0, 2)).sum())
    W = int(mask.any(dim=(0, 1)).sum())
    return tokens[:, : max(S, 1), : max(W, 1)]
