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
rows SRC has not measured are left alone. It re-renders ``DST/ledger.md``
and, when DST is the book's ``results/`` folder, regenerates the copy shipped
with the package (``gattut/train/published_ledger.json``). ``--note-file FILE``
replaces the ledger's note (the paragraph above the table); ``--pending TEXT``
becomes the status of the rows named that neither ledger has measured (for
example once their data exists: ``--pending "not run yet"``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gattut.__main__ import main

REPO = Path(__file__).resolve().parent.parent


def merge(argv: list[str]) -> int:
    from gattut.train.ledger import render_markdown
    from gattut.train.published import SHIPPED, shipped_text

    parser = argparse.ArgumentParser(prog="reproduce.py merge", description="copy ledger rows")
    parser.add_argument("source", help="folder with the ledger.json to copy rows from")
    parser.add_argument("dest", help="folder with the ledger.json to copy rows into")
    parser.add_argument("--datasets", default=None, help="comma-separated (default: all)")
    parser.add_argument("--models", default=None, help="comma-separated (default: all)")
    parser.add_argument("--note-file", default=None, help="a file whose text becomes the note")
    parser.add_argument("--pending", default=None,
                        help="status for the rows named that neither ledger has measured")
    args = parser.parse_args(argv)
    source = json.loads((Path(args.source) / "ledger.json").read_text())
    dest_dir = Path(args.dest)
    dest = json.loads((dest_dir / "ledger.json").read_text())
    datasets = args.datasets.split(",") if args.datasets else None
    models = args.models.split(",") if args.models else None
    index = {(r["dataset"], r["model"]): k for k, r in enumerate(dest["rows"])}
    for row in source["rows"]:
        key = (row["dataset"], row["model"])
        if (datasets and key[0] not in datasets) or (models and key[1] not in models):
            continue
        if key not in index:
            continue
        if row.get("status") != "measured":
            mine = dest["rows"][index[key]]
            if args.pending and mine.get("status") != "measured":
                mine["status"] = args.pending
            continue
        dest["rows"][index[key]] = row
        print(f"{key[0]} {key[1]}: {row['num_seeds']} seeds, "
              f"{row['mean']:.2f} +- {row['std'] or 0:.2f}")
    if args.note_file:
        dest["note"] = Path(args.note_file).read_text().strip()
    (dest_dir / "ledger.json").write_text(json.dumps(dest, indent=1) + "\n")
    (dest_dir / "ledger.md").write_text(render_markdown(dest))
    if dest_dir.resolve() == (REPO / "results").resolve():
        shipped = REPO / "gattut" / "train" / SHIPPED
        shipped.write_text(shipped_text(dest))
        print(f"regenerated {shipped.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["merge"]:
        sys.exit(merge(sys.argv[2:]))
    sys.exit(main(["reproduce", *sys.argv[1:]]))
