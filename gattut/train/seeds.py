"""Many seeds trained at once: the paper's protocol for ``R`` stacked models in one loop.

:func:`fit_stacked` is :func:`gattut.train.loop.fit_transductive` for a
:class:`gattut.train.stacked.StackedModel`, and runs the same epoch loop
(``loop._run``) over ``R`` runs: each epoch takes one Adam step for every
seed, scores every seed on the validation nodes, and runs the paper's early
stopping (two records, one counter, see :class:`gattut.train.loop.EarlyStopping`)
for each seed on its own, vectorised over the seeds. A seed that runs out of patience is frozen: its
early-stopping weights and numbers are kept, and what the loop does to it
afterwards is never read. The loop ends when every seed has stopped (or at
``max_epochs``); each seed's test score comes from its own early-stopping
weights.

Why this gives each seed the serial run's numbers up to its dropout stream
is in :mod:`gattut.train.stacked`; a test trains stacked and serial models
with dropout off and gets the same epochs and test accuracies.

This is what makes a 100-seed ledger row a one-minute job on a GPU: the
work of an epoch grows 100 times, its number of kernel launches does not.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from gattut.data.graph import Graph
from gattut.train.loop import (
    TrainConfig,
    TrainResult,
    _run,
    check_graph,
    check_labels,
    make_optimizer,
)
from gattut.train.stacked import StackedModel
from gattut.utils import get_device

__all__ = ["NOT_STACKED", "fit_stacked"]

# The TrainConfig settings a stacked run refuses; train seeds one by one for those.
NOT_STACKED = ("bf16", "compile", "checkpoint", "resume")


def _split_scores(logits: Tensor, y: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Mean cross-entropy and accuracy of every seed on the nodes of ``mask``.

    Shapes:
        logits: (R, N, C); y: (N,); mask: (N,) -> loss: (R,), accuracy: (R,).
    """
    R, _, C = logits.shape
    picked = logits[:, mask]  # (R, n, C)
    target = y[mask]  # (n,)
    n = target.shape[0]
    loss = F.cross_entropy(picked.reshape(R * n, C).float(), target.repeat(R), reduction="none")
    accuracy = (picked.argmax(dim=-1) == target).float().mean(dim=1)  # (R,)
    return loss.view(R, n).mean(dim=1), accuracy  # (R,), (R,)


def fit_stacked(model: StackedModel, graph: Graph, config: TrainConfig | None = None,
                seeds: Sequence[int] | None = None) -> list[TrainResult]:
    """Train the ``R`` seeds of ``model`` with the paper's protocol; one :class:`TrainResult` per seed.

    Args:
        model: a :class:`~gattut.train.stacked.StackedModel` (``stack_models`` of ``R`` models,
            each built after seeding with its seed).
        graph: one graph with ``y`` (class labels) and the three masks, as for ``fit_transductive``.
        config: lr, weight decay, patience, max epochs, device, progress and ``seed`` (which
            seeds the dropout masks) are used; bf16, compile and checkpoints are not supported here.
        seeds: the seed of each stacked model, for the results (default ``0 .. R-1``).

    Returns:
        ``R`` results; ``time_per_epoch`` is the wall time of one epoch of *all* ``R`` seeds.
        ``model`` is left holding each seed's early-stopping weights.

    Shapes:
        graph.x: (N, F), dense or sparse; graph.y: (N,) -> model(x, edge_index): (R, N, C).
    """
    config = (config or TrainConfig()).validate()
    if not isinstance(model, StackedModel):
        raise ValueError(f"fit_stacked expects a StackedModel (see stack_models), got {type(model).__name__}")
    unsupported = [n for n in NOT_STACKED if getattr(config, n)]
    if unsupported:
        raise ValueError(f"fit_stacked does not support {', '.join(unsupported)}; train seeds one by "
                         "one with fit_transductive for those")
    check_graph(graph, "fit_stacked")
    if graph.y.dim() != 1:
        raise ValueError("fit_stacked needs a Graph with one class label per node (y of shape (N,))")
    R = model.num_seeds
    seeds = list(range(R)) if seeds is None else list(seeds)
    if len(seeds) != R:
        raise ValueError(f"fit_stacked: {len(seeds)} seeds given for {R} stacked models")

    device = get_device(config.device)
    model.to(device)
    g = graph.to(device)
    check_labels(model, [g], "fit_stacked")
    # Adam and its coupled L2 term act element by element, so one optimizer over the
    # stacked parameters is one independent Adam per seed; the serial runs' names
    # decide which parameters are biases.
    optimizer = make_optimizer(model, config, [(n, model.stacked(n)) for n in model.names])

    def train_step(run: StackedModel) -> Tensor:
        # The sum of the seeds' losses gives each seed's slice of the gradient its own loss's.
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss, _ = _split_scores(run(g.x, g.edge_index), g.y, g.train_mask)  # (R,)
        loss.sum().backward()
        optimizer.step()
        return loss.detach()

    def evaluate(run: StackedModel, split: str) -> tuple[Tensor, Tensor]:
        model.eval()
        return _split_scores(run(g.x, g.edge_index), g.y, getattr(g, f"{split}_mask"))

    return _run(model, optimizer, config, device, "accuracy", train_step, evaluate,
                desc=f"{graph.name or 'train'} x{R}", seeds=seeds)
