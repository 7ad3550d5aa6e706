"""Small utilities every chapter uses: seeding and device selection."""

from __future__ import annotations

import os
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

__all__ = ["atomic_write", "get_device", "set_seed"]


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (and TensorFlow, if it is already imported).

    TensorFlow is seeded only when it has already been imported, so that
    ``set_seed`` never pays TensorFlow's import time in a PyTorch-only session.
    ``gattut.tf.set_seed`` seeds Keras explicitly.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "utils"):
        sys.modules["keras"].utils.set_random_seed(seed)


def get_device(device: str | torch.device = "auto") -> torch.device:
    """Return the ``torch.device`` to run on.

    ``"auto"`` picks CUDA when it is available and the CPU otherwise;
    ``"cpu"`` and ``"cuda"`` (or ``"cuda:1"``) are taken as asked, and asking
    for CUDA on a machine without it is an error, not a silent fallback.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:k]', got {device!r}")
    name = device.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={device!r} was requested but CUDA is not available "
                f"(torch {torch.__version__}, CUDA build: {torch.version.cuda}). "
                "Use device='cpu', or device='auto' to fall back to the CPU."
            )
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are visible."
            )
        return torch.device(name)
    raise ValueError(f"unknown device {device!r}: expected 'auto', 'cpu' or 'cuda[:k]'")


def atomic_write(file: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Write a file so that it is either the old one or the whole new one, never half of it.

    ``write(f)`` writes into a temporary file in the same folder, which is
    flushed to disk and then renamed over ``file`` (``os.replace`` is atomic
    on one file system). Whatever stops the write, the temporary file is
    removed and ``file`` is left as it was. The folder is created if needed.
    Checkpoints and the reproduction ledger are written this way.
    """
    file = Path(file)
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, file)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return file
