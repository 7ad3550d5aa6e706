"""Input checks shared by the Keras attention modules (the twin of gattut/attention/_checks.py).

Every public entry point validates its arguments here, so that a learner who
passes the wrong shape sees a ``ValueError`` naming the shapes seen and
expected, not a broadcasting error from deep inside a matmul. Checks use the
static shape; a dimension that is unknown while a ``tf.function`` traces
(``None``) is not checked.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = [
    "as_tensor",
    "check_tensor",
    "check_mask",
    "check_same_batch",
    "check_width",
    "check_nonempty",
    "check_key_value",
]


def _shape(x) -> tuple:
    return tuple(x.shape)


def as_tensor(x, name: str) -> tf.Tensor:
    """Convert an array, list or tensor to a ``tf.Tensor`` (dtype kept), or raise ValueError."""
    if isinstance(x, tf.Tensor | tf.Variable):
        return tf.convert_to_tensor(x)
    if isinstance(x, np.ndarray | list | tuple) or hasattr(x, "__array__"):
        return tf.convert_to_tensor(np.asarray(x))
    raise ValueError(f"{name} must be a tensor or NumPy array, got {type(x).__name__}")


def check_tensor(x, name: str, ndims: tuple[int, ...], layout: str) -> tf.Tensor:
    """Return ``x`` as a tensor; raise unless it is floating with one of the ranks in ``ndims``."""
    x = as_tensor(x, name)
    if len(x.shape) not in ndims:
        raise ValueError(f"{name} must have shape {layout}, got shape {_shape(x)}")
    if not x.dtype.is_floating:
        raise ValueError(f"{name} must be a floating tensor, got dtype {x.dtype.name}")
    return x


def check_width(x, name: str, expected: int) -> None:
    """Raise unless the last dimension of ``x`` is ``expected``."""
    if x.shape[-1] is not None and x.shape[-1] != expected:
        raise ValueError(
            f"{name} has width {x.shape[-1]} (shape {_shape(x)}), expected width {expected}"
        )


def check_same_batch(**tensors) -> None:
    """Raise unless all tensors share their first (batch) dimension."""
    sizes = {t.shape[0] for t in tensors.values() if t.shape[0] is not None}
    if len(sizes) > 1:
        seen = ", ".join(f"{name} {_shape(t)}" for name, t in tensors.items())
        raise ValueError(f"batch sizes differ: {seen}")


def check_nonempty(x, name: str, dim: int, what: str) -> None:
    """Raise if ``x`` has zero length along ``dim`` (an empty sequence)."""
    if x.shape[dim] == 0:
        raise ValueError(f"{name} has zero {what} (shape {_shape(x)}); sequences must be non-empty")


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    """NumPy broadcasting of two static shapes (None = unknown matches anything), or None."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x is None or y is None:
            out.append(y if x in (None, 1) else x)
        elif x == y or x == 1 or y == 1:
            out.append(max(x, y))
        else:
            return None
    return tuple(reversed(out))


def check_mask(mask, target: tuple, name: str = "mask", layout: str = "") -> tf.Tensor:
    """Return ``mask`` as a tensor; raise unless it is bool and broadcasts to ``target`` without enlarging it."""
    mask = as_tensor(mask, name)
    if mask.dtype != tf.bool:
        raise ValueError(
            f"{name} must have dtype bool (True = may attend), got {mask.dtype.name}; "
            f"convert with `tf.cast({name}, tf.bool)` after checking its polarity"
        )
    # Sizes that are not Python ints (tensors from ops.shape while tracing) are unknown.
    target = tuple(t if isinstance(t, int) else None for t in target)
    where = f" {layout}" if layout else ""
    shape = _broadcast(_shape(mask), target)
    if (
        shape is None
        or len(shape) != len(target)
        or any(s is not None and t is not None and s != t for s, t in zip(shape, target))
    ):
        raise ValueError(
            f"{name} of shape {_shape(mask)} does not broadcast to the scores' shape "
            f"{target}{where}"
        )
    return mask


def check_key_value(query, key, value) -> None:
    """One batch, keys and values of one non-zero length S (dtypes: Keras layers autocast)."""
    check_same_batch(query=query, key=key, value=value)
    if None not in (key.shape[1], value.shape[1]) and key.shape[1] != value.shape[1]:
        raise ValueError(
            f"key and value must have the same length S, got key {_shape(key)} "
            f"and value {_shape(value)}"
        )
    check_nonempty(key, "key", 1, "length S")


def prepare_seq_inputs(query, key, value, mask, widths=None):
    """Validate the inputs of a sequence-to-sequence attention layer.

    The query may be one decoder step ``(B, Dq)`` or a sequence ``(B, T, Dq)``;
    a one-step query is lifted to ``(B, 1, Dq)`` and the caller squeezes the
    outputs back (the returned flag says so). ``value`` defaults to ``key``.
    A 2-D ``mask`` is always a key padding mask ``(B, S)`` and is lifted to
    ``(B, 1, S)``; a 3-D mask must broadcast to ``(B, T, S)``.

    Returns ``(query (B, T, Dq), key (B, S, Dk), value (B, S, Dv), mask or None, one_step)``.
    """
    query = check_tensor(query, "query", (2, 3), "(B, Dq) or (B, T, Dq)")
    key = check_tensor(key, "key", (3,), "(B, S, Dk)")
    value = key if value is None else check_tensor(value, "value", (3,), "(B, S, Dv)")
    check_key_value(query, key, value)
    if widths is not None:
        check_width(query, "query", widths[0])
        check_width(key, "key", widths[1])
    one_step = len(query.shape) == 2
    if one_step:
        query = query[:, None, :]  # (B, 1, Dq)
    check_nonempty(query, "query", 1, "length T")
    B, T, _ = query.shape
    S = key.shape[1]
    if mask is not None:
        mask = as_tensor(mask, "mask")
        if len(mask.shape) == 2:
            mask = check_mask(mask, (B, S), "mask", "(B, S) key padding mask")
            mask = mask[:, None, :]  # (B, 1, S)
        else:
            mask = check_mask(mask, (B, T, S), "mask", "(B, T, S)")
    return query, key, value, mask, one_step
