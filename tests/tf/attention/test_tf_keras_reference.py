"""Our Keras layers vs Keras' own attention layers, with copied weights (1e-5).

* ``keras.layers.MultiHeadAttention``: its ``EinsumDense`` kernels hold the same
  numbers as our ``Dense`` kernels, reshaped: query/key/value ``(D_in, H, Dh)``
  and bias ``(H, Dh)``; output ``(H, Dh, D)`` and bias ``(D,)``.
* ``keras.layers.Attention`` (Luong-style): ``score_mode="dot"`` is our
  ``LuongAttention(score="dot")``, and its ``use_scale`` scalar is our ``g``
  (``scale=True``). ``score_mode="concat"`` computes
  ``c * sum_d tanh(scale * (q_d + k_d))``: our concat score
  ``v^T tanh(W1 q + W2 k)`` with ``W1 = W2 = scale * I`` and ``v = c * 1``.
* ``keras.layers.AdditiveAttention`` has no projections and a learned scale
  *vector* ``w``: ``score = sum_d w_d tanh(q_d + k_d)``. That is our Bahdanau
  score with ``d_attn = D``, ``query_proj = key_proj = I`` and ``v = w``
  (``v = 1`` when ``use_scale=False``).

Keras masks padding with a ``-1e9`` bias, we with ``-inf``: the same weights
(``exp(-1e9)`` is zero in float32) as long as no row is fully masked.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import gattut.tf  # noqa: E402, F401
import gattut.tf.attention as ka  # noqa: E402

B, T, S, D, H = 2, 4, 6, 8, 2
DH = D // H
TOL = {"atol": 1e-5, "rtol": 1e-5}


def data(seed: int, dk: int = D):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(B, T, D)).astype(np.float32)
    key = rng.normal(size=(B, S, dk)).astype(np.float32)
    value = rng.normal(size=(B, S, dk)).astype(np.float32)
    lengths = np.array([S, 3])
    padding = np.arange(S)[None, :] < lengths[:, None]  # (B, S)
    return rng, query, key, value, padding


def randomize(layer, rng):
    for w in layer.weights:
        w.assign(rng.uniform(-0.8, 0.8, size=tuple(w.shape)).astype(np.float32))


@pytest.mark.parametrize("key_dim", [DH, 3])
@pytest.mark.parametrize("causal", [False, True])
def test_multihead_matches_keras_multiheadattention(causal, key_dim):
    # key_dim means what it means in Keras: the per-head width (DH = D / H by default).
    dk = 3
    rng, query, key, value, padding = data(0, dk=dk)
    ours = ka.MultiHeadAttention(D, H, kdim=dk, vdim=dk, key_dim=key_dim)
    randomize(ours, rng)
    theirs = keras.layers.MultiHeadAttention(num_heads=H, key_dim=key_dim)
    theirs(query, value, key=key)  # builds the EinsumDense kernels
    for name, proj, d_in in [
        ("_query_dense", ours.q_proj, D),
        ("_key_dense", ours.k_proj, dk),
        ("_value_dense", ours.v_proj, dk),
    ]:
        dense = getattr(theirs, name)
        dense.kernel.assign(np.reshape(proj.kernel.numpy(), (d_in, H, key_dim)))  # (D_in, H, Dh)
        dense.bias.assign(np.reshape(proj.bias.numpy(), (H, key_dim)))  # (H, Dh)
    out_kernel = np.reshape(ours.out_proj.kernel.numpy(), (H, key_dim, D))  # (H, Dh, D)
    theirs._output_dense.kernel.assign(out_kernel)
    theirs._output_dense.bias.assign(ours.out_proj.bias.numpy())

    mask = rng.random((B, T, S)) > 0.3
    mask[:, :, 0] = True  # Keras gives a fully masked row uniform weights, we give zeros
    attention_mask = mask & padding[:, None, :]  # (B, T, S)
    expected, expected_weights = theirs(
        query,
        value,
        key=key,
        attention_mask=attention_mask,
        return_attention_scores=True,
        use_causal_mask=causal,
    )
    output, weights = ours(query, key, value, mask=attention_mask, causal=causal)
    np.testing.assert_allclose(output, expected, **TOL)
    np.testing.assert_allclose(weights, expected_weights, **TOL)
    fast, _ = ours(
        query, key, value, mask=mask, key_mask=padding, causal=causal, need_weights=False
    )
    np.testing.assert_allclose(fast, expected, **TOL)


@pytest.mark.parametrize("use_scale", [False, True])
def test_luong_dot_matches_keras_attention(use_scale):
    rng, query, key, value, padding = data(1)
    theirs = keras.layers.Attention(use_scale=use_scale, score_mode="dot")
    theirs([query, value, key])
    ours = ka.LuongAttention(D, D, score="dot", scale=use_scale)
    if use_scale:
        theirs.scale.assign(1.7)
        ours.g.assign(1.7)
    expected, expected_weights = theirs(
        [query, value, key], mask=[None, padding], return_attention_scores=True
    )
    context, weights = ours(query, key, value, mask=padding)
    np.testing.assert_allclose(context, expected, **TOL)
    np.testing.assert_allclose(weights, expected_weights, **TOL)
    # Keras' use_causal_mask is our 3-D mask causal & padding.
    expected = theirs([query, value, key], mask=[None, padding], use_causal_mask=True)
    causal = np.tril(np.ones((T, S), bool)) & padding[:, None, :]
    np.testing.assert_allclose(ours(query, key, value, mask=causal)[0], expected, **TOL)


@pytest.mark.parametrize("use_scale", [False, True])
def test_luong_concat_matches_keras_attention_concat(use_scale):
    rng, query, key, value, padding = data(2)
    theirs = keras.layers.Attention(use_scale=use_scale, score_mode="concat")
    theirs([query, value, key])
    scale = 0.6 if use_scale else 1.0
    if use_scale:
        theirs.scale.assign(scale)
    theirs.concat_score_weight.assign(1.3)
    ours = ka.LuongAttention(D, D, score="concat")
    ours.score.query_proj.kernel.assign(scale * np.eye(D, dtype=np.float32))  # W1 = scale * I
    ours.score.key_proj.kernel.assign(scale * np.eye(D, dtype=np.float32))  # W2 = scale * I
    ours.score.v.assign(np.full(D, 1.3, np.float32))  # v = c * 1
    expected, expected_weights = theirs(
        [query, value, key], mask=[None, padding], return_attention_scores=True
    )
    context, weights = ours(query, key, value, mask=padding)
    np.testing.assert_allclose(context, expected, **TOL)
    np.testing.assert_allclose(weights, expected_weights, **TOL)


@pytest.mark.parametrize("use_scale", [False, True])
def test_bahdanau_matches_keras_additive_attention(use_scale):
    rng, query, key, value, padding = data(3)
    theirs = keras.layers.AdditiveAttention(use_scale=use_scale)
    theirs([query, value, key])
    ours = ka.BahdanauAttention(D, D, d_attn=D)
    # No projections in Keras: W1 = W2 = I; its scale vector is our v.
    ours.score.query_proj.kernel.assign(np.eye(D, dtype=np.float32))
    ours.score.key_proj.kernel.assign(np.eye(D, dtype=np.float32))
    ours.score.v.assign(theirs.scale.numpy() if use_scale else np.ones(D, np.float32))
    expected, expected_weights = theirs(
        [query, value, key], mask=[None, padding], return_attention_scores=True
    )
    context, weights = ours(query, key, value, mask=padding)
    np.testing.assert_allclose(context, expected, **TOL)
    np.testing.assert_allclose(weights, expected_weights, **TOL)
