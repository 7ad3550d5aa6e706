r"""Positional information: absolute (sinusoidal, learned), relative, rotary; Keras 3 twin.

Attention is permutation-equivariant: shuffle the keys and values together
and the output does not change; shuffle the queries and the outputs shuffle
the same way. Order has to be put in by hand. Four ways:

* **Sinusoidal** (Vaswani et al., 2017): add a fixed vector per position,
  :math:`PE_{(p, 2i)} = \sin(p / b^{2i/D})`, :math:`PE_{(p, 2i+1)} = \cos(p / b^{2i/D})`.
  Codebases lay the same numbers out differently (interleaved, or a
  ``[sin | cos]`` / ``[cos | sin]`` half each); :func:`layout_permutation`
  shows the layouts differ only by a fixed permutation of the columns.
* **Learned**: one trainable vector per position.
* **Relative** (Shaw, Uszkoreit and Vaswani, 2018): a learned vector per
  clipped offset ``s - t``, added inside the attention.
* **Rotary** (RoPE, Su et al., 2021): rotate ``q`` and ``k`` by an angle
  proportional to their position, so ``q . k`` depends only on the offset.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gattut.tf.attention._checks import as_tensor, check_mask, check_tensor, check_width
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

_LAYOUTS = ("interleaved", "sin_cos", "cos_sin")


def _check_layout(layout: str, d_model: int) -> None:
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    if d_model <= 0 or d_model % 2 != 0:
        raise ValueError(f"d_model must be a positive even number, got {d_model}")


def sinusoidal_encoding(
    length: int, d_model: int, layout: str = "interleaved", base: float = 10000.0
) -> tf.Tensor:
    r"""Fixed sinusoidal position encodings.

    With angle :math:`\theta_{p,i} = p / b^{2i/D}` for position ``p`` and
    frequency index ``i = 0 .. D/2 - 1``:

    * ``"interleaved"`` (the Transformer paper): column ``2i`` is
      :math:`\sin\theta_{p,i}`, column ``2i + 1`` is :math:`\cos\theta_{p,i}`;
    * ``"sin_cos"``: columns ``[0, D/2)`` are the sines, ``[D/2, D)`` the cosines;
    * ``"cos_sin"``: the cosines first, then the sines.

    The table is computed in float64 and returned in Keras' ``floatx()``
    (float32 by default), like the PyTorch version.

    Shapes:
        returns ``(length, d_model)``.
    """
    _check_layout(layout, d_model)
    if length < 0:
        raise ValueError(f"length must be non-negative, got {length}")
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
    """The column permutation that turns one sinusoidal layout into another.

    ``sinusoidal_encoding(L, D, to_layout) == tf.gather(sinusoidal_encoding(L, D, from_layout), perm, axis=1)``.
    Column ``c`` of the target holds some ``(sin or cos, i)``; ``perm[c]`` is
    the column of the source that holds the same ``(sin or cos, i)``.

    Shapes:
        returns ``perm`` ``(d_model,)``, int64.
    """
    _check_layout(from_layout, d_model)
    _check_layout(to_layout, d_model)
    source = _column_of(from_layout, d_model).reshape(-1)  # (D,) column in source of (kind, i)
    target = _column_of(to_layout, d_model).reshape(-1)  # (D,) column in target of (kind, i)
    perm = np.empty(d_model, dtype=np.int64)
    perm[target] = source
    return tf.constant(perm)


def _check_sequence(x, d_model: int, max_len: int):
    x = check_tensor(x, "x", (3,), "(B, T, D)")
    check_width(x, "x", d_model)
    if x.shape[1] is not None and x.shape[1] > max_len:
        raise ValueError(
            f"x has length T={x.shape[1]} (shape {tuple(x.shape)}) > max_len={max_len}"
        )
    return x


@keras.saving.register_keras_serializable(package="gattut")
class SinusoidalPositionalEncoding(keras.layers.Layer):
    r"""Add fixed sinusoidal encodings to a sequence: ``dropout(x + PE[:T])``.

    The table ``pe`` ``(max_len, D)`` is a constant, not a weight. Scaling the
    token embeddings by :math:`\sqrt{D}` beforehand (as the Transformer does)
    is the caller's choice, not done here.

    Shapes:
        x ``(B, T, D)`` with ``T <= max_len`` -> ``(B, T, D)``.
    """

    def __init__(
        self,
        d_model: int,
        max_len: int = 5000,
        layout: str = "interleaved",
        dropout: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
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
            "d_model": self.d_model,
            "max_len": self.max_len,
            "layout": self.layout,
            "dropout": self.dropout.rate,
        }


@keras.saving.register_keras_serializable(package="gattut")
class LearnedPositionalEncoding(keras.layers.Layer):
    """Add a trainable vector per position: ``dropout(x + P[:T])``, ``P`` a ``keras.layers.Embedding``.

    Shapes:
        x ``(B, T, D)`` with ``T <= max_len`` -> ``(B, T, D)``.
    """

    def __init__(self, max_len: int, d_model: int, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.max_len = d_model, max_len
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
    r"""Learned embeddings of clipped relative offsets (Shaw et al., 2018).

    .. math::

        a_{ts} = w_{\mathrm{clip}(s - t,\, -k,\, k)}, \qquad w \in \mathbb{R}^{(2k + 1) \times d}

    with ``k = max_distance``: offsets further than ``k`` share one vector.
    ``call(T, S=None)`` returns the table of ``a_{ts}``; pass one table as
    ``rel_k`` (and another layer's as ``rel_v``) to :func:`relative_attention`.

    Shapes:
        returns ``(T, S, d)``, ``S = T`` by default.
    """

    def __init__(self, max_distance: int, d: int, **kwargs):
        super().__init__(**kwargs)
        if max_distance < 0:
            raise ValueError(f"max_distance must be non-negative, got {max_distance}")
        self.max_distance, self.d = max_distance, d
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
        offsets = ops.arange(S)[None, :] - ops.arange(T)[:, None]  # (T, S)
        index = ops.clip(offsets, -self.max_distance, self.max_distance) + self.max_distance
        return self.embedding(index)  # (T, S, d)

    def get_config(self):
        return {**super().get_config(), "max_distance": self.max_distance, "d": self.d}


def relative_attention(q, k, v, rel_k, rel_v=None, mask=None):
    r"""Scaled dot-product attention with relative position terms (Shaw et al., 2018).

    .. math::

        e_{ts} = \frac{q_t^\top (k_s + a^K_{ts})}{\sqrt{D_h}}, \qquad
        w_t = \mathrm{masked\_softmax}(e_t), \qquad
        o_t = \sum_s w_{ts} (v_s + a^V_{ts})

    ``rel_k`` is :math:`a^K` and the optional ``rel_v`` is :math:`a^V`
    (e.g. from :class:`RelativePositionEmbedding`); ``mask`` is bool,
    ``True`` = may attend.

    Shapes:
        q ``(..., T, Dh)``, k ``(..., S, Dh)``, v ``(..., S, Dv)``,
        rel_k ``(T, S, Dh)``, rel_v ``(T, S, Dv)``, mask broadcastable to
        ``(..., T, S)`` -> output ``(..., T, Dv)``, weights ``(..., T, S)``.
    """
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
    rel_k = as_tensor(rel_k, "rel_k")
    if tuple(rel_k.shape) != (T, S, Dh):
        raise ValueError(
            f"rel_k must have shape (T, S, Dh) = {(T, S, Dh)}, got {tuple(rel_k.shape)}"
        )
    if rel_v is not None:
        rel_v = as_tensor(rel_v, "rel_v")
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
    r"""Rotary position embedding (RoPE, Su et al., 2021), "rotate-half" pairing.

    Dimension ``i`` is paired with dimension ``i + Dh/2`` (the GPT-NeoX /
    LLaMA-in-HuggingFace layout, not the interleaved ``(2i, 2i+1)`` pairs of
    the paper; the two differ by a fixed permutation of the dimensions). Each
    pair is rotated by the angle :math:`p\,\omega_i`,
    :math:`\omega_i = b^{-2i/D_h}`:

    .. math::

        \mathrm{RoPE}(x, p) = x \odot \cos(p\,\omega) + \mathrm{rotate\_half}(x) \odot \sin(p\,\omega),
        \qquad \mathrm{rotate\_half}([x_1; x_2]) = [-x_2; x_1]

    Because rotations compose,
    :math:`\mathrm{RoPE}(q, m)^\top \mathrm{RoPE}(k, n)` depends on ``m - n``
    only, so attention scores see relative offsets. Apply it to ``q`` and
    ``k`` (per head), never to ``v``.

    ``apply_rotary(x, positions=None)`` (also ``call``): positions
    default to ``0 .. T-1``.

    Shapes:
        x ``(..., T, Dh)``, positions ``(T,)`` or broadcastable to ``(..., T)``
        -> ``(..., T, Dh)``.
    """

    def __init__(self, d_head: int, base: float = 10000.0, **kwargs):
        super().__init__(**kwargs)
        if d_head <= 0 or d_head % 2 != 0:
            raise ValueError(f"d_head must be a positive even number, got {d_head}")
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
        angles = positions[..., None] * ops.cast(self.inv_freq, x.dtype)  # (..., T, Dh/2)
        angles = ops.concatenate([angles, angles], axis=-1)  # (..., T, Dh)
        return x * ops.cos(angles) + self.rotate_half(x) * ops.sin(angles)

    def call(self, x, positions=None):
        return self.apply_rotary(x, positions)

    def get_config(self):
        return {**super().get_config(), "d_head": self.d_head, "base": self.base}
