r"""Scoring functions: how well does a query match each key? (Keras 3 twin of ``gattut.attention.scoring``.)

A score function maps a query :math:`q_t` and a key :math:`k_s` to a real
number :math:`e_{ts}`; the softmax over :math:`s` (``masked_softmax``) then
turns the scores into weights. The five classics:

==========================  ==================================================
``dot_score``               :math:`q^\top k` (Luong "dot")
``scaled_dot_score``        :math:`q^\top k / \sqrt{d}` (Vaswani et al.)
``cosine_score``            :math:`q^\top k / (\lVert q\rVert \lVert k\rVert)`
``GeneralScore``            :math:`q^\top W k` (Luong "general", bilinear)
``AdditiveScore``           :math:`v^\top \tanh(W_1 q + W_2 k)` (Bahdanau, "concat")
==========================  ==================================================

All take ``query (B, T, Dq)`` and ``key (B, S, Dk)`` and return
``scores (B, T, S)``. The layers keep the PyTorch attribute names
(``key_proj``, ``query_proj``, ``v``, ``g``, ``b``); a Keras ``Dense`` kernel
is the transpose of a PyTorch ``Linear`` weight.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from gattut.tf.attention._checks import (
    check_nonempty,
    check_same_batch,
    check_tensor,
    check_width,
)

__all__ = ["dot_score", "scaled_dot_score", "cosine_score", "GeneralScore", "AdditiveScore"]


def _check_query_key(query, key, same_width: bool):
    query = check_tensor(query, "query", (3,), "(B, T, Dq)")
    key = check_tensor(key, "key", (3,), "(B, S, Dk)")
    check_same_batch(query=query, key=key)
    check_nonempty(query, "query", 1, "length T")
    check_nonempty(key, "key", 1, "length S")
    if same_width and query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"this score needs query and key of the same width, got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )
    return query, key


def dense(units: int, d_in: int, use_bias: bool, name: str, dtype=None) -> keras.layers.Dense:
    """A built ``Dense(d_in -> units)``: weights exist at once, so they can be copied in.

    ``dtype`` is the parent layer's dtype policy, so that ``dtype="float64"`` on
    the parent reaches its projections too.
    """
    layer = keras.layers.Dense(units, use_bias=use_bias, name=name, dtype=dtype)
    layer.build((None, d_in))
    return layer


def dot_score(query, key) -> tf.Tensor:
    r"""Dot-product score :math:`e_{ts} = q_t^\top k_s`.

    Shapes:
        query: ``(B, T, D)``, key: ``(B, S, D)`` -> scores ``(B, T, S)``.
    """
    query, key = _check_query_key(query, key, same_width=True)
    return query @ ops.swapaxes(key, -2, -1)  # (B, T, S)


def scaled_dot_score(query, key) -> tf.Tensor:
    r"""Scaled dot-product score :math:`e_{ts} = q_t^\top k_s / \sqrt{D}`.

    Dividing by :math:`\sqrt{D}` keeps the variance of the score near one when
    the entries of ``q`` and ``k`` have unit variance, so the softmax does not
    saturate as the width grows.

    Shapes:
        query: ``(B, T, D)``, key: ``(B, S, D)`` -> scores ``(B, T, S)``.
    """
    query, key = _check_query_key(query, key, same_width=True)
    return query @ ops.swapaxes(key, -2, -1) / math.sqrt(query.shape[-1])  # (B, T, S)


def cosine_score(query, key, eps: float = 1e-8) -> tf.Tensor:
    r"""Cosine similarity :math:`e_{ts} = q_t^\top k_s / \max(\lVert q_t\rVert \lVert k_s\rVert, \epsilon)`.

    Shapes:
        query: ``(B, T, D)``, key: ``(B, S, D)`` -> scores ``(B, T, S)`` in ``[-1, 1]``.
    """
    query, key = _check_query_key(query, key, same_width=True)
    q_norm = ops.norm(query, axis=-1, keepdims=True)  # (B, T, 1)
    k_norm = ops.norm(key, axis=-1, keepdims=True)  # (B, S, 1)
    norms = q_norm @ ops.swapaxes(k_norm, -2, -1)  # (B, T, S)
    return (query @ ops.swapaxes(key, -2, -1)) / ops.maximum(norms, eps)  # (B, T, S)


@keras.saving.register_keras_serializable(package="gattut")
class GeneralScore(keras.layers.Layer):
    r"""Bilinear ("general") score of Luong et al. (2015): :math:`e_{ts} = q_t^\top W k_s`.

    ``W`` is stored as ``key_proj``, a bias-free ``Dense(d_key -> d_query)``,
    so the score is ``query @ key_proj(key)^T``: the keys are projected into
    the query space once, then compared by dot product.

    Shapes:
        query: ``(B, T, Dq)``, key: ``(B, S, Dk)`` -> scores ``(B, T, S)``.
    """

    def __init__(self, d_query: int, d_key: int, **kwargs):
        super().__init__(**kwargs)
        self.d_query, self.d_key = d_query, d_key
        self.key_proj = dense(
            d_query, d_key, use_bias=False, name="key_proj", dtype=self.dtype_policy
        )
        self.built = True

    def call(self, query, key):
        query, key = _check_query_key(query, key, same_width=False)
        check_width(query, "query", self.d_query)
        check_width(key, "key", self.d_key)
        keys = self.key_proj(key)  # (B, S, Dq)
        return query @ ops.swapaxes(keys, -2, -1)  # (B, T, S)

    def get_config(self):
        return {**super().get_config(), "d_query": self.d_query, "d_key": self.d_key}


@keras.saving.register_keras_serializable(package="gattut")
class AdditiveScore(keras.layers.Layer):
    r"""Additive ("concat") score of Bahdanau et al. (2015).

    .. math::

        e_{ts} = v^\top \tanh(W_1 q_t + W_2 k_s)

    With ``normalize=True`` the vector ``v`` is weight-normalised (Salimans
    and Kingma, 2016) with a learned scalar ``g`` and a learned bias ``b``,
    exactly as TensorFlow Addons' ``BahdanauAttention(normalize=True)``:

    .. math::

        e_{ts} = \sum_a g \frac{v_a}{\lVert v\rVert} \tanh(W_1 q_t + W_2 k_s + b)_a,
        \qquad g_0 = \sqrt{1 / d_{attn}},\ b_0 = 0.

    Weights: ``query_proj`` (``W_1``, bias-free ``Dense(d_query -> d_attn)``),
    ``key_proj`` (``W_2``, bias-free ``Dense(d_key -> d_attn)``), ``v``
    ``(d_attn,)``, and with ``normalize=True`` also ``g`` ``()`` and ``b``
    ``(d_attn,)``.

    Shapes:
        query: ``(B, T, Dq)``, key: ``(B, S, Dk)`` -> scores ``(B, T, S)``.
    """

    def __init__(self, d_query: int, d_key: int, d_attn: int, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.d_query, self.d_key, self.d_attn = d_query, d_key, d_attn
        self.normalize = normalize
        self.query_proj = dense(
            d_attn, d_query, use_bias=False, name="query_proj", dtype=self.dtype_policy
        )
        self.key_proj = dense(
            d_attn, d_key, use_bias=False, name="key_proj", dtype=self.dtype_policy
        )
        # Glorot-uniform for a vector (fan_in = fan_out = d_attn), as Keras and TFA do.
        self.v = self.add_weight(name="v", shape=(d_attn,), initializer="glorot_uniform")
        if normalize:
            self.g = self.add_weight(
                name="g", shape=(), initializer=keras.initializers.Constant(math.sqrt(1.0 / d_attn))
            )
            self.b = self.add_weight(name="b", shape=(d_attn,), initializer="zeros")
        else:
            self.g = self.b = None
        self.built = True

    def call(self, query, key):
        query, key = _check_query_key(query, key, same_width=False)
        check_width(query, "query", self.d_query)
        check_width(key, "key", self.d_key)
        q = self.query_proj(query)[:, :, None, :]  # (B, T, 1, A)
        k = self.key_proj(key)[:, None, :, :]  # (B, 1, S, A)
        if self.normalize:
            v = self.g * self.v / ops.norm(self.v)  # (A,)
            hidden = ops.tanh(q + k + self.b)  # (B, T, S, A)
        else:
            v = self.v  # (A,)
            hidden = ops.tanh(q + k)  # (B, T, S, A)
        return ops.sum(hidden * v, axis=-1)  # (B, T, S)

    def get_config(self):
        return {
            **super().get_config(),
            "d_query": self.d_query,
            "d_key": self.d_key,
            "d_attn": self.d_attn,
            "normalize": self.normalize,
        }
