"""Checkers for chapter 6, multi-head attention."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gattut.attention import MultiHeadAttention
from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed

__all__ = ["check_split_heads", "check_to_torch"]


def check_split_heads(fn: Callable) -> str:
    """Check ``fn(x, num_heads) -> (B, H, T, Dh)``: head ``h`` holds columns ``h*Dh .. (h+1)*Dh``."""
    B, T, H, Dh = 2, 3, 4, 5
    x = torch.arange(B * T * H * Dh, dtype=torch.float32).reshape(B, T, H * Dh)  # (B, T, D)
    expected = x.view(B, T, H, Dh).transpose(1, 2)  # (B, H, T, Dh)
    heads = call(fn, x, H, what="your split_heads")
    if isinstance(heads, torch.Tensor) and tuple(heads.shape) == (B, T, H, Dh):
        raise ExerciseError(
            f"the result has shape (B, T, H, Dh) = {(B, T, H, Dh)}: swap the T and H axes "
            "(transpose(1, 2)) so that each head holds a whole sequence"
        )
    expect_shape(heads, (B, H, T, Dh), "the heads")
    if torch.equal(heads, x.reshape(B, H, T, Dh)):
        raise ExerciseError(
            "you reshaped (B, T, D) straight to (B, H, T, Dh): that deals the positions out "
            "to the heads and mixes tokens. Reshape to (B, T, H, Dh) first, then transpose(1, 2)"
        )
    if torch.equal(heads, x.view(B, T, Dh, H).permute(0, 3, 1, 2)):
        raise ExerciseError(
            "each head got every H-th column (strided). Head h must hold the contiguous "
            "columns h*Dh .. (h+1)*Dh - 1: reshape to (B, T, H, Dh), not (B, T, Dh, H)"
        )
    expect_close(heads, expected, "the heads")
    return passed("(B, T, D) -> (B, T, H, Dh) -> (B, H, T, Dh), each head a contiguous slice.")


def check_to_torch(fn: Callable) -> str:
    """Check ``fn(ours) -> torch.nn.MultiheadAttention(batch_first=True)`` computing the same layer.

    ``ours`` is a :class:`gattut.attention.MultiHeadAttention`; the checker
    compares the copied parameters block by block, then the outputs and the
    per-head weights on a padded batch.
    """
    D, H = 8, 2
    with torch.random.fork_rng():  # seed locally, leave the reader's random state alone
        torch.manual_seed(6)
        ours = MultiHeadAttention(D, H)
        x = torch.randn(2, 5, D)
    theirs = call(fn, ours, what="your to_torch")
    if not isinstance(theirs, nn.MultiheadAttention):
        raise ExerciseError(
            f"your to_torch should return a torch.nn.MultiheadAttention, got {type(theirs).__name__}"
        )
    if not theirs.batch_first:
        raise ExerciseError("build it with batch_first=True, so it takes (B, T, D) like ours")
    if theirs.embed_dim != D or theirs.num_heads != H or theirs.in_proj_weight is None:
        raise ExerciseError(
            f"build it as nn.MultiheadAttention({D}, {H}, batch_first=True), got "
            f"embed_dim={theirs.embed_dim}, num_heads={theirs.num_heads}"
        )
    blocks = dict(zip("qkv", theirs.in_proj_weight.detach().split(D), strict=True))
    for name, proj in [("q", ours.q_proj), ("k", ours.k_proj), ("v", ours.v_proj)]:
        if not torch.equal(blocks[name], proj.weight.detach()):
            where = [n for n, b in blocks.items() if torch.equal(b, proj.weight.detach())]
            hint = f" (it is in the {where[0]} block)" if where else ""
            raise ExerciseError(
                f"in_proj_weight must stack [q_proj.weight; k_proj.weight; v_proj.weight] in "
                f"that order: the {name} block does not hold {name}_proj.weight{hint}"
            )
    bias = torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]).detach()
    if theirs.in_proj_bias is None or not torch.equal(theirs.in_proj_bias.detach(), bias):
        raise ExerciseError("in_proj_bias must be the three biases, stacked in the order q, k, v")
    if not torch.equal(theirs.out_proj.weight.detach(), ours.out_proj.weight.detach()) or not (
        torch.equal(theirs.out_proj.bias.detach(), ours.out_proj.bias.detach())
    ):
        raise ExerciseError("out_proj.weight and out_proj.bias must be copied from ours.out_proj")
    real = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])  # (B, S), True = real key
    with torch.no_grad():
        expected, expected_weights = ours(x, x, x, key_mask=real)
        output, weights = theirs(x, x, x, key_padding_mask=~real, average_attn_weights=False)
    expect_shape(weights, (2, H, 5, 5), "torch's per-head weights")
    expect_close(weights, expected_weights, "torch's weights")
    expect_close(output, expected, "torch's output")
    return passed("in_proj_weight = [Wq; Wk; Wv], biases likewise, out_proj copied: same layer.")
