"""The building blocks every chapter's checker uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

__all__ = [
    "ExerciseError",
    "call",
    "expect_close",
    "expect_shape",
    "expect_weights",
    "passed",
]


class ExerciseError(AssertionError):
    """The reader's answer is wrong; the message says how, in words."""


def call(fn: Callable, *args, what: str, **kwargs):
    """Call the reader's function, turning a crash into a sentence."""
    if not callable(fn):
        raise ExerciseError(f"{what} should be a function, got {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise ExerciseError(f"{what} is not written yet (it raises NotImplementedError)") from None
    except Exception as exc:  # the reader's bug, reported in one line
        raise ExerciseError(f"{what} raised {type(exc).__name__}: {exc}") from None


def expect_shape(x, shape: Sequence[int], what: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise ExerciseError(f"{what} should be a torch.Tensor, got {type(x).__name__}")
    if tuple(x.shape) != tuple(shape):
        raise ExerciseError(f"{what} has the wrong shape: got {tuple(x.shape)}, expected {tuple(shape)}")


def expect_weights(weights: torch.Tensor, what: str, mask: torch.Tensor | None = None) -> None:
    """Weights are finite, non-negative, zero where masked, and sum to one over what may be seen."""
    if not torch.isfinite(weights).all():
        raise ExerciseError(f"{what} contain NaN or infinite values")
    if (weights < 0).any():
        raise ExerciseError(f"{what} contain negative values; a softmax never gives those")
    if mask is not None:
        mask = mask.expand_as(weights)
        leaked = weights.masked_select(~mask)
        if leaked.abs().max().item() if leaked.numel() else 0.0:
            raise ExerciseError(
                f"{what} are not zero at masked positions (largest: {leaked.abs().max().item():.3g}): "
                "the mask is ignored or applied after the softmax"
            )
        has_any = mask.any(dim=-1)
    else:
        has_any = torch.ones(weights.shape[:-1], dtype=torch.bool)
    sums = weights.sum(dim=-1)
    target = has_any.to(sums.dtype)
    bad = (sums - target).abs() > 1e-5
    if bad.any():
        index = tuple(int(i) for i in bad.nonzero()[0])
        expected = "one" if has_any[index] else "zero (nothing may be attended to)"
        raise ExerciseError(
            f"{what} should sum to {expected} over the last axis: row {index} sums to {sums[index].item():.4g}"
        )


def expect_close(actual: torch.Tensor, expected: torch.Tensor, what: str, atol: float = 1e-5) -> None:
    expect_shape(actual, expected.shape, what)
    diff = (actual.detach().to(expected.dtype) - expected).abs()
    if diff.max().item() > atol:
        index = tuple(int(i) for i in (diff == diff.max()).nonzero()[0])
        raise ExerciseError(
            f"{what} differ from the expected values: at {index} got {actual[index].item():.5g}, "
            f"expected {expected[index].item():.5g}"
        )


class Passed(str):
    """The message a checker printed. It does not display again as a cell's result."""

    def _ipython_display_(self) -> None:
        pass


def passed(message: str) -> Passed:
    """Print the success message once and return it (a notebook does not show it twice)."""
    text = Passed(f"All checks passed: {message}")
    print(text)
    return text
