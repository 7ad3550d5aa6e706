r"""Scaled dot-product attention (Vaswani et al., 2017).

.. math::

    \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V

The :math:`\sqrt{d_k}` keeps the scores' variance near one: if the entries of
``q`` and ``k`` are independent with unit variance, ``q . k`` is a sum of
``d_k`` such products and has variance ``d_k``; without the scale the softmax
saturates and its gradient vanishes as the heads grow wider.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gattut.attention._checks import (
    check_mask,
    check_nonempty,
    check_rate,
    check_same_dtype,
    check_tensor,
)
from gattut.attention.masks import masked_softmax

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
    dropout: float = 0.0,
    training: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
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
        training: apply dropout only if ``True``.

    The returned ``weights`` are the softmax *before* dropout (the attention
    distribution); the output uses the dropped-out weights.

    Shapes:
        query ``(..., T, Dh)``, key ``(..., S, Dh)``, value ``(..., S, Dv)``
        -> output ``(..., T, Dv)``, weights ``(..., T, S)``.
    """
    check_tensor(query, "query", range(2, 9), "(..., T, Dh)")
    check_tensor(key, "key", range(2, 9), "(..., S, Dh)")
    check_tensor(value, "value", range(2, 9), "(..., S, Dv)")
    check_same_dtype(query=query, key=key, value=value)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key must have the same width Dh, got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )
    if key.shape[:-1] != value.shape[:-1]:
        raise ValueError(
            f"key (..., S, Dh) and value (..., S, Dv) must agree on (..., S), got key "
            f"{tuple(key.shape)} and value {tuple(value.shape)}"
        )
    if query.shape[:-2] != key.shape[:-2]:
        raise ValueError(
            f"query and key must share their batch dimensions, got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )
    check_nonempty(query, "query", -2, "length T")
    check_nonempty(key, "key", -2, "length S")
    check_rate(dropout)
    T, S = query.shape[-2], key.shape[-2]
    if mask is not None:
        check_mask(mask, (*query.shape[:-2], T, S), "mask", "(..., T, S)")

    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])  # (..., T, S)
    weights = masked_softmax(scores, mask)  # (..., T, S)
    dropped = F.dropout(weights, p=dropout, training=training) if dropout > 0 else weights
    output = dropped @ value  # (..., T, Dv)
    return output, weights
