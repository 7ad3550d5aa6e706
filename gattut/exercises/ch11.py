"""Checkers for chapter 11, training GAT: dropout on sparse features and the paper's early stopping."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gattut.exercises._check import ExerciseError, call, passed
from gattut.train import EarlyStopping

__all__ = ["check_sparse_dropout", "check_stop_epoch"]


def check_sparse_dropout(fn: Callable) -> str:
    """Check ``fn(x, p) -> sparse COO``: stored values kept with probability ``1-p`` and scaled by ``1/(1-p)``.

    The checks: the result is sparse with the same shape; no entry that was
    zero becomes nonzero; every kept value equals the input over ``1 - p``;
    about ``1 - p`` of the values are kept (20,000 values, so the fraction
    is within 0.02 of ``1 - p`` unless something is wrong); ``p = 0`` keeps
    everything unchanged.
    """
    gen = torch.Generator().manual_seed(11)
    N, F = 400, 500
    dense = (torch.rand(N, F, generator=gen) < 0.1) * torch.rand(N, F, generator=gen).add(0.5)
    x = dense.to_sparse_coo()
    for p in (0.6, 0.0):
        out = call(fn, x, p, what=f"your sparse_dropout (p={p})")
        if not isinstance(out, torch.Tensor):
            raise ExerciseError(f"sparse_dropout should return a tensor, got {type(out).__name__}")
        if out.layout != torch.sparse_coo:
            raise ExerciseError(
                f"the result has layout {out.layout}; keep it sparse COO (build it with "
                "torch.sparse_coo_tensor from x's indices and the new values)"
            )
        if tuple(out.shape) != (N, F):
            raise ExerciseError(f"the result has shape {tuple(out.shape)}, expected {(N, F)}")
        result = out.to_dense()
        if ((dense == 0) & (result != 0)).any():
            raise ExerciseError("some entries that were zero are nonzero now; only stored values may change")
        kept = result != 0
        fraction = kept.sum().item() / (dense != 0).sum().item()
        if p == 0.0:
            if not torch.allclose(result, dense):
                raise ExerciseError("with p = 0 nothing may be dropped or rescaled, but the values changed")
            continue
        ratio = result[kept] / dense[kept]
        if torch.allclose(ratio, torch.ones_like(ratio)):
            raise ExerciseError(
                f"the kept values are not rescaled: divide them by 1 - p = {1 - p:.1f}, so that the "
                "expected value of each entry stays the same"
            )
        if not torch.allclose(ratio, torch.full_like(ratio, 1 / (1 - p)), rtol=1e-5):
            raise ExerciseError(
                f"kept values should be the input times 1 / (1 - p) = {1 / (1 - p):.3g}; "
                f"found factors between {ratio.min().item():.3g} and {ratio.max().item():.3g}"
            )
        if abs(fraction - (1 - p)) > 0.02:
            words = "p" if abs(fraction - p) <= 0.02 else f"{fraction:.2f}"
            raise ExerciseError(
                f"about 1 - p = {1 - p:.1f} of the stored values should be kept, but the fraction "
                f"kept is {fraction:.3f} (= {words}): p is the probability of *dropping* a value"
            )
    return passed("each stored value kept with probability 1 - p and scaled by 1 / (1 - p).")


def _reference(val_acc, val_loss, patience) -> tuple[int, int]:
    stopper = EarlyStopping(patience=patience)
    dummy = nn.Linear(1, 1)
    for epoch, (acc, loss) in enumerate(zip(val_acc, val_loss)):
        if stopper.step(epoch, acc, loss, dummy):
            return epoch, stopper.best_epoch
    return len(val_acc) - 1, stopper.best_epoch


def check_stop_epoch(fn: Callable) -> str:
    """Check ``fn(val_acc, val_loss, patience) -> (epoch_stopped, epoch_saved)`` by the GAT paper's rule."""
    cases = {
        # The loss keeps improving while the accuracy stalls: only "either" keeps training.
        "a curve where only the loss improves": (
            [0.5, 0.7, 0.7, 0.69, 0.69, 0.68, 0.68, 0.68, 0.68, 0.68],
            [1.5, 1.2, 1.1, 1.0, 0.95, 0.9, 1.0, 1.1, 1.2, 1.3],
            2,
        ),
        # Accuracy ties: a tie counts as an improvement (>=).
        "a curve with tied accuracies": (
            [0.5, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6],
            [1.5, 1.2, 1.3, 1.2, 1.4, 1.5, 1.6, 1.7],
            3,
        ),
        "a curve that never stops early": ([0.1, 0.2, 0.3, 0.4], [4.0, 3.0, 2.0, 1.0], 2),
    }
    for name, (acc, loss, patience) in cases.items():
        got = call(fn, acc, loss, patience, what="your stop_epoch")
        if not (isinstance(got, tuple | list) and len(got) == 2):
            raise ExerciseError(f"stop_epoch should return (epoch_stopped, epoch_saved), got {got!r}")
        expected = _reference(acc, loss, patience)
        if tuple(int(v) for v in got) != expected:
            raise ExerciseError(
                f"on {name} (patience {patience}) you return (stopped, saved) = {tuple(got)}, "
                f"expected {expected}: an epoch that ties or beats the best accuracy OR the lowest "
                "loss resets the counter; only one that ties or beats BOTH is saved"
            )
    return passed("reset on either record, save on both, stop after `patience` epochs of neither.")
