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
:func:`gattut.graph.features.stacked_linear`).

The stacked model is built from the serial model's own layers: a model of
the shape :class:`gattut.graph.models.LayerSequence` (``layer_names``,
``activation``, ``dropout``) whose layers each have ``forward_stacked`` runs
here with no code of its own. The attention step itself is the serial
layers' (:mod:`gattut.graph.attend`), over ``R * H`` heads.

Shapes (``R`` seeds; the notation table's ``S`` is a key length, so not used here):
    x: (N, F) shared, dense or sparse CSR -> logits: (R, N, C).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from gattut.graph.features import check_features, stacked_linear
from gattut.graph.models import LayerSequence

__all__ = ["StackedModel", "stack_models", "stacked_linear"]


class StackedModel(nn.Module):
    """``R`` trained-apart copies of one model, run as one.

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
        first, kind = models[0], type(models[0])
        states = [m.state_dict() for m in models]
        for k, (m, s) in enumerate(zip(models, states)):
            if type(m) is not kind:
                raise ValueError(f"stack_models: model {k} is a {type(m).__name__}, "
                                 f"model 0 a {kind.__name__}")
            if {n: t.shape for n, t in s.items()} != {n: t.shape for n, t in states[0].items()}:
                raise ValueError(f"stack_models: model {k} has other parameter shapes than model 0")
        layers = [getattr(first, n, None) for n in getattr(first, "layer_names", ())]
        if not isinstance(first, LayerSequence) or not all(
                callable(getattr(layer, "forward_stacked", None)) for layer in layers):
            raise ValueError(f"stack_models: a {kind.__name__} cannot be stacked; it needs the "
                             "shape of gattut.graph.models.LayerSequence and layers with "
                             "forward_stacked (GATConv, GATv2Conv, GCNConv, Linear)")
        self.kind, self.num_seeds = kind.__name__, len(models)
        self.dropout, self.activation = first.dropout, first.activation
        # The serial model's layers, kept out of this module's parameters: they hold the
        # hyperparameters and the prepared edges; the weights are the stacked ones below.
        self._layers = list(zip(first.layer_names, layers))
        self.in_features = layers[0].in_features
        self.names = list(states[0])
        self.params = nn.ParameterDict({
            n.replace(".", "__"): nn.Parameter(torch.stack([s[n].detach() for s in states]).clone())
            for n in self.names
        })

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

    def forward(self, x: Tensor, edge_index: Tensor | None = None) -> Tensor:
        check_features(x, self.in_features, f"Stacked{self.kind}")
        h = x
        for k, (name, layer) in enumerate(self._layers):
            if k:
                h = self.activation(h)  # (N, R, hidden)
            params = {n[len(name) + 1:]: self.stacked(n) for n in self.names
                      if n.startswith(name + ".")}
            h = layer.forward_stacked(params, h, edge_index, self.dropout, self.training)
        return h.transpose(0, 1)  # (N, R, C) -> (R, N, C)

    def extra_repr(self) -> str:
        return f"{self.kind}, seeds={self.num_seeds}"


def stack_models(models: Sequence[nn.Module]) -> StackedModel:
    """Stack ``R`` models of one class (GAT, GATv2, GCN, MLP, ...) into one :class:`StackedModel`.

    Example::

        models = []
        for seed in range(100):
            gattut.set_seed(seed)
            models.append(GAT(F, C, original=True))
        stacked = stack_models(models)   # logits = stacked(x, edge_index): (100, N, C)
    """
    return StackedModel(models)
