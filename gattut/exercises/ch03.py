"""Checkers for chapter 3, Seq2Seq and its bottleneck."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gattut.exercises._check import ExerciseError, call, expect_close, expect_shape, passed
from gattut.seq2seq import PAD_ID, sequence_loss

__all__ = ["check_gru_step", "check_sequence_loss"]


def _gru_variants(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> dict[str, torch.Tensor]:
    """Common wrong GRU updates, each named by the mistake that produces it."""
    r_x, z_x, n_x = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    r_h, z_h, n_h = (h @ weight_hh.T + bias_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(r_x + r_h), torch.sigmoid(z_x + z_h)
    n = torch.tanh(n_x + r * n_h)
    swapped_r, swapped_z = torch.sigmoid(z_x + z_h), torch.sigmoid(r_x + r_h)
    swapped_n = torch.tanh(n_x + swapped_r * n_h)
    # The reset gate applied to h *before* the recurrent matrix (Keras reset_after=False).
    W_hn, b_hn = weight_hh.chunk(3, dim=0)[2], bias_hh.chunk(3)[2]
    n_before = torch.tanh(n_x + (r * h) @ W_hn.T + b_hn)
    order = (
        "the gates are taken in the wrong order: PyTorch stacks them as r, z, n "
        "(reset, update, new), so chunk(3) gives r first"
    )
    update = (
        "the update gate is used the other way round: h' = (1 - z) * n + z * h "
        "(z close to 1 keeps the old state)"
    )
    reset = (
        "the reset gate multiplies h before the recurrent matrix; PyTorch applies it after: "
        "n = tanh(W_n x + b_n + r * (U_n h + b'_n))"
    )
    return {
        order: (1 - swapped_z) * swapped_n + swapped_z * h,
        update: z * n + (1 - z) * h,
        reset: (1 - z) * n_before + z * h,
        "the new state n is missing its tanh": (1 - z) * (n_x + r * n_h) + z * h,
    }


def check_gru_step(fn: Callable) -> str:
    """Check ``fn(x, h, weight_ih, weight_hh, bias_ih, bias_hh) -> h_new`` against ``nn.GRUCell``.

    Shapes: ``x (B, d_in)``, ``h (B, d_hidden)``, ``weight_ih (3 d_hidden, d_in)``,
    ``weight_hh (3 d_hidden, d_hidden)``, biases ``(3 d_hidden,)`` -> ``(B, d_hidden)``.
    """
    gen = torch.Generator().manual_seed(3)
    B, d_in, d_hidden = 4, 5, 6
    cell = torch.nn.GRUCell(d_in, d_hidden).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    x = torch.randn(B, d_in, generator=gen, dtype=torch.float64)
    h = torch.randn(B, d_hidden, generator=gen, dtype=torch.float64)
    weights = [
        cell.weight_ih.detach(),
        cell.weight_hh.detach(),
        cell.bias_ih.detach(),
        cell.bias_hh.detach(),
    ]
    out = call(fn, x, h, *weights, what="your gru_step")
    expect_shape(out, (B, d_hidden), "the new state")
    expected = cell(x, h).detach()
    if not torch.allclose(out.detach().to(expected.dtype), expected, atol=1e-6):
        for mistake, wrong in _gru_variants(x, h, *weights).items():
            if torch.allclose(out.detach().to(expected.dtype), wrong, atol=1e-6):
                raise ExerciseError(f"the new state is not the GRU's: {mistake}")
    expect_close(out, expected, "the new state", atol=1e-6)
    return passed("your GRU step equals torch.nn.GRUCell (gate order r, z, n; reset after U_n h).")


def check_sequence_loss(fn: Callable) -> str:
    """Check ``fn(logits, target) -> loss``: mean cross-entropy over the non-pad target tokens.

    Shapes: ``logits (B, T, V)``, ``target (B, T)`` long with ``<pad>`` = 0 -> scalar.
    """
    gen = torch.Generator().manual_seed(4)
    B, T, V = 3, 6, 7
    logits = torch.randn(B, T, V, generator=gen, dtype=torch.float64)
    target = torch.randint(4, V, (B, T), generator=gen)
    target[0, 4:] = PAD_ID  # a short sentence
    target[1, 2:] = PAD_ID  # a shorter one
    loss = call(fn, logits, target, what="your sequence_loss")
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ExerciseError(f"the loss should be one number (a 0-d tensor), got {shape}")
    expected = sequence_loss(logits, target)
    nll = -torch.log_softmax(logits, dim=-1).gather(-1, target[..., None]).squeeze(-1)  # (B, T)
    real = (target != PAD_ID).to(nll.dtype)
    wrong = {
        "the <pad> positions are counted: ignore targets equal to PAD_ID (0)": nll.mean(),
        "the loss is summed, not averaged over the real tokens": (nll * real).sum(),
        "each sentence is averaged first and then the sentences, so short sentences weigh too "
        "much; average over all real tokens of the batch at once": (
            (nll * real).sum(1) / real.sum(1)
        ).mean(),
    }
    for mistake, value in wrong.items():
        if torch.isclose(loss.detach().to(value.dtype), value, atol=1e-6):
            raise ExerciseError(f"the loss is wrong: {mistake}")
    expect_close(
        loss.reshape(1),
        expected.reshape(1),
        "the loss (a log-softmax, then the gold token's -log p)",
        atol=1e-6,
    )
    return passed("the mean cross-entropy over the real target tokens, <pad> ignored.")
