"""gattut.tf.attention mirrors gattut.attention: the same names, signatures and docs.

Allowed differences, each a Keras idiom: a ``device`` argument is dropped
(TensorFlow places tensors itself); layers take Keras' ``**kwargs`` (``name``,
``dtype``) and, where they draw random numbers, a ``seed``; ``call`` takes
Keras' ``training`` flag where PyTorch reads ``module.training``.
"""

from __future__ import annotations

import inspect

import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

import gattut.attention as ta  # noqa: E402
import gattut.tf  # noqa: E402, F401
import gattut.tf.attention as ka  # noqa: E402

KERAS_ONLY = {"seed", "kwargs", "training"}
TORCH_ONLY = {"device"}


def _params(fn, drop: set[str]) -> list[tuple[str, object]]:
    return [
        (p.name, p.default)
        for p in inspect.signature(fn).parameters.values()
        if p.name not in drop | {"self"}
    ]


def test_same_public_names():
    assert set(ta.__all__) <= set(ka.__all__)
    assert set(ka.__all__) - set(ta.__all__) == {"load_torch_weights"}


@pytest.mark.parametrize("name", ta.__all__)
def test_same_signature_and_documented_shapes(name):
    torch_obj, keras_obj = getattr(ta, name), getattr(ka, name)
    assert "Shapes:" in (inspect.getdoc(keras_obj) or ""), f"{name} has no Shapes: section"
    if inspect.isclass(torch_obj):
        pairs = [(torch_obj.__init__, keras_obj.__init__), (torch_obj.forward, keras_obj.call)]
        pairs += [
            (getattr(torch_obj, m), getattr(keras_obj, m))
            for m in ("initial_weights", "apply_rotary", "rotate_half", "scores")
            if hasattr(torch_obj, m)
        ]
    else:
        pairs = [(torch_obj, keras_obj)]
    for torch_fn, keras_fn in pairs:
        torch_params = _params(torch_fn, TORCH_ONLY | {"dtype"})
        keras_params = _params(keras_fn, KERAS_ONLY | {"dtype"})
        if name == "scaled_dot_product_attention":
            torch_params = _params(torch_fn, TORCH_ONLY)
            keras_params = _params(keras_fn, {"seed"})
        assert keras_params == torch_params, (name, torch_fn.__name__)
