"""Checkpoints that survive a crash and refuse to load into the wrong model.

A training checkpoint is one ``torch.save`` file holding everything the loop
needs to carry on as if it had never stopped:

==================  ===========================================================
key                 what
==================  ===========================================================
``signature``       the model's class name, its ``repr`` (layer sizes, heads,
                    dropout) and every parameter's shape
``model``           the model's ``state_dict`` now
``optimizer``       the optimizer's ``state_dict`` (Adam's moments and steps)
``early_stopping``  best accuracy, best loss, patience counter, best epoch,
                    and the weights of the early-stopping model
``rng``             the Python, NumPy, torch CPU (and CUDA) generator states
``epoch``           the last finished epoch (0-based)
``config``          the training settings that change the numbers (lr, ...)
==================  ===========================================================

Why atomic. ``torch.save(obj, path)`` writes in place, so a process killed
half-way leaves a truncated file where the last good checkpoint was. We
write to a temporary file in the same folder and then ``os.replace`` it over
the old one: on POSIX and Windows that rename is atomic within one file
system, so the path always holds either the old checkpoint or the new one.

Every checkpoint holds tensors and plain Python data only (the random
generators' states too), so it is read with ``torch.load(weights_only=True)``,
which cannot run code from the file. :func:`save_checkpoint`,
:func:`read_checkpoint` and :class:`CheckpointMismatchError` are the one
checkpoint module of the package: the seq2seq trainer writes and reads its
own contents through them.
"""

from __future__ import annotations

import pickle
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from gattut.utils import atomic_write

__all__ = [
    "CheckpointMismatchError",
    "check_signature",
    "get_rng_state",
    "load_checkpoint",
    "model_signature",
    "read_checkpoint",
    "save_checkpoint",
    "set_rng_state",
]


class CheckpointMismatchError(ValueError):
    """A checkpoint that cannot be used here: another model's or settings', or not a checkpoint.

    The message names the file and what is wrong (other parameter shapes, other
    settings, empty, truncated, corrupt, a directory).
    """


def model_signature(model: nn.Module) -> dict[str, Any]:
    """What identifies a model's architecture: class name, ``repr`` and parameter shapes.

    ``repr(model)`` lists every layer with its sizes (``GATConv(1433, 8,
    heads=8)``), so two models with the same class but another width or head
    count differ here even before their shapes are compared.
    """
    return {
        "class": type(model).__qualname__,
        "repr": repr(model),
        "shapes": {name: list(t.shape) for name, t in model.state_dict().items()},
    }


def check_signature(saved: dict[str, Any], model: nn.Module, file: str | Path = "checkpoint") -> None:
    """Raise :class:`CheckpointMismatchError` naming what differs between ``saved`` and ``model``."""
    now = model_signature(model)
    if saved.get("class") != now["class"]:
        raise CheckpointMismatchError(
            f"{file} was written by a {saved.get('class')} model, not a {now['class']}; "
            "refusing to load it"
        )
    old_shapes, new_shapes = saved.get("shapes", {}), now["shapes"]
    if old_shapes != new_shapes:
        missing = sorted(set(new_shapes) - set(old_shapes))
        extra = sorted(set(old_shapes) - set(new_shapes))
        changed = [f"{k} {old_shapes[k]} vs {new_shapes[k]}" for k in sorted(new_shapes)
                   if k in old_shapes and old_shapes[k] != new_shapes[k]]
        parts = []
        if changed:
            parts.append("shapes differ: " + ", ".join(changed[:3]) + (" ..." if len(changed) > 3 else ""))
        if missing:
            parts.append("missing: " + ", ".join(missing[:3]))
        if extra:
            parts.append("unexpected: " + ", ".join(extra[:3]))
        raise CheckpointMismatchError(
            f"{file} holds a {saved.get('class')} with other parameters ({'; '.join(parts)}); "
            "refusing to load it"
        )
    if saved.get("repr") != now["repr"]:
        raise CheckpointMismatchError(
            f"{file} holds a {saved.get('class')} with the same shapes but other settings "
            "(dropout, heads, ...; compare repr(model)); refusing to load it"
        )


def get_rng_state() -> dict[str, Any]:
    """The state of every random generator training draws from, as tensors and plain data."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": (name, keys.tolist(), pos, has_gauss, cached),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the generators saved by :func:`get_rng_state`."""
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(file: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``file`` atomically (temporary file in the same folder, then rename).

    The folder is created if needed. Returns the path written.
    """
    return atomic_write(file, lambda f: torch.save(state, f))


def read_checkpoint(file: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a file written by :func:`save_checkpoint`: tensors and plain data (``weights_only=True``).

    Raises:
        FileNotFoundError: no file at ``file``.
        CheckpointMismatchError: ``file`` is a directory, empty, truncated or
            corrupt, or holds more than tensors and plain data (the message names it).
    """
    file = Path(file)
    if file.is_dir():
        raise CheckpointMismatchError(f"{file} is a directory, not a checkpoint file")
    if not file.is_file():
        raise FileNotFoundError(f"no checkpoint at {file}")
    if file.stat().st_size == 0:
        raise CheckpointMismatchError(f"{file} is empty, not a checkpoint; delete it")
    try:
        with warnings.catch_warnings():
            # A foreign pickle makes torch warn about its protocol before it refuses the file.
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            state = torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # Not torch's advice to pass weights_only=False: that would run code from the file.
        raise CheckpointMismatchError(
            f"{file} is not a gattut checkpoint: it is corrupt, or holds more than tensors and "
            "plain data (not written by gattut); delete it or write a new one") from exc
    except Exception as exc:  # noqa: BLE001
        # A damaged file reaches torch's unpickler in many states: RuntimeError (a cut zip),
        # EOFError, KeyError and UnicodeDecodeError (text), IndexError, struct.error,
        # AssertionError were all seen on cut and flipped bytes. They all mean the same here.
        raise CheckpointMismatchError(
            f"{file} cannot be read as a checkpoint ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:100]}); it is truncated or corrupt: delete it or "
            "write a new one") from exc
    if not isinstance(state, dict):
        raise CheckpointMismatchError(f"{file} is not a gattut checkpoint")
    return state


def load_checkpoint(file: str | Path, model: nn.Module | None = None) -> dict[str, Any]:
    """Read a training checkpoint written by :func:`gattut.train.loop.fit_transductive` or ``fit_inductive``.

    With ``model`` given, the stored signature is compared with it first and
    :class:`CheckpointMismatchError` says what differs; the model itself is
    not modified (the training loop loads the weights).

    Raises:
        FileNotFoundError: no file at ``file``.
        CheckpointMismatchError: ``model`` is not the model that wrote it, or
            the file is not a (readable) gattut training checkpoint.
    """
    state = read_checkpoint(file)
    if "signature" not in state:
        raise CheckpointMismatchError(f"{file} is not a gattut training checkpoint")
    if model is not None:
        check_signature(state["signature"], model, file)
    return state
