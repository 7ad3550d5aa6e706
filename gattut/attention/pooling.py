r"""Attention pooling: many vectors into one, weighted by a learned query (Yang et al. 2016).

A hierarchical attention network summarises a sentence (a run of word
vectors :math:`h_t`) and a document (a run of sentence vectors) the same way:
each vector goes through a one-layer network, is compared with a learned
*context vector* :math:`u_w`, and the softmax of those scores weighs the sum:

.. math::

    u_t = \tanh(W h_t + b), \qquad
    \alpha_t = \frac{\exp(u_t^\top u_w)}{\sum_{t'} \exp(u_{t'}^\top u_w)}, \qquad
    s = \sum_t \alpha_t h_t .

This is additive (Bahdanau) attention with one query that does not depend on
the input: :class:`~gattut.attention.BahdanauAttention` scores
:math:`v^\top \tanh(W_1 q + W_2 k_t)`; with ``v = u_w``, ``W_2 = W`` and a
one-dimensional query ``q = 1`` whose projection ``W_1`` is the bias column
``b``, the two give the same weights and the same sum (tested). The context
vector :math:`u_w` plays the role of a question asked of every input ("which
word tells me the most?"), learned with the rest of the network.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gattut.attention._checks import (
    check_mask,
    check_nonempty,
    check_same_dtype,
    check_size,
    check_tensor,
    check_width,
)
from gattut.attention.masks import masked_softmax

__all__ = ["AttentionPooling"]


class AttentionPooling(nn.Module):
    r"""Pool ``T`` vectors into one with attention against a learned context vector.

    .. math::

        u_t = \tanh(W h_t + b), \quad
        \alpha = \mathrm{masked\_softmax}(u^\top u_w), \quad
        s = \sum_t \alpha_t h_t

    Parameters: ``proj`` (``W`` and ``b``, a ``Linear(d_model, d_attn)``) and
    ``context`` (:math:`u_w`, shape ``(d_attn,)``).

    Args:
        d_model: width ``D`` of the vectors to pool.
        d_attn: width ``A`` of the hidden layer :math:`u_t` (Yang et al.: 100).

    ``forward(h, mask=None) -> (pooled, weights)``; ``mask`` is a bool
    ``(B, T)`` with ``True`` = may attend (a real position). A row with no
    ``True`` gets zero weights and a zero vector, never NaN.

    Shapes:
        h ``(B, T, D)``, mask ``(B, T)`` -> pooled ``(B, D)``, weights ``(B, T)``.
    """

    def __init__(self, d_model: int, d_attn: int):
        super().__init__()
        self.d_model = check_size(d_model, "d_model")
        self.d_attn = check_size(d_attn, "d_attn")
        self.proj = nn.Linear(d_model, d_attn)  # W, b
        # Glorot-uniform for a vector (fan_in = fan_out = d_attn), as AdditiveScore's v.
        limit = math.sqrt(3.0 / d_attn)
        self.context = nn.Parameter(torch.empty(d_attn).uniform_(-limit, limit))  # u_w

    def forward(
        self, h: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_tensor(h, "h", (3,), "(B, T, D)")
        check_nonempty(h, "h", 1, "length T")
        check_width(h, "h", self.d_model)
        check_same_dtype(h=h, context=self.context)
        if mask is not None:
            check_mask(mask, tuple(h.shape[:2]), "mask", "(B, T)")
        # 1) a hidden representation of every input: u_t = tanh(W h_t + b)
        u = torch.tanh(self.proj(h))  # (B, T, A)
        # 2) how well it matches the context vector, normalised over t
        scores = u @ self.context  # (B, T)
        weights = masked_softmax(scores, mask)  # (B, T)
        # 3) the weighted sum
        pooled = (weights.unsqueeze(1) @ h).squeeze(1)  # (B, 1, T) @ (B, T, D) -> (B, D)
        return pooled, weights
