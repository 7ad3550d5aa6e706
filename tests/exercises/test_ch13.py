"""The chapter 13 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.exercises import ExerciseError, ch13
from gattut.train import micro_f1


def _counts(logits, labels, dim=None):
    p, t = logits > 0, labels > 0.5
    if dim is None:
        return (p & t).sum(), (p & ~t).sum(), (~p & t).sum()
    return (p & t).sum(dim), (p & ~t).sum(dim), (~p & t).sum(dim)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda lo, la: (lambda tp, fp, fn: (2 * tp / (2 * tp + fp + fn).clamp(min=1)).mean().item())(
            *_counts(lo, la, 0)), "macro-F1"),
        (lambda lo, la: ((lo > 0) == (la > 0.5)).float().mean().item(), "accuracy"),
        (lambda lo, la: micro_f1(lo - 0.5, la), "0.5"),
        (lambda lo, la: micro_f1(lo, la) + 0.01, "should be"),
        (lambda lo, la: "high", "number"),
    ],
)
def test_micro_f1_checker(wrong, words):
    assert "passed" in ch13.check_micro_f1(micro_f1)
    with pytest.raises(ExerciseError, match=words):
        ch13.check_micro_f1(wrong)


def _induced(edge_index, keep, renumber=True, either=False):
    new_id = torch.cumsum(keep.long(), 0) - 1
    mask = keep[edge_index[0]] | keep[edge_index[1]] if either else keep[edge_index[0]] & keep[edge_index[1]]
    kept = edge_index[:, mask]
    return new_id[kept] if renumber else kept


def test_induced_subgraph_checker():
    assert "passed" in ch13.check_induced_subgraph(_induced)
    for wrong, words in [
        (lambda ei, k: _induced(ei, k, renumber=False), "not renumbered"),
        (lambda ei, k: _induced(ei, k, either=True), "one end"),
        (lambda ei, k: _induced(ei, k).t(), r"\(2, E'\)"),
        (lambda ei, k: _induced(ei, k).flip(0), "expected the edges"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch13.check_induced_subgraph(wrong)
