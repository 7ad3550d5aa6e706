"""Partitions of a graph, and each part with its halo: what one process of many holds.

A graph too big for one process is cut into ``K`` parts, one per process
(or several per process). Two things make a cut good:

- **edge cut**: the number of (undirected) edges whose ends lie in different
  parts, the edges a part must borrow from others. METIS (Karypis & Kumar,
  1998) minimises it by coarsening the graph, cutting the small graph and
  refining the cut on the way back; a random partition cuts a fraction
  ``1 - 1/K`` of all edges.
- **balance**: ``max_k |V_k| / (N / K)``, the largest part against an even
  share (1.0 is perfect). METIS keeps it under ~1.03 by default.

A **halo** makes a part self-sufficient for an ``L``-layer model. Messages
flow ``j -> i`` (``edge_index[0]`` sources, ``[1]`` targets), so node ``i``'s
output after ``L`` layers depends on the nodes that reach ``i`` in at most
``L`` hops: its ``L``-hop in-neighbourhood. The part's halo is that
neighbourhood minus the part itself:

    ``halo_L(V_k) = { j not in V_k : dist(j -> V_k) <= L }``

A :class:`Part` holds ``V_k``, its halo, and every edge into a node at
distance ``< L`` (those are the in-edges a sampler or an ``L``-layer forward
pass can reach; the outermost ring is only read, never expanded). Local ids
follow the global order (``n_id`` is sorted), and edges keep their global
order, so a neighbour sampler run on the part with the same random
generator draws exactly the edges it would draw on the whole graph for the
part's targets (:meth:`Part.sampler`; tested in ``tests/graph/test_partition.py``).
The part also keeps each node's in-degree in the whole graph: GCN's weights
need it for the outer ring, whose own in-edges the part does not hold.

Shapes:
    edge_index: (2, E); membership: (N,) part ids in [0, K); Part.n_id: (N_k,) global ids;
    Part.edge_index: (2, E_k) local ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from gattut.graph.ops import check_edge_index

__all__ = [
    "Part",
    "balance",
    "edge_cut",
    "halo",
    "hop_distance",
    "make_part",
    "metis_partition",
    "partition_graph",
    "random_partition",
]


# ------------------------------------------------------------------ checks
def _check_graph(edge_index: Tensor, num_nodes: int, where: str) -> None:
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 1:
        raise ValueError(f"{where}: num_nodes must be an int >= 1, got {num_nodes!r}")
    check_edge_index(edge_index, num_nodes, f"{where}: edge_index")


def _check_num_parts(num_parts: int, num_nodes: int, where: str) -> None:
    if isinstance(num_parts, bool) or not isinstance(num_parts, int):
        raise ValueError(f"{where}: num_parts must be an int, got {num_parts!r}")
    if not 1 <= num_parts <= num_nodes:
        raise ValueError(f"{where}: num_parts must be in [1, num_nodes={num_nodes}], got {num_parts}")


def _check_hops(num_hops: int, where: str) -> None:
    if isinstance(num_hops, bool) or not isinstance(num_hops, int) or num_hops < 0:
        raise ValueError(f"{where}: num_hops must be an int >= 0 (the model's layers), got {num_hops!r}")


def _check_membership(membership: Tensor, num_nodes: int, where: str) -> int:
    """The number of parts ``K`` of a valid ``(N,)`` membership; ValueError otherwise."""
    if not isinstance(membership, Tensor) or membership.shape != (num_nodes,):
        shape = tuple(membership.shape) if isinstance(membership, Tensor) else type(membership)
        raise ValueError(f"{where}: membership must have shape (N,) = ({num_nodes},), got {shape}")
    if membership.is_floating_point() or membership.dtype == torch.bool:
        raise ValueError(f"{where}: membership must be an integer tensor, got dtype {membership.dtype}")
    if int(membership.min()) < 0:
        raise ValueError(f"{where}: membership has a negative part id {int(membership.min())}")
    return int(membership.max()) + 1


# ------------------------------------------------------------------ partitions
def _undirected(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Each undirected edge ``{u, v}``, ``u < v``, once: no self-loops, no duplicates.

    Shapes:
        edge_index: (2, E) -> (2, M), M <= E.
    """
    u, v = edge_index.min(dim=0).values, edge_index.max(dim=0).values  # (E,) each
    keys = torch.unique(u[u != v] * num_nodes + v[u != v])  # (M,) sorted, one per pair
    return torch.stack([keys // num_nodes, keys % num_nodes])  # (2, M)


def metis_partition(edge_index: Tensor, num_nodes: int, num_parts: int, *, seed: int = 0,
                    node_weights: Tensor | None = None) -> Tensor:
    """METIS's ``K``-way partition of the graph, read as undirected: a part id per node.

    The graph is symmetrised (an edge in either direction is one undirected
    edge), self-loops and duplicates are dropped, and METIS (``pymetis``)
    minimises the edge cut with parts of near-equal size. The result is
    deterministic for a given ``seed``.

    ``node_weights`` balances other sums than the node count: ``(N, C)``
    non-negative integers give ``C`` constraints, each balanced across parts
    (METIS's multi-constraint mode). ``torch.stack([ones, train_mask], 1)``
    balances nodes and training nodes, as DistDGL does for its trainers.

    Shapes:
        edge_index: (2, E); node_weights: (N,) or (N, C) -> membership: (N,) int64 in [0, num_parts).

    Raises:
        ValueError: num_parts outside [1, N], or a bad edge_index.
        ImportError: pymetis is not installed (``pip install "gattut[scale]"``).
    """
    _check_graph(edge_index, num_nodes, "metis_partition")
    _check_num_parts(num_parts, num_nodes, "metis_partition")
    try:
        import pymetis
    except ImportError as exc:
        raise ImportError('metis_partition needs pymetis: pip install "gattut[scale]" '
                          '(or pip install pymetis)') from exc
    vweights = None
    if node_weights is not None:
        w = node_weights
        if not isinstance(w, Tensor) or w.dim() not in (1, 2) or w.shape[0] != num_nodes:
            shape = tuple(w.shape) if isinstance(w, Tensor) else type(w)
            raise ValueError(f"metis_partition: node_weights must have shape (N,) or (N, C) with "
                             f"N={num_nodes}, got {shape}")
        if w.is_floating_point() or w.is_complex() or (w.numel() and int(w.min()) < 0):
            raise ValueError("metis_partition: node_weights must be non-negative integers "
                             f"(METIS balances integer sums), got dtype {w.dtype}")
        vweights = w.cpu().long().reshape(-1).numpy()  # (N * C,): node-major, as METIS reads it
    if num_parts == 1:  # nothing to cut (METIS itself returns all zeros too)
        return torch.zeros(num_nodes, dtype=torch.long)
    pairs = _undirected(edge_index.cpu(), num_nodes)  # (2, M)
    both = torch.cat([pairs, pairs.flip(0)], dim=1)  # (2, 2M): METIS wants both directions
    order = torch.argsort(both[0] * num_nodes + both[1])  # CSR: by node, then neighbour
    adjncy = both[1, order].numpy().astype(np.int64)  # (2M,)
    xadj = np.zeros(num_nodes + 1, dtype=np.int64)  # (N + 1,)
    xadj[1:] = np.cumsum(np.bincount(both[0].numpy(), minlength=num_nodes))
    options = pymetis.Options(seed=int(seed))
    if hasattr(pymetis, "CSRAdjacency"):  # pymetis >= 2025.2; xadj/adjncy are deprecated there
        result = pymetis.part_graph(num_parts, adjacency=pymetis.CSRAdjacency(xadj, adjncy),
                                    vweights=vweights, options=options)
    else:
        result = pymetis.part_graph(num_parts, xadj=xadj, adjncy=adjncy, vweights=vweights,
                                    options=options)
    return torch.as_tensor(np.asarray(result[1], dtype=np.int64))  # (N,)


def random_partition(num_nodes: int, num_parts: int, *, seed: int = 0) -> Tensor:
    """A balanced random partition (the baseline METIS is measured against): a part id per node.

    Node ``perm[k]`` goes to part ``k mod K`` for a seeded random permutation,
    so part sizes differ by at most one.

    Shapes:
        -> membership: (N,) int64 in [0, num_parts).
    """
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 1:
        raise ValueError(f"random_partition: num_nodes must be an int >= 1, got {num_nodes!r}")
    _check_num_parts(num_parts, num_nodes, "random_partition")
    generator = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(num_nodes, generator=generator)  # (N,)
    membership = torch.empty(num_nodes, dtype=torch.long)
    membership[perm] = torch.arange(num_nodes) % num_parts
    return membership


def edge_cut(edge_index: Tensor, membership: Tensor) -> int:
    """How many undirected edges ``{u, v}`` join two parts (METIS's objective).

    Each pair counts once whatever its directions and duplicates; self-loops never count.

    Shapes:
        edge_index: (2, E); membership: (N,) -> int.
    """
    N = membership.shape[0] if isinstance(membership, Tensor) and membership.dim() == 1 else 0
    _check_graph(edge_index, N, "edge_cut")
    _check_membership(membership, N, "edge_cut")
    u, v = _undirected(edge_index.cpu(), N)  # (M,) each
    membership = membership.cpu()
    return int((membership[u] != membership[v]).sum())


def balance(membership: Tensor, num_parts: int | None = None) -> float:
    """The largest part over an even share, ``max_k |V_k| / (N / K)``; 1.0 is perfectly even.

    ``num_parts`` defaults to ``max(membership) + 1`` (give it when a part may be empty).

    Shapes:
        membership: (N,) -> float.
    """
    N = membership.shape[0] if isinstance(membership, Tensor) and membership.dim() == 1 else 0
    if N == 0:
        raise ValueError("balance: membership must be a non-empty (N,) tensor of part ids")
    K = _check_membership(membership, N, "balance")
    if num_parts is not None:
        if num_parts < K:
            raise ValueError(f"balance: membership has part id {K - 1} but num_parts={num_parts}")
        K = num_parts
    sizes = torch.bincount(membership.cpu(), minlength=K)  # (K,)
    return float(sizes.max()) * K / N


# ------------------------------------------------------------------ halos
def hop_distance(edge_index: Tensor, num_nodes: int, nodes: Tensor, num_hops: int) -> Tensor:
    """Each node's distance, in in-hops, to the set ``nodes`` (``-1`` beyond ``num_hops``).

    Breadth-first search backwards along edges ``j -> i``: distance 0 for
    ``nodes``, then ``d + 1`` for every source of an edge into a node at
    distance ``d``. One vectorised pass over the edges per hop.

    Shapes:
        edge_index: (2, E); nodes: (n,) global ids -> (N,) int64.
    """
    _check_graph(edge_index, num_nodes, "hop_distance")
    _check_hops(num_hops, "hop_distance")
    nodes = _check_nodes(nodes, num_nodes, "hop_distance")
    src, dst = edge_index[0].cpu(), edge_index[1].cpu()
    dist = torch.full((num_nodes,), -1, dtype=torch.long)  # (N,)
    dist[nodes] = 0
    frontier = torch.zeros(num_nodes, dtype=torch.bool)  # (N,)
    frontier[nodes] = True
    for hop in range(1, num_hops + 1):
        reached = torch.zeros(num_nodes, dtype=torch.bool)
        reached[src[frontier[dst]]] = True  # sources of edges into the frontier
        frontier = reached & (dist < 0)  # new nodes only
        if not bool(frontier.any()):
            break
        dist[frontier] = hop
    return dist


def halo(edge_index: Tensor, num_nodes: int, nodes: Tensor, num_hops: int) -> Tensor:
    """The ``L``-hop halo of ``nodes``: nodes outside the set that reach it in at most ``L`` hops.

    ``halo_L(V) = { j not in V : dist(j -> V) <= L }``, sorted by global id.

    Shapes:
        edge_index: (2, E); nodes: (n,) -> (h,) int64 global ids.
    """
    dist = hop_distance(edge_index, num_nodes, nodes, num_hops)
    return torch.nonzero(dist > 0).flatten()


def _check_ids(ids: Tensor, num_nodes: int, where: str) -> Tensor:
    """Integer node ids of any shape, checked to lie in ``[0, num_nodes)``; as int64 on the CPU."""
    if not isinstance(ids, Tensor) or ids.is_floating_point() or ids.dtype == torch.bool:
        kind = ids.dtype if isinstance(ids, Tensor) else type(ids).__name__
        raise ValueError(f"{where}: node ids must be an integer tensor, got {kind}")
    ids = ids.cpu().long()
    if ids.numel() and not (0 <= int(ids.min()) and int(ids.max()) < num_nodes):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise ValueError(f"{where}: node id {bad} is out of range [0, {num_nodes})")
    return ids


def _check_nodes(nodes: Tensor, num_nodes: int, where: str) -> Tensor:
    """A set of nodes as 1-D ids: from ``(n,)`` ids or an ``(N,)`` bool mask."""
    if not isinstance(nodes, Tensor) or nodes.dim() != 1:
        shape = tuple(nodes.shape) if isinstance(nodes, Tensor) else type(nodes)
        raise ValueError(f"{where}: nodes must be a 1-D tensor of node ids, got {shape}")
    if nodes.dtype == torch.bool:
        if nodes.shape[0] != num_nodes:
            raise ValueError(f"{where}: a boolean nodes mask must have shape ({num_nodes},), "
                             f"got {tuple(nodes.shape)}")
        return torch.nonzero(nodes.cpu()).flatten()
    return _check_ids(nodes, num_nodes, where)


@dataclass(frozen=True, eq=False)  # tensors: compare fields with torch.equal, not ==
class Part:
    """One part of a partitioned graph with its ``L``-hop halo, in local ids.

    Attributes:
        part: this part's id ``k``.
        num_hops: ``L``, the layers the halo is deep enough for.
        n_id: (N_k,) the global id of each local node, ascending: local id ``a``
            is global node ``n_id[a]``. The part's own nodes and its halo, mixed.
        owned: (N_k,) bool, True for the part's own nodes (False: halo).
        hops: (N_k,) int64, each local node's in-hop distance to the part (0: its own).
        edge_index: (2, E_k) local ids: every edge whose target is at distance < L,
            in the global edge order.
        e_id: (E_k,) each local edge's column in the global ``edge_index``.
        num_global_nodes: N of the whole graph.
        degree: (N_k,) int64, each local node's in-degree in the whole graph, self-loops
            not counted (the outer ring's edges are not held, but GCN's weights need it).
    """

    part: int
    num_hops: int
    n_id: Tensor
    owned: Tensor
    hops: Tensor
    edge_index: Tensor
    e_id: Tensor
    num_global_nodes: int
    degree: Tensor

    @property
    def num_nodes(self) -> int:
        """``N_k``: the part's own nodes plus its halo."""
        return int(self.n_id.shape[0])

    @property
    def nodes(self) -> Tensor:
        """(n_k,) global ids of the part's own nodes, ascending."""
        return self.n_id[self.owned]

    @property
    def halo(self) -> Tensor:
        """(h_k,) global ids of the halo nodes, ascending."""
        return self.n_id[~self.owned]

    @property
    def local_nodes(self) -> Tensor:
        """(n_k,) local ids of the part's own nodes (the targets a process trains on)."""
        return torch.nonzero(self.owned).flatten()

    def to_local(self, global_ids: Tensor) -> Tensor:
        """Local ids of global node ids; ValueError naming an id this part does not hold.

        Shapes:
            global_ids: any shape, e.g. (n,) or (2, E) -> the same shape, int64.
        """
        ids = _check_ids(global_ids, self.num_global_nodes, "Part.to_local")
        local = torch.searchsorted(self.n_id, ids.flatten()).view(ids.shape)  # n_id is sorted
        held = local < self.num_nodes
        held[held.clone()] = self.n_id[local[held]] == ids[held]
        if not bool(held.all()):
            missing = int(ids[~held][0])
            raise ValueError(f"Part.to_local: global node {missing} is not in part {self.part} "
                             f"or its {self.num_hops}-hop halo")
        return local

    def to_global(self, local_ids: Tensor) -> Tensor:
        """Global ids of local node ids. Shapes: any shape -> the same shape, int64."""
        ids = _check_ids(local_ids, self.num_nodes, "Part.to_global")
        return self.n_id[ids]

    def sampler(self, fanouts: list[int], *, replace: bool = False):
        """A :class:`~gattut.graph.sampling.NeighborSampler` on this part, in local ids.

        For targets among the part's own nodes (local ids, ``fanouts`` no
        longer than ``num_hops``) it draws, from the same generator, exactly
        the blocks a sampler on the whole graph draws for the same global
        targets: same sources, edges and degrees, mapped by :meth:`to_global`.
        """
        from gattut.graph.sampling import NeighborSampler

        if len(fanouts) > self.num_hops:
            raise ValueError(f"Part.sampler: {len(fanouts)} fanouts reach {len(fanouts)} hops, but "
                             f"part {self.part} holds a {self.num_hops}-hop halo")
        sampler = NeighborSampler(self.edge_index, self.num_nodes, fanouts, replace=replace)
        sampler.degree = self.degree  # the whole graph's degrees (the outer ring's edges are not held)
        return sampler

    def __repr__(self) -> str:
        return (f"Part({self.part}: {int(self.owned.sum())} nodes + {self.num_nodes - int(self.owned.sum())} "
                f"halo ({self.num_hops} hops), {self.edge_index.shape[1]} edges)")


def make_part(edge_index: Tensor, num_nodes: int, nodes: Tensor, num_hops: int,
              part: int = 0) -> Part:
    """The :class:`Part` holding ``nodes`` and their ``num_hops``-hop halo.

    Its edges are every global edge ``j -> i`` with ``i`` at distance
    ``< num_hops`` from ``nodes``: all the in-edges a sampler or an
    ``L``-layer model can follow from the part's targets. With
    ``num_hops=0`` the part is ``nodes`` alone, with no edges.

    Shapes:
        edge_index: (2, E); nodes: (n,) ids or (N,) bool -> Part.
    """
    dist = hop_distance(edge_index, num_nodes, nodes, num_hops)  # (N,)
    n_id = torch.nonzero(dist >= 0).flatten()  # (N_k,) ascending
    local_of = torch.full((num_nodes,), -1, dtype=torch.long)  # (N,) global -> local
    local_of[n_id] = torch.arange(n_id.shape[0])
    dst_dist = dist[edge_index[1].cpu()]  # (E,)
    e_id = torch.nonzero((dst_dist >= 0) & (dst_dist < num_hops)).flatten()  # (E_k,)
    local_edges = local_of[edge_index[:, e_id].cpu()]  # (2, E_k)
    hops = dist[n_id]
    src, dst = edge_index[0].cpu(), edge_index[1].cpu()
    degree = torch.bincount(dst[src != dst], minlength=num_nodes)[n_id]  # (N_k,)
    return Part(part=int(part), num_hops=num_hops, n_id=n_id, owned=hops == 0, hops=hops,
                edge_index=local_edges, e_id=e_id, num_global_nodes=num_nodes, degree=degree)


def partition_graph(edge_index: Tensor, num_nodes: int, membership: Tensor,
                    num_hops: int) -> list[Part]:
    """Every part of ``membership`` with its ``num_hops``-hop halo: ``K`` :class:`Part`.

    The parts' own nodes cover every node exactly once; halos overlap.

    Shapes:
        edge_index: (2, E); membership: (N,) in [0, K) -> list of K Part.
    """
    _check_graph(edge_index, num_nodes, "partition_graph")
    _check_hops(num_hops, "partition_graph")
    K = _check_membership(membership, num_nodes, "partition_graph")
    membership = membership.cpu()
    return [make_part(edge_index, num_nodes, membership == k, num_hops, part=k) for k in range(K)]
