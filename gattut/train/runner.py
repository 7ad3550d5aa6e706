"""One run path: a model trained on a dataset for several seeds, serially or stacked, then summarised.

``python -m gattut train`` and the reproduction ledger (:mod:`gattut.train.ledger`)
both call :func:`run_seeds` and :func:`summarize`; the command line only
parses its arguments and prints. Everything a run would refuse is refused
first, before any data is read or any epoch trained (:func:`check_run`,
:func:`check_checkpoints`).

Each seed's model is built after ``gattut.set_seed(seed)`` with the paper's
settings for the dataset (:mod:`gattut.train.registry`), so seed ``k``
starts from the same weights whether it is trained alone or stacked with
others; ``stacked=R`` trains ``R`` seeds at a time as one
:class:`~gattut.train.stacked.StackedModel` (one-graph datasets only).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gattut.train.checkpoint import load_checkpoint
from gattut.train.loop import TrainConfig, TrainResult, fit_inductive, fit_transductive
from gattut.train.minibatch import check_minibatch, fit_minibatch
from gattut.train.registry import INDUCTIVE, build_model, check_pair, load_dataset, paper_config
from gattut.train.seeds import NOT_STACKED, fit_stacked
from gattut.train.stacked import stack_models
from gattut.utils import set_seed

_BATCH_SIZE = 512  # training nodes per mini-batch when fanouts are given without one

__all__ = ["check_checkpoints", "check_output_file", "check_run", "checkpoint_for", "describe",
           "run_seeds", "summarize"]


def checkpoint_for(base: str | None, seed: int, many: bool) -> str | None:
    """The checkpoint file of one seed: ``base`` itself, or ``stem.seedK.suffix`` among several."""
    if base is None or not many:
        return base
    path = Path(base)
    return str(path.with_name(f"{path.stem}.seed{seed}{path.suffix}"))


def check_run(model: str, dataset: str, seeds: Sequence[int], stacked: int = 1,
              fanouts: Sequence[int] | None = None, batch_size: int | None = None,
              **settings: Any) -> tuple[str, str, TrainConfig]:
    """The checked names and the first seed's :class:`TrainConfig`; ValueError naming what is wrong.

    ``settings`` are :class:`TrainConfig` fields that replace the paper's;
    ``fanouts`` and ``batch_size`` ask for mini-batch training (see :func:`run_seeds`).
    """
    m, d = check_pair(model, dataset)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("no seeds to run")
    bad = [s for s in seeds if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < 2**32]
    if bad:
        raise ValueError(f"seeds must be ints in [0, 2**32), got {bad[0]!r}")
    if not isinstance(stacked, int) or stacked < 1:
        raise ValueError(f"stacked must be >= 1, got {stacked!r}")
    config = paper_config(m, d, seed=seeds[0], **settings).validate()
    if stacked > 1:
        clash = [n for n in NOT_STACKED if getattr(config, n)]
        if clash:
            raise ValueError(f"stacked cannot be combined with {', '.join(clash)}")
        if d in INDUCTIVE:
            raise ValueError(f"stacked needs a one-graph dataset (cora, citeseer, pubmed, csbm), not {d}")
    if fanouts is None and batch_size is not None:
        raise ValueError("batch_size (nodes per mini-batch) needs fanouts")
    if fanouts is not None:
        if d in INDUCTIVE:
            raise ValueError(f"fanouts (mini-batches) need a one-graph dataset (cora, citeseer, "
                             f"pubmed, csbm), not {d}")
        if stacked > 1 or config.compile:
            raise ValueError(f"fanouts (mini-batches) cannot be combined with "
                             f"{'stacked' if stacked > 1 else 'compile'}")
        with torch.random.fork_rng(devices=[]):  # a tiny model, for its layer count only
            layers = len(build_model(m, d, 1, 2).layer_names)
        check_minibatch(fanouts, _BATCH_SIZE if batch_size is None else batch_size, layers,
                        where=f"{m} on {d}")
    return m, d, config


def _in_process_group() -> bool:
    """Whether this process is one rank of several (torchrun, or ``init_distributed``)."""
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _first(data: Any) -> Any:
    return data[0][0] if isinstance(data, tuple) else data


def _build(model: str, dataset: str, data: Any, seed: int) -> nn.Module:
    set_seed(seed)  # each seed's own initial weights, stacked or not
    return build_model(model, dataset, _first(data).num_features, _first(data).num_classes)


def check_checkpoints(model: str, dataset: str, data: Any, seeds: Sequence[int],
                      checkpoint: str | None, resume: bool) -> None:
    """Refuse, before training, a checkpoint that exists without ``resume`` or cannot be resumed.

    Raises:
        ValueError: a checkpoint exists and ``resume`` is off (it would be overwritten).
        CheckpointMismatchError: it is not a readable checkpoint, or another model's.
    """
    for seed in seeds:
        file = checkpoint_for(checkpoint, seed, len(seeds) > 1)
        if file is None:
            continue
        check_output_file(file, "checkpoint")
        if not Path(file).exists():
            continue
        if not resume:
            raise ValueError(f"checkpoint {file} exists; pass --resume to continue it, "
                             "or choose another --checkpoint")
        load_checkpoint(file, _build(model, dataset, data, seed))  # names what differs


def check_output_file(file: str | Path, what: str = "output file") -> None:
    """ValueError unless ``file`` can be written as a file: not a folder, nor inside a file."""
    file = Path(file)
    if file.is_dir():
        raise ValueError(f"{what} {file} is a directory; name a file")
    for parent in file.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{what} {file}: {parent} is a file, not a directory")
            break


def run_seeds(model: str, dataset: str, seeds: Sequence[int], data: Any = None, *,
              stacked: int = 1, on_result: Callable[[TrainResult, int], None] | None = None,
              fanouts: Sequence[int] | None = None, batch_size: int | None = None,
              split: str = "random", **settings: Any) -> list[TrainResult]:
    """Train ``model`` on ``dataset`` once per seed with the paper's protocol; one result a seed.

    Args:
        model, dataset: names from :mod:`gattut.train.registry`.
        seeds: the seeds; seed ``k`` fixes the initial weights and the dropout stream.
        data: the loaded dataset (``load_dataset(dataset)`` when None).
        stacked: train this many seeds at a time as one stacked model.
        on_result: called with each result and the number of seeds trained with it.
        fanouts: train on sampled mini-batches (:func:`~gattut.train.minibatch.fit_minibatch`)
            with these fanouts, one per layer (``-1``: all neighbours); None: full batch.
        batch_size: training nodes per mini-batch (default 512); only with ``fanouts``.
            In a process group (``torchrun``), each rank trains on its share of the
            training nodes with this batch size (:func:`~gattut.train.distributed.fit_distributed`).
        split: in a process group, how the ranks share the training nodes: ``"random"``
            or ``"metis"`` (part by part).
        settings: :class:`TrainConfig` fields that replace the paper's (``max_epochs=300``,
            ``device="cpu"``, ``checkpoint="run.pt"``: one file a seed, ``run.seedK.pt``).
    """
    m, d, _ = check_run(model, dataset, seeds, stacked, fanouts, batch_size, **settings)
    data = load_dataset(d) if data is None else data
    seeds = list(seeds)
    check_checkpoints(m, d, data, seeds, settings.get("checkpoint"), settings.get("resume", False))
    results: list[TrainResult] = []
    for start in range(0, len(seeds), stacked):
        group = seeds[start:start + stacked]
        if stacked > 1:
            config = paper_config(m, d, **{**settings, "seed": group[0]})
            done = fit_stacked(stack_models([_build(m, d, data, s) for s in group]), data, config,
                               seeds=group)
        else:
            seed = group[0]
            file = checkpoint_for(settings.get("checkpoint"), seed, len(seeds) > 1)
            config = paper_config(m, d, **{**settings, "seed": seed, "checkpoint": file})
            net = _build(m, d, data, seed)
            if fanouts is not None and _in_process_group():  # under torchrun
                from gattut.train.distributed import fit_distributed

                done = [fit_distributed(net, data, config, fanouts=list(fanouts),
                                        batch_size=batch_size or _BATCH_SIZE, split=split)]
            elif fanouts is not None:
                done = [fit_minibatch(net, data, config, fanouts=list(fanouts),
                                      batch_size=batch_size or _BATCH_SIZE)]
            else:
                done = [fit_inductive(net, *data, config) if isinstance(data, tuple)
                        else fit_transductive(net, data, config)]
        for result in done:
            if on_result is not None:
                on_result(result, len(group))
        results += done
    return results


def summarize(runs: Sequence[TrainResult | dict[str, Any]]) -> dict[str, Any]:
    """Mean and sample standard deviation (``ddof=1``; None for one seed) of the test metric.

    Accuracy is reported in %, micro-F1 as a fraction. The time per epoch is
    given as mean and median: on a shared machine a run slowed by other work
    moves the mean, not the median. ``runs`` are results or
    their :meth:`TrainResult.to_dict` (the ledger's rows hold those).
    """
    runs = [r.to_dict(history=False) if isinstance(r, TrainResult) else r for r in runs]
    if not runs:
        raise ValueError("summarize needs at least one run")
    metric = runs[0]["metric"]
    scale = 100.0 if metric == "accuracy" else 1.0
    values = [scale * r["test_metric"] for r in runs]
    return {
        "metric": metric,
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else None,
        "num_seeds": len(values),
        "mean_epochs": statistics.fmean(r["epochs_run"] for r in runs),
        "mean_time_per_epoch": statistics.fmean(r["time_per_epoch"] for r in runs),
        "median_time_per_epoch": statistics.median(r["time_per_epoch"] for r in runs),
    }


def describe(result: TrainResult, together: int = 1) -> str:
    """One line for one seed: its test metric, best epoch, epochs and time per epoch."""
    at_once = f" for {together} seeds at once" if together > 1 else ""
    return (f"seed {result.seed}: test {result.metric} {result.test_metric:.4f}, best epoch "
            f"{result.best_epoch}, {result.epochs_run} epochs, "
            f"{1000 * result.time_per_epoch:.1f} ms/epoch{at_once}")
