"""Checkers for chapter 14, beyond GAT: GATv2 scores and the Transformer's attention graph."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from gattut.attention import MultiHeadAttention
from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed
from gattut.graph import edge_softmax

__all__ = ["check_attention_graph", "check_gatv2_scores"]


def check_gatv2_scores(fn: Callable) -> str:
    """Check ``fn(x_i, x_j, att, negative_slope) -> (E, H)``, ``e = a^T LeakyReLU(x_i + x_j)`` per head."""
    gen = torch.Generator().manual_seed(14)
    E, H, C, slope = 9, 3, 4, 0.2
    x_i = torch.randn(E, H, C, generator=gen, dtype=torch.float64)
    x_j = torch.randn(E, H, C, generator=gen, dtype=torch.float64)
    att = torch.randn(1, H, C, generator=gen, dtype=torch.float64)
    scores = call(fn, x_i, x_j, att, slope, what="your gatv2_scores")
    expect_shape(scores, (E, H), "the scores")
    wrong = {
        "the LeakyReLU is applied after the dot product with a: that is GAT's (static) score. "
        "GATv2 applies it first: a^T LeakyReLU(x_i + x_j)":
            F.leaky_relu(((x_i + x_j) * att).sum(-1), slope),
        "the LeakyReLU is missing: without it the score is a sum of an i term and a j term, "
        "which is static again": ((x_i + x_j) * att).sum(-1),
        "this is a ReLU, not a LeakyReLU: negative entries must be multiplied by negative_slope":
            (F.relu(x_i + x_j) * att).sum(-1),
    }
    for words, values in wrong.items():
        if torch.allclose(scores.to(values.dtype), values, atol=1e-6):
            raise ExerciseError(words)
    expect_close(scores, (F.leaky_relu(x_i + x_j, slope) * att).sum(-1), "the scores", atol=1e-6)
    return passed("e_ij = a^T LeakyReLU(W_r h_i + W_l h_j), one score per edge and head.")


def _self_attention(edge_index: torch.Tensor, x: torch.Tensor, mha: MultiHeadAttention):
    N, D = x.shape
    H, Dh = mha.num_heads, mha.d_head
    q, k, v = (p(x).view(N, H, Dh) for p in (mha.q_proj, mha.k_proj, mha.v_proj))
    j, i = edge_index[0], edge_index[1]
    alpha = edge_softmax((q[i] * k[j]).sum(-1) / math.sqrt(Dh), i, N)  # (E, H)
    out = torch.zeros(N, H, Dh, dtype=x.dtype).index_add(0, i, alpha[:, :, None] * v[j])
    return mha.out_proj(out.reshape(N, D))


def check_attention_graph(fn: Callable) -> str:
    """Check ``fn(N, causal=False) -> (2, E)``: every ``j -> i`` (or only ``j <= i``), self-loops included.

    Edge order does not matter; the checker compares edge sets, then runs
    attention on the graph and compares it with :class:`MultiHeadAttention`.
    """
    N = 5
    for causal in (False, True):
        label = "the causal graph" if causal else "the complete graph"
        edge_index = call(fn, N, causal=causal, what=f"your attention_graph (causal={causal})")
        if not isinstance(edge_index, torch.Tensor) or edge_index.dim() != 2 or edge_index.shape[0] != 2:
            shape = tuple(edge_index.shape) if isinstance(edge_index, torch.Tensor) else type(edge_index)
            raise ExerciseError(f"{label} should be an edge_index of shape (2, E), got {shape}")
        if edge_index.is_floating_point():
            raise ExerciseError(f"{label} has dtype {edge_index.dtype}; node ids must be integers (long)")
        pairs = [tuple(p) for p in edge_index.t().tolist()]
        if len(set(pairs)) != len(pairs):
            raise ExerciseError(f"{label} lists some edge twice; each j -> i must appear once")
        expected = {(j, i) for i in range(N) for j in range(N) if not causal or j <= i}
        got = set(pairs)
        if not any(j == i for j, i in got):
            raise ExerciseError(
                f"{label} has no self-loops: in self-attention every token also attends to itself"
            )
        flipped = {(i, j) for j, i in expected}
        if causal and got == flipped:
            raise ExerciseError(
                "the causal graph points the wrong way: row 0 is the source j and row 1 the target "
                "i, and token i may attend to j <= i (the past), not to the future"
            )
        if got != expected:
            missing, extra = sorted(expected - got)[:3], sorted(got - expected)[:3]
            raise ExerciseError(
                f"{label} has the wrong edges (as (j, i)): missing e.g. {missing}, unexpected e.g. {extra}"
            )
    gen = torch.Generator().manual_seed(4)
    with torch.random.fork_rng():  # the layer's init must not move the reader's random state
        torch.manual_seed(4)
        mha = MultiHeadAttention(8, 2).double()
    x = torch.randn(N, 8, generator=gen, dtype=torch.float64)
    reference, _ = mha(x[None], x[None], x[None], causal=True)
    expect_close(_self_attention(fn(N, causal=True).long(), x, mha), reference[0],
                 "causal self-attention on your graph", atol=1e-8)  # fmt: skip
    return passed("self-attention is graph attention on the complete (or causal) graph.")
