"""Positional information (sinusoidal, learned, relative, rotary): the Keras 3 twin of
:mod:`gattut.attention.positional`, where the four methods, the layouts and the
equations are documented.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gattut.attention._checks import check_rate, check_same_dtype, check_size
from gattut.attention.positional import (
    check_base,
    check_even_width,
    check_layout,
    check_table_args,
)
from gattut.tf.attention._checks import (
    _broadcast,
    as_tensor,
    check_mask,
    check_tensor,
    check_width,
)
from gattut.tf.attention.masks import masked_softmax

__all__ = [
    "sinusoidal_encoding",
    "layout_permutation",
    "SinusoidalPositionalEncoding",
    "LearnedPositionalEncoding",
    "RelativePositionEmbedding",
    "relative_attention",
    "RotaryEmbedding",
]

def sinusoidal_encoding(
    length: int, d_model: int, layout: str = "interleaved", base: float = 10000.0
) -> tf.Tensor:
    """Fixed sinusoidal table ``(length, d_model)``: see :func:`gattut.attention.sinusoidal_encoding`.

    Computed in float64 and returned in Keras' ``floatx()`` (float32 by default),
    like the PyTorch version.
    """
    check_table_args(length, d_model, layout, base)
    positions = np.arange(length, dtype=np.float64)[:, None]  # (L, 1)
    inv_freq = base ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # (D/2,)
    angles = positions * inv_freq  # (L, D/2)
    sin, cos = np.sin(angles), np.cos(angles)
    if layout == "interleaved":
        pe = np.stack([sin, cos], axis=-1).reshape(length, d_model)  # (L, D)
    elif layout == "sin_cos":
        pe = np.concatenate([sin, cos], axis=-1)  # (L, D)
    else:
        pe = np.concatenate([cos, sin], axis=-1)  # (L, D)
    return tf.constant(pe, dtype=keras.config.floatx())


def _column_of(layout: str, d_model: int) -> np.ndarray:
    """For each (kind, i), kind 0 = sin and 1 = cos, the column that holds it: ``(2, D/2)``."""
    half = d_model // 2
    i = np.arange(half)
    if layout == "interleaved":
        return np.stack([2 * i, 2 * i + 1])  # (2, D/2)
    if layout == "sin_cos":
        return np.stack([i, half + i])  # (2, D/2)
    return np.stack([half + i, i])  # cos_sin, (2, D/2)


def layout_permutation(from_layout: str, to_layout: str, d_model: int) -> tf.Tensor:
    """Column permutation between two sinusoidal layouts: see :func:`gattut.attention.layout_permutation`.

    Apply it with ``tf.gather(table, perm, axis=1)``; returns int64.
    """
    check_layout(from_layout, d_model)
    check_layout(to_layout, d_model)
    source = _column_of(from_layout, d_model).reshape(-1)  # (D,) column in source of (kind, i)
    target = _column_of(to_layout, d_model).reshape(-1)  # (D,) column in target of (kind, i)
    perm = np.empty(d_model, dtype=np.int64)
    perm[target] = source
    return tf.constant(perm)


def _check_sequence(x, d_model: int, max_len: int):
    x = check_tensor(x, "x", (3,), "(B, T, D)")
    if x.shape[-1] != d_model and x.shape[-1] == max_len:
        raise ValueError(
            f"x has width {x.shape[-1]}, the layer's max_len, not its d_model={d_model}: "
            "positional encodings take (max_len, d_model), in the order of their table's shape"
        )
    check_width(x, "x", d_model)
    if x.shape[1] is not None and x.shape[1] > max_len:
        raise ValueError(
            f"x has length T={x.shape[1]} (shape {tuple(x.shape)}) > max_len={max_len}"
        )
    return x


@keras.saving.register_keras_serializable(package="gattut")
class SinusoidalPositionalEncoding(keras.layers.Layer):
    """Add fixed sinusoidal encodings: see :class:`gattut.attention.SinusoidalPositionalEncoding`.

    The table is a constant, not a weight.
    """

    def __init__(
        self,
        max_len: int,
        d_model: int,
        layout: str = "interleaved",
        dropout: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_size(max_len, "max_len")
        check_rate(dropout)
        self.d_model, self.max_len, self.layout = d_model, max_len, layout
        self.pe = sinusoidal_encoding(max_len, d_model, layout)  # (max_len, D)
        self.dropout = keras.layers.Dropout(dropout)
        self.built = True

    def call(self, x, training=None):
        x = _check_sequence(x, self.d_model, self.max_len)
        T = ops.shape(x)[1]
        return self.dropout(x + ops.cast(self.pe[:T], x.dtype), training=training)  # (B, T, D)

    def get_config(self):
        return {
            **super().get_config(),
            "max_len": self.max_len,
            "d_model": self.d_model,
            "layout": self.layout,
            "dropout": self.dropout.rate,
        }


@keras.saving.register_keras_serializable(package="gattut")
class LearnedPositionalEncoding(keras.layers.Layer):
    """Add a trainable vector per position: see :class:`gattut.attention.LearnedPositionalEncoding`."""

    def __init__(self, max_len: int, d_model: int, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_len, self.d_model = check_size(max_len, "max_len"), check_size(d_model, "d_model")
        check_rate(dropout)
        self.embedding = keras.layers.Embedding(
            max_len, d_model, name="embedding", dtype=self.dtype_policy
        )
        self.embedding.build((None,))
        self.dropout = keras.layers.Dropout(dropout)
        self.built = True

    def call(self, x, training=None):
        x = _check_sequence(x, self.d_model, self.max_len)
        positions = ops.arange(ops.shape(x)[1])  # (T,)
        return self.dropout(x + self.embedding(positions), training=training)  # (B, T, D)

    def get_config(self):
        return {
            **super().get_config(),
            "max_len": self.max_len,
            "d_model": self.d_model,
            "dropout": self.dropout.rate,
        }


@keras.saving.register_keras_serializable(package="gattut")
class RelativePositionEmbedding(keras.layers.Layer):
    """Learned embeddings of clipped offsets: see :class:`gattut.attention.RelativePositionEmbedding`.

    Called with two lengths, ``layer(T, S=None)``, not with a tensor: Keras'
    ``__call__`` accepts only tensors as positional arguments, so this layer
    overrides it.
    """

    def __init__(self, max_distance: int, d: int, **kwargs):
        super().__init__(**kwargs)
        check_size(max_distance, "max_distance", minimum=0)
        self.max_distance, self.d = max_distance, check_size(d, "d")
        self.embedding = keras.layers.Embedding(
            2 * max_distance + 1, d, name="embedding", dtype=self.dtype_policy
        )
        self.embedding.build((None,))
        self.built = True

    def __call__(self, T: int, S: int | None = None):
        # Keras' __call__ accepts only tensors as positional arguments; this
        # layer takes two lengths and has no input tensor, so it is called
        # directly (it is built in __init__, there is nothing to trace).
        return self.call(T, S)

    def call(self, T: int, S: int | None = None):
        S = T if S is None else S
        check_size(T, "T")
        check_size(S, "S")
        offsets = ops.arange(S)[None, :] - ops.arange(T)[:, None]  # (T, S)
        index = ops.clip(offsets, -self.max_distance, self.max_distance) + self.max_distance
        return self.embedding(index)  # (T, S, d)

    def get_config(self):
        return {**super().get_config(), "max_distance": self.max_distance, "d": self.d}


def relative_attention(q, k, v, rel_k, rel_v=None, mask=None):
    """SDPA with relative position terms: see :func:`gattut.attention.relative_attention`."""
    q = check_tensor(q, "q", range(2, 9), "(..., T, Dh)")
    k = check_tensor(k, "k", range(2, 9), "(..., S, Dh)")
    v = check_tensor(v, "v", range(2, 9), "(..., S, Dv)")
    T, Dh = q.shape[-2:]
    S = k.shape[-2]
    if (
        k.shape[-1] != Dh
        or tuple(k.shape[:-1]) != tuple(v.shape[:-1])
        or tuple(q.shape[:-2]) != tuple(k.shape[:-2])
    ):
        raise ValueError(
            f"expected q (..., T, Dh), k (..., S, Dh), v (..., S, Dv), got q {tuple(q.shape)}, "
            f"k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    rel_k = check_tensor(rel_k, "rel_k", (3,), "(T, S, Dh)")
    if rel_v is not None:
        rel_v = check_tensor(rel_v, "rel_v", (3,), "(T, S, Dv)")
    check_same_dtype(q=q, k=k, v=v, rel_k=rel_k, rel_v=rel_v)
    if tuple(rel_k.shape) != (T, S, Dh):
        raise ValueError(
            f"rel_k must have shape (T, S, Dh) = {(T, S, Dh)}, got {tuple(rel_k.shape)}"
        )
    if rel_v is not None:
        if tuple(rel_v.shape) != (T, S, v.shape[-1]):
            raise ValueError(
                f"rel_v must have shape (T, S, Dv) = {(T, S, v.shape[-1])}, got {tuple(rel_v.shape)}"
            )
    if mask is not None:
        mask = check_mask(mask, (*q.shape[:-2], T, S), "mask", "(..., T, S)")

    content = q @ ops.swapaxes(k, -2, -1)  # (..., T, S)
    # Query t meets its own row of offsets rel_k[t]: a batched matmul over t.
    position = ops.einsum("...td,tsd->...ts", q, rel_k)  # (..., T, S)
    weights = masked_softmax((content + position) / math.sqrt(Dh), mask)  # (..., T, S)
    output = weights @ v  # (..., T, Dv)
    if rel_v is not None:
        output = output + ops.einsum("...ts,tsd->...td", weights, rel_v)  # (..., T, Dv)
    return output, weights


@keras.saving.register_keras_serializable(package="gattut")
class RotaryEmbedding(keras.layers.Layer):
    """Rotary position embedding (rotate-half pairing): see :class:`gattut.attention.RotaryEmbedding`."""

    def __init__(self, d_head: int, base: float = 10000.0, **kwargs):
        super().__init__(**kwargs)
        check_even_width(d_head, "d_head")
        check_base(base)
        self.d_head, self.base = d_head, base
        inv_freq = base ** (-np.arange(0, d_head, 2, dtype=np.float64) / d_head)  # (Dh/2,)
        self.inv_freq = tf.constant(inv_freq)  # float64, cast to the input's dtype when used
        self.built = True

    @staticmethod
    def rotate_half(x):
        """``[x1; x2] -> [-x2; x1]`` on the last axis: a 90-degree turn of each pair."""
        x1, x2 = ops.split(x, 2, axis=-1)
        return ops.concatenate([-x2, x1], axis=-1)

    def apply_rotary(self, x, positions=None):
        x = check_tensor(x, "x", range(2, 9), "(..., T, Dh)")
        check_width(x, "x", self.d_head)
        T = ops.shape(x)[-2]
        if positions is None:
            positions = ops.arange(T)
        positions = ops.cast(as_tensor(positions, "positions"), x.dtype)
        if _broadcast(tuple(positions.shape), tuple(x.shape[:-1])) != tuple(x.shape[:-1]):
            raise ValueError(
                f"positions of shape {tuple(positions.shape)} does not broadcast to x's "
                f"(..., T) = {tuple(x.shape[:-1])}"
            )
        angles = positions[..., None] * ops.cast(self.inv_freq, x.dtype)  # (..., T, Dh/2)
        angles = ops.concatenate([angles, angles], axis=-1)  # (..., T, Dh)
        return x * ops.cos(angles) + self.rotate_half(x) * ops.sin(angles)

    def call(self, x, positions=None):
        return self.apply_rotary(x, positions)

    def get_config(self):
        return {**super().get_config(), "d_head": self.d_head, "base": self.base}
