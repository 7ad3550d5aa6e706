"""The two metrics of the GAT paper: accuracy (one class a node) and micro-F1 (many labels a node).

Accuracy is the fraction of nodes whose arg-max logit is their class:

    ``acc = (1 / N) sum_i [argmax_c logits_ic = y_i]``

Micro-F1 pools the true positives, false positives and false negatives of
every (node, label) pair before dividing, so frequent labels weigh more than
rare ones (the paper's PPI metric). A label is predicted when its logit is
positive, i.e. when ``sigmoid(logit) > 0.5``:

    ``F1 = 2 TP / (2 TP + FP + FN)``

which equals ``2 P R / (P + R)`` with precision ``P = TP / (TP + FP)`` and
recall ``R = TP / (TP + FN)``. With nothing predicted and nothing true the
score is defined as 1 (a perfect empty prediction) rather than 0 / 0.
"""

from __future__ import annotations

from torch import Tensor

__all__ = ["accuracy", "f1_counts", "micro_f1"]


def accuracy(logits: Tensor, y: Tensor) -> float:
    """Fraction of rows whose arg-max is the label.

    Shapes:
        logits: (N, C); y: (N,) integer classes -> a Python float in [0, 1].
    """
    if logits.dim() != 2 or y.dim() != 1 or logits.shape[0] != y.shape[0]:
        raise ValueError(
            f"accuracy expects logits (N, C) and y (N,), got {tuple(logits.shape)} and {tuple(y.shape)}"
        )
    if y.numel() == 0:
        raise ValueError("accuracy of an empty set is undefined (N = 0)")
    return float((logits.argmax(dim=1) == y).float().mean())


def f1_counts(logits: Tensor, y: Tensor) -> tuple[int, int, int]:
    """The pooled ``(TP, FP, FN)`` of multi-label predictions ``logits > 0``.

    Sum the counts of several batches, then call :func:`micro_f1` on the
    totals: that is micro-F1 over the union of the batches.

    Shapes:
        logits: (N, C); y: (N, C) 0/1 -> three Python ints.
    """
    if logits.dim() != 2 or logits.shape != y.shape:
        raise ValueError(
            f"f1_counts expects logits and y of the same (N, C) shape, "
            f"got {tuple(logits.shape)} and {tuple(y.shape)}"
        )
    predicted = logits > 0
    truth = y > 0.5
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    fn = int((~predicted & truth).sum())
    return tp, fp, fn


def micro_f1(logits: Tensor | tuple[int, int, int], y: Tensor | None = None) -> float:
    """Micro-averaged F1 of multi-label predictions ``logits > 0``, or of pooled counts.

    Call it as ``micro_f1(logits, y)`` or as ``micro_f1((tp, fp, fn))`` with
    counts summed over batches by :func:`f1_counts`.

    Shapes:
        logits: (N, C); y: (N, C) 0/1 -> a Python float in [0, 1].
    """
    if isinstance(logits, tuple):
        tp, fp, fn = logits
    else:
        if y is None:
            raise ValueError("micro_f1(logits, y) needs y (N, C); or pass counts (tp, fp, fn)")
        tp, fp, fn = f1_counts(logits, y)
    denominator = 2 * tp + fp + fn
    return 1.0 if denominator == 0 else 2 * tp / denominator

