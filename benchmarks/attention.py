"""Time our MultiHeadAttention against torch.nn.MultiheadAttention (forward + backward, CPU).

Both layers hold the same weights (copied). The candidates run interleaved
in one process (round-robin, so drifts in machine load hit all of them
alike), and each figure is the median over the repeats. Self-attention,
B=32, T=128, D=256, H=8, float32, two threads.

Run:  python benchmarks/attention.py [--repeats 30] [--threads 2]
      python benchmarks/attention.py --device cuda     # timed between torch.cuda.synchronize() calls

Prints milliseconds per forward+backward and the ratios
ours / torch: the fast path (``need_weights=False``, fused kernel) against
torch with ``need_weights=False``, and the readable path
(``need_weights=True``, per-head weights) against torch with
``need_weights=True, average_attn_weights=False``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from gattut.attention import MultiHeadAttention

B, T, D, H = 32, 128, 256, 8


def copy_from_torch(ours: MultiHeadAttention, ref: nn.MultiheadAttention) -> None:
    with torch.no_grad():
        wq, wk, wv = ref.in_proj_weight.chunk(3)
        bq, bk, bv = ref.in_proj_bias.chunk(3)
        for proj, w, b in [(ours.q_proj, wq, bq), (ours.k_proj, wk, bk), (ours.v_proj, wv, bv)]:
            proj.weight.copy_(w)
            proj.bias.copy_(b)
        ours.out_proj.weight.copy_(ref.out_proj.weight)
        ours.out_proj.bias.copy_(ref.out_proj.bias)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:k]")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    ref = nn.MultiheadAttention(D, H, batch_first=True).to(device)
    ours = MultiHeadAttention(D, H).to(device)
    copy_from_torch(ours, ref)
    x = torch.randn(B, T, D, device=device, requires_grad=True)

    candidates = {
        "torch fast": lambda: ref(x, x, x, need_weights=False)[0],
        "ours fast": lambda: ours(x, x, x, need_weights=False)[0],
        "torch weights": lambda: ref(x, x, x, need_weights=True, average_attn_weights=False)[0],
        "ours readable": lambda: ours(x, x, x, need_weights=True)[0],
    }
    # Same numbers before timing anything.
    torch.testing.assert_close(
        candidates["ours fast"](), candidates["torch fast"](), atol=1e-5, rtol=1e-4
    )
    torch.testing.assert_close(
        candidates["ours readable"](), candidates["torch weights"](), atol=1e-5, rtol=1e-4
    )

    def step(fn) -> float:
        x.grad = None
        sync()
        start = time.perf_counter()
        fn().sum().backward()
        sync()
        return time.perf_counter() - start

    times: dict[str, list[float]] = {name: [] for name in candidates}
    for i in range(args.warmup + args.repeats):
        for name, fn in candidates.items():
            elapsed = step(fn)
            if i >= args.warmup:
                times[name].append(elapsed)

    median = {name: statistics.median(ts) * 1e3 for name, ts in times.items()}
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{args.threads} threads"
    print(f"B={B} T={T} D={D} H={H}, float32, {where}, torch {torch.__version__}")
    print(f"median of {args.repeats} forward+backward passes (ms):")
    for name, ms in median.items():
        print(f"  {name:14s} {ms:8.2f}")
    print(f"fast path     ours / torch = {median['ours fast'] / median['torch fast']:.3f}")
    print(f"readable path ours / torch = {median['ours readable'] / median['torch weights']:.3f}")


if __name__ == "__main__":
    main()
