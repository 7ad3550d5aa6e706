r"""Scoring functions: how well does a query match each key?

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
``scores (B, T, S)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gattut.attention._checks import (
    check_nonempty,
    check_same_batch,
    check_same_dtype,
    check_size,
    check_tensor,
    check_width,
)

__all__ = ["dot_score", "scaled_dot_score", "cosine_score", "GeneralScore", "AdditiveScore"]


def _check_query_key(query: torch.Tensor, key: torch.Tensor, same_width: bool) -> None:
    check_tensor(query, "query", (3,), "(B, T, Dq)")
    check_tensor(key, "key", (3,), "(B, S, Dk)")
    check_same_dtype(query=query, key=key)
    check_same_batch(query=query, key=key)
    check_nonempty(query, "query", 1, "length T")
    check_nonempty(key, "key", 1, "length S")
    if same_width and query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"this score needs query and key of the same width, got query {tuple(query.shape)} "
            f"and key {tuple(key.shape)}"
        )


def dot_score(query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
    r"""Dot-product score :math:`e_{ts} = q_t^\top k_s`.

    Shapes:
        query: ``(B, T, D)``, key: ``(B, S, D)`` -> scores ``(B, T, S)``.
    """
    _check_query_key(query, key, same_width=True)
    return query @ key.transpose(-2, -1)  # (B, T, S)


def scaled_dot_score(query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
    r"""Scaled dot-product score :math:`e_{ts} = q_t^\top k_s / \sqrt{D}`.

    Dividing by :math:`\sqrt{D}` keeps the variance of the score near one when
    the entries of ``q`` and ``k`` have unit variance, so the softmax does not
    saturate as the width grows.

    Shapes:
        query: ``(B, T, D)``, key: ``(B, S, D)`` -> scores ``(B, T, S)``.
    """
    _check_query_key(query, key, same_width=True)
    return query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])  # (B, T, S)


def cosine_score(query: torch.Tensor, key: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    r"""Cosine similarity :math:`e_{ts} = q_t^\top k_s / \max(\lVert q_t\rVert \lVert k_s\rVert, \epsilon)`.

    Shapes:
        query: ``(B, T, D)``, key: ``(B, S, D)`` -> scores ``(B, T, S)`` in ``[-1, 1]``.
    """
    _check_query_key(query, key, same_width=True)
    q_norm = query.norm(dim=-1, keepdim=True)  # (B, T, 1)
    k_norm = key.norm(dim=-1, keepdim=True)  # (B, S, 1)
    norms = q_norm @ k_norm.transpose(-2, -1)  # (B, T, S)
    return (query @ key.transpose(-2, -1)) / norms.clamp_min(eps)  # (B, T, S)


class GeneralScore(nn.Module):
    r"""Bilinear ("general") score of Luong et al. (2015): :math:`e_{ts} = q_t^\top W k_s`.

    ``W`` is stored as ``key_proj``, a bias-free ``Linear(d_key, d_query)``, so
    the score is ``query @ key_proj(key)^T``: the keys are projected into the
    query space once, then compared by dot product. (TensorFlow Addons'
    ``LuongAttention`` calls this layer ``memory_layer``.)

    Shapes:
        query: ``(B, T, Dq)``, key: ``(B, S, Dk)`` -> scores ``(B, T, S)``.
    """

    def __init__(self, d_query: int, d_key: int):
        super().__init__()
        self.d_query, self.d_key = check_size(d_query, "d_query"), check_size(d_key, "d_key")
        self.key_proj = nn.Linear(d_key, d_query, bias=False)

    def forward(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        _check_query_key(query, key, same_width=False)
        check_width(query, "query", self.d_query)
        check_width(key, "key", self.d_key)
        keys = self.key_proj(key)  # (B, S, Dq)
        return query @ keys.transpose(-2, -1)  # (B, T, S)


class AdditiveScore(nn.Module):
    r"""Additive ("concat") score of Bahdanau et al. (2015).

    .. math::

        e_{ts} = v^\top \tanh(W_1 q_t + W_2 k_s)

    With ``normalize=True`` the vector ``v`` is weight-normalised (Salimans
    and Kingma, 2016) with a learned scalar ``g`` and a learned bias ``b``,
    exactly as TensorFlow Addons' ``BahdanauAttention(normalize=True)``:

    .. math::

        e_{ts} = \sum_a g \frac{v_a}{\lVert v\rVert} \tanh(W_1 q_t + W_2 k_s + b)_a,
        \qquad g_0 = \sqrt{1 / d_{attn}},\ b_0 = 0.

    Parameters: ``query_proj`` (``W_1``, bias-free ``Linear(d_query, d_attn)``),
    ``key_proj`` (``W_2``, bias-free ``Linear(d_key, d_attn)``), ``v``
    ``(d_attn,)``, and with ``normalize=True`` also ``g`` ``()`` and ``b``
    ``(d_attn,)``.

    Shapes:
        query: ``(B, T, Dq)``, key: ``(B, S, Dk)`` -> scores ``(B, T, S)``.
    """

    def __init__(self, d_query: int, d_key: int, d_attn: int, normalize: bool = False):
        super().__init__()
        self.d_query, self.d_key = check_size(d_query, "d_query"), check_size(d_key, "d_key")
        self.d_attn = check_size(d_attn, "d_attn")
        self.normalize = normalize
        self.query_proj = nn.Linear(d_query, d_attn, bias=False)
        self.key_proj = nn.Linear(d_key, d_attn, bias=False)
        # Glorot-uniform for a vector (fan_in = fan_out = d_attn), as Keras and TFA do.
        limit = math.sqrt(3.0 / d_attn)
        self.v = nn.Parameter(torch.empty(d_attn).uniform_(-limit, limit))
        if normalize:
            self.g = nn.Parameter(torch.tensor(math.sqrt(1.0 / d_attn)))
            self.b = nn.Parameter(torch.zeros(d_attn))
        else:
            self.register_parameter("g", None)
            self.register_parameter("b", None)

    def forward(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        _check_query_key(query, key, same_width=False)
        check_width(query, "query", self.d_query)
        check_width(key, "key", self.d_key)
        q = self.query_proj(query).unsqueeze(2)  # (B, T, 1, A)
        k = self.key_proj(key).unsqueeze(1)  # (B, 1, S, A)
        if self.normalize:
            v = self.g * self.v / self.v.norm()  # (A,)
            hidden = torch.tanh(q + k + self.b)  # (B, T, S, A)
        else:
            v = self.v  # (A,)
            hidden = torch.tanh(q + k)  # (B, T, S, A)
        return hidden @ v  # (B, T, S)
