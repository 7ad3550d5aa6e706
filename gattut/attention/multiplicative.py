r"""Multiplicative attention (Luong, Pham and Manning, 2015), global and local-p.

Luong's global attention scores the *current* decoder state :math:`h_t`
against every encoder output :math:`\bar h_s` with one of three functions,

.. math::

    \mathrm{score}(h_t, \bar h_s) =
    \begin{cases}
      h_t^\top \bar h_s & \text{dot} \\
      h_t^\top W_a \bar h_s & \text{general} \\
      v_a^\top \tanh(W_a [h_t; \bar h_s]) & \text{concat}
    \end{cases}

then takes the softmax over :math:`s` and the weighted sum of the values.
Local-p attention first *predicts* an aligned source position :math:`p_t`
and only looks at a window around it, weighted by a Gaussian.
"""

from __future__ import annotations

import torch
from torch import nn

from gattut.attention._checks import check_size, prepare_seq_inputs
from gattut.attention.masks import masked_softmax
from gattut.attention.scoring import AdditiveScore, GeneralScore, dot_score

__all__ = ["LuongAttention", "LocalPAttention"]

_SCORES = ("dot", "general", "concat")


def check_score_args(d_query: int, d_key: int, score: str) -> None:
    """Validate a Luong score and the widths it compares (both frameworks)."""
    if score not in _SCORES:
        raise ValueError(f"score must be one of {_SCORES}, got {score!r}")
    check_size(d_query, "d_query")
    check_size(d_key, "d_key")
    if score == "dot" and d_query != d_key:
        raise ValueError(
            f"the 'dot' score needs d_query == d_key, got d_query={d_query}, d_key={d_key}; "
            "use score='general' to compare vectors of different widths"
        )


def _make_score(d_query: int, d_key: int, score: str) -> nn.Module | None:
    """Build the score module for ``score``; ``None`` stands for the parameter-free dot score."""
    check_score_args(d_query, d_key, score)
    if score == "dot":
        return None
    if score == "general":
        return GeneralScore(d_query, d_key)
    # "concat": v^T tanh(W [q; k]) = v^T tanh(W1 q + W2 k), with a hidden width of d_query.
    return AdditiveScore(d_query, d_key, d_query)


class LuongAttention(nn.Module):
    r"""Luong global attention with the dot, general or concat score.

    .. math::

        \alpha_t = \mathrm{masked\_softmax}(g \cdot \mathrm{score}(q_t, k_s)), \qquad
        c_t = \sum_s \alpha_{ts} \, \mathrm{value}_s

    ``scale=True`` adds a learned scalar ``g`` (initialised to 1) that
    multiplies the score, as TensorFlow Addons' ``LuongAttention(scale=True)``;
    otherwise :math:`g = 1` is fixed. ``score="general"`` with ``scale`` is
    exactly TFA's ``LuongAttention`` (its ``memory_layer`` is our
    ``score.key_proj``). ``score="concat"`` uses a hidden width of
    ``d_query``.

    Attributes: ``score_kind`` (the string), ``score`` (a ``GeneralScore`` /
    ``AdditiveScore`` module, ``None`` for ``"dot"``), ``g`` (``None`` unless
    ``scale``).

    ``forward(query, key, value=None, mask=None) -> (context, weights)``, with
    the same conventions as :class:`~gattut.attention.additive.BahdanauAttention`
    (a 2-D mask is a ``(B, S)`` key padding mask).

    Shapes:
        query ``(B, Dq)`` -> context ``(B, Dv)``, weights ``(B, S)``;
        query ``(B, T, Dq)`` -> context ``(B, T, Dv)``, weights ``(B, T, S)``;
        key ``(B, S, Dk)``, value ``(B, S, Dv)``.
    """

    def __init__(self, d_query: int, d_key: int, score: str = "dot", scale: bool = False):
        super().__init__()
        self.d_query, self.d_key = d_query, d_key
        self.score_kind = score
        self.score = _make_score(d_query, d_key, score)
        self.g = nn.Parameter(torch.tensor(1.0)) if scale else None

    def scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Scores before the softmax: ``(B, T, Dq), (B, S, Dk) -> (B, T, S)``."""
        scores = dot_score(query, key) if self.score is None else self.score(query, key)
        if self.g is not None:
            scores = self.g * scores  # (B, T, S)
        return scores

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        widths = (self.d_query, self.d_key)
        query, value, mask, one_step = prepare_seq_inputs(query, key, value, mask, widths)
        scores = self.scores(query, key)  # (B, T, S)
        weights = masked_softmax(scores, mask)  # (B, T, S)
        context = weights @ value  # (B, T, Dv)
        if one_step:
            return context.squeeze(1), weights.squeeze(1)  # (B, Dv), (B, S)
        return context, weights


class LocalPAttention(nn.Module):
    r"""Luong local-p attention: predict a source position, attend near it.

    .. math::

        p_t = L \cdot \sigma\!\left(v_p^\top \tanh(W_p q_t)\right), \qquad
        a_t = \mathrm{softmax}_{s \in \mathcal{W}_t}\, \mathrm{score}(q_t, k_s),

        \alpha_{ts} = a_{ts} \exp\!\left(-\frac{(s - p_t)^2}{2\sigma^2}\right),
        \qquad \sigma = \frac{D}{2}, \qquad c_t = \sum_s \alpha_{ts}\,\mathrm{value}_s

    where ``D = window``, source positions are ``s = 0, ..., S - 1``, ``L`` is
    the true source length of the example (the number of ``True`` entries in
    its mask row; ``S`` without a mask), and the window
    :math:`\mathcal{W}_t = \{s : |s - p_t| \le D,\ \text{mask}_{ts}\}` keeps
    only valid (unmasked) positions. Outside the window the weights are
    exactly zero. As in the paper, the Gaussian makes the weights sum to
    less than one; the gradient reaches :math:`p_t` through the Gaussian
    (the window edges are a hard cut-off and pass no gradient).

    ``W_p`` is ``position_proj`` (bias-free ``Linear(d_query, d_query)``) and
    ``v_p`` is ``position_v`` (bias-free ``Linear(d_query, 1)``).

    ``forward(query, key, value=None, mask=None, return_positions=False)``
    returns ``(context, weights)``, or ``(context, weights, positions)`` with
    ``return_positions=True``, where ``positions`` holds the real-valued
    :math:`p_t`.

    Shapes:
        query ``(B, Dq)`` -> context ``(B, Dv)``, weights ``(B, S)``, positions ``(B,)``;
        query ``(B, T, Dq)`` -> context ``(B, T, Dv)``, weights ``(B, T, S)``,
        positions ``(B, T)``; key ``(B, S, Dk)``, value ``(B, S, Dv)``.
    """

    def __init__(self, d_query: int, d_key: int, window: int, score: str = "general"):
        super().__init__()
        if not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be a positive int (half-width D), got {window!r}")
        self.d_query, self.d_key, self.window = d_query, d_key, window
        self.score_kind = score
        self.score = _make_score(d_query, d_key, score)
        self.position_proj = nn.Linear(d_query, d_query, bias=False)
        self.position_v = nn.Linear(d_query, 1, bias=False)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        return_positions: bool = False,
    ):
        widths = (self.d_query, self.d_key)
        query, value, mask, one_step = prepare_seq_inputs(query, key, value, mask, widths)
        B, T, _ = query.shape
        S = key.shape[1]
        scores = (
            dot_score(query, key) if self.score is None else self.score(query, key)
        )  # (B, T, S)

        # 1) predict the aligned position p_t in [0, L] from the query alone.
        if mask is None:
            valid = torch.ones(B, T, S, dtype=torch.bool, device=query.device)
        else:
            valid = mask.expand(B, T, S)  # (B, T, S)
        lengths = valid.sum(dim=-1).to(query.dtype)  # (B, T)
        gate = torch.sigmoid(self.position_v(torch.tanh(self.position_proj(query)))).squeeze(-1)
        positions = lengths * gate  # (B, T)

        # 2) softmax over the valid positions inside the window [p_t - D, p_t + D].
        source = torch.arange(S, device=query.device, dtype=query.dtype)  # (S,)
        distance = source - positions.unsqueeze(-1)  # (B, T, S)
        allowed = valid & (distance.abs() <= self.window)  # (B, T, S)
        align = masked_softmax(scores, allowed)  # (B, T, S)

        # 3) favour positions near p_t with a Gaussian of std D / 2.
        sigma = self.window / 2
        weights = align * torch.exp(-(distance**2) / (2 * sigma**2))  # (B, T, S)
        context = weights @ value  # (B, T, Dv)
        if one_step:
            context, weights, positions = (
                context.squeeze(1),
                weights.squeeze(1),
                positions.squeeze(1),
            )
        if return_positions:
            return context, weights, positions
        return context, weights
