"""Plots for the book. This package is the only place that imports matplotlib.

One module per part of the book (``seq`` for sequence attention, ``graph``
for graph attention, ``diagrams`` for the SVG diagrams, ``explore`` for the
interactive attention explorers, drawn with plotly); notebooks call these
functions, often from ``hide-input`` cells. Every function returns the
matplotlib ``Figure`` (or ``Axes``) it drew on, so a test can inspect it
without a display; an explorer returns an ``Explorer`` holding its plotly figure.

Importing this package applies the book's figure style (:func:`book_style`):
figures sized for the book's column (at most :data:`MAX_WIDTH_IN` inches wide
at :data:`DPI` dots per inch) on an opaque white background, so they stay
legible in the book's dark mode. It never chooses a backend: Jupyter, Colab
and the book build use the inline backend, scripts and tests whatever
matplotlib picks (Agg without a display).
"""

import matplotlib

#: Widest figure, in inches, that fits the book's text column at 100 dpi.
MAX_WIDTH_IN = 7.5
#: Dots per inch of figures shown inline (the rendered book's images).
DPI = 100

BOOK_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    # Opaque backgrounds: a transparent PNG vanishes against the dark theme.
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.constrained_layout.use": False,
}


def book_style() -> None:
    """Apply the book's figure style to matplotlib's global settings."""
    matplotlib.rcParams.update(BOOK_STYLE)


book_style()
