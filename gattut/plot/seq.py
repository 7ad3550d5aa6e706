"""Plots for Part I: attention heatmaps and accuracy against input length.

Both functions return the matplotlib ``Figure`` they drew on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["attention_heatmap", "accuracy_vs_length"]


def _to_numpy(weights) -> np.ndarray:
    if hasattr(weights, "detach"):  # a torch tensor
        weights = weights.detach().cpu().numpy()
    elif hasattr(weights, "numpy"):  # a TensorFlow tensor
        weights = weights.numpy()
    return np.asarray(weights, dtype=float)


def attention_heatmap(weights, source_tokens: Sequence[str], target_tokens: Sequence[str], ax=None,
                      title: str | None = None, cmap: str = "viridis"):  # fmt: skip
    """Draw the alignment matrix: one row per output token, one column per source token.

    Row ``t`` is the attention distribution ``alpha_t`` the decoder used to
    write ``target_tokens[t]``; a bright cell means "looked here".

    Shapes:
        weights: ``(T, S)`` with ``T = len(target_tokens)`` and ``S = len(source_tokens)``
        (a torch tensor, a TensorFlow tensor or an array)
    """
    w = _to_numpy(weights)
    if w.ndim != 2 or w.shape != (len(target_tokens), len(source_tokens)):
        raise ValueError(
            f"weights must have shape (len(target_tokens), len(source_tokens)) = "
            f"({len(target_tokens)}, {len(source_tokens)}), got {w.shape}"
        )
    if ax is None:
        T, S = w.shape
        fig, ax = plt.subplots(figsize=(min(max(3.0, 0.32 * S + 1.5), 7.0), min(max(2.5, 0.32 * T + 1.0), 7.0)))
    else:
        fig = ax.figure
    image = ax.imshow(w, cmap=cmap, vmin=0.0, vmax=max(float(w.max()), 1e-12), aspect="auto")
    ax.set_xticks(range(len(source_tokens)))
    ax.set_xticklabels([repr(t)[1:-1] if t.isspace() else t for t in source_tokens], rotation=90)
    ax.set_yticks(range(len(target_tokens)))
    ax.set_yticklabels(list(target_tokens))
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return fig


def accuracy_vs_length(results: Mapping[str, tuple[Sequence[int], Sequence[bool]]], num_bins: int = 8,
                       ax=None, title: str | None = "Exact match against source length"):  # fmt: skip
    """One line per model: exact-match accuracy in buckets of source length.

    ``results`` maps a model name to ``(lengths, correct)``: the source length
    of every test example and whether the model got it right. The buckets
    are ``num_bins`` equal-width bins over the lengths of all models; empty
    buckets are skipped.
    """
    if not results:
        raise ValueError("results is empty: give at least one model's (lengths, correct)")
    all_lengths = []
    for name, (lengths, correct) in results.items():
        if len(lengths) != len(correct) or len(lengths) == 0:
            raise ValueError(
                f"{name}: lengths and correct must be non-empty and equally long, "
                f"got {len(lengths)} and {len(correct)}"
            )
        all_lengths.extend(lengths)
    edges = np.linspace(min(all_lengths), max(all_lengths) + 1, num_bins + 1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    else:
        fig = ax.figure
    for name, (lengths, correct) in results.items():
        lengths_a, correct_a = np.asarray(lengths), np.asarray(correct, dtype=float)
        centres, accs = [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            inside = (lengths_a >= lo) & (lengths_a < hi)
            if inside.any():
                centres.append((lo + hi) / 2)
                accs.append(correct_a[inside].mean())
        ax.plot(centres, accs, marker="o", label=name)
    ax.set_xlabel("source length (tokens)")
    ax.set_ylabel("exact match")
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def accuracy_bars(results: Mapping[str, Sequence[bool]], ax=None, title: str | None = None,
                  xlabel: str = "exact match"):  # fmt: skip
    """One horizontal bar per group (a date format, a model, ...): its share of correct answers.

    ``results`` maps a group's name to whether each of its examples was right;
    the bars keep the mapping's order, top to bottom, and each is labelled
    with its accuracy and its number of examples. Returns the Figure.

    Shapes:
        each value of ``results``: ``(n_group,)`` booleans, ``n_group >= 1``
    """
    if not results:
        raise ValueError("results is empty: give at least one group's list of right/wrong answers")
    for name, correct in results.items():
        if len(correct) == 0:
            raise ValueError(f"group {name!r} has no examples")
    names = list(results)
    accuracies = [float(np.mean(np.asarray(results[n], dtype=float))) for n in names]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 0.3 * len(names) + 1.2))
    else:
        fig = ax.figure
    positions = np.arange(len(names))
    ax.barh(positions, accuracies, color="tab:blue")
    for y, acc, name in zip(positions, accuracies, names):
        ax.text(min(acc, 1.0) + 0.01, y, f"{acc:.2f} (n={len(results[name])})", va="center",
                fontsize="small")  # fmt: skip
    ax.set_yticks(positions, labels=names)
    ax.invert_yaxis()  # the first group on top
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return fig


__all__ += ["accuracy_bars"]
