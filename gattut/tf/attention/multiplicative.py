"""Multiplicative attention (Luong et al., 2015), global and local-p: the Keras 3 twin of
:mod:`gattut.attention.multiplicative`, where the scores, the window and the
Gaussian are documented.
"""

from __future__ import annotations

import keras
from keras import ops

from gattut.attention.multiplicative import check_score_args
from gattut.tf.attention._checks import prepare_seq_inputs
from gattut.tf.attention._layer import MaskedLayer
from gattut.tf.attention.masks import masked_softmax
from gattut.tf.attention.scoring import AdditiveScore, GeneralScore, dense, dot_score

__all__ = ["LuongAttention", "LocalPAttention"]


def _make_score(d_query: int, d_key: int, score: str, dtype=None) -> keras.layers.Layer | None:
    """Build the score layer for ``score``; ``None`` stands for the parameter-free dot score."""
    check_score_args(d_query, d_key, score)
    if score == "dot":
        return None
    if score == "general":
        return GeneralScore(d_query, d_key, name="score", dtype=dtype)
    # "concat": v^T tanh(W [q; k]) = v^T tanh(W1 q + W2 k), with a hidden width of d_query.
    return AdditiveScore(d_query, d_key, d_query, name="score", dtype=dtype)


@keras.saving.register_keras_serializable(package="gattut")
class LuongAttention(MaskedLayer):
    """Luong global attention (dot, general or concat score): see :class:`gattut.attention.LuongAttention`.

    ``scale=True`` is Keras' ``Attention(use_scale=True)`` as well as TensorFlow
    Addons' ``LuongAttention(scale=True)``.
    """

    def __init__(self, d_query: int, d_key: int, score: str = "dot", scale: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.d_query, self.d_key = d_query, d_key
        self.score_kind, self.scale = score, scale
        self.score = _make_score(d_query, d_key, score, dtype=self.dtype_policy)
        self.g = self.add_weight(name="g", shape=(), initializer="ones") if scale else None
        self.built = True

    def scores(self, query, key):
        """Scores before the softmax: ``(B, T, Dq), (B, S, Dk) -> (B, T, S)``."""
        scores = dot_score(query, key) if self.score is None else self.score(query, key)
        if self.g is not None:
            scores = self.g * scores  # (B, T, S)
        return scores

    def call(self, query, key, value=None, mask=None):
        query, key, value, mask, one_step = prepare_seq_inputs(
            query, key, value, mask, (self.d_query, self.d_key)
        )
        scores = self.scores(query, key)  # (B, T, S)
        weights = masked_softmax(scores, mask)  # (B, T, S)
        context = weights @ value  # (B, T, Dv)
        if one_step:
            return context[:, 0], weights[:, 0]  # (B, Dv), (B, S)
        return context, weights

    def get_config(self):
        return {
            **super().get_config(),
            "d_query": self.d_query,
            "d_key": self.d_key,
            "score": self.score_kind,
            "scale": self.scale,
        }


@keras.saving.register_keras_serializable(package="gattut")
class LocalPAttention(MaskedLayer):
    """Luong local-p attention: see :class:`gattut.attention.LocalPAttention`.

    ``position_proj`` is a bias-free ``Dense(d_query -> d_query)`` and
    ``position_v`` a bias-free ``Dense(d_query -> 1)``.
    """

    def __init__(self, d_query: int, d_key: int, window: int, score: str = "general", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be a positive int (half-width D), got {window!r}")
        self.d_query, self.d_key, self.window = d_query, d_key, window
        self.score_kind = score
        self.score = _make_score(d_query, d_key, score, dtype=self.dtype_policy)
        self.position_proj = dense(
            d_query, d_query, use_bias=False, name="position_proj", dtype=self.dtype_policy
        )
        self.position_v = dense(
            1, d_query, use_bias=False, name="position_v", dtype=self.dtype_policy
        )
        self.built = True

    def call(self, query, key, value=None, mask=None, return_positions=False):
        query, key, value, mask, one_step = prepare_seq_inputs(
            query, key, value, mask, (self.d_query, self.d_key)
        )
        B, T, S = ops.shape(query)[0], ops.shape(query)[1], ops.shape(key)[1]
        scores = (
            dot_score(query, key) if self.score is None else self.score(query, key)
        )  # (B, T, S)

        # 1) predict the aligned position p_t in [0, L] from the query alone.
        if mask is None:
            valid = ops.ones((B, T, S), dtype="bool")
        else:
            valid = ops.broadcast_to(mask, (B, T, S))  # (B, T, S)
        lengths = ops.sum(ops.cast(valid, query.dtype), axis=-1)  # (B, T)
        gate = ops.sigmoid(self.position_v(ops.tanh(self.position_proj(query))))[..., 0]  # (B, T)
        positions = lengths * gate  # (B, T)

        # 2) softmax over the valid positions inside the window [p_t - D, p_t + D].
        source = ops.arange(S, dtype=query.dtype)  # (S,)
        distance = source - positions[..., None]  # (B, T, S)
        allowed = ops.logical_and(valid, ops.abs(distance) <= self.window)  # (B, T, S)
        align = masked_softmax(scores, allowed)  # (B, T, S)

        # 3) favour positions near p_t with a Gaussian of std D / 2.
        sigma = self.window / 2
        weights = align * ops.exp(-(distance**2) / (2 * sigma**2))  # (B, T, S)
        context = weights @ value  # (B, T, Dv)
        if one_step:
            context, weights, positions = context[:, 0], weights[:, 0], positions[:, 0]
        if return_positions:
            return context, weights, positions
        return context, weights

    def get_config(self):
        return {
            **super().get_config(),
            "d_query": self.d_query,
            "d_key": self.d_key,
            "window": self.window,
            "score": self.score_kind,
        }
