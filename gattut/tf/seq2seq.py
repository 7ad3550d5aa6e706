r"""A Bahdanau seq2seq model in Keras 3: the TensorFlow twin of chapter 4's PyTorch model.

Same architecture as ``gattut.seq2seq`` with ``attention="bahdanau"``:

* encoder: embedding + bidirectional GRU, ``h_j = [h_j^fwd ; h_j^bwd]``;
  the first decoder state is ``s_0 = tanh(W_init [h_S^fwd ; h_1^bwd])``;
* decoder step: ``c_t, alpha_t = BahdanauAttention(s_{t-1}, h)``,
  ``s_t = GRUCell([E y_{t-1} ; c_t], s_{t-1})``,
  ``logits_t = W_o [s_t ; c_t ; E y_{t-1}]``.

The attention layer is :class:`gattut.tf.attention.BahdanauAttention`. Padding
is id 0 (``<pad>``) in both vocabularies, as in :mod:`gattut.data.vocab`:
the encoder's GRUs skip it and attention gives it zero weight.

Training uses teacher forcing through ``model.fit((src, tgt_in), tgt_out)``;
:meth:`BahdanauSeq2Seq.greedy_decode` returns the output ids and the
attention weights for plotting.
"""

from __future__ import annotations

import numpy as np

from gattut.data.vocab import PAD_ID, SOS_ID
from gattut.tf import keras, tf
from gattut.tf.attention import BahdanauAttention

__all__ = ["BahdanauSeq2Seq", "corpus_arrays", "masked_loss"]


def corpus_arrays(corpus, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One split of a :class:`gattut.seq2seq.ParallelCorpus` as padded int32 arrays.

    Shapes:
        returns ``src (N, S)``, ``tgt_in (N, T)`` (``<sos> y_1 .. y_n``) and
        ``tgt_out (N, T)`` (``y_1 .. y_n <eos>``), padded with 0
    """
    encoded = [corpus.encode_pair(pair) for pair in corpus.pairs(split)]
    S = max(len(s) for s, _ in encoded)
    T = max(len(t) for _, t in encoded) - 1
    src = np.zeros((len(encoded), S), dtype=np.int32)
    tgt_in = np.zeros((len(encoded), T), dtype=np.int32)
    tgt_out = np.zeros((len(encoded), T), dtype=np.int32)
    for i, (s, t) in enumerate(encoded):
        src[i, : len(s)] = s
        tgt_in[i, : len(t) - 1] = t[:-1]
        tgt_out[i, : len(t) - 1] = t[1:]
    return src, tgt_in, tgt_out


def masked_loss(y_true, logits):
    """Mean cross-entropy over non-pad target tokens (the PyTorch ``sequence_loss``).

    Shapes:
        y_true ``(B, T)`` int, logits ``(B, T, V)`` -> scalar
    """
    losses = keras.losses.sparse_categorical_crossentropy(
        y_true, logits, from_logits=True
    )  # (B, T)
    real = tf.cast(tf.not_equal(y_true, PAD_ID), losses.dtype)  # (B, T)
    return tf.reduce_sum(losses * real) / tf.maximum(tf.reduce_sum(real), 1.0)


class BahdanauSeq2Seq(keras.Model):
    """Bidirectional-GRU encoder + GRU decoder with additive attention.

    ``call((src, tgt_in)) -> logits``; ``call_with_weights`` also returns the
    attention weights.

    Shapes:
        src ``(B, S)`` int, tgt_in ``(B, T)`` int -> logits ``(B, T, V)``,
        weights ``(B, T, S)``
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_embed: int = 32,
                 d_hidden: int = 64, d_attn: int | None = None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.src_vocab_size, self.tgt_vocab_size = src_vocab_size, tgt_vocab_size
        self.d_embed, self.d_hidden, self.d_attn = d_embed, d_hidden, d_attn or d_hidden
        self.src_embedding = keras.layers.Embedding(src_vocab_size, d_embed)
        self.encoder_rnn = keras.layers.Bidirectional(
            keras.layers.GRU(d_hidden, return_sequences=True, return_state=True)
        )
        self.bridge = keras.layers.Dense(d_hidden, activation="tanh")
        self.tgt_embedding = keras.layers.Embedding(tgt_vocab_size, d_embed)
        self.attention = BahdanauAttention(d_hidden, 2 * d_hidden, self.d_attn)
        self.cell = keras.layers.GRUCell(d_hidden)
        self.out = keras.layers.Dense(tgt_vocab_size)

    def encode(self, src):
        """Shapes: src ``(B, S)`` -> outputs ``(B, S, 2 d_hidden)``, s_0 ``(B, d_hidden)``, mask ``(B, S)``."""
        mask = tf.not_equal(src, PAD_ID)  # (B, S)
        x = self.src_embedding(src)  # (B, S, d_embed)
        # The mask makes each GRU direction skip <pad>, so the backward one starts at the last real token.
        outputs, h_fwd, h_bwd = self.encoder_rnn(x, mask=mask)  # (B, S, 2H), (B, H), (B, H)
        s0 = self.bridge(tf.concat([h_fwd, h_bwd], axis=-1))  # (B, H)
        return outputs, s0, mask

    def step(self, prev_tokens, s, outputs, mask, training=False):
        """One decoder step. Shapes: prev_tokens ``(B,)``, s ``(B, H)`` -> logits ``(B, V)``, s ``(B, H)``, weights ``(B, S)``."""
        x = self.tgt_embedding(prev_tokens)  # (B, d_embed)
        context, weights = self.attention(s, outputs, mask=mask)  # (B, 2H), (B, S)
        s, _ = self.cell(tf.concat([x, context], axis=-1), [s], training=training)  # (B, H)
        logits = self.out(tf.concat([s, context, x], axis=-1))  # (B, V)
        return logits, s, weights

    def call_with_weights(self, inputs, training=False):
        src, tgt_in = inputs
        outputs, s, mask = self.encode(src)
        all_logits, all_weights = [], []
        # Teacher forcing: the gold previous token goes in at every step.
        for t in range(tgt_in.shape[1]):
            logits, s, weights = self.step(tgt_in[:, t], s, outputs, mask, training=training)
            all_logits.append(logits)
            all_weights.append(weights)
        return tf.stack(all_logits, axis=1), tf.stack(all_weights, axis=1)  # (B, T, V), (B, T, S)

    def call(self, inputs, training=False):
        return self.call_with_weights(inputs, training=training)[0]

    def greedy_decode(self, src, max_len: int):
        """Most likely token at each step. Returns ids ``(B, max_len)`` (cut them at ``<eos>``) and weights ``(B, max_len, S)``."""
        src = tf.convert_to_tensor(src)
        outputs, s, mask = self.encode(src)
        tokens = tf.fill([tf.shape(src)[0]], SOS_ID)
        ids, rows = [], []
        for _ in range(max_len):
            logits, s, weights = self.step(tokens, s, outputs, mask)
            tokens = tf.argmax(logits, axis=-1, output_type=tf.int32)  # (B,)
            ids.append(tokens)
            rows.append(weights)
        return tf.stack(ids, axis=1).numpy(), tf.stack(rows, axis=1).numpy()

    def get_config(self):
        return {
            **super().get_config(),
            "src_vocab_size": self.src_vocab_size,
            "tgt_vocab_size": self.tgt_vocab_size,
            "d_embed": self.d_embed,
            "d_hidden": self.d_hidden,
            "d_attn": self.d_attn,
        }
