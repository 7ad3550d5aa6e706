"""Attention on graphs: the container, edge operations, GCN, GAT and its variants.

``edge_index[0]`` holds sources ``j`` and ``edge_index[1]`` targets ``i``
(messages flow ``j -> i``); attention coefficients on edges are called
``alpha`` and have shape ``(E, H)``.

====================  ===============================================================
module                idea
====================  ===============================================================
``graph``             :class:`Graph` and :func:`batch_graphs`, now in :mod:`gattut.data.graph`
``ops``               self-loops, degrees, GCN weights, scatter reductions, edge softmax
``message_passing``   message on each edge, reduce at each node
``spmm``              the weighted neighbourhood sum, readable and sparse
``features``          sparse node features: dropout and products (one seed or many)
``attend``            the attention step, once: GAT and GATv2 scores, softmax, sum, heads
``gcn``               GCNConv (Kipf & Welling 2017)
``gat``               GATConv (Velickovic et al. 2018), on edges
``dense_gat``         DenseGATConv, the same layer with an N x N mask
``gatv2``             GATv2Conv (Brody et al. 2022)
``gated``             GatedGATConv (a gate per head, after GaAN)
``models``            GAT, GATv2, PPIGAT, GCN, MLP
``sampling``          neighbour sampling: Block, NeighborSampler, NeighborLoader
``inference``         layer-wise full-neighbour inference, exact and in chunks
``partition``         METIS and random partitions, edge cut, each part with its L-hop halo
====================  ===============================================================
"""

from gattut.data.graph import Graph, batch_graphs
from gattut.graph.attend import gat_attention, gatv2_attention, merge_heads
from gattut.graph.dense_gat import DenseGATConv, adjacency_mask
from gattut.graph.features import dropout, feature_dropout, linear
from gattut.graph.gat import GATConv
from gattut.graph.gated import GatedGATConv
from gattut.graph.gatv2 import GATv2Conv
from gattut.graph.gcn import GCNConv
from gattut.graph.inference import layerwise_inference, targets_within
from gattut.graph.message_passing import propagate
from gattut.graph.models import GAT, GCN, MLP, PPIGAT, GATv2
from gattut.graph.ops import (
    add_self_loops,
    degree,
    edge_softmax,
    remove_self_loops,
    scatter_max,
    scatter_mean,
    scatter_sum,
    sym_norm,
)
from gattut.graph.partition import (
    Part,
    edge_cut,
    halo,
    make_part,
    metis_partition,
    partition_graph,
    random_partition,
)
from gattut.graph.sampling import Block, MiniBatch, NeighborLoader, NeighborSampler
from gattut.graph.spmm import spmm, spmm_reference

__all__ = [
    "GAT",
    "GCN",
    "GATv2",
    "MLP",
    "PPIGAT",
    "Block",
    "Part",
    "DenseGATConv",
    "GATConv",
    "GATv2Conv",
    "GCNConv",
    "GatedGATConv",
    "MiniBatch",
    "NeighborLoader",
    "NeighborSampler",
    "Graph",
    "adjacency_mask",
    "add_self_loops",
    "batch_graphs",
    "degree",
    "dropout",
    "edge_cut",
    "edge_softmax",
    "feature_dropout",
    "gat_attention",
    "gatv2_attention",
    "halo",
    "layerwise_inference",
    "linear",
    "make_part",
    "merge_heads",
    "metis_partition",
    "partition_graph",
    "propagate",
    "random_partition",
    "remove_self_loops",
    "scatter_max",
    "scatter_mean",
    "scatter_sum",
    "spmm",
    "spmm_reference",
    "sym_norm",
    "targets_within",
]
