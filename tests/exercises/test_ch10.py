"""The chapter 10 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.exercises import ExerciseError, ch10
from gattut.graph import edge_softmax


def _naive(scores, index, num_nodes):
    exp = scores.exp()
    total = torch.zeros(num_nodes, *scores.shape[1:], dtype=scores.dtype).index_add(0, index, exp)
    return exp / total[index]


def test_edge_softmax_checker_accepts_the_package():
    assert "passed" in ch10.check_edge_softmax(edge_softmax)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda s, index, n: torch.softmax(s, dim=0), "all edges together"),
        (_naive, "overflows"),
        (lambda s, index, n: torch.sigmoid(s), "incoming edges of each node"),
        (lambda s, index, n: s, "incoming edges"),
        (lambda s, index, n: edge_softmax(s, index, n)[:1], "wrong shape"),
        (lambda s, index, n: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_edge_softmax_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch10.check_edge_softmax(wrong)


def test_edge_softmax_checker_names_source_grouping():
    def by_source(scores, index, num_nodes):
        source = torch.tensor([1, 0, 2, 0, 3, 1, 4])  # the checker's edge_index[0]
        return edge_softmax(scores, source, num_nodes)

    with pytest.raises(ExerciseError, match="per source"):
        ch10.check_edge_softmax(by_source)


def _merge(out, concat):
    N, H, C = out.shape
    return out.reshape(N, H * C) if concat else out.mean(dim=1)


def test_merge_heads_checker():
    assert "passed" in ch10.check_merge_heads(_merge)
    for wrong, words in [
        (lambda out, c: _merge(out, c) if c else out.mean(), "single number"),
        (lambda out, c: _merge(out, c) if c else out.mean(dim=2), "mean over features"),
        (lambda out, c: _merge(out, c) if c else out.sum(dim=1), "summed"),
        (lambda out, c: out.transpose(1, 2).reshape(out.shape[0], -1) if c else _merge(out, c),
         "interleaved"),
        (lambda out, c: out.mean(dim=1), "wrong shape"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch10.check_merge_heads(wrong)
