"""The chapter 14 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch
import torch.nn.functional as F

from gattut.exercises import ExerciseError, ch14


def _scores(x_i, x_j, att, slope):
    return (F.leaky_relu(x_i + x_j, slope) * att).sum(-1)


def test_gatv2_scores_checker():
    assert "passed" in ch14.check_gatv2_scores(_scores)
    for wrong, words in [
        (lambda x_i, x_j, att, s: F.leaky_relu(((x_i + x_j) * att).sum(-1), s), "GAT's"),
        (lambda x_i, x_j, att, s: ((x_i + x_j) * att).sum(-1), "missing"),
        (lambda x_i, x_j, att, s: (F.relu(x_i + x_j) * att).sum(-1), "ReLU"),
        (lambda x_i, x_j, att, s: _scores(x_i, x_j, att, s).mean(-1), "wrong shape"),
        (lambda x_i, x_j, att, s: _scores(x_i, x_j, att, 0.1), "differ"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch14.check_gatv2_scores(wrong)


def _graph(N, causal=False, loops=True, flip=False, twice=False, dtype=torch.long):
    j, i = torch.arange(N).repeat(N), torch.arange(N).repeat_interleave(N)
    keep = (j <= i) if causal else torch.ones_like(j, dtype=torch.bool)
    if not loops:
        keep &= j != i
    out = torch.stack([j[keep], i[keep]])
    if flip:
        out = out.flip(0)
    if twice:
        out = torch.cat([out, out], dim=1)
    return out.to(dtype)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda N, causal=False: _graph(N, causal, loops=False), "self-loops"),
        (lambda N, causal=False: _graph(N, causal, flip=causal), "wrong way"),
        (lambda N, causal=False: _graph(N, causal, twice=True), "twice"),
        (lambda N, causal=False: _graph(N, False), "wrong edges"),
        (lambda N, causal=False: _graph(N, causal).t(), r"\(2, E\)"),
        (lambda N, causal=False: _graph(N, causal, dtype=torch.float32), "integers"),
    ],
)
def test_attention_graph_checker(wrong, words):
    assert "passed" in ch14.check_attention_graph(_graph)
    with pytest.raises(ExerciseError, match=words):
        ch14.check_attention_graph(wrong)
