"""PyTorch vs Keras: every attention component, with the same weights and inputs, agrees to 1e-5.

Each test builds the PyTorch module from ``gattut.attention`` and its Keras
twin from ``gattut.tf.attention`` with the same arguments, gives the PyTorch
one random parameters (so that ``g``, ``b``, biases are not at their initial
values), copies them over with ``load_torch_weights`` and compares outputs,
weights and, for a few, gradients. Float32 throughout, as a reader would run it.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

import gattut.attention as ta  # noqa: E402
import gattut.tf  # noqa: E402, F401
import gattut.tf.attention as ka  # noqa: E402

B, T, S, D, DV = 2, 4, 6, 8, 5
TOL = {"atol": 1e-5, "rtol": 1e-5}


def close(keras_value, torch_value, **tol):
    np.testing.assert_allclose(
        np.asarray(keras_value), torch_value.detach().numpy(), **(tol or TOL)
    )


def twin(name: str, *args, **kwargs):
    """The PyTorch module and its Keras twin, random PyTorch parameters copied into Keras."""
    module = getattr(ta, name)(*args, **kwargs)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.empty_like(p).uniform_(-0.8, 0.8))
    layer = getattr(ka, name)(*args, **kwargs)
    assert ka.load_torch_weights(layer, module) is layer
    assert len(layer.weights) == len(list(module.parameters()))
    module.eval()
    return module, layer


def inputs(seed: int, dq=D, dk=D, dv=DV):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, T, dq, generator=g)
    key = torch.randn(B, S, dk, generator=g)
    value = torch.randn(B, S, dv, generator=g)
    mask = torch.rand(B, T, S, generator=g) > 0.3
    mask[0, 1] = False  # one fully masked row
    return query, key, value, mask


def np_(*tensors):
    return [t.numpy() for t in tensors]


# ---------------------------------------------------------------- masks and scores


def test_masks_and_masked_softmax_match_with_gradients():
    close(ka.causal_mask(3, 5), ta.causal_mask(3, 5))
    close(ka.padding_mask([2, 0, 3], max_len=4), ta.padding_mask(torch.tensor([2, 0, 3]), 4))
    scores = torch.randn(B, T, S, requires_grad=True)
    mask = inputs(0)[3]
    upstream = torch.randn(B, T, S)
    weights = ta.masked_softmax(scores, mask)
    (weights * upstream).sum().backward()
    x = tf.Variable(scores.detach().numpy())
    with tf.GradientTape() as tape:
        k_weights = ka.masked_softmax(x, mask.numpy())
        loss = tf.reduce_sum(k_weights * upstream.numpy())
    close(k_weights, weights)
    close(tape.gradient(loss, x), scores.grad)
    close(ka.masked_softmax(scores.detach().numpy(), dim=1), torch.softmax(scores, dim=1))


def test_score_functions_match():
    query, key, _, _ = inputs(1)
    for name in ("dot_score", "scaled_dot_score", "cosine_score"):
        close(getattr(ka, name)(query.numpy(), key.numpy()), getattr(ta, name)(query, key))


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("GeneralScore", (D, 3), {}),
        ("AdditiveScore", (D, 3, 7), {}),
        ("AdditiveScore", (D, 3, 7), {"normalize": True}),
    ],
)
def test_score_layers_match(name, args, kwargs):
    module, layer = twin(name, *args, **kwargs)
    query, key, _, _ = inputs(2, dk=3)
    close(layer(query.numpy(), key.numpy()), module(query, key))


# ---------------------------------------------------------------- Bahdanau, Luong, local-p


@pytest.mark.parametrize("normalize", [False, True])
def test_bahdanau_matches_sequence_and_one_step(normalize):
    module, layer = twin("BahdanauAttention", D, 3, 7, normalize=normalize)
    query, key, value, mask = inputs(3, dk=3)
    for args in [(query, key, value, mask), (query[:, 0], key, None, mask[:, 0])]:
        k_args = [None if a is None else a.numpy() for a in args]
        context, weights = layer(*k_args[:3], mask=k_args[3])
        t_context, t_weights = module(*args[:3], mask=args[3])
        close(context, t_context)
        close(weights, t_weights)


@pytest.mark.parametrize(
    "score, scale, dk",
    [
        ("dot", False, D),
        ("dot", True, D),
        ("general", True, 3),
        ("concat", False, 3),
        ("concat", True, 3),
    ],
)
def test_luong_matches(score, scale, dk):
    module, layer = twin("LuongAttention", D, dk, score=score, scale=scale)
    query, key, value, mask = inputs(4, dk=dk)
    padding = mask[:, 0]  # a (B, S) key padding mask
    context, weights = layer(*np_(query, key, value), mask=padding.numpy())
    t_context, t_weights = module(query, key, value, padding)
    close(context, t_context)
    close(weights, t_weights)


@pytest.mark.parametrize("score", ["general", "dot", "concat"])
def test_local_p_matches(score):
    module, layer = twin("LocalPAttention", D, D, window=2, score=score)
    query, key, value, _ = inputs(5)
    padding = ta.padding_mask(torch.tensor([6, 4]), S)
    out = layer(*np_(query, key, value), mask=padding.numpy(), return_positions=True)
    t_out = module(query, key, value, padding, return_positions=True)
    for k_value, t_value in zip(out, t_out):
        close(k_value, t_value)
    # One decoder step, no mask.
    for k_value, t_value in zip(
        layer(*np_(query[:, 0], key, value)), module(query[:, 0], key, value)
    ):
        close(k_value, t_value)


# ---------------------------------------------------------------- monotonic


@pytest.mark.parametrize("mode", ["parallel", "recursive", "hard"])
def test_monotonic_attention_function_matches(mode):
    g = torch.Generator().manual_seed(6)
    p_choose = torch.rand(B, S, generator=g)
    previous = torch.softmax(torch.randn(B, S, generator=g), dim=-1)
    if mode == "hard":
        previous = torch.nn.functional.one_hot(torch.tensor([0, 2]), S).float()
    close(
        ka.monotonic_attention(*np_(p_choose, previous), mode=mode),
        ta.monotonic_attention(p_choose, previous, mode=mode),
    )
    close(
        ka.safe_cumprod(p_choose.numpy(), exclusive=True), ta.safe_cumprod(p_choose, exclusive=True)
    )


def test_hard_monotonic_gradient_wrt_previous_weights_is_exact():
    # tf.math.cumprod's gradient is 0 where a factor is exactly 0 (every position
    # after the chosen one); the Keras twin must match PyTorch's exact gradient
    # (tests/attention/test_monotonic.py checks that one against a hand-written
    # product) and central finite differences (exact for this polynomial).
    g = torch.Generator().manual_seed(8)
    p = torch.rand(4, 7, generator=g, dtype=torch.float64)
    previous = torch.nn.functional.one_hot(torch.tensor([0, 2, 1, 5]), 7).double()
    upstream = torch.randn(4, 7, generator=g, dtype=torch.float64)
    q = previous.clone().requires_grad_(True)
    (ta.monotonic_attention(p, q, "hard") * upstream).sum().backward()
    x = tf.Variable(previous.numpy())
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(ka.monotonic_attention(p.numpy(), x, "hard") * upstream.numpy())
    keras_grad = tape.gradient(loss, x).numpy()
    assert np.abs(q.grad.numpy()).max() > 0.1
    np.testing.assert_allclose(keras_grad, q.grad.numpy(), rtol=0, atol=1e-12)

    def value(prev):
        return float((ta.monotonic_attention(p, prev, "hard") * upstream).sum())

    eps, numeric = 1e-6, torch.zeros_like(previous)
    for index in np.ndindex(*previous.shape):
        step = torch.zeros_like(previous)
        step[index] = eps
        numeric[index] = (value(previous + step) - value(previous - step)) / (2 * eps)
    np.testing.assert_allclose(keras_grad, numeric.numpy(), rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"d_attn": 7, "score": "bahdanau", "normalize": True, "mode": "parallel"},
        {"d_attn": 7, "score": "bahdanau", "mode": "recursive"},
        {"d_attn": 7, "score": "bahdanau", "mode": "hard"},
        {"score": "bahdanau", "mode": "parallel"},  # d_attn defaults to d_query
        {"score": "luong", "scale": True, "mode": "parallel", "score_bias_init": -1.0},
    ],
)
def test_monotonic_layer_matches_over_steps(kwargs):
    module, layer = twin("MonotonicAttention", D, 3, **kwargs)
    query, key, value, _ = inputs(7, dk=3)
    padding = ta.padding_mask(torch.tensor([6, 4]), S)
    previous = ta.MonotonicAttention.initial_weights(B, S)
    k_previous = ka.MonotonicAttention.initial_weights(B, S)
    close(k_previous, previous)
    for t in range(T):
        context, previous = module(query[:, t], key, previous, value, padding)
        k_context, k_previous = layer(
            query[:, t].numpy(), key.numpy(), k_previous, value.numpy(), mask=padding.numpy()
        )
        close(k_context, context)
        close(k_previous, previous)


# ---------------------------------------------------------------- SDPA and multi-head


def test_sdpa_matches():
    H = 2
    g = torch.Generator().manual_seed(8)
    q, k, v = (torch.randn(B, H, n, 4, generator=g) for n in (T, S, S))
    mask = torch.rand(B, 1, T, S, generator=g) > 0.4
    out, weights = ta.scaled_dot_product_attention(q, k, v, mask)
    k_out, k_weights = ka.scaled_dot_product_attention(*np_(q, k, v), mask=mask.numpy())
    close(k_out, out)
    close(k_weights, weights)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize(
    "masks",
    [
        {},
        {"causal": True},
        {"mask": "2d"},
        {"mask": "3d", "key_mask": True},
        {"mask": "4d", "causal": True},
    ],
)
def test_multihead_matches(masks, need_weights):
    module, layer = twin("MultiHeadAttention", D, 2, kdim=3, vdim=DV)
    query, key, value, mask = inputs(9, dk=3)
    kwargs = {"causal": masks.get("causal", False), "need_weights": need_weights}
    if masks.get("mask") == "2d":
        kwargs["mask"] = mask[1]  # (T, S)
    elif masks.get("mask") == "3d":
        kwargs["mask"] = mask  # (B, T, S)
    elif masks.get("mask") == "4d":
        kwargs["mask"] = torch.rand(B, 2, T, S, generator=torch.Generator().manual_seed(1)) > 0.5
    if masks.get("key_mask"):
        kwargs["key_mask"] = ta.padding_mask(torch.tensor([6, 3]), S)
    output, weights = module(query, key, value, **kwargs)
    k_kwargs = {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}
    k_output, k_weights = layer(*np_(query, key, value), **k_kwargs)
    close(k_output, output)
    if need_weights:
        close(k_weights, weights)
    else:
        assert k_weights is None and weights is None


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_with_own_head_width_matches(need_weights):
    # key_dim (Keras' name) is the per-head width; here 3 heads of 5 on a width-8 model.
    module, layer = twin("MultiHeadAttention", D, 3, kdim=3, vdim=DV, key_dim=5)
    assert module.q_proj.weight.shape == (15, D) and layer.key_dim == 5
    query, key, value, mask = inputs(12, dk=3)
    output, weights = module(query, key, value, mask, need_weights=need_weights)
    k_output, k_weights = layer(*np_(query, key, value), mask.numpy(), need_weights=need_weights)
    assert output.shape == (B, T, D)
    close(k_output, output)
    if need_weights:
        assert weights.shape == (B, 3, T, S)
        close(k_weights, weights)


def test_multihead_gradients_match():
    module, layer = twin("MultiHeadAttention", D, 2)
    query, key, _, mask = inputs(10)
    query.requires_grad_(True)
    upstream = torch.randn(B, T, D)
    (module(query, key, key, mask)[0] * upstream).sum().backward()
    x = tf.Variable(query.detach().numpy())
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(
            layer(x, key.numpy(), key.numpy(), mask=mask.numpy())[0] * upstream.numpy()
        )
    grads = tape.gradient(loss, [x, layer.q_proj.kernel])
    close(grads[0], query.grad)
    close(grads[1], module.q_proj.weight.grad.T)


# ---------------------------------------------------------------- positions


@pytest.mark.parametrize("layout", ["interleaved", "sin_cos", "cos_sin"])
def test_sinusoidal_layouts_match(layout):
    close(ka.sinusoidal_encoding(50, D, layout), ta.sinusoidal_encoding(50, D, layout))
    for other in ("interleaved", "sin_cos", "cos_sin"):
        close(ka.layout_permutation(layout, other, D), ta.layout_permutation(layout, other, D))
    module, layer = twin("SinusoidalPositionalEncoding", 20, D, layout=layout)
    x = torch.randn(B, T, D)
    close(layer(x.numpy()), module(x))


def test_learned_and_relative_positions_match():
    module, layer = twin("LearnedPositionalEncoding", 10, D)
    x = torch.randn(B, T, D)
    close(layer(x.numpy()), module(x))

    rel_k_module, rel_k_layer = twin("RelativePositionEmbedding", 2, 4)
    rel_v_module, rel_v_layer = twin("RelativePositionEmbedding", 3, DV)
    close(rel_k_layer(T, S), rel_k_module(T, S))
    H = 2
    g = torch.Generator().manual_seed(11)
    q, k = torch.randn(B, H, T, 4, generator=g), torch.randn(B, H, S, 4, generator=g)
    v = torch.randn(B, H, S, DV, generator=g)
    mask = torch.rand(B, 1, T, S, generator=g) > 0.3
    out, weights = ta.relative_attention(q, k, v, rel_k_module(T, S), rel_v_module(T, S), mask)
    k_out, k_weights = ka.relative_attention(
        *np_(q, k, v), rel_k_layer(T, S), rel_v_layer(T, S), mask=mask.numpy()
    )
    close(k_out, out)
    close(k_weights, weights)


def test_rotary_matches():
    module, layer = twin("RotaryEmbedding", 6)
    x = torch.randn(B, 2, T, 6)
    close(layer(x.numpy()), module(x))
    positions = torch.tensor([3, 7, 8, 20])
    close(layer.apply_rotary(x.numpy(), positions.numpy()), module.apply_rotary(x, positions))


def test_load_torch_weights_refuses_a_mismatch_and_writes_nothing():
    """One copy for every layer: a shape, a parameter or a variable on one side only is an error."""
    module = ta.BahdanauAttention(D, D, 4, normalize=False)
    layer = ka.BahdanauAttention(D, D, 4, normalize=True)  # has g and b, which module lacks
    before = [v.numpy().copy() for v in layer.weights]
    with pytest.raises(ValueError, match=r"score/g, score/b have no counterpart in the PyTorch"):
        ka.load_torch_weights(layer, module)
    for old, v in zip(before, layer.weights):
        np.testing.assert_array_equal(old, v.numpy())
    with pytest.raises(ValueError, match=r"BahdanauAttention.score.g has no Keras variable 'g'"):
        ka.load_torch_weights(ka.BahdanauAttention(D, D, 4),
                              ta.BahdanauAttention(D, D, 4, normalize=True))
    with pytest.raises(ValueError, match=r"q_proj.weight is \(8, 8\) in Keras but the PyTorch"):
        ka.load_torch_weights(ka.MultiHeadAttention(D, 2), ta.MultiHeadAttention(2 * D, 2))
    with pytest.raises(ValueError, match="Linear, which needs a Keras Dense, not a BahdanauAttention"):
        ka.load_torch_weights(ka.BahdanauAttention(D, D, 4), torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="not built yet; call it once on inputs first"):
        ka.load_torch_weights(tf.keras.layers.Dense(3), torch.nn.Linear(2, 3))
    dense = tf.keras.layers.Dense(3)
    dense.build((None, 2))
    linear = torch.nn.Linear(2, 3)
    assert ka.load_torch_weights(dense, linear) is dense
    close(dense.kernel, linear.weight.T)  # (in, out): the transpose
