"""Properties of the Keras attention layers, their shapes, and the errors bad input raises.

Within one framework, so float64 and 1e-6 where values are compared.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tensorflow as tf  # noqa: E402

import gattut.tf  # noqa: E402
import gattut.tf.attention as ka  # noqa: E402

B, T, S, D, H, DV = 2, 4, 6, 8, 2, 5
TOL = {"atol": 1e-6, "rtol": 1e-6}
rng = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return rng.normal(size=shape).astype(dtype)


def partial_mask():
    mask = rng.random((B, T, S)) > 0.4
    mask[..., 0] = True  # every row can see something
    return mask


def test_set_seed_makes_keras_repeatable():
    gattut.tf.set_seed(3)
    a = keras.random.normal((3,)).numpy()
    gattut.tf.set_seed(3)
    np.testing.assert_array_equal(keras.random.normal((3,)).numpy(), a)


# ---------------------------------------------------------------- shapes in the docstrings


def test_shapes():
    query, key, value = randn(B, T, D), randn(B, S, 3), randn(B, S, DV)
    assert ka.causal_mask(T, S).shape == (T, S) and ka.causal_mask(T).dtype == tf.bool
    assert ka.padding_mask([3, 6]).shape == (B, S)
    assert ka.masked_softmax(randn(B, T, S)).shape == (B, T, S)
    assert ka.dot_score(query, randn(B, S, D)).shape == (B, T, S)
    assert ka.GeneralScore(D, 3)(query, key).shape == (B, T, S)
    assert ka.AdditiveScore(D, 3, 7)(query, key).shape == (B, T, S)
    for layer in [
        ka.BahdanauAttention(D, 3, 7),
        ka.LuongAttention(D, 3, "general"),
        ka.LocalPAttention(D, 3, 2),
    ]:
        context, weights = layer(query, key, value)
        assert (context.shape, weights.shape) == ((B, T, DV), (B, T, S))
        context, weights = layer(query[:, 0], key, value)
        assert (context.shape, weights.shape) == ((B, DV), (B, S))
    _, _, positions = ka.LocalPAttention(D, 3, 2)(query, key, value, return_positions=True)
    assert positions.shape == (B, T)
    layer = ka.MonotonicAttention(D, 3, 7)
    context, weights = layer(query[:, 0], key, layer.initial_weights(B, S), value)
    assert (context.shape, weights.shape) == ((B, DV), (B, S))
    out, weights = ka.scaled_dot_product_attention(
        randn(B, H, T, 4), randn(B, H, S, 4), randn(B, H, S, DV)
    )
    assert (out.shape, weights.shape) == ((B, H, T, DV), (B, H, T, S))
    out, weights = ka.MultiHeadAttention(D, H, kdim=3, vdim=DV)(query, key, value)
    assert (out.shape, weights.shape) == ((B, T, D), (B, H, T, S))
    assert ka.sinusoidal_encoding(7, D).shape == (7, D)
    assert ka.layout_permutation("sin_cos", "interleaved", D).shape == (D,)
    assert ka.SinusoidalPositionalEncoding(10, D)(query).shape == (B, T, D)
    assert ka.LearnedPositionalEncoding(10, D)(query).shape == (B, T, D)
    assert ka.RelativePositionEmbedding(2, 4)(T, S).shape == (T, S, 4)
    assert ka.RotaryEmbedding(4)(randn(B, H, T, 4)).shape == (B, H, T, 4)


# ---------------------------------------------------------------- weights and masks


@pytest.mark.parametrize(
    "layer",
    [
        ka.BahdanauAttention(D, D, 7, normalize=True),
        ka.LuongAttention(D, D, "dot", scale=True),
        ka.LuongAttention(D, D, "concat"),
    ],
    ids=["bahdanau", "luong-dot", "luong-concat"],
)
def test_weights_sum_to_one_and_masked_get_zero(layer):
    mask = partial_mask()
    _, weights = layer(randn(B, T, D), randn(B, S, D), mask=mask)
    np.testing.assert_allclose(tf.reduce_sum(weights, -1), np.ones((B, T)), atol=1e-6)
    assert np.all(weights.numpy()[~mask] == 0)


def test_multihead_and_sdpa_weights_sum_to_one_and_masked_get_zero():
    mask = partial_mask()
    _, weights = ka.MultiHeadAttention(D, H)(randn(B, T, D), randn(B, S, D), randn(B, S, D), mask)
    np.testing.assert_allclose(tf.reduce_sum(weights, -1), np.ones((B, H, T)), atol=1e-6)
    assert np.all(weights.numpy()[np.broadcast_to(~mask[:, None], weights.shape)] == 0)
    _, weights = ka.scaled_dot_product_attention(
        randn(B, T, 4), randn(B, S, 4), randn(B, S, 3), mask
    )
    np.testing.assert_allclose(tf.reduce_sum(weights, -1), np.ones((B, T)), atol=1e-6)
    assert np.all(weights.numpy()[~mask] == 0)


def _fully_masked():
    mask = partial_mask()
    mask[1, 2] = False  # batch 1, query 2 sees nothing
    return mask


def _assert_zero_row_and_finite(weights, grads):
    assert np.all(np.asarray(weights)[1, ..., 2, :] == 0)
    for g in grads:
        assert g is not None and np.all(np.isfinite(np.asarray(g)))


def test_fully_masked_rows_give_zeros_and_finite_gradients():
    mask = _fully_masked()
    scores = tf.Variable(randn(B, T, S, dtype=np.float64))
    with tf.GradientTape() as tape:
        weights = ka.masked_softmax(scores, mask)
        loss = tf.reduce_sum(weights * randn(B, T, S, dtype=np.float64))
    grad = tape.gradient(loss, scores)
    _assert_zero_row_and_finite(weights, [grad])
    assert np.all(grad.numpy()[1, 2] == 0)

    q, k, v = (tf.Variable(randn(B, n, 4)) for n in (T, S, S))
    with tf.GradientTape() as tape:
        out, weights = ka.scaled_dot_product_attention(q, k, v, mask)
        loss = tf.reduce_sum(out)
    _assert_zero_row_and_finite(weights, tape.gradient(loss, [q, k, v]))
    assert np.all(out.numpy()[1, 2] == 0)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_fully_masked_row_is_finite_on_both_paths(need_weights):
    layer = ka.MultiHeadAttention(D, H)
    mask = _fully_masked()
    query = tf.Variable(randn(B, T, D))
    with tf.GradientTape() as tape:
        out, weights = layer(query, randn(B, S, D), randn(B, S, D), mask, need_weights=need_weights)
        loss = tf.reduce_sum(out)
    grads = tape.gradient(loss, [query, *layer.trainable_weights])
    _assert_zero_row_and_finite(out if weights is None else weights, [])
    for g in grads:
        assert np.all(np.isfinite(np.asarray(g)))
    # The attention output of that row is zero, so the layer gives out_proj's bias.
    np.testing.assert_allclose(out[1, 2], layer.out_proj.bias, **TOL)


def test_bahdanau_fully_masked_row_is_finite():
    layer = ka.BahdanauAttention(D, D, 7)
    mask = _fully_masked()
    query = tf.Variable(randn(B, T, D))
    with tf.GradientTape() as tape:
        context, weights = layer(query, randn(B, S, D), mask=mask)
        loss = tf.reduce_sum(context)
    _assert_zero_row_and_finite(weights, tape.gradient(loss, [query, *layer.trainable_weights]))


def test_causal_output_ignores_the_future_and_fast_path_agrees():
    layer = ka.MultiHeadAttention(D, H)
    x = randn(B, T, D)
    out, _ = layer(x, x, x, causal=True)
    changed = x.copy()
    changed[:, -1] += 5.0
    out_changed, _ = layer(changed, changed, changed, causal=True)
    np.testing.assert_allclose(out_changed[:, :-1], out[:, :-1], atol=1e-5)
    np.testing.assert_allclose(layer(x, x, x, causal=True, need_weights=False)[0], out, atol=1e-5)


def test_self_attention_is_permutation_equivariant():
    layer = ka.MultiHeadAttention(D, H)
    x = randn(B, T, D)
    perm = rng.permutation(T)
    out, _ = layer(x, x, x)
    out_perm, _ = layer(x[:, perm], x[:, perm], x[:, perm])
    np.testing.assert_allclose(out_perm, tf.gather(out, perm, axis=1), atol=1e-5)


def test_dropout_only_in_training_and_weights_before_dropout():
    layer = ka.MultiHeadAttention(D, H, dropout=0.5, seed=1)
    x = randn(B, T, D)
    eval_out, eval_weights = layer(x, x, x)
    np.testing.assert_allclose(layer(x, x, x, training=False)[0], eval_out, **TOL)
    train_out, train_weights = layer(x, x, x, training=True)
    assert not np.allclose(train_out, eval_out)
    np.testing.assert_allclose(train_weights, eval_weights, atol=1e-6)


def test_multihead_runs_inside_tf_function():
    layer = ka.MultiHeadAttention(D, H)
    x = randn(B, T, D)
    step = tf.function(lambda x: layer(x, x, x, causal=True, need_weights=False)[0])
    np.testing.assert_allclose(step(x), layer(x, x, x, causal=True)[0], atol=1e-5)


def test_layers_trace_with_unknown_sizes():
    """Inside tf.function with B, T, S unknown, the checks skip what they cannot see."""
    seq, step = tf.TensorSpec((None, None, D)), tf.TensorSpec((None, D))
    padding_spec = tf.TensorSpec((None, None), tf.bool)
    x, padding = randn(B, T, D), np.arange(T)[None, :] < np.array([[T], [2]])
    mha = ka.MultiHeadAttention(D, H)
    for need_weights in (True, False):
        fn = tf.function(
            lambda q, m, nw=need_weights: mha(
                q, q, q, key_mask=m, causal=True, need_weights=nw
            )[0],
            input_signature=[seq, padding_spec],
        )
        expected = mha(x, x, x, key_mask=padding, causal=True)[0]
        np.testing.assert_allclose(fn(x, padding), expected, atol=1e-5)
    for layer in [ka.BahdanauAttention(D, D, 5), ka.LocalPAttention(D, D, 2)]:
        fn = tf.function(
            lambda q, m, layer=layer: layer(q, q, mask=m), input_signature=[seq, padding_spec]
        )
        for traced, eager in zip(fn(x, padding), layer(x, x, mask=padding)):
            np.testing.assert_allclose(traced, eager, atol=1e-5)
    mono = ka.MonotonicAttention(D, D, 5)
    fn = tf.function(
        lambda q, k, p: mono(q, k, p), input_signature=[step, seq, tf.TensorSpec((None, None))]
    )
    previous = mono.initial_weights(B, T)
    np.testing.assert_allclose(
        fn(x[:, 0], x, previous)[1], mono(x[:, 0], x, previous)[1], atol=1e-6
    )


def test_layers_work_in_a_functional_keras_model():
    inputs = keras.Input((None, D))
    h = ka.LearnedPositionalEncoding(16, D)(inputs)
    # need_weights=True: Keras' functional API cannot carry the None of need_weights=False.
    out, _ = ka.MultiHeadAttention(D, H)(h, h, h, causal=True)
    model = keras.Model(inputs, out)
    model.compile(optimizer="sgd", loss="mse")
    x = randn(B, T, D)
    before = model(x).numpy()
    model.fit(x, x, epochs=1, verbose=0)
    assert not np.allclose(model(x).numpy(), before)


def test_monotonic_parallel_equals_recursive_and_sums_to_at_most_one():
    p_choose = rng.random((B, S))
    previous = np.asarray(ka.MonotonicAttention.initial_weights(B, S, dtype="float64"))
    for _ in range(3):
        parallel = ka.monotonic_attention(p_choose, previous, "parallel")
        np.testing.assert_allclose(
            parallel, ka.monotonic_attention(p_choose, previous, "recursive"), **TOL
        )
        assert np.all(tf.reduce_sum(parallel, -1).numpy() <= 1 + 1e-12)
        previous = parallel.numpy()


def test_sinusoidal_layouts_differ_by_the_permutation():
    for a in ("interleaved", "sin_cos", "cos_sin"):
        for b in ("interleaved", "sin_cos", "cos_sin"):
            perm = ka.layout_permutation(a, b, D)
            np.testing.assert_array_equal(
                tf.gather(ka.sinusoidal_encoding(9, D, a), perm, axis=1),
                ka.sinusoidal_encoding(9, D, b),
            )


def test_rotary_scores_depend_only_on_the_offset():
    rope = ka.RotaryEmbedding(6)
    q, k = randn(1, 6, dtype=np.float64), randn(1, 6, dtype=np.float64)

    def score(m, n):
        return float(tf.reduce_sum(rope.apply_rotary(q, [m]) * rope.apply_rotary(k, [n])))

    assert abs(score(3, 1) - score(7, 5)) < 1e-9
    assert abs(score(0, 0) - float(np.sum(q * k))) < 1e-9


# ---------------------------------------------------------------- errors


def _mha(**kwargs):
    return ka.MultiHeadAttention(D, H, **kwargs)


x = randn(B, T, D)
BAD = [
    (lambda: ka.masked_softmax(randn(2, 3), np.ones((2, 3), np.float32)), r"dtype bool.*float32"),
    (lambda: ka.masked_softmax(randn(2, 3), np.ones((2, 4), bool)), r"\(2, 4\).*\(2, 3\)"),
    (lambda: ka.masked_softmax(randn(2, 3), np.ones((5, 2, 3), bool)), r"\(5, 2, 3\)"),
    (lambda: ka.padding_mask(np.array([[1, 2]])), "1-D integer"),
    (lambda: ka.padding_mask([1, 5], max_len=3), "shorter"),
    (lambda: ka.padding_mask([1, -1]), "non-negative"),
    (lambda: ka.dot_score(randn(2, 3, 5), randn(2, 4, 6)), r"\(2, 3, 5\).*\(2, 4, 6\)"),
    (
        lambda: ka.GeneralScore(5, 3)(randn(2, 3, 5), randn(2, 4, 6)),
        r"key has width 6.*expected width 3",
    ),
    (
        lambda: ka.scaled_dot_score(randn(2, 3, 5), randn(3, 4, 5)),
        r"batch sizes differ.*\(2, 3, 5\).*\(3, 4, 5\)",
    ),
    (
        lambda: ka.BahdanauAttention(4, D, 3)(randn(B, T, 9), randn(B, S, D)),
        r"query has width 9.*expected width 4",
    ),
    (lambda: ka.BahdanauAttention(D, D, 3)(x[:1], randn(B, S, D)), "batch sizes differ"),
    (
        lambda: ka.BahdanauAttention(D, D, 3)(x, randn(B, S, D), randn(B, 4, D)),
        r"same length S.*\(2, 6, 8\).*\(2, 4, 8\)",
    ),
    (
        lambda: ka.LuongAttention(D, D)(x, randn(B, S, D), mask=np.ones((B, 4), bool)),
        r"\(2, 4\).*\(2, 6\)",
    ),
    (
        lambda: ka.LuongAttention(D, D)(x, randn(B, S, D), mask=np.ones((B, S), np.int64)),
        "dtype bool",
    ),
    (lambda: ka.BahdanauAttention(D, D, 3)(x, randn(B, 0, D)), "zero length S"),
    (lambda: ka.LuongAttention(D, 6, score="dot"), r"d_query == d_key.*d_query=8, d_key=6"),
    (lambda: ka.LuongAttention(D, D, score="bilinear"), "score must be one of"),
    (lambda: ka.LocalPAttention(D, D, window=0), "window must be a positive int"),
    (lambda: ka.monotonic_attention(randn(2, 3), randn(2, 3), "soft"), "mode must be one of"),
    (lambda: ka.monotonic_attention(randn(2, 3), randn(2, 4)), r"\(2, 3\).*\(2, 4\)"),
    (lambda: ka.MonotonicAttention(D, D, 3, scale=True), "scale=True belongs to score='luong'"),
    (
        lambda: ka.MonotonicAttention(D, D, 3)(
            randn(B, D), randn(B, S, D), np.zeros((B, S - 1), np.float32)
        ),
        r"previous_weights must have shape \(B, S\) = \(2, 6\)",
    ),
    (
        lambda: ka.MonotonicAttention(D, D, 3)(x, randn(B, S, D), np.zeros((B, S), np.float32)),
        r"query must have shape \(B, Dq\)",
    ),
    (
        lambda: ka.scaled_dot_product_attention(randn(B, T, 4), randn(B, S, 3), randn(B, S, 3)),
        r"same width Dh.*\(2, 4, 4\).*\(2, 6, 3\)",
    ),
    (
        lambda: ka.scaled_dot_product_attention(randn(B, T, 4), randn(B, S, 4), randn(B, 5, 4)),
        r"must agree on \(\.\.\., S\)",
    ),
    (
        lambda: ka.scaled_dot_product_attention(
            randn(B, T, 4), randn(B, S, 4), randn(B, S, 4), dropout=1.0
        ),
        "dropout must be in",
    ),
    (lambda: ka.MultiHeadAttention(8, 3), "d_model=8, num_heads=3"),
    (
        lambda: _mha()(randn(B, T, 7), randn(B, S, D), randn(B, S, D)),
        r"query has width 7 \(shape \(2, 4, 7\)\), expected width 8",
    ),
    (lambda: _mha(kdim=5)(x, x, x), r"key has width 8.*expected width 5"),
    (lambda: _mha(vdim=3)(x, x, x), r"value has width 8.*expected width 3"),
    (
        lambda: _mha()(x, randn(3, S, D), randn(3, S, D)),
        r"batch sizes differ: query \(2, 4, 8\), key \(3, 6, 8\)",
    ),
    (lambda: _mha()(x, randn(B, S, D), randn(B, 5, D)), r"same length S.*\(2, 6, 8\).*\(2, 5, 8\)"),
    (lambda: _mha()(x[:, :0], x, x), r"query has zero length T \(shape \(2, 0, 8\)\)"),
    (lambda: _mha()(x[0], x[0], x[0]), r"query must have shape \(B, T, D\), got shape \(4, 8\)"),
    (
        lambda: _mha()(x, x, x, mask=np.ones((T, T), np.float32)),
        "mask must have dtype bool.*float32",
    ),
    (
        lambda: _mha()(x, x, x, mask=np.ones((T, 5), bool)),
        r"mask of shape \(4, 5\) does not broadcast.*\(2, 2, 4, 4\)",
    ),
    (
        lambda: _mha()(x, x, x, key_mask=np.ones((T, B), bool)),
        r"key_mask of shape \(4, 2\).*\(2, 4\)",
    ),
    (lambda: ka.sinusoidal_encoding(5, 7), "positive even"),
    (lambda: ka.sinusoidal_encoding(5, D, layout="halves"), "layout must be one of"),
    (lambda: ka.SinusoidalPositionalEncoding(3, D)(x), r"T=4.*> max_len=3"),
    (
        lambda: ka.LearnedPositionalEncoding(10, D)(randn(B, T, 6)),
        r"x has width 6.*expected width 8",
    ),
    (
        lambda: ka.relative_attention(randn(T, 4), randn(S, 4), randn(S, 3), randn(T, S, 3)),
        r"rel_k must have shape \(T, S, Dh\) = \(4, 6, 4\)",
    ),
    (lambda: ka.RotaryEmbedding(5), "positive even"),
    (lambda: ka.RotaryEmbedding(4)(randn(T, 6)), r"x has width 6.*expected width 4"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_bad_input_raises_value_error_naming_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_old_names_raise_type_error_explaining_the_rename():
    x = randn(B, T, D)
    real = np.ones((B, T), bool)
    with pytest.raises(TypeError, match=r"`key_padding_mask` was renamed `key_mask`.*True = may"):
        _mha()(x, x, x, key_padding_mask=real)
    with pytest.raises(TypeError, match=r"`d_key` was renamed `kdim`"):
        ka.MultiHeadAttention(D, H, d_key=3)
