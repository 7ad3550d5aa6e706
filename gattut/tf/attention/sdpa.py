r"""Scaled dot-product attention (Vaswani et al., 2017); Keras 3 twin of ``gattut.attention.sdpa``.

.. math::

    \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V

The :math:`\sqrt{d_k}` keeps the scores' variance near one: if the entries of
``q`` and ``k`` are independent with unit variance, ``q . k`` is a sum of
``d_k`` such products and has variance ``d_k``; without the scale the softmax
saturates and its gradient vanishes as the heads grow wider.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from gattut.tf.attention._checks import check_mask, check_nonempty, check_tensor
from gattut.tf.attention.masks import masked_softmax

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(
    query, key, value, mask=None, dropout: float = 0.0, training: bool = True, seed=None
) -> tuple[tf.Tensor, tf.Tensor]:
    r"""Readable scaled dot-product attention that returns its weights.

    .. math::

        \text{weights} = \mathrm{masked\_softmax}\!\left(\frac{q k^\top}{\sqrt{D_h}}, \text{mask}\right),
        \qquad \text{output} = \mathrm{dropout}(\text{weights})\, v

    Args:
        query, key, value: any number of leading batch dimensions ``...``
            (e.g. ``(B, H)``) shared by all three.
        mask: optional bool, ``True`` = may attend, broadcastable to
            ``(..., T, S)``. Fully masked rows give zero weights and output.
        dropout: probability of dropping a weight (only when ``training``).
        training: apply dropout only if ``True`` (the default, as in the
            PyTorch function; Keras layers pass their own ``training`` flag).
        seed: optional seed or ``keras.random.SeedGenerator`` for the dropout
            (Keras-only; PyTorch draws from its global generator).

    The returned ``weights`` are the softmax *before* dropout (the attention
    distribution); the output uses the dropped-out weights.

    Shapes:
        query ``(..., T, Dh)``, key ``(..., S, Dh)``, value ``(..., S, Dv)``
        -> output ``(..., T, Dv)``, weights ``(..., T, S)``.
    """
    query = check_tensor(query, "query", range(2, 9), "(..., T, Dh)")
    key = check_tensor(key, "key", range(2, 9), "(..., S, Dh)")
    value = check_tensor(value, "value", range(2, 9), "(..., S, Dv)")
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
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
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
