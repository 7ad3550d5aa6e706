"""gattut.tf: the Keras 3 (TensorFlow backend) versions of gattut's layers.

The names, signatures and behaviour follow the PyTorch code one for one:
``gattut.attention.MultiHeadAttention`` is ``gattut.tf.attention.MultiHeadAttention``
here, with the same masks (boolean, ``True`` = may attend), the same return
values and weights laid out so that they copy over with at most a transpose
(:func:`gattut.tf.convert.load_torch_weights` does it, for every layer).

Importing this package imports Keras 3 with the TensorFlow backend, which
takes a few seconds; ``import gattut`` alone never does. The environment
variables below are set *before* the import so that notebooks are not flooded
with TensorFlow's start-up logging; a value the user set already is kept.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

_INSTALL_HINT = 'gattut.tf needs TensorFlow (>= 2.16) and Keras 3: pip install "gattut[tf]"'

try:
    import keras
    import tensorflow as tf
except ImportError as exc:  # pragma: no cover - exercised only without TensorFlow
    raise ImportError(f"{_INSTALL_HINT} (import failed: {exc})") from exc

if int(keras.__version__.split(".")[0]) < 3:  # pragma: no cover
    raise ImportError(f"{_INSTALL_HINT}; found Keras {keras.__version__}")
if keras.backend.backend() != "tensorflow":  # pragma: no cover
    raise ImportError(
        "gattut.tf runs on Keras' TensorFlow backend, but Keras was already loaded with "
        f"backend {keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow before "
        "importing keras (or import gattut.tf first)."
    )

from gattut.tf.utils import set_seed  # noqa: E402

__all__ = ["keras", "tf", "set_seed"]
