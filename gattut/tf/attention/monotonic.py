"""Monotonic attention (Raffel et al., 2017): the Keras 3 twin of :mod:`gattut.attention.monotonic`.

The recurrence, its closed form and the three modes are documented in the
PyTorch module.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gattut.attention._checks import check_same_dtype
from gattut.attention.monotonic import _MODES, check_monotonic_args
from gattut.tf.attention._checks import (
    check_mask,
    check_tensor,
    check_width,
    prepare_seq_inputs,
)
from gattut.tf.attention._layer import MaskedLayer
from gattut.tf.attention.scoring import AdditiveScore, GeneralScore

__all__ = ["monotonic_attention", "safe_cumprod", "MonotonicAttention"]


def _shift_right(x, fill: float):
    """Shift the last axis right by one, filling position 0: ``[a, b, c] -> [fill, a, b]``."""
    first = ops.full_like(x[..., :1], fill)
    return ops.concatenate([first, x[..., :-1]], axis=-1)


def _cumprod(x):
    """Cumulative product over the last axis whose gradient is exact where a factor is 0.

    ``tf.math.cumprod``'s gradient divides by the factors, so where one is
    exactly 0 (every position after the chosen one in hard mode) it returns 0
    instead of the true derivative; PyTorch's ``cumprod`` does not. Here each
    prefix product is the ``reduce_prod`` of a lower-triangular expansion, and
    ``reduce_prod``'s gradient is computed without dividing.
    """
    S = ops.shape(x)[-1]
    upto = ops.arange(S)[None, :] <= ops.arange(S)[:, None]  # (S, S): k <= j
    expanded = ops.where(upto, x[..., None, :], ops.ones_like(x[..., None, :]))  # (..., S, S)
    return ops.prod(expanded, axis=-1)  # (..., S)


def safe_cumprod(x, exclusive: bool = False) -> tf.Tensor:
    """Cumulative product in log space: see :func:`gattut.attention.safe_cumprod`."""
    x = tf.convert_to_tensor(x)
    tiny = float(np.finfo(x.dtype.as_numpy_dtype).tiny)
    log_x = ops.log(ops.clip(x, tiny, 1.0))  # (..., S)
    if exclusive:
        log_x = _shift_right(log_x, 0.0)  # log 1 = 0 at position 0
    return ops.exp(ops.cumsum(log_x, axis=-1))


def monotonic_attention(p_choose, previous_weights, mode: str = "parallel") -> tf.Tensor:
    """Monotonic alignment for one output step: see :func:`gattut.attention.monotonic_attention`.

    Same modes (``"parallel"``, ``"recursive"``, ``"hard"``), arguments and shapes.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    p_choose = check_tensor(p_choose, "p_choose", (2,), "(B, S)")
    previous_weights = check_tensor(previous_weights, "previous_weights", (2,), "(B, S)")
    if tuple(p_choose.shape) != tuple(previous_weights.shape):
        raise ValueError(
            f"p_choose {tuple(p_choose.shape)} and previous_weights "
            f"{tuple(previous_weights.shape)} must have the same shape (B, S)"
        )
    check_same_dtype(p_choose=p_choose, previous_weights=previous_weights)
    if tf.executing_eagerly() and tf.size(p_choose) > 0:
        low, high = float(ops.min(p_choose)), float(ops.max(p_choose))
        if low < 0 or high > 1:
            raise ValueError(
                f"p_choose must hold probabilities in [0, 1], got values in "
                f"[{low:.3g}, {high:.3g}]; apply a sigmoid to the scores first"
            )
    if mode == "recursive":
        S = p_choose.shape[1]
        q = ops.zeros_like(p_choose[:, 0])  # (B,)
        columns = []
        for j in range(S):
            carried = (1 - p_choose[:, j - 1]) * q if j > 0 else q  # (B,)
            q = carried + previous_weights[:, j]  # (B,)
            columns.append(p_choose[:, j] * q)
        return ops.stack(columns, axis=1)  # (B, S)
    if mode == "parallel":
        cumprod_1mp = safe_cumprod(1 - p_choose, exclusive=True)  # (B, S)
        divisor = ops.clip(cumprod_1mp, 1e-10, 1.0)  # (B, S)
        return p_choose * cumprod_1mp * ops.cumsum(previous_weights / divisor, axis=1)  # (B, S)
    # mode == "hard"
    chosen = ops.cast(p_choose > 0.5, p_choose.dtype)  # (B, S)
    # Clear the positions before the one attended at the previous step.
    chosen = chosen * ops.cumsum(previous_weights, axis=1)  # (B, S)
    # Keep only the first chosen position: [0, 1, 1, 0, 1] -> [0, 1, 0, 0, 0].
    return chosen * _shift_right(_cumprod(1 - chosen), 1.0)  # (B, S)


@keras.saving.register_keras_serializable(package="gattut")
class MonotonicAttention(MaskedLayer):
    """Monotonic attention with a Bahdanau or Luong energy: see :class:`gattut.attention.MonotonicAttention`.

    Keras only: the noise before the sigmoid is added when the layer is called
    with ``training=True`` (PyTorch uses ``module.training``), drawn from
    ``seed`` (an optional seed for the layer's ``SeedGenerator``).
    ``call(query, key, previous_weights, value=None, mask=None, training=None)``.
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
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        d_attn = check_monotonic_args(d_query, d_key, d_attn, score, sigmoid_noise, normalize,
                                      scale, mode)  # fmt: skip
        if score == "bahdanau":
            self.score = AdditiveScore(
                d_query, d_key, d_attn, normalize=normalize, name="score", dtype=self.dtype_policy
            )
        else:
            self.score = GeneralScore(d_query, d_key, name="score", dtype=self.dtype_policy)
        self.score_kind = score
        self.d_query, self.d_key, self.d_attn = d_query, d_key, d_attn
        self.sigmoid_noise = sigmoid_noise
        self.score_bias_init, self.normalize, self.scale = score_bias_init, normalize, scale
        self.mode = mode
        self.score_bias = self.add_weight(
            name="score_bias", shape=(), initializer=keras.initializers.Constant(score_bias_init)
        )
        self.g = self.add_weight(name="g", shape=(), initializer="ones") if scale else None
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    @staticmethod
    def initial_weights(B: int, S: int, dtype="float32") -> tf.Tensor:
        """Alignment before the first output step: all mass on memory position 0.

        Shapes:
            returns ``(B, S)``, one-hot on position 0.
        """
        return ops.one_hot(ops.zeros((B,), dtype="int32"), S, dtype=dtype)  # (B, S)

    def call(self, query, key, previous_weights, value=None, mask=None, training=None):
        query = check_tensor(
            query, "query", (2,), "(B, Dq) (monotonic attention runs one step at a time)"
        )
        query, key, value, _, _ = prepare_seq_inputs(
            query, key, value, None, (self.d_query, self.d_key)
        )
        B, S = query.shape[0], key.shape[1]
        previous_weights = check_tensor(previous_weights, "previous_weights", (2,), "(B, S)")
        if tuple(previous_weights.shape) != (B, S):
            raise ValueError(
                f"previous_weights must have shape (B, S) = {(B, S)}, "
                f"got {tuple(previous_weights.shape)}"
            )
        check_width(query, "query", self.d_query)
        scores = self.score(query, key)[:, 0, :]  # (B, S)
        if self.g is not None:
            scores = self.g * scores
        scores = scores + self.score_bias  # (B, S)
        if training and self.sigmoid_noise > 0:
            noise = keras.random.normal(
                ops.shape(scores), dtype=scores.dtype, seed=self.seed_generator
            )
            scores = scores + self.sigmoid_noise * noise
        if self.mode == "hard":
            p_choose = ops.cast(scores > 0, scores.dtype)  # (B, S)
        else:
            p_choose = ops.sigmoid(scores)  # (B, S)
        if mask is not None:
            mask = check_mask(mask, (B, S), "mask", "(B, S) key padding mask")
            # The decoder never stops on padding: p = 0 there (TFA scores it -inf).
            p_choose = p_choose * ops.cast(mask, p_choose.dtype)
        weights = monotonic_attention(p_choose, previous_weights, self.mode)  # (B, S)
        context = (weights[:, None, :] @ value)[:, 0, :]  # (B, Dv)
        return context, weights

    def get_config(self):
        return {
            **super().get_config(),
            "d_query": self.d_query,
            "d_key": self.d_key,
            "d_attn": self.d_attn,
            "score": self.score_kind,
            "sigmoid_noise": self.sigmoid_noise,
            "score_bias_init": self.score_bias_init,
            "normalize": self.normalize,
            "scale": self.scale,
            "mode": self.mode,
        }
