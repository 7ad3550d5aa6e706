"""Scoring functions: the Keras 3 twin of :mod:`gattut.attention.scoring`.

The five scores (dot, scaled dot, cosine, general, additive), their equations
and shapes are documented in the PyTorch module. The layers keep the PyTorch
attribute names (``key_proj``, ``query_proj``, ``v``, ``g``, ``b``); a Keras
``Dense`` kernel is the transpose of a PyTorch ``Linear`` weight.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from gattut.attention._checks import check_same_dtype, check_size
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
    check_same_dtype(query=query, key=key)
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
    """Dot-product score: see :func:`gattut.attention.dot_score`."""
    query, key = _check_query_key(query, key, same_width=True)
    return query @ ops.swapaxes(key, -2, -1)  # (B, T, S)


def scaled_dot_score(query, key) -> tf.Tensor:
    """Scaled dot-product score: see :func:`gattut.attention.scaled_dot_score`."""
    query, key = _check_query_key(query, key, same_width=True)
    return query @ ops.swapaxes(key, -2, -1) / math.sqrt(query.shape[-1])  # (B, T, S)


def cosine_score(query, key, eps: float = 1e-8) -> tf.Tensor:
    """Cosine-similarity score: see :func:`gattut.attention.cosine_score`."""
    query, key = _check_query_key(query, key, same_width=True)
    q_norm = ops.norm(query, axis=-1, keepdims=True)  # (B, T, 1)
    k_norm = ops.norm(key, axis=-1, keepdims=True)  # (B, S, 1)
    norms = q_norm @ ops.swapaxes(k_norm, -2, -1)  # (B, T, S)
    return (query @ ops.swapaxes(key, -2, -1)) / ops.maximum(norms, eps)  # (B, T, S)


@keras.saving.register_keras_serializable(package="gattut")
class GeneralScore(keras.layers.Layer):
    """Luong's bilinear score: see :class:`gattut.attention.GeneralScore`.

    ``key_proj`` is a bias-free ``Dense(d_key -> d_query)``.
    """

    def __init__(self, d_query: int, d_key: int, **kwargs):
        super().__init__(**kwargs)
        self.d_query, self.d_key = check_size(d_query, "d_query"), check_size(d_key, "d_key")
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
    """Bahdanau's additive score (optionally weight-normalised): see :class:`gattut.attention.AdditiveScore`.

    ``query_proj`` and ``key_proj`` are bias-free ``Dense`` layers; ``v``, ``g``
    and ``b`` are weights of the same shapes as the PyTorch parameters.
    """

    def __init__(self, d_query: int, d_key: int, d_attn: int, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.d_query, self.d_key = check_size(d_query, "d_query"), check_size(d_key, "d_key")
        self.d_attn = check_size(d_attn, "d_attn")
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
