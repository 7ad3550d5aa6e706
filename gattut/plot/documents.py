"""The two-level attention of a document classifier, drawn as Yang et al. (2016) draw it.

One row per sentence: on the left a cell coloured by the sentence's weight,
on the right its words, each on a cell coloured by its word weight.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["document_attention"]


def _numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    elif hasattr(x, "numpy"):  # a TensorFlow tensor
        x = x.numpy()
    return np.asarray(x, dtype=float)


def document_attention(
    sentences: Sequence[Sequence[str]],
    word_weights,
    sentence_weights,
    *,
    title: str | None = None,
    highlight: tuple[int, int] | None = None,
):
    """Draw a document's sentence weights beside its word weights; return the Figure.

    Args:
        sentences: the document's words, one list per sentence (``Documents.sentences(i)``).
        word_weights: ``(S', W')`` with ``S' >= S`` sentences and ``W' >=`` the
            longest sentence (padding beyond them is ignored).
        sentence_weights: ``(S',)``.
        title: the figure's title.
        highlight: ``(sentence, word)`` to outline (the deciding word, say).

    Shapes:
        word_weights ``(S, W)``, sentence_weights ``(S,)`` (a torch or TensorFlow tensor or an array).
    """
    words, beta = _numpy(word_weights), _numpy(sentence_weights)
    S = len(sentences)
    if S == 0:
        raise ValueError("document_attention needs at least one sentence, got none")
    W = max(len(s) for s in sentences)
    if W == 0:
        raise ValueError("document_attention got only empty sentences")
    if words.ndim != 2 or words.shape[0] < S or words.shape[1] < W:
        raise ValueError(
            f"word_weights must have shape (S, W) covering {S} sentences of up to {W} words, "
            f"got {words.shape}"
        )
    if beta.ndim != 1 or beta.shape[0] < S:
        raise ValueError(f"sentence_weights must have shape (S,) with S >= {S}, got {beta.shape}")
    grid = np.full((S, W), np.nan)
    for s, sentence in enumerate(sentences):
        grid[s, : len(sentence)] = words[s, : len(sentence)]

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(min(1.6 + 0.75 * W, 7.5), 0.9 + 0.34 * S),
        gridspec_kw={"width_ratios": [1, 1.7 * W]},
    )  # fmt: skip
    left.imshow(beta[:S, None], cmap="Blues", vmin=0, vmax=1, aspect="auto")
    left.set_xticks([])
    left.set_yticks(range(S), labels=[f"{s}" for s in range(S)])
    left.set_ylabel("sentence")
    left.set_title("sentence", fontsize=9)
    for s in range(S):
        left.text(0, s, f"{beta[s]:.2f}", ha="center", va="center", fontsize=7,
                  color="white" if beta[s] > 0.6 else "black")  # fmt: skip
    right.imshow(np.ma.masked_invalid(grid), cmap="Reds", vmin=0, vmax=1, aspect="auto")
    right.set_xticks([])
    right.set_yticks([])
    right.set_title("words", fontsize=9)
    for s, sentence in enumerate(sentences):
        for t, word in enumerate(sentence):
            right.text(t, s, word, ha="center", va="center", fontsize=7,
                       color="white" if grid[s, t] > 0.6 else "black")  # fmt: skip
    if highlight is not None:
        s, t = highlight
        right.add_patch(plt.Rectangle((t - 0.5, s - 0.5), 1, 1, fill=False, lw=1.5, ec="black"))
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
