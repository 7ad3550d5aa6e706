"""The command line: ``python -m gattut train ...`` and ``python -m gattut reproduce ...``.

Examples::

    python -m gattut train --dataset cora --model gat --seeds 10
    python -m gattut train --dataset citeseer --model gcn --device cpu --json out.json
    python -m gattut train --dataset cora --checkpoint runs/cora.pt --resume
    python -m gattut reproduce --seeds 100 --out results/
    python -m gattut reproduce --fast

Errors a user can act on (an unknown name, CUDA asked for and absent, a
dataset that is not on disk, a checkpoint from another model) print one line
on stderr and exit with status 2, with no traceback and no file written.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
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

    rep = sub.add_parser(
        "reproduce", help="run the reproduction ledger (GAT, GATv2, GCN, MLP on every dataset)",
        description="Train every model on every dataset for several seeds and write ledger.md "
                    "and ledger.json. Rows already in the ledger keep their seeds.",
    )
    rep.add_argument("--seeds", type=int, default=None, help="seeds per row (default 10; --fast: 2)")
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


def _checkpoint_for(base: str | None, seed: int, many: bool) -> str | None:
    if base is None or not many:
        return base
    path = Path(base)
    return str(path.with_name(f"{path.stem}.seed{seed}{path.suffix}"))


def _train(args: argparse.Namespace) -> int:
    import torch

    from gattut.data import DataNotFoundError
    from gattut.train.checkpoint import load_checkpoint
    from gattut.train.loop import fit_inductive, fit_transductive
    from gattut.train.registry import DATASETS, MODELS, build_model, load_dataset, paper_config
    from gattut.utils import get_device, set_seed

    dataset, model_name = args.dataset.strip().lower(), args.model.strip().lower()
    if dataset not in DATASETS:
        raise UsageError(f"unknown dataset {args.dataset!r}; choose one of: {', '.join(DATASETS)}")
    if model_name not in MODELS:
        raise UsageError(f"unknown model {args.model!r}; choose one of: {', '.join(MODELS)}")
    if args.seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {args.seeds}")
    if args.resume and not args.checkpoint:
        raise UsageError("--resume needs --checkpoint FILE")
    if args.stacked < 1:
        raise UsageError(f"--stacked must be >= 1, got {args.stacked}")
    if args.stacked > 1:
        clash = [flag for flag, on in (("--checkpoint", args.checkpoint), ("--bf16", args.bf16),
                                       ("--compile", args.compile)) if on]
        if clash:
            raise UsageError(f"--stacked cannot be combined with {', '.join(clash)}")
        if dataset == "ppi":
            raise UsageError("--stacked needs a one-graph dataset (cora, citeseer, pubmed, csbm), not ppi")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        device = get_device(args.device)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    try:
        data = load_dataset(dataset)
    except DataNotFoundError as exc:
        raise UsageError(f"dataset {dataset!r} is not available: {exc}") from exc

    seeds = list(range(args.seed_start, args.seed_start + args.seeds))
    many = len(seeds) > 1
    overrides = {k: v for k, v in {"max_epochs": args.epochs, "patience": args.patience,
                                    "lr": args.lr, "weight_decay": args.weight_decay}.items()
                 if v is not None}

    def make(seed: int):
        set_seed(seed)
        if isinstance(data, tuple):
            first = data[0][0]
            return build_model(model_name, dataset, first.num_features, first.num_classes)
        return build_model(model_name, dataset, data.num_features, data.num_classes)

    # Check every checkpoint before training anything, so that a wrong file
    # stops the run with nothing written and nothing overwritten.
    for seed in seeds:
        file = _checkpoint_for(args.checkpoint, seed, many)
        if file is None or not Path(file).exists():
            continue
        if not args.resume:
            raise UsageError(f"checkpoint {file} exists; pass --resume to continue it, "
                             "or choose another --checkpoint")
        load_checkpoint(file, make(seed))  # raises CheckpointMismatchError naming the difference

    results = []
    if args.stacked > 1:
        from gattut.train.seeds import fit_stacked
        from gattut.train.stacked import stack_models

        for start in range(0, len(seeds), args.stacked):
            group = seeds[start:start + args.stacked]
            config = paper_config(model_name, dataset, seed=group[0], device=str(device),
                                  progress=not args.no_progress, **overrides).validate()
            done = fit_stacked(stack_models([make(seed) for seed in group]), data, config, seeds=group)
            for result in done:
                print(f"seed {result.seed}: test {result.metric} {result.test_metric:.4f}, "
                      f"best epoch {result.best_epoch}, {result.epochs_run} epochs", flush=True)
            results += done
    for seed in seeds if args.stacked == 1 else []:
        config = paper_config(
            model_name, dataset, seed=seed, device=str(device), bf16=args.bf16,
            compile=args.compile, checkpoint=_checkpoint_for(args.checkpoint, seed, many),
            checkpoint_every=args.checkpoint_every, resume=args.resume,
            progress=not args.no_progress, **overrides,
        ).validate()
        model = make(seed)
        if isinstance(data, tuple):
            result = fit_inductive(model, *data, config)
        else:
            result = fit_transductive(model, data, config)
        results.append(result)
        print(f"seed {seed}: test {result.metric} {result.test_metric:.4f}, "
              f"best epoch {result.best_epoch}, {result.epochs_run} epochs, "
              f"{1000 * result.time_per_epoch:.1f} ms/epoch", flush=True)

    scale = 100.0 if results[0].metric == "accuracy" else 1.0
    values = [scale * r.test_metric for r in results]
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    unit = "%" if scale == 100.0 else ""
    print(f"{dataset} {model_name}: test {results[0].metric} {mean:.2f}{unit} +- {std:.2f} "
          f"over {len(values)} seed(s); {statistics.fmean(r.epochs_run for r in results):.0f} epochs "
          f"on average, {1000 * statistics.fmean(r.time_per_epoch for r in results):.1f} ms/epoch"
          f"{f' of {min(args.stacked, len(seeds))} seeds at once' if args.stacked > 1 else ''} on {device}")
    if args.json:
        import json

        summary = {"dataset": dataset, "model": model_name, "metric": results[0].metric,
                   "mean": mean, "std": std, "seeds": seeds, "device": str(device),
                   "runs": [r.to_dict(history=False) for r in results]}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    import torch

    from gattut.train.ledger import LEDGER_DATASETS, LEDGER_MODELS, run_ledger
    from gattut.utils import get_device

    def names(text: str | None, known: tuple[str, ...], kind: str, default: tuple[str, ...]):
        if text is None:
            return default
        chosen = [t.strip().lower() for t in text.split(",") if t.strip()]
        bad = [t for t in chosen if t not in known]
        if bad:
            raise UsageError(f"unknown {kind} {bad[0]!r}; choose from: {', '.join(known)}")
        return tuple(chosen)

    datasets = names(args.datasets, LEDGER_DATASETS, "dataset",
                     ("cora", "citeseer") if args.fast else LEDGER_DATASETS)
    models = names(args.models, LEDGER_MODELS, "model", LEDGER_MODELS)
    seeds = args.seeds if args.seeds is not None else (2 if args.fast else 10)
    if seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {seeds}")
    if args.stacked < 1:
        raise UsageError(f"--stacked must be >= 1, got {args.stacked}")
    out = args.out or ("results/fast" if args.fast else "results")
    try:
        get_device(args.device)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    ledger = run_ledger(out, seeds=seeds, datasets=datasets, models=models, device=args.device,
                        fresh=args.fresh, max_epochs=300 if args.fast else None,
                        stacked=args.stacked)
    print(f"wrote {Path(out) / 'ledger.md'} and {Path(out) / 'ledger.json'} "
          f"({sum(len(r['runs']) for r in ledger['rows'])} runs)")
    return 0


def _torch_version() -> str:
    import torch

    return torch.__version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 usage or input error)."""
    from gattut.data import DataNotFoundError
    from gattut.train.checkpoint import CheckpointMismatchError

    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return _train(args) if args.command == "train" else _reproduce(args)
    except (UsageError, CheckpointMismatchError, DataNotFoundError) as exc:
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
