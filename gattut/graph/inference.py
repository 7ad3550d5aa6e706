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
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gattut.graph.models import run_block
from gattut.graph.sampling import NeighborSampler, gather_rows

__all__ = ["layerwise_inference"]


@torch.no_grad()
def layerwise_inference(model: nn.Module, x: Tensor, edge_index: Tensor | None = None, *,
                        chunk_size: int = 4096, sampler: NeighborSampler | None = None) -> Tensor:
    """Every node's logits from a layer sequence, one layer over all nodes at a time, in chunks.

    The model runs in eval mode (no dropout; its mode is restored after),
    under ``no_grad``. A DDP or other wrapper with a ``module`` is unwrapped.

    Args:
        model: a :class:`~gattut.graph.models.LayerSequence` (GAT, GATv2, GCN, MLP).
        x: node features, on the model's device.
        edge_index: the graph, or None when ``sampler`` (a :class:`NeighborSampler`
            of the same graph, whose CSR is reused) is given.
        chunk_size: targets per chunk.

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> (N, C).
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

    was_training = model.training
    model.eval()
    try:
        h = x
        for k, name in enumerate(model.layer_names):
            if k:
                h = model.activation(h)  # (N, hidden)
            layer, out = getattr(model, name), None
            for start in range(0, N, chunk_size):
                targets = torch.arange(start, min(start + chunk_size, N))  # (B,)
                block = sampler.full_block(targets).to(x.device)
                rows = run_block(layer, gather_rows(h, block.src), block)  # (B, width)
                if out is None:
                    out = rows.new_empty(N, rows.shape[1])  # (N, width), this layer's output
                out[start:start + rows.shape[0]] = rows
            h = out
        return h
    finally:
        model.train(was_training)
