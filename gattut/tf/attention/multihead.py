"""Multi-head attention: the Keras 3 twin of :mod:`gattut.attention.multihead`.

The equations, the two paths (readable with weights, fast without) and the
masks are documented in the PyTorch module. Keras' own ``MultiHeadAttention``
keeps the same numbers in ``EinsumDense`` kernels of shape ``(D, H, Dh)``: a
reshape of our ``(D, H * Dh)`` kernels; ``key_dim`` is its per-head width ``Dh``.
"""

from __future__ import annotations

import keras
from keras import ops

from gattut.attention._checks import RENAMED, check_mha_args, reject_renamed
from gattut.tf.attention._checks import (
    as_tensor,
    check_key_value,
    check_mask,
    check_nonempty,
    check_tensor,
    check_width,
)
from gattut.tf.attention._layer import MaskedLayer
from gattut.tf.attention.masks import causal_mask
from gattut.tf.attention.scoring import dense
from gattut.tf.attention.sdpa import scaled_dot_product_attention

__all__ = ["MultiHeadAttention"]


@keras.saving.register_keras_serializable(package="gattut")
class MultiHeadAttention(MaskedLayer):
    """Multi-head attention with a readable and a fast path: see :class:`gattut.attention.MultiHeadAttention`.

    Same arguments, masks, return values and shapes. Keras only: ``seed`` for the
    dropout; the fast path is ``keras.ops.dot_product_attention``, which has no
    dropout, so a training step with dropout takes the readable path. Keras'
    functional API (``keras.Input`` -> ``keras.Model``) cannot carry a ``None``
    output, so there call the layer with ``need_weights=True`` and ignore the
    weights. Weights: ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj``
    (``keras.layers.Dense``; each kernel is the transpose of the PyTorch
    ``Linear`` weight).
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        kdim: int | None = None,
        vdim: int | None = None,
        key_dim: int | None = None,
        seed=None,
        **kwargs,
    ):
        reject_renamed("MultiHeadAttention", {k: kwargs[k] for k in RENAMED if k in kwargs})
        super().__init__(**kwargs)
        self.d_model, self.num_heads, self.d_head, self.kdim, self.vdim = check_mha_args(
            d_model, num_heads, dropout, kdim, vdim, key_dim
        )
        self.dropout, self.bias, self.seed = dropout, bias, seed
        width = num_heads * self.d_head  # H * Dh, = D unless key_dim says otherwise
        policy = self.dtype_policy
        self.q_proj = dense(width, d_model, use_bias=bias, name="q_proj", dtype=policy)
        self.k_proj = dense(width, self.kdim, use_bias=bias, name="k_proj", dtype=policy)
        self.v_proj = dense(width, self.vdim, use_bias=bias, name="v_proj", dtype=policy)
        self.out_proj = dense(d_model, width, use_bias=bias, name="out_proj", dtype=policy)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    @property
    def key_dim(self) -> int:
        """The per-head width ``Dh``, under Keras' name."""
        return self.d_head

    def _check(self, query, key, value):
        query = check_tensor(query, "query", (3,), "(B, T, D)")
        key = check_tensor(key, "key", (3,), "(B, S, Dk)")
        value = check_tensor(value, "value", (3,), "(B, S, Dv)")
        check_width(query, "query", self.d_model)
        check_width(key, "key", self.kdim)
        check_width(value, "value", self.vdim)
        check_key_value(query, key, value)
        check_nonempty(query, "query", 1, "length T")
        return query, key, value

    def combine_masks(self, B, T, S, mask=None, key_mask=None, causal=False):
        """AND together ``mask``, ``key_mask`` and the causal mask.

        Returns ``None`` if there is nothing to mask, else a bool tensor
        broadcastable to ``(B, H, T, S)``.
        """
        H = self.num_heads
        combined = None
        if mask is not None:
            mask = as_tensor(mask, "mask")
            if len(mask.shape) == 3:
                # A 3-D mask is per example, (B, T, S), shared by the heads.
                mask = check_mask(mask, (B, T, S), "mask", "(B, T, S)")
                mask = mask[:, None, :, :]  # (B, 1, T, S)
            else:
                mask = check_mask(mask, (B, H, T, S), "mask", "(B, H, T, S)")
            combined = mask
        if key_mask is not None:
            key_mask = check_mask(key_mask, (B, S), "key_mask", "(B, S)")
            padding = ops.broadcast_to(key_mask, (B, S))[:, None, None, :]  # (B, 1, 1, S)
            combined = padding if combined is None else ops.logical_and(combined, padding)
        if causal:
            future = causal_mask(T, S)  # (T, S)
            combined = future if combined is None else ops.logical_and(combined, future)
        return combined

    def call(
        self,
        query,
        key,
        value,
        mask=None,
        causal=False,
        need_weights=True,
        key_mask=None,
        training=None,
        **kwargs,
    ):
        reject_renamed("MultiHeadAttention", kwargs)
        query, key, value = self._check(query, key, value)
        B, T, D = ops.shape(query)
        S = ops.shape(key)[1]
        H, Dh = self.num_heads, self.d_head
        combined = self.combine_masks(B, T, S, mask, key_mask, causal)  # checked before any work

        # 1) project, and split the width D into H heads of width Dh.
        q = ops.reshape(self.q_proj(query), (B, T, H, Dh))  # (B, T, H, Dh)
        k = ops.reshape(self.k_proj(key), (B, S, H, Dh))  # (B, S, H, Dh)
        v = ops.reshape(self.v_proj(value), (B, S, H, Dh))  # (B, S, H, Dh)

        # 2) attend, every head at once.
        dropout = self.dropout if training else 0.0
        if need_weights or dropout > 0:
            # keras.ops.dot_product_attention has no dropout, so a training step
            # with dropout takes the readable path even when the weights are not wanted.
            q, k, v = (ops.transpose(x, (0, 2, 1, 3)) for x in (q, k, v))  # (B, H, T|S, Dh)
            out, weights = scaled_dot_product_attention(
                q, k, v, combined, dropout, training=bool(training), seed=self.seed_generator
            )  # (B, H, T, Dh), (B, H, T, S)
            out = ops.transpose(out, (0, 2, 1, 3))  # (B, T, H, Dh)
            if not need_weights:
                weights = None
        elif combined is None:
            out = ops.dot_product_attention(q, k, v)  # (B, T, H, Dh)
            weights = None
        else:
            # A row with no True entry would be softmaxed over nothing. Let such
            # a row see everything (finite, no NaN in values or gradients), then zero it.
            combined = ops.broadcast_to(combined, (B, H, T, S))  # (B, H, T, S)
            has_any = ops.any(combined, axis=-1, keepdims=True)  # (B, H, T, 1)
            attend = ops.logical_or(combined, ops.logical_not(has_any))  # (B, H, T, S)
            out = ops.dot_product_attention(q, k, v, mask=attend)  # (B, T, H, Dh)
            out = out * ops.cast(ops.transpose(has_any, (0, 2, 1, 3)), out.dtype)  # (B, T, H, Dh)
            weights = None

        # 3) merge heads back into width H * Dh (= D by default) and mix them into D.
        out = ops.reshape(out, (B, T, H * Dh))  # (B, T, H * Dh)
        return self.out_proj(out), weights

    def get_config(self):
        return {
            **super().get_config(),
            "d_model": self.d_model,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "bias": self.bias,
            "kdim": self.kdim,
            "vdim": self.vdim,
            "key_dim": self.d_head,
            "seed": self.seed,
        }
