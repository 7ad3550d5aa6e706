"""The graph attention step, written once: GAT's and GATv2's scores, edge softmax, sum, head merge.

Every attention layer of this package, and the stacked model that trains
many seeds at once (:mod:`gattut.train.stacked`), runs the same three steps
after its projection:

(2) score each edge ``j -> i``: GAT ``e_ij = LeakyReLU(a_dst^T z_i + a_src^T z_j + b)``
    (:func:`gat_attention`), GATv2 ``e_ij = a^T LeakyReLU(W_r h_i + W_l h_j)``
    (:func:`gatv2_attention`);
(3) ``alpha_ij = softmax_j(e_ij)`` over the edges into ``i``, then dropout on ``alpha``;
(4) ``h_i' = sum_j alpha_ij v_j``, then :func:`merge_heads` concatenates or averages the heads.

The head axes are arbitrary: ``z`` of shape ``(N, H, C)`` is one layer,
``(N, R, H, C)`` is ``R`` seeds of it, which the edge softmax and the sum
simply see as ``R * H`` heads (nothing couples two columns).

The edges come prepared (:func:`prepare_edges`): checked, self-loops added,
and, on the fast path, sorted by target once (:class:`EdgeSet`). Sources and
targets may be two node sets (bipartite input, ``N_src`` sources and
``N_dst`` targets, as in mini-batches of sampled neighbourhoods).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from gattut.graph.features import check_features
from gattut.graph.features import dropout as _dropout
from gattut.graph.ops import add_self_loops, check_edge_index, edge_softmax
from gattut.graph.spmm import (
    EdgeCSR,
    GraphCache,
    csr_by_target,
    edge_pair_sum,
    spmm_csr,
    spmm_reference,
)

__all__ = ["EdgeSet", "GraphLayer", "check_layer_args", "gat_attention", "gatv2_attention",
           "merge_heads", "prepare_edges"]


class EdgeSet(NamedTuple):
    """The edges one attention step runs over, as :func:`prepare_edges` made them.

    ``edge_index`` is the list the caller sees (self-loops added), ``csr`` the
    same edges sorted by target (the fast path: segment sums and CSR
    products), or ``None`` (the readable path: gathers and scatters in the
    order of ``edge_index``). Per-edge tensors of the attention step are in
    the order of ``csr`` when there is one; :meth:`in_edge_order` puts them back.
    """

    edge_index: Tensor  # (2, E)
    num_dst: int  # N_dst, the targets i
    csr: EdgeCSR | None

    @property
    def src(self) -> Tensor:
        """The source ``j`` of each edge, (E,)."""
        return self.edge_index[0] if self.csr is None else self.csr.col

    @property
    def dst(self) -> Tensor:
        """The target ``i`` of each edge, (E,)."""
        return self.edge_index[1] if self.csr is None else self.csr.row

    def pair_sum(self, at_src: Tensor, at_dst: Tensor) -> Tensor:
        """``at_src[j] + at_dst[i]`` on every edge: (N_src, H), (N_dst, H) -> (E, H)."""
        if self.csr is not None:
            return edge_pair_sum(self.csr, at_src, at_dst)
        return at_src.index_select(0, self.src) + at_dst.index_select(0, self.dst)

    def aggregate(self, alpha: Tensor, values: Tensor) -> Tensor:
        """``out_i = sum_j alpha_ij v_j``: (E, H), (N_src, H, C) -> (N_dst, H, C)."""
        if self.csr is not None:
            return spmm_csr(self.csr, alpha, values)
        return spmm_reference(self.edge_index, alpha, values, self.num_dst)

    def in_edge_order(self, per_edge: Tensor) -> Tensor:
        """A per-edge tensor of the attention step, in the order of ``edge_index``."""
        if self.csr is None:
            return per_edge
        return torch.empty_like(per_edge).index_copy(0, self.csr.perm, per_edge)


def prepare_edges(edge_index: Tensor, num_src: int, num_dst: int | None = None,
                  loops: bool = True, sort: bool = True,
                  where: str = "edge_index") -> EdgeSet:
    """Check ``edge_index``, replace its self-loops by one per target, and sort it by target.

    With two node sets (``num_dst`` given), a self-loop ``i -> i`` joins
    target ``i`` to source ``i``: that is right when the targets are the
    first ``N_dst`` sources, as a neighbour sampler lays them out (PyG's
    layers assume the same, adding ``min(N_src, N_dst)`` loops). Loops with
    more targets than sources are refused.

    Shapes:
        edge_index: (2, E) -> EdgeSet.edge_index: (2, E'), E' = E minus loops plus N_dst with
        ``loops``, else E.
    """
    num_dst = num_src if num_dst is None else num_dst
    check_edge_index(edge_index, num_src, where, None if num_dst == num_src else num_dst)
    if loops:
        if num_dst > num_src:
            raise ValueError(
                f"{where}: add_self_loops joins target i to source i, so it needs the targets "
                f"to be the first sources; got {num_dst} targets and only {num_src} sources"
            )
        edge_index = add_self_loops(edge_index, num_dst)
    return EdgeSet(edge_index, num_dst, csr_by_target(edge_index, num_dst, num_src) if sort else None)


def _heads(t: Tensor, C: int) -> Tensor:
    """Fold every head axis into one: (N, *heads, C) -> (N, H, C)."""
    return t.reshape(t.shape[0], -1, C)


def _softmax_and_sum(scores: Tensor, values: Tensor, edges: EdgeSet, dropout: float,
                     value_dropout: float, training: bool) -> tuple[Tensor, Tensor]:
    """Steps (3) and (4): edge softmax, attention dropout, then the weighted sum of ``values``.

    Shapes:
        scores: (E, H); values: (N_src, H, C) -> out: (N_dst, H, C), alpha: (E, H).
    """
    # 3) alpha_ij = softmax of e_ij over the edges into i (the per-node max is a detached shift).
    ptr = None if edges.csr is None else edges.csr.crow
    alpha = edge_softmax(scores, edges.dst, edges.num_dst, ptr)  # (E, H)
    alpha = _dropout(alpha, dropout, training)
    # 4) h_i = sum_j alpha_ij v_j. The original GAT code drops v again here (not where it scores).
    values = _dropout(values, value_dropout, training)  # (N_src, H, C)
    return edges.aggregate(alpha, values), alpha  # (N_dst, H, C), (E, H)


def gat_attention(z_src: Tensor, z_dst: Tensor, att_src: Tensor, att_dst: Tensor, edges: EdgeSet,
                  *, att_bias: Tensor | None = None, negative_slope: float = 0.2,
                  dropout: float = 0.0, value_dropout: float = 0.0,
                  training: bool = False) -> tuple[Tensor, Tensor]:
    """GAT's equations (2)-(4) for every head: scores from per-node halves, softmax, sum.

    .. math::
        e_{ij} = \\mathrm{LeakyReLU}(a_{dst}^\\top z_i + a_{src}^\\top z_j + b), \\quad
        \\alpha_{ij} = \\mathrm{softmax}_{j \\in N(i)}(e_{ij}), \\quad
        h_i' = \\textstyle\\sum_{j \\in N(i)} \\alpha_{ij} z_j

    ``a^T [z_i || z_j] = a_dst^T z_i + a_src^T z_j`` splits the score into one
    number per node and head for each half, so scoring costs ``O(N + E)``.

    Args:
        z_src, z_dst: ``W h`` of the sources and of the targets (the same tensor on one graph).
        att_src, att_dst: ``a_src``, ``a_dst``, one ``C``-vector per head.
        edges: from :func:`prepare_edges`.
        att_bias: the original code's scalar ``b`` per head inside the LeakyReLU, or None.
        dropout: on ``alpha``; value_dropout: on ``z_j`` where it is summed.

    Shapes:
        z_src: (N_src, *heads, C); z_dst: (N_dst, *heads, C); att_src, att_dst: (*, *heads, C);
        att_bias: (*, *heads) -> out: (N_dst, *heads, C), alpha: (E, prod(heads)) in the order
        of ``edges`` (see :meth:`EdgeSet.in_edge_order`).
    """
    heads, C = z_src.shape[1:-1], z_src.shape[-1]
    z_src, z_dst = _heads(z_src, C), _heads(z_dst, C)  # (N, H, C): seeds are just more heads
    H = z_src.shape[1]
    # 2) e_ij = LeakyReLU(a_dst . z_i + a_src . z_j + b), from a number per node and head.
    at_src = (z_src * att_src.reshape(1, H, C)).sum(-1)  # (N_src, H): a_src^T z_j
    at_dst = (z_dst * att_dst.reshape(1, H, C)).sum(-1)  # (N_dst, H): a_dst^T z_i
    pair_sum = edges.pair_sum(at_src, at_dst)  # (E, H)
    if att_bias is not None:
        pair_sum = pair_sum + att_bias.reshape(1, H)  # the original code's conv1d biases
    # In place: the sum is a fresh tensor, and LeakyReLU's gradient can be read from its
    # output, so autograd keeps one (E, H) tensor here instead of two.
    scores = F.leaky_relu_(pair_sum, negative_slope)  # (E, H)
    out, alpha = _softmax_and_sum(scores, z_src, edges, dropout, value_dropout, training)
    return out.view(out.shape[0], *heads, C), alpha


def gatv2_attention(x_l: Tensor, x_r: Tensor, att: Tensor, edges: EdgeSet, *,
                    negative_slope: float = 0.2, dropout: float = 0.0,
                    training: bool = False) -> tuple[Tensor, Tensor]:
    """GATv2's dynamic scores, then the same softmax and sum: the LeakyReLU comes before ``a``.

    .. math::
        e_{ij} = a^\\top \\mathrm{LeakyReLU}(W_r h_i + W_l h_j), \\quad
        h_i' = \\textstyle\\sum_{j} \\alpha_{ij} W_l h_j

    The score no longer splits into per-node halves: it needs an ``(E, H, C)`` tensor.

    Shapes:
        x_l: (N_src, *heads, C) = W_l h_j; x_r: (N_dst, *heads, C) = W_r h_i; att: (*, *heads, C)
        -> out: (N_dst, *heads, C), alpha: (E, prod(heads)) in the order of ``edges``.
    """
    heads, C = x_l.shape[1:-1], x_l.shape[-1]
    x_l, x_r = _heads(x_l, C), _heads(x_r, C)  # (N, H, C)
    H = x_l.shape[1]
    # 2) e_ij = a^T LeakyReLU(W_r h_i + W_l h_j), on every edge.
    hidden = x_r.index_select(0, edges.dst) + x_l.index_select(0, edges.src)  # (E, H, C)
    hidden = F.leaky_relu(hidden, negative_slope)
    scores = (hidden * att.reshape(1, H, C)).sum(-1)  # (E, H)
    out, alpha = _softmax_and_sum(scores, x_l, edges, dropout, 0.0, training)
    return out.view(out.shape[0], *heads, C), alpha


def merge_heads(out: Tensor, concat: bool, residual: Tensor | None = None,
                bias: Tensor | None = None) -> Tensor:
    """Concatenate the heads (hidden layers) or average them (output layer); add residual and bias.

    The mean is over the head axis (``dim=-2``); a mean with no ``dim`` would
    be a scalar.

    Shapes:
        out: (N, *, H, C) -> (N, *, H * C) if concat else (N, *, C); residual, bias broadcast.
    """
    out = out.flatten(-2) if concat else out.mean(dim=-2)  # (N, *, H*C) or (N, *, C)
    if residual is not None:
        out = out + residual
    return out if bias is None else out + bias


def check_layer_args(where: str, in_channels, out_channels: int, heads: int = 1,
                     negative_slope: float = 0.0, pair: bool = False,
                     **dropouts: float) -> None:
    """Raise ``ValueError`` naming the argument, unless every layer argument is in range.

    ``in_channels`` is an int ``>= 1`` (or a pair of them where ``pair``, for
    bipartite input), ``out_channels`` and ``heads`` ints ``>= 1``,
    ``negative_slope`` a finite number ``>= 0``, every dropout in ``[0, 1]``.
    """
    def whole(name: str, value) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{where}: {name} must be an int >= 1, got {value!r}")

    if pair and isinstance(in_channels, (tuple, list)):
        if len(in_channels) != 2:
            raise ValueError(f"{where}: in_channels must be an int or a pair (F_src, F_dst), "
                             f"got {in_channels!r}")
        for value in in_channels:
            whole("in_channels", value)
    else:
        whole("in_channels", in_channels)
    whole("out_channels", out_channels)
    whole("heads", heads)
    if not isinstance(negative_slope, (int, float)) or not math.isfinite(negative_slope) \
            or negative_slope < 0:
        raise ValueError(f"{where}: negative_slope must be >= 0 (LeakyReLU), got {negative_slope!r}")
    for name, p in dropouts.items():
        if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"{where}: {name} must be in [0, 1], got {p!r}")


# ------------------------------------------------------------ what every layer shares
class GraphLayer:
    """What every layer here shares: PyG's argument names, checked inputs, prepared edges.

    ``in_channels``/``out_channels`` are the names (PyG's); the older
    ``in_features``/``out_features`` are accepted by the constructors (keyword
    only) and readable as attributes. ``return_attention_weights`` (PyG's) and
    ``return_attention`` are keyword only, so that a third positional argument
    (PyG's ``edge_attr``) fails instead of changing the return type.
    """

    @property
    def in_features(self):
        return self.in_channels

    @property
    def out_features(self) -> int:
        return self.out_channels

    def arguments(self, in_channels, out_channels, in_features, out_features, pair: bool = False,
                  **checked) -> tuple[int, int]:
        """Take the new or the old names, check every argument, keep them; return ``(F_src, F_dst)``.

        ``checked`` (``heads``, ``negative_slope``, the dropouts) become
        attributes of the same names. TypeError for both names or none,
        ValueError (see :func:`check_layer_args`) for a value out of range.
        """
        where, chosen = type(self).__name__, []
        for new, value, old, alias in (("in_channels", in_channels, "in_features", in_features),
                                       ("out_channels", out_channels, "out_features", out_features)):
            if (value is None) == (alias is None):
                raise TypeError(f"{where}: pass {new} (or its old name {old})" +
                                (", not both" if value is not None else f"; missing {new}"))
            chosen.append(value if alias is None else alias)
        in_channels, self.out_channels = chosen
        check_layer_args(where, in_channels, self.out_channels, pair=pair, **checked)
        for name, value in checked.items():
            setattr(self, name, value)
        two = isinstance(in_channels, (tuple, list))
        self.in_channels = tuple(in_channels) if two else in_channels
        return self.in_channels if two else (in_channels, in_channels)

    @staticmethod
    def wants_attention(where: str, return_attention_weights, return_attention) -> bool:
        """Whether ``(edge_index, alpha)`` is asked for, under either name (not two answers)."""
        if None not in (return_attention_weights, return_attention) \
                and bool(return_attention_weights) != bool(return_attention):
            raise ValueError(f"{where}: return_attention_weights={return_attention_weights} and "
                             f"return_attention={return_attention} disagree; pass one")
        return bool(return_attention_weights or return_attention)

    def node_pair(self, x) -> tuple[Tensor, Tensor]:
        """``(x_src, x_dst)``: one node set (both the same tensor) or a bipartite pair, checked.

        Shapes:
            x: (N, F) or a pair ((N_src, F_src), (N_dst, F_dst)).
        """
        where = type(self).__name__
        widths = self.in_channels if isinstance(self.in_channels, tuple) else (self.in_channels,) * 2
        if not isinstance(x, (tuple, list)):
            check_features(x, widths[0], where)
            if widths[0] != widths[1]:
                raise ValueError(f"{where}: one x for in_channels {widths}; pass (x_src, x_dst)")
            return x, x
        if len(x) != 2 or x[1] is None:
            raise ValueError(f"{where}: x must be (N, F) features or a pair (x_src, x_dst) of "
                             f"features, got {type(x).__name__} of {len(x)} items")
        for part, width, name in zip(x, widths, ("x_src", "x_dst")):
            check_features(part, width, f"{where} {name}")
        return x[0], x[1]

    def prepared(self, edge_index: Tensor, num_src: int, num_dst: int, sort: bool = True) -> EdgeSet:
        """:func:`prepare_edges` with this layer's ``add_self_loops``, once per graph.

        The layer keeps the prepared edges of the last graph it saw, so training
        on one graph checks and sorts it once (see :class:`gattut.graph.spmm.GraphCache`).
        """
        cache = self.__dict__.setdefault("_cache", GraphCache())
        key = (num_src, num_dst, self.add_self_loops, sort)
        return cache.get(edge_index, key, lambda: prepare_edges(
            edge_index, num_src, num_dst, loops=self.add_self_loops, sort=sort,
            where=f"{type(self).__name__} edge_index"))
