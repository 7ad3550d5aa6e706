"""The chapter 11 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.exercises import ExerciseError, ch11
from gattut.graph import feature_dropout


def _dropout(x, p, scale=True, keep_prob=None, dense=False):
    x = x.coalesce()
    keep = torch.rand(x.values().shape) >= (p if keep_prob is None else keep_prob)
    values = x.values() * keep / ((1 - p) if scale else 1.0)
    out = torch.sparse_coo_tensor(x.indices(), values, x.shape, check_invariants=False)
    return out.to_dense() if dense else out


def test_sparse_dropout_checker():
    assert "passed" in ch11.check_sparse_dropout(_dropout)
    assert "passed" in ch11.check_sparse_dropout(lambda x, p: feature_dropout(x, p, True))
    # Dense dropout, made sparse again, is right too (only slower).
    assert "passed" in ch11.check_sparse_dropout(
        lambda x, p: torch.nn.functional.dropout(x.to_dense(), p).to_sparse_coo())
    for wrong, words in [
        (lambda x, p: _dropout(x, p, scale=False), "not rescaled"),
        (lambda x, p: _dropout(x, p, keep_prob=1 - p), "dropping"),
        (lambda x, p: _dropout(x, p, dense=True), "layout"),
        (lambda x, p: _dropout(x, p) * 2, "factors|p = 0"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch11.check_sparse_dropout(wrong)


def _stop(val_acc, val_loss, patience, both_to_reset=False, acc_only=False):
    best_acc, best_loss, counter, saved = 0.0, float("inf"), 0, -1
    for epoch, (acc, loss) in enumerate(zip(val_acc, val_loss)):
        better_acc, better_loss = acc >= best_acc, loss <= best_loss
        if acc_only:
            better_loss = better_acc
        reset = (better_acc and better_loss) if both_to_reset else (better_acc or better_loss)
        if reset:
            if better_acc and better_loss:
                saved = epoch
            best_acc, best_loss, counter = max(acc, best_acc), min(loss, best_loss), 0
        else:
            counter += 1
            if counter == patience:
                return epoch, saved
    return len(val_acc) - 1, saved


def test_stop_epoch_checker():
    assert "passed" in ch11.check_stop_epoch(_stop)
    for wrong in [
        lambda a, l, p: _stop(a, l, p, both_to_reset=True),
        lambda a, l, p: _stop(a, l, p, acc_only=True),
        lambda a, l, p: _stop(a, l, p + 1),
    ]:
        with pytest.raises(ExerciseError, match="ties or beats"):
            ch11.check_stop_epoch(wrong)
    with pytest.raises(ExerciseError, match=r"\(epoch_stopped, epoch_saved\)"):
        ch11.check_stop_epoch(lambda a, l, p: 3)
