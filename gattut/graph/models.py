"""The models of the GAT paper and its baselines, built from this package's layers.

Every model is called as ``model(x, edge_index)`` (the PyG convention; for a
:class:`gattut.data.graph.Graph` ``g``, ``model(g.x, g.edge_index)``) and
returns logits: ``(N, C)`` per node, to be fed to ``cross_entropy`` (one
class) or ``binary_cross_entropy_with_logits`` (PPI's 121 labels).

The layer sequences (GAT, GATv2, GCN, MLP) also run on a mini-batch's
sampled blocks, ``model(x[blocks[0].src], blocks)`` (see
:meth:`LayerSequence.forward_blocks` and :mod:`gattut.graph.sampling`).

``x`` may be dense or sparse (CSR/COO). Input dropout then drops the stored
values only, which has the same distribution as dense dropout (see
:mod:`gattut.graph.features`) and makes the paper's Cora model several times
faster on a CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from gattut.graph.features import feature_dropout, linear, stacked_linear
from gattut.graph.gat import GATConv
from gattut.graph.gatv2 import GATv2Conv
from gattut.graph.gcn import GCNConv
from gattut.graph.sampling import Block, first_rows

__all__ = ["GAT", "GCN", "MLP", "PPIGAT", "GATv2", "Linear", "LayerSequence", "run_block"]


def run_block(layer: nn.Module, x: Tensor, block: Block) -> Tensor:
    """One layer on one sampled block: ``layer((x, x[:n_dst]), block.edge_index)``.

    A layer with a ``forward_block`` method (GCN, which needs the block's
    degrees; the MLP's ``Linear``, which reads the targets only) runs that.

    Shapes:
        x: (N_src, F), dense or sparse -> (N_dst, K).
    """
    if hasattr(layer, "forward_block"):
        return layer.forward_block(x, block)
    return layer((x, first_rows(x, block.n_dst)), block.edge_index)


class LayerSequence(nn.Module):
    """``dropout -> layer -> activation -> dropout -> layer ...``: the shape of every model here but PPI's.

    ``layer_names`` lists the layers in order, ``activation`` runs between
    them and ``dropout`` drops each layer's input (sparse input stays sparse).
    :mod:`gattut.train.stacked` runs the same sequence for many seeds at once
    from these three attributes, so a model of this shape stacks whatever
    its layers are, as long as each has a ``forward_stacked``.

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> logits: (N, C).
    """

    layer_names: tuple[str, ...] = ("conv1", "conv2")
    activation = staticmethod(F.elu)
    dropout: float = 0.0

    def forward(self, x: Tensor, edge_index: Tensor | Sequence[Block] | None = None) -> Tensor:
        if isinstance(edge_index, (list, tuple)):
            return self.forward_blocks(x, edge_index)  # through forward, so DDP sees the call
        for k, name in enumerate(self.layer_names):
            if k:
                x = self.activation(x)  # (N, hidden)
            x = feature_dropout(x, self.dropout, self.training)
            x = getattr(self, name)(x, edge_index)  # (N, hidden), then (N, C)
        return x

    def forward_blocks(self, x: Tensor, blocks: Sequence[Block]) -> Tensor:
        """The same layers on a mini-batch's sampled blocks: layer ``k`` runs on ``blocks[k]``.

        ``x`` holds the features of ``blocks[0].src`` (the input nodes); each
        layer gives one row per target of its block, which are the first
        sources of the next block. ``model(x, blocks)`` calls this.

        Shapes:
            x: (N_0, F), dense or sparse, N_0 = len(blocks[0].src) -> (len(blocks[-1].dst), C).
        """
        if len(blocks) != len(self.layer_names):
            raise ValueError(f"{type(self).__name__}: {len(self.layer_names)} layers need as many "
                             f"blocks, got {len(blocks)} (one fanout per layer)")
        if x.shape[0] != blocks[0].num_src:
            raise ValueError(f"{type(self).__name__}: x has {x.shape[0]} rows but the first block "
                             f"has {blocks[0].num_src} sources (x must be features[blocks[0].src])")
        for k, (name, block) in enumerate(zip(self.layer_names, blocks)):
            if k:
                x = self.activation(x)  # (N_k, hidden)
            x = feature_dropout(x, self.dropout, self.training)
            x = run_block(getattr(self, name), x, block)  # (N_{k+1}, hidden), then (B, C)
        return x


class Linear(nn.Linear):
    """``nn.Linear`` for dense or sparse ``x``, called as ``layer(x, edge_index)`` like the graph layers.

    Shapes:
        x: (N, F), dense or sparse; edge_index: ignored -> (N, K).
    """

    def forward(self, x: Tensor, edge_index: Tensor | None = None) -> Tensor:
        return linear(x, self.weight, self.bias)

    def forward_block(self, x: Tensor, block: Block) -> Tensor:
        """The targets' rows only (the first ``n_dst``): (N_src, F) -> (N_dst, K)."""
        return self(first_rows(x, block.n_dst))

    def forward_stacked(self, params: dict[str, Tensor], x: Tensor, edge_index: Tensor | None,
                        dropout: float, training: bool) -> Tensor:
        """This layer for ``R`` seeds at once: x (N, F) or (N, R, F) -> (N, R, K)."""
        z = stacked_linear(x, params["weight"].unsqueeze(1), dropout, training).squeeze(2)
        return z if "bias" not in params else z + params["bias"]


class GAT(LayerSequence):
    """The paper's transductive model (Cora, CiteSeer, PubMed).

    ``dropout -> GATConv(F, hidden, heads) -> ELU -> dropout -> GATConv(hidden*heads, C, out_heads,
    concat=False)``, with attention dropout ``attn_dropout`` in both layers.
    Paper settings: hidden 8, heads 8, dropout 0.6 on inputs and attention; one output head
    (Cora, CiteSeer), 8 output heads for PubMed.

    Three versions of the same model:

    - the default, PyG's ``examples/gat.py``: one input-dropout mask shared by all heads;
    - ``paper_dropout=True``: the original code's dropouts (a mask per head, ``W h``
      dropped again before the sum; GATConv's ``input_dropout`` and ``value_dropout``);
    - ``original=True``: those dropouts plus the rest of the original code's model, a
      learned bias in each head's score and per-head Glorot bounds (GATConv's
      ``attention_bias`` and ``per_head_init``). ``build_model("gat", ...)`` and the
      ledger use this one.

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> logits: (N, C).
    """

    def __init__(self, in_features: int, num_classes: int, hidden: int = 8, heads: int = 8,
                 out_heads: int = 1, dropout: float = 0.6, attn_dropout: float | None = None,
                 paper_dropout: bool = False, original: bool = False):
        super().__init__()
        attn_dropout = dropout if attn_dropout is None else attn_dropout
        paper_dropout = paper_dropout or original  # the three versions of the docstring
        # PyG's one shared input mask is the model's; the original code's masks are the layers'.
        self.dropout = 0.0 if paper_dropout else dropout
        inner = dropout if paper_dropout else 0.0
        faithful = {"attention_bias": original, "per_head_init": original}
        self.conv1 = GATConv(in_features, hidden, heads=heads, dropout=attn_dropout,
                             input_dropout=inner, value_dropout=inner, **faithful)
        self.conv2 = GATConv(hidden * heads, num_classes, heads=out_heads, concat=False,
                             dropout=attn_dropout, input_dropout=inner, value_dropout=inner,
                             **faithful)


class GATv2(LayerSequence):
    """The paper's two-layer GAT with :class:`~gattut.graph.gatv2.GATv2Conv` layers.

    ``dropout -> GATv2Conv(F, hidden, heads) -> ELU -> dropout ->
    GATv2Conv(hidden*heads, C, out_heads, concat=False)``, attention dropout in both.

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> logits: (N, C).
    """

    def __init__(self, in_features: int, num_classes: int, hidden: int = 8, heads: int = 8,
                 out_heads: int = 1, dropout: float = 0.6, attn_dropout: float | None = None):
        super().__init__()
        attn_dropout = dropout if attn_dropout is None else attn_dropout
        self.dropout = dropout
        self.conv1 = GATv2Conv(in_features, hidden, heads=heads, dropout=attn_dropout)
        self.conv2 = GATv2Conv(hidden * heads, num_classes, heads=out_heads, concat=False,
                               dropout=attn_dropout)


class PPIGAT(nn.Module):
    """The paper's inductive model for PPI: three GAT layers with skip connections.

    ``GATConv(F, 256, heads=4) -> ELU -> GATConv(1024, 256, heads=4) -> ELU ->
    GATConv(1024, 121, heads=6, concat=False)``, each layer with a linear skip
    connection from its input (``residual=True``; the paper: "skip connections
    across the intermediate attentional layer"; PyG's PPI example adds one to every layer,
    as here). No dropout: the paper found the training set large enough.

    Shapes:
        x: (N, F); edge_index: (2, E) of a (batched) graph -> logits: (N, num_labels).
    """

    def __init__(self, in_features: int = 50, num_labels: int = 121, hidden: int = 256,
                 heads: int = 4, out_heads: int = 6, residual: bool = True, dropout: float = 0.0):
        super().__init__()
        self.dropout = dropout
        width = hidden * heads
        self.conv1 = GATConv(in_features, hidden, heads=heads, residual=residual, dropout=dropout)
        self.conv2 = GATConv(width, hidden, heads=heads, residual=residual, dropout=dropout)
        self.conv3 = GATConv(width, num_labels, heads=out_heads, concat=False, residual=residual,
                             dropout=dropout)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = F.elu(self.conv1(x, edge_index))  # (N, heads*hidden)
        x = F.elu(self.conv2(x, edge_index))  # (N, heads*hidden)
        return self.conv3(x, edge_index)  # (N, num_labels)


class GCN(LayerSequence):
    """Kipf & Welling's two-layer GCN: ``dropout -> GCNConv -> ReLU -> dropout -> GCNConv``.

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> logits: (N, C).
    """

    activation = staticmethod(F.relu)

    def __init__(self, in_features: int, num_classes: int, hidden: int = 16, dropout: float = 0.5):
        super().__init__()
        self.dropout = dropout
        self.conv1 = GCNConv(in_features, hidden)
        self.conv2 = GCNConv(hidden, num_classes)


class MLP(LayerSequence):
    """The graph-blind baseline: ``dropout -> Linear -> ReLU -> dropout -> Linear``.

    ``edge_index`` is accepted (and ignored) so every model is called the same way.

    Shapes:
        x: (N, F), dense or sparse; edge_index: ignored -> logits: (N, C).
    """

    layer_names = ("lin1", "lin2")
    activation = staticmethod(F.relu)

    def __init__(self, in_features: int, num_classes: int, hidden: int = 64, dropout: float = 0.5):
        super().__init__()
        self.dropout = dropout
        self.lin1 = Linear(in_features, hidden)
        self.lin2 = Linear(hidden, num_classes)
