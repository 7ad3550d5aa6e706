"""Attention for sequences: masks, scores, Bahdanau, Luong, monotonic, SDPA, multi-head, positions.

Every layer returns ``(output, weights)``; masks are bool with ``True`` = may
attend; a row with nothing to attend to gets zero weights, never NaN.
"""

from gattut.attention.additive import BahdanauAttention
from gattut.attention.masks import causal_mask, masked_softmax, padding_mask
from gattut.attention.monotonic import MonotonicAttention, monotonic_attention, safe_cumprod
from gattut.attention.multihead import MultiHeadAttention
from gattut.attention.multiplicative import LocalPAttention, LuongAttention
from gattut.attention.pooling import AttentionPooling
from gattut.attention.positional import (
    LearnedPositionalEncoding,
    RelativePositionEmbedding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    layout_permutation,
    relative_attention,
    sinusoidal_encoding,
)
from gattut.attention.scoring import (
    AdditiveScore,
    GeneralScore,
    cosine_score,
    dot_score,
    scaled_dot_score,
)
from gattut.attention.sdpa import scaled_dot_product_attention

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
]
