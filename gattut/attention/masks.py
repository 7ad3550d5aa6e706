"""Boolean masks and the masked softmax.

One convention for the whole package: a mask is a ``torch.bool`` tensor and
``True`` means *may attend* (the convention of Keras and of
``torch.nn.functional.scaled_dot_product_attention``; note that
``torch.nn.MultiheadAttention``'s ``key_padding_mask`` uses the opposite
polarity, which is why this package's ``(B, S)`` mask is called ``key_mask``).
A query row with nothing to attend to gets all-zero weights, and
neither its values nor its gradients are ever NaN.
"""

from __future__ import annotations

import torch

from gattut.attention._checks import check_mask, check_size

__all__ = ["masked_softmax", "padding_mask", "causal_mask"]


def masked_softmax(
    scores: torch.Tensor, mask: torch.Tensor | None = None, dim: int = -1
) -> torch.Tensor:
    r"""Softmax over ``dim`` that gives zero weight to masked positions.

    .. math::

        w_i = \frac{m_i \exp(s_i - c)}{\sum_j m_j \exp(s_j - c)},
        \qquad c = \max_{j:\, m_j} s_j

    where :math:`m_i \in \{0, 1\}` is the mask. A row with no ``True`` entry
    gets :math:`w = 0` everywhere (the denominator would be zero, so it is
    replaced by one); its gradient is zero too, never NaN.

    Args:
        scores: real-valued scores before the softmax.
        mask: optional bool tensor, broadcastable to ``scores``; ``True`` =
            may attend. ``None`` means every position may be attended.
        dim: the axis to normalise over (the key axis, usually the last).

    Shapes:
        scores: ``(..., S)`` (any shape); mask: broadcastable to it;
        returns ``weights`` with the shape of ``scores``.
    """
    if not isinstance(scores, torch.Tensor) or not scores.is_floating_point():
        raise ValueError(
            f"scores must be a floating torch.Tensor, got "
            f"{getattr(scores, 'dtype', type(scores).__name__)}"
        )
    if isinstance(dim, bool) or not isinstance(dim, int) or not -scores.dim() <= dim < scores.dim():
        raise ValueError(
            f"dim={dim!r} is not an axis of scores with shape {tuple(scores.shape)} "
            f"(expected an int in [{-scores.dim()}, {scores.dim() - 1}])"
        )
    if mask is None:
        return torch.softmax(scores, dim=dim)
    check_mask(mask, tuple(scores.shape), "mask")
    # Masked scores become -inf, so exp() turns them into exact zeros.
    scores = scores.masked_fill(~mask, float("-inf"))
    # Subtract the row maximum for stability (detached: the softmax does not
    # depend on it). A fully masked row has max -inf; use 0 there instead.
    row_max = scores.detach().amax(dim=dim, keepdim=True)
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))
    numerator = torch.exp(scores - row_max)
    denominator = numerator.sum(dim=dim, keepdim=True)
    # A fully masked row has denominator 0 and numerator 0: divide by 1 to get 0.
    denominator = torch.where(denominator > 0, denominator, torch.ones_like(denominator))
    return numerator / denominator


def padding_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """Mask of real (non-padding) positions from per-example lengths.

    ``mask[b, s] = s < lengths[b]``.

    Args:
        lengths: integer tensor of sequence lengths, each in ``[0, max_len]``.
        max_len: width of the mask; defaults to ``lengths.max()``.

    Shapes:
        lengths: ``(B,)``; returns ``(B, S)`` bool with ``S = max_len``.
    """
    if not isinstance(lengths, torch.Tensor):
        lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ValueError(
            f"lengths must be a 1-D integer tensor (B,), got shape {tuple(lengths.shape)} "
            f"dtype {lengths.dtype}"
        )
    if lengths.numel() and int(lengths.min()) < 0:
        raise ValueError(f"lengths must be non-negative, got {lengths.tolist()}")
    longest = int(lengths.max()) if lengths.numel() else 0
    if max_len is None:
        max_len = longest
    check_size(max_len, "max_len", minimum=0)
    if max_len < longest:
        raise ValueError(f"max_len={max_len} is shorter than the longest length {longest}")
    positions = torch.arange(max_len, device=lengths.device)  # (S,)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)  # (B, S)


def causal_mask(
    T: int, S: int | None = None, device: torch.device | str | None = None
) -> torch.Tensor:
    """Mask that lets query ``t`` attend to keys ``s <= t`` (no peeking ahead).

    ``mask[t, s] = s <= t``: lower triangular, aligned at the top-left corner
    (the same as ``is_causal=True`` in ``scaled_dot_product_attention``).

    Shapes:
        returns ``(T, S)`` bool, ``S = T`` by default.
    """
    if S is None:
        S = T
    # torch.SymInt: the sizes a traced (torch.compile) model passes in.
    if any(isinstance(n, bool) or not isinstance(n, int | torch.SymInt) or n < 0 for n in (T, S)):
        raise ValueError(f"causal_mask needs non-negative int sizes, got T={T!r}, S={S!r}")
    return torch.ones(T, S, dtype=torch.bool, device=device).tril()  # (T, S)
