"""Neighbour sampling: each mini-batch's computation graph, one bipartite block per layer.

A node's output after ``L`` layers depends on its ``L``-hop neighbourhood,
which on a real graph soon covers most of it. GraphSAGE (Hamilton et al.
2017) bounds it: walking outwards from a batch of target nodes, each layer
keeps at most ``fanout`` incoming edges of every node, drawn uniformly
without replacement. Layer ``L``'s targets are the batch; its sources are
the batch plus the sampled neighbours, and they are layer ``L - 1``'s
targets, and so on down to the input layer:

.. math::
    V_L = \\text{batch}, \\quad
    V_{k-1} = V_k \\cup \\{ j : (j \\to i) \\text{ sampled}, i \\in V_k \\}

Each layer's edges form a :class:`Block`, a bipartite graph from
``V_{k-1}`` (sources) to ``V_k`` (targets), with local ids. The targets come
first among the sources (``V_k`` is a prefix of ``V_{k-1}``), so a target's
self-loop ``i -> i`` joins target ``i`` to source ``i``, and a layer's
output rows for ``V_k`` are the first rows of the next layer's input.

The sampler is vectorised torch on the graph's CSR (the sources of each
target's incoming edges, sorted by target); there is no Python loop over
nodes. Uniform sampling without replacement draws one random key per
candidate edge and keeps, for each target, the ``fanout`` edges with the
smallest keys (a random permutation of the target's edges, cut).

:class:`NeighborLoader` walks over training nodes in shuffled batches,
seeded, and samples the next batch in a background thread while the model
trains on this one.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from gattut.graph.features import is_sparse
from gattut.graph.ops import check_edge_index

__all__ = ["Block", "MiniBatch", "NeighborLoader", "NeighborSampler", "check_fanouts", "gather_rows"]


def check_fanouts(fanouts: Sequence[int], where: str = "fanouts") -> list[int]:
    """The fanouts as a list of ints, each ``>= 1`` or ``-1`` (all neighbours); else ValueError.

    Shapes:
        fanouts: (L,) -> list of L ints.
    """
    if isinstance(fanouts, (str, bytes)) or not isinstance(fanouts, Sequence) or not fanouts:
        raise ValueError(f"{where} must be a non-empty list of ints (one per layer), got {fanouts!r}")
    for k in fanouts:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
            raise ValueError(f"{where} must be ints (-1 = all neighbours), got {k!r} in {list(fanouts)}")
        if k == 0 or k < -1:
            raise ValueError(f"{where} must be >= 1 or -1 (all neighbours), got {int(k)} in "
                             f"{[int(f) for f in fanouts]}")
    return [int(k) for k in fanouts]


def gather_rows(x: Tensor, index: Tensor) -> Tensor:
    """``x[index]`` for dense or sparse (CSR or COO) features; sparse stays sparse CSR.

    torch has no ``index_select`` for CSR tensors; the rows are gathered from
    the CSR arrays directly (``O(nnz of the rows)``).

    Shapes:
        x: (N, F), dense or sparse; index: (n,) -> (n, F), same kind as x.
    """
    if not is_sparse(x):
        return x.index_select(0, index)
    if x.layout == torch.sparse_coo:
        x = x.to_sparse_csr()
    crow, col, values = x.crow_indices(), x.col_indices(), x.values()
    index = index.to(crow.device)
    start, count = crow[index], crow[index + 1] - crow[index]  # (n,), (n,)
    new_crow = torch.zeros(index.shape[0] + 1, dtype=crow.dtype, device=crow.device)
    torch.cumsum(count, 0, out=new_crow[1:])
    # Position of every kept entry: its row's start plus its offset within the row.
    row = torch.repeat_interleave(torch.arange(index.shape[0], device=crow.device), count)
    pos = start[row] + torch.arange(row.shape[0], device=crow.device) - new_crow[row]  # (nnz',)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # CSR support calls itself "beta"
        return torch.sparse_csr_tensor(new_crow, col[pos], values[pos], (index.shape[0], x.shape[1]),
                                       check_invariants=False)


def first_rows(x: Tensor, n: int) -> Tensor:
    """The first ``n`` rows of dense or sparse features (a view when dense or CSR): a block's targets.

    Shapes:
        x: (N, F) -> (n, F).
    """
    if x.layout == torch.sparse_csr:
        # The first n rows' entries are the first crow[n] entries: views, no copy.
        crow, nnz = x.crow_indices(), int(x.crow_indices()[n])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # CSR support calls itself "beta"
            return torch.sparse_csr_tensor(crow[:n + 1], x.col_indices()[:nnz], x.values()[:nnz],
                                           (n, x.shape[1]), check_invariants=False)
    if not is_sparse(x):
        return x[:n]
    return gather_rows(x, torch.arange(n, device=x.device))


@dataclass(frozen=True, eq=False)  # tensors: compare by identity
class Block:
    """One layer's sampled computation graph: a bipartite graph from sources to targets.

    ``src`` holds the global ids of the block's sources; the first ``n_dst``
    of them are its targets (``dst``), so target ``i`` is also source ``i``.
    ``edge_index`` has local ids: row 0 indexes ``src``, row 1 the targets.
    ``degree`` (optional) is each source's in-degree in the whole graph,
    self-loops not counted; GCN's normalisation needs it (a sampled block
    only sees some of a node's edges).

    A layer runs on a block as ``layer((h[src], h[dst]), edge_index)``,
    giving one row per target.

    Shapes:
        src: (N_src,); edge_index: (2, E_b); degree: (N_src,) -> dst: (N_dst,).
    """

    src: Tensor
    n_dst: int
    edge_index: Tensor
    degree: Tensor | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.src, Tensor) or self.src.dim() != 1:
            raise ValueError(f"Block: src must be a 1-D tensor of node ids, got "
                             f"{getattr(self.src, 'shape', type(self.src))}")
        if not 0 <= self.n_dst <= self.src.shape[0]:
            raise ValueError(f"Block: n_dst must be in [0, {self.src.shape[0]}] (the targets are "
                             f"the first sources), got {self.n_dst}")
        if not isinstance(self.edge_index, Tensor) or self.edge_index.dim() != 2 \
                or self.edge_index.shape[0] != 2:
            raise ValueError(f"Block: edge_index must have shape (2, E), got "
                             f"{getattr(self.edge_index, 'shape', type(self.edge_index))}")
        if self.degree is not None and tuple(self.degree.shape) != tuple(self.src.shape):
            raise ValueError(f"Block: degree must have one entry per source {tuple(self.src.shape)}, "
                             f"got {tuple(self.degree.shape)}")

    @property
    def dst(self) -> Tensor:
        """The targets' global ids: the first ``n_dst`` sources, (N_dst,)."""
        return self.src[:self.n_dst]

    @property
    def num_src(self) -> int:
        return self.src.shape[0]

    def to(self, device: str | torch.device) -> Block:
        """The same block with its tensors on ``device``."""
        degree = None if self.degree is None else self.degree.to(device)
        return Block(self.src.to(device), self.n_dst, self.edge_index.to(device), degree)

    def __repr__(self) -> str:
        return f"Block(num_src={self.num_src}, n_dst={self.n_dst}, num_edges={self.edge_index.shape[1]})"


@dataclass(frozen=True, eq=False)  # tensors: compare by identity
class MiniBatch:
    """One batch's blocks, input layer first: ``blocks[k]`` feeds layer ``k`` of the model.

    ``n_id`` are the input nodes (whose features the first layer reads),
    ``targets`` the batch's nodes (the rows of the model's output, in order).
    """

    blocks: list[Block]

    @property
    def n_id(self) -> Tensor:
        return self.blocks[0].src

    @property
    def targets(self) -> Tensor:
        return self.blocks[-1].dst

    def to(self, device: str | torch.device) -> MiniBatch:
        return MiniBatch([b.to(device) for b in self.blocks])


def _exclusive_cumsum(count: Tensor) -> Tensor:
    """``[0, c_0, c_0 + c_1, ...]`` without the total: each segment's start, (n,)."""
    return torch.cumsum(count, 0) - count


class NeighborSampler:
    """Sample each layer's neighbourhood of a batch of targets; the blocks, input layer first.

    ``fanouts[k]`` is how many incoming edges each node keeps at hop ``k + 1``
    from the targets (PyG's ``num_neighbors`` order), ``-1`` keeping all of
    them. The output layer's block was sampled with ``fanouts[0]``, the input
    layer's with ``fanouts[-1]``. Edges are drawn uniformly without
    replacement from a node's incoming edges (``replace=True``: with
    replacement, ``fanout`` draws per node); a duplicated edge is two
    candidates, and a self-loop of the graph is a candidate like any edge (the
    layers replace loops by one of their own).

    Sampling runs on the CPU; ``sample`` returns CPU blocks (move them with
    :meth:`Block.to`). A ``torch.Generator`` fixes the draws.

    Args:
        edge_index: ``(2, E)``, row 0 sources ``j``, row 1 targets ``i``.
        num_nodes: ``N``.
        fanouts: one per layer, ``>= 1`` or ``-1``.
        replace: sample with replacement.
        degree: each node's in-degree in the *whole* graph, self-loops not counted,
            when ``edge_index`` is a piece of it (a partition with its halo, whose
            outer nodes lack some edges); default: counted from ``edge_index``.
            Blocks carry it for GCN's normalisation.

    Shapes:
        edge_index: (2, E); targets: (B,) -> blocks: list of L :class:`Block`.
    """

    def __init__(self, edge_index: Tensor, num_nodes: int, fanouts: Sequence[int], *,
                 replace: bool = False, degree: Tensor | None = None):
        if not isinstance(num_nodes, int) or isinstance(num_nodes, bool) or num_nodes < 1:
            raise ValueError(f"NeighborSampler: num_nodes must be an int >= 1, got {num_nodes!r}")
        self.fanouts = check_fanouts(fanouts, "NeighborSampler: fanouts")
        check_edge_index(edge_index, num_nodes, "NeighborSampler edge_index")
        self.num_nodes, self.replace = num_nodes, bool(replace)
        j, i = edge_index.detach().cpu().long()  # (E,), (E,)
        # CSR by target: the sources of node i's incoming edges are col[rowptr[i]:rowptr[i+1]].
        order = torch.sort(i, stable=True).indices  # (E,)
        self.col = j[order]  # (E,)
        self.rowptr = torch.zeros(num_nodes + 1, dtype=torch.long)
        torch.cumsum(torch.bincount(i, minlength=num_nodes), 0, out=self.rowptr[1:])
        # In-degree without self-loops, for GCN's normalisation on blocks.
        self.degree = torch.bincount(i[i != j], minlength=num_nodes)  # (N,)
        if degree is not None:
            if not isinstance(degree, Tensor) or tuple(degree.shape) != (num_nodes,):
                raise ValueError(f"NeighborSampler: degree must have shape ({num_nodes},), got "
                                 f"{tuple(getattr(degree, 'shape', ())) or type(degree).__name__}")
            self.degree = degree.detach().cpu()

    @property
    def num_layers(self) -> int:
        return len(self.fanouts)

    def _check_targets(self, targets: Tensor) -> Tensor:
        if not isinstance(targets, Tensor) or targets.dim() != 1 or targets.is_floating_point() \
                or targets.dtype == torch.bool:
            raise ValueError(f"NeighborSampler: targets must be a 1-D tensor of node ids (long), got "
                             f"{getattr(targets, 'dtype', type(targets))} of shape "
                             f"{tuple(getattr(targets, 'shape', ()))}")
        targets = targets.cpu().long()
        if targets.numel():
            lo, hi = int(targets.min()), int(targets.max())
            if lo < 0 or hi >= self.num_nodes:
                raise ValueError(f"NeighborSampler: target id {lo if lo < 0 else hi} is out of "
                                 f"range for {self.num_nodes} nodes")
            if torch.unique(targets).numel() != targets.numel():
                raise ValueError("NeighborSampler: targets must be distinct (a node is one row)")
        return targets

    def sample(self, targets: Tensor, generator: torch.Generator | None = None) -> list[Block]:
        """The blocks of ``targets``' sampled ``L``-hop neighbourhood, input layer first.

        ``blocks[-1].dst`` is ``targets`` (in their order); ``blocks[k].dst``
        equals ``blocks[k + 1].src``; ``blocks[0].src`` are the input nodes.

        Shapes:
            targets: (B,) distinct node ids -> list of L blocks.
        """
        nodes = self._check_targets(targets)
        blocks = []
        for fanout in self.fanouts:  # hop 1 (the targets' neighbours) first
            block = self._sample_layer(nodes, fanout, generator)
            blocks.append(block)
            nodes = block.src
        return blocks[::-1]

    def full_block(self, targets: Tensor) -> Block:
        """One block with every incoming edge of ``targets`` (fanout -1): exact inference.

        Shapes:
            targets: (B,) -> Block with n_dst = B.
        """
        return self._sample_layer(self._check_targets(targets), -1, None)

    def _sample_layer(self, dst: Tensor, fanout: int, generator: torch.Generator | None) -> Block:
        """One hop: choose each target's edges, then relabel the nodes with the targets first."""
        n = dst.shape[0]
        start = self.rowptr[dst]  # (n,)
        deg = self.rowptr[dst + 1] - start  # (n,): candidate edges of each target
        if fanout < 0:
            pos, seg = self._all_edges(start, deg)
        elif self.replace:
            count = torch.where(deg > 0, fanout, 0)  # (n,)
            seg = torch.repeat_interleave(torch.arange(n), count)  # (E_b,): target of each draw
            draw = torch.rand(seg.shape[0], generator=generator, dtype=torch.float64)
            pos = start[seg] + (draw * deg[seg]).long().clamp_(max=deg[seg] - 1)
        else:
            pos, seg = self._all_edges(start, deg)
            # A target with at most `fanout` edges keeps them all; the others draw.
            many = deg > fanout  # (n,)
            draw = many[seg]  # (E_c,)
            keep_pos, keep_seg, pos, seg = pos[~draw], seg[~draw], pos[draw], seg[draw]
            # A random key per candidate; sorting by key, then stably by target, leaves each
            # target's edges in a uniformly random order. Keep the first `fanout` of each.
            key = torch.rand(pos.shape[0], generator=generator, dtype=torch.float64)  # (E_d,)
            by_key = torch.argsort(key)
            order = by_key[torch.sort(seg[by_key], stable=True).indices]  # (E_d,)
            pos, seg = pos[order], seg[order]
            first = _exclusive_cumsum(torch.where(many, deg, 0))  # (n,): where each one starts
            chosen = torch.arange(pos.shape[0]) - first[seg] < fanout  # place in the target
            pos, seg = torch.cat([keep_pos, pos[chosen]]), torch.cat([keep_seg, seg[chosen]])
        return self._relabel(dst, self.col[pos], seg)

    @staticmethod
    def _all_edges(start: Tensor, deg: Tensor) -> tuple[Tensor, Tensor]:
        """Every incoming edge of the targets: CSR positions and the target (local id) of each."""
        seg = torch.repeat_interleave(torch.arange(deg.shape[0]), deg)  # (E_c,)
        offset = torch.arange(seg.shape[0]) - _exclusive_cumsum(deg)[seg]  # (E_c,)
        return start[seg] + offset, seg

    def _relabel(self, dst: Tensor, nbr: Tensor, seg: Tensor) -> Block:
        """Local ids: the ``n`` targets are sources ``0..n-1``; new neighbours follow, by id.

        Shapes:
            dst: (n,); nbr: (E_b,) global source of each edge; seg: (E_b,) local target.
        """
        n = dst.shape[0]
        uniq, inv = torch.unique(torch.cat([dst, nbr]), return_inverse=True)  # (U,), (n + E_b,)
        local = torch.empty(uniq.shape[0], dtype=torch.long)  # (U,): the local id of each node
        is_dst = torch.zeros(uniq.shape[0], dtype=torch.bool)
        is_dst[inv[:n]] = True
        local[inv[:n]] = torch.arange(n)
        others = (~is_dst).nonzero().squeeze(1)  # (U - n,): neighbours that are not targets
        local[others] = n + torch.arange(others.shape[0])
        src = torch.cat([dst, uniq[others]])  # (N_src,)
        edge_index = torch.stack([local[inv[n:]], seg])  # (2, E_b)
        return Block(src, n, edge_index, self.degree[src])


class NeighborLoader:
    """Shuffled mini-batches of ``nodes``, each with its sampled blocks: an iterable of :class:`MiniBatch`.

    Every pass (epoch) shuffles ``nodes`` (``shuffle=True``), cuts them into
    batches of ``batch_size`` targets and samples each batch's blocks with
    :class:`NeighborSampler`. The draws come from a generator seeded with
    ``(seed, epoch)``: the same seed gives the same batches, epoch by epoch.
    The epoch counts the passes, or is set with :meth:`set_epoch` (as
    ``DistributedSampler``'s), which a training loop uses to resume.

    With ``prefetch >= 1`` a background thread samples up to ``prefetch``
    batches ahead while the caller computes on the current one (torch's
    kernels release the GIL, so the two overlap); ``prefetch=0`` samples in
    the caller's thread. The batches are the same either way.

    Args:
        edge_index, num_nodes, fanouts: as :class:`NeighborSampler` (or pass ``sampler``).
        nodes: the training nodes, ``(n,)`` ids or an ``(N,)`` bool mask.
        batch_size: targets per batch.
        shuffle, seed, prefetch: as above; drop_last: drop a last, smaller batch.

    Shapes:
        nodes: (n,) or (N,) bool -> each batch: MiniBatch with targets (<= batch_size,).
    """

    def __init__(self, edge_index: Tensor, num_nodes: int, nodes: Tensor, fanouts: Sequence[int],
                 batch_size: int, *, shuffle: bool = True, seed: int = 0, prefetch: int = 1,
                 drop_last: bool = False, replace: bool = False,
                 sampler: NeighborSampler | None = None):
        for name, value, low in (("batch_size", batch_size, 1), ("prefetch", prefetch, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"NeighborLoader: {name} must be an int >= {low}, got {value!r}")
        self.sampler = sampler or NeighborSampler(edge_index, num_nodes, fanouts, replace=replace)
        if isinstance(nodes, Tensor) and nodes.dtype == torch.bool:
            if nodes.shape != (self.sampler.num_nodes,):
                raise ValueError(f"NeighborLoader: a node mask must have shape "
                                 f"({self.sampler.num_nodes},), got {tuple(nodes.shape)}")
            nodes = nodes.nonzero().squeeze(1)
        self.nodes = self.sampler._check_targets(nodes)
        if self.nodes.numel() == 0:
            raise ValueError("NeighborLoader: nodes is empty; there is nothing to train on")
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, int(seed)
        self.prefetch, self.drop_last, self.epoch = prefetch, drop_last, 0

    def __len__(self) -> int:
        n = self.nodes.shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass draw epoch ``epoch``'s batches."""
        self.epoch = int(epoch)

    def _generator(self) -> torch.Generator:
        state = np.random.SeedSequence([self.seed, self.epoch]).generate_state(1, np.uint64)[0]
        return torch.Generator().manual_seed(int(state) & (2**63 - 1))

    def _batches(self, g: torch.Generator) -> Iterator[MiniBatch]:
        n = self.nodes.shape[0]
        order = self.nodes[torch.randperm(n, generator=g)] if self.shuffle else self.nodes
        for k in range(len(self)):
            targets = order[k * self.batch_size:(k + 1) * self.batch_size]  # (B,)
            yield MiniBatch(self.sampler.sample(targets, g))

    def __iter__(self) -> Iterator[MiniBatch]:
        batches = self._batches(self._generator())  # this epoch's draws
        self.epoch += 1
        return batches if self.prefetch == 0 else _prefetched(batches, self.prefetch)


_DONE = object()


def _prefetched(items: Iterator, depth: int) -> Iterator:
    """``items``, produced by a background thread at most ``depth`` ahead of the consumer.

    An exception in the thread is raised in the consumer; a consumer that
    stops early stops the thread.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item) -> bool:
        """Put ``item`` unless the consumer has stopped; whether it went in."""
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            offer(exc)

    thread = threading.Thread(target=work, name="gattut-sampler", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
