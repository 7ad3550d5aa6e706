"""Data-parallel training on many processes and machines: ``torch.distributed``, DDP and ``torchrun``.

``W`` processes (*ranks*) each hold a copy of the model and train on their
own share of the training nodes. After each backward pass,
``DistributedDataParallel`` (DDP) averages the gradients over the ranks with
an all-reduce, so every copy takes the same optimizer step from the same
weights and the copies stay identical:

.. math::
    g = \\frac{1}{W} \\sum_{r=0}^{W-1} g_r, \\qquad
    g_r = \\nabla_\\theta \\frac{1}{B} \\sum_{i \\in \\text{batch}_r} \\ell_i

With equal batches this is the gradient of the mean loss over the step's
``W B`` targets: ``W`` processes with batch ``B`` train as one process with
batch ``W B`` (tested to 1e-6). ``batch_size`` is therefore per process, as in
PyTorch's ``DistributedSampler``; the learning rate is not rescaled.

``torchrun`` starts the processes and tells each one who it is through the
environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT``); :func:`init_distributed` reads it. The backend is gloo for
CPU processes and NCCL for GPUs, one GPU a process (``cuda:LOCAL_RANK``)::

    torchrun --standalone --nproc-per-node 2 -m gattut train --dataset pubmed \\
        --fanouts 10,10 --batch-size 512
    # two machines: run this on each, with --node-rank 0 and 1
    torchrun --nnodes 2 --nproc-per-node 8 --node-rank 0 --rdzv-backend c10d \\
        --rdzv-endpoint HOST0:29500 --rdzv-id run1 -m gattut train ...

The graph is cut into ``W`` parts (METIS, or at random), and rank ``r``
holds part ``r`` and its training share with their ``L``-hop halo, nothing
more: its sampled batches and its exact evaluation read only those nodes
(:class:`~gattut.graph.partition.Part`). Every rank runs the same number of
steps (an all-reduce needs every rank): the training nodes are ordered part
by part and cut into ``W`` equal shares (:func:`split_by_parts`). Each rank
samples from its own seeded stream, and its dropout draws from another
(:func:`rank_seed`). Validation losses and hits are summed over the ranks,
so every rank sees the whole graph's numbers and stops at the same epoch.
Checkpoints are written by rank 0 only; every rank resumes from that file.

:func:`run_processes` starts ``W`` processes on this machine from Python
(a notebook, a test) with gloo on a free port of 127.0.0.1, and returns what
each one returned.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn

from gattut.data.graph import Graph
from gattut.graph.partition import Part, hop_distance
from gattut.train.loop import TrainConfig, TrainResult
from gattut.train.metrics import f1_counts, micro_f1

__all__ = [
    "DistContext",
    "choose_backend",
    "current_context",
    "fit_distributed",
    "free_port",
    "init_distributed",
    "launched_by_torchrun",
    "rank_seed",
    "run_processes",
    "shutdown",
    "split_by_parts",
    "split_nodes",
    "train_on_processes",
]

# ----------------------------------------------------------------- who am I
@dataclass(frozen=True)
class DistContext:
    """This process's place in the group: its rank of ``world_size``, backend and device."""

    rank: int
    world_size: int
    local_rank: int
    backend: str
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that prints and writes checkpoints."""
        return self.rank == 0


def launched_by_torchrun(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process was started by ``torchrun`` (``RANK`` and ``WORLD_SIZE`` are set)."""
    env = os.environ if environ is None else environ
    return "RANK" in env and "WORLD_SIZE" in env


def choose_backend(backend: str = "auto", device: str | torch.device = "auto") -> str:
    """``"gloo"`` or ``"nccl"``: ``"auto"`` picks NCCL for CUDA devices and gloo otherwise.

    Raises:
        ValueError: an unknown backend, or NCCL asked for without a CUDA GPU.
    """
    name = str(backend).strip().lower()
    if name not in ("auto", "gloo", "nccl"):
        raise ValueError(f"unknown backend {backend!r}; choose auto, gloo (CPU) or nccl (CUDA GPUs)")
    kind = torch.device(device).type if str(device) != "auto" else (
        "cuda" if torch.cuda.is_available() else "cpu")
    if name == "auto":
        return "nccl" if kind == "cuda" else "gloo"
    if name == "nccl" and (not torch.cuda.is_available() or kind != "cuda"):
        why = ("torch sees no CUDA GPU" if not torch.cuda.is_available()
               else f"the device is {device!r}")
        raise ValueError(f"backend nccl needs CUDA GPUs, but {why}; use backend gloo for CPU "
                         "processes (--backend gloo)")
    return name


def _env_int(env: Mapping[str, str], key: str, default: int | None = None) -> int:
    if key not in env:
        if default is None:
            raise ValueError(f"torch.distributed: the environment variable {key} is not set; start "
                             "the processes with torchrun (which sets RANK, WORLD_SIZE, LOCAL_RANK, "
                             "MASTER_ADDR, MASTER_PORT)")
        return default
    try:
        return int(env[key])
    except ValueError:
        raise ValueError(f"torch.distributed: {key}={env[key]!r} is not an integer") from None


def init_distributed(backend: str = "auto", device: str | torch.device = "auto",
                     environ: Mapping[str, str] | None = None) -> DistContext:
    """Join the process group that ``torchrun`` set up in the environment; this rank's context.

    The device is ``cuda:LOCAL_RANK`` for NCCL (one GPU a process), and for
    gloo the CPU unless ``device`` names CUDA. Calling it again in a process
    already in a group returns the context without joining twice.

    Raises:
        ValueError: the environment lacks a variable, NCCL without GPUs, or fewer
            GPUs on this machine than processes on it.
    """
    env = os.environ if environ is None else environ
    rank, world_size = _env_int(env, "RANK"), _env_int(env, "WORLD_SIZE")
    local_rank = _env_int(env, "LOCAL_RANK", 0)
    if not 0 <= rank < world_size:
        raise ValueError(f"torch.distributed: RANK={rank} must be in [0, WORLD_SIZE={world_size})")
    name = choose_backend(backend, device)
    if name == "nccl":
        if local_rank >= torch.cuda.device_count():
            raise ValueError(f"torch.distributed: LOCAL_RANK={local_rank} needs GPU {local_rank}, but "
                             f"this machine has {torch.cuda.device_count()}; start at most that many "
                             "processes per node (--nproc-per-node)")
        where = torch.device("cuda", local_rank)
        torch.cuda.set_device(where)
    else:
        where = torch.device("cpu") if str(device) in ("auto", "cpu") else torch.device(device)
        if where.type == "cuda" and where.index is None:  # gloo between GPUs: one a process
            where = torch.device("cuda", local_rank)
    if not dist.is_initialized():
        dist.init_process_group(name, init_method="env://", rank=rank, world_size=world_size)
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank, backend=name,
                       device=where)


def current_context(device: str | torch.device = "auto") -> DistContext:
    """The context of the process group this process is already in; ValueError if none."""
    if not (dist.is_available() and dist.is_initialized()):
        raise ValueError("no process group: start the processes with torchrun (python -m gattut "
                         "train joins the group itself) or call init_distributed() first")
    backend = str(dist.get_backend()).lower()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if backend == "nccl":
        where = torch.device("cuda", torch.cuda.current_device())
    else:
        where = torch.device("cpu") if str(device) in ("auto", "cpu") else torch.device(device)
    return DistContext(rank=dist.get_rank(), world_size=dist.get_world_size(),
                       local_rank=local_rank, backend=backend, device=where)


def shutdown() -> None:
    """Leave the process group (if this process is in one)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


# ----------------------------------------------------------------- who trains on what
def _check_split(nodes: Tensor, world_size: int, rank: int, where: str) -> Tensor:
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"{where}: world_size must be an int >= 1, got {world_size!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(f"{where}: rank must be an int in [0, {world_size}), got {rank!r}")
    if not isinstance(nodes, Tensor) or nodes.dim() != 1 or nodes.is_floating_point():
        raise ValueError(f"{where}: nodes must be a 1-D tensor of node ids or a bool mask, got "
                         f"{getattr(nodes, 'dtype', type(nodes))} {tuple(getattr(nodes, 'shape', ()))}")
    nodes = torch.nonzero(nodes).flatten() if nodes.dtype == torch.bool else nodes.long()
    if world_size > nodes.numel():
        raise ValueError(f"{where}: world size {world_size} is larger than the training set "
                         f"({nodes.numel()} nodes); every process needs at least one training node")
    return nodes.cpu()


def _equal_shares(order: Tensor, world_size: int, rank: int) -> Tensor:
    """Rank ``rank``'s slice of ``order`` cut into ``W`` equal slices, padded from the start.

    As ``DistributedSampler`` does: ``order`` is extended by its first
    ``W * ceil(n / W) - n`` entries, so a few nodes are trained twice an
    epoch and none is left out. The padding comes from the first slices, so
    no slice holds a node twice (``n >= W``).
    """
    n = order.shape[0]
    share = -(-n // world_size)  # ceil(n / W)
    padded = torch.cat([order, order[:share * world_size - n]])  # (W * share,)
    return padded[rank * share:(rank + 1) * share]


def split_nodes(nodes: Tensor, world_size: int, rank: int, *, seed: int = 0) -> Tensor:
    """This rank's share of the training nodes: a seeded random ``1/W``, the same size on every rank.

    Every rank draws the same permutation (the same ``seed``) and takes its
    slice, so the shares are disjoint and together hold every node (a few,
    at most ``W - 1``, twice: see :func:`_equal_shares`).

    Shapes:
        nodes: (n,) ids or (N,) bool mask -> (ceil(n / W),) int64.

    Raises:
        ValueError: ``world_size`` larger than the training set, or a bad rank.
    """
    nodes = _check_split(nodes, world_size, rank, "split_nodes")
    perm = torch.randperm(nodes.shape[0], generator=torch.Generator().manual_seed(int(seed)))
    return _equal_shares(nodes[perm], world_size, rank)


def split_by_parts(nodes: Tensor, membership: Tensor, world_size: int, rank: int) -> Tensor:
    """This rank's share of the training nodes, part by part: close together in the graph.

    The training nodes are ordered by part (a METIS partition with ``W``
    parts, say), then cut into ``W`` equal slices: with training nodes
    balanced over the parts (``metis_partition(..., node_weights=...)``),
    rank ``r``'s share is part ``r``'s training nodes, give or take the
    boundary; every rank gets the same number (see :func:`_equal_shares`).

    Shapes:
        nodes: (n,) ids or (N,) bool mask; membership: (N,) part ids -> (ceil(n / W),) int64.
    """
    nodes = _check_split(nodes, world_size, rank, "split_by_parts")
    if not isinstance(membership, Tensor) or membership.dim() != 1 or membership.is_floating_point():
        raise ValueError(f"split_by_parts: membership must be a 1-D integer tensor of part ids, got "
                         f"{getattr(membership, 'dtype', type(membership))}")
    if nodes.numel() and int(nodes.max()) >= membership.shape[0]:
        raise ValueError(f"split_by_parts: node id {int(nodes.max())} has no part (membership has "
                         f"{membership.shape[0]} entries)")
    part = membership.cpu().long()[nodes]  # (n,)
    order = nodes[torch.argsort(part * (int(nodes.max()) + 1) + nodes)]  # by part, then by id
    return _equal_shares(order, world_size, rank)


def rank_seed(seed: int, rank: int) -> int:
    """A seed for rank ``rank``'s batches, distinct across ranks and independent of the others'.

    ``numpy.random.SeedSequence([seed, rank])``: the streams of ``(seed, 0)``
    and ``(seed, 1)`` are unrelated, where ``seed + rank`` would make rank 1 of
    seed 0 draw what rank 0 of seed 1 draws.
    """
    state = np.random.SeedSequence([int(seed), int(rank)]).generate_state(1, np.uint32)[0]
    return int(state)


# ----------------------------------------------------------------- training
@contextmanager
def _own_stream(rank: int, device: torch.device):
    """Run the block with this rank's own random stream; every rank's global one stays in step.

    One number is taken from the global torch generator (the same number on
    every rank: the loop seeds and checkpoints that generator identically
    everywhere), and the block runs with the generator reseeded by
    ``rank_seed(number, rank)``, restored after. So ranks drop out different
    units, and the global generator, which rank 0 checkpoints for all, stays
    the same on every rank: a resumed run equals an uninterrupted one.
    """
    draw = int(torch.randint(0, 2**62, ()))  # (): the same on every rank
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(rank_seed(draw, rank))
        yield


def _broadcast(obj: Any, ctx: DistContext) -> Any:
    """Rank 0's ``obj`` on every rank (pickled; for small things: a file, part ids)."""
    box = [obj if ctx.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _holdings(graph: Graph, seed: int, ctx: DistContext, split: str,
              num_hops: int) -> tuple[Part, Tensor, Tensor]:
    """What this rank holds: its :class:`Part`, its training share and the nodes it scores.

    Rank 0 partitions the graph into ``W`` parts (METIS, balanced in nodes and
    training nodes, or at random) and sends the part ids to all. Rank ``r``
    trains on an equal share of the training nodes, part by part
    (:func:`split_by_parts`), scores the nodes of part ``r`` (each node is
    scored by one rank), and holds those nodes with their ``L``-hop halo: all
    that its sampled batches and its exact evaluation read.

    Shapes:
        -> Part; share: (ceil(n_train / W),) local ids; scored: (N_k,) bool.
    """
    from gattut.graph.partition import make_part, metis_partition, random_partition

    N = graph.num_nodes
    membership = None
    if ctx.is_main:
        if split == "metis":
            weights = torch.stack([torch.ones(N, dtype=torch.long),
                                   graph.train_mask.cpu().long()], dim=1)  # (N, 2)
            membership = metis_partition(graph.edge_index, N, ctx.world_size, seed=seed,
                                         node_weights=weights)
        else:
            membership = random_partition(N, ctx.world_size, seed=seed)
    membership = _broadcast(membership, ctx)  # (N,)
    train = graph.train_mask.nonzero().squeeze(1).cpu()
    share = split_by_parts(train, membership, ctx.world_size, ctx.rank)  # global ids
    held = membership == ctx.rank
    held[share] = True
    part = make_part(graph.edge_index, N, held, num_hops, part=ctx.rank)
    return part, part.to_local(share), membership[part.n_id] == ctx.rank


def _rank_config(config: TrainConfig, ctx: DistContext, scratch: Path) -> TrainConfig:
    """This rank's settings: the same numbers, but only rank 0 shows progress and writes checkpoints.

    To resume, every rank needs rank 0's checkpoint; rank 0 sends its bytes
    (so no shared file system is needed) and the others keep them in a
    scratch folder, which they also write to (once, at the end: the loop
    writes a last checkpoint) and which is deleted after training.
    """
    config = replace(config, progress=config.progress and ctx.is_main)
    if config.checkpoint is None:
        return config
    data = None
    if ctx.is_main and config.resume and Path(config.checkpoint).is_file():
        data = Path(config.checkpoint).read_bytes()
    data = _broadcast(data, ctx)
    if ctx.is_main:
        return config
    local = scratch / "rank-checkpoint.pt"
    if data is not None:
        local.write_bytes(data)
    return replace(config, checkpoint=str(local), checkpoint_every=config.max_epochs + 1)


def _sum(values: list[float], device: torch.device) -> list[float]:
    """Each number summed over the ranks (one all-reduce, float64)."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def fit_distributed(model: nn.Module, graph: Graph, config: TrainConfig | None = None, *,
                    fanouts: Sequence[int], batch_size: int, split: str = "random",
                    context: DistContext | None = None, prefetch: int = 1,
                    chunk_size: int = 4096) -> TrainResult:
    """Mini-batch training on every rank of the process group, gradients averaged by DDP.

    Call it on every rank with the same arguments (``torchrun`` runs the same
    command everywhere). The graph is cut into ``W`` parts (``split="metis"``:
    METIS, balanced in nodes and training nodes; ``"random"``), and rank ``r``
    keeps only what it reads (:func:`_holdings`): part ``r`` and its training
    share with their ``L``-hop halo. Each epoch, every rank

    1. trains on its share in batches of ``batch_size`` (per rank), sampled
       from the part with its own seed (a sampler on part plus halo draws what
       one on the whole graph would: :meth:`Part.sampler`); DDP averages the
       gradients, so the copies of the model stay identical;
    2. evaluates the validation nodes of its part exactly (layer-wise inference
       on part plus halo, where layer ``k`` of ``L`` computes only the nodes
       within ``L - 1 - k`` hops of them:
       :func:`~gattut.graph.inference.targets_within`)
       and sums loss and hits with the other ranks: every rank sees the
       whole graph's validation numbers and takes the same early-stopping
       decision (the paper's rule, :func:`gattut.train.loop._run`).

    DDP broadcasts rank 0's initial weights. Only rank 0 writes
    ``config.checkpoint``; with ``config.resume`` every rank continues from
    it, and a resumed run equals an uninterrupted one. The checkpoint records
    ``fanouts``, ``batch_size``, ``split`` and the world size; resuming with
    another value of any of them raises
    :class:`~gattut.train.checkpoint.CheckpointMismatchError` naming it.

    Args:
        model: a layer sequence (GAT, GATv2, GCN, MLP), not yet wrapped.
        graph: a :class:`Graph` with ``y`` and the three masks (each rank copies its part).
        config: :class:`TrainConfig`, the same on every rank.
        fanouts, batch_size: as :func:`~gattut.train.minibatch.fit_minibatch`;
            ``batch_size`` is per rank.
        split: ``"random"`` or ``"metis"``.
        context: this rank's :class:`DistContext` (default: the current group's).
        prefetch, chunk_size: batches sampled ahead; targets per chunk of inference.

    Returns:
        A :class:`TrainResult`, the same on every rank; ``model`` holds the
        early-stopping weights.

    Shapes:
        graph.x: (N, F); rank r holds (N_r, F), N_r = part + share + halo; a step: (batch_size, C).

    Raises:
        ValueError: no process group, a world size larger than the training set, an unknown
            split, bad fanouts or batch size, a model that is not a layer sequence.
        CheckpointMismatchError: resuming a checkpoint written with other settings
            (fanouts, batch size, split, world size, lr, ...).
    """
    from torch.nn.parallel import DistributedDataParallel as DDP

    from gattut.graph.inference import layerwise_inference, targets_within
    from gattut.graph.sampling import NeighborLoader, gather_rows
    from gattut.train.loop import _autocast, _for_bf16, _run, _task_of, check_graph, make_optimizer
    from gattut.train.minibatch import _check_labels, check_minibatch, train_epoch

    config = (config or TrainConfig()).validate()
    if split not in ("random", "metis"):
        raise ValueError(f"fit_distributed: split must be 'random' or 'metis', got {split!r}")
    check_graph(graph, "fit_distributed")
    if not hasattr(model, "layer_names"):
        raise ValueError(f"fit_distributed: needs a layer sequence (GAT, GATv2, GCN, MLP), got "
                         f"{type(model).__name__}")
    fanouts = check_minibatch(fanouts, batch_size, len(model.layer_names), where="fit_distributed")
    if config.compile:
        raise ValueError("fit_distributed: compile is not supported (every batch has new shapes)")
    ctx = context or current_context(config.device)
    _check_split(graph.train_mask, ctx.world_size, ctx.rank, "fit_distributed")
    device = ctx.device
    config = replace(config, batch_size=batch_size, device=str(device))

    # 1) what this rank holds: its part, its share, their halo (local ids from here on).
    part, share, scored = _holdings(graph, config.seed, ctx, split, len(model.layer_names))
    g = _for_bf16(graph, config)
    x = gather_rows(g.x, part.n_id).to(device)  # (N_r, F)
    y = g.y[part.n_id].to(device)  # (N_r,) or (N_r, C)
    masks = {s: (getattr(g, f"{s}_mask")[part.n_id] & scored).to(device) for s in ("val", "test")}
    loader = NeighborLoader(part.edge_index, part.num_nodes, share, fanouts, batch_size,
                            seed=rank_seed(config.seed, ctx.rank), prefetch=prefetch,
                            sampler=part.sampler(fanouts))
    metric, loss_fn = _task_of(y)
    # What evaluating a split computes: at layer k of L only the nodes within L - 1 - k hops of
    # the split's nodes this rank scores (the last layer: those alone), not the part and its whole
    # halo. Exact (gattut.graph.inference); the part holds every in-edge this reads (they are
    # within L - 1 hops of its own nodes).
    needed = {s: targets_within(hop_distance(part.edge_index, part.num_nodes, masks[s].cpu(),
                                             len(model.layer_names) - 1), len(model.layer_names))
              for s in masks}

    # 2) one model on every rank, wrapped so that backward averages the gradients.
    model.to(device)
    _check_labels(model, x, y, loader)
    ddp = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = make_optimizer(model, config)

    def train_step(run: nn.Module) -> float:
        # The epoch's batch seed is the same draw on every rank; dropout is each rank's own.
        total, count = train_epoch(ddp, loader, x, y, optimizer, loss_fn, device, config.bf16,
                                   stream=lambda: _own_stream(ctx.rank, device))
        total, count = _sum([total, count], device)
        return total / count  # the epoch's mean loss over every rank's targets

    def evaluate(run: nn.Module, split_name: str) -> tuple[float, float]:
        with _autocast(device, config.bf16):
            logits = layerwise_inference(model, x, sampler=loader.sampler, chunk_size=chunk_size,
                                         targets_per_layer=needed[split_name]).float()  # (N_r, C)
        mask = masks[split_name]
        out, truth = logits[mask], y[mask]  # this rank's part only
        loss_sum = float(loss_fn(out, truth, reduction="sum")) if out.shape[0] else 0.0
        if metric == "accuracy":
            hits = [float((out.argmax(dim=1) == truth).sum())] if out.shape[0] else [0.0]
        else:
            hits = [float(c) for c in f1_counts(out, truth)] if out.shape[0] else [0.0] * 3
        loss_sum, n, *hits = _sum([loss_sum, float(mask.sum()), *hits], device)
        per_node = y.shape[1] if y.dim() == 2 else 1  # BCE averages over the labels too
        value = hits[0] / n if metric == "accuracy" else micro_f1(tuple(int(h) for h in hits))
        return loss_sum / (n * per_node), value

    with tempfile.TemporaryDirectory(prefix=f"gattut-rank{ctx.rank}-") as scratch:
        rank_config = _rank_config(config, ctx, Path(scratch))
        return _run(model, optimizer, rank_config, device, metric, train_step, evaluate,
                    desc=f"{graph.name or 'graph'} rank {ctx.rank}/{ctx.world_size}",
                    batching={"fanouts": fanouts, "split": split,
                              "world_size": ctx.world_size})[0]


# ----------------------------------------------------------------- processes from Python
def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _worker(rank: int, fn: Callable[..., Any], world_size: int, port: int, threads: int,
            out: str, args: tuple) -> None:
    """One spawned process: join the gloo group, run ``fn``, save what it returned."""
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(threads)
    init_distributed("gloo", "cpu")
    try:
        result = fn(rank, world_size, *args)
        torch.save(result, Path(out) / f"rank{rank}.pt")
    finally:
        shutdown()


def run_processes(fn: Callable[..., Any], world_size: int = 2, args: tuple = (), *,
                  threads: int = 1) -> list[Any]:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` new processes; what each returned.

    The processes form a gloo group on a free port of 127.0.0.1 (each with
    ``threads`` torch threads) before ``fn`` runs, so ``fn`` can wrap a model
    in DDP or call ``torch.distributed`` directly. ``fn`` must be importable
    by name (defined in a module, not in a notebook cell), and what it
    returns must be saveable with ``torch.save`` (tensors, state dicts,
    numbers). An exception in any process is raised here with its traceback.

    This is ``torch.multiprocessing.spawn``, the start method that works in a
    notebook; ``torchrun`` does the same from a shell (and across machines).
    """
    import torch.multiprocessing as mp

    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"run_processes: world_size must be an int >= 1, got {world_size!r}")
    with tempfile.TemporaryDirectory(prefix="gattut-ranks-") as out:
        mp.spawn(_worker, args=(fn, world_size, free_port(), threads, out, tuple(args)),
                 nprocs=world_size, join=True)
        # Files this call's own processes wrote into its private folder: any picklable result.
        return [torch.load(Path(out) / f"rank{r}.pt", weights_only=False)
                for r in range(world_size)]


def _train_worker(rank: int, world_size: int, model: str, dataset: str, graph: Graph | None,
                  seed: int, fanouts: list[int], batch_size: int, split: str,
                  settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Tensor]]:
    from gattut.train.registry import build_model, load_dataset, paper_config
    from gattut.utils import set_seed

    data = load_dataset(dataset) if graph is None else graph
    set_seed(seed)  # the same initial weights on every rank (DDP would broadcast rank 0's anyway)
    net = build_model(model, dataset, data.num_features, data.num_classes)
    config = paper_config(model, dataset, **{"device": "cpu", "progress": False, **settings},
                          seed=seed)
    result = fit_distributed(net, data, config, fanouts=fanouts, batch_size=batch_size, split=split)
    return result.to_dict(), {k: v.detach().cpu() for k, v in net.state_dict().items()}


def train_on_processes(model: str, dataset: str, world_size: int = 2, *, fanouts: Sequence[int],
                       batch_size: int, graph: Graph | None = None, seed: int = 0,
                       split: str = "random", threads: int = 1,
                       **settings: Any) -> list[tuple[dict[str, Any], dict[str, Tensor]]]:
    """Train the paper's ``model`` for ``dataset`` on ``world_size`` local processes (gloo, CPU).

    What ``torchrun --nproc-per-node W -m gattut train ...`` does, started
    from Python (a notebook): every rank runs :func:`fit_distributed` and
    returns its result (:meth:`TrainResult.to_dict`) and its final weights,
    which are the same on every rank. ``graph`` replaces the named dataset's
    graph (its settings still come from ``dataset``); ``settings`` are
    :class:`TrainConfig` fields (``max_epochs=5``, ``patience=...``).

    Returns:
        One ``(result, state_dict)`` per rank, rank 0 first.
    """
    from gattut.train.minibatch import check_minibatch
    from gattut.train.registry import check_pair

    check_pair(model, dataset)
    fanouts = check_minibatch(fanouts, batch_size, None, where="train_on_processes")
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"train_on_processes: world_size must be an int >= 1, got {world_size!r}")
    return run_processes(_train_worker, world_size, (model, dataset, graph, seed, fanouts,
                                                     batch_size, split, settings), threads=threads)
