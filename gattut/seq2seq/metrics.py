"""How good is a seq2seq model: exact match, BLEU, and accuracy by input length.

* **Exact match**: the share of outputs equal to their reference, token for
  token. The right measure for dates, where a single wrong digit is wrong.
* **BLEU** (Papineni et al. 2002): the geometric mean of the modified n-gram
  precisions ``p_1 .. p_4`` times a brevity penalty,
  ``BLEU = BP * exp(sum_n log(p_n) / 4)``, ``BP = min(1, exp(1 - r / c))``
  for reference length ``r`` and output length ``c``, on a 0-100 scale. We use
  sacrebleu's corpus BLEU, so the numbers match what papers report.
  sacrebleu is an optional dependency (``pip install gattut[nlp]``) and is
  imported only when BLEU is asked for.
* **Accuracy by length**: exact match per bucket of source length, the plot
  that shows the fixed-context bottleneck of chapter 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["exact_match", "corpus_bleu", "accuracy_by_length"]


def _check_not_bare_strings(first, second, what: str) -> None:
    """Refuse a bare string where a list of sentences is expected.

    A string is a sequence of characters, so ``corpus_bleu("the cat sat", "the
    cat sat")`` would otherwise score eleven one-character "sentences" (BLEU 0),
    and ``exact_match("2015", "2016")`` would compare four characters (0.75).
    """
    for name, given in (("first", first), ("second", second)):
        if isinstance(given, str):
            raise ValueError(
                f"{what} takes lists of sentences, got a bare string as its {name} argument "
                f"({given[:30]!r}), which would be scored character by character; for one "
                f"sentence pass one-element lists, e.g. {what}([hypothesis], [reference])"
            )


def exact_match(predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
    """Fraction of predictions equal to their reference (token lists or strings), in [0, 1]."""
    _check_not_bare_strings(predictions, references, "exact_match")
    if len(predictions) != len(references):
        raise ValueError(f"got {len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise ValueError("exact_match needs at least one prediction")
    return sum(list(p) == list(r) for p, r in zip(predictions, references)) / len(predictions)


def corpus_bleu(
    hypotheses: Sequence[str], references: Sequence[str], tokenize: str = "13a"
) -> float:
    """Corpus BLEU (0-100) of detokenised hypothesis strings against one reference each.

    ``tokenize`` is sacrebleu's tokenizer; ``"13a"`` is its default (the WMT
    standard), ``"none"`` uses the strings' own spaces.

    BLEU counts n-grams up to n = 4, so a corpus without a single 4-gram (say,
    one three-word sentence) scores 0 whatever the words: corpus BLEU is
    meant for whole test sets, not single short sentences.
    """
    _check_not_bare_strings(hypotheses, references, "corpus_bleu")
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise ValueError("corpus_bleu needs at least one hypothesis")
    if not all(isinstance(s, str) for s in [*hypotheses, *references]):
        raise ValueError("corpus_bleu takes strings; join token lists with ' '.join(tokens) first")
    try:
        import sacrebleu
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("BLEU needs sacrebleu: pip install 'gattut[nlp]' (or sacrebleu)") from exc
    # The package's sentences are already split into words and punctuation, which
    # makes sacrebleu warn "that's 100 lines that end in a tokenized period". Its
    # tokenizers leave such text unchanged, so the score is the same; force=True
    # only silences the warning.
    bleu = sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize=tokenize, force=True)
    return float(bleu.score)


def accuracy_by_length(
    lengths: Sequence[int], correct: Sequence[bool], edges: Sequence[int]
) -> list[tuple[int, int, int, float]]:
    """Exact-match accuracy per bucket of source length.

    ``edges`` are the bucket boundaries ``e_0 < e_1 < ... < e_k``; bucket ``i``
    holds lengths in ``[e_i, e_{i+1})``. Returns ``(lo, hi, count, accuracy)``
    per non-empty bucket (accuracy in [0, 1]).
    """
    lengths_a = np.asarray(lengths)
    correct_a = np.asarray(correct, dtype=bool)
    if lengths_a.shape != correct_a.shape or lengths_a.ndim != 1:
        raise ValueError(
            f"lengths and correct must be 1-D and equally long, got {lengths_a.shape} and {correct_a.shape}"
        )
    if len(edges) < 2 or any(a >= b for a, b in zip(edges, edges[1:])):
        raise ValueError(f"edges must be at least two increasing numbers, got {list(edges)}")
    rows = []
    for lo, hi in zip(edges, edges[1:]):
        inside = (lengths_a >= lo) & (lengths_a < hi)
        if inside.any():
            rows.append((int(lo), int(hi), int(inside.sum()), float(correct_a[inside].mean())))
    return rows
