"""Tests for gattut.graph.sampling: sampled edges exist, fanouts hold, draws are uniform and seeded,
and models on fanout -1 blocks equal the full-graph forward pass."""

from __future__ import annotations

import pytest
import torch

from gattut.graph.models import GAT, GCN, MLP, GATv2
from gattut.graph.sampling import (
    Block,
    MiniBatch,
    NeighborLoader,
    NeighborSampler,
    check_fanouts,
    gather_rows,
)


def random_edges(N=60, E=400, seed=0):
    """A random directed multigraph with a few self-loops and duplicated edges."""
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, N, (2, E), generator=g)
    extra = torch.tensor([[3, 3, 7, 7], [3, 5, 9, 9]])  # a loop and a duplicate
    return torch.cat([edge_index, extra], 1), N


def edge_set(edge_index):
    return set(map(tuple, edge_index.t().tolist()))


def global_edges(block: Block) -> torch.Tensor:
    """A block's edges in global ids: (source, target)."""
    return torch.stack([block.src[block.edge_index[0]], block.dst[block.edge_index[1]]])


@pytest.mark.parametrize("replace", [False, True])
def test_every_sampled_edge_exists_and_layout_holds(replace):
    edge_index, N = random_edges()
    sampler = NeighborSampler(edge_index, N, [3, 2], replace=replace)
    targets = torch.tensor([5, 0, 17, 42])
    blocks = sampler.sample(targets, torch.Generator().manual_seed(1))
    assert len(blocks) == 2
    torch.testing.assert_close(blocks[-1].dst, targets)
    torch.testing.assert_close(blocks[0].dst, blocks[1].src)  # layer k's targets feed layer k + 1
    graph = edge_set(edge_index)
    for block in blocks:
        assert block.src.unique().numel() == block.num_src  # every node once
        assert int(block.edge_index[1].max()) < block.n_dst
        assert edge_set(global_edges(block)) <= graph
        torch.testing.assert_close(block.degree, sampler.degree[block.src])
    mb = MiniBatch(blocks)
    assert mb.n_id is blocks[0].src and torch.equal(mb.targets, targets)


def test_no_target_gets_more_than_its_fanout():
    edge_index, N = random_edges(E=1500)
    sampler = NeighborSampler(edge_index, N, [4, 2])
    blocks = sampler.sample(torch.arange(N), torch.Generator().manual_seed(0))
    in_degree = torch.bincount(edge_index[1], minlength=N)
    for block, fanout in zip(blocks, [2, 4]):  # input layer first: fanouts reversed
        got = torch.bincount(block.edge_index[1], minlength=block.n_dst)
        assert int(got.max()) <= fanout
        # Without replacement a node keeps min(fanout, its in-degree) edges.
        torch.testing.assert_close(got, in_degree[block.dst].clamp(max=fanout))


def test_fanout_minus_one_keeps_every_edge_once():
    edge_index, N = random_edges()
    block = NeighborSampler(edge_index, N, [-1]).sample(torch.arange(N))[0]
    got = sorted(map(tuple, global_edges(block).t().tolist()))
    assert got == sorted(map(tuple, edge_index.t().tolist()))  # duplicates kept, as in the graph


def test_uniform_without_replacement_on_stars():
    """Two stars sampled together (keep 3 a draw): node 0 receives from 1..10, node 11 from
    12..17; node 18 receives from 1 and 2 only and keeps both. Each leaf of a star should be
    kept 3/10 and 3/6 of the time: chi-square tests of the counts."""
    stats = pytest.importorskip("scipy.stats")
    star_a = torch.stack([torch.arange(1, 11), torch.zeros(10, dtype=torch.long)])
    star_b = torch.stack([torch.arange(12, 18), torch.full((6,), 11)])
    small = torch.tensor([[1, 2], [18, 18]])
    sampler = NeighborSampler(torch.cat([star_a, small, star_b], 1), 19, [3])
    g = torch.Generator().manual_seed(0)
    counts = torch.zeros(19)
    draws = 1000
    for _ in range(draws):
        block = sampler.sample(torch.tensor([18, 0, 11]), g)[0]
        j, i = block.src[block.edge_index[0]], block.dst[block.edge_index[1]]
        for target, kept in ((0, 3), (11, 3), (18, 2)):
            mine = j[i == target]
            assert mine.unique().numel() == mine.numel() == kept  # no leaf twice
        counts[j[i != 18]] += 1
    for leaves in (range(1, 11), range(12, 18)):
        observed = counts[list(leaves)].numpy()
        _, p = stats.chisquare(observed, [draws * 3 / len(leaves)] * len(leaves))
        assert p > 1e-3, (observed, p)


def test_same_seed_same_batches_and_epochs_differ():
    edge_index, N = random_edges()

    def batches(seed, prefetch):
        loader = NeighborLoader(edge_index, N, torch.arange(N), [3, 3], 16, seed=seed,
                                prefetch=prefetch)
        return [[(b.src.tolist(), b.edge_index.tolist()) for b in mb.blocks]
                for _ in range(2) for mb in loader]

    first = batches(7, 1)
    assert first == batches(7, 1) == batches(7, 0)  # prefetch does not change the draws
    assert first != batches(8, 1)
    assert first[:4] != first[4:]  # the second epoch is another shuffle


def test_loader_covers_nodes_once_per_epoch():
    edge_index, N = random_edges()
    mask = torch.zeros(N, dtype=torch.bool)
    mask[::3] = True
    loader = NeighborLoader(edge_index, N, mask, [2, 2], 7)
    targets = torch.cat([mb.targets for mb in loader])
    assert sorted(targets.tolist()) == list(range(0, N, 3))
    assert len(loader) == 3
    dropped = NeighborLoader(edge_index, N, mask, [2, 2], 7, drop_last=True, shuffle=False)
    assert [mb.targets.numel() for mb in dropped] == [7, 7] and len(dropped) == 2


def test_loader_set_epoch_repeats_an_epoch():
    edge_index, N = random_edges()
    loader = NeighborLoader(edge_index, N, torch.arange(N), [2], 8, seed=3)
    passes = [[mb.n_id.tolist() for mb in loader] for _ in range(3)]  # epochs 0, 1, 2
    loader.set_epoch(1)
    assert [mb.n_id.tolist() for mb in loader] == passes[1]
    assert [mb.n_id.tolist() for mb in loader] == passes[2]  # and counts on from there


def test_degree_of_the_whole_graph_can_be_given():
    """A partition with its halo samples from a piece of the graph but needs the whole degrees."""
    edge_index, N = random_edges()
    whole = torch.arange(N) + 100
    sampler = NeighborSampler(edge_index, N, [3], degree=whole)
    block = sampler.sample(torch.tensor([4, 8]))[0]
    torch.testing.assert_close(block.degree, whole[block.src])
    with pytest.raises(ValueError, match="degree must have shape \\(60,\\)"):
        NeighborSampler(edge_index, N, [3], degree=whole[:5])


def test_loader_stops_its_thread_when_the_consumer_stops():
    edge_index, N = random_edges()
    loader = NeighborLoader(edge_index, N, torch.arange(N), [2], 4, prefetch=1)
    for _ in loader:
        break  # the generator's close() stops and joins the thread
    assert sum(1 for _ in loader) == len(loader)


def test_gather_rows_dense_and_sparse():
    x = torch.rand(9, 5) * (torch.rand(9, 5) < 0.4)
    index = torch.tensor([4, 0, 8, 4])
    torch.testing.assert_close(gather_rows(x, index), x[index])
    for sparse in (x.to_sparse_csr(), x.to_sparse_coo()):
        got = gather_rows(sparse, index)
        assert got.layout == torch.sparse_csr
        torch.testing.assert_close(got.to_dense(), x[index])


@pytest.mark.parametrize("cls", [GAT, GATv2, GCN, MLP])
@pytest.mark.parametrize("sparse", [False, True])
def test_fanout_minus_one_equals_full_batch(cls, sparse):
    edge_index, N = random_edges()
    torch.manual_seed(0)
    model = cls(8, 3, **({"original": True} if cls is GAT else {})).double().eval()
    x = torch.randn(N, 8, dtype=torch.float64)
    full = model(x, edge_index)  # (N, C)
    targets = torch.randperm(N, generator=torch.Generator().manual_seed(0))  # all nodes, shuffled
    blocks = NeighborSampler(edge_index, N, [-1, -1]).sample(targets)
    feats = x.to_sparse_csr() if sparse else x
    out = model(gather_rows(feats, blocks[0].src), blocks)  # (N, C) in the order of targets
    torch.testing.assert_close(out, full[targets], rtol=1e-6, atol=1e-6)
    some = torch.tensor([9, 2, 33])  # a few targets: their whole 2-hop neighbourhoods
    blocks = NeighborSampler(edge_index, N, [-1, -1]).sample(some)
    torch.testing.assert_close(model(x[blocks[0].src], blocks), full[some], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", [GAT, GATv2, GCN, MLP])
def test_sampled_blocks_train(cls):
    edge_index, N = random_edges()
    torch.manual_seed(0)
    model = cls(8, 3)
    x, y = torch.randn(N, 8), torch.randint(0, 3, (N,))
    blocks = NeighborSampler(edge_index, N, [3, 3]).sample(torch.arange(10))
    out = model(x[blocks[0].src], blocks)
    assert out.shape == (10, 3)
    torch.nn.functional.cross_entropy(out, y[:10]).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_gcn_sampled_weights_are_unbiased():
    """GCN's d_i / s_i factor: the mean over many sampled blocks tends to the full output."""
    edge_index, N = random_edges(N=20, E=160)
    torch.manual_seed(0)
    model = GCN(4, 2).double().eval()
    layer = model.conv1
    x = torch.randn(N, 4, dtype=torch.float64)
    full = layer(x, edge_index)
    sampler = NeighborSampler(edge_index, N, [4])
    g = torch.Generator().manual_seed(0)
    targets = torch.arange(N)
    draws = 2000
    with torch.no_grad():
        mean = sum(layer.forward_block(x[b.src], b) for b in
                   (sampler.sample(targets, g)[0] for _ in range(draws))) / draws
    assert (mean - full).abs().max() < 0.05 * full.abs().max()  # Monte Carlo error ~ 0.03


@pytest.mark.parametrize("fanouts, message", [
    ([], "non-empty"), ([10, 0], "got 0"), ([5, -2], "got -2"), ([2.5], "must be ints"),
    ("10,10", "non-empty list"), ([True], "must be ints"),
])
def test_bad_fanouts(fanouts, message):
    edge_index, N = random_edges()
    with pytest.raises(ValueError, match=message):
        NeighborSampler(edge_index, N, fanouts)
    with pytest.raises(ValueError, match=message):
        check_fanouts(fanouts)


def test_bad_inputs_are_named():
    edge_index, N = random_edges()
    with pytest.raises(ValueError, match="shape \\(2, E\\)"):
        NeighborSampler(edge_index[0], N, [2])
    with pytest.raises(ValueError, match="node id"):
        NeighborSampler(edge_index, 5, [2])
    sampler = NeighborSampler(edge_index, N, [2])
    with pytest.raises(ValueError, match="out of range"):
        sampler.sample(torch.tensor([0, N]))
    with pytest.raises(ValueError, match="distinct"):
        sampler.sample(torch.tensor([1, 1]))
    with pytest.raises(ValueError, match="1-D tensor of node ids"):
        sampler.sample(torch.tensor([0.0, 1.0]))
    for bad in (0, -1, 2.0):
        with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
            NeighborLoader(edge_index, N, torch.arange(N), [2], bad)
    with pytest.raises(ValueError, match="prefetch"):
        NeighborLoader(edge_index, N, torch.arange(N), [2], 4, prefetch=-1)
    with pytest.raises(ValueError, match="mask must have shape"):
        NeighborLoader(edge_index, N, torch.ones(3, dtype=torch.bool), [2], 4)
    with pytest.raises(ValueError, match="nodes is empty"):
        NeighborLoader(edge_index, N, torch.zeros(N, dtype=torch.bool), [2], 4)
    with pytest.raises(ValueError, match="n_dst"):
        Block(torch.arange(3), 4, torch.zeros(2, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="shape \\(2, E\\)"):
        Block(torch.arange(3), 2, torch.zeros(3, dtype=torch.long))


def test_models_refuse_the_wrong_number_of_blocks():
    edge_index, N = random_edges()
    model = GAT(8, 3)
    blocks = NeighborSampler(edge_index, N, [2]).sample(torch.arange(4))
    with pytest.raises(ValueError, match="2 layers need as many blocks, got 1"):
        model(torch.randn(blocks[0].num_src, 8), blocks)
    blocks = NeighborSampler(edge_index, N, [2, 2]).sample(torch.arange(4))
    with pytest.raises(ValueError, match="x has 3 rows"):
        model(torch.randn(3, 8), blocks)
    gcn = GCN(8, 3)
    no_degree = Block(blocks[1].src, blocks[1].n_dst, blocks[1].edge_index)
    with pytest.raises(ValueError, match="degree"):
        gcn.conv1.forward_block(torch.randn(no_degree.num_src, 8), no_degree)


@pytest.mark.parametrize("cls", [GAT, GATv2, GCN, MLP])
def test_training_mode_draws_the_full_batch_dropout(cls):
    """Fanout -1, all nodes as targets in order: with dropout on, the same seed gives the same
    output as the full graph. A block's targets share their projection with their source rows
    (GAT's per-head input dropout draws one mask per node, as on the whole graph)."""
    edge_index, N = random_edges()
    torch.manual_seed(0)
    model = cls(8, 3, **({"original": True} if cls is GAT else {})).double().train()
    x = (torch.randn(N, 8, dtype=torch.float64) * (torch.rand(N, 8) < 0.5)).to_sparse_csr()
    blocks = NeighborSampler(edge_index, N, [-1, -1]).sample(torch.arange(N))
    torch.manual_seed(1)
    full = model(x, edge_index)
    torch.manual_seed(1)
    torch.testing.assert_close(model(gather_rows(x, blocks[0].src), blocks), full)
