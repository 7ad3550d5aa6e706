r"""Does the attention look at the right place? Peaks of attention weights, scored against chance.

When the data say where the answer is (the key sentence of a generated
document, the deciding word within it), a row of attention weights can be
scored by its *peak*, the position it weighs most: a hit when the peak is the
right position. The share of hits means little alone, so it is set against
*chance*, the share a peak drawn uniformly among the row's real positions
would hit on average:

.. math::

    \text{share} = \frac{1}{N} \sum_{i=1}^{N} [\arg\max_t \alpha_{it} = t_i^\star],
    \qquad
    \text{chance} = \frac{1}{N} \sum_{i=1}^{N} \frac{1}{|\{t : m_{it}\}|}.

A uniform attention map has no peak: ``argmax`` would pick its first position,
so a tie at the maximum counts as a miss unless every tied position is the
target (a map that spreads its weight over the whole row scores zero, not
``1 / T``).
"""

from __future__ import annotations

import torch

from gattut.attention._checks import check_mask

__all__ = ["attention_peaks", "chance_share", "peak_share"]


def _check(weights: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(weights, torch.Tensor) or not weights.is_floating_point():
        raise ValueError(
            f"weights must be a floating torch.Tensor (N, T), got "
            f"{getattr(weights, 'dtype', type(weights).__name__)}"
        )
    if weights.dim() != 2:
        raise ValueError(f"weights must have shape (N, T), got shape {tuple(weights.shape)}")
    if weights.shape[0] == 0 or weights.shape[1] == 0:
        raise ValueError(f"weights has no rows or no positions (shape {tuple(weights.shape)})")
    if mask is None:
        mask = torch.ones_like(weights, dtype=torch.bool)
    else:
        check_mask(mask, tuple(weights.shape), "mask", "(N, T)")
        mask = mask.expand_as(weights)
    if not mask.any(dim=1).all():
        row = int((~mask.any(dim=1)).nonzero()[0])
        raise ValueError(f"mask row {row} has no True entry: that row has no position to peak on")
    return weights, mask


def attention_peaks(weights: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """The position each row weighs most, among its real positions (``-1`` for a tie at the top).

    Args:
        weights: attention weights, one row per example.
        mask: bool, ``True`` at real positions; masked positions are never a peak.

    Shapes:
        weights ``(N, T)``, mask ``(N, T)`` -> peaks ``(N,)`` long.
    """
    weights, mask = _check(weights, mask)
    masked = weights.detach().masked_fill(~mask, float("-inf"))  # (N, T)
    top = masked.amax(dim=1, keepdim=True)  # (N, 1)
    tied = (masked == top).sum(dim=1)  # (N,)
    peaks = masked.argmax(dim=1)  # (N,)
    return torch.where(tied == 1, peaks, torch.full_like(peaks, -1))


def peak_share(
    weights: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
) -> float:
    """The share of rows whose attention peak is the target position.

    Shapes:
        weights ``(N, T)``, target ``(N,)`` integer in ``[0, T)``, mask ``(N, T)`` -> a float.
    """
    peaks = attention_peaks(weights, mask)
    N, T = weights.shape
    if not isinstance(target, torch.Tensor) or target.shape != (N,):
        raise ValueError(
            f"target must be a tensor of shape ({N},), got {tuple(getattr(target, 'shape', ()))}"
        )
    if target.is_floating_point() or target.dtype == torch.bool:
        raise ValueError(f"target must hold integer positions, got dtype {target.dtype}")
    if int(target.min()) < 0 or int(target.max()) >= T:
        raise ValueError(
            f"target positions must lie in [0, {T}), got {target.min()}..{target.max()}"
        )
    return (peaks == target.to(peaks.device)).double().mean().item()


def chance_share(mask: torch.Tensor) -> float:
    """The share a peak drawn uniformly among each row's real positions hits on average.

    Shapes:
        mask ``(N, T)`` bool -> a float, the mean over rows of ``1 / (real positions)``.
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.dim() != 2:
        raise ValueError(
            f"mask must be a bool tensor (N, T), got {getattr(mask, 'dtype', type(mask).__name__)} "
            f"of shape {tuple(getattr(mask, 'shape', ()))}"
        )
    _check(torch.zeros(mask.shape), mask)
    return (1.0 / mask.sum(dim=1).double()).mean().item()
