"""Tests for gattut.tf.graph.gat: the Keras GATConv equals the PyTorch one with copied weights."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
pytest.importorskip("keras")
import torch  # noqa: E402

from gattut.graph.gat import GATConv as TorchGATConv  # noqa: E402
from gattut.tf.graph import GATConv, load_torch_weights  # noqa: E402

N, F, C = 7, 5, 3
# A directed graph: 6 has no incoming edge, 3 -> 3 is a loop, 0 -> 1 appears twice.
EDGES = [[0, 0, 1, 2, 3, 4, 5, 3, 6, 0], [1, 1, 2, 3, 4, 0, 0, 3, 5, 2]]


def make_pair(seed=0, **kwargs):
    """A PyTorch GATConv with random (non-zero) bias and its Keras copy."""
    torch.manual_seed(seed)
    torch_layer = TorchGATConv(F, C, **kwargs)
    if torch_layer.bias is not None:
        with torch.no_grad():
            torch_layer.bias.normal_()
    keras_layer = GATConv(F, C, **kwargs)
    return torch_layer, load_torch_weights(keras_layer, torch_layer)


def inputs(seed=0):
    x = torch.randn(N, F, generator=torch.Generator().manual_seed(seed))
    return x, torch.tensor(EDGES)


def both(torch_layer, keras_layer, x, edge_index):
    out_t, (ei_t, alpha_t) = torch_layer(x, edge_index, return_attention=True)
    out_k, (ei_k, alpha_k) = keras_layer(x.numpy(), edge_index.numpy(), return_attention=True)
    return (
        out_t.detach().numpy(),
        ei_t.numpy(),
        alpha_t.detach().numpy(),
        out_k.numpy(),
        ei_k.numpy(),
        alpha_k.numpy(),
    )


@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("add_loops", [True, False])
@pytest.mark.parametrize("residual", [False, True])
def test_equals_torch_gatconv(concat, add_loops, residual):
    torch_layer, keras_layer = make_pair(
        heads=4, concat=concat, add_self_loops=add_loops, residual=residual
    )
    x, edge_index = inputs()
    out_t, ei_t, alpha_t, out_k, ei_k, alpha_k = both(torch_layer, keras_layer, x, edge_index)
    np.testing.assert_array_equal(ei_k, ei_t)
    np.testing.assert_allclose(out_k, out_t, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(alpha_k, alpha_t, atol=1e-5, rtol=1e-5)


def test_shapes():
    _, layer = make_pair(heads=4, concat=True)
    x, edge_index = inputs()
    out, (ei, alpha) = layer(x.numpy(), edge_index.numpy(), return_attention=True)
    E_loops = len(EDGES[0]) - 1 + N  # one loop (3 -> 3) removed, N added
    assert tuple(out.shape) == (N, 4 * C)
    assert tuple(ei.shape) == (2, E_loops) and tuple(alpha.shape) == (E_loops, 4)
    assert ei.dtype == tf.int64
    _, mean_layer = make_pair(heads=4, concat=False, add_self_loops=False)
    out, (ei, alpha) = mean_layer(x.numpy(), edge_index.numpy(), return_attention=True)
    assert tuple(out.shape) == (N, C) and tuple(alpha.shape) == (len(EDGES[0]), 4)
    # Without return_attention only the output comes back.
    assert tuple(mean_layer(x.numpy(), edge_index.numpy()).shape) == (N, C)


def test_attention_sums_to_one_per_target():
    _, layer = make_pair(heads=2)
    x, edge_index = inputs()
    _, (ei, alpha) = layer(x.numpy(), edge_index.numpy(), return_attention=True)
    sums = tf.math.unsorted_segment_sum(alpha, ei[1], N).numpy()
    np.testing.assert_allclose(sums, np.ones((N, 2)), atol=1e-6)


def test_isolated_node_gets_bias():
    """Without self-loops node 6 has no incoming edge: zero sum, output = bias; no NaN."""
    torch_layer, layer = make_pair(heads=2, add_self_loops=False)
    x, edge_index = inputs()
    out = layer(x.numpy(), edge_index.numpy()).numpy()
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[6], layer.bias.numpy(), atol=1e-7)
    np.testing.assert_allclose(out, torch_layer(x, edge_index).detach().numpy(), atol=1e-5)


def test_direction_matters():
    """Edges are directed: reversing them changes the output, and both agree with PyTorch."""
    torch_layer, layer = make_pair(heads=2)
    x, edge_index = inputs()
    reversed_edges = edge_index.flip(0)
    out = layer(x.numpy(), edge_index.numpy()).numpy()
    out_rev = layer(x.numpy(), reversed_edges.numpy()).numpy()
    assert not np.allclose(out, out_rev)
    np.testing.assert_allclose(out_rev, torch_layer(x, reversed_edges).detach().numpy(), atol=1e-5)


def test_gradients_equal_torch():
    torch_layer, layer = make_pair(heads=3, residual=True)
    x, edge_index = inputs()
    x.requires_grad_(True)
    weights = torch.randn(N, 3 * C, generator=torch.Generator().manual_seed(1))
    (torch_layer(x, edge_index) * weights).sum().backward()
    x_tf = tf.constant(x.detach().numpy())
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_sum(layer(x_tf, edge_index.numpy()) * weights.numpy())
    g_x, g_kernel, g_att_src = tape.gradient(loss, [x_tf, layer.kernel, layer.att_src])
    np.testing.assert_allclose(g_x.numpy(), x.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(g_kernel.numpy(), torch_layer.lin.weight.grad.numpy().T, atol=1e-5)
    np.testing.assert_allclose(g_att_src.numpy(), torch_layer.att_src.grad.numpy(), atol=1e-5)


def test_sparse_input_equals_dense():
    _, layer = make_pair(heads=2, residual=True)
    x, edge_index = inputs()
    x_np = x.numpy() * (np.abs(x.numpy()) > 0.8)  # mostly zeros
    sparse = tf.sparse.from_dense(x_np)
    np.testing.assert_allclose(
        layer(sparse, edge_index.numpy()).numpy(),
        layer(x_np, edge_index.numpy()).numpy(),
        atol=1e-6,
    )


def test_attention_dropout():
    _, layer = make_pair(heads=2, dropout=0.5)
    layer_seeded = GATConv(F, C, heads=2, dropout=0.5, seed=3)
    x, edge_index = inputs()
    _, (_, eval_alpha) = layer(x.numpy(), edge_index.numpy(), return_attention=True)
    _, (_, again) = layer(x.numpy(), edge_index.numpy(), return_attention=True, training=False)
    np.testing.assert_array_equal(eval_alpha.numpy(), again.numpy())
    _, (_, train_alpha) = layer_seeded(
        x.numpy(), edge_index.numpy(), return_attention=True, training=True
    )
    kept = train_alpha.numpy() != 0
    assert 0 < kept.mean() < 1
    # Kept entries are scaled by 1 / (1 - p), as in torch.nn.functional.dropout.
    _, (_, plain) = layer_seeded(x.numpy(), edge_index.numpy(), return_attention=True)
    np.testing.assert_allclose(train_alpha.numpy()[kept], 2 * plain.numpy()[kept], rtol=1e-6)


def test_matches_pyg_gatconv():
    pyg_nn = pytest.importorskip("torch_geometric.nn")
    torch.manual_seed(0)
    pyg_layer = pyg_nn.GATConv(F, C, heads=2, concat=False, residual=True)
    with torch.no_grad():
        pyg_layer.bias.normal_()
    layer = load_torch_weights(GATConv(F, C, heads=2, concat=False, residual=True), pyg_layer)
    x, edge_index = inputs()
    out_p, (ei_p, alpha_p) = pyg_layer(x, edge_index, return_attention_weights=True)
    out_k, (ei_k, alpha_k) = layer(x.numpy(), edge_index.numpy(), return_attention=True)
    np.testing.assert_array_equal(ei_k.numpy(), ei_p.numpy())
    np.testing.assert_allclose(out_k.numpy(), out_p.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(alpha_k.numpy(), alpha_p.detach().numpy(), atol=1e-5)


def test_config_round_trip():
    layer = GATConv(F, C, heads=2, concat=False, residual=True, bias=False, dropout=0.25)
    clone = GATConv.from_config(layer.get_config())
    for key in ("in_features", "out_features", "heads", "concat", "dropout", "residual"):
        assert getattr(clone, key) == getattr(layer, key)
    assert clone.bias is None and clone.res_kernel is not None


@pytest.mark.parametrize(
    "x, edge_index, message",
    [
        (np.zeros(5, np.float32), EDGES, r"x must be \(N, F\) node features, got shape \(5,\)"),
        (np.zeros((N, F), np.int32), EDGES, "x must be floating point, got dtype int32"),
        (np.zeros((N, 4), np.float32), EDGES, "x has 4 features per node but the layer expects 5"),
        (np.zeros((N, F), np.float32), [[0, 1, 2]], r"must have shape \(2, E\), got \(1, 3\)"),
        (np.zeros((N, F), np.float32), np.zeros((2, 3), np.float32), "must be an integer tensor"),
        (np.zeros((N, F), np.float32), [[0, 7], [1, 2]], "node id 7 but there are only 7 nodes"),
        (np.zeros((N, F), np.float32), [[0, -1], [1, 2]], "negative node id -1"),
    ],
)
def test_bad_input(x, edge_index, message):
    layer = GATConv(F, C)
    with pytest.raises(ValueError, match=message):
        layer(x, np.asarray(edge_index))


def test_bad_construction_and_weight_copy():
    with pytest.raises(ValueError, match="dropout must be in"):
        GATConv(F, C, dropout=1.0)
    with pytest.raises(ValueError, match="heads must be an int >= 1, got 0"):
        GATConv(F, C, heads=0)
    torch_layer = TorchGATConv(F, C, heads=2)
    with pytest.raises(ValueError, match=r"GATConv.att_src is \(1, 1, 3\) in Keras but the PyTorch "
                       r"weight gives \(1, 2, 3\)"):
        load_torch_weights(GATConv(F, C, heads=1), torch_layer)
    with pytest.raises(ValueError, match="concat differs"):
        load_torch_weights(GATConv(F, C, heads=2, concat=False), torch_layer)
    with pytest.raises(ValueError, match="gat_conv.*/res_kernel have no counterpart in the PyTorch"):
        load_torch_weights(GATConv(F, C, heads=2, residual=True), torch_layer)
    with pytest.raises(ValueError, match="GATConv.res has no Keras variable 'res_kernel'"):
        load_torch_weights(GATConv(F, C, heads=2), TorchGATConv(F, C, heads=2, residual=True))
    with pytest.raises(ValueError, match="GATConv.lin_src has no Keras layer 'lin_src'"):
        load_torch_weights(GATConv(F, C, heads=2), TorchGATConv((F, F), C, heads=2))
    # A refused copy writes nothing.
    keras_layer = GATConv(F, C, heads=2, residual=True)
    before = [v.numpy().copy() for v in keras_layer.weights]
    with pytest.raises(ValueError):
        load_torch_weights(keras_layer, torch_layer)
    for old, v in zip(before, keras_layer.weights):
        np.testing.assert_array_equal(old, v.numpy())


def test_traces_in_tf_function_with_unknown_sizes():
    """Inside a tf.function with unknown N and E the layer still runs, and agrees with eager."""
    _, layer = make_pair(heads=2, residual=True)
    x, edge_index = inputs()

    @tf.function(
        input_signature=[tf.TensorSpec((None, F), tf.float32), tf.TensorSpec((2, None), tf.int64)]
    )
    def run(x, edge_index):
        return layer(x, edge_index, training=False)

    np.testing.assert_allclose(
        run(x.numpy(), edge_index.numpy()).numpy(),
        layer(x.numpy(), edge_index.numpy()).numpy(),
        atol=1e-6,
    )


def test_attention_bias_equals_torch():
    """The original code's score bias: copied across, the same outputs and attention."""
    torch.manual_seed(0)
    torch_layer = TorchGATConv(F, C, heads=3, attention_bias=True)
    with torch.no_grad():
        torch_layer.att_bias.uniform_(-1, 1)
    keras_layer = load_torch_weights(GATConv(F, C, heads=3, attention_bias=True), torch_layer)
    x, edge_index = inputs()
    out_t, _, alpha_t, out_k, _, alpha_k = both(torch_layer, keras_layer, x, edge_index)
    np.testing.assert_allclose(out_k, out_t, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(alpha_k, alpha_t, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="GATConv.att_bias has no Keras variable 'att_bias'"):
        load_torch_weights(GATConv(F, C, heads=3), torch_layer)
    with pytest.raises(ValueError, match="att_bias have no counterpart in the PyTorch GATConv"):
        load_torch_weights(keras_layer, TorchGATConv(F, C, heads=3))
    assert GATConv.from_config(keras_layer.get_config()).att_bias is not None


def test_a_seed_fixes_every_initial_weight_and_the_halves_differ():
    a, b = GATConv(F, C, heads=2, residual=True, seed=3), GATConv(F, C, heads=2, residual=True, seed=3)
    assert [v.path.split("/")[-1] for v in a.weights] == ["kernel", "att_src", "att_dst",
                                                          "res_kernel", "bias"]
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert not np.array_equal(a.att_src.numpy(), a.att_dst.numpy())
    with pytest.raises(ValueError, match="negative_slope must be >= 0"):
        GATConv(F, C, negative_slope=-0.1)
