"""The base class of the Keras attention layers that take a ``mask`` argument."""

from __future__ import annotations

import keras


class MaskedLayer(keras.layers.Layer):
    """A ``keras.layers.Layer`` whose ``mask`` argument is an attention mask, not a Keras mask.

    Keras gives a call argument named ``mask`` a special meaning: it is the
    padding mask that travels with a tensor from layer to layer, and a layer
    that is handed one but says it does not "support masking" warns that it
    destroys it. Our ``mask`` is an attention mask of shape ``(B, S)`` or
    ``(B, T, S)`` (the same argument as in the PyTorch twin), and the outputs
    carry no mask onwards. So the layer declares that it supports masking
    (no warning) and computes no output mask.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return None
