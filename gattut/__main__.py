"""The command line: ``python -m gattut train ...`` and ``python -m gattut reproduce ...``.

Examples::

    python -m gattut train --dataset cora --model gat --seeds 10
    python -m gattut train --dataset citeseer --model gcn --device cpu --json out.json
    python -m gattut train --dataset cora --checkpoint runs/cora.pt --resume
    python -m gattut train --dataset pubmed --model gat --fanouts 10,10 --batch-size 512
    torchrun --standalone --nproc-per-node 2 -m gattut train --dataset pubmed --fanouts 10,10
    python -m gattut reproduce --seeds 100 --out results/
    python -m gattut reproduce --fast

Errors a user can act on (an unknown name, CUDA asked for and absent, a
dataset that is not on disk, a checkpoint from another model) print one line
on stderr and exit with status 2, with no traceback and no file written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["main"]

_DATASET_HELP = ("cora, citeseer, pubmed (Planetoid, transductive), ppi (inductive), "
                 "csbm (synthetic, no files needed)")
_MODEL_HELP = "gat, gatv2, gcn, mlp"


class UsageError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage block), exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gattut",
        description="Train the GAT paper's models and reproduce its results.",
        epilog=f"datasets: {_DATASET_HELP}. models: {_MODEL_HELP}.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{train,reproduce}", parser_class=_Parser)

    train = sub.add_parser(
        "train", help="train one model on one dataset for one or more seeds",
        description="Train one model on one dataset with the paper's settings; print mean +- std "
                    "of the test metric over the seeds.",
        epilog=f"datasets: {_DATASET_HELP}. models: {_MODEL_HELP}.",
    )
    train.add_argument("--dataset", default="cora", help=f"one of: {_DATASET_HELP} (default cora)")
    train.add_argument("--model", default="gat", help=f"one of: {_MODEL_HELP} (default gat)")
    train.add_argument("--seeds", type=int, default=1, help="how many seeds (0, 1, ...) to run")
    train.add_argument("--seed-start", type=int, default=0, help="first seed (default 0)")
    train.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, or cuda[:k]")
    train.add_argument("--epochs", type=int, default=None, help="maximum epochs (paper: 100000)")
    train.add_argument("--patience", type=int, default=None, help="early-stopping patience (paper: 100)")
    train.add_argument("--monitor", choices=["both", "metric", "loss"], default=None,
                       help="early stopping on validation accuracy and loss (both: the paper's "
                            "code), accuracy alone (metric: the paper's CiteSeer figure) or "
                            "loss alone")
    train.add_argument("--lr", type=float, default=None, help="learning rate (default: the paper's)")
    train.add_argument("--weight-decay", type=float, default=None, help="L2 coefficient (default: the paper's)")
    train.add_argument("--bf16", action="store_true", help="bf16 autocast")
    train.add_argument("--compile", action="store_true", help="torch.compile the model")
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    train.add_argument("--json", default=None, help="write the results to this JSON file")
    train.add_argument("--checkpoint", default=None,
                       help="checkpoint file (with several seeds, .seedK is added before the suffix)")
    train.add_argument("--checkpoint-every", type=int, default=10, help="epochs between checkpoints")
    train.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--stacked", type=int, default=1,
                       help="train this many seeds at once as one stacked model (fast on a GPU; "
                            "one-graph datasets; no checkpoints, bf16 or compile)")
    train.add_argument("--fanouts", default=None,
                       help="train on sampled mini-batches: neighbours per node and layer, hop 1 "
                            "first, comma-separated (e.g. 10,10; -1 = all)")
    train.add_argument("--batch-size", type=int, default=None,
                       help="training nodes per mini-batch (with --fanouts; default 512)")
    train.add_argument("--backend", default="auto",
                       help="under torchrun: auto (nccl on CUDA, gloo on CPU), gloo or nccl")
    train.add_argument("--split", default="random", choices=("random", "metis"),
                       help="under torchrun: how the processes share the training nodes "
                            "(default random; metis: part by part)")

    rep = sub.add_parser(
        "reproduce", help="run the reproduction ledger (GAT, GATv2, GCN, MLP on every dataset)",
        description="Train every model on every dataset for several seeds and write ledger.md "
                    "and ledger.json. Rows already in the ledger keep their seeds.",
    )
    rep.add_argument("--seeds", type=int, default=None, help="seeds per row (default 10; --fast: 2)")
    rep.add_argument("--seed-start", type=int, default=0,
                     help="first seed (default 0): rows get seeds START .. START+SEEDS-1, so a "
                          "second process can fill other seeds into another --out")
    rep.add_argument("--fast", action="store_true",
                     help="CI mode: 2 seeds, at most 300 epochs, Cora and CiteSeer; default --out results/fast")
    rep.add_argument("--out", default=None, help="output folder (default results/)")
    rep.add_argument("--datasets", default=None, help="comma-separated subset (default: all)")
    rep.add_argument("--models", default=None, help="comma-separated subset (default: all)")
    rep.add_argument("--device", default="auto", help="auto, cpu, or cuda[:k]")
    rep.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    rep.add_argument("--fresh", action="store_true", help="discard the rows already in the ledger")
    rep.add_argument("--stacked", type=int, default=1,
                     help="train this many seeds at once as one stacked model (fast on a GPU; "
                          "Planetoid rows only; default 1: one at a time)")
    return parser


# The TrainConfig fields the flags set, for messages that name a field.
_FLAGS = {"max_epochs": "--epochs", "checkpoint_every": "--checkpoint-every",
          "weight_decay": "--weight-decay", "lr": "--lr", "patience": "--patience",
          "monitor": "--monitor",
          "stacked": "--stacked", "bf16": "--bf16", "compile": "--compile",
          "checkpoint": "--checkpoint", "fanouts": "--fanouts", "batch_size": "--batch-size"}


@contextmanager
def _as_usage(flags: bool = False):
    """Turn the runner's ValueError (a setting out of range, a bad path) into a UsageError."""
    try:
        yield
    except ValueError as exc:
        text = str(exc).replace("TrainConfig: ", "")
        if flags:
            text = re.sub(r"\b(" + "|".join(_FLAGS) + r")\b", lambda m: _FLAGS[m.group(1)], text)
        raise UsageError(text) from exc


def _machine(device: str, threads: int | None):
    """The torch device asked for, and the CPU threads set; UsageError if either cannot be."""
    import torch

    from gattut.utils import get_device

    if threads is not None:
        if threads < 1:
            raise UsageError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    try:
        return get_device(device)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(str(exc)) from exc


def _fanouts(text: str | None) -> list[int] | None:
    """``--fanouts 10,10`` as ``[10, 10]``; UsageError for anything but comma-separated ints."""
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"--fanouts must be comma-separated ints, one per layer (e.g. 10,10; "
                         f"-1 = all), got {text!r}") from None


def _backend(args: argparse.Namespace, fanouts: list[int] | None, device) -> str | None:
    """The torch.distributed backend when torchrun started this process, else None; UsageError
    for what a data-parallel run cannot do (NCCL without GPUs, full-batch training)."""
    from gattut.train.distributed import choose_backend, launched_by_torchrun

    with _as_usage():
        backend = choose_backend(args.backend, device)
    if not launched_by_torchrun():
        if args.backend != "auto" or args.split != "random":
            raise UsageError("--backend and --split are for runs started by torchrun "
                             "(RANK and WORLD_SIZE are not set)")
        return None
    if fanouts is None:
        raise UsageError("under torchrun the processes train on mini-batches: add --fanouts "
                         "(e.g. --fanouts 10,10) and --batch-size")
    return backend


def _train(args: argparse.Namespace) -> int:
    from gattut.data import ChecksumError, DataNotFoundError
    from gattut.train.registry import load_dataset
    from gattut.train.runner import (
        check_checkpoints,
        check_output_file,
        check_run,
        describe,
        run_seeds,
        summarize,
    )

    for flag, value in (("--seeds", args.seeds), ("--stacked", args.stacked)):
        if value < 1:
            raise UsageError(f"{flag} must be >= 1, got {value}")
    if args.seed_start < 0:
        raise UsageError(f"--seed-start must be >= 0, got {args.seed_start}")
    if args.resume and not args.checkpoint:
        raise UsageError("--resume needs --checkpoint FILE")
    fanouts = _fanouts(args.fanouts)
    device = _machine(args.device, args.threads)
    backend = _backend(args, fanouts, device)
    seeds = list(range(args.seed_start, args.seed_start + args.seeds))
    chosen = {"max_epochs": args.epochs, "patience": args.patience, "lr": args.lr,
              "weight_decay": args.weight_decay, "monitor": args.monitor}
    settings = {k: v for k, v in chosen.items() if v is not None}
    settings.update(device=str(device), bf16=args.bf16, compile=args.compile,
                    checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every,
                    resume=args.resume, progress=not args.no_progress)
    # Everything that can be refused is refused here, before any data is read.
    with _as_usage(flags=True):
        model, dataset, _ = check_run(args.model, args.dataset, seeds, args.stacked, fanouts,
                                      args.batch_size, **settings)
    with _as_usage():
        if args.json:
            check_output_file(args.json, "--json")
    try:
        data = load_dataset(dataset)
    except (DataNotFoundError, ChecksumError) as exc:
        raise UsageError(f"dataset {dataset!r} is not available: {exc}") from exc
    with _as_usage():  # a checkpoint that exists without --resume, or cannot be resumed
        check_checkpoints(model, dataset, data, seeds, args.checkpoint, args.resume)
    if backend is not None:  # one of several processes: join them, and only rank 0 prints
        from gattut.train.distributed import init_distributed, shutdown

        with _as_usage():
            world = int(os.environ["WORLD_SIZE"])
            if world > int(data.train_mask.sum()):
                raise ValueError(f"world size {world} is larger than the training set "
                                 f"({int(data.train_mask.sum())} training nodes in {dataset}); "
                                 "start at most that many processes")
            main_rank = init_distributed(backend, device).is_main
    else:
        main_rank, shutdown = True, (lambda: None)

    def report(result, together: int) -> None:
        if main_rank:
            print(describe(result, together), flush=True)

    try:
        results = run_seeds(model, dataset, seeds, data, stacked=args.stacked, on_result=report,
                            fanouts=fanouts, batch_size=args.batch_size, split=args.split,
                            **settings)
    finally:
        shutdown()
    if not main_rank:
        return 0
    summary = summarize(results)
    unit = "%" if summary["metric"] == "accuracy" else ""
    at_once = f" of {min(args.stacked, len(seeds))} seeds at once" if args.stacked > 1 else ""
    print(f"{dataset} {model}: test {summary['metric']} {summary['mean']:.2f}{unit} +- "
          f"{summary['std'] or 0.0:.2f} over {len(seeds)} seed(s); "
          f"{summary['mean_epochs']:.0f} epochs on average, "
          f"{1000 * summary['mean_time_per_epoch']:.1f} ms/epoch{at_once} on {device}")
    if args.json:
        from gattut.utils import atomic_write

        out = {"dataset": dataset, "model": model, "metric": summary["metric"],
               "mean": summary["mean"], "std": summary["std"] or 0.0, "seeds": seeds,
               "device": str(device), "runs": [r.to_dict(history=False) for r in results]}
        atomic_write(args.json, lambda f: f.write((json.dumps(out, indent=2) + "\n").encode()))
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from gattut.train.ledger import read_ledger, run_ledger
    from gattut.train.registry import LEDGER_DATASETS, MODELS, check_name

    def names(text: str | None, kind: str, known: tuple[str, ...], default: tuple[str, ...]):
        if text is None:
            return default
        with _as_usage():
            chosen = tuple(check_name(kind, t) for t in text.split(",") if t.strip())
        bad = [t for t in chosen if t not in known]
        if bad:
            raise UsageError(f"{kind} {bad[0]!r} has no ledger row; choose from: {', '.join(known)}")
        return chosen

    datasets = names(args.datasets, "dataset", LEDGER_DATASETS,
                     ("cora", "citeseer") if args.fast else LEDGER_DATASETS)
    models = names(args.models, "model", MODELS, MODELS)
    seeds = args.seeds if args.seeds is not None else (2 if args.fast else 10)
    for flag, value in (("--seeds", seeds), ("--stacked", args.stacked)):
        if value < 1:
            raise UsageError(f"{flag} must be >= 1, got {value}")
    if args.seed_start < 0:
        raise UsageError(f"--seed-start must be >= 0, got {args.seed_start}")
    out = Path(args.out or ("results/fast" if args.fast else "results"))
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; name a directory")
    with _as_usage():
        read_ledger(out)  # a ledger.json that is not a ledger is named before any training
    _machine(args.device, args.threads)
    ledger = run_ledger(out, seeds=seeds, datasets=datasets, models=models, device=args.device,
                        fresh=args.fresh, max_epochs=300 if args.fast else None,
                        stacked=args.stacked, seed_start=args.seed_start)
    print(f"wrote {out / 'ledger.md'} and {out / 'ledger.json'} "
          f"({sum(len(r['runs']) for r in ledger['rows'])} runs)")
    return 0


def _torch_version() -> str:
    import torch

    return torch.__version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 usage or input error)."""
    from gattut.data import ChecksumError, DataNotFoundError
    from gattut.train.checkpoint import CheckpointMismatchError

    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return _train(args) if args.command == "train" else _reproduce(args)
    except (UsageError, CheckpointMismatchError, DataNotFoundError, ChecksumError) as exc:
        # One line, whatever the message holds: learners read the last line first.
        text = " ".join(str(exc).split())
        print(f"gattut: error: {text}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:
        # An option this torch build cannot run (e.g. bf16 with a sparse kernel).
        text = " ".join(str(exc).split())
        print(f"gattut: error: not supported by torch {_torch_version()} here: {text}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gattut: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
