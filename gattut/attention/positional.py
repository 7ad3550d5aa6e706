r"""Positional information: absolute (sinusoidal, learned), relative, rotary.

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

Every table and layer here takes its sizes in one order, the order of the
table's shape: the number of positions first, then the width
(``sinusoidal_encoding(length, d_model)``, ``SinusoidalPositionalEncoding(max_len,
d_model)``, ``LearnedPositionalEncoding(max_len, d_model)``,
``RelativePositionEmbedding(max_distance, d)``), as ``nn.Embedding(num, dim)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gattut.attention._checks import (
    check_mask,
    check_rate,
    check_same_dtype,
    check_size,
    check_tensor,
    check_width,
)
from gattut.attention.masks import masked_softmax

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


# The argument checks below look only at Python values; the Keras twins use them too.


def check_even_width(width, name: str) -> None:
    if isinstance(width, bool) or not isinstance(width, int) or width <= 0 or width % 2:
        raise ValueError(f"{name} must be a positive even number, got {width!r}")


def check_layout(layout: str, d_model: int) -> None:
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    check_even_width(d_model, "d_model")


def check_base(base: float) -> None:
    """The wavelength base of sinusoidal and rotary encodings must be a number above 1."""
    if isinstance(base, bool) or not isinstance(base, int | float) or not base > 1:
        raise ValueError(f"base must be a number > 1 (10000 in the papers), got {base!r}")


def check_table_args(length: int, d_model: int, layout: str, base: float) -> None:
    """The arguments of :func:`sinusoidal_encoding` (both frameworks)."""
    check_layout(layout, d_model)
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be a non-negative int, got {length!r}")
    check_base(base)


def sinusoidal_encoding(
    length: int, d_model: int, layout: str = "interleaved", base: float = 10000.0
) -> torch.Tensor:
    r"""Fixed sinusoidal position encodings.

    With angle :math:`\theta_{p,i} = p / b^{2i/D}` for position ``p`` and
    frequency index ``i = 0 .. D/2 - 1``:

    * ``"interleaved"`` (the Transformer paper): column ``2i`` is
      :math:`\sin\theta_{p,i}`, column ``2i + 1`` is :math:`\cos\theta_{p,i}`;
    * ``"sin_cos"``: columns ``[0, D/2)`` are the sines, ``[D/2, D)`` the cosines;
    * ``"cos_sin"``: the cosines first, then the sines.

    Shapes:
        returns ``(length, d_model)``.
    """
    check_table_args(length, d_model, layout, base)
    positions = torch.arange(length, dtype=torch.float64).unsqueeze(1)  # (L, 1)
    inv_freq = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (D/2,)
    angles = positions * inv_freq  # (L, D/2)
    sin, cos = torch.sin(angles), torch.cos(angles)
    if layout == "interleaved":
        pe = torch.stack([sin, cos], dim=-1).reshape(length, d_model)  # (L, D)
    elif layout == "sin_cos":
        pe = torch.cat([sin, cos], dim=-1)  # (L, D)
    else:
        pe = torch.cat([cos, sin], dim=-1)  # (L, D)
    return pe.to(torch.get_default_dtype())


def _column_of(layout: str, d_model: int) -> torch.Tensor:
    """For each (kind, i), kind 0 = sin and 1 = cos, the column that holds it: ``(2, D/2)``."""
    half = d_model // 2
    i = torch.arange(half)
    if layout == "interleaved":
        return torch.stack([2 * i, 2 * i + 1])  # (2, D/2)
    if layout == "sin_cos":
        return torch.stack([i, half + i])  # (2, D/2)
    return torch.stack([half + i, i])  # cos_sin, (2, D/2)


def layout_permutation(from_layout: str, to_layout: str, d_model: int) -> torch.Tensor:
    """The column permutation that turns one sinusoidal layout into another.

    ``sinusoidal_encoding(L, D, to_layout) == sinusoidal_encoding(L, D, from_layout)[:, perm]``.
    Column ``c`` of the target holds some ``(sin or cos, i)``; ``perm[c]`` is
    the column of the source that holds the same ``(sin or cos, i)``.

    Shapes:
        returns ``perm`` ``(d_model,)``, a LongTensor.
    """
    check_layout(from_layout, d_model)
    check_layout(to_layout, d_model)
    source = _column_of(from_layout, d_model).flatten()  # (D,) column in source of (kind, i)
    target = _column_of(to_layout, d_model).flatten()  # (D,) column in target of (kind, i)
    perm = torch.empty(d_model, dtype=torch.long)
    perm[target] = source
    return perm


class SinusoidalPositionalEncoding(nn.Module):
    r"""Add fixed sinusoidal encodings to a sequence: ``dropout(x + PE[:T])``.

    The table ``pe`` ``(max_len, D)`` is a buffer, not a parameter. Scaling the
    token embeddings by :math:`\sqrt{D}` beforehand (as the Transformer does)
    is the caller's choice, not done here.

    Shapes:
        x ``(B, T, D)`` with ``T <= max_len`` -> ``(B, T, D)``.
    """

    def __init__(
        self, max_len: int, d_model: int, layout: str = "interleaved", dropout: float = 0.0
    ):
        super().__init__()
        check_size(max_len, "max_len")
        check_rate(dropout)
        self.d_model, self.max_len, self.layout = d_model, max_len, layout
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model, layout), persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_sequence(x, self.d_model, self.max_len)
        T = x.shape[1]
        return self.dropout(x + self.pe[:T].to(x.dtype))  # (B, T, D)


class LearnedPositionalEncoding(nn.Module):
    """Add a trainable vector per position: ``dropout(x + P[:T])``, ``P`` an ``nn.Embedding``.

    Shapes:
        x ``(B, T, D)`` with ``T <= max_len`` -> ``(B, T, D)``.
    """

    def __init__(self, max_len: int, d_model: int, dropout: float = 0.0):
        super().__init__()
        self.max_len, self.d_model = check_size(max_len, "max_len"), check_size(d_model, "d_model")
        check_rate(dropout)
        self.embedding = nn.Embedding(max_len, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_sequence(x, self.d_model, self.max_len)
        positions = torch.arange(x.shape[1], device=x.device)  # (T,)
        return self.dropout(x + self.embedding(positions))  # (B, T, D)


def _check_sequence(x: torch.Tensor, d_model: int, max_len: int) -> None:
    check_tensor(x, "x", (3,), "(B, T, D)")
    if x.shape[-1] != d_model and x.shape[-1] == max_len:
        raise ValueError(
            f"x has width {x.shape[-1]}, the layer's max_len, not its d_model={d_model}: "
            "positional encodings take (max_len, d_model), in the order of their table's shape"
        )
    check_width(x, "x", d_model)
    if x.shape[1] > max_len:
        raise ValueError(
            f"x has length T={x.shape[1]} (shape {tuple(x.shape)}) > max_len={max_len}"
        )


class RelativePositionEmbedding(nn.Module):
    r"""Learned embeddings of clipped relative offsets (Shaw et al., 2018).

    .. math::

        a_{ts} = w_{\mathrm{clip}(s - t,\, -k,\, k)}, \qquad w \in \mathbb{R}^{(2k + 1) \times d}

    with ``k = max_distance``: offsets further than ``k`` share one vector.
    ``forward(T, S=None)`` returns the table of ``a_{ts}``; pass one table as
    ``rel_k`` (and another module's as ``rel_v``) to :func:`relative_attention`.

    Shapes:
        returns ``(T, S, d)``, ``S = T`` by default.
    """

    def __init__(self, max_distance: int, d: int):
        super().__init__()
        check_size(max_distance, "max_distance", minimum=0)
        self.max_distance, self.d = max_distance, check_size(d, "d")
        self.embedding = nn.Embedding(2 * max_distance + 1, d)

    def forward(self, T: int, S: int | None = None) -> torch.Tensor:
        S = T if S is None else S
        check_size(T, "T")
        check_size(S, "S")
        device = self.embedding.weight.device
        offsets = torch.arange(S, device=device) - torch.arange(T, device=device).unsqueeze(
            1
        )  # (T, S)
        index = offsets.clamp(-self.max_distance, self.max_distance) + self.max_distance  # (T, S)
        return self.embedding(index)  # (T, S, d)


def relative_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    rel_k: torch.Tensor,
    rel_v: torch.Tensor | None = None,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
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
    check_tensor(q, "q", range(2, 9), "(..., T, Dh)")
    check_tensor(k, "k", range(2, 9), "(..., S, Dh)")
    check_tensor(v, "v", range(2, 9), "(..., S, Dv)")
    check_tensor(rel_k, "rel_k", (3,), "(T, S, Dh)")
    if rel_v is not None:
        check_tensor(rel_v, "rel_v", (3,), "(T, S, Dv)")
    check_same_dtype(q=q, k=k, v=v, rel_k=rel_k, rel_v=rel_v)
    T, Dh = q.shape[-2:]
    S = k.shape[-2]
    if k.shape[-1] != Dh or k.shape[:-1] != v.shape[:-1] or q.shape[:-2] != k.shape[:-2]:
        raise ValueError(
            f"expected q (..., T, Dh), k (..., S, Dh), v (..., S, Dv), got q {tuple(q.shape)}, "
            f"k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    if tuple(rel_k.shape) != (T, S, Dh):
        raise ValueError(
            f"rel_k must have shape (T, S, Dh) = {(T, S, Dh)}, got {tuple(rel_k.shape)}"
        )
    if rel_v is not None and tuple(rel_v.shape) != (T, S, v.shape[-1]):
        raise ValueError(
            f"rel_v must have shape (T, S, Dv) = {(T, S, v.shape[-1])}, got {tuple(rel_v.shape)}"
        )
    if mask is not None:
        check_mask(mask, (*q.shape[:-2], T, S), "mask", "(..., T, S)")

    content = q @ k.transpose(-2, -1)  # (..., T, S)
    # Query t meets its own row of offsets rel_k[t]: a batched matmul over t.
    position = torch.einsum("...td,tsd->...ts", q, rel_k)  # (..., T, S)
    weights = masked_softmax((content + position) / math.sqrt(Dh), mask)  # (..., T, S)
    output = weights @ v  # (..., T, Dv)
    if rel_v is not None:
        output = output + torch.einsum("...ts,tsd->...td", weights, rel_v)  # (..., T, Dv)
    return output, weights


def _check_positions(positions, x) -> None:
    """RoPE positions: a tensor that broadcasts to ``x``'s leading axes ``(..., T)``."""
    if not isinstance(positions, torch.Tensor):
        raise ValueError(f"positions must be a tensor (T,), got {type(positions).__name__}")
    try:
        shape = torch.broadcast_shapes(tuple(positions.shape), tuple(x.shape[:-1]))
    except RuntimeError:
        shape = None
    if shape != tuple(x.shape[:-1]):
        raise ValueError(
            f"positions of shape {tuple(positions.shape)} does not broadcast to x's "
            f"(..., T) = {tuple(x.shape[:-1])}"
        )


class RotaryEmbedding(nn.Module):
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

    ``apply_rotary(x, positions=None)`` (also ``forward``): positions
    default to ``0 .. T-1``.

    Shapes:
        x ``(..., T, Dh)``, positions ``(T,)`` or broadcastable to ``(..., T)``
        -> ``(..., T, Dh)``.
    """

    def __init__(self, d_head: int, base: float = 10000.0):
        super().__init__()
        check_even_width(d_head, "d_head")
        check_base(base)
        self.d_head, self.base = d_head, base
        inv_freq = base ** (-torch.arange(0, d_head, 2, dtype=torch.float64) / d_head)  # (Dh/2,)
        self.register_buffer("inv_freq", inv_freq.to(torch.get_default_dtype()), persistent=False)

    @staticmethod
    def rotate_half(x: torch.Tensor) -> torch.Tensor:
        """``[x1; x2] -> [-x2; x1]`` on the last axis: a 90-degree turn of each pair."""
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat([-x2, x1], dim=-1)

    def apply_rotary(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        check_tensor(x, "x", range(2, 9), "(..., T, Dh)")
        check_width(x, "x", self.d_head)
        T = x.shape[-2]
        if positions is None:
            positions = torch.arange(T, device=x.device)
        _check_positions(positions, x)
        angles = positions.to(x.dtype).unsqueeze(-1) * self.inv_freq.to(x.dtype)  # (..., T, Dh/2)
        angles = torch.cat([angles, angles], dim=-1)  # (..., T, Dh)
        return x * torch.cos(angles) + self.rotate_half(x) * torch.sin(angles)

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None) -> torch.Tensor:
        return self.apply_rotary(x, positions)
