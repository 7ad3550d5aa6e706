"""``import gattut`` (and every PyTorch-side subpackage) never imports TensorFlow or Keras.

Run in a fresh interpreter, since this test session may have imported
TensorFlow already. It needs no TensorFlow itself, so it is not skipped
when TensorFlow is missing.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import pytest

import gattut

SUBPACKAGES = sorted(
    name
    for _, name, _ in pkgutil.iter_modules(gattut.__path__)
    if name not in {"tf", "__main__"} and not name.startswith("_")
)


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_import_gattut_does_not_import_tensorflow():
    assert "attention" in SUBPACKAGES and "data" in SUBPACKAGES
    imports = "; ".join(f"import gattut.{name}" for name in SUBPACKAGES)
    result = _run(
        f"import sys, gattut; {imports}; "
        "bad = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules); "
        "assert not bad, f'imported {bad}'"
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_gattut_tf_imports_keras_with_tensorflow_backend():
    pytest.importorskip("tensorflow")
    pytest.importorskip("keras")
    import gattut.tf
    import gattut.tf.attention as ka

    assert gattut.tf.keras.backend.backend() == "tensorflow"
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert callable(ka.load_torch_weights) and callable(gattut.tf.set_seed)
