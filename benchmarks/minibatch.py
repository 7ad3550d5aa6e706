"""Mini-batch training at scale: full batch against sampled mini-batches, sampling's share, accuracy.

Usage:
    python benchmarks/minibatch.py --quick                     # smoke test: tiny sizes (a minute)
    python benchmarks/minibatch.py memory                      # 1M, 2M, 4M nodes (long; needs ~12 GB)
    python benchmarks/minibatch.py memory --sizes 1000000 --device cuda
    python benchmarks/minibatch.py share --size 1000000        # sampling's share of a step, 1 thread
    python benchmarks/minibatch.py accuracy --seeds 10         # Cora, CiteSeer, PubMed vs the ledger
    python benchmarks/minibatch.py ddp                         # 1 process vs 2, PubMed and an SBM
    python benchmarks/minibatch.py all --out results/minibatch.json

Four measurements (each writes its rows into ``--out``, a JSON file):

``memory``
    A sparse contextual SBM (``C`` classes, average degree 10, 128 Gaussian
    features around a class mean: :func:`gattut.data.synthetic.sparse_csbm`) of each size.
    For each size and mode (``full``: one step on the whole graph; ``mini``:
    one epoch of batches of ``--batch-size`` training nodes with fanouts
    ``--fanouts``, prefetch on), a fresh Python process builds the graph,
    features, model, optimiser and (mini) the sampler's CSR, reads its
    resident set size (RSS) as the baseline, resets the kernel's high-water
    mark (``/proc/self/clear_refs``), trains, and reports the peak RSS
    (``VmHWM``) minus the baseline: the memory the training needs above the
    stored graph and features. Each process caps its address space
    (``--limit-gb``, at most 75% of the memory available), so one that would
    not fit fails alone; a full-batch size whose memory, extrapolated
    linearly from the previous size, would pass the limit is skipped and
    said so. On CUDA the memory is PyTorch's peak allocation above the
    allocation after set-up.
``share``
    On one thread, for ``--steps`` batches: the time to sample a batch and
    gather its input features, and the time of its training step; the share
    is sampling / (sampling + step). Then one epoch with ``prefetch=0`` and
    one with ``prefetch=1`` (sampling in a background thread).
``accuracy``
    ``run_seeds(model, dataset, seeds, fanouts=[10, 10], batch_size=512)``
    (the command line's ``--fanouts 10,10 --batch-size 512``), with the
    papers' settings, against the shipped ledger's full-batch rows.
``ddp``
    Epoch throughput of ``--world-sizes`` processes (default 1 and 2), one
    thread each, gloo, ``--split metis`` (a random split's 2-hop halos cover
    nearly the whole graph), on ``--ddp-datasets`` (default PubMed and a
    sparse contextual SBM of ``--ddp-size`` nodes, ``--ddp-train-fraction``
    of them training). Each case runs in a fresh Python process that starts
    its ranks with ``run_processes``; every rank runs ``fit_distributed``
    for one epoch to warm up, then ``--epochs`` epochs, timed by the loop
    itself (``time_per_epoch``: a training pass over the rank's share, then
    exact validation of its part); validation's layer-wise inference is timed
    apart, so training = epoch - validation. ``--batch-size`` is per rank
    (as ``torchrun -m gattut``), so every case trains each training node once
    an epoch; ``--global-batch`` divides it among the ranks instead.
    PubMed's paper split trains 60 nodes (one step an epoch, so its epoch is
    mostly validation); ``--planetoid-train rest`` trains every node outside
    validation and test instead (18,217 on PubMed), a throughput setting.
    ``--prefetch 0`` (the default here) keeps each process to its one thread:
    with prefetch, sampling runs in a second thread, which one process alone
    could run on the second core. Printed:
    each case's epoch, training and validation times (the slowest rank's),
    the nodes each rank holds (part + halo), training nodes per second, and
    the ratios against one process (target: at least 1.6x).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

FEATURES, DEGREE, CLASSES = 128, 10, 4
MODELS = ("gat", "gatv2", "gcn", "mlp")


# ------------------------------------------------------------------ the graph
def csbm_tensors(num_nodes: int, train_fraction: float):
    """``gattut.data.synthetic.sparse_csbm`` (C classes, degree 10, 128 features) as tensors.

    Returns ``x (N, F) float32, edge_index (2, E) int64, y (N,), train (N,) bool``.
    """
    from gattut.data.synthetic import sparse_csbm

    g = sparse_csbm(num_nodes, CLASSES, DEGREE, FEATURES, train_fraction=train_fraction)
    return g.x, g.edge_index, g.y, g.train_mask


def build(model: str, in_features: int, num_classes: int):
    from gattut.graph.models import GAT, GCN, MLP, GATv2

    return {"gat": GAT, "gatv2": GATv2, "gcn": GCN, "mlp": MLP}[model](in_features, num_classes)


# --------------------------------------------------------------- memory in a child
def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def hwm_bytes() -> int:
    """The RSS high-water mark (VmHWM) since the last reset."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def available_gb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return 0.0


def child(case: dict) -> dict:
    """One (mode, size) case in this fresh process; returns its row."""
    import warnings

    import torch
    import torch.nn.functional as F

    from gattut.graph.sampling import NeighborLoader, gather_rows

    warnings.filterwarnings("ignore")
    torch.set_num_threads(case["threads"])
    torch.manual_seed(0)
    device = torch.device(case["device"])
    cuda = device.type == "cuda"
    N, mode = case["num_nodes"], case["mode"]
    x, edge_index, y, train = csbm_tensors(N, case["train_fraction"])
    model = build(case["model"], FEATURES, CLASSES).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    x, y = x.to(device), y.to(device)
    loader = None
    if mode == "mini":
        loader = NeighborLoader(edge_index, N, train, case["fanouts"], case["batch_size"],
                                prefetch=1)
    else:
        edge_index = edge_index.to(device)
        train = train.to(device)
    row = {**case, "num_edges": int(edge_index.shape[1])}
    if cuda:
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
    else:
        base = rss_bytes()
        if case["limit_gb"] > 0:
            cap = vm_bytes() + int(case["limit_gb"] * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
        row["hwm_reset"] = reset_hwm()
    row["stored_gb"] = base / 2**30

    def full_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x, edge_index)[train], y[train])
        loss.backward()
        optimizer.step()

    def mini_epoch() -> int:
        steps = 0
        for batch in loader:
            batch = batch.to(device)
            optimizer.zero_grad(set_to_none=True)
            logits = model(gather_rows(x, batch.n_id), batch.blocks)
            F.cross_entropy(logits, y[batch.targets]).backward()
            optimizer.step()
            steps += 1
        return steps

    model.train()
    times = []
    try:
        for _ in range(case["repeats"]):
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            steps = mini_epoch() if mode == "mini" else (full_step() or 1)
            if cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
    except (MemoryError, RuntimeError) as exc:
        return {**row, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    peak = torch.cuda.max_memory_allocated() if cuda else hwm_bytes()
    return {**row, "steps_per_epoch": steps, "epoch_s": min(times), "epoch_s_all": times,
            "peak_above_stored_gb": (peak - base) / 2**30}


def run_child(case: dict, timeout: float, flag: str = "--child", env: dict | None = None) -> dict:
    cmd = [sys.executable, __file__, flag, json.dumps(case)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return {**case, "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        why = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {**case, "error": f"exit {done.returncode}: {why[:200]}"}
    return json.loads(lines[-1])


def memory(args) -> list[dict]:
    limit = min(args.limit_gb, 0.75 * available_gb()) if args.device == "cpu" else 0.0
    rows, last_full = [], None
    for N in args.sizes:
        for mode in ("full", "mini"):
            case = {"mode": mode, "num_nodes": N, "model": args.model, "fanouts": args.fanouts,
                    "batch_size": args.batch_size, "train_fraction": args.train_fraction,
                    "threads": args.threads, "device": args.device, "repeats": args.repeats,
                    "limit_gb": limit}
            if mode == "full" and last_full is not None and "peak_above_stored_gb" in last_full:
                guess = last_full["peak_above_stored_gb"] * N / last_full["num_nodes"]
                if args.device == "cpu" and guess > limit:
                    rows.append({**case, "skipped": f"full batch would need ~{guess:.1f} GB above "
                                                    f"the stored graph, over the {limit:.1f} GB limit"})
                    print(f"{mode:4s} N={N:>9,d}: skipped ({rows[-1]['skipped']})", flush=True)
                    continue
            row = run_child(case, args.timeout)
            rows.append(row)
            if mode == "full":
                last_full = row
            if "error" in row:
                print(f"{mode:4s} N={N:>9,d}: did not fit or failed: {row['error']}", flush=True)
            else:
                print(f"{mode:4s} N={N:>9,d}: {row['epoch_s']:.2f} s/epoch "
                      f"({row['steps_per_epoch']} steps), peak {row['peak_above_stored_gb']:.2f} GB "
                      f"above the stored {row['stored_gb']:.2f} GB", flush=True)
    minis = [r for r in rows if r["mode"] == "mini" and "peak_above_stored_gb" in r]
    if len(minis) >= 2:
        ratio = minis[-1]["peak_above_stored_gb"] / max(minis[0]["peak_above_stored_gb"], 1e-9)
        print(f"mini-batch peak at {minis[-1]['num_nodes']:,d} nodes / at "
              f"{minis[0]['num_nodes']:,d}: {ratio:.2f}x (target <= 1.2x)")
    return rows


# --------------------------------------------------------------- sampling's share
def share(args) -> dict:
    import warnings

    import torch
    import torch.nn.functional as F

    from gattut.graph.sampling import NeighborLoader, gather_rows

    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, edge_index, y, train = csbm_tensors(args.size, args.train_fraction)
    model = build(args.model, FEATURES, CLASSES)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    loader = NeighborLoader(edge_index, args.size, train, args.fanouts, args.batch_size,
                            prefetch=0)
    sampler, nodes = loader.sampler, loader.nodes
    g = torch.Generator().manual_seed(0)

    def step(n_id, blocks, targets) -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(gather_rows(x, n_id), blocks), y[targets]).backward()
        optimizer.step()

    t_sample, t_step = [], []
    for k in range(args.steps + 1):  # the first step warms up
        targets = nodes[torch.randperm(nodes.shape[0], generator=g)[:args.batch_size]]
        t0 = time.perf_counter()
        blocks = sampler.sample(targets, g)
        t1 = time.perf_counter()
        step(blocks[0].src, blocks, targets)
        t2 = time.perf_counter()
        if k:
            t_sample.append(t1 - t0)
            t_step.append(t2 - t1)
    s, c = statistics.median(t_sample), statistics.median(t_step)

    def epoch(prefetch: int) -> float:
        loader.prefetch = prefetch
        t0 = time.perf_counter()
        for batch in loader:
            step(batch.n_id, batch.blocks, batch.targets)
        return time.perf_counter() - t0

    epochs = {p: epoch(p) for p in (0, 1, 0, 1)}  # the second pass of each is kept
    row = {"num_nodes": args.size, "model": args.model, "fanouts": args.fanouts,
           "batch_size": args.batch_size, "sample_s": s, "step_s": c, "share": s / (s + c),
           "epoch_s_prefetch0": epochs[0], "epoch_s_prefetch1": epochs[1],
           "steps_per_epoch": len(loader)}
    print(f"N={args.size:,d}, one thread: sampling {1000 * s:.1f} ms, step {1000 * c:.1f} ms, "
          f"share {100 * row['share']:.0f}% (target <= 30%); epoch of {len(loader)} steps "
          f"{epochs[0]:.2f} s without prefetch, {epochs[1]:.2f} s with")
    return row


# --------------------------------------------------------------- accuracy
def accuracy(args) -> list[dict]:
    import torch

    from gattut.train.published import published
    from gattut.train.runner import run_seeds, summarize

    if args.threads:
        torch.set_num_threads(args.threads)
    ledger = {(r["dataset"], r["model"]): r for r in published()["rows"]}
    rows = []
    for dataset in args.datasets:
        for model in args.models:
            t0 = time.perf_counter()
            runs = run_seeds(model, dataset, list(range(args.seeds)), fanouts=[10, 10],
                             batch_size=512, device=args.device, progress=False,
                             max_epochs=args.max_epochs)
            summary = summarize(runs)
            full = ledger.get((dataset, model), {})
            gap = None if full.get("mean") is None else summary["mean"] - full["mean"]
            rows.append({"dataset": dataset, "model": model, "fanouts": [10, 10],
                         "batch_size": 512, **summary, "wall_s": time.perf_counter() - t0,
                         "ledger_mean": full.get("mean"), "ledger_std": full.get("std"),
                         "ledger_seeds": full.get("num_seeds"), "gap": gap,
                         "runs": [r.to_dict(history=False) for r in runs]})
            shown = "no ledger row" if gap is None else (
                f"full batch {full['mean']:.2f} +- {full['std'] or 0:.2f} "
                f"({full['num_seeds']} seeds), gap {gap:+.2f}")
            print(f"{dataset} {model} [10, 10]: {summary['mean']:.2f} +- {summary['std'] or 0:.2f} "
                  f"over {args.seeds} seeds; {shown}", flush=True)
    return rows


# --------------------------------------------------------------- one process against two
def ddp_graph(case: dict):
    """The case's graph, a model builder and its TrainConfig fields (the papers' for Planetoid)."""
    from dataclasses import replace

    from gattut.train.registry import build_model, load_dataset, paper_config

    if case["dataset"] == "sparse_csbm":
        from gattut.data.synthetic import sparse_csbm

        graph = sparse_csbm(case["num_nodes"], CLASSES, DEGREE, FEATURES,
                            train_fraction=case["train_fraction"])
        return graph, (lambda: build(case["model"], FEATURES, CLASSES)), {"lr": 0.005}
    graph = load_dataset(case["dataset"])
    if case["planetoid_train"] == "rest":  # a throughput setting: every unscored node trains
        graph = replace(graph, train_mask=~(graph.val_mask | graph.test_mask))
    config = paper_config(case["model"], case["dataset"])
    return graph, (lambda: build_model(case["model"], case["dataset"], graph.num_features,
                                       graph.num_classes)), {"lr": config.lr,
                                                             "weight_decay": config.weight_decay}


def ddp_rank(rank: int, world_size: int, case: dict) -> dict:
    """One rank of one (dataset, world size) case: fit_distributed, timed; returns its row.

    Runs in a process of ``run_processes`` (gloo, one thread). A one-epoch
    run warms up first. The timed run's ``time_per_epoch`` is the loop's own
    (a training pass over this rank's share, then exact validation of its
    part); every layer-wise inference pass is timed too (validation once an
    epoch, the test once at the end), so training = epoch - validation.
    """
    import warnings

    import torch

    import gattut.graph.inference as inference
    import gattut.graph.partition as partition
    from gattut.train.distributed import fit_distributed
    from gattut.train.loop import TrainConfig
    from gattut.utils import set_seed

    warnings.filterwarnings("ignore")
    graph, make_model, paper = ddp_graph(case)
    passes, held = [], []
    infer, make_part = inference.layerwise_inference, partition.make_part

    def timed_inference(*a, **k):  # fit_distributed imports it at call time: this one runs
        t0 = time.perf_counter()
        out = infer(*a, **k)
        passes.append(time.perf_counter() - t0)
        return out

    def recorded_part(*a, **k):
        part = make_part(*a, **k)
        held.append(part.num_nodes)
        return part

    inference.layerwise_inference, partition.make_part = timed_inference, recorded_part
    batch = case["batch_size"] // world_size if case["global_batch"] else case["batch_size"]
    for epochs in (1, case["epochs"]):  # warm-up, then the timed run
        passes.clear()
        set_seed(0)
        config = TrainConfig(device="cpu", progress=False, max_epochs=epochs, patience=10**9,
                             **paper)
        t0 = time.perf_counter()
        result = fit_distributed(make_model(), graph, config, fanouts=case["fanouts"],
                                 batch_size=batch, split=case["split"], prefetch=case["prefetch"])
        wall = time.perf_counter() - t0
    n = result.epochs_run
    val_s = sum(passes[:n]) / n
    return {"rank": rank, "epochs": n, "epoch_s": result.time_per_epoch, "val_s": val_s,
            "train_s": result.time_per_epoch - val_s, "wall_s": wall, "batch_size": batch,
            "held_nodes": held[-1], "threads": torch.get_num_threads(),
            "num_nodes_graph": graph.num_nodes, "num_edges": graph.num_edges,
            "train_nodes": int(graph.train_mask.sum())}


def ddp_child(case: dict) -> dict:
    """One case in this fresh process: ``world_size`` ranks from run_processes, one thread each."""
    from gattut.train.distributed import run_processes

    ranks = run_processes(ddp_rank, case["world_size"], (case,), threads=1)
    graph_size = {k: ranks[0][k] for k in ("num_nodes_graph", "num_edges", "train_nodes")}
    # Both phases end in an all-reduce (the epoch's loss sum, validation's hits), so the ranks
    # wait for each other there: a phase lasts as long as its slowest rank, and a rank that
    # finished its validation early waits in the all-reduce, which its own clock would put into
    # "training" (epoch - its inference time). So: the slowest epoch, the slowest validation pass.
    epoch_s = max(r["epoch_s"] for r in ranks)
    val_s = max(r["val_s"] for r in ranks)
    return {**case, **graph_size, "ranks": ranks, "epoch_s": epoch_s, "val_s": val_s,
            "train_s": epoch_s - val_s, "train_nodes_per_s": graph_size["train_nodes"] / (epoch_s - val_s),
            "epochs_per_s": 1.0 / epoch_s}


def ddp(args) -> list[dict]:
    """Epoch throughput of one process against ``--world-sizes`` others, each case in fresh processes."""
    rows = []
    for dataset in args.ddp_datasets:
        by_size = {}
        for W in args.world_sizes:
            case = {"dataset": dataset, "world_size": W, "model": args.model,
                    "fanouts": args.fanouts, "batch_size": args.batch_size,
                    "global_batch": args.global_batch, "split": args.split,
                    "num_nodes": args.ddp_size, "train_fraction": args.ddp_train_fraction,
                    "epochs": args.epochs, "prefetch": args.prefetch,
                    "planetoid_train": args.planetoid_train}
            row = run_child(case, args.timeout, flag="--child-ddp",
                            env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
            rows.append(row)
            if "error" in row:
                print(f"{dataset} W={W}: failed: {row['error']}", flush=True)
                continue
            by_size[W] = row
            held = ", ".join(f"{r['held_nodes']:,d}" for r in row["ranks"])
            print(f"{dataset} W={W} ({row['num_nodes_graph']:,d} nodes, {row['train_nodes']:,d} "
                  f"training, batch {row['ranks'][0]['batch_size']} a rank, prefetch "
                  f"{row['prefetch']}; nodes held a rank: "
                  f"{held}): epoch {row['epoch_s']:.3f} s = training {row['train_s']:.3f} s + "
                  f"validation {row['val_s']:.3f} s; {row['train_nodes_per_s']:,.0f} training "
                  f"nodes/s", flush=True)
        one = by_size.get(min(args.world_sizes))
        for W, row in sorted(by_size.items()):
            if one is None or row is one:
                continue
            ratio = {"dataset": dataset, "world_sizes": [one["world_size"], W],
                     "epoch_speedup": one["epoch_s"] / row["epoch_s"],
                     "train_speedup": one["train_s"] / row["train_s"]}
            rows.append(ratio)
            print(f"{dataset}: {W} processes against {one['world_size']}, one thread each: epoch "
                  f"throughput {ratio['epoch_speedup']:.2f}x, training throughput "
                  f"{ratio['train_speedup']:.2f}x (target >= 1.6x)", flush=True)
    return rows


# --------------------------------------------------------------- main
def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(json.loads(sys.argv[2]))))
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--child-ddp":
        print(json.dumps(ddp_child(json.loads(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", nargs="?", default="all", choices=("memory", "share", "accuracy", "ddp", "all"))
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny sizes, 1 seed of Cora")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 2_000_000, 4_000_000])
    parser.add_argument("--size", type=int, default=1_000_000, help="nodes for 'share'")
    parser.add_argument("--model", default="gat", choices=MODELS)
    parser.add_argument("--models", default="gat", help="comma-separated, for 'accuracy'")
    parser.add_argument("--datasets", default="cora,citeseer,pubmed")
    parser.add_argument("--fanouts", default="10,10")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--train-fraction", type=float, default=0.01,
                        help="share of the SBM's nodes that train (an epoch's batches)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-epochs", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20, help="batches timed for 'share'")
    parser.add_argument("--repeats", type=int, default=2, help="epochs timed per memory case")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--limit-gb", type=float, default=12.0)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--ddp-datasets", default="pubmed,sparse_csbm",
                        help="for 'ddp': Planetoid names and/or sparse_csbm")
    parser.add_argument("--ddp-size", type=int, default=200_000, help="sparse_csbm nodes for 'ddp'")
    parser.add_argument("--ddp-train-fraction", type=float, default=0.1,
                        help="share of sparse_csbm's nodes that train, for 'ddp'")
    parser.add_argument("--world-sizes", default="1,2", help="processes to compare, for 'ddp'")
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per 'ddp' case")
    parser.add_argument("--split", default="metis", choices=("metis", "random"))
    parser.add_argument("--planetoid-train", default="paper", choices=("paper", "rest"),
                        help="for 'ddp': Planetoid training nodes: the paper's (PubMed: 60, one "
                             "step an epoch) or every node outside validation and test")
    parser.add_argument("--prefetch", type=int, default=0,
                        help="for 'ddp': batches sampled ahead in a background thread (default 0: "
                             "one thread a process, nothing else)")
    parser.add_argument("--global-batch", action="store_true",
                        help="for 'ddp': --batch-size is the global batch, split over the ranks "
                             "(default: per rank, as torchrun -m gattut)")
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args()
    args.fanouts = [int(k) for k in args.fanouts.split(",")]
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    args.datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    args.ddp_datasets = [d.strip() for d in args.ddp_datasets.split(",") if d.strip()]
    args.world_sizes = [int(k) for k in args.world_sizes.split(",")]
    if args.quick:
        args.sizes, args.size, args.steps, args.repeats = [20_000, 40_000], 20_000, 5, 1
        args.seeds, args.datasets, args.max_epochs, args.train_fraction = 1, ["cora"], 30, 0.05
        args.ddp_datasets, args.ddp_size, args.ddp_train_fraction = ["cora", "sparse_csbm"], 4000, 0.2
        args.epochs = 2
    results = {"argv": sys.argv[1:]}
    if args.what in ("memory", "all"):
        results["memory"] = memory(args)
    if args.what in ("share", "all"):
        results["share"] = share(args)
    if args.what in ("accuracy", "all"):
        results["accuracy"] = accuracy(args)
    if args.what in ("ddp", "all"):
        results["ddp"] = ddp(args)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
