r"""Multi-head attention (Vaswani et al., 2017).

.. math::

    \mathrm{head}_h = \mathrm{Attention}(Q W^Q_h, K W^K_h, V W^V_h), \qquad
    \mathrm{MultiHead}(Q, K, V) = [\mathrm{head}_1; \dots; \mathrm{head}_H]\, W^O

Each head works in a ``Dh = D / H`` wide subspace, so ``H`` heads cost about
as much as one full-width head. The projections of all heads are one
``Linear(D, D)`` each for Q, K and V; splitting its output into ``H`` chunks of
``Dh`` *is* the per-head projection.

Two paths compute the same function:

* ``need_weights=True`` (the readable path): our
  :func:`~gattut.attention.sdpa.scaled_dot_product_attention`, which returns
  the per-head weights ``(B, H, T, S)``.
* ``need_weights=False`` (the fast path):
  ``torch.nn.functional.scaled_dot_product_attention``, a fused kernel that
  never materialises the weights. The tests check that both paths agree.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gattut.attention._checks import (
    check_mask,
    check_mha_args,
    check_nonempty,
    check_query_key_value,
    check_tensor,
    check_width,
    reject_renamed,
)
from gattut.attention.masks import causal_mask
from gattut.attention.sdpa import scaled_dot_product_attention

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(nn.Module):
    r"""Multi-head attention with a readable path and a fused fast path.

    .. math::

        q = \text{query} W_q + b_q,\ k = \text{key} W_k + b_k,\ v = \text{value} W_v + b_v
        \ \text{(split into } H \text{ heads of width } D_h = D/H \text{ by default)},

        \text{out}_h = \mathrm{masked\_softmax}\!\left(q_h k_h^\top / \sqrt{D_h}\right) v_h,
        \qquad \text{output} = [\text{out}_1; \dots; \text{out}_H] W_o + b_o

    Args:
        d_model: width ``D`` of the query and of the output.
        num_heads: ``H``; must divide ``d_model`` unless ``key_dim`` is given.
        dropout: dropout on the attention weights (training only).
        bias: whether the four projections have biases.
        kdim, vdim: input widths of ``key`` and ``value`` when they differ
            from ``d_model`` (``torch.nn.MultiheadAttention``'s names).
        key_dim: the per-head width ``Dh`` of queries, keys and values
            (``keras.layers.MultiHeadAttention``'s name and meaning); by default
            ``d_model // num_heads``. With another value the projections are
            ``H * Dh`` wide and ``out_proj`` maps ``H * Dh`` back to ``D``.

    Parameters: ``q_proj``, ``k_proj``, ``v_proj``, ``out_proj`` (``nn.Linear``).

    ``forward(query, key, value, mask=None, causal=False, need_weights=True,
    key_mask=None) -> (output, weights)``. Three ways to say what each
    query may see, all bool with ``True`` = may attend, combined with AND:

    * ``mask``: a 2-D mask is ``(T, S)`` (shared by the batch and the heads),
      a 3-D mask is ``(B, T, S)`` (shared by the heads), a 4-D mask must
      broadcast to ``(B, H, T, S)``.
    * ``key_mask``: ``(B, S)``, ``True`` for real (non-padding) keys.
      This separate argument is how a ``(B, S)`` padding mask is told apart
      from a ``(T, S)`` mask. It is not called ``key_padding_mask`` because
      ``torch.nn.MultiheadAttention``'s argument of that name means the
      opposite (``True`` = ignore: pass it ``~key_mask``); the old name raises
      a ``TypeError`` that says so.
    * ``causal=True``: query ``t`` sees keys ``s <= t``.

    A query row that may see nothing gets zero weights and a zero attention
    output on both paths (so the layer's output there is ``out_proj.bias``).
    ``need_weights=False`` returns ``(output, None)``. The returned weights
    are before dropout.

    Shapes:
        query ``(B, T, D)``, key ``(B, S, kdim)``, value ``(B, S, vdim)``
        -> output ``(B, T, D)``, weights ``(B, H, T, S)`` (or ``None``).
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
    ):
        super().__init__()
        self.d_model, self.num_heads, self.d_head, self.kdim, self.vdim = check_mha_args(
            d_model, num_heads, dropout, kdim, vdim, key_dim
        )
        self.dropout = dropout
        width = num_heads * self.d_head  # H * Dh, = D unless key_dim says otherwise
        self.q_proj = nn.Linear(d_model, width, bias=bias)
        self.k_proj = nn.Linear(self.kdim, width, bias=bias)
        self.v_proj = nn.Linear(self.vdim, width, bias=bias)
        self.out_proj = nn.Linear(width, d_model, bias=bias)

    def _check(self, query, key, value) -> None:
        check_tensor(query, "query", (3,), "(B, T, D)")
        check_tensor(key, "key", (3,), "(B, S, Dk)")
        check_tensor(value, "value", (3,), "(B, S, Dv)")
        check_width(query, "query", self.d_model)
        check_width(key, "key", self.kdim)
        check_width(value, "value", self.vdim)
        check_query_key_value(query, key, value)
        check_nonempty(query, "query", 1, "length T")

    def combine_masks(
        self,
        B: int,
        T: int,
        S: int,
        mask: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        causal: bool = False,
        device: torch.device | None = None,
    ) -> torch.Tensor | None:
        """AND together ``mask``, ``key_mask`` and the causal mask.

        Returns ``None`` if there is nothing to mask, else a bool tensor
        broadcastable to ``(B, H, T, S)``.
        """
        H = self.num_heads
        combined = None
        if mask is not None:
            if isinstance(mask, torch.Tensor) and mask.dim() == 3:
                # A 3-D mask is per example, (B, T, S), shared by the heads.
                check_mask(mask, (B, T, S), "mask", "(B, T, S)")
                mask = mask.unsqueeze(1)  # (B, 1, T, S)
            else:
                check_mask(mask, (B, H, T, S), "mask", "(B, H, T, S)")
            combined = mask
        if key_mask is not None:
            check_mask(key_mask, (B, S), "key_mask", "(B, S)")
            padding = key_mask.expand(B, S)[:, None, None, :]  # (B, 1, 1, S)
            combined = padding if combined is None else combined & padding
        if causal:
            future = causal_mask(T, S, device=device)  # (T, S)
            combined = future if combined is None else combined & future
        return combined

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
        causal: bool = False,
        need_weights: bool = True,
        key_mask: torch.Tensor | None = None,
        **kwargs,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        reject_renamed("MultiHeadAttention", kwargs)
        self._check(query, key, value)
        B, T, D = query.shape
        S = key.shape[1]
        H, Dh = self.num_heads, self.d_head
        # What each query may see, checked before any work. Without masks the fast
        # path needs none: the fused kernel builds the causal mask itself.
        masked = mask is not None or key_mask is not None
        combined = None
        if need_weights or masked:
            combined = self.combine_masks(B, T, S, mask, key_mask, causal, query.device)

        # 1) project, and split the width D into H heads of width Dh.
        q = self.q_proj(query).view(B, T, H, Dh).transpose(1, 2)  # (B, H, T, Dh)
        k = self.k_proj(key).view(B, S, H, Dh).transpose(1, 2)  # (B, H, S, Dh)
        v = self.v_proj(value).view(B, S, H, Dh).transpose(1, 2)  # (B, H, S, Dh)

        # 2) attend, every head at once.
        dropout = self.dropout if self.training else 0.0
        if need_weights:
            out, weights = scaled_dot_product_attention(q, k, v, combined, dropout)  # (B, H, T, Dh)
        elif not masked:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=causal)
            weights = None
        else:
            # Fused kernels may return NaN for a row with no True entry (it depends on the
            # torch version and backend; CPU torch 2.13 gives zeros). Let such a
            # row see everything (finite, no NaN in values or gradients), then zero it.
            has_any = combined.any(dim=-1, keepdim=True)  # (..., T or 1, 1)
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=combined | ~has_any, dropout_p=dropout
            )  # (B, H, T, Dh)
            out = out * has_any
            weights = None

        # 3) merge heads back into width H * Dh (= D by default) and mix them into D.
        out = out.transpose(1, 2).reshape(B, T, H * Dh)  # (B, T, H * Dh)
        return self.out_proj(out), weights
