"""Keras AttentionPooling: the PyTorch layer's numbers with copied weights; same errors; saves and loads."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

import gattut.attention as ta  # noqa: E402
import gattut.tf  # noqa: E402, F401
import gattut.tf.attention as ka  # noqa: E402

B, T, D, A = 3, 5, 6, 4


def _twin():
    torch.manual_seed(0)
    module = ta.AttentionPooling(D, A)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.empty_like(p).uniform_(-0.8, 0.8))
    layer = ka.AttentionPooling(D, A)
    assert ka.load_torch_weights(layer, module) is layer
    assert len(layer.weights) == len(list(module.parameters())) == 3
    return module, layer


def _inputs():
    g = torch.Generator().manual_seed(1)
    h = torch.randn(B, T, D, generator=g)
    mask = torch.tensor([[True] * 5, [True] * 2 + [False] * 3, [False] * 5])
    return h, mask


def test_parity_values_and_gradients():
    module, layer = _twin()
    h, mask = _inputs()
    for m in (None, mask):
        pooled, weights = module(h, m)
        k_pooled, k_weights = layer(h.numpy(), mask=None if m is None else m.numpy())
        np.testing.assert_allclose(k_weights.numpy(), weights.detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(k_pooled.numpy(), pooled.detach().numpy(), atol=1e-5)
    h_torch = h.clone().requires_grad_(True)
    module(h_torch, mask)[0].square().sum().backward()
    h_tf = tf.constant(h.numpy())
    with tf.GradientTape() as tape:
        tape.watch(h_tf)
        loss = tf.reduce_sum(tf.square(layer(h_tf, mask=mask.numpy())[0]))
    grad = tape.gradient(loss, h_tf)
    np.testing.assert_allclose(grad.numpy(), h_torch.grad.numpy(), atol=1e-5)
    assert np.isfinite(grad.numpy()).all()


def test_config_round_trip():
    _, layer = _twin()
    copy = ka.AttentionPooling.from_config(layer.get_config())
    assert (copy.d_model, copy.d_attn) == (D, A)
    inputs = keras.Input((T, D))
    pooled, _ = layer(inputs)
    model = keras.Model(inputs, pooled)
    restored = keras.models.model_from_json(model.to_json())
    assert isinstance(restored.layers[-1], ka.AttentionPooling)


@pytest.mark.parametrize(
    "args, words",
    [
        ((np.zeros((B, D), np.float32),), r"\(B, T, D\)"),
        ((np.zeros((B, 0, D), np.float32),), "zero length T"),
        ((np.zeros((B, T, D + 1), np.float32),), "width"),
        ((np.zeros((B, T, D), np.int32),), "floating"),
        ((np.zeros((B, T, D), np.float32), np.ones((B, T), np.float32)), "dtype bool"),
        ((np.zeros((B, T, D), np.float32), np.ones((B, T + 1), bool)), "does not broadcast"),
    ],
)
def test_bad_input_names_the_problem(args, words):
    mask = {"mask": args[1]} if len(args) > 1 else {}
    with pytest.raises(ValueError, match=words):
        ka.AttentionPooling(D, A)(args[0], **mask)
