"""Moved to :mod:`gattut.tf.convert` (one copy for attention and graph layers); kept importable."""

from gattut.tf.convert import load_torch_weights

__all__ = ["load_torch_weights"]
