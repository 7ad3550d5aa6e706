"""Checkers for chapter 13, inductive GAT: micro-F1 and an induced subgraph."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.exercises._check import ExerciseError, call, passed
from gattut.train import micro_f1

__all__ = ["check_induced_subgraph", "check_micro_f1"]


def check_micro_f1(fn: Callable) -> str:
    """Check ``fn(logits, labels) -> float``: pooled ``2 TP / (2 TP + FP + FN)`` with ``logits > 0``.

    The labels are unbalanced (some labels rare, some common), so macro-F1,
    plain accuracy and a 0.5 threshold on the logits all give other numbers.
    """
    gen = torch.Generator().manual_seed(13)
    N, C = 200, 8
    rates = torch.linspace(0.02, 0.6, C)  # rare to common labels
    labels = (torch.rand(N, C, generator=gen) < rates).float()
    logits = 2.0 * (labels - 0.5) + 1.2 * torch.randn(N, C, generator=gen)  # informative but noisy
    got = call(fn, logits, labels, what="your micro_f1")
    try:
        got = float(got)
    except (TypeError, ValueError):
        raise ExerciseError(f"micro_f1 should return a number, got {type(got).__name__}") from None
    expected = micro_f1(logits, labels)
    predicted, truth = logits > 0, labels > 0.5
    tp, fp, fn_ = (predicted & truth).sum(0), (predicted & ~truth).sum(0), (~predicted & truth).sum(0)
    wrong = {
        "this is macro-F1, the mean of one F1 per label; micro-F1 pools TP, FP and FN over all "
        "labels first, then computes a single F1": (2 * tp / (2 * tp + fp + fn_).clamp(min=1)).mean().item(),
        "this is the accuracy of all (node, label) pairs; F1 ignores the true negatives":
            (predicted == truth).float().mean().item(),
        "labels are predicted where sigmoid(logit) > 0.5, i.e. logit > 0; this thresholds the "
        "logits at 0.5": micro_f1(logits - 0.5, labels),
    }
    for words, value in wrong.items():
        if abs(got - value) < 1e-6 and abs(value - expected) > 1e-6:
            raise ExerciseError(words)
    if abs(got - expected) > 1e-6:
        raise ExerciseError(f"micro-F1 should be {expected:.4f} here, got {got:.4f}")
    return passed("TP, FP and FN pooled over every (node, label) pair, then 2TP / (2TP + FP + FN).")


def check_induced_subgraph(fn: Callable) -> str:
    """Check ``fn(edge_index, keep) -> (2, E')``: edges with both ends kept, renumbered in node order."""
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 5], [1, 2, 3, 4, 5, 0, 3, 2]])
    keep = torch.tensor([True, False, True, True, False, True])
    out = call(fn, edge_index, keep, what="your induced_subgraph")
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ExerciseError(f"the result should be an edge_index of shape (2, E'), got {shape}")
    new_id = torch.cumsum(keep.long(), 0) - 1
    both = keep[edge_index[0]] & keep[edge_index[1]]
    expected = new_id[edge_index[:, both]]
    either = keep[edge_index[0]] | keep[edge_index[1]]
    if out.shape[1] == int(either.sum()) and out.shape[1] != expected.shape[1]:
        raise ExerciseError(
            "edges with only one end kept are still there; an induced subgraph keeps an edge "
            "only when both its source and its target are kept"
        )
    if out.shape == expected.shape and torch.equal(out, edge_index[:, both]):
        raise ExerciseError(
            "the right edges, but not renumbered: the kept nodes must become 0 .. keep.sum() - 1 "
            "(new id = number of kept nodes before it)"
        )
    if out.shape != expected.shape or not torch.equal(out.long(), expected):
        raise ExerciseError(f"expected the edges {expected.tolist()}, got {out.tolist()}")
    return passed("edges with both ends kept, ids renumbered in node order.")
