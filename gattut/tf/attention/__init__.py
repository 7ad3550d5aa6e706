"""Attention for sequences in Keras 3: the twin of :mod:`gattut.attention`.

Same names, same signatures, same behaviour: every layer returns
``(output, weights)``; masks are bool with ``True`` = may attend; a row with
nothing to attend to gets zero weights, never NaN. Weights copy over from the
PyTorch modules with :func:`load_torch_weights`.
"""

from gattut.tf.attention.additive import BahdanauAttention
from gattut.tf.attention.masks import causal_mask, masked_softmax, padding_mask
from gattut.tf.attention.monotonic import MonotonicAttention, monotonic_attention, safe_cumprod
from gattut.tf.attention.multihead import MultiHeadAttention
from gattut.tf.attention.multiplicative import LocalPAttention, LuongAttention
from gattut.tf.attention.pooling import AttentionPooling
from gattut.tf.attention.positional import (
    LearnedPositionalEncoding,
    RelativePositionEmbedding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    layout_permutation,
    relative_attention,
    sinusoidal_encoding,
)
from gattut.tf.attention.scoring import (
    AdditiveScore,
    GeneralScore,
    cosine_score,
    dot_score,
    scaled_dot_score,
)
from gattut.tf.attention.sdpa import scaled_dot_product_attention
from gattut.tf.convert import load_torch_weights

__all__ = [
    "masked_softmax",
    "padding_mask",
    "causal_mask",
    "dot_score",
    "scaled_dot_score",
    "cosine_score",
    "GeneralScore",
    "AdditiveScore",
    "BahdanauAttention",
    "LuongAttention",
    "LocalPAttention",
    "monotonic_attention",
    "safe_cumprod",
    "MonotonicAttention",
    "scaled_dot_product_attention",
    "MultiHeadAttention",
    "AttentionPooling",
    "sinusoidal_encoding",
    "layout_permutation",
    "SinusoidalPositionalEncoding",
    "LearnedPositionalEncoding",
    "RelativePositionEmbedding",
    "relative_attention",
    "RotaryEmbedding",
    "load_torch_weights",
]
