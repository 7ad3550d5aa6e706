"""Small utilities every chapter uses: seeding and device selection."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

__all__ = ["set_seed", "get_device"]


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
