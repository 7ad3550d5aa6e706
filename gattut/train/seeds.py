"""Many seeds trained at once: the paper's protocol for ``R`` stacked models in one loop.

:func:`fit_stacked` is :func:`gattut.train.loop.fit_transductive` for a
:class:`gattut.train.stacked.StackedModel`: each epoch takes one Adam step
for every seed, scores every seed on the validation nodes, and runs the
paper's early stopping (two records, one counter, see
:class:`gattut.train.loop.EarlyStopping`) for each seed on its own,
vectorised over the seeds. A seed that runs out of patience is frozen: its
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

import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from gattut.data.graph import Graph
from gattut.train.loop import (
    EarlyStopping,
    TrainConfig,
    TrainResult,
    _sync,
    check_graph,
    check_labels,
    make_optimizer,
)
from gattut.train.stacked import StackedModel
from gattut.utils import get_device, set_seed

__all__ = ["fit_stacked"]


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
    unsupported = [n for n in ("bf16", "compile", "checkpoint", "resume") if getattr(config, n)]
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
    params = [model.stacked(n) for n in model.names]
    set_seed(config.seed)

    stopper = EarlyStopping(config.patience, num_seeds=R, device=device)  # the paper's rule, per seed
    epochs_run = torch.zeros(R, dtype=torch.long, device=device)
    best_state = [p.detach().clone() for p in params]
    history: list[Tensor] = []  # per epoch: (3, R) train loss, val loss, val accuracy

    from tqdm import tqdm

    bar = tqdm(total=config.max_epochs, desc=f"{graph.name or 'train'} x{R}", leave=False,
               disable=not config.progress, dynamic_ncols=True)
    elapsed, epoch = 0.0, 0
    try:
        for epoch in range(config.max_epochs):
            _sync(device)
            t0 = time.perf_counter()
            # 1) one optimisation step for every seed: the sum of the seeds' losses
            #    gives each seed's slice of the gradient its own loss's gradient.
            model.train()
            optimizer.zero_grad(set_to_none=True)
            train_loss, _ = _split_scores(model(g.x, g.edge_index), g.y, g.train_mask)  # (R,)
            train_loss.sum().backward()
            optimizer.step()
            # 2) validation, dropout off.
            model.eval()
            with torch.no_grad():
                val_loss, val_metric = _split_scores(model(g.x, g.edge_index), g.y, g.val_mask)
                # 3) early stopping for the seeds still running; a stopped seed is frozen.
                epochs_run = torch.where(stopper.active, epoch + 1, epochs_run)
                keep = stopper.update(epoch, val_metric, val_loss)  # (R,): both records held
                for p, b in zip(params, best_state):
                    b.copy_(torch.where(keep.view(R, *([1] * (p.dim() - 1))), p, b))
                history.append(torch.stack([train_loss.detach(), val_loss, val_metric]))
            running = int(stopper.active.sum())  # the one host sync of an epoch
            _sync(device)
            elapsed += time.perf_counter() - t0
            bar.update(1)
            bar.set_postfix(running=running, val_acc=f"{float(val_metric.mean()):.3f}")
            if running == 0:
                break
    finally:
        bar.close()

    # 4) each seed's early-stopping weights, then the test split, scored once.
    with torch.no_grad():
        for p, b in zip(params, best_state):
            p.copy_(b)
        model.eval()
        test_loss, test_metric = _split_scores(model(g.x, g.edge_index), g.y, g.test_mask)
    curves = torch.stack(history).cpu() if history else torch.zeros(0, 3, R)  # (epochs, 3, R)
    epochs_total = epoch + 1
    stopped = (~stopper.active).cpu()
    rows = zip(seeds, test_metric.cpu().tolist(), test_loss.cpu().tolist(),
               stopper.best_val_metric.cpu().tolist(), stopper.best_val_loss.cpu().tolist(),
               stopper.best_epoch.cpu().tolist(), epochs_run.cpu().tolist())
    results = []
    for r, (seed, t_metric, t_loss, v_metric, v_loss, b_epoch, n_epochs) in enumerate(rows):
        mine = curves[:n_epochs, :, r]
        results.append(TrainResult(
            metric="accuracy", test_metric=t_metric, test_loss=t_loss, val_metric=v_metric,
            val_loss=v_loss, best_epoch=b_epoch, epochs_run=n_epochs,
            time_per_epoch=elapsed / max(epochs_total, 1), device=str(device), seed=seed,
            stopped_early=bool(stopped[r]),
            history={"train_loss": mine[:, 0].tolist(), "val_loss": mine[:, 1].tolist(),
                     "val_metric": mine[:, 2].tolist()},
        ))
    return results
