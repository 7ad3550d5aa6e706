"""Training GAT the way the paper did: full-batch (Cora) and multi-graph (PPI), with early stopping.

The loop is the one of the paper's code (``execute_cora.py`` in
PetarV-/GAT), written once for both settings:

1. one optimisation step on the training nodes (dropout on);
2. the loss and accuracy (micro-F1 for multi-label data) on the validation
   nodes (dropout off);
3. early stopping with *two* records, the best validation accuracy and the
   lowest validation loss, and a patience counter (:class:`EarlyStopping`);
4. after training, put the early-stopping model back and score the test nodes.

Nothing about the test split is looked at before step 4.

The same code runs on a CPU or a GPU (:func:`gattut.get_device`), optionally
under bf16 autocast and ``torch.compile``; both are off by default and tested
to give the same numbers within a tolerance. On a CPU a seed fixes every
number; resuming from a checkpoint (:mod:`gattut.train.checkpoint`) gives
exactly the numbers of an uninterrupted run. On a GPU, scatter-adds use
atomics, so runs agree only to float rounding.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gattut.data.graph import Graph, batch_graphs
from gattut.train.checkpoint import (
    CheckpointMismatchError,
    get_rng_state,
    load_checkpoint,
    model_signature,
    save_checkpoint,
    set_rng_state,
)
from gattut.train.metrics import accuracy, f1_counts, micro_f1
from gattut.utils import get_device, set_seed

__all__ = [
    "EarlyStopping",
    "TrainConfig",
    "TrainResult",
    "fit_inductive",
    "fit_transductive",
    "make_optimizer",
]

_SPLITS = ("train_mask", "val_mask", "test_mask")

# The settings that change the numbers a run produces. A checkpoint written
# with other values of these is refused on resume (max_epochs may grow).
_RESULT_FIELDS = ("lr", "weight_decay", "decay_bias", "patience", "monitor", "seed", "bf16",
                  "batch_size")
# How an epoch's training nodes are batched and shared, recorded and checked beside them:
# full batch has no fanouts and runs in one process; fit_minibatch and fit_distributed pass
# their own values to _run (``batching``), so a run resumed with other fanouts, another split,
# another number of processes or other training nodes (fit_minibatch's ``train_nodes``, by
# count and digest) is refused instead of silently training another run.
_BATCHING = {"fanouts": None, "drop_last": False, "split": None, "world_size": 1,
             "train_nodes": None}


@dataclass
class TrainConfig:
    """Training settings; the defaults are the paper's Cora/CiteSeer ones.

    Args:
        lr: Adam's learning rate (paper: 0.005; PubMed 0.01).
        weight_decay: the L2 coefficient (paper: 5e-4 on Cora/CiteSeer, 1e-3
            on PubMed, 0 on PPI). Applied as the paper's code does, see
            :func:`make_optimizer`.
        decay_bias: also decay the biases (see :func:`make_optimizer`).
        max_epochs: an upper bound; the paper's code allows 100,000 and lets
            early stopping end the run.
        patience: epochs without a new best validation accuracy or loss before stopping.
        monitor: ``"both"`` (the paper's code: validation accuracy and loss), ``"metric"``
            (validation accuracy alone, the rule of the paper's CiteSeer figure) or
            ``"loss"`` (validation loss alone); see :class:`EarlyStopping`.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda[:k]"``.
        bf16: run forward passes under ``torch.autocast(dtype=torch.bfloat16)``.
        compile: wrap the model with ``torch.compile``.
        checkpoint: a file to write checkpoints to (``None``: none).
        checkpoint_every: write one every this many epochs (and one at the end).
        resume: continue from ``checkpoint`` if it exists.
        seed: seeds the dropout masks (the caller seeds the model's initial weights).
        progress: show a tqdm progress bar with the loss and validation metric.
        batch_size: graphs per step in :func:`fit_inductive` (paper's PPI: 2).
    """

    lr: float = 0.005
    weight_decay: float = 5e-4
    decay_bias: bool = False
    max_epochs: int = 100_000
    patience: int = 100
    monitor: str = "both"
    device: str = "auto"
    bf16: bool = False
    compile: bool = False
    checkpoint: str | None = None
    checkpoint_every: int = 10
    resume: bool = False
    seed: int = 0
    progress: bool = True
    batch_size: int = 2

    def validate(self) -> TrainConfig:
        """Raise ValueError naming any setting out of range; return ``self``."""
        checks = [
            (self.lr > 0, f"lr must be > 0, got {self.lr}"),
            (self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay}"),
            (self.max_epochs >= 1, f"max_epochs must be >= 1, got {self.max_epochs}"),
            (self.patience >= 1, f"patience must be >= 1, got {self.patience}"),
            (self.monitor in EarlyStopping.MONITORS,
             f"monitor must be 'both', 'metric' or 'loss', got {self.monitor!r}"),
            (self.checkpoint_every >= 1, f"checkpoint_every must be >= 1, got {self.checkpoint_every}"),
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (not (self.resume and self.checkpoint is None), "resume=True needs a checkpoint path"),
            (self.checkpoint is None or not Path(self.checkpoint).is_dir(),
             f"checkpoint {self.checkpoint} is a directory; name a file"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"TrainConfig: {message}")
        return self


@dataclass
class TrainResult:
    """What a training run measured.

    ``test_metric`` is accuracy for one-class data and micro-F1 for
    multi-label data (``metric`` says which), scored with the early-stopping
    model. ``best_epoch`` is the (0-based) epoch that model comes from;
    ``epochs_run`` counts every epoch trained; ``time_per_epoch`` is the mean
    wall time of one training step plus one validation pass, in seconds.
    """

    metric: str
    test_metric: float
    test_loss: float
    val_metric: float
    val_loss: float
    best_epoch: int
    epochs_run: int
    time_per_epoch: float
    device: str
    seed: int
    stopped_early: bool
    history: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self, history: bool = True) -> dict[str, Any]:
        """The result as plain JSON-ready data (``history=False`` drops the per-epoch curves)."""
        out = asdict(self)
        if not history:
            out.pop("history")
        return out

    def to_json(self, file: str | Path, history: bool = True) -> Path:
        """Write :meth:`to_dict` to ``file`` as JSON; return the path."""
        file = Path(file)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(self.to_dict(history), indent=2) + "\n")
        return file


class EarlyStopping:
    """The paper's early stopping: two records (best accuracy, lowest loss) and one counter.

    The rule, for each run: if this epoch's accuracy ``>=`` the best one
    **or** its loss ``<=`` the lowest one, reset the counter, and if **both**
    hold, keep this epoch's weights; then update both records. Otherwise add
    one to the counter; the run stops when it reaches ``patience``.

    ``monitor="metric"`` is the rule the paper's CiteSeer figure came from
    (PetarV-/GAT issue 14): the validation metric alone, ``>=`` the best one,
    resets the counter and keeps the weights; the loss is not consulted.
    ``monitor="loss"`` is the one-record rule of the seq2seq trainer
    (:func:`gattut.seq2seq.train`): only a validation loss strictly below the
    lowest one counts; it resets the counter and keeps the weights. The
    metric is then recorded (``best_val_metric``) but not consulted.

    It is written once, over a seed axis (:meth:`update`): ``num_seeds=R``
    follows ``R`` runs trained side by side (:func:`gattut.train.seeds.fit_stacked`),
    each stopping on its own, and its records are ``(R,)`` tensors. The
    default follows one run: :meth:`step` keeps that run's weights in
    ``best_state``, and the records (``best_metric``, ``best_loss``,
    ``counter``, ``best_epoch``, ``best_val_metric``, ``best_val_loss``) are numbers.
    ``patience=math.inf`` never stops.
    """

    MONITORS = ("both", "metric", "loss")

    def __init__(self, patience: float = 100, num_seeds: int | None = None,
                 device: torch.device | str | None = None, monitor: str = "both"):
        if monitor not in self.MONITORS:
            raise ValueError(f"EarlyStopping: monitor must be 'both', 'metric' or 'loss', got {monitor!r}")
        R = 1 if num_seeds is None else num_seeds
        real = {"dtype": torch.float64, "device": device}  # float64 holds any float32 score exactly
        self.patience, self.num_seeds, self.monitor = patience, num_seeds, monitor
        self.best_state: dict[str, Tensor] | None = None
        self._records = {
            "best_metric": torch.zeros(R, **real),
            "best_loss": torch.full((R,), math.inf, **real),
            "counter": torch.zeros(R, dtype=torch.long, device=device),
            "best_epoch": torch.full((R,), -1, dtype=torch.long, device=device),
            "best_val_metric": torch.full((R,), math.nan, **real),
            "best_val_loss": torch.full((R,), math.nan, **real),
        }

    def __getattr__(self, name: str) -> Any:
        records = self.__dict__.get("_records", {})
        if name not in records:
            raise AttributeError(f"EarlyStopping has no attribute {name!r}")
        return records[name].item() if self.num_seeds is None else records[name]

    @property
    def active(self) -> Tensor:
        """Which runs are still going, ``(R,)`` bool."""
        return self._records["counter"] < self.patience

    def update(self, epoch: int, val_metric: float | Tensor, val_loss: float | Tensor) -> Tensor:
        """One epoch's validation numbers for every run; returns which runs' weights to keep.

        Runs that have stopped are left as they are.

        Shapes:
            val_metric, val_loss: () or (R,) -> (R,) bool.
        """
        r = self._records
        like = r["best_loss"]
        val_metric = torch.as_tensor(val_metric, dtype=like.dtype, device=like.device).reshape(-1)
        val_loss = torch.as_tensor(val_loss, dtype=like.dtype, device=like.device).reshape(-1)
        active = self.active
        better_metric, better_loss = val_metric >= r["best_metric"], val_loss <= r["best_loss"]
        if self.monitor == "loss":  # one record: a strictly lower loss, and nothing else, counts
            better_loss = better_metric = val_loss < r["best_loss"]
        elif self.monitor == "metric":  # one record: a metric as good as the best, nothing else
            better_loss = better_metric
        either = active & (better_metric | better_loss)
        both = active & better_metric & better_loss
        r["best_epoch"] = torch.where(both, epoch, r["best_epoch"])
        r["best_val_metric"] = torch.where(both, val_metric, r["best_val_metric"])
        r["best_val_loss"] = torch.where(both, val_loss, r["best_val_loss"])
        r["best_metric"] = torch.where(either, torch.maximum(val_metric, r["best_metric"]),
                                       r["best_metric"])
        r["best_loss"] = torch.where(either, torch.minimum(val_loss, r["best_loss"]), r["best_loss"])
        r["counter"] = torch.where(either, 0, r["counter"] + active.long())
        return both

    def step(self, epoch: int, val_metric: float, val_loss: float, model: nn.Module) -> bool:
        """One run's epoch: keep ``model``'s weights if both records held; ``True`` means stop."""
        if bool(self.update(epoch, val_metric, val_loss)[0]):
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return not bool(self.active[0])

    def state_dict(self) -> dict[str, Any]:
        return {"patience": self.patience, "best_state": self.best_state,
                **{k: v.clone() for k, v in self._records.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.patience, self.best_state = state["patience"], state["best_state"]
        for key, old in self._records.items():
            self._records[key] = torch.as_tensor(state[key], dtype=old.dtype).reshape(-1).to(old.device)


def make_optimizer(model: nn.Module, config: TrainConfig,
                   named_parameters: Iterable[tuple[str, Tensor]] | None = None) -> torch.optim.Adam:
    """Adam with the paper's L2 penalty.

    The paper's code adds ``l2_coef * sum_w tf.nn.l2_loss(w)`` to the loss,
    where ``l2_loss(w) = sum(w ** 2) / 2``; its gradient is ``l2_coef * w``,
    which is exactly what ``torch.optim.Adam(weight_decay=l2_coef)`` adds to
    each gradient (coupled L2, not AdamW's decoupled decay). The penalty is
    meant for weights only: biases (parameters named ``bias``) go in a group
    with no decay. Note: the original code filters by comparing full TF
    variable names such as ``"conv1d/bias:0"`` with bare names like
    ``"bias"``, a test that never matches, so in effect it decays the biases
    too; ``decay_bias=True`` copies that. The biases are a few dozen numbers
    and the choice does not move the results beyond seed noise.

    ``named_parameters`` replaces ``model.named_parameters()`` where the
    parameters go by other names (a stacked model passes its serial names).
    """
    decay, no_decay = [], []
    named = model.named_parameters() if named_parameters is None else named_parameters
    for name, param in named:
        if not param.requires_grad:
            continue
        is_bias = name.rsplit(".", 1)[-1] == "bias"
        (no_decay if is_bias and not config.decay_bias else decay).append(param)
    groups = [{"params": decay, "weight_decay": config.weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return torch.optim.Adam(groups, lr=config.lr)


# --------------------------------------------------------------------- the loop
def _task_of(y: Tensor) -> tuple[str, Callable[[Tensor, Tensor], Tensor]]:
    """``("accuracy", cross_entropy)`` for (N,) classes, ``("micro_f1", BCE)`` for (N, C) labels."""
    if y.dim() == 2:
        return "micro_f1", F.binary_cross_entropy_with_logits
    return "accuracy", F.cross_entropy


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _result_config(config: TrainConfig, batching: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings a checkpoint records: ``_RESULT_FIELDS`` of ``config``, then ``_BATCHING``."""
    unknown = set(batching or {}) - set(_BATCHING)
    if unknown:
        raise ValueError(f"_run: batching takes {', '.join(_BATCHING)}, got {', '.join(sorted(unknown))}")
    return {**{k: getattr(config, k) for k in _RESULT_FIELDS}, **_BATCHING, **(batching or {})}


def _run(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    config: TrainConfig,
    device: torch.device,
    metric: str,
    train_step: Callable[[nn.Module], Any],
    evaluate: Callable[[nn.Module, str], tuple[Any, Any]],
    desc: str,
    seeds: Sequence[int] | None = None,
    batching: Mapping[str, Any] | None = None,
) -> list[TrainResult]:
    """The one epoch loop: train, validate, early-stop, checkpoint; then test. One result a run.

    It trains ``R`` runs side by side: one model (``seeds=None``), or the
    seeds of a :class:`~gattut.train.stacked.StackedModel`, whose tensors hold
    the runs on their first axis. ``train_step(model)`` returns the runs'
    training losses and ``evaluate(model, split)`` their losses and metrics
    (``R`` numbers each, or one number for one model; it runs under ``no_grad``).
    ``optimizer`` is the one ``train_step`` steps; a resumed run loads its state here.
    ``batching`` names how the training nodes are batched and shared (``fanouts``,
    ``drop_last``, ``split``, ``world_size``, ``train_nodes``; default: full batch in one
    process); a checkpoint
    records it with the settings in ``_RESULT_FIELDS``, and a resumed run must match both.
    """
    recorded = _result_config(config, batching)
    R = 1 if seeds is None else len(seeds)
    stopper = EarlyStopping(config.patience, num_seeds=R, device=device, monitor=config.monitor)
    # Each run's early-stopping weights; a run that never keeps an epoch gets its initial ones.
    stopper.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history: list[Tensor] = []  # per epoch: (3, R) train loss, val loss, val metric
    epochs_run = torch.zeros(R, dtype=torch.long, device=device)
    start_epoch, elapsed, finished = 0, 0.0, False
    set_seed(config.seed)

    def runs(value: Any) -> Tensor:
        """A number or ``R`` numbers as an ``(R,)`` float64 tensor (float64 holds both exactly)."""
        return torch.as_tensor(value, dtype=torch.float64, device=device).reshape(R)

    file = Path(config.checkpoint) if config.checkpoint else None
    if file is not None and config.resume and file.exists():
        state = load_checkpoint(file, model)
        saved = state.get("config", {})
        differ = [k for k in recorded if k in saved and saved[k] != recorded[k]]
        if differ:
            shown = ", ".join(f"{k}={saved[k]!r} (now {recorded[k]!r})" for k in differ)
            raise CheckpointMismatchError(f"{file} was written with other settings: {shown}")
        if "epochs_run" not in state:
            raise CheckpointMismatchError(f"{file} was written by an older gattut; delete it")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        stopper.load_state_dict(state["early_stopping"])
        stopper.best_state = {k: v.to(device) for k, v in stopper.best_state.items()}
        history = [h.to(device) for h in state["history"]]
        epochs_run = state["epochs_run"].to(device)
        start_epoch, elapsed = state["epoch"] + 1, state["elapsed"]
        # A run that ended at max_epochs goes on if max_epochs has grown since.
        finished = not bool(stopper.active.any()) or start_epoch >= config.max_epochs
        set_rng_state(state["rng"])

    def checkpoint(epoch: int, done: bool) -> None:
        save_checkpoint(file, {
            "signature": model_signature(model),
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "early_stopping": stopper.state_dict(),
            "rng": get_rng_state(),
            "epoch": epoch,
            "epochs_run": epochs_run,
            "elapsed": elapsed,
            "finished": done,
            "history": history,
            "config": recorded,
        })

    # torch.compile wraps the module; the original ``model`` keeps the
    # parameters, so state_dicts (checkpoints, best weights) stay unprefixed.
    runner = torch.compile(model) if config.compile else model

    # Plain tqdm (imported here: only training needs it); tqdm.auto warns in
    # notebooks without ipywidgets, and the text bar works everywhere.
    from tqdm import tqdm

    bar = tqdm(total=config.max_epochs, initial=start_epoch, desc=desc,
               disable=not config.progress or finished, leave=False, dynamic_ncols=True)
    try:
        for epoch in range(start_epoch, config.max_epochs if not finished else start_epoch):
            _sync(device)
            t0 = time.perf_counter()
            train_loss = runs(train_step(runner))
            with torch.no_grad():
                val_loss, val_metric = map(runs, evaluate(runner, "val"))
                # Early stopping for the runs still going; a stopped run is frozen.
                epochs_run = torch.where(stopper.active, epoch + 1, epochs_run)
                keep = stopper.update(epoch, val_metric, val_loss)  # (R,): both records held
                for name, now in model.state_dict().items():
                    where = keep[0] if seeds is None else keep.view(R, *[1] * (now.dim() - 1))
                    stopper.best_state[name].copy_(torch.where(where, now, stopper.best_state[name]))
                history.append(torch.stack([train_loss, val_loss, val_metric]))
            running = int(stopper.active.sum())  # the one host sync of an epoch
            _sync(device)
            elapsed += time.perf_counter() - t0
            bar.update(1)
            if not bar.disable:
                shown = {"loss": train_loss, "val_loss": val_loss,
                         f"val_{'acc' if metric == 'accuracy' else 'f1'}": val_metric}
                bar.set_postfix(**{k: f"{float(v.mean()):.3f}" for k, v in shown.items()},
                                **({"running": running} if seeds is not None else {}))
            if running == 0 or epoch + 1 == config.max_epochs:
                finished = True
                if file is not None:
                    checkpoint(epoch, True)
                break
            if file is not None and (epoch + 1) % config.checkpoint_every == 0:
                checkpoint(epoch, False)
    finally:
        bar.close()

    # Each run's early-stopping weights, then the test split, scored once.
    model.load_state_dict(stopper.best_state)
    with torch.no_grad():
        test_loss, test_metric = map(runs, evaluate(runner, "test"))
    curves = torch.stack(history).cpu() if history else torch.zeros(0, 3, R)  # (epochs, 3, R)
    columns = zip(seeds or [config.seed], test_metric.tolist(), test_loss.tolist(),
                  stopper.best_val_metric.tolist(), stopper.best_val_loss.tolist(),
                  stopper.best_epoch.tolist(), epochs_run.tolist(), (~stopper.active).tolist())
    results = []
    for r, (seed, t_metric, t_loss, v_metric, v_loss, best, n_epochs, stopped) in enumerate(columns):
        mine = curves[:n_epochs, :, r]  # (n_epochs, 3): this run's own epochs
        results.append(TrainResult(
            metric=metric, test_metric=t_metric, test_loss=t_loss, val_metric=v_metric,
            val_loss=v_loss, best_epoch=best, epochs_run=n_epochs,
            time_per_epoch=elapsed / max(len(history), 1), device=str(device), seed=seed,
            stopped_early=stopped,
            history={"train_loss": mine[:, 0].tolist(), "val_loss": mine[:, 1].tolist(),
                     "val_metric": mine[:, 2].tolist()},
        ))
    return results


def _autocast(device: torch.device, enabled: bool):
    if not enabled:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def _for_bf16(graph: Graph, config: TrainConfig) -> Graph:
    """Under bf16 autocast, give the model dense features.

    Autocast casts the operands of ``x @ W`` to bf16, and torch's sparse CSR
    product has no bf16 kernel (CPU: "addmm_out_sparse_csr_impl_mkl not
    implemented for 'BFloat16'"). Dense features work everywhere; bf16 is
    meant for GPUs, where the dense product is fast anyway.
    """
    return graph.to_dense() if config.bf16 and graph.is_sparse else graph


def check_graph(graph: Graph, where: str, masks: Sequence[str] = _SPLITS) -> None:
    """ValueError unless ``graph`` is a valid Graph with labels and non-empty ``masks``.

    The whole graph is validated again here, where it is used: a field set
    after construction (a 0/1 ``long`` mask, which indexing would read as
    node ids) is caught before any training.
    """
    if not isinstance(graph, Graph):
        raise ValueError(f"{where}: expects a gattut Graph, got {type(graph).__name__}")
    graph.validate()
    missing = [n for n in ("y", *masks) if getattr(graph, n) is None]
    if missing:
        raise ValueError(f"{where} needs a graph with {', '.join(missing)}; it has None")
    empty = [n for n in masks if not bool(getattr(graph, n).any())]
    if empty:
        raise ValueError(f"{where}: {', '.join(empty)} selects no node")


@torch.no_grad()
def check_labels(model: nn.Module, graphs: Sequence[Graph], where: str) -> None:
    """ValueError unless every graph's ``y`` fits the model's output width ``C``, before epoch 0.

    One forward pass in eval mode on the first graph (no dropout, so no random
    number is drawn) gives ``C``; class labels must be in ``[0, C)``,
    multi-labels ``(N, C)``.
    """
    model.eval()
    C = model(graphs[0].x, graphs[0].edge_index).shape[-1]
    for g in graphs:
        if g.y.dim() == 2 and g.y.shape[1] != C:
            raise ValueError(f"{where}: y has {g.y.shape[1]} labels per node but the model gives "
                             f"{C} outputs")
        if g.y.dim() == 1 and g.y.numel() and int(g.y.max()) >= C:
            raise ValueError(f"{where}: label {int(g.y.max())} is out of range for a model with "
                             f"{C} outputs (classes 0..{C - 1})")


def fit_transductive(model: nn.Module, graph: Graph, config: TrainConfig | None = None) -> TrainResult:
    """Train on one graph's ``train_mask``, early-stop on ``val_mask``, score ``test_mask``.

    Full batch: every epoch runs the model on the whole graph once to train
    and once (dropout off) to validate, as the paper did for Cora, CiteSeer
    and PubMed. The loss is cross-entropy for ``(N,)`` class labels and
    binary cross-entropy with logits for ``(N, C)`` multi-labels; the metric
    is accuracy or micro-F1 accordingly.

    Args:
        model: called as ``model(x, edge_index)``, returns ``(N, C)`` logits.
            Seed before building it to fix its initial weights.
        graph: a :class:`~gattut.graph.Graph` with ``y`` and all three masks.
        config: :class:`TrainConfig` (the paper's defaults when ``None``).

    Returns:
        A :class:`TrainResult`; ``model`` is left holding the early-stopping weights.

    Shapes:
        graph.x: (N, F) dense or sparse; graph.y: (N,) or (N, C); masks: (N,) -> logits (N, C).
    """
    config = (config or TrainConfig()).validate()
    check_graph(graph, "fit_transductive")
    device = get_device(config.device)
    model.to(device)
    g = _for_bf16(graph, config).to(device)
    check_labels(model, [g], "fit_transductive")
    metric, loss_fn = _task_of(g.y)
    masks = {"train": g.train_mask, "val": g.val_mask, "test": g.test_mask}
    optimizer = make_optimizer(model, config)

    def score(logits: Tensor, y: Tensor) -> float:
        return accuracy(logits, y) if metric == "accuracy" else micro_f1(logits, y)

    def train_step(run: nn.Module) -> float:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        with _autocast(device, config.bf16):
            logits = run(g.x, g.edge_index)  # (N, C)
        mask = masks["train"]
        loss = loss_fn(logits[mask].float(), g.y[mask])
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    def evaluate(run: nn.Module, split: str) -> tuple[float, float]:
        model.eval()
        with _autocast(device, config.bf16):
            logits = run(g.x, g.edge_index).float()  # (N, C)
        mask = masks[split]
        return float(loss_fn(logits[mask], g.y[mask])), score(logits[mask], g.y[mask])

    return _run(model, optimizer, config, device, metric, train_step, evaluate,
                desc=graph.name or "train")[0]


def fit_inductive(
    model: nn.Module,
    train_graphs: Sequence[Graph],
    val_graphs: Sequence[Graph],
    test_graphs: Sequence[Graph],
    config: TrainConfig | None = None,
) -> TrainResult:
    """Train on whole graphs, early-stop on other graphs, test on graphs never seen (PPI).

    Every ``config.batch_size`` consecutive graphs are joined into one
    disjoint graph with :func:`gattut.graph.batch_graphs` (the paper's PPI
    setup: 2 graphs a step, 20 training graphs, so 10 steps an epoch, in a
    fixed order). Within a graph, the nodes scored are those of its split's
    mask when it has one (``train_mask`` for training graphs, ``val_mask`` and
    ``test_mask`` for the others, as :func:`gattut.data.synthetic.inductive_split`
    produces) and all nodes otherwise (PPI). Validation and test numbers pool
    every scored node of the split: one micro-F1 from summed counts, one loss
    averaged over nodes.

    Shapes:
        each graph: x (N_g, F); y (N_g, C) 0/1 or (N_g,) classes -> logits (N_g, C).
    """
    config = (config or TrainConfig()).validate()
    splits = {"train": list(train_graphs), "val": list(val_graphs), "test": list(test_graphs)}
    for name, graphs in splits.items():
        if not graphs:
            raise ValueError(f"fit_inductive: no {name} graphs given")
        for k, g in enumerate(graphs):
            check_graph(g, f"fit_inductive: {name} graph {k}", masks=())
    kinds = {g.y.dim() for graphs in splits.values() for g in graphs}
    if len(kinds) != 1:
        raise ValueError("fit_inductive: graphs mix class labels (N,) and multi-labels (N, C)")
    device = get_device(config.device)
    model.to(device)

    def batches(graphs: list[Graph], split: str) -> list[tuple[Graph, Tensor]]:
        out = []
        for start in range(0, len(graphs), config.batch_size):
            part = graphs[start:start + config.batch_size]
            joined = batch_graphs(part) if len(part) > 1 else part[0]
            mask = getattr(joined, f"{split}_mask")
            if mask is None:
                mask = torch.ones(joined.num_nodes, dtype=torch.bool)
            out.append((_for_bf16(joined, config).to(device), mask.to(device)))
        return out

    data = {split: batches(graphs, split) for split, graphs in splits.items()}
    check_labels(model, [g for batch in data.values() for g, _ in batch], "fit_inductive")
    metric, loss_fn = _task_of(data["train"][0][0].y)
    optimizer = make_optimizer(model, config)

    def train_step(run: nn.Module) -> float:
        model.train()
        total, count = 0.0, 0
        for g, mask in data["train"]:
            optimizer.zero_grad(set_to_none=True)
            with _autocast(device, config.bf16):
                logits = run(g.x, g.edge_index)  # (N_b, C)
            loss = loss_fn(logits[mask].float(), g.y[mask])
            loss.backward()
            optimizer.step()
            total, count = total + float(loss.detach()), count + 1
        return total / count

    def evaluate(run: nn.Module, split: str) -> tuple[float, float]:
        model.eval()
        loss_sum, nodes, correct, counts = 0.0, 0, 0, [0, 0, 0]
        for g, mask in data[split]:
            with _autocast(device, config.bf16):
                logits = run(g.x, g.edge_index).float()[mask]  # (n, C)
            y = g.y[mask]
            n = int(mask.sum())
            if n == 0:
                continue
            loss_sum += float(loss_fn(logits, y)) * n
            nodes += n
            if metric == "accuracy":
                correct += int((logits.argmax(dim=1) == y).sum())
            else:
                counts = [a + b for a, b in zip(counts, f1_counts(logits, y))]
        if nodes == 0:
            raise ValueError(f"fit_inductive: the {split} graphs have no node to score")
        value = correct / nodes if metric == "accuracy" else micro_f1(tuple(counts))
        return loss_sum / nodes, value

    return _run(model, optimizer, config, device, metric, train_step, evaluate, desc="inductive")[0]
