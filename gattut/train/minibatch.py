"""Mini-batch training on sampled neighbourhoods, evaluated exactly with layer-wise inference.

The paper trains full batch: every step runs the model on the whole graph.
When the graph outgrows memory, each step instead takes a batch of training
nodes, samples their neighbourhoods (:class:`~gattut.graph.sampling.NeighborLoader`,
``fanouts`` per layer) and runs the model on the sampled blocks only:

1. one epoch is one pass over the training nodes, shuffled, in batches of
   ``batch_size``, each batch one optimiser step on its targets' loss;
2. validation runs every layer over all nodes with every edge
   (:func:`~gattut.graph.inference.layerwise_inference`): exact, and in
   memory bounded by a chunk;
3. early stopping, checkpoints and the test score are the full-batch loop's
   (:func:`gattut.train.loop._run`, the paper's rule): only the train step
   and the evaluation differ.

The loader's order for each epoch is drawn from the torch generator that
the loop seeds and checkpoints, so a resumed run sees the batches an
uninterrupted one would have seen.

The model may come wrapped in ``torch.nn.parallel.DistributedDataParallel``:
training calls the wrapper (``model(x, blocks)`` goes through ``forward``,
so gradients are averaged across processes) and everything else (the
optimiser, evaluation, early-stopping weights, checkpoints) uses the
wrapped module. Each process passes its share of the training nodes as
``train_nodes``; the shares should give every process the same number of
batches (DDP steps in lock step).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace

import torch
from torch import Tensor, nn

from gattut.data.graph import Graph
from gattut.graph.inference import layerwise_inference
from gattut.graph.sampling import NeighborLoader, check_fanouts, gather_rows
from gattut.train.loop import (
    TrainConfig,
    TrainResult,
    _autocast,
    _for_bf16,
    _run,
    _task_of,
    check_graph,
    make_optimizer,
)
from gattut.train.metrics import accuracy, micro_f1
from gattut.utils import get_device

__all__ = ["check_minibatch", "fit_minibatch", "train_epoch"]


def check_minibatch(fanouts: Sequence[int], batch_size: int, num_layers: int | None = None,
                    where: str = "fit_minibatch") -> list[int]:
    """The checked fanouts: ints ``>= 1`` or ``-1``, one per layer; ``batch_size`` an int ``>= 1``.

    ValueError naming ``fanouts`` or ``batch_size`` and the value otherwise.
    """
    fanouts = check_fanouts(fanouts, "fanouts")
    if num_layers is not None and len(fanouts) != num_layers:
        raise ValueError(f"{where}: fanouts needs one value per layer: the model has {num_layers} "
                         f"layers, got {fanouts} ({len(fanouts)} values)")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"{where}: batch_size must be an int >= 1 (nodes per step), got "
                         f"{batch_size!r}")
    return fanouts


def _train_nodes(graph: Graph, train_nodes: Tensor | None) -> Tensor:
    """The training node ids: ``train_nodes`` (ids or a mask), else the graph's ``train_mask``."""
    if train_nodes is None:
        return graph.train_mask.nonzero().squeeze(1).cpu()
    if not isinstance(train_nodes, Tensor) or train_nodes.dim() != 1:
        raise ValueError(f"fit_minibatch: train_nodes must be a 1-D tensor of node ids or an (N,) "
                         f"mask, got {getattr(train_nodes, 'shape', type(train_nodes))}")
    if train_nodes.dtype == torch.bool:
        if train_nodes.shape[0] != graph.num_nodes:
            raise ValueError(f"fit_minibatch: a train_nodes mask must have shape ({graph.num_nodes},), "
                             f"got {tuple(train_nodes.shape)}")
        train_nodes = train_nodes.nonzero().squeeze(1)
    return train_nodes.cpu()


def _node_digest(ids: Tensor) -> str:
    """A checkpoint's record of the training nodes: their count and a digest of the ids in order."""
    ids = ids.to(torch.int64).contiguous()
    return f"{ids.numel()} nodes, sha256 {hashlib.sha256(ids.numpy().tobytes()).hexdigest()[:12]}"


def fit_minibatch(model: nn.Module, graph: Graph, config: TrainConfig | None = None, *,
                  fanouts: Sequence[int], batch_size: int, train_nodes: Tensor | None = None,
                  prefetch: int = 1, drop_last: bool = False,
                  chunk_size: int = 4096) -> TrainResult:
    """Train on sampled mini-batches of the training nodes; validate and test on whole neighbourhoods.

    Args:
        model: a layer sequence (GAT, GATv2, GCN, MLP), or a DDP wrapper of one.
            Seed before building it to fix its initial weights.
        graph: a :class:`~gattut.data.graph.Graph` with ``y`` and all three masks.
        config: :class:`TrainConfig` (the paper's defaults when ``None``); its
            ``batch_size`` is set to this one's, so checkpoints record it (with
            ``fanouts``, ``drop_last``, the number of processes and the training
            nodes' count and digest: resuming with others is refused).
        fanouts: sampled edges per node, one per layer, hop 1 first (``-1``: all).
        batch_size: training nodes per step.
        train_nodes: the nodes this process trains on (ids or an ``(N,)`` mask);
            default ``graph.train_mask``.
        prefetch: batches sampled ahead in a background thread (0: none).
        drop_last: drop each epoch's last, smaller batch.
        chunk_size: targets per chunk of layer-wise inference.

    Returns:
        A :class:`TrainResult`; the model is left holding the early-stopping weights.

    Shapes:
        graph.x: (N, F) dense or sparse; graph.y: (N,) or (N, C) -> each step's logits (B, C).
    """
    config = (config or TrainConfig()).validate()
    check_graph(graph, "fit_minibatch")
    net = getattr(model, "module", model)  # the model itself, DDP or not
    if not hasattr(net, "layer_names"):
        raise ValueError(f"fit_minibatch: needs a layer sequence (GAT, GATv2, GCN, MLP), got "
                         f"{type(net).__name__}")
    fanouts = check_minibatch(fanouts, batch_size, len(net.layer_names))
    if config.compile:
        raise ValueError("fit_minibatch: compile is not supported (every batch has new shapes)")
    config = replace(config, batch_size=batch_size)
    device = get_device(config.device)
    net.to(device)
    g = _for_bf16(graph, config)
    x, y = g.x.to(device), g.y.to(device)
    masks = {"val": g.val_mask.to(device), "test": g.test_mask.to(device)}
    ids = _train_nodes(g, train_nodes)
    loader = NeighborLoader(g.edge_index, g.num_nodes, ids, fanouts,
                            batch_size, seed=config.seed, prefetch=prefetch, drop_last=drop_last)
    metric, loss_fn = _task_of(y)
    _check_labels(net, x, y, loader)
    optimizer = make_optimizer(net, config)

    def train_step(run: nn.Module) -> float:
        total, count = train_epoch(model, loader, x, y, optimizer, loss_fn, device, config.bf16)
        return total / max(count, 1)

    def evaluate(run: nn.Module, split: str) -> tuple[float, float]:
        with _autocast(device, config.bf16):
            logits = layerwise_inference(net, x, sampler=loader.sampler,
                                         chunk_size=chunk_size).float()  # (N, C)
        mask = masks[split]
        score = accuracy if metric == "accuracy" else micro_f1
        return float(loss_fn(logits[mask], y[mask])), score(logits[mask], y[mask])

    # A DDP-wrapped model trains on its group's processes: a checkpoint records how many.
    world_size = (torch.distributed.get_world_size(model.process_group)
                  if isinstance(model, torch.nn.parallel.DistributedDataParallel) else 1)
    return _run(net, optimizer, config, device, metric, train_step, evaluate,
                desc=graph.name or "mini-batch",
                batching={"fanouts": fanouts, "drop_last": drop_last, "world_size": world_size,
                          "train_nodes": _node_digest(ids)})[0]


def train_epoch(model: nn.Module, loader: NeighborLoader, x: Tensor, y: Tensor,
                optimizer: torch.optim.Optimizer, loss_fn, device: torch.device, bf16: bool,
                stream: Callable[[], AbstractContextManager] = nullcontext) -> tuple[float, int]:
    """One pass over the loader's batches, one optimizer step each; the summed loss and targets.

    The epoch's batches come from the loop's seeded (and checkpointed) torch
    generator, so a resumed run draws what an uninterrupted one would. Each
    forward pass runs inside ``stream()`` (a rank's own dropout stream under
    :func:`~gattut.train.distributed.fit_distributed`).

    Shapes:
        x: (N, F); y: (N,) or (N, C) -> each step's logits (B, C).
    """
    model.train()
    loader.set_epoch(int(torch.randint(0, 2**62, ())))
    total, count = 0.0, 0
    for batch in loader:
        batch = batch.to(device)
        optimizer.zero_grad(set_to_none=True)
        with stream(), _autocast(device, bf16):
            logits = model(gather_rows(x, batch.n_id), batch.blocks)  # (B, C)
        loss = loss_fn(logits.float(), y[batch.targets])
        loss.backward()  # under DDP: the mean of the ranks' gradients
        optimizer.step()
        n = batch.targets.shape[0]
        total, count = total + float(loss.detach()) * n, count + n
    return total, count


@torch.no_grad()
def _check_labels(net: nn.Module, x: Tensor, y: Tensor, loader: NeighborLoader) -> None:
    """ValueError unless ``y`` fits the model's output width, from one small eval-mode batch."""
    was_training = net.training
    net.eval()
    blocks = loader.sampler.sample(loader.nodes[:1])
    blocks = [b.to(x.device) for b in blocks]
    C = net(gather_rows(x, blocks[0].src), blocks).shape[-1]
    net.train(was_training)
    if y.dim() == 2 and y.shape[1] != C:
        raise ValueError(f"fit_minibatch: y has {y.shape[1]} labels per node but the model gives "
                         f"{C} outputs")
    if y.dim() == 1 and y.numel() and int(y.max()) >= C:
        raise ValueError(f"fit_minibatch: label {int(y.max())} is out of range for a model with "
                         f"{C} outputs (classes 0..{C - 1})")
