"""Tests for gattut.graph.gat: GATConv against PyG, the dense layer, and its own paths."""

from __future__ import annotations

import pytest
import torch

from gattut.graph import GatedGATConv, GATv2Conv, GCNConv
from gattut.graph.dense_gat import DenseGATConv
from gattut.graph.gat import GATConv

from .helpers import assert_matches_pyg


def _pyg_pair(concat, loops, residual, heads=2):
    nn = pytest.importorskip("torch_geometric.nn")
    torch.manual_seed(0)
    ours = GATConv(5, 3, heads=heads, concat=concat, add_self_loops=loops, residual=residual)
    with torch.no_grad():  # nonzero bias so that it is compared too
        ours.bias.uniform_(-1, 1)
    ref = nn.GATConv(5, 3, heads=heads, concat=concat, add_self_loops=loops, residual=residual)
    ref.load_state_dict(ours.state_dict())
    return ours, ref


@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("loops", [True, False])
@pytest.mark.parametrize("residual", [False, True])
def test_equals_pyg_outputs_and_attention(tricky_edges, concat, loops, residual):
    """Directed edges, a duplicate edge, an existing self-loop and isolated nodes."""
    edge_index, N = tricky_edges
    ours, ref = _pyg_pair(concat, loops, residual)
    x = torch.randn(N, 5)
    out, (ei, alpha) = ours(x, edge_index, return_attention=True)
    out_ref, (ei_ref, alpha_ref) = ref(x, edge_index, return_attention_weights=True)
    assert out.shape == ((N, 6) if concat else (N, 3))
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-5)
    # Same edges in the same order, so the coefficients line up edge by edge.
    assert ei.tolist() == ei_ref.tolist()
    assert alpha.shape == (ei.shape[1], 2)
    torch.testing.assert_close(alpha, alpha_ref, rtol=1e-5, atol=1e-5)


def test_equals_pyg_gradients(tricky_edges):
    edge_index, N = tricky_edges
    ours, ref = _pyg_pair(concat=True, loops=True, residual=True)
    x = torch.randn(N, 5)
    g = torch.randn(N, 6)
    grads = torch.autograd.grad(ours(x, edge_index), list(ours.parameters()), g)
    grads_ref = torch.autograd.grad(ref(x, edge_index), list(ref.parameters()), g)
    for a, b in zip(grads, grads_ref):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("concat", [True, False])
def test_sparse_and_gather_paths_agree(tricky_edges, concat):
    edge_index, N = tricky_edges
    torch.manual_seed(0)
    fast = GATConv(5, 3, heads=4, concat=concat).double()
    slow = GATConv(5, 3, heads=4, concat=concat, aggregation="gather").double()
    slow.load_state_dict(fast.state_dict())
    x = torch.randn(N, 5, dtype=torch.float64)
    out_fast, out_slow = fast(x, edge_index), slow(x, edge_index)
    torch.testing.assert_close(out_fast, out_slow, rtol=1e-6, atol=1e-6)
    g = torch.randn_like(out_fast)
    for a, b in zip(torch.autograd.grad(out_fast, list(fast.parameters()), g),
                    torch.autograd.grad(out_slow, list(slow.parameters()), g)):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("loops", [True, False])
@pytest.mark.parametrize("concat", [True, False])
def test_equals_dense_gat(simple_edges, loops, concat):
    edge_index, N = simple_edges
    torch.manual_seed(0)
    sparse = GATConv(5, 3, heads=2, concat=concat, add_self_loops=loops, residual=True).double()
    dense = DenseGATConv(5, 3, heads=2, concat=concat, add_self_loops=loops, residual=True).double()
    dense.load_state_dict(sparse.state_dict())
    x = torch.randn(N, 5, dtype=torch.float64, requires_grad=True)
    out, (ei, alpha) = sparse(x, edge_index, return_attention=True)
    out_dense, weights = dense(x, edge_index, return_attention=True)
    torch.testing.assert_close(out, out_dense, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(alpha, weights[:, ei[1], ei[0]].t(), rtol=1e-6, atol=1e-6)
    g = torch.randn_like(out)
    (gx,) = torch.autograd.grad(out, x, g)
    (gx_dense,) = torch.autograd.grad(out_dense, x, g)
    torch.testing.assert_close(gx, gx_dense, rtol=1e-6, atol=1e-6)


def test_permutation_equivariance(tricky_edges):
    """Relabelling the nodes permutes the output rows and nothing else."""
    edge_index, N = tricky_edges
    torch.manual_seed(0)
    layer = GATConv(5, 3, heads=2).double()
    x = torch.randn(N, 5, dtype=torch.float64)
    perm = torch.randperm(N)  # new node k is old node perm[k]
    new_id = torch.empty_like(perm)
    new_id[perm] = torch.arange(N)
    out = layer(x, edge_index)
    out_perm = layer(x[perm], new_id[edge_index])
    torch.testing.assert_close(out_perm, out[perm], rtol=1e-6, atol=1e-6)


def test_attention_sums_to_one_per_target(tricky_edges):
    edge_index, N = tricky_edges
    out, (ei, alpha) = GATConv(5, 3, heads=3)(torch.randn(N, 5), edge_index, return_attention=True)
    sums = torch.zeros(N, 3).index_add_(0, ei[1], alpha)
    torch.testing.assert_close(sums, torch.ones(N, 3))


def test_isolated_node_without_loops_gets_bias_only(tricky_edges):
    edge_index, N = tricky_edges
    layer = GATConv(5, 3, heads=2, add_self_loops=False)
    out = layer(torch.randn(N, 5), edge_index)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[6], layer.bias)


def test_sparse_input_equals_dense_input(tricky_edges):
    edge_index, N = tricky_edges
    x = torch.randn(N, 5) * (torch.rand(N, 5) < 0.3)
    layer = GATConv(5, 3, heads=2, residual=True)
    torch.testing.assert_close(layer(x.to_sparse_csr(), edge_index), layer(x, edge_index))


def test_attention_dropout_only_in_training(tricky_edges):
    edge_index, N = tricky_edges
    layer = GATConv(5, 3, heads=2, dropout=0.5)
    x = torch.randn(N, 5)
    layer.eval()
    torch.testing.assert_close(layer(x, edge_index), layer(x, edge_index))
    layer.train()
    _, (_, alpha) = layer(x, edge_index, return_attention=True)
    assert (alpha == 0).any()


# --- bad input: one test each ------------------------------------------------------------------

def test_rejects_edge_index_wrong_shape():
    with pytest.raises(ValueError, match=r"GATConv edge_index must have shape \(2, E\)"):
        GATConv(5, 3)(torch.randn(4, 5), torch.tensor([[0, 1, 2]]))


def test_rejects_edge_index_wrong_dtype():
    with pytest.raises(ValueError, match="must be an integer"):
        GATConv(5, 3)(torch.randn(4, 5), torch.tensor([[0.0, 1.0], [1.0, 2.0]]))


def test_rejects_negative_ids():
    with pytest.raises(ValueError, match="negative node id -1"):
        GATConv(5, 3)(torch.randn(4, 5), torch.tensor([[0, -1], [1, 2]]))


def test_rejects_ids_beyond_x_rows():
    """x has fewer rows than the graph has nodes: caught as an out-of-range id."""
    with pytest.raises(ValueError, match="node id 4 but there are only 4 nodes"):
        GATConv(5, 3)(torch.randn(4, 5), torch.tensor([[0, 4], [1, 2]]))


def test_rejects_wrong_feature_width():
    with pytest.raises(ValueError, match="x has 6 features per node but the layer expects 5"):
        GATConv(5, 3)(torch.randn(4, 6), torch.tensor([[0, 1], [1, 2]]))


def test_rejects_nan_features():
    x = torch.randn(4, 5)
    x[0, 0] = float("nan")
    with pytest.raises(ValueError, match="GATConv: x has NaN or infinite"):
        GATConv(5, 3)(x, torch.tensor([[0, 1], [1, 2]]))


def test_rejects_unknown_aggregation():
    with pytest.raises(ValueError, match="aggregation must be"):
        GATConv(5, 3, aggregation="dense")


def test_cache_follows_edge_index_changes(tricky_edges):
    """The sorted edges are reused for the same tensor and rebuilt when it changes in place."""
    edge_index, N = tricky_edges
    edge_index = edge_index.clone()
    layer = GATConv(5, 3, heads=2)
    x = torch.randn(N, 5)
    first = layer(x, edge_index)
    torch.testing.assert_close(layer(x, edge_index), first)  # cache hit, same result
    edge_index[0, 0] = 6  # in place: the version counter changes
    fresh = GATConv(5, 3, heads=2)
    fresh.load_state_dict(layer.state_dict())
    torch.testing.assert_close(layer(x, edge_index), fresh(x, edge_index))
    edge_index[0, 0] = 9  # an invalid id is still caught after the change
    with pytest.raises(ValueError, match="node id 9"):
        layer(x, edge_index)


def test_rejects_negative_slope_below_zero():
    with pytest.raises(ValueError, match="negative_slope must be >= 0"):
        GATConv(5, 3, negative_slope=-0.1)


def test_paper_dropouts_change_nothing_in_eval_and_draw_per_head_masks():
    """input_dropout/value_dropout (the original code's dropouts) are identity in eval mode;
    in training each head draws its own input mask."""
    torch.manual_seed(0)
    x = torch.rand(6, 5) + 0.5
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]])
    plain = GATConv(5, 3, heads=4)
    paper = GATConv(5, 3, heads=4, input_dropout=0.5, value_dropout=0.5)
    paper.load_state_dict(plain.state_dict())
    plain.eval(), paper.eval()
    torch.testing.assert_close(paper(x, edge_index), plain(x, edge_index))
    # Training, no edges but self-loops (alpha = 1) and W = identity per head: the output
    # of head h is its own dropped copy of x, so the heads' zero patterns differ.
    layer = GATConv(5, 5, heads=4, input_dropout=0.5)
    with torch.no_grad():
        layer.lin.weight.copy_(torch.eye(5).repeat(4, 1))
    layer.train()
    out, _, _ = layer.attend(x, torch.empty(2, 0, dtype=torch.long))  # (N, H, C)
    kept = out != 0
    torch.testing.assert_close(out[kept], (x.unsqueeze(1).expand_as(out) / 0.5)[kept])
    assert len({tuple(kept[:, h].flatten().tolist()) for h in range(4)}) == 4


@pytest.mark.parametrize("aggregation", ["sparse", "gather"])
def test_attention_bias_sits_inside_the_leaky_relu(tricky_edges, aggregation):
    """e_ij = LeakyReLU(a_dst^T z_i + a_src^T z_j + b): zero b changes nothing, a nonzero b
    changes alpha (LeakyReLU is not shift-invariant) exactly as the formula says."""
    edge_index, num_nodes = tricky_edges
    torch.manual_seed(0)
    x = torch.randn(num_nodes, 4)
    plain = GATConv(4, 3, heads=2, aggregation=aggregation)
    biased = GATConv(4, 3, heads=2, aggregation=aggregation, attention_bias=True)
    biased.load_state_dict({**plain.state_dict(), "att_bias": torch.zeros(1, 2)})
    torch.testing.assert_close(biased(x, edge_index), plain(x, edge_index))
    with torch.no_grad():
        biased.att_bias.copy_(torch.tensor([[0.7, -1.3]]))
    _, (loops, alpha) = biased(x, edge_index, return_attention=True)
    z = (x @ biased.lin.weight.T).view(-1, 2, 3)  # (N, H, C)
    j, i = loops
    e = torch.nn.functional.leaky_relu(
        (z[i] * biased.att_dst).sum(-1) + (z[j] * biased.att_src).sum(-1) + biased.att_bias, 0.2)
    expected = torch.zeros_like(e)
    for node in range(x.shape[0]):
        into = i == node
        if into.any():
            expected[into] = torch.softmax(e[into], dim=0)
    torch.testing.assert_close(alpha, expected)
    assert not torch.allclose(alpha, plain(x, edge_index, return_attention=True)[1][1])


def test_per_head_init_uses_each_heads_glorot_bounds():
    torch.manual_seed(0)
    layer = GATConv(1433, 8, heads=8, per_head_init=True)
    w_bound, a_bound = (6 / (1433 + 8)) ** 0.5, (6 / (8 + 1)) ** 0.5
    assert 0.9 * w_bound < layer.lin.weight.abs().max() <= w_bound
    assert 0.8 * a_bound < layer.att_src.abs().max() <= a_bound
    default = GATConv(1433, 8, heads=8)
    assert default.lin.weight.abs().max() <= (6 / (1433 + 64)) ** 0.5 < w_bound


def test_grouped_input_dropout_path_draws_a_mask_per_head(monkeypatch):
    """grouped_linear, GATConv's GPU path for per-head input dropout (one block-diagonal
    product), gives what one product per head gives with the same masks."""
    import gattut.graph.features as features

    torch.manual_seed(0)
    x = (torch.rand(6, 5) * (torch.rand(6, 5) > 0.4)).to_sparse_csr()
    layer = GATConv(5, 3, heads=4, input_dropout=0.5).train()
    z_loop = []
    masks = torch.rand(4, x.values().numel()) >= 0.5  # (H, nnz)
    monkeypatch.setattr(features, "dropout", lambda v, p, training=True: v * masks.to(v.dtype) / (1 - p))
    z = features.grouped_linear(x, layer.lin.weight.view(4, 3, 5), 0.5)  # (N, H, C)
    for h in range(4):
        dropped = torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), x.values() * masks[h] / 0.5,
                                          x.shape)
        z_loop.append(dropped.to_dense() @ layer.lin.weight.view(4, 3, 5)[h].T)
    torch.testing.assert_close(z, torch.stack(z_loop, dim=1))


# --- PyG's names and bipartite input ------------------------------------------------------------

def _bipartite(seed=0, N_src=7, N_dst=4, E=12):
    """Targets are the first N_dst sources (a sampler's layout), with a duplicate and a loop."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, N_src, (E,), generator=g)
    dst = torch.randint(0, N_dst, (E,), generator=g)
    edge_index = torch.cat([torch.stack([src, dst]), torch.tensor([[5, 5, 2], [1, 1, 2]])], dim=1)
    return torch.randn(N_src, 5, generator=g), torch.randn(N_dst, 3, generator=g), edge_index


@pytest.mark.parametrize("loops", [True, False])
@pytest.mark.parametrize("concat", [True, False])
@pytest.mark.parametrize("widths", [5, (5, 3)])
def test_bipartite_equals_pyg(loops, concat, widths):
    """x = (x_src, x_dst): outputs for the targets, attention on the same edges, and gradients."""
    nn = pytest.importorskip("torch_geometric.nn")
    x_src, x_dst, edge_index = _bipartite()
    if widths == 5:
        x_dst = x_src[:4].clone()
    torch.manual_seed(0)
    ours = GATConv(widths, 3, heads=2, concat=concat, add_self_loops=loops, residual=True)
    with torch.no_grad():
        ours.bias.uniform_(-1, 1)
    ref = nn.GATConv(widths, 3, heads=2, concat=concat, add_self_loops=loops, residual=True)
    ref.load_state_dict(ours.state_dict())
    out = assert_matches_pyg(ours, ref, (x_src, x_dst), edge_index)
    assert out.shape == (4, 6 if concat else 3)


def test_bipartite_of_one_graph_is_the_graph(tricky_edges):
    """(x, x) with every node a target is the one-graph layer, on both paths."""
    edge_index, N = tricky_edges
    x = torch.randn(N, 5)
    for aggregation in ("sparse", "gather"):
        layer = GATConv(5, 3, heads=2, aggregation=aggregation)
        torch.testing.assert_close(layer((x, x.clone()), edge_index), layer(x, edge_index))


def test_bipartite_loops_need_targets_to_be_the_first_sources():
    layer = GATConv((5, 3), 2)
    with pytest.raises(ValueError, match="targets to be the first sources; got 6 targets"):
        layer((torch.randn(4, 5), torch.randn(6, 3)), torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match="target node id 5 but there are only 4 target nodes"):
        GATConv((5, 3), 2, add_self_loops=False)(
            (torch.randn(6, 5), torch.randn(4, 3)), torch.tensor([[0], [5]]))


def test_pyg_argument_names_and_old_names_agree():
    torch.manual_seed(0)
    new = GATConv(in_channels=5, out_channels=3, heads=2)
    torch.manual_seed(0)
    old = GATConv(in_features=5, out_features=3, heads=2)
    assert (new.in_features, new.out_features) == (new.in_channels, new.out_channels) == (5, 3)
    x, edge_index = torch.randn(4, 5), torch.tensor([[0, 1], [1, 2]])
    a = new(x, edge_index, return_attention_weights=True)
    b = old(x, edge_index, return_attention=True)
    torch.testing.assert_close(a[0], b[0])
    torch.testing.assert_close(a[1][1], b[1][1])
    with pytest.raises(TypeError, match="positional"):
        new(x, edge_index, True)  # PyG's third positional argument is edge_attr
    with pytest.raises(TypeError, match="not both"):
        GATConv(5, 3, in_features=5)
    with pytest.raises(ValueError, match="disagree"):
        new(x, edge_index, return_attention_weights=True, return_attention=False)


@pytest.mark.parametrize("make", [
    lambda: GATConv((5, 4), 3, heads=2, residual=True, attention_bias=True),
    lambda: GATConv(5, 3, heads=2, per_head_init=True),
    lambda: GATv2Conv(5, 3, heads=2, residual=True),
    lambda: DenseGATConv(5, 3, heads=2, residual=True),
    lambda: GatedGATConv(5, 3, heads=2, gate_features=4),  # the gate is redrawn too
    lambda: GCNConv(5, 3),
], ids=["gat", "gat-per-head", "gatv2", "dense", "gated", "gcn"])
def test_reset_parameters_redraws_every_parameter(make):
    layer = make()
    with torch.no_grad():
        for p in layer.parameters():
            p.fill_(7.0)
    layer.reset_parameters()
    for name, p in layer.named_parameters():
        assert not (p == 7.0).any(), name


# --- the prepared-edges cache is never another graph's ------------------------------------------

def _layers():
    return [GATConv(5, 3, heads=2), GATConv(5, 3, aggregation="gather"), GatedGATConv(5, 3),
            GATv2Conv(5, 3), GCNConv(5, 3)]


@pytest.mark.parametrize("layer", _layers(), ids=lambda m: type(m).__name__)
def test_edges_made_under_inference_mode_train_and_evaluate(layer):
    x = torch.randn(4, 5)
    with torch.inference_mode():
        edge_index = torch.tensor([[0, 1, 2], [1, 2, 3]])
        evaluated = layer(x, edge_index)  # the cache is filled under inference mode
    layer(x, edge_index).sum().backward()  # then training on the same edges
    torch.testing.assert_close(layer(x, edge_index).detach(), evaluated)


@pytest.mark.parametrize("layer", _layers(), ids=lambda m: type(m).__name__)
def test_cache_follows_settings_and_numpy_views(layer):
    x, edge_index = torch.randn(4, 5), torch.tensor([[0, 1, 2], [1, 2, 3]])
    layer(x, edge_index)
    layer.add_self_loops = False  # a setting changed after a call with the same tensor
    fresh = type(layer)(5, 3, heads=layer.heads) if hasattr(layer, "heads") else type(layer)(5, 3)
    fresh.load_state_dict(layer.state_dict())
    fresh.add_self_loops = False
    if hasattr(layer, "aggregation"):
        fresh.aggregation = layer.aggregation
    torch.testing.assert_close(layer(x, edge_index), fresh(x, edge_index))
    edge_index.numpy()[0, 0] = 9  # no version counter moves
    with pytest.raises(ValueError, match="node id 9"):
        layer(x, edge_index)
