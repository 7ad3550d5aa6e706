"""General plots shared by every chapter: weight heatmaps and 1-D regression fits."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["heatmap", "kernel_regression"]


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def heatmap(
    matrix,
    *,
    ax=None,
    xlabels: Sequence[str] | None = None,
    ylabels: Sequence[str] | None = None,
    xlabel: str = "keys",
    ylabel: str = "queries",
    title: str | None = None,
    cmap: str = "Reds",
    colorbar: bool = True,
    vmin: float | None = 0.0,
    vmax: float | None = None,
):
    """Draw a 2-D array of weights (rows = queries, columns = keys) and return the Axes."""
    data = _numpy(matrix)
    if data.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D array, got shape {data.shape}")
    if ax is None:
        # Token-sized cells for small matrices, a bounded figure for large ones.
        width = min(0.35 * data.shape[1] + 2, 7.0)
        height = min(0.35 * data.shape[0] + 1.5, 4.5)
        _, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(data, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    if xlabels is not None:
        ax.set_xticks(range(len(xlabels)), labels=list(xlabels), rotation=90)
    if ylabels is not None:
        ax.set_yticks(range(len(ylabels)), labels=list(ylabels))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def kernel_regression(x_train, y_train, x_query, predictions: dict, truth=None, *, ax=None):
    """Plot training points, the true function and one or more fitted curves; return the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(_numpy(x_train), _numpy(y_train), "o", alpha=0.5, label="training points")
    if truth is not None:
        ax.plot(_numpy(x_query), _numpy(truth), "k--", label="truth")
    for name, y in predictions.items():
        ax.plot(_numpy(x_query), _numpy(y), label=name)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="best", fontsize="small")
    return ax
