"""The reproduction ledger: our numbers beside the paper's, with the seeds and the machine.

``python -m gattut reproduce`` (or ``benchmarks/reproduce.py``) trains each
model on each dataset for several seeds with the paper's protocol (the
settings of :mod:`gattut.train.registry`, early stopping on the validation
split, the test split scored once at the end) and writes

- ``ledger.json``: every seed's test metric, epochs and time per epoch, per
  (dataset, model) row, with the machine each row ran on;
- ``ledger.md``: a table of mean +- standard deviation (sample standard
  deviation, ``ddof=1``) over the seeds, beside the published figures.

The files are rewritten after every seed, atomically, so a run that is
stopped keeps what it measured. A new run continues the rows it finds:
seeds already recorded are skipped (``fresh=True`` starts over). Two
processes can fill one row side by side: each runs its own range of seeds
(``seed_start``) into its own folder, and :func:`merge_ledgers` with
``runs=True`` adds one's runs to the other's row, seed by seed. A row whose
data is missing says ``not run: data not available``; a row never attempted
says ``not run``. No figure is written that was not measured.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from gattut.train import registry
from gattut.train.registry import LEDGER_DATASETS, MODELS, check_pair
from gattut.train.runner import describe, run_seeds, summarize
from gattut.utils import atomic_write, get_device

__all__ = ["LEDGER_DATASETS", "LEDGER_MODELS", "PAPER", "code_version", "machine_info",
           "merge_ledgers", "read_ledger", "render_markdown", "run_ledger", "write_ledger"]

LEDGER_MODELS = MODELS  # every model has a row on every dataset it is set up for

# Published figures: (mean, std or None, source). Accuracy in %, PPI micro-F1 as a fraction.
PAPER: dict[tuple[str, str], tuple[float, float | None, str]] = {
    ("cora", "gat"): (83.0, 0.7, "Velickovic et al. 2018"),
    ("citeseer", "gat"): (72.5, 0.7, "Velickovic et al. 2018"),
    ("pubmed", "gat"): (79.0, 0.3, "Velickovic et al. 2018"),
    ("ppi", "gat"): (0.973, 0.002, "Velickovic et al. 2018"),
    ("cora", "gcn"): (81.5, None, "Kipf & Welling 2017"),
    ("citeseer", "gcn"): (70.3, None, "Kipf & Welling 2017"),
    ("pubmed", "gcn"): (79.0, None, "Kipf & Welling 2017"),
}


def machine_info(device: torch.device | str = "cpu") -> dict[str, Any]:
    """The CPU model and threads, or the GPU name, and the torch version a row ran with."""
    device = torch.device(device)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "device": str(device)}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def code_version() -> str:
    """The git commit of the gattut checkout (``-dirty`` if ``gattut/`` has changes), or the version."""
    import subprocess

    import gattut

    root = Path(gattut.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "gattut"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"gattut {gattut.__version__}"
    return commit + ("-dirty" if dirty else "")


def _describe(info: dict[str, Any]) -> str:
    if "gpu" in info:
        return f"{info['gpu']}, torch {info['torch']}"
    return (f"{info['cpu']} ({info['torch_threads']} of {info['cpu_count']} threads), "
            f"torch {info['torch']}")


def _atomic_write(file: Path, text: str) -> None:
    atomic_write(file, lambda f: f.write(text.encode("utf-8")))


def _summary(row: dict[str, Any]) -> None:
    """Recompute a row's means from its per-seed lists (in place)."""
    runs = row["runs"]
    if not runs:
        return
    row.update({k: v for k, v in summarize(runs).items() if k != "metric"})
    row["wall_s"] = sum(r.get("wall_s", 0.0) for r in runs)
    row["stacked"] = max(r.get("stacked", 1) for r in runs)
    row["status"] = "measured"


def _fmt(mean: float | None, std: float | None, metric: str) -> str:
    if mean is None:
        return ""
    digits = 1 if metric == "accuracy" else 3
    return f"{mean:.{digits}f}" + (f" +- {std:.{digits}f}" if std is not None else "")


def _duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def render_markdown(ledger: dict[str, Any]) -> str:
    """The ledger as a markdown table (accuracy in %, PPI micro-F1 as a fraction)."""
    lines = [
        "# Reproduction ledger",
        "",
        "Test accuracy (%) on the Planetoid splits and micro-F1 on PPI: mean +- sample standard",
        "deviation over the seeds listed, each seed a fresh initialisation and dropout stream, the",
        "model chosen by the GAT paper's early stopping on the validation split (patience 100).",
        "Written by `python -m gattut reproduce`; every figure here was measured, none copied.",
        "",
        *([ledger["note"], ""] if ledger.get("note") else []),
        "| Dataset | Model | Ours | Seeds | Paper | Epochs (mean) | Time / epoch (median) | Row time | Machine |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for row in ledger["rows"]:
        paper = PAPER.get((row["dataset"], row["model"]))
        paper_text = f"{_fmt(paper[0], paper[1], row['metric'])} ({paper[2]})" if paper else ""
        if row.get("status") == "measured":
            cap = f" (cap {row['max_epochs']})" if row.get("max_epochs") else ""
            stacked = row.get("stacked", 1)
            per_epoch = f"{1000 * row['median_time_per_epoch']:.1f} ms" + (
                f" ({stacked} seeds at once)" if stacked > 1 else "")
            lines.append(
                f"| {row['dataset']} | {row['model']} | {_fmt(row['mean'], row['std'], row['metric'])} "
                f"| {row['num_seeds']} | {paper_text} | {row['mean_epochs']:.0f}{cap} "
                f"| {per_epoch} | {_duration(row.get('wall_s'))} | {_describe(row['machine'])} |"
            )
        else:
            lines.append(f"| {row['dataset']} | {row['model']} | {row.get('status', 'not run')} "
                         f"| 0 | {paper_text} | | | | |")
    lines += [
        "",
        "Protocol: the standard Planetoid split (20 labels a class, 500 validation, 1,000 test",
        "nodes), features divided by their row sums, seeds 0, 1, 2, ... GAT and GATv2: two layers,",
        "8 heads x 8 features, ELU, dropout 0.6 on inputs and attention, Adam lr 0.005, L2 5e-4.",
        "GAT is the original code's model (`GAT(original=True)`): each head draws its own input",
        "mask and W h is dropped again before the weighted sum, each head's score has a learned",
        "bias inside the LeakyReLU, weights start from per-head Glorot bounds, and the L2 term",
        "reaches the biases too. GATv2: one input mask, no L2 on biases. GCN (16 hidden) and the",
        "MLP (64 hidden): dropout 0.5, lr 0.01, L2 5e-4 on the weights. Every model uses the GAT",
        "paper's early stopping (patience 100 on validation accuracy and loss), not the 200 epochs",
        "and window of 10 of Kipf & Welling. Nothing is tuned on the test split.",
        "",
        "One row again: `python -m gattut reproduce --datasets cora --models gat --seeds 100",
        "--device cpu --threads 1` (seeds already in `ledger.json` are kept, missing ones run);",
        "on a GPU add `--stacked 100 --device cuda`.",
        "",
        "Row time is the wall time of all the row's seeds (training, validation and test), which",
        "sums the runs of several sessions when a row was filled in parts. \"Seeds at once\": the",
        "row's seeds were trained side by side as one stacked model (`--stacked`, see",
        "`gattut/train/stacked.py`): the same protocol and initial weights, other dropout streams;",
        "the time per epoch is then that of one epoch of all those seeds together.",
        "",
        "Times are wall-clock on a machine shared with other jobs: compare them within",
        "one row's machine only. Time / epoch is the median over the row's seeds, so a run",
        "slowed by other work moves it little (`ledger.json` has each run's time and the",
        "mean). Each run's gattut commit is in `ledger.json` (`code`); a row may mix runs",
        "from before and after a speed-up of the layers, which changes the time per epoch",
        "and the dropout random stream but not the maths. Standard deviations are empty for",
        "a single seed.",
        "",
    ]
    return "\n".join(lines)


def write_ledger(ledger: dict[str, Any], out: str | Path) -> None:
    """Write ``out/ledger.json`` and ``out/ledger.md``, each atomically."""
    out = Path(out)
    _atomic_write(out / "ledger.json", json.dumps(ledger, indent=1) + "\n")
    _atomic_write(out / "ledger.md", render_markdown(ledger))


def _empty_row(dataset: str, model: str) -> dict[str, Any]:
    metric = "micro_f1" if dataset == "ppi" else "accuracy"
    return {"dataset": dataset, "model": model, "metric": metric, "status": "not run", "runs": []}


def read_ledger(out: str | Path) -> dict[str, Any]:
    """The ledger in ``out/ledger.json`` (``{"rows": []}`` if there is none); ValueError naming a bad file."""
    file = Path(out) / "ledger.json"
    if not file.exists():
        return {"rows": []}
    try:
        ledger = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{file} is not a ledger (not readable JSON: {exc}); move it away "
                         "or pass --fresh") from exc
    if not isinstance(ledger, dict) or not isinstance(ledger.get("rows"), list):
        raise ValueError(f"{file} is not a ledger (no list of rows); move it away or pass --fresh")
    for row in ledger["rows"]:
        _summary(row)  # a ledger written by an older gattut lacks newer summary keys
    return ledger


def _same_machine(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    keys = ("cpu", "gpu", "torch_threads", "torch", "device")
    return bool(a and b) and all(a.get(k) == b.get(k) for k in keys)


def merge_ledgers(source: dict[str, Any], dest: dict[str, Any],
                  datasets: Sequence[str] | None = None, models: Sequence[str] | None = None,
                  runs: bool = False) -> list[str]:
    """Copy ``source``'s measured rows into ``dest`` (in place); one line per row copied.

    Rows are picked by ``datasets`` and ``models`` (None: all) and must exist
    in ``dest``. By default a row replaces ``dest``'s row whole. With
    ``runs=True`` its runs are added to ``dest``'s row, seed by seed, as when
    a second process filled other seeds of the same row: both rows must have
    run on the same machine, and a seed in both must have the same result.

    Raises:
        ValueError: a row ``dest`` lacks, other machines, or a seed that differs.
    """
    index = {(r["dataset"], r["model"]): r for r in dest["rows"]}
    lines = []
    for row in source["rows"]:
        key = (row["dataset"], row["model"])
        if (datasets and key[0] not in datasets) or (models and key[1] not in models):
            continue
        if row.get("status") != "measured":
            continue
        if key not in index:
            raise ValueError(f"{key[0]} {key[1]}: the destination ledger has no such row")
        mine = index[key]
        if not runs:
            row = copy.deepcopy(row)
            dest["rows"][dest["rows"].index(mine)] = row
        else:
            if mine.get("runs") and not _same_machine(row.get("machine"), mine.get("machine")):
                raise ValueError(f"{key[0]} {key[1]}: the rows ran on different machines "
                                 f"({_describe(row['machine'])} and {_describe(mine['machine'])}); "
                                 "merge whole rows instead")
            have = {r["seed"]: r for r in mine["runs"]}
            for run in row["runs"]:
                old = have.get(run["seed"])
                if old is None:
                    mine["runs"].append(copy.deepcopy(run))
                elif any(old[k] != run[k] for k in ("test_metric", "epochs_run")):
                    raise ValueError(f"{key[0]} {key[1]}: seed {run['seed']} is in both ledgers "
                                     "with different results")
            mine["runs"].sort(key=lambda r: r["seed"])
            mine.setdefault("machine", copy.deepcopy(row.get("machine")))
            _summary(mine)
            row = mine
        lines.append(f"{key[0]} {key[1]}: {row['num_seeds']} seeds, "
                     f"{row['mean']:.2f} +- {row['std'] or 0:.2f}")
    return lines


def run_ledger(
    out: str | Path = "results",
    seeds: int = 10,
    datasets: Sequence[str] = LEDGER_DATASETS,
    models: Sequence[str] = LEDGER_MODELS,
    device: str = "auto",
    fresh: bool = False,
    max_epochs: int | None = None,
    log: Callable[[str], None] = print,
    stacked: int = 1,
    seed_start: int = 0,
) -> dict[str, Any]:
    """Train every (dataset, model) pair for seeds ``seed_start .. seed_start+seeds-1`` into ``out``.

    Rows already in ``out/ledger.json`` keep their seeds and get the missing
    ones added; rows for pairs not asked for are kept as they are.
    ``stacked > 1`` trains that many seeds at once as one stacked model
    (:mod:`gattut.train.seeds`; transductive rows only): the same protocol
    and initial weights, other dropout streams, many times faster on a GPU.

    Returns the ledger (the content of ``ledger.json``).
    """
    from gattut.data import DataNotFoundError

    out = Path(out)
    torch_device = get_device(device)
    ledger = {"rows": []} if fresh else read_ledger(out)
    rows = {(r["dataset"], r["model"]): r for r in ledger["rows"]}
    for d in LEDGER_DATASETS:
        for m in LEDGER_MODELS:
            try:
                check_pair(m, d)  # the paper's PPI figure is for GAT only
            except ValueError:
                continue
            rows.setdefault((d, m), _empty_row(d, m))
    ledger["rows"] = [rows[k] for k in sorted(rows, key=lambda k: (
        LEDGER_DATASETS.index(k[0]), LEDGER_MODELS.index(k[1])))]
    ledger["machine"] = machine_info(torch_device)
    code = code_version()

    for d in datasets:
        try:
            data = registry.load_dataset(d)
        except DataNotFoundError:
            for m in models:
                if (d, m) in rows and not rows[(d, m)]["runs"]:
                    rows[(d, m)]["status"] = "not run: data not available"
            log(f"{d}: not run: data not available")
            write_ledger(ledger, out)
            continue
        for m in models:
            row = rows.get((d, m))
            if row is None:
                continue
            done = {r["seed"] for r in row["runs"]}
            todo = [seed for seed in range(seed_start, seed_start + seeds) if seed not in done]
            overrides: dict[str, Any] = {"device": device, "progress": False}
            if max_epochs is not None:
                overrides["max_epochs"] = max_epochs
            group = max(1, stacked) if not isinstance(data, tuple) else 1
            for start in range(0, len(todo), group):
                chunk = todo[start:start + group]
                t0 = time.perf_counter()
                results = run_seeds(m, d, chunk, data, stacked=group, **overrides)
                wall = (time.perf_counter() - t0) / len(chunk)
                for result in results:
                    run = {**result.to_dict(history=False), "wall_s": wall, "code": code}
                    if group > 1:
                        run["stacked"] = len(chunk)
                    row["runs"].append(run)
                    log(f"{d} {m} {describe(result, len(chunk))}")
                row["machine"] = machine_info(torch_device)
                if max_epochs is not None:
                    row["max_epochs"] = max_epochs
                _summary(row)
                write_ledger(ledger, out)
    write_ledger(ledger, out)
    return ledger
