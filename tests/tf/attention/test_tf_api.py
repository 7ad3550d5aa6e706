"""gattut.tf.attention mirrors gattut.attention: the same names and signatures.

The Keras docstrings point to their PyTorch twins, where the formulas, arguments
and shapes are documented once.

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
TORCH_ONLY = {"device", "kwargs"}


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
def test_same_signature_and_doc_points_to_twin(name):
    torch_obj, keras_obj = getattr(ta, name), getattr(ka, name)
    assert "Shapes:" in (inspect.getdoc(torch_obj) or ""), f"{name} has no Shapes: section"
    assert f"gattut.attention.{name}`" in (inspect.getdoc(keras_obj) or ""), (
        f"the Keras {name} does not point to its PyTorch twin"
    )
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


def _examples():
    return [
        ka.GeneralScore(4, 3),
        ka.AdditiveScore(4, 3, 5, normalize=True),
        ka.BahdanauAttention(4, 3, 5),
        ka.LuongAttention(4, 3, "general", scale=True),
        ka.LocalPAttention(4, 3, 2, "concat"),
        ka.MonotonicAttention(4, 3, score="luong", scale=True, mode="hard"),
        ka.MultiHeadAttention(8, 2, dropout=0.1, kdim=3),
        ka.MultiHeadAttention(8, 3, kdim=5, vdim=4, key_dim=6, seed=1),
        ka.SinusoidalPositionalEncoding(10, 8, "cos_sin", 0.1),
        ka.LearnedPositionalEncoding(10, 8),
        ka.RelativePositionEmbedding(2, 4),
        ka.RotaryEmbedding(4),
    ]


def test_layers_rebuild_from_their_config():
    for layer in _examples():
        again = type(layer).from_config(layer.get_config())
        assert [tuple(w.shape) for w in again.weights] == [tuple(w.shape) for w in layer.weights]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # numpy 2 copy= notice from inside Keras
def test_functional_model_saves_and_loads(tmp_path):
    import keras
    import numpy as np

    inputs = keras.Input((None, 8))
    h = ka.SinusoidalPositionalEncoding(16, 8)(inputs)
    out, _ = ka.MultiHeadAttention(8, 2)(h, h, h, causal=True)
    model = keras.Model(inputs, out)
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


@pytest.mark.parametrize(
    "module",
    ["additive", "masks", "monotonic", "multihead", "multiplicative", "positional", "scoring", "sdpa"],
)
def test_module_docstring_points_to_twin(module):
    import importlib

    doc = importlib.import_module(f"gattut.tf.attention.{module}").__doc__
    assert f":mod:`gattut.attention.{module}`" in doc
    assert len(doc.splitlines()) <= 8, "the method is documented in the PyTorch module, not here"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # numpy 2 copy= notice from inside Keras
def test_model_with_every_multihead_option_saves_and_loads(tmp_path):
    import keras
    import numpy as np

    query_in, key_in = keras.Input((None, 8)), keras.Input((None, 5))
    layer = ka.MultiHeadAttention(8, 3, dropout=0.2, kdim=5, vdim=5, key_dim=6, seed=3)
    out, _ = layer(query_in, key_in, key_in)
    model = keras.Model([query_in, key_in], out)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    k = rng.normal(size=(2, 6, 5)).astype("float32")
    model.save(tmp_path / "mha.keras")
    loaded = keras.models.load_model(tmp_path / "mha.keras")
    again = loaded.layers[-1]
    assert isinstance(again, ka.MultiHeadAttention)
    assert again.get_config() == layer.get_config()
    assert (again.key_dim, again.kdim, again.vdim, again.dropout) == (6, 5, 5, 0.2)
    np.testing.assert_allclose(loaded([x, k]), model([x, k]), atol=1e-6)
