"""Seeding for Keras code."""

from __future__ import annotations

import keras

import gattut.utils

__all__ = ["set_seed"]


def set_seed(seed: int) -> None:
    """Seed Python, NumPy, PyTorch, TensorFlow and Keras in one call.

    ``gattut.set_seed`` seeds TensorFlow only when it is already imported; this
    one is for Keras code and always does.
    """
    gattut.utils.set_seed(seed)
    keras.utils.set_random_seed(seed)
