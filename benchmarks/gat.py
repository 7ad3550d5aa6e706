"""One training step of the paper's Cora/CiteSeer/PubMed GAT: gattut's model against PyG's.

Usage:
    GATTUT_DATA=../shared/data python benchmarks/gat.py [--repeats 30] [--threads 2]
    GATTUT_DATA=../shared/data python benchmarks/gat.py --datasets pubmed --threads 1
    OMP_WAIT_POLICY=PASSIVE python benchmarks/gat.py      # on a shared, loaded machine
    GATTUT_DATA=../shared/data python benchmarks/gat.py --device cuda --stacked 100

Both models have the same weights. PyG's follows its ``examples/gat.py``: dense
features, ``F.dropout(p=0.6)`` before each layer, ``GATConv(F, 8, heads=8,
dropout=0.6)``, ELU, ``GATConv(64, C, heads=1, concat=False, dropout=0.6)``
(PubMed: the paper's 8 output heads, ``heads=8``, in both models).
Ours is :class:`gattut.graph.GAT` fed the same features as a sparse CSR
matrix, so the input dropout and the first product touch only the nonzeros
(the same distribution as dense dropout: see ``gattut/graph/features.py``).
Cora's and CiteSeer's features are about 99% zeros; PubMed's TF-IDF rows are
about 90% zeros, so there the sparse input matters less and the 88,648 edges
(x 8 heads in both layers) more.

A step is forward, cross-entropy on the training nodes, backward and one Adam
step (lr 0.005, weight decay 5e-4; PubMed: the paper's lr 0.01, weight decay 1e-3). The two steps alternate in one process
(so drifts in machine load hit both); the figure is the median over repeats
after warm-up, in wall-clock time and in CPU time (``time.process_time``, all
threads of the process). On a shared, loaded machine a process is preempted
and wall times of long steps inflate; CPU time with ``--threads 1`` is then the
steadier figure. With 2 threads on a busy machine, OpenMP's spinning workers
can inflate both numbers many times over; set ``OMP_WAIT_POLICY=PASSIVE``
(or use ``--threads 1``) there. Before timing, the script checks that both models give the same
outputs with dropout off.

With ``--device cuda`` every step is timed between two ``torch.cuda.synchronize()``
calls, so the wall time is the GPU's; the CPU time is then only the host's
share. ``--stacked R`` also times one step of ``R`` seeds trained side by side
(:mod:`gattut.train.stacked`, the paper's dropouts) and prints the time per
seed, the figure that decides how long a 100-seed ledger row takes.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
import torch.nn.functional as F

from gattut.graph import GAT, Graph


def load(name: str) -> tuple[Graph, str]:
    """The real dataset through gattut.data, or a random graph of the same size if it is missing."""
    sizes = {"cora": (2708, 1433, 7, 10556, 18), "citeseer": (3327, 3703, 6, 9104, 32),
             "pubmed": (19717, 500, 3, 88648, 50)}
    try:
        from gattut.data import DataNotFoundError
        from gattut.data.planetoid import load_planetoid

        try:
            return load_planetoid(name), "real data (gattut.data.load_planetoid)"
        except DataNotFoundError as exc:
            reason = f"data missing: {exc}"
    except ImportError as exc:
        reason = f"no loader: {exc}"
    N, F_, C, E, words = sizes[name]
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(N, F_)
    cols = torch.randint(0, F_, (N, words), generator=g)
    x.scatter_(1, cols, 1.0)
    x = x / x.sum(1, keepdim=True)
    edges = torch.randint(0, N, (2, E // 2), generator=g)
    edge_index = torch.cat([edges, edges.flip(0)], 1)
    train = torch.zeros(N, dtype=torch.bool)
    train[: 20 * C] = True
    graph = Graph(x=x, edge_index=edge_index, y=torch.randint(0, C, (N,), generator=g),
                  train_mask=train, name=name)
    return graph, f"SYNTHETIC graph of the same size ({reason})"


# The paper's settings that differ on PubMed: 8 output heads, lr 0.01, L2 1e-3.
OUT_HEADS = {"pubmed": 8}
OPTIMIZER = {"pubmed": (0.01, 1e-3)}


class PyGGAT(torch.nn.Module):
    """PyG's examples/gat.py model (``out_heads`` averaged output heads; the example has 1)."""

    def __init__(self, in_features: int, num_classes: int, out_heads: int = 1):
        super().__init__()
        from torch_geometric.nn import GATConv

        self.conv1 = GATConv(in_features, 8, heads=8, dropout=0.6)
        self.conv2 = GATConv(8 * 8, num_classes, heads=out_heads, concat=False, dropout=0.6)

    def forward(self, x, edge_index):
        x = F.dropout(x, p=0.6, training=self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, p=0.6, training=self.training)
        return self.conv2(x, edge_index)


def make_step(model, x, edge_index, y, mask, device: torch.device,
              lr: float = 0.005, weight_decay: float = 5e-4):
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def step() -> tuple[float, float]:
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        model.train()
        opt.zero_grad()
        logits = model(x, edge_index)  # (N, C), or (R, N, C) for stacked seeds
        loss = F.cross_entropy(logits[..., mask, :].reshape(-1, logits.shape[-1]),
                               y[mask].repeat(logits.numel() // (logits.shape[-1] * y.shape[0])))
        loss.backward()
        opt.step()
        sync()
        return time.perf_counter() - t0, time.process_time() - c0

    return step


def run(name: str, repeats: int, warmup: int, device: torch.device, stacked: int) -> None:
    graph, source = load(name)
    x_dense = graph.x.to_dense() if graph.is_sparse else graph.x
    with warnings.catch_warnings():  # torch says once that sparse CSR is "beta"
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
        x_sparse = x_dense.to_sparse_csr()
    nnz = x_sparse.values().numel()
    print(f"\n{name}: {source}")
    print(f"  N={graph.num_nodes} F={graph.num_features} E={graph.num_edges} "
          f"C={graph.num_classes}; features {100 * (1 - nnz / x_dense.numel()):.2f}% zeros")

    out_heads = OUT_HEADS.get(name, 1)
    lr, weight_decay = OPTIMIZER.get(name, (0.005, 5e-4))
    print(f"  output heads {out_heads}, Adam lr {lr}, weight decay {weight_decay}")
    torch.manual_seed(0)
    ours = GAT(graph.num_features, graph.num_classes, out_heads=out_heads)
    pyg = PyGGAT(graph.num_features, graph.num_classes, out_heads=out_heads)
    pyg.conv1.load_state_dict(ours.conv1.state_dict())
    pyg.conv2.load_state_dict(ours.conv2.state_dict())

    ours.eval()
    pyg.eval()
    with torch.no_grad():
        diff = (ours(x_sparse, graph.edge_index) - pyg(x_dense, graph.edge_index)).abs().max()
    print(f"  same weights, dropout off: max |ours - PyG| = {diff:.2e} "
          f"({'OK' if diff < 1e-4 else 'MISMATCH'})")

    ours, pyg = ours.to(device), pyg.to(device)
    x_dense, x_sparse = x_dense.to(device), x_sparse.to(device)
    edge_index, y, mask = graph.edge_index.to(device), graph.y.to(device), graph.train_mask.to(device)
    opt = {"lr": lr, "weight_decay": weight_decay}
    steps = {"pyg": make_step(pyg, x_dense, edge_index, y, mask, device, **opt),
             "ours": make_step(ours, x_sparse, edge_index, y, mask, device, **opt)}
    if stacked > 1:
        from gattut.train.stacked import stack_models

        models = []
        for seed in range(stacked):
            torch.manual_seed(seed)
            models.append(GAT(graph.num_features, graph.num_classes, out_heads=out_heads,
                              paper_dropout=True))
        many = stack_models(models).to(device)
        steps["stacked"] = make_step(many, x_sparse, edge_index, y, mask, device, **opt)
    wall: dict[str, list[float]] = {k: [] for k in steps}
    cpu: dict[str, list[float]] = {k: [] for k in steps}
    for r in range(warmup + repeats):
        for key in list(steps) if r % 2 == 0 else list(steps)[::-1]:
            w, c = steps[key]()
            if r >= warmup:
                wall[key].append(w)
                cpu[key].append(c)
    med = {k: 1000 * statistics.median(v) for k, v in wall.items()}
    low = {k: 1000 * min(v) for k, v in wall.items()}
    med_cpu = {k: 1000 * statistics.median(v) for k, v in cpu.items()}
    for key, label in (("pyg", "PyG "), ("ours", "ours")):
        print(f"  {label} step: wall median {med[key]:7.2f} ms (min {low[key]:7.2f}), "
              f"CPU time median {med_cpu[key]:7.2f} ms")
    print(f"  ratio ours / PyG: wall median {med['ours'] / med['pyg']:.3f}, "
          f"wall min {low['ours'] / low['pyg']:.3f}, CPU time {med_cpu['ours'] / med_cpu['pyg']:.3f}")
    if "stacked" in steps:
        per_seed = med["stacked"] / stacked
        print(f"  {stacked} seeds stacked (paper's dropouts): step wall median {med['stacked']:.2f} ms, "
              f"{per_seed:.3f} ms a seed; per seed / PyG step: {per_seed / med['pyg']:.3f}")
    if device.type == "cuda":
        print(f"  peak GPU memory {torch.cuda.max_memory_allocated(device) / 2**20:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--datasets", nargs="+", default=["cora", "citeseer"],
                        choices=["cora", "citeseer", "pubmed"])
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:k]")
    parser.add_argument("--stacked", type=int, default=1, help="also time R seeds stacked (R > 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"torch {torch.__version__}, {where}, "
          f"median of {args.repeats} interleaved steps after {args.warmup} warm-up")
    for name in args.datasets:
        run(name, args.repeats, args.warmup, device, args.stacked)


if __name__ == "__main__":
    main()
