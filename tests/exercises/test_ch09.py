"""The chapter 9 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.exercises import ExerciseError, ch09
from gattut.graph import degree, propagate, sym_norm


def test_gcn_weights_checker():
    assert "passed" in ch09.check_gcn_weights(sym_norm)
    for wrong, words in [
        (lambda ei, n: 1.0 / (degree(ei[1], n)[ei[0]] * degree(ei[1], n)[ei[1]]), "square roots"),
        (lambda ei, n: 1.0 / degree(ei[1], n)[ei[1]], "mean over neighbours"),
        (lambda ei, n: sym_norm(ei.flip(0), n), "outgoing"),
        (lambda ei, n: sym_norm(ei, n)[:-1], "wrong shape"),
        (lambda ei, n: sym_norm(ei, n) * 2, "differ"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch09.check_gcn_weights(wrong)


def _nan_mean(x, edge_index):
    j, i = edge_index
    total = torch.zeros_like(x).index_add(0, i, x[j])
    count = torch.zeros(x.shape[0]).index_add(0, i, torch.ones(i.shape[0]))
    return total / count[:, None]


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x, ei: propagate(ei.flip(0), x, reduce="mean"), "wrong way"),
        (lambda x, ei: propagate(ei, x, reduce="sum"), "sum of the neighbours"),
        (_nan_mean, "NaN"),
        (lambda x, ei: propagate(ei, x, reduce="max"), "differ"),
        (lambda x, ei: x.mean(dim=0), "wrong shape"),
    ],
)
def test_neighbour_mean_checker(wrong, words):
    assert "passed" in ch09.check_neighbour_mean(lambda x, ei: propagate(ei, x, reduce="mean"))
    with pytest.raises(ExerciseError, match=words):
        ch09.check_neighbour_mean(wrong)
