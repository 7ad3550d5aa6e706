"""Reproduce the GAT paper's table: the same as ``python -m gattut reproduce``; and merge ledger rows.

    python benchmarks/reproduce.py --seeds 100 --out results/
    python benchmarks/reproduce.py --fast          # CI: 2 seeds, Cora and CiteSeer

Writes ``ledger.md`` and ``ledger.json`` (see :mod:`gattut.train.ledger`).

Rows measured elsewhere (another machine, a background run into another
folder) are copied into a ledger with ``merge``::

    python benchmarks/reproduce.py merge out/ledger results/cpu --datasets pubmed
    python benchmarks/reproduce.py merge out/ledger results --datasets pubmed --models gcn,mlp

``merge SRC DST`` replaces DST's rows for the datasets and models named (all
by default) with SRC's rows, every seed, machine and code version included;
rows SRC has not measured are left alone. ``--runs`` adds SRC's runs to DST's
rows instead, seed by seed: for a row filled by two processes side by side,
the second running other seeds into another folder::

    python -m gattut reproduce --datasets pubmed --models gatv2 --seeds 78 --out results/cpu
    python -m gattut reproduce --datasets pubmed --models gatv2 --seed-start 78 --seeds 22 --out b
    python benchmarks/reproduce.py merge b results/cpu --datasets pubmed --models gatv2 --runs

(the first fills the missing seeds of 0-77, the second runs 78-99). Both rows
must come from the same machine, and a seed in both must agree. ``merge``
re-renders ``DST/ledger.md`` and, when DST is the book's ``results/`` folder, regenerates the copy shipped
with the package (``gattut/train/published_ledger.json``). ``--note-file FILE``
replaces the ledger's note (the paragraph above the table); ``--pending TEXT``
becomes the status of the rows named that neither ledger has measured (for
example once their data exists: ``--pending "not run yet"``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gattut.__main__ import main

REPO = Path(__file__).resolve().parent.parent


def merge(argv: list[str]) -> int:
    from gattut.train.ledger import merge_ledgers, read_ledger, write_ledger
    from gattut.train.published import SHIPPED, shipped_text

    parser = argparse.ArgumentParser(prog="reproduce.py merge", description="copy ledger rows")
    parser.add_argument("source", help="folder with the ledger.json to copy rows from")
    parser.add_argument("dest", help="folder with the ledger.json to copy rows into")
    parser.add_argument("--datasets", default=None, help="comma-separated (default: all)")
    parser.add_argument("--models", default=None, help="comma-separated (default: all)")
    parser.add_argument("--note-file", default=None, help="a file whose text becomes the note")
    parser.add_argument("--runs", action="store_true",
                        help="add SRC's runs to DST's rows seed by seed (a second process's "
                             "seeds of the same rows) instead of replacing the rows")
    parser.add_argument("--pending", default=None,
                        help="status for the rows named that neither ledger has measured")
    args = parser.parse_args(argv)
    dest_dir = Path(args.dest)
    for folder in (args.source, args.dest):
        if not (Path(folder) / "ledger.json").is_file():
            parser.error(f"no ledger.json in {folder}")
    source, dest = read_ledger(args.source), read_ledger(dest_dir)  # summaries recomputed
    datasets = args.datasets.split(",") if args.datasets else None
    models = args.models.split(",") if args.models else None
    try:
        lines = merge_ledgers(source, dest, datasets, models, runs=args.runs)
    except ValueError as exc:
        parser.error(str(exc))
    print("\n".join(lines))
    if args.pending:
        for row in dest["rows"]:
            named = ((not datasets or row["dataset"] in datasets)
                     and (not models or row["model"] in models))
            if named and row.get("status") != "measured":
                row["status"] = args.pending
    if args.note_file:
        dest["note"] = Path(args.note_file).read_text().strip()
    write_ledger(dest, dest_dir)
    if dest_dir.resolve() == (REPO / "results").resolve():
        shipped = REPO / "gattut" / "train" / SHIPPED
        shipped.write_text(shipped_text(dest))
        print(f"regenerated {shipped.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["merge"]:
        sys.exit(merge(sys.argv[2:]))
    sys.exit(main(["reproduce", *sys.argv[1:]]))
