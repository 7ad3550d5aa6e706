"""Attention pooling (Yang et al. 2016): the Keras 3 twin of :mod:`gattut.attention.pooling`.

The equations, the arguments and the shapes are documented in the PyTorch
module; this one differs only where Keras does (``call`` instead of
``forward``, a ``Dense`` kernel that is the transpose of the ``Linear`` weight).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from gattut.attention._checks import check_size
from gattut.tf.attention._checks import check_mask, check_nonempty, check_tensor, check_width
from gattut.tf.attention._layer import MaskedLayer
from gattut.tf.attention.masks import masked_softmax
from gattut.tf.attention.scoring import dense

__all__ = ["AttentionPooling"]


@keras.saving.register_keras_serializable(package="gattut")
class AttentionPooling(MaskedLayer):
    """Pool ``T`` vectors into one against a learned context vector: see :class:`gattut.attention.AttentionPooling`.

    Same arguments, same ``call(h, mask=None) -> (pooled, weights)``, same
    shapes. Weights: ``proj`` (``Dense(d_attn)`` with bias: ``W``, ``b``) and
    ``context`` (``u_w``, ``(d_attn,)``).
    """

    def __init__(self, d_model: int, d_attn: int, **kwargs):
        super().__init__(**kwargs)
        self.d_model = check_size(d_model, "d_model")
        self.d_attn = check_size(d_attn, "d_attn")
        self.proj = dense(d_attn, d_model, use_bias=True, name="proj", dtype=self.dtype_policy)
        limit = math.sqrt(3.0 / d_attn)  # Glorot-uniform for a vector, as the PyTorch layer
        self.context = self.add_weight(
            name="context", shape=(d_attn,),
            initializer=keras.initializers.RandomUniform(-limit, limit),
        )  # fmt: skip
        self.built = True

    def call(self, h, mask=None):
        h = check_tensor(h, "h", (3,), "(B, T, D)")
        check_nonempty(h, "h", 1, "length T")
        check_width(h, "h", self.d_model)
        if mask is not None:
            mask = check_mask(mask, tuple(h.shape[:2]), "mask", "(B, T)")
        u = ops.tanh(self.proj(h))  # (B, T, A)
        scores = ops.sum(u * self.context, axis=-1)  # (B, T)
        weights = masked_softmax(scores, mask)  # (B, T)
        pooled = ops.sum(weights[:, :, None] * h, axis=1)  # (B, D)
        return pooled, weights

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "d_attn": self.d_attn}
