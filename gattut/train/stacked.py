"""Many seeds of one model side by side: ``R`` independent models run as one.

A reproduction ledger row trains the same model from 100 initialisations.
On a GPU, one seed of the paper's Cora GAT is a few hundred small kernels an
epoch, each far too small to fill the card: the time goes to launching them.
``R`` copies of a model, stacked along a new leading axis of every
parameter, do the same arithmetic ``R`` times wider with the same number of
launches. For attention the stacking is almost free to write: ``R`` seeds of
an ``H``-head layer are one layer with ``R * H`` heads whose weights happen
to be trained apart, so the edge softmax and the aggregation simply see more
columns (``(E, R*H)`` instead of ``(E, H)``).

Nothing couples the seeds:

- each seed's loss depends only on its own slice of every parameter, so
  the gradient of the *sum* of the seeds' losses is, slice by slice, each
  seed's own gradient;
- Adam and its L2 term work element by element, so one ``torch.optim.Adam``
  over the stacked parameters is ``R`` independent Adams;
- every dropout mask is drawn per seed (and per head where the serial model
  draws per head).

So each seed follows the serial model's training exactly, up to the random
stream its dropout masks come from (tested: with dropout off, the stacked
model's outputs and gradients equal each serial model's). Build the serial
models with their seeds, then stack them: the initial weights are the serial
runs' own.

Input dropout on shared sparse features needs one more idea. ``R`` seeds
(or ``R * H`` heads) each drop their own entries of the one feature matrix
``X``; the ``G`` masked copies are the diagonal blocks of one block-diagonal
CSR matrix of ``G * nnz(X)`` entries, and ``blockdiag(X_1..X_G) @ [W_1; ..;
W_G]`` computes every ``X_g W_g`` in a single sparse product (see
:func:`stacked_linear`).

Shapes (``R`` seeds; the notation table's ``S`` is a key length, so not used here):
    x: (N, F) shared, dense or sparse CSR -> logits: (R, N, C).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gattut.graph.features import check_features, dropout, grouped_linear, is_sparse, linear
from gattut.graph.gat import GATConv
from gattut.graph.gatv2 import GATv2Conv
from gattut.graph.models import GAT, GCN, MLP, GATv2
from gattut.graph.ops import add_self_loops, check_edge_index, edge_softmax, sym_norm
from gattut.graph.spmm import EdgeCSR, GraphCache, csr_by_target, edge_pair_sum, spmm_segments

__all__ = ["StackedModel", "stack_models", "stacked_linear"]


# ------------------------------------------------------------ shared pieces
def stacked_linear(x: Tensor, weight: Tensor, p: float = 0.0, training: bool = False,
                   per_head: bool = False) -> Tensor:
    """``z[:, r, h] = dropout(x_r) @ W[r, h]^T`` for every seed ``r`` and head ``h``.

    ``x`` is either shared by the seeds, ``(N, F)`` (the input features, dense
    or sparse CSR), or one slice per seed, ``(N, R, F)`` (a hidden layer).
    Input dropout with probability ``p`` draws one mask per seed, or one per
    (seed, head) with ``per_head=True`` (the original GAT code's ``in_drop``
    inside each head).

    Shapes:
        x: (N, F) or (N, R, F); weight: (R, H, K, F) -> (N, R, H, K).
    """
    R, H, K, F_ = weight.shape
    N = x.shape[0]
    drop = training and p > 0
    if x.dim() == 2:
        if not drop:
            return linear(x, weight.reshape(R * H * K, F_)).view(N, R, H, K)  # (N, R*H*K)
        groups = weight.reshape(R * H, K, F_) if per_head else weight.reshape(R, H * K, F_)
        if is_sparse(x):
            if x.layout != torch.sparse_csr:
                x = x.to_sparse_csr()
            out = grouped_linear(x, groups, p)  # (N, G, K')
        else:
            G = groups.shape[0]
            masked = dropout(x.unsqueeze(0).expand(G, N, F_), p)  # (G, N, F)
            out = (masked @ groups.transpose(1, 2)).transpose(0, 1)  # (G, N, K') -> (N, G, K')
        return out.reshape(N, R, H, K)
    if x.shape[1] != R:
        raise ValueError(f"stacked_linear: x has {x.shape[1]} seeds, the weight {R}")
    x_r = x.transpose(0, 1)  # (R, N, F)
    if drop and per_head:
        masked = dropout(x_r.unsqueeze(1).expand(R, H, N, F_), p)  # (R, H, N, F): a mask a head
        out = masked @ weight.transpose(2, 3)  # (R, H, N, F) @ (R, H, F, K) -> (R, H, N, K)
        return out.permute(2, 0, 1, 3)  # (N, R, H, K)
    x_r = dropout(x_r, p, drop)  # (R, N, F): a mask a seed
    out = x_r @ weight.reshape(R, H * K, F_).transpose(1, 2)  # (R, N, F) @ (R, F, H*K)
    return out.view(R, N, H, K).permute(1, 0, 2, 3)  # (N, R, H, K)


def _attend(z: Tensor, att_src: Tensor, att_dst: Tensor, att_bias: Tensor | None, csr: EdgeCSR,
            slope: float, p_attn: float, p_value: float, training: bool) -> Tensor:
    """GAT's equations (2)-(4) for every seed and head at once (seeds folded into heads).

    Shapes:
        z: (N, R, H, C); att_src, att_dst: (R, H, C); att_bias: (R, H) or None -> (N, R, H, C).
    """
    N, R, H, C = z.shape
    z = z.reshape(N, R * H, C)  # (N, R*H, C): seeds are just more heads
    score_src = (z * att_src.reshape(1, R * H, C)).sum(-1)  # (N, R*H): a_src^T z_j
    score_dst = (z * att_dst.reshape(1, R * H, C)).sum(-1)  # (N, R*H): a_dst^T z_i
    pair_sum = edge_pair_sum(csr, score_src, score_dst)  # (E, R*H)
    if att_bias is not None:
        pair_sum = pair_sum + att_bias.reshape(1, R * H)
    scores = F.leaky_relu_(pair_sum, slope)  # (E, R*H)
    alpha = edge_softmax(scores, csr.row, N, csr.crow)  # (E, R*H)
    alpha = dropout(alpha, p_attn, training)
    z = dropout(z, p_value, training)  # the original code drops W h again before the sum
    return spmm_segments(csr, alpha, z).view(N, R, H, C)  # (N, R, H, C)


def _attend_v2(x_l: Tensor, x_r: Tensor, att: Tensor, csr: EdgeCSR, slope: float,
               p_attn: float, training: bool) -> Tensor:
    """GATv2's dynamic scores ``a^T LeakyReLU(W_r h_i + W_l h_j)`` and aggregation, all seeds at once.

    Shapes:
        x_l, x_r: (N, R, H, C); att: (R, H, C) -> (N, R, H, C).
    """
    N, R, H, C = x_l.shape
    x_l, x_r = x_l.reshape(N, R * H, C), x_r.reshape(N, R * H, C)  # (N, R*H, C)
    hidden = F.leaky_relu(x_r.index_select(0, csr.row) + x_l.index_select(0, csr.col), slope)
    scores = (hidden * att.reshape(1, R * H, C)).sum(-1)  # (E, R*H, C) -> (E, R*H)
    alpha = dropout(edge_softmax(scores, csr.row, N, csr.crow), p_attn, training)  # (E, R*H)
    return spmm_segments(csr, alpha, x_l).view(N, R, H, C)  # (N, R, H, C)


# ------------------------------------------------------------ the stacked models
class StackedModel(nn.Module):
    """``R`` trained-apart copies of one of the package's models (GAT, GATv2, GCN, MLP), run as one.

    Build it with :func:`stack_models` from ``R`` models of the same class
    and shape (each made after seeding with its own seed). Every parameter
    of the serial model, say ``conv1.lin.weight`` of shape ``(64, F)``, is
    here one parameter of shape ``(R, 64, F)``, found by the same name in
    :meth:`stacked` (``named_parameters`` shows it as ``conv1__lin__weight``).
    :meth:`unstack` writes seed ``r``'s slices back into a serial model.

    Shapes:
        x: (N, F), dense or sparse; edge_index: (2, E) -> logits: (R, N, C).
    """

    def __init__(self, models: Sequence[nn.Module]):
        super().__init__()
        models = list(models)
        if not models:
            raise ValueError("stack_models needs at least one model")
        kind = type(models[0])
        if kind not in (GAT, GCN, MLP, GATv2):
            raise ValueError(f"stack_models supports GAT, GATv2, GCN and MLP, got {kind.__name__}")
        states = [m.state_dict() for m in models]
        for k, (m, s) in enumerate(zip(models, states)):
            if type(m) is not kind:
                raise ValueError(f"stack_models: model {k} is a {type(m).__name__}, model 0 a {kind.__name__}")
            shapes = {n: tuple(t.shape) for n, t in s.items()}
            if shapes != {n: tuple(t.shape) for n, t in states[0].items()}:
                raise ValueError(f"stack_models: model {k} has other parameter shapes than model 0")
        self.kind, self.num_seeds = kind.__name__, len(models)
        first = models[0]
        self.in_features = (first.lin1 if kind is MLP else first.conv1).in_features
        self.names = list(states[0])
        self.params = nn.ParameterDict({
            n.replace(".", "__"): nn.Parameter(torch.stack([s[n].detach() for s in states]).clone())
            for n in self.names
        })
        self._settings(models[0])
        self._cache = GraphCache()

    # The hyperparameters the forward pass needs, read once from the first model.
    def _settings(self, m: nn.Module) -> None:
        self.dropout = getattr(m, "dropout", 0.0)
        convs = [c for c in (getattr(m, "conv1", None), getattr(m, "conv2", None)) if c is not None]
        for c in convs:
            if isinstance(c, (GATConv, GATv2Conv)) and c.res is not None:
                raise ValueError("stack_models: residual layers are not supported")
        if convs:
            c1, c2 = convs
            self.add_loops = c1.add_self_loops
            if isinstance(c1, (GATConv, GATv2Conv)):
                self.heads = (c1.heads, c2.heads)
                self.slope = c1.negative_slope
                self.attn_dropout = (c1.dropout, c2.dropout)
                self.concat = (c1.concat, c2.concat)
            if isinstance(c1, GATConv):
                self.input_dropout = (c1.input_dropout, c2.input_dropout)
                self.value_dropout = (c1.value_dropout, c2.value_dropout)
                if self.dropout > 0 and max(self.input_dropout) > 0:
                    raise ValueError("stack_models: a GAT with both model and per-head input dropout")

    def stacked(self, name: str) -> Tensor:
        """The stacked parameter of the serial model's ``name``, shape ``(R, *serial shape)``."""
        return self.params[name.replace(".", "__")]

    @torch.no_grad()
    def unstack(self, seed_index: int, model: nn.Module) -> nn.Module:
        """Copy seed ``seed_index``'s weights into ``model`` (a serial model of the same shape)."""
        if not 0 <= seed_index < self.num_seeds:
            raise ValueError(f"seed index {seed_index} out of range for {self.num_seeds} stacked seeds")
        model.load_state_dict({n: self.stacked(n)[seed_index].clone() for n in self.names})
        return model

    def _graph(self, edge_index: Tensor, N: int) -> tuple[EdgeCSR, Tensor]:
        def build() -> tuple[EdgeCSR, Tensor]:
            check_edge_index(edge_index, N, f"Stacked{self.kind} edge_index")
            edges = add_self_loops(edge_index, N) if self.add_loops else edge_index
            csr = csr_by_target(edges, N)
            weight = sym_norm(edges, N, torch.float64).index_select(0, csr.perm)  # (E,): 1/c_ij
            return csr, weight
        return self._cache.get(edge_index, N, build)

    def forward(self, x: Tensor, edge_index: Tensor | None = None) -> Tensor:
        N = x.shape[0] if isinstance(x, Tensor) and x.dim() >= 1 else 0
        check_features(x, self.in_features, f"Stacked{self.kind}")
        if self.kind == "MLP":
            return self._mlp(x)
        if edge_index is None:
            raise ValueError(f"Stacked{self.kind} needs an edge_index")
        csr, weight = self._graph(edge_index, N)
        if self.kind == "GAT":
            return self._gat(x, csr)
        if self.kind == "GCN":
            return self._gcn(x, csr, weight)
        return self._gatv2(x, csr)

    def _maybe(self, name: str) -> Tensor | None:
        """The stacked parameter ``name`` squeezed to ``(R, H)``, or None if the model has none."""
        return self.stacked(name).squeeze(1) if name in self.names else None

    def _weight(self, name: str, heads: int) -> Tensor:
        """A stacked ``(R, heads*K, F)`` weight viewed as ``(R, heads, K, F)``."""
        w = self.stacked(name)
        return w.view(w.shape[0], heads, w.shape[1] // heads, w.shape[2])

    def _gat(self, x: Tensor, csr: EdgeCSR) -> Tensor:
        R, N, t = self.num_seeds, x.shape[0], self.training
        (H1, H2), (c1, c2) = self.heads, self.concat
        # Layer 1: z = W h per seed and head, each (seed, head) with its own input mask
        # when the model is the paper's (input_dropout), else one mask a seed.
        per_head = self.input_dropout[0] > 0
        z = stacked_linear(x, self._weight("conv1.lin.weight", H1),
                           self.input_dropout[0] if per_head else self.dropout, t, per_head)  # (N, R, H1, C1)
        h = _attend(z, self.stacked("conv1.att_src").squeeze(1), self.stacked("conv1.att_dst").squeeze(1),
                    self._maybe("conv1.att_bias"), csr, self.slope, self.attn_dropout[0],
                    self.value_dropout[0], t)  # (N, R, H1, C1)
        h = h.reshape(N, R, -1) if c1 else h.mean(dim=2)  # (N, R, H1*C1)
        h = F.elu(h + self.stacked("conv1.bias"))
        h = dropout(h, self.dropout, t)
        # Layer 2: the same, on each seed's own hidden features.
        z = stacked_linear(h, self._weight("conv2.lin.weight", H2), self.input_dropout[1], t,
                           per_head=True)  # (N, R, H2, C)
        out = _attend(z, self.stacked("conv2.att_src").squeeze(1), self.stacked("conv2.att_dst").squeeze(1),
                      self._maybe("conv2.att_bias"), csr, self.slope, self.attn_dropout[1],
                      self.value_dropout[1], t)  # (N, R, H2, C)
        out = out.reshape(N, R, -1) if c2 else out.mean(dim=2)  # (N, R, C)
        return (out + self.stacked("conv2.bias")).transpose(0, 1)  # (R, N, C)

    def _gatv2(self, x: Tensor, csr: EdgeCSR) -> Tensor:
        R, N, t = self.num_seeds, x.shape[0], self.training
        (H1, H2), (c1, c2) = self.heads, self.concat
        h = x
        for layer, H, concat in (("conv1", H1, c1), ("conv2", H2, c2)):
            # W_l and W_r in one product, so that both see the same input mask.
            w = torch.cat([self.stacked(f"{layer}.lin_l.weight"), self.stacked(f"{layer}.lin_r.weight")], 1)
            b = torch.cat([self.stacked(f"{layer}.lin_l.bias"), self.stacked(f"{layer}.lin_r.bias")], 1)
            lr = stacked_linear(h, w.unsqueeze(1), self.dropout, t).squeeze(2) + b  # (N, R, 2*H*C)
            x_l, x_r = lr.view(N, R, 2, H, -1).unbind(2)  # (N, R, H, C) each
            out = _attend_v2(x_l, x_r, self.stacked(f"{layer}.att").squeeze(1), csr, self.slope,
                             self.attn_dropout[0 if layer == "conv1" else 1], t)  # (N, R, H, C)
            out = out.reshape(N, R, -1) if concat else out.mean(dim=2)
            h = out + self.stacked(f"{layer}.bias")
            if layer == "conv1":
                h = F.elu(h)  # (N, R, H1*C1); the next layer's input dropout is in stacked_linear
        return h.transpose(0, 1)  # (R, N, C)

    def _gcn(self, x: Tensor, csr: EdgeCSR, weight: Tensor) -> Tensor:
        R, t = self.num_seeds, self.training
        weights = weight.to(x.dtype).unsqueeze(1).expand(-1, R)  # (E, R): the same 1/c_ij for all seeds
        h = x
        for layer in ("conv1", "conv2"):
            z = stacked_linear(h, self.stacked(f"{layer}.lin.weight").unsqueeze(1), self.dropout, t)
            h = spmm_segments(csr, weights, z.squeeze(2)) + self.stacked(f"{layer}.bias")  # (N, R, K)
            if layer == "conv1":
                h = F.relu(h)
        return h.transpose(0, 1)  # (R, N, C)

    def _mlp(self, x: Tensor) -> Tensor:
        t, h = self.training, x
        for layer in ("lin1", "lin2"):
            z = stacked_linear(h, self.stacked(f"{layer}.weight").unsqueeze(1), self.dropout, t)
            h = z.squeeze(2) + self.stacked(f"{layer}.bias")  # (N, R, K)
            if layer == "lin1":
                h = F.relu(h)
        return h.transpose(0, 1)  # (R, N, C)

    def extra_repr(self) -> str:
        return f"{self.kind}, seeds={self.num_seeds}"


def stack_models(models: Sequence[nn.Module]) -> StackedModel:
    """Stack ``R`` models of one class (GAT, GATv2, GCN or MLP) into one :class:`StackedModel`.

    Example::

        models = []
        for seed in range(100):
            gattut.set_seed(seed)
            models.append(GAT(F, C, original=True))
        stacked = stack_models(models)   # logits = stacked(x, edge_index): (100, N, C)
    """
    return StackedModel(models)

