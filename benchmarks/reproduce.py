"""Reproduce the GAT paper's table: the same as ``python -m gattut reproduce``.

    python benchmarks/reproduce.py --seeds 100 --out results/
    python benchmarks/reproduce.py --fast          # CI: 2 seeds, Cora and CiteSeer

Writes ``ledger.md`` and ``ledger.json`` (see :mod:`gattut.train.ledger`).
"""

import sys

from gattut.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", *sys.argv[1:]]))
