"""Plots for the book. This package is the only place that imports matplotlib.

One module per part of the book (``seq`` for sequence attention, ``graph``
for graph attention); notebooks call these functions, often from
``hide-input`` cells. Every function returns the matplotlib ``Figure`` (or
``Axes``) it drew on, so a test can inspect it without a display.
"""

import matplotlib

# Notebooks and tests run without a display; a notebook kernel sets its own backend.
if matplotlib.get_backend().lower() not in {"module://matplotlib_inline.backend_inline"}:
    matplotlib.use("Agg", force=False)
