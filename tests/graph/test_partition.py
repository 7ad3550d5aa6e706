"""METIS and random partitions, edge cuts, halos and parts (gattut.graph.partition)."""

from __future__ import annotations

import sys

import pytest
import torch

from gattut.graph.models import GAT, GCN
from gattut.graph.partition import (
    Part,
    balance,
    edge_cut,
    halo,
    hop_distance,
    make_part,
    metis_partition,
    partition_graph,
    random_partition,
)
from gattut.graph.sampling import NeighborLoader, NeighborSampler

pytest.importorskip("pymetis")


def random_edges(num_nodes: int = 40, num_edges: int = 120, seed: int = 0) -> torch.Tensor:
    """A directed random graph with duplicates and self-loops left in (the functions must cope)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_nodes, (2, num_edges), generator=g)


def two_cliques(size: int = 6) -> torch.Tensor:
    """Two cliques of ``size`` nodes joined by one edge (both directions): METIS must cut only it."""
    edges = [(a + o, b + o) for o in (0, size) for a in range(size) for b in range(size) if a != b]
    edges += [(size - 1, size), (size, size - 1)]
    return torch.tensor(edges).t()


def brute_distance(edge_index: torch.Tensor, num_nodes: int, nodes: list[int], hops: int) -> list[int]:
    """In-hop distances by a Python BFS (the reference for the vectorised one)."""
    dist = [-1] * num_nodes
    for n in nodes:
        dist[n] = 0
    frontier = set(nodes)
    for hop in range(1, hops + 1):
        new = {j for j, i in edge_index.t().tolist() if i in frontier and dist[j] < 0}
        for j in new:
            dist[j] = hop
        frontier = new
    return dist


# ----------------------------------------------------------------- partitions
def test_metis_cuts_two_cliques_at_their_bridge():
    ei = two_cliques()
    membership = metis_partition(ei, 12, 2)
    assert membership.shape == (12,) and membership.dtype == torch.long
    assert edge_cut(ei, membership) == 1
    assert len(set(membership[:6].tolist())) == 1 and len(set(membership[6:].tolist())) == 1


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_metis_parts_cover_every_node_once_and_are_balanced(k):
    ei = random_edges(60, 200)
    membership = metis_partition(ei, 60, k, seed=1)
    assert membership.shape == (60,)  # one part per node: every node in exactly one part
    assert set(membership.tolist()) == set(range(k))
    assert balance(membership, k) <= 1.1
    assert torch.equal(membership, metis_partition(ei, 60, k, seed=1))  # deterministic


def test_edge_cut_is_metis_objective_and_counts_pairs_once():
    import pymetis

    ei = random_edges(30, 90, seed=3)
    membership = metis_partition(ei, 30, 3)
    # The reference: METIS's own count on the same symmetrised graph, via pymetis's lists.
    adjacency = [set() for _ in range(30)]
    for j, i in ei.t().tolist():
        if i != j:
            adjacency[i].add(j)
            adjacency[j].add(i)
    cuts, _ = pymetis.part_graph(3, adjacency=[sorted(a) for a in adjacency])
    brute = sum(1 for u in range(30) for v in adjacency[u] if u < v and membership[u] != membership[v])
    assert edge_cut(ei, membership) == brute
    assert edge_cut(torch.cat([ei, ei.flip(0)], dim=1), membership) == brute  # directions: once
    assert cuts >= 0


def test_metis_node_weights_balance_a_second_constraint():
    ei = random_edges(200, 800, seed=8)
    marked = torch.zeros(200, dtype=torch.long)
    marked[:40] = 1  # 40 "training" nodes, all with low ids
    weights = torch.stack([torch.ones(200, dtype=torch.long), marked], dim=1)  # (N, 2)
    membership = metis_partition(ei, 200, 4, node_weights=weights)
    per_part = torch.bincount(membership[:40], minlength=4)
    assert int(per_part.min()) >= 8 and int(per_part.max()) <= 12  # near 10 each (measured 9-11)
    assert balance(membership, 4) <= 1.15  # the node count gives way a little (measured 1.12)


def test_random_partition_sizes_differ_by_at_most_one():
    membership = random_partition(103, 4, seed=5)
    sizes = torch.bincount(membership, minlength=4)
    assert int(sizes.max() - sizes.min()) <= 1 and int(sizes.sum()) == 103
    assert torch.equal(membership, random_partition(103, 4, seed=5))
    assert not torch.equal(membership, random_partition(103, 4, seed=6))
    assert balance(membership) == pytest.approx(26 * 4 / 103)


def test_metis_cut_on_cora_is_far_below_random(require_data):
    from gattut.data.planetoid import load_planetoid

    require_data(*(f"planetoid/ind.cora.{s}" for s in ("x", "tx", "allx", "y", "ty", "ally",
                                                       "graph", "test.index")))
    g = load_planetoid("cora")
    for k in (2, 4, 8):
        metis = edge_cut(g.edge_index, metis_partition(g.edge_index, g.num_nodes, k))
        rand = edge_cut(g.edge_index, random_partition(g.num_nodes, k))
        assert metis < 0.2 * rand, (k, metis, rand)  # measured: 197/2631, 324/3924, 526/4614


# ----------------------------------------------------------------- halos
@pytest.mark.parametrize("hops", [0, 1, 2, 3])
def test_halo_is_exactly_the_l_hop_in_neighbourhood(hops):
    ei = random_edges(40, 70, seed=2)  # sparse enough that 3 hops do not reach everything
    nodes = [0, 5, 9]
    dist = hop_distance(ei, 40, torch.tensor(nodes), hops)
    assert dist.tolist() == brute_distance(ei, 40, nodes, hops)
    # The same set from powers of the adjacency: j reaches i in <= L hops iff ((A + I)^L)[i, j] > 0.
    A = torch.zeros(40, 40)
    A[ei[1], ei[0]] = 1.0
    reach = torch.linalg.matrix_power(A + torch.eye(40), hops)[nodes].sum(0) > 0
    expected = sorted(set(torch.nonzero(reach).flatten().tolist()) - set(nodes))
    assert halo(ei, 40, torch.tensor(nodes), hops).tolist() == expected


def test_part_holds_its_nodes_halo_and_every_edge_into_the_inner_rings():
    ei = random_edges(50, 150, seed=4)
    membership = metis_partition(ei, 50, 3)
    parts = partition_graph(ei, 50, membership, 2)
    assert len(parts) == 3 and all(isinstance(p, Part) for p in parts)
    owned = torch.cat([p.nodes for p in parts])
    assert sorted(owned.tolist()) == list(range(50))  # every node owned once
    for p in parts:
        assert torch.equal(p.nodes, torch.nonzero(membership == p.part).flatten())
        assert torch.equal(p.halo, halo(ei, 50, p.nodes, 2))
        assert torch.all(p.n_id[1:] > p.n_id[:-1])  # local ids keep the global order
        assert torch.equal(p.to_global(p.edge_index), ei[:, p.e_id])  # local edges are global ones
        dist = hop_distance(ei, 50, p.nodes, 2)
        wanted = [e for e, i in enumerate(ei[1].tolist()) if 0 <= dist[i] < 2]
        assert p.e_id.tolist() == wanted  # all in-edges of rings 0 and 1, in global order
        assert torch.equal(p.to_local(p.n_id), torch.arange(p.num_nodes))
        assert torch.equal(p.n_id[p.local_nodes], p.nodes)
        assert p.hops.max() <= 2 and torch.equal(p.owned, p.hops == 0)


def test_two_layer_gat_on_part_plus_halo_equals_the_whole_graph():
    torch.manual_seed(0)
    ei = random_edges(60, 240, seed=7)
    x = torch.randn(60, 5)
    model = GAT(5, 3, hidden=4, heads=2, dropout=0.0).eval()
    full = model(x, ei)  # (60, 3)
    for p in partition_graph(ei, 60, metis_partition(ei, 60, 3), num_hops=2):
        local = model(x[p.n_id], p.edge_index)  # (N_k, 3)
        torch.testing.assert_close(local[p.local_nodes], full[p.nodes], rtol=1e-6, atol=1e-6)


def _global(part, blocks):
    """Blocks in global ids: (sources, number of targets, edges as global pairs, degrees)."""
    return [(part.to_global(b.src).tolist(), b.n_dst, part.to_global(b.src[b.edge_index]).tolist(),
             b.degree.tolist()) for b in blocks]


@pytest.mark.parametrize("fanouts", [[3, 2], [2, 2, 2], [-1, 4]])
def test_sampling_from_part_plus_halo_equals_sampling_from_the_whole_graph(fanouts):
    ei = random_edges(80, 400, seed=9)
    whole = NeighborSampler(ei, 80, fanouts)
    for p in partition_graph(ei, 80, metis_partition(ei, 80, 3), num_hops=len(fanouts)):
        local = p.sampler(fanouts)
        targets = p.nodes[torch.randperm(p.nodes.shape[0], generator=torch.Generator().manual_seed(0))][:9]
        for seed in range(3):
            want = whole.sample(targets, torch.Generator().manual_seed(seed))
            got = local.sample(p.to_local(targets), torch.Generator().manual_seed(seed))
            ident = [(b.src.tolist(), b.n_dst, b.src[b.edge_index].tolist(), b.degree.tolist())
                     for b in want]
            assert _global(p, got) == ident


def test_a_loader_on_part_plus_halo_gives_the_whole_graphs_batches_and_gcn_outputs():
    torch.manual_seed(0)
    ei = random_edges(80, 400, seed=10)
    x = torch.randn(80, 4)
    model = GCN(4, 3, hidden=5, dropout=0.0).eval()
    p = partition_graph(ei, 80, metis_partition(ei, 80, 2), num_hops=2)[1]
    whole = NeighborLoader(ei, 80, p.nodes, [3, 3], batch_size=7, seed=4, prefetch=0)
    local = NeighborLoader(p.edge_index, p.num_nodes, p.local_nodes, [3, 3], batch_size=7, seed=4,
                           prefetch=0, sampler=p.sampler([3, 3]))
    batches = list(zip(whole, local))
    assert len(batches) == len(whole) > 1
    for w, loc in batches:
        assert _global(p, loc.blocks) == [(b.src.tolist(), b.n_dst, b.src[b.edge_index].tolist(),
                                          b.degree.tolist()) for b in w.blocks]
        torch.testing.assert_close(model(x[p.n_id][loc.n_id], loc.blocks), model(x[w.n_id], w.blocks),
                                   rtol=1e-6, atol=1e-6)


def test_make_part_with_zero_hops_is_the_nodes_alone():
    ei = random_edges(20, 50)
    p = make_part(ei, 20, torch.tensor([3, 1, 7]), 0, part=2)
    assert p.n_id.tolist() == [1, 3, 7] and p.edge_index.shape == (2, 0) and p.part == 2
    assert "Part(2: 3 nodes + 0 halo" in repr(p)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, match", [
    (lambda ei: metis_partition(ei, 10, 0), r"num_parts must be in \[1, num_nodes=10\], got 0"),
    (lambda ei: metis_partition(ei, 10, 11), r"num_parts must be in \[1, num_nodes=10\], got 11"),
    (lambda ei: metis_partition(ei, 10, 2.0), "num_parts must be an int"),
    (lambda ei: metis_partition(ei, 5, 2), "node id 9 but there are only 5"),
    (lambda ei: metis_partition(ei.float(), 10, 2), "must be an integer"),
    (lambda ei: metis_partition(ei, 10, 2, node_weights=torch.ones(9, dtype=torch.long)),
     r"node_weights must have shape \(N,\) or \(N, C\) with N=10, got \(9,\)"),
    (lambda ei: metis_partition(ei, 10, 2, node_weights=torch.ones(10)), "non-negative integers"),
    (lambda ei: make_part(ei, 10, torch.tensor([0]), 1).sampler([2, 2]),
     "2 fanouts reach 2 hops, but part 0 holds a 1-hop halo"),
    (lambda ei: random_partition(10, 0), "num_parts must be in"),
    (lambda ei: random_partition(0, 1), "num_nodes must be an int >= 1"),
    (lambda ei: halo(ei, 10, torch.tensor([0]), -1), "num_hops must be an int >= 0"),
    (lambda ei: halo(ei, 10, torch.tensor([0]), 1.5), "num_hops must be an int >= 0"),
    (lambda ei: halo(ei, 10, torch.tensor([12]), 1), r"node id 12 is out of range \[0, 10\)"),
    (lambda ei: halo(ei, 10, torch.tensor([[0]]), 1), "nodes must be a 1-D tensor"),
    (lambda ei: halo(ei, 10, torch.ones(4, dtype=torch.bool), 1), r"boolean nodes mask must have shape \(10,\)"),
    (lambda ei: partition_graph(ei, 10, torch.zeros(9, dtype=torch.long), 1), r"shape \(N,\) = \(10,\)"),
    (lambda ei: partition_graph(ei, 10, -torch.ones(10, dtype=torch.long), 1), "negative part id"),
    (lambda ei: edge_cut(ei, torch.zeros(10)), "membership must be an integer tensor"),
    (lambda ei: balance(torch.zeros(10, dtype=torch.long) + 2, 2), "part id 2 but num_parts=2"),
    (lambda ei: make_part(ei, 10, torch.tensor([0]), 1).to_local(torch.tensor([9, 8, 7, 6, 5])),
     "is not in part 0 or its 1-hop halo"),
])
def test_bad_input_is_named(call, match):
    ei = random_edges(10, 12, seed=1)
    with pytest.raises(ValueError, match=match):
        call(ei)


def test_missing_pymetis_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymetis", None)  # import pymetis now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "gattut\[scale\]"'):
        metis_partition(random_edges(10, 12), 10, 2)
