"""Additive (Bahdanau) attention: the Keras 3 twin of :mod:`gattut.attention.additive`.

The method, its equations, the arguments and the shapes are documented once, in
the PyTorch module; this one differs only where Keras does (``call`` instead of
``forward``, ``Dense`` kernels that are the transposes of ``Linear`` weights).
"""

from __future__ import annotations

import keras

from gattut.tf.attention._checks import prepare_seq_inputs
from gattut.tf.attention._layer import MaskedLayer
from gattut.tf.attention.masks import masked_softmax
from gattut.tf.attention.scoring import AdditiveScore

__all__ = ["BahdanauAttention"]


@keras.saving.register_keras_serializable(package="gattut")
class BahdanauAttention(MaskedLayer):
    """Bahdanau (additive) attention: see :class:`gattut.attention.BahdanauAttention`.

    Same arguments, same ``call(query, key, value=None, mask=None) -> (context,
    weights)``, same shapes. The weights live in ``self.score`` (an
    :class:`~gattut.tf.attention.scoring.AdditiveScore`).
    """

    def __init__(self, d_query: int, d_key: int, d_attn: int, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.d_query, self.d_key, self.d_attn, self.normalize = d_query, d_key, d_attn, normalize
        self.score = AdditiveScore(
            d_query, d_key, d_attn, normalize=normalize, name="score", dtype=self.dtype_policy
        )
        self.built = True

    def call(self, query, key, value=None, mask=None):
        query, key, value, mask, one_step = prepare_seq_inputs(
            query, key, value, mask, (self.d_query, self.d_key)
        )
        scores = self.score(query, key)  # (B, T, S)
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
            "d_attn": self.d_attn,
            "normalize": self.normalize,
        }
