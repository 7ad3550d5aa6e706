r"""Additive attention (Bahdanau, Cho and Bengio, 2015).

The decoder state :math:`z` (the query) is matched against every encoder
output :math:`h_s` (the keys) with a small feed-forward network, the scores
are normalised with a softmax over the source positions, and the context is
the weighted sum of the values (the encoder outputs again, by default):

.. math::

    e_{ts} = v^\top \tanh(W_1 z_t + W_2 h_s), \qquad
    \alpha_{ts} = \frac{\exp e_{ts}}{\sum_{s'} \exp e_{ts'}}, \qquad
    c_t = \sum_s \alpha_{ts} h_s.
"""

from __future__ import annotations

import torch
from torch import nn

from gattut.attention._checks import prepare_seq_inputs
from gattut.attention.masks import masked_softmax
from gattut.attention.scoring import AdditiveScore

__all__ = ["BahdanauAttention"]


class BahdanauAttention(nn.Module):
    r"""Bahdanau (additive) attention, one decoder step or a whole sequence.

    .. math::

        e_{ts} = v^\top \tanh(W_1 q_t + W_2 k_s), \quad
        \alpha_t = \mathrm{masked\_softmax}(e_t), \quad
        c_t = \sum_s \alpha_{ts} \, \mathrm{value}_s

    ``normalize=True`` weight-normalises ``v`` with a learned scale and bias,
    as TensorFlow Addons' ``BahdanauAttention(normalize=True)`` (see
    :class:`~gattut.attention.scoring.AdditiveScore`). The parameters live in
    ``self.score`` (an ``AdditiveScore``).

    Args:
        d_query: width ``Dq`` of the query (the decoder state).
        d_key: width ``Dk`` of the keys (the encoder outputs).
        d_attn: width ``A`` of the hidden layer of the score network.
        normalize: weight-normalise ``v`` (learned ``g`` and ``b``).

    ``forward(query, key, value=None, mask=None) -> (context, weights)``:
    ``value`` defaults to ``key``; ``mask`` is bool with ``True`` = may attend,
    either a key padding mask ``(B, S)`` (a 2-D mask is always read this way)
    or a mask broadcastable to ``(B, T, S)``.

    Shapes:
        query ``(B, Dq)`` -> context ``(B, Dv)``, weights ``(B, S)``;
        query ``(B, T, Dq)`` -> context ``(B, T, Dv)``, weights ``(B, T, S)``;
        key ``(B, S, Dk)``, value ``(B, S, Dv)``.
    """

    def __init__(self, d_query: int, d_key: int, d_attn: int, normalize: bool = False):
        super().__init__()
        self.score = AdditiveScore(d_query, d_key, d_attn, normalize=normalize)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        widths = (self.score.d_query, self.score.d_key)
        query, value, mask, one_step = prepare_seq_inputs(query, key, value, mask, widths)
        scores = self.score(query, key)  # (B, T, S)
        weights = masked_softmax(scores, mask)  # (B, T, S)
        context = weights @ value  # (B, T, Dv)
        if one_step:
            return context.squeeze(1), weights.squeeze(1)  # (B, Dv), (B, S)
        return context, weights
