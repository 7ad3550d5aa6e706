"""Plots for chapters 2 and 5-7: curves, one heatmap per head, position-encoding tables.

Every function returns the matplotlib ``Axes`` or ``Figure`` it drew on, so a
test can inspect it without a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from gattut.plot import MAX_WIDTH_IN
from gattut.plot.core import heatmap

__all__ = ["curves", "head_heatmaps", "encoding_heatmap"]


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    elif hasattr(x, "numpy"):  # a TensorFlow tensor
        x = x.numpy()
    return np.asarray(x, dtype=float)


def curves(
    x,
    ys: Mapping[str, Sequence[float]],
    *,
    ax=None,
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    logx: bool = False,
    logy: bool = False,
    marker: str = "o",
):
    """Draw one line per entry of ``ys`` against the shared ``x``; return the Axes.

    Shapes:
        x: ``(n,)``; each value of ``ys``: ``(n,)``.
    """
    x = _numpy(x)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.2))
    for name, y in ys.items():
        y = _numpy(y)
        if y.shape != x.shape:
            raise ValueError(f"curve {name!r} has shape {y.shape}, x has shape {x.shape}")
        ax.plot(x, y, marker=marker, markersize=3, label=name)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(ys) > 1:
        ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def head_heatmaps(
    weights,
    *,
    xlabels: Sequence[str] | None = None,
    ylabels: Sequence[str] | None = None,
    titles: Sequence[str] | None = None,
    cmap: str = "Reds",
):
    """One heatmap per head, side by side, on a shared colour scale; return the Figure.

    Shapes:
        weights: ``(H, T, S)`` (one example's per-head attention weights).
    """
    w = _numpy(weights)
    if w.ndim != 3:
        raise ValueError(f"head_heatmaps needs weights of shape (H, T, S), got {w.shape}")
    H, T, S = w.shape
    if titles is not None and len(titles) != H:
        raise ValueError(f"got {len(titles)} titles for {H} heads")
    # As many panels a row as fit the book's column with legible labels (four at most).
    ncols = min(H, 4 if S <= 12 else 2 if S <= 24 else 1)
    nrows = -(-H // ncols)
    height = float(np.clip(MAX_WIDTH_IN / ncols * T / S + 0.6, 1.8, 4.0))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(MAX_WIDTH_IN, height * nrows), squeeze=False, layout="constrained"
    )
    vmax = float(w.max())
    for h, ax in enumerate(axes.flat):
        if h >= H:
            ax.set_visible(False)
            continue
        title = titles[h] if titles is not None else f"head {h}"
        heatmap(w[h], ax=ax, xlabels=xlabels, ylabels=ylabels, title=title, cmap=cmap,
                colorbar=False, vmax=vmax)  # fmt: skip
        if h % ncols:
            ax.set_ylabel("")
        if h < H - ncols:
            ax.set_xlabel("")
    # One colour bar for every head (they share the scale).
    fig.colorbar(axes.flat[0].images[0], ax=list(axes.flat), fraction=0.02, pad=0.02)
    return fig


def encoding_heatmap(encoding, *, ax=None, title: str | None = None):
    """Draw a position-encoding table, positions down and dimensions across; return the Axes.

    A diverging colour map centred on zero, since the entries are sines and cosines.

    Shapes:
        encoding: ``(L, D)`` (L positions, D dimensions).
    """
    pe = _numpy(encoding)
    if pe.ndim != 2:
        raise ValueError(f"encoding_heatmap needs a 2-D (L, D) table, got shape {pe.shape}")
    limit = max(float(np.abs(pe).max()), 1e-12)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    return heatmap(pe, ax=ax, xlabel="dimension", ylabel="position", title=title, cmap="RdBu_r",
                   vmin=-limit, vmax=limit)  # fmt: skip
