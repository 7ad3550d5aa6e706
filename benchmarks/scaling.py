"""How one GAT layer scales: time and peak memory, gattut's GATConv against PyG's, and the dense wall.

Usage:
    python benchmarks/scaling.py            # 10k, 100k and 1M nodes (a few minutes)
    python benchmarks/scaling.py --quick    # 1k, 5k and 20k nodes (seconds)
    python benchmarks/scaling.py --device cuda --sizes 100000 1000000 10000000

One layer, ``GATConv(64, 8, heads=8)`` (the paper's hidden layer), on a random
directed graph with ``N`` nodes and ``10 N`` edges (average in-degree 10, plus
the N self-loops the layer adds), 64 dense input features. One case = one
forward and backward (the gradients of the parameters) in ``float32`` on the
CPU with 2 threads (``--threads``).

How memory is measured. ``tracemalloc`` does not see PyTorch's allocations,
so each (implementation, size) runs in a fresh Python subprocess that

1. builds the graph, the features and the layer, then reads its resident set
   size (RSS, from ``/proc/self/statm``) as the baseline;
2. runs one forward + backward and reads the high-water mark of its RSS
   (``resource.getrusage(RUSAGE_SELF).ru_maxrss``);
3. reports peak - baseline: the memory the layer needed on top of its inputs,
   and then times more repeats.

Each subprocess caps its address space at 75% of the memory available when
it starts (on top of its inputs), and a size whose memory, extrapolated
linearly from the previous size, would not fit is skipped: the machine may be
shared.

Building the inputs allocates them once with no large temporaries, so the
high-water mark before step 2 equals the baseline.

With ``--device cuda`` the same runs happen on the GPU: each step is timed
between two ``torch.cuda.synchronize()`` calls, the memory is PyTorch's peak
GPU allocation minus the allocation after building the inputs
(``torch.cuda.max_memory_allocated``), no address-space cap is set (CUDA
reserves far more address space than it uses), and the CPU-time column is
only the host's share.

The dense layer (:class:`gattut.graph.DenseGATConv`) needs ``H N^2`` scores;
it runs only where ``H N^2 * 4`` bytes is under ``--dense-limit-mb``; beyond
that its memory is computed, not allocated.
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

HEADS, HIDDEN, FEATURES, DEGREE = 8, 8, 64, 10


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def child(impl: str, N: int, repeats: int, threads: int, mem_cap_mb: float, device: str = "cpu") -> None:
    """Run one case in this (fresh) process and print a JSON line."""
    import warnings

    import torch

    cuda = device.startswith("cuda")

    warnings.filterwarnings("ignore")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(N, FEATURES)
    edge_index = torch.randint(0, N, (2, DEGREE * N))
    if impl == "ours":
        from gattut.graph import GATConv

        layer = GATConv(FEATURES, HIDDEN, heads=HEADS)
    elif impl == "gather":
        from gattut.graph import GATConv

        layer = GATConv(FEATURES, HIDDEN, heads=HEADS, aggregation="gather")
    elif impl == "pyg":
        from torch_geometric.nn import GATConv

        layer = GATConv(FEATURES, HIDDEN, heads=HEADS)
    elif impl == "dense":
        from gattut.graph import DenseGATConv, adjacency_mask

        layer = DenseGATConv(FEATURES, HIDDEN, heads=HEADS)
        edge_index = adjacency_mask(edge_index, N)  # the dense layer's input: an (N, N) mask
    else:
        raise SystemExit(f"unknown implementation {impl!r}")
    if cuda:
        x, edge_index, layer = x.to(device), edge_index.to(device), layer.to(device)
        torch.cuda.synchronize()
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def step() -> tuple[float, float]:
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        out = layer(x, edge_index)
        out.square().mean().backward()
        layer.zero_grad(set_to_none=True)
        sync()
        return time.perf_counter() - t0, time.process_time() - c0

    if cuda:
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        first = step()
        peak = torch.cuda.max_memory_allocated() - base
        runs = [step() for _ in range(repeats)] or [first]
        print(json.dumps({"impl": impl, "N": N, "E": DEGREE * N, "peak_mb": peak / 2**20,
                          "median_s": statistics.median(w for w, _ in runs),
                          "min_s": min(w for w, _ in runs),
                          "cpu_s": statistics.median(c for _, c in runs), "first_s": first[0]}))
        return
    if mem_cap_mb > 0:
        # Cap this process's address space, so that a case too big for the machine fails
        # here with an allocation error instead of pushing other processes into the OOM killer.
        with open("/proc/self/statm") as f:
            vm_now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = vm_now + int(mem_cap_mb * 2**20)
        resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    base = rss_bytes()
    first = step()
    peak = peak_rss_bytes() - base
    runs = [step() for _ in range(repeats)] or [first]
    print(json.dumps({"impl": impl, "N": N, "E": DEGREE * N, "peak_mb": peak / 2**20,
                      "median_s": statistics.median(w for w, _ in runs),
                      "min_s": min(w for w, _ in runs),
                      "cpu_s": statistics.median(c for _, c in runs), "first_s": first[0]}))


def available_mb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("inf")


def run_case(impl: str, N: int, repeats: int, timeout: float, threads: int,
             device: str = "cpu") -> dict | None:
    # At most 75% of the memory available now, on top of what the inputs take.
    cap = 0.75 * available_mb()
    cmd = [sys.executable, __file__, "--child", impl, str(N), str(repeats), str(threads), str(cap), device]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"  {impl:6s} N={N:>9,}: timed out after {timeout:.0f} s")
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"  {impl:6s} N={N:>9,}: failed (exit {done.returncode}): {tail}")
        return None
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--impls", nargs="+", default=["ours", "pyg"])
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--dense-limit-mb", type=float, default=1024.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:k]")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        impl, N, repeats, threads, cap, device = args.child
        child(impl, int(N), int(repeats), int(threads), float(cap), device)
        return
    on_gpu = args.device.startswith("cuda")

    sizes = args.sizes or ([1_000, 5_000, 20_000] if args.quick else [10_000, 100_000, 1_000_000])
    print(f"GATConv({FEATURES}, {HIDDEN}, heads={HEADS}), E = {DEGREE} N random directed edges "
          f"(+ N self-loops), forward + backward, float32, "
          + (f"on {args.device}; peak = max GPU allocation minus the inputs' (fresh process per case)"
             if on_gpu else f"{args.threads} threads; peak = RSS high-water mark minus RSS after "
             "building the inputs (fresh process per case)"))
    results: dict[tuple[str, int], dict] = {}
    previous: dict[str, dict] = {}
    for N in sizes:
        repeats = args.repeats if args.repeats is not None else (5 if N <= 100_000 else 2)
        for impl in args.impls:
            # Memory grows linearly with N; a case whose extrapolated peak would not fit
            # in 75% of the free memory of this (shared) machine is skipped, not run.
            if impl in previous and not on_gpu:
                guess = previous[impl]["peak_mb"] * N / previous[impl]["N"] + 2 * N * 4 * FEATURES / 2**20
                if guess > 0.75 * available_mb():
                    print(f"  {impl:6s} N={N:>9,}: skipped; needs about {guess:,.0f} MB "
                          f"(linear from N={previous[impl]['N']:,}), only "
                          f"{available_mb():,.0f} MB available")
                    continue
            res = run_case(impl, N, repeats, args.timeout, args.threads, args.device)
            if res:
                results[impl, N] = previous[impl] = res
                print(f"  {impl:6s} N={N:>9,} E={res['E']:>10,}: wall median "
                      f"{1000 * res['median_s']:9.1f} ms (min {1000 * res['min_s']:9.1f}), CPU "
                      f"{1000 * res['cpu_s']:9.1f} ms, peak +{res['peak_mb']:8.1f} MB")
        if ("ours", N) in results and ("pyg", N) in results:
            o, p = results["ours", N], results["pyg", N]
            print(f"  -> ours/PyG: wall time {o['median_s'] / p['median_s']:.2f}x, CPU time "
                  f"{o['cpu_s'] / p['cpu_s']:.2f}x, peak memory {o['peak_mb'] / p['peak_mb']:.2f}x")
        score_mb = HEADS * N * N * 4 / 2**20
        if score_mb <= args.dense_limit_mb:
            res = run_case("dense", N, repeats, args.timeout, args.threads, args.device)
            if res:
                print(f"  dense  N={N:>9,}: wall median {1000 * res['median_s']:9.1f} ms, "
                      f"peak +{res['peak_mb']:8.1f} MB (scores alone {score_mb:.0f} MB)")
        else:
            print(f"  dense  N={N:>9,}: not run; the H x N x N float32 scores alone need "
                  f"{score_mb / 1024:,.1f} GB (and the softmax keeps several such tensors)")


if __name__ == "__main__":
    main()
