"""Boolean masks and the masked softmax: the Keras 3 twin of :mod:`gattut.attention.masks`.

One convention (bool, ``True`` = may attend, as in Keras' own attention layers);
the equations and shapes are documented in the PyTorch module.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from gattut.tf.attention._checks import as_tensor, check_mask

__all__ = ["masked_softmax", "padding_mask", "causal_mask"]


def masked_softmax(scores, mask=None, dim: int = -1) -> tf.Tensor:
    """Softmax that gives masked positions zero weight: see :func:`gattut.attention.masked_softmax`.

    The axis argument is called ``dim``, not Keras' ``axis``, so that the call reads
    the same as the PyTorch one. A fully masked row gets zero weights and zero
    gradients, never NaN.
    """
    scores = as_tensor(scores, "scores")
    if not scores.dtype.is_floating:
        raise ValueError(f"scores must be a floating tensor, got {scores.dtype.name}")
    rank = len(scores.shape)
    if isinstance(dim, bool) or not isinstance(dim, int) or not -rank <= dim < rank:
        raise ValueError(
            f"dim={dim!r} is not an axis of scores with shape {tuple(scores.shape)} "
            f"(expected an int in [{-rank}, {rank - 1}])"
        )
    if mask is None:
        return ops.softmax(scores, axis=dim)
    mask = check_mask(mask, tuple(scores.shape), "mask")
    # Masked scores become -inf, so exp() turns them into exact zeros.
    scores = ops.where(mask, scores, float("-inf"))
    # Subtract the row maximum for stability (with no gradient: the softmax
    # does not depend on it). A fully masked row has max -inf; use 0 there.
    row_max = ops.stop_gradient(ops.max(scores, axis=dim, keepdims=True))
    row_max = ops.where(ops.isfinite(row_max), row_max, ops.zeros_like(row_max))
    numerator = ops.exp(scores - row_max)
    denominator = ops.sum(numerator, axis=dim, keepdims=True)
    # A fully masked row has denominator 0 and numerator 0: divide by 1 to get 0.
    denominator = ops.where(denominator > 0, denominator, ops.ones_like(denominator))
    return numerator / denominator


def padding_mask(lengths, max_len: int | None = None) -> tf.Tensor:
    """Mask of real positions from lengths: see :func:`gattut.attention.padding_mask`.

    ``lengths`` may be a tensor or a NumPy array; its values are checked when
    running eagerly.
    """
    lengths = as_tensor(lengths, "lengths")
    if len(lengths.shape) != 1 or not lengths.dtype.is_integer:
        raise ValueError(
            f"lengths must be a 1-D integer tensor (B,), got shape {tuple(lengths.shape)} "
            f"dtype {lengths.dtype.name}"
        )
    values = lengths.numpy() if tf.executing_eagerly() else None
    if values is not None and values.size and int(values.min()) < 0:
        raise ValueError(f"lengths must be non-negative, got {values.tolist()}")
    if max_len is None:
        max_len = ops.max(lengths) if lengths.shape[0] else 0
    elif values is not None and values.size and max_len < int(values.max()):
        raise ValueError(
            f"max_len={max_len} is shorter than the longest length {int(values.max())}"
        )
    positions = ops.arange(max_len, dtype=lengths.dtype)  # (S,)
    return positions[None, :] < lengths[:, None]  # (B, S)


def causal_mask(T: int, S: int | None = None) -> tf.Tensor:
    """Lower-triangular ``(T, S)`` mask: see :func:`gattut.attention.causal_mask`.

    Equal to Keras' ``use_causal_mask=True``. There is no ``device`` argument:
    TensorFlow places the tensor itself.
    """
    if S is None:
        S = T
    # Sizes may be tensors while a tf.function traces; Python numbers are checked.
    if any(isinstance(n, bool | float) or (isinstance(n, int) and n < 0) for n in (T, S)):
        raise ValueError(f"causal_mask needs non-negative int sizes, got T={T!r}, S={S!r}")
    rows = ops.arange(T)[:, None]  # (T, 1)
    cols = ops.arange(S)[None, :]  # (1, S)
    return cols <= rows  # (T, S)
