"""Layer-wise inference: the exact full-neighbour output of a model, in bounded memory.

A model trained on sampled neighbourhoods should be evaluated on whole
ones. Running its ``L`` layers per batch of targets would recompute each
node's ``L``-hop neighbourhood once per batch that reaches it, and the
``L``-hop neighbourhood of even a small batch is most of a real graph.
Layer-wise inference (GraphSAGE's, PyG's ``inference``) turns the loops
around: layer ``k`` runs over *all* nodes, a chunk of targets at a time with
every incoming edge, before layer ``k + 1`` starts:

.. math::
    H^{(k)}_{\\text{chunk}} = \\text{layer}_k\\big(H^{(k-1)}[\\text{sources of the chunk}],
    \\text{edges into the chunk}\\big)

Each node's output is computed once per layer, and the memory beyond the
``(N, width)`` output of a layer is one chunk's block. The result equals
the full-graph forward pass (tested).

When only some nodes' outputs are wanted, layer ``k`` need not run over
all nodes: a node at in-hop distance ``d`` from the wanted set ``S`` reads
only in-neighbours at distance ``<= d + 1``, so with ``L`` layers it is
exact to compute, at layer ``k`` (0-based), only the nodes with

.. math::
    \\text{dist}(i, S) \\le L - 1 - k

(the last layer: ``S`` itself). ``targets_per_layer`` passes these sets
(:func:`targets_within`); a process of data-parallel training that holds
one part of a graph and its halo scores the part this way.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from gattut.graph.models import run_block
from gattut.graph.sampling import NeighborSampler, gather_rows

__all__ = ["layerwise_inference", "targets_within"]


def targets_within(hops: Tensor, num_layers: int) -> list[Tensor]:
    """The nodes each layer must compute for exact outputs at distance 0: ``dist <= L - 1 - k``.

    ``hops`` holds each node's in-hop distance to the wanted nodes (0: a
    wanted node; -1: farther than anything looks, as
    :func:`~gattut.graph.partition.hop_distance` and
    :attr:`Part.hops <gattut.graph.partition.Part>` give it). Layer ``k`` of
    ``L`` needs the nodes with ``0 <= hops <= L - 1 - k``; the last layer
    only the wanted ones.

    Shapes:
        hops: (N,) int -> L tensors of node ids, (N_k,) int64 ascending, N_0 >= ... >= N_{L-1}.
    """
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"targets_within: num_layers must be an int >= 1, got {num_layers!r}")
    if not isinstance(hops, Tensor) or hops.dim() != 1 or hops.is_floating_point() \
            or hops.dtype == torch.bool:
        raise ValueError(f"targets_within: hops must be a 1-D integer tensor of hop distances, got "
                         f"{getattr(hops, 'dtype', type(hops))} {tuple(getattr(hops, 'shape', ()))}")
    hops = hops.cpu()
    return [torch.nonzero((hops >= 0) & (hops <= num_layers - 1 - k)).flatten()
            for k in range(num_layers)]


def _check_targets_per_layer(targets_per_layer: Sequence[Tensor], num_layers: int,
                             N: int) -> list[Tensor]:
    """Each layer's targets as distinct ascending int64 ids on the CPU; ValueError naming a bad one."""
    if isinstance(targets_per_layer, Tensor) or not isinstance(targets_per_layer, Sequence):
        raise ValueError(f"layerwise_inference: targets_per_layer must be a sequence of {num_layers} "
                         f"tensors (one per layer), got {type(targets_per_layer).__name__}")
    if len(targets_per_layer) != num_layers:
        raise ValueError(f"layerwise_inference: targets_per_layer has {len(targets_per_layer)} "
                         f"entries but the model has {num_layers} layers")
    checked = []
    for k, t in enumerate(targets_per_layer):
        if not isinstance(t, Tensor) or t.dim() != 1 or t.is_floating_point() \
                or t.dtype == torch.bool:
            raise ValueError(f"layerwise_inference: targets_per_layer[{k}] must be a 1-D tensor "
                             f"of node ids (int), got {getattr(t, 'dtype', type(t))} "
                             f"{tuple(getattr(t, 'shape', ()))}")
        t = torch.unique(t.cpu().long())  # (n_k,) sorted, distinct
        if t.numel() and (int(t[0]) < 0 or int(t[-1]) >= N):
            bad = int(t[0]) if int(t[0]) < 0 else int(t[-1])
            raise ValueError(f"layerwise_inference: targets_per_layer[{k}] holds node id {bad}, "
                             f"out of range [0, {N})")
        checked.append(t)
    return checked


@torch.no_grad()
def layerwise_inference(model: nn.Module, x: Tensor, edge_index: Tensor | None = None, *,
                        chunk_size: int = 4096, sampler: NeighborSampler | None = None,
                        targets_per_layer: Sequence[Tensor] | None = None) -> Tensor:
    """Every node's logits from a layer sequence, one layer over all nodes at a time, in chunks.

    The model runs in eval mode (no dropout; its mode is restored after),
    under ``no_grad``. A DDP or other wrapper with a ``module`` is unwrapped.

    Args:
        model: a :class:`~gattut.graph.models.LayerSequence` (GAT, GATv2, GCN, MLP).
        x: node features, on the model's device.
        edge_index: the graph, or None when ``sampler`` (a :class:`NeighborSampler`
            of the same graph, whose CSR is reused) is given.
        chunk_size: targets per chunk.
        targets_per_layer: None (every node at every layer), or one tensor of
            node ids per layer: layer ``k`` computes only those rows, and the
            others stay zero. Layer ``k`` must compute every in-neighbour that
            layer ``k + 1``'s targets read (:func:`targets_within` gives such
            sets); the rows of the last layer's targets then equal the full
            forward pass.

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E); targets_per_layer: L tensors (N_k,)
        -> (N, C), zero outside the last layer's targets.

    Raises:
        ValueError: not a layer sequence, bad x or chunk_size, a sampler of another graph,
            ``targets_per_layer`` of the wrong length, with an id out of range, or with a
            layer reading a row the layer before did not compute.
    """
    model = getattr(model, "module", model)
    if not hasattr(model, "layer_names"):
        raise ValueError(f"layerwise_inference: needs a layer sequence (GAT, GATv2, GCN, MLP), "
                         f"got {type(model).__name__}")
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ValueError(f"layerwise_inference: chunk_size must be an int >= 1, got {chunk_size!r}")
    if not isinstance(x, Tensor) or x.dim() != 2:
        raise ValueError(f"layerwise_inference: x must be (N, F) node features, got "
                         f"{getattr(x, 'shape', type(x))}")
    N = x.shape[0]
    if sampler is None:
        if edge_index is None:
            raise ValueError("layerwise_inference: pass edge_index or sampler")
        sampler = NeighborSampler(edge_index, N, [-1])
    elif sampler.num_nodes != N:
        raise ValueError(f"layerwise_inference: the sampler's graph has {sampler.num_nodes} nodes "
                         f"but x has {N} rows")
    L = len(model.layer_names)
    every = targets_per_layer is None
    if not every:
        targets_per_layer = _check_targets_per_layer(targets_per_layer, L, N)

    was_training = model.training
    model.eval()
    try:
        h, computed = x, None  # computed: (N,) bool, the rows the layer before wrote (None: all)
        for k, name in enumerate(model.layer_names):
            if k:
                h = model.activation(h)  # (N, hidden)
            layer, out = getattr(model, name), None
            wanted = torch.arange(N) if every else targets_per_layer[k]  # (n_k,)
            n = wanted.shape[0]
            # No targets: node 0 alone runs, for the layer's width, and its row is not kept.
            for start in range(0, max(n, 1), chunk_size):
                targets = wanted[start:start + chunk_size] if n else torch.zeros(1, dtype=torch.long)
                block = sampler.full_block(targets)  # (B,) targets
                if n and computed is not None and not bool(computed[block.src].all()):
                    missing = int(block.src[~computed[block.src]][0])
                    raise ValueError(f"layerwise_inference: targets_per_layer[{k}] reads node "
                                     f"{missing}, which targets_per_layer[{k - 1}] does not "
                                     f"compute; layer {k - 1} must cover the in-neighbours of "
                                     f"layer {k}'s targets (see targets_within)")
                block = block.to(x.device)
                rows = run_block(layer, gather_rows(h, block.src), block)  # (B, width)
                if out is None:  # (N, width), this layer's output
                    out = (rows.new_empty if every else rows.new_zeros)(N, rows.shape[1])
                if every:
                    out[start:start + rows.shape[0]] = rows
                elif n:
                    out[targets.to(out.device)] = rows
            h = out
            if not every:
                computed = torch.zeros(N, dtype=torch.bool)
                computed[wanted] = True
        return h
    finally:
        model.train(was_training)
