r"""Scaled dot-product attention: the Keras 3 twin of :mod:`gattut.attention.sdpa`.

The equation and why the scores are divided by :math:`\sqrt{d_k}` are in the
PyTorch module.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from gattut.attention._checks import check_rate, check_same_dtype
from gattut.tf.attention._checks import check_mask, check_nonempty, check_tensor
from gattut.tf.attention.masks import masked_softmax

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(
    query, key, value, mask=None, dropout: float = 0.0, training: bool = True, seed=None
) -> tuple[tf.Tensor, tf.Tensor]:
    """Readable SDPA that returns its weights: see :func:`gattut.attention.scaled_dot_product_attention`.

    Same arguments, shapes and return values (the weights are before dropout).
    Keras only: ``seed``, an optional seed or ``keras.random.SeedGenerator`` for
    the dropout (PyTorch draws from its global generator); ``training`` defaults to
    ``True`` as in the PyTorch function, and Keras layers pass their own flag.
    """
    query = check_tensor(query, "query", range(2, 9), "(..., T, Dh)")
    key = check_tensor(key, "key", range(2, 9), "(..., S, Dh)")
    value = check_tensor(value, "value", range(2, 9), "(..., S, Dv)")
    check_same_dtype(query=query, key=key, value=value)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key must have the same width Dh, got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )
    if tuple(key.shape[:-1]) != tuple(value.shape[:-1]):
        raise ValueError(
            f"key (..., S, Dh) and value (..., S, Dv) must agree on (..., S), got key "
            f"{tuple(key.shape)} and value {tuple(value.shape)}"
        )
    if tuple(query.shape[:-2]) != tuple(key.shape[:-2]):
        raise ValueError(
            f"query and key must share their batch dimensions, got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )
    check_nonempty(query, "query", -2, "length T")
    check_nonempty(key, "key", -2, "length S")
    check_rate(dropout)
    T, S = query.shape[-2], key.shape[-2]
    if mask is not None:
        mask = check_mask(mask, (*query.shape[:-2], T, S), "mask", "(..., T, S)")

    scores = query @ ops.swapaxes(key, -2, -1) / math.sqrt(query.shape[-1])  # (..., T, S)
    weights = masked_softmax(scores, mask)  # (..., T, S)
    if training and dropout > 0:
        dropped = keras.random.dropout(weights, dropout, seed=seed)  # (..., T, S)
    else:
        dropped = weights
    output = dropped @ value  # (..., T, Dv)
    return output, weights
