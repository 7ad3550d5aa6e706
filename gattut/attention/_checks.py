"""Input checks shared by the attention modules.

Every public entry point validates its arguments here, so that a learner who
passes the wrong shape sees a ``ValueError`` naming the shapes seen and
expected, not a broadcasting error from deep inside a matmul.
"""

from __future__ import annotations

from collections.abc import Container

import torch

__all__ = [
    "check_rate",
    "check_same_dtype",
    "check_size",
    "check_tensor",
    "check_mask",
    "check_mha_args",
    "check_query_key_value",
    "reject_renamed",
    "check_same_batch",
    "check_width",
    "check_nonempty",
]


def check_tensor(x: torch.Tensor, name: str, ndims: Container[int], layout: str) -> None:
    """Raise unless ``x`` is a floating tensor with one of the ranks in ``ndims``."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor {layout}, got {type(x).__name__}")
    if x.dim() not in ndims:
        raise ValueError(f"{name} must have shape {layout}, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating tensor, got dtype {x.dtype}")


# The checks below look only at Python numbers, shapes and dtypes, so the Keras
# twins (gattut.tf.attention) use them too.


def check_size(value, name: str, minimum: int = 1) -> int:
    """Raise unless ``value`` is an int (not a bool) of at least ``minimum``; return it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return value


def check_rate(value, name: str = "dropout") -> float:
    """Raise unless ``value`` is a probability in ``[0, 1)`` (a dropout rate); return it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def check_same_dtype(**tensors) -> None:
    """Raise unless all tensors have one dtype (a matmul of float32 by float64 fails deep inside)."""
    dtypes = {name: t.dtype for name, t in tensors.items() if t is not None}
    if len(set(dtypes.values())) > 1:
        seen = ", ".join(f"{name} {getattr(d, 'name', d)}" for name, d in dtypes.items())
        raise ValueError(f"dtypes differ: {seen}; convert them to one dtype first")


def check_width(x: torch.Tensor, name: str, expected: int) -> None:
    """Raise unless the last dimension of ``x`` is ``expected``."""
    if x.shape[-1] != expected:
        raise ValueError(
            f"{name} has width {x.shape[-1]} (shape {tuple(x.shape)}), expected width {expected}"
        )


def check_same_batch(**tensors: torch.Tensor) -> None:
    """Raise unless all tensors share their first (batch) dimension."""
    sizes = {name: t.shape[0] for name, t in tensors.items()}
    if len(set(sizes.values())) > 1:
        seen = ", ".join(f"{name} {tuple(t.shape)}" for name, t in tensors.items())
        raise ValueError(f"batch sizes differ: {seen}")


def check_nonempty(x: torch.Tensor, name: str, dim: int, what: str) -> None:
    """Raise if ``x`` has zero length along ``dim`` (an empty sequence)."""
    if x.shape[dim] == 0:
        raise ValueError(
            f"{name} has zero {what} (shape {tuple(x.shape)}); sequences must be non-empty"
        )


def check_mask(
    mask: torch.Tensor, target: tuple[int, ...], name: str = "mask", layout: str = ""
) -> None:
    """Raise unless ``mask`` is a bool tensor that broadcasts to ``target`` without enlarging it."""
    if not isinstance(mask, torch.Tensor):
        raise ValueError(f"{name} must be a bool torch.Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise ValueError(
            f"{name} must have dtype torch.bool (True = may attend), got {mask.dtype}; "
            f"convert with `{name}.bool()` after checking its polarity"
        )
    where = f" {layout}" if layout else ""
    try:
        shape = torch.broadcast_shapes(tuple(mask.shape), tuple(target))
    except RuntimeError:
        shape = None
    if shape != tuple(target):
        raise ValueError(
            f"{name} of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
            f"{tuple(target)}{where}"
        )


def check_query_key_value(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> None:
    """One dtype, one batch, keys and values of one non-zero length S."""
    check_same_dtype(query=query, key=key, value=value)
    check_same_batch(query=query, key=key, value=value)
    if key.shape[1] != value.shape[1]:
        raise ValueError(
            f"key and value must have the same length S, got key {tuple(key.shape)} "
            f"and value {tuple(value.shape)}"
        )
    check_nonempty(key, "key", 1, "length S")


def prepare_seq_inputs(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor | None,
    mask: torch.Tensor | None,
    widths: tuple[int, int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, bool]:
    """Validate the inputs of a sequence-to-sequence attention layer.

    The query may be one decoder step ``(B, Dq)`` or a sequence ``(B, T, Dq)``;
    a one-step query is lifted to ``(B, 1, Dq)`` and the caller squeezes the
    outputs back (the returned flag says so). ``value`` defaults to ``key``.
    A 2-D ``mask`` is always a key padding mask ``(B, S)`` and is lifted to
    ``(B, 1, S)``; a 3-D mask must broadcast to ``(B, T, S)``. ``widths``, if
    given, is the layer's ``(Dq, Dk)``, checked here before any score is computed.

    Returns ``(query (B, T, Dq), value (B, S, Dv), mask or None, one_step)``.
    """
    check_tensor(query, "query", (2, 3), "(B, Dq) or (B, T, Dq)")
    check_tensor(key, "key", (3,), "(B, S, Dk)")
    if value is None:
        value = key
    check_tensor(value, "value", (3,), "(B, S, Dv)")
    check_query_key_value(query, key, value)
    if widths is not None:
        check_width(query, "query", widths[0])
        check_width(key, "key", widths[1])
    one_step = query.dim() == 2
    if one_step:
        query = query.unsqueeze(1)  # (B, 1, Dq)
    check_nonempty(query, "query", 1, "length T")
    B, T, _ = query.shape
    S = key.shape[1]
    if mask is not None:
        if isinstance(mask, torch.Tensor) and mask.dim() == 2:
            check_mask(mask, (B, S), "mask", "(B, S) key padding mask")
            mask = mask.unsqueeze(1)  # (B, 1, S)
        else:
            check_mask(mask, (B, T, S), "mask", "(B, T, S)")
    return query, value, mask, one_step


def check_mha_args(
    d_model: int,
    num_heads: int,
    dropout: float,
    kdim: int | None,
    vdim: int | None,
    key_dim: int | None,
) -> tuple[int, int, int, int, int]:
    """Validate multi-head attention's sizes (both frameworks); return ``(D, H, Dh, kdim, vdim)``."""
    check_size(d_model, "d_model")
    check_size(num_heads, "num_heads")
    for name, size in (("kdim", kdim), ("vdim", vdim), ("key_dim", key_dim)):
        if size is not None:
            check_size(size, name)
    if key_dim is None and d_model % num_heads != 0:
        raise ValueError(
            f"num_heads must divide d_model, got d_model={d_model}, num_heads={num_heads} "
            f"(d_model % num_heads = {d_model % num_heads}); or give the per-head width key_dim"
        )
    check_rate(dropout)
    d_head = d_model // num_heads if key_dim is None else key_dim
    return d_model, num_heads, d_head, kdim or d_model, vdim or d_model


RENAMED = {
    "key_padding_mask": (
        "key_mask",
        "True = may attend (a real key), the package's one mask convention. "
        "torch.nn.MultiheadAttention's key_padding_mask means the opposite (True = ignore), "
        "so the old name was easy to invert without noticing. Pass key_mask=<True for real "
        "keys>; a mask written for PyTorch becomes key_mask=~key_padding_mask",
    ),
    "d_key": ("kdim", "the input width of key, as in torch.nn.MultiheadAttention"),
    "d_value": ("vdim", "the input width of value, as in torch.nn.MultiheadAttention"),
}


def reject_renamed(where: str, kwargs: dict) -> None:
    """Raise ``TypeError`` for any keyword left in ``kwargs``, explaining renamed arguments."""
    for name in kwargs:
        if name in RENAMED:
            new, meaning = RENAMED[name]
            raise TypeError(f"{where}: `{name}` was renamed `{new}`: {meaning}.")
        raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
