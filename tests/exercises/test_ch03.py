"""The chapter 3 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch
import torch.nn.functional as F

from gattut.exercises import ExerciseError, ch03
from gattut.seq2seq import PAD_ID


def _gru_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh, *, order="rzn", flip=False):
    gates_x = dict(zip(order, (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)))
    gates_h = dict(zip(order, (h @ weight_hh.T + bias_hh).chunk(3, dim=-1)))
    r = torch.sigmoid(gates_x["r"] + gates_h["r"])
    z = torch.sigmoid(gates_x["z"] + gates_h["z"])
    n = torch.tanh(gates_x["n"] + r * gates_h["n"])
    return z * n + (1 - z) * h if flip else (1 - z) * n + z * h


def test_gru_step_checker_accepts_a_right_answer():
    assert "passed" in ch03.check_gru_step(_gru_step)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda *a: _gru_step(*a, order="zrn"), "wrong order"),
        (lambda *a: _gru_step(*a, flip=True), "other way round"),
        (lambda x, h, *w: h, "differ from the expected"),
        (lambda x, h, *w: h[:, :3], "wrong shape"),
        (lambda *a: (_ for _ in ()).throw(NotImplementedError), "not written yet"),
    ],
)
def test_gru_step_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch03.check_gru_step(wrong)


def test_gru_step_checker_names_reset_before_the_matrix():
    def reset_first(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
        r_x, z_x, n_x = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
        r_h, z_h, _ = (h @ weight_hh.T + bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(r_x + r_h), torch.sigmoid(z_x + z_h)
        n = torch.tanh(n_x + (r * h) @ weight_hh.chunk(3)[2].T + bias_hh.chunk(3)[2])
        return (1 - z) * n + z * h

    with pytest.raises(ExerciseError, match="before the recurrent matrix"):
        ch03.check_gru_step(reset_first)


def _loss(logits, target):
    B, T, V = logits.shape
    return F.cross_entropy(logits.reshape(B * T, V), target.reshape(B * T), ignore_index=PAD_ID)


def test_sequence_loss_checker():
    assert "passed" in ch03.check_sequence_loss(_loss)
    with pytest.raises(ExerciseError, match="<pad> positions are counted"):
        ch03.check_sequence_loss(lambda lo, t: F.cross_entropy(lo.transpose(1, 2), t))
    with pytest.raises(ExerciseError, match="summed"):
        ch03.check_sequence_loss(
            lambda lo, t: F.cross_entropy(lo.transpose(1, 2), t, ignore_index=0, reduction="sum")
        )
    with pytest.raises(ExerciseError, match="each sentence is averaged first"):
        ch03.check_sequence_loss(
            lambda lo, t: torch.stack(
                [_loss(lo[b : b + 1], t[b : b + 1]) for b in range(len(t))]
            ).mean()
        )
    with pytest.raises(ExerciseError, match="one number"):
        ch03.check_sequence_loss(
            lambda lo, t: F.cross_entropy(lo.transpose(1, 2), t, reduction="none")
        )
