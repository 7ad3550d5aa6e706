r"""Monotonic attention (Raffel, Luong, Liu, Weiss and Eck, 2017).

At each output step the decoder scans the memory left to right, starting
where it stopped last time, and at each position :math:`j` decides to stop
with probability :math:`p_{i,j} = \sigma(e_{i,j})`. At test time the decision
is hard (stop at the first :math:`p > 0.5`); for training, Raffel et al. use
the *expected* alignment, given by a recurrence over :math:`j`:

.. math::

    q_{i,j} = (1 - p_{i,j-1})\, q_{i,j-1} + \alpha_{i-1,j}, \qquad
    \alpha_{i,j} = p_{i,j}\, q_{i,j},

with :math:`q_{i,0} = \alpha_{i-1,0}`. Unrolled, it has a closed form with
cumulative products and sums (the "parallel" mode):

.. math::

    \alpha_{i,:} = p_{i,:} \odot \mathrm{cumprod}_{excl}(1 - p_{i,:}) \odot
    \mathrm{cumsum}\!\left(\frac{\alpha_{i-1,:}}{\mathrm{cumprod}_{excl}(1 - p_{i,:})}\right).

The weights sum to *at most* one: the mass left over is the probability that
the decoder ran off the end of the memory without stopping.
"""

from __future__ import annotations

import torch
from torch import nn

from gattut.attention._checks import (
    check_mask,
    check_same_dtype,
    check_size,
    check_tensor,
    prepare_seq_inputs,
)
from gattut.attention.scoring import AdditiveScore, GeneralScore

__all__ = ["monotonic_attention", "safe_cumprod", "MonotonicAttention"]

_MODES = ("parallel", "recursive", "hard")


def _shift_right(x: torch.Tensor, fill: float) -> torch.Tensor:
    """Shift the last axis right by one, filling position 0: ``[a, b, c] -> [fill, a, b]``."""
    first = torch.full_like(x[..., :1], fill)
    return torch.cat([first, x[..., :-1]], dim=-1)


def safe_cumprod(x: torch.Tensor, exclusive: bool = False) -> torch.Tensor:
    r"""Cumulative product over the last axis, as ``exp(cumsum(log(clamp(x, tiny, 1))))``.

    Working in log space keeps the product from underflowing one factor at a
    time, and clamping at the smallest positive normal number (``tiny``)
    keeps ``log(0) = -inf`` out of the sum and out of the gradient. This is
    TensorFlow Addons' ``safe_cumprod``. ``exclusive=True`` gives
    :math:`\prod_{k<j} x_k` at position ``j`` (and 1 at position 0).

    Shapes:
        x: ``(..., S)``; returns ``(..., S)``.
    """
    check_tensor(x, "x", range(1, 9), "(..., S)")
    log_x = torch.log(x.clamp(min=torch.finfo(x.dtype).tiny, max=1.0))  # (..., S)
    if exclusive:
        log_x = _shift_right(log_x, 0.0)  # log 1 = 0 at position 0
    return torch.exp(torch.cumsum(log_x, dim=-1))


def monotonic_attention(
    p_choose: torch.Tensor, previous_weights: torch.Tensor, mode: str = "parallel"
) -> torch.Tensor:
    r"""Monotonic alignment for one output step from stopping probabilities.

    Modes:

    * ``"recursive"``: the recurrence
      :math:`q_j = (1 - p_{j-1}) q_{j-1} + \alpha^{prev}_j`,
      :math:`\alpha_j = p_j q_j`, as a Python loop over the ``S`` positions
      (slow; the reference the tests compare ``"parallel"`` against).
    * ``"parallel"``: the closed form
      :math:`\alpha = p \odot c \odot \mathrm{cumsum}(\alpha^{prev} / c)`
      with :math:`c = \mathrm{cumprod}_{excl}(1 - p)`. Dividing by a
      cumulative product that can reach zero is the danger: ``c`` is computed
      by :func:`safe_cumprod` (log space, factors clamped to ``[tiny, 1]``),
      and the divisor is clamped to ``[1e-10, 1]``, as TensorFlow Addons
      does. The result matches the recursion as long as ``c`` stays above
      ``1e-10``; beyond that (very confident ``p`` early in a long memory)
      the mass that would be divided by the clamp is simply lost, which is
      the known trade-off of the closed form.
    * ``"hard"``: test-time decoding. ``p_choose`` is thresholded
      (``> 0.5``), positions before the previous attended one are cleared,
      and the first remaining chosen position gets weight 1. If no position
      is chosen the row is all zero. ``previous_weights`` should be one-hot
      (or all zero).

    Args:
        p_choose: probability of stopping at each memory position.
        previous_weights: the alignment of the previous output step
            (``MonotonicAttention.initial_weights`` for the first step).
        mode: ``"parallel"``, ``"recursive"`` or ``"hard"``.

    Shapes:
        p_choose: ``(B, S)``, previous_weights: ``(B, S)``; returns weights ``(B, S)``.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    check_tensor(p_choose, "p_choose", (2,), "(B, S)")
    check_tensor(previous_weights, "previous_weights", (2,), "(B, S)")
    if p_choose.shape != previous_weights.shape:
        raise ValueError(
            f"p_choose {tuple(p_choose.shape)} and previous_weights "
            f"{tuple(previous_weights.shape)} must have the same shape (B, S)"
        )
    check_same_dtype(p_choose=p_choose, previous_weights=previous_weights)
    if p_choose.numel():
        low, high = float(p_choose.detach().min()), float(p_choose.detach().max())
        if low < 0 or high > 1:
            raise ValueError(
                f"p_choose must hold probabilities in [0, 1], got values in "
                f"[{low:.3g}, {high:.3g}]; apply a sigmoid to the scores first"
            )
    if mode == "recursive":
        B, S = p_choose.shape
        q = torch.zeros(B, dtype=p_choose.dtype, device=p_choose.device)  # (B,)
        columns = []
        for j in range(S):
            carried = (1 - p_choose[:, j - 1]) * q if j > 0 else q  # (B,)
            q = carried + previous_weights[:, j]  # (B,)
            columns.append(p_choose[:, j] * q)
        return torch.stack(columns, dim=1)  # (B, S)
    if mode == "parallel":
        cumprod_1mp = safe_cumprod(1 - p_choose, exclusive=True)  # (B, S)
        divisor = cumprod_1mp.clamp(min=1e-10, max=1.0)  # (B, S)
        return p_choose * cumprod_1mp * torch.cumsum(previous_weights / divisor, dim=1)  # (B, S)
    # mode == "hard"
    chosen = (p_choose > 0.5).to(p_choose.dtype)  # (B, S)
    # Clear the positions before the one attended at the previous step.
    chosen = chosen * torch.cumsum(previous_weights, dim=1)  # (B, S)
    # Keep only the first chosen position: [0, 1, 1, 0, 1] -> [0, 1, 0, 0, 0].
    # torch.cumprod's gradient is exact where a factor is 0 (here, after the
    # chosen position), so the gradient w.r.t. previous_weights is exact too.
    return chosen * _shift_right(torch.cumprod(1 - chosen, dim=1), 1.0)  # (B, S)


def check_monotonic_args(
    d_query, d_key, d_attn, score, sigmoid_noise, normalize, scale, mode
) -> int:
    """Validate :class:`MonotonicAttention`'s arguments (both frameworks); return ``d_attn``."""
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    check_size(d_query, "d_query")
    check_size(d_key, "d_key")
    if not sigmoid_noise >= 0:
        raise ValueError(f"sigmoid_noise must be >= 0 (a standard deviation), got {sigmoid_noise}")
    if score == "bahdanau":
        if scale:
            raise ValueError("scale=True belongs to score='luong'; use normalize=True for bahdanau")
        return d_query if d_attn is None else d_attn
    if score == "luong":
        if d_attn not in (None, d_query):
            raise ValueError(
                f"score='luong' projects keys to d_query={d_query}, got d_attn={d_attn}"
            )
        if normalize:
            raise ValueError("normalize=True belongs to score='bahdanau'; use scale=True for luong")
        return d_query
    raise ValueError(f"score must be 'bahdanau' or 'luong', got {score!r}")


class MonotonicAttention(nn.Module):
    r"""Monotonic attention layer with a Bahdanau or Luong energy.

    .. math::

        e_{ij} = \mathrm{score}(q_i, k_j) + r, \qquad
        p_{ij} = \sigma(e_{ij} + \sigma_n \varepsilon), \quad \varepsilon \sim \mathcal{N}(0, 1),

        \alpha_i = \mathrm{monotonic\_attention}(p_i, \alpha_{i-1}), \qquad
        c_i = \sum_j \alpha_{ij}\,\mathrm{value}_j

    ``score="bahdanau"`` uses :class:`~gattut.attention.scoring.AdditiveScore`
    (hidden width ``d_attn``, default ``d_query``; ``normalize`` as in
    Bahdanau attention);
    ``score="luong"`` uses :class:`~gattut.attention.scoring.GeneralScore`
    (``d_attn`` must be ``None`` or ``d_query``; ``scale=True`` adds a learned
    scalar ``g`` on the score, initialised to 1). ``r`` is ``score_bias``, a
    learned scalar initialised to ``score_bias_init`` (Raffel et al. suggest
    a negative value such as -4 so that early training moves slowly along
    the memory). Gaussian noise of std ``sigmoid_noise`` is added before the
    sigmoid only in training mode (``self.training``), which pushes the
    model towards decisive ``p``; in eval mode it is never added. In
    ``mode="hard"`` the stopping decision is ``e > 0`` (``p > 0.5``).
    Masked memory positions get ``p = 0``: the decoder never stops there.
    These are TensorFlow Addons' ``BahdanauMonotonicAttention`` and
    ``LuongMonotonicAttention``.

    ``forward(query, key, previous_weights, value=None, mask=None) -> (context, weights)``
    computes one output step; ``mask`` is a ``(B, S)`` key padding mask (bool,
    ``True`` = real position). Start with ``initial_weights(B, S)``.

    Shapes:
        query ``(B, Dq)``, key ``(B, S, Dk)``, previous_weights ``(B, S)``,
        value ``(B, S, Dv)`` -> context ``(B, Dv)``, weights ``(B, S)``.
    """

    def __init__(
        self,
        d_query: int,
        d_key: int,
        d_attn: int | None = None,
        score: str = "bahdanau",
        sigmoid_noise: float = 0.0,
        score_bias_init: float = 0.0,
        normalize: bool = False,
        scale: bool = False,
        mode: str = "parallel",
    ):
        super().__init__()
        d_attn = check_monotonic_args(d_query, d_key, d_attn, score, sigmoid_noise, normalize,
                                      scale, mode)  # fmt: skip
        if score == "bahdanau":
            self.score = AdditiveScore(d_query, d_key, d_attn, normalize=normalize)
        else:
            self.score = GeneralScore(d_query, d_key)
        self.score_kind = score
        self.d_query, self.d_key = d_query, d_key
        self.sigmoid_noise = sigmoid_noise
        self.mode = mode
        self.score_bias = nn.Parameter(torch.tensor(float(score_bias_init)))
        self.g = nn.Parameter(torch.tensor(1.0)) if scale else None

    @staticmethod
    def initial_weights(B: int, S: int, device=None, dtype=None) -> torch.Tensor:
        """Alignment before the first output step: all mass on memory position 0.

        Shapes:
            returns ``(B, S)``, one-hot on position 0.
        """
        weights = torch.zeros(B, S, device=device, dtype=dtype)
        weights[:, 0] = 1.0
        return weights  # (B, S)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        previous_weights: torch.Tensor,
        value: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        check_tensor(query, "query", (2,), "(B, Dq) (monotonic attention runs one step at a time)")
        query, value, _, _ = prepare_seq_inputs(query, key, value, None, (self.d_query, self.d_key))
        B, _, _ = query.shape
        S = key.shape[1]
        check_tensor(previous_weights, "previous_weights", (2,), "(B, S)")
        if tuple(previous_weights.shape) != (B, S):
            raise ValueError(
                f"previous_weights must have shape (B, S) = {(B, S)}, got {tuple(previous_weights.shape)}"
            )
        scores = self.score(query, key).squeeze(1)  # (B, S)
        if self.g is not None:
            scores = self.g * scores
        scores = scores + self.score_bias  # (B, S)
        if self.training and self.sigmoid_noise > 0:
            scores = scores + self.sigmoid_noise * torch.randn_like(scores)
        if self.mode == "hard":
            p_choose = (scores > 0).to(scores.dtype)  # (B, S)
        else:
            p_choose = torch.sigmoid(scores)  # (B, S)
        if mask is not None:
            check_mask(mask, (B, S), "mask", "(B, S) key padding mask")
            # The decoder never stops on padding: p = 0 there (TFA scores it -inf).
            p_choose = p_choose * mask.expand(B, S).to(p_choose.dtype)
        weights = monotonic_attention(p_choose, previous_weights, self.mode)  # (B, S)
        context = (weights.unsqueeze(1) @ value).squeeze(1)  # (B, Dv)
        return context, weights
