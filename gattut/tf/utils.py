"""Seeding and the input checks shared by the Keras layers."""

from __future__ import annotations

import keras
import tensorflow as tf

import gattut.utils

__all__ = ["set_seed"]


def set_seed(seed: int) -> None:
    """Seed Python, NumPy, PyTorch, TensorFlow and Keras in one call.

    ``gattut.set_seed`` seeds TensorFlow only when it is already imported; this
    one is for Keras code and always does.
    """
    gattut.utils.set_seed(seed)
    keras.utils.set_random_seed(seed)


def as_tensor(x, name: str, dtype=None) -> tf.Tensor:
    """Convert ``x`` (array, list, tensor) to a tensor, keeping floating dtypes as they are."""
    try:
        return tf.convert_to_tensor(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a tensor or array, got {type(x).__name__}") from exc


def shape_of(x) -> tuple:
    """The static shape of ``x`` as a tuple (``None`` where unknown), for messages and checks."""
    return tuple(x.shape)


def check_rank(x, name: str, ranks: tuple[int, ...], expected: str) -> None:
    """Raise ValueError unless ``x`` has one of ``ranks`` dimensions."""
    if len(x.shape) not in ranks:
        raise ValueError(f"{name} must have shape {expected}, got {shape_of(x)}")


def check_dim(x, axis: int, size, name: str, expected: str) -> None:
    """Raise ValueError when the static size of ``x`` along ``axis`` is known and is not ``size``."""
    seen = x.shape[axis]
    if seen is not None and size is not None and seen != size:
        raise ValueError(f"{name} must have shape {expected}, got {shape_of(x)}")


def check_float(x, name: str) -> None:
    """Raise ValueError unless ``x`` holds floating-point numbers."""
    if not x.dtype.is_floating:
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype.name}")
