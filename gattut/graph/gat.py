"""The graph attention layer (Velickovic et al. 2018), on an edge list.

The paper's equations, and the line of :meth:`GATConv.forward` that computes each:

(1) ``z_i = W h_i``                                   -- ``# 1) project``
(2) ``e_ij = LeakyReLU(a^T [z_i || z_j])``            -- ``# 2) score each edge``
(3) ``alpha_ij = softmax_j(e_ij)`` over ``j in N(i)``  -- ``# 3) edge softmax``
(4) ``h_i' = sum_{j in N(i)} alpha_ij z_j``           -- ``# 4) aggregate``

with ``K`` heads concatenated in hidden layers, ``h_i' = ||_k (...)``, and
averaged in an output layer. The nonlinearity ``sigma`` of the paper is left
to the model (ELU between layers, softmax at the end), as in PyG.

Splitting ``a`` into a destination half and a source half,
``a^T [z_i || z_j] = a_dst^T z_i + a_src^T z_j``, gives one number per node
and head for each half; an edge's score is then the sum of two gathered
numbers, so scoring costs O(N + E) and never builds the N x N matrix of
:class:`gattut.graph.dense_gat.DenseGATConv`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gattut.graph.attend import (
    GraphLayer,
    gat_attention,
    merge_heads,
)
from gattut.graph.features import (
    feature_dropout,
    grouped_linear,
    linear,
    stacked_linear,
)

__all__ = ["GATConv", "glorot_"]


def glorot_(param: Tensor) -> Tensor:
    """Uniform Glorot init over the last two axes, as PyG's ``glorot`` (used for ``att_src``/``att_dst``)."""
    bound = math.sqrt(6.0 / (param.shape[-2] + param.shape[-1]))
    with torch.no_grad():
        return param.uniform_(-bound, bound)


def _leading_rows(a: Tensor, b: Tensor) -> bool:
    """Whether ``a`` is a view of the first rows of ``b`` (dense, or CSR sharing its arrays)."""
    if a.layout != b.layout or a.shape[1:] != b.shape[1:] or a.shape[0] > b.shape[0]:
        return False
    if a.layout == torch.strided:
        return a.data_ptr() == b.data_ptr() and a.stride() == b.stride()
    if a.layout == torch.sparse_csr:
        pairs = ((a.crow_indices(), b.crow_indices()), (a.col_indices(), b.col_indices()),
                 (a.values(), b.values()))
        return all(p.data_ptr() == q.data_ptr() for p, q in pairs)
    return False


class GATConv(GraphLayer, nn.Module):
    """Multi-head graph attention, sparse (edge-list) implementation.

    .. math::
        z_i = W h_i, \\quad
        e_{ij}^k = \\mathrm{LeakyReLU}(a_{dst}^{k\\top} z_i^k + a_{src}^{k\\top} z_j^k), \\quad
        \\alpha_{ij}^k = \\mathrm{softmax}_{j \\in N(i)}(e_{ij}^k), \\quad
        h_i' = \\Big\\Vert_{k=1}^{H} \\sum_{j \\in N(i)} \\alpha_{ij}^k z_j^k
        \\ \\text{(or the mean over k)}

    ``N(i)`` is the set of sources ``j`` of edges ``j -> i`` (plus ``i`` itself
    with ``add_self_loops``). Edges are directed as given; a duplicate edge
    counts twice in the softmax, as in PyG.

    Arguments and parameters have PyG's names (``lin.weight``, or ``lin_src.weight``
    and ``lin_dst.weight`` for two input widths; ``att_src``, ``att_dst``,
    ``bias``, ``res.weight``), so a ``state_dict`` copies across. The older
    names ``in_features``/``out_features`` and ``return_attention`` still work
    (see :class:`gattut.graph.attend.GraphLayer`).

    Bipartite input: ``x = (x_src, x_dst)`` with ``edge_index`` from sources to
    targets gives one output row per target, as PyG's layer does (mini-batches
    of sampled neighbourhoods). ``in_channels=(F_src, F_dst)`` gives the two
    node sets their own projections. Self-loops join target ``i`` to source
    ``i``, so they need the targets to be the first ``N_dst`` sources (the
    layout of a neighbour sampler; see :func:`gattut.graph.attend.prepare_edges`).

    Args:
        in_channels: ``F``, input width, or ``(F_src, F_dst)``.
        out_channels: ``C``, width of each head.
        heads: ``H``.
        concat: concatenate heads (output ``H * C``) or average them (output ``C``).
        negative_slope: of the LeakyReLU in the scores.
        dropout: dropout on the attention coefficients ``alpha`` (the paper uses 0.6).
            Dropout on the *inputs* belongs to the model, as in PyG.
        add_self_loops: drop existing loops, then add one ``i -> i`` per target (PyG's default).
        bias: add a learned bias to the output.
        residual: add a linear projection of the (target) input to the output.
        aggregation: ``"sparse"`` (per-head CSR products, the default) or ``"gather"``
            (gather ``z_j`` per edge and scatter-add: the readable path, ``O(E H C)`` memory).
        input_dropout: dropout on the input drawn once *per head* (the original GAT code's
            ``in_drop`` inside each attention head); 0 leaves input dropout to the model.
        value_dropout: dropout on ``z_j = W h_j`` where it is summed (step 4) but not where it is
            scored (the original code drops ``seq_fts`` a second time before the sum).
        attention_bias: add a learned scalar ``b`` per head inside the score,
            ``e_ij = LeakyReLU(a_dst^T z_i + a_src^T z_j + b)``. The original code computes the two
            halves with ``conv1d`` layers, which carry a bias each; only their sum matters, and
            because LeakyReLU is not shift-invariant, it does change the attention.
        per_head_init: draw ``W`` and ``a`` with the Glorot bounds of each head's own matrices,
            as the original code's per-head ``conv1d`` kernels are drawn: ``W_k`` is ``C x F``
            (bound ``sqrt(6 / (F + C))``) and ``a_k`` is ``1 x C`` (``sqrt(6 / (C + 1))``). The
            default follows PyG: ``W`` as one ``H*C x F`` matrix, ``a`` as one ``H x C`` matrix.

    The fast path sorts the edges by target; the layer keeps the sorted form
    of the last graph it saw and reuses it for the same edges (see
    :class:`gattut.graph.spmm.GraphCache`), so training on one graph sorts once.

    Shapes:
        x: (N, F), dense or sparse, or (x_src: (N_src, F_src), x_dst: (N_dst, F_dst));
        edge_index: (2, E) -> out: (N_dst, H * C) if concat else (N_dst, C);
        with ``return_attention_weights=True`` also (edge_index', alpha) with
        edge_index': (2, E'), alpha: (E', H), where E' = E minus loops plus N_dst with
        add_self_loops, else E' = E.
    """

    def __init__(self, in_channels: int | tuple[int, int] | None = None,
                 out_channels: int | None = None, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True,
                 bias: bool = True, residual: bool = False, aggregation: str = "sparse",
                 input_dropout: float = 0.0, value_dropout: float = 0.0,
                 attention_bias: bool = False, per_head_init: bool = False, *,
                 in_features: int | None = None, out_features: int | None = None):
        super().__init__()
        F_src, F_dst = self.arguments(in_channels, out_channels, in_features, out_features,
                                      pair=True, heads=heads, negative_slope=negative_slope,
                                      dropout=dropout, input_dropout=input_dropout,
                                      value_dropout=value_dropout)
        if aggregation not in ("sparse", "gather"):
            raise ValueError(f"{type(self).__name__}: aggregation must be 'sparse' or 'gather', "
                             f"got {aggregation!r}")
        self.concat, self.add_self_loops, self.aggregation = concat, add_self_loops, aggregation
        pair, C = isinstance(self.in_channels, tuple), self.out_channels
        HC, total = heads * C, heads * C if concat else C
        # W: one matrix for one node set, or one per node set (PyG's lin_src, lin_dst).
        self.lin = None if pair else nn.Linear(F_src, HC, bias=False)
        self.lin_src = nn.Linear(F_src, HC, bias=False) if pair else None
        self.lin_dst = nn.Linear(F_dst, HC, bias=False) if pair else None
        self.att_src = nn.Parameter(torch.empty(1, heads, C))  # a_src
        self.att_dst = nn.Parameter(torch.empty(1, heads, C))  # a_dst
        self.res = nn.Linear(F_dst, total, bias=False) if residual else None
        self.bias = nn.Parameter(torch.empty(total)) if bias else None
        self.att_bias = nn.Parameter(torch.zeros(1, heads)) if attention_bias else None  # b
        self.per_head_init = per_head_init
        self.reset_parameters()

    def reset_parameters(self) -> None:
        C = self.out_channels
        for lin in (self.lin, self.lin_src, self.lin_dst):
            if lin is None:
                continue
            if self.per_head_init:
                bound = math.sqrt(6.0 / (lin.in_features + C))  # one head's C x F matrix
                nn.init.uniform_(lin.weight, -bound, bound)
            else:
                nn.init.xavier_uniform_(lin.weight)
        for a in (self.att_src, self.att_dst):
            if self.per_head_init:
                nn.init.uniform_(a, -math.sqrt(6.0 / (C + 1)), math.sqrt(6.0 / (C + 1)))
            else:
                glorot_(a)
        if self.att_bias is not None:
            nn.init.zeros_(self.att_bias)
        if self.res is not None:
            nn.init.xavier_uniform_(self.res.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def attend(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor,
               return_alpha: bool = True) -> tuple[Tensor, Tensor, Tensor]:
        """Equations (1)-(4) per head, before the heads are merged.

        Returns ``(out, edge_index', alpha)``, ``out`` of shape ``(N_dst, H, C)`` and
        ``alpha`` of shape ``(E', H)`` in the order of ``edge_index'`` (with
        ``return_alpha=False`` the fast path may leave ``alpha`` sorted by target).
        """
        x_src, x_dst = self.node_pair(x)
        edges = self.prepared(edge_index, x_src.shape[0], x_dst.shape[0], self.aggregation == "sparse")
        # 1) project: z_i = W h_i, one C-wide vector per head (targets: their own W if asked).
        z_src = self._project(x_src, (self.lin or self.lin_src).weight)  # (N_src, H, C)
        if self.lin is not None and (x_dst is x_src or _leading_rows(x_dst, x_src)):
            # One node set, or a sampled block's targets (the first sources): one projection,
            # so a target's own row shares its per-head input-dropout mask, as on one graph.
            z_dst = z_src[:x_dst.shape[0]]  # (N_dst, H, C)
        else:
            z_dst = self._project(x_dst, (self.lin or self.lin_dst).weight)  # (N_dst, H, C)
        # 2)-4) score each edge, edge softmax over the edges into i, aggregate.
        out, alpha = gat_attention(z_src, z_dst, self.att_src, self.att_dst, edges,
                                   att_bias=self.att_bias, negative_slope=self.negative_slope,
                                   dropout=self.dropout, value_dropout=self.value_dropout,
                                   training=self.training)
        return out, edges.edge_index, edges.in_edge_order(alpha) if return_alpha else alpha

    def _project(self, x: Tensor, weight: Tensor) -> Tensor:
        """``z = W h`` per head, with the original code's per-head input dropout when it is on.

        Shapes:
            x: (N, F), dense or sparse; weight: (H * C, F) -> (N, H, C).
        """
        H, C = self.heads, self.out_channels
        if not (self.training and self.input_dropout > 0):
            return linear(x, weight).view(x.shape[0], H, C)  # (N, F) @ (F, H*C) -> (N, H, C)
        if x.is_cuda and x.layout == torch.sparse_csr:
            # The same per-head masks in one block-diagonal product (fewer launches on a GPU).
            return grouped_linear(x, weight.view(H, C, -1), self.input_dropout)  # (N, H, C)
        # One input-dropout mask per head, as the original code draws them.
        weights = weight.view(H, C, -1)  # (H, C, F)
        return torch.stack(
            [linear(feature_dropout(x, self.input_dropout), weights[h]) for h in range(H)], dim=1,
        )  # H x ((N, F) @ (F, C)) -> (N, H, C)

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor, *,
                return_attention_weights: bool | None = None,
                return_attention: bool | None = None):
        want = self.wants_attention(type(self).__name__, return_attention_weights, return_attention)
        out, edge_index, alpha = self.attend(x, edge_index, want)  # (N_dst, H, C)
        out = merge_heads(out, self.concat, self._residual(x), self.bias)  # (N_dst, H*C) or (N_dst, C)
        return (out, (edge_index, alpha)) if want else out

    def _residual(self, x: Tensor | tuple[Tensor, Tensor]) -> Tensor | None:
        x_dst = x[1] if isinstance(x, (tuple, list)) else x
        return None if self.res is None else linear(x_dst, self.res.weight)

    def forward_stacked(self, params: dict[str, Tensor], x: Tensor, edge_index: Tensor,
                        dropout: float, training: bool) -> Tensor:
        """This layer for ``R`` seeds at once (see :mod:`gattut.train.stacked`).

        ``params`` holds each of this layer's parameters stacked on a new first
        axis, ``(R, *shape)``; ``dropout`` is the model's input dropout, drawn
        once per seed (the layer's own ``input_dropout`` once per seed and head).

        Shapes:
            x: (N, F) shared or (N, R, F) per seed -> (N, R, H * C) or (N, R, C).
        """
        if self.res is not None or self.lin is None or (self.input_dropout > 0 and dropout > 0):
            raise ValueError(f"{type(self).__name__} with a residual, two input widths, or both "
                             "the model's and per-head input dropout is not stacked")
        weight = params["lin.weight"]
        R, H, C = weight.shape[0], self.heads, self.out_channels
        edges = self.prepared(edge_index, x.shape[0], x.shape[0], self.aggregation == "sparse")
        per_head = self.input_dropout > 0
        z = stacked_linear(x, weight.view(R, H, C, -1), self.input_dropout if per_head else dropout,
                           training, per_head)  # (N, R, H, C)
        out, _ = gat_attention(z, z, params["att_src"], params["att_dst"], edges,
                               att_bias=params.get("att_bias"), negative_slope=self.negative_slope,
                               dropout=self.dropout, value_dropout=self.value_dropout,
                               training=training)  # (N, R, H, C)
        return merge_heads(out, self.concat, bias=params.get("bias"))  # (N, R, H*C) or (N, R, C)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, heads={self.heads}, "
                f"concat={self.concat}, dropout={self.dropout}, "
                f"add_self_loops={self.add_self_loops}, residual={self.res is not None}")
