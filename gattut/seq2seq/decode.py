r"""Decoding: greedy search, beam search, and translating one sentence.

At test time the decoder only ever sees its own outputs. **Greedy** decoding
takes the most likely token at every step. **Beam search** keeps the
``beam_width`` best partial outputs by total log-probability
``log p(y_1..y_t | x) = sum_t log p(y_t | y_<t, x)``, which can find an output
that greedy misses because its first token looked worse.

Longer outputs collect more negative log-probabilities, so a plain beam
prefers short outputs. **Length normalisation** ranks finished hypotheses by
``score / len^alpha`` (``length_penalty = alpha``; 0 turns it off, 1 is the
mean log-probability per token; ``len`` counts ``<eos>``).

Decoding never emits ``<pad>`` or ``<sos>``: their log-probabilities are set
to ``-inf`` (an untrained model would otherwise print them).

Every function returns :class:`Hypothesis` objects that carry the attention
weights of each output token, for the heatmaps of chapter 4. These functions
use only a model's ``encode``, ``init_state`` and ``step`` (see
:mod:`gattut.seq2seq.model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from gattut.data.corpus import ParallelCorpus
from gattut.data.vocab import EOS_ID, PAD_ID, SOS_ID, Vocab
from gattut.seq2seq.encoders import check_source

__all__ = ["Hypothesis", "greedy_decode", "greedy_steps", "beam_search", "translate", "decode_split"]


class Hypothesis(NamedTuple):
    """One decoded output.

    ``tokens`` excludes ``<sos>`` and ``<eos>``; ``score`` is the total
    log-probability, including that of ``<eos>`` when it was produced;
    ``weights`` has one row per token in ``tokens``.

    Shapes:
        weights: ``(len(tokens), S_b)`` over the example's real source positions, or ``None``
    """

    tokens: list[int]
    score: float
    finished: bool
    weights: torch.Tensor | None


def _select(x, index: torch.Tensor):
    """Pick rows ``index`` of every tensor in ``x`` (a tensor, tuple, NamedTuple or None)."""
    if x is None:
        return None
    if isinstance(x, torch.Tensor):
        return x.index_select(0, index)
    items = [_select(item, index) for item in x]
    return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)


def _next_log_probs(logits: torch.Tensor) -> torch.Tensor:
    """Log-probabilities of the next token; ``<pad>`` and ``<sos>`` are never emitted."""
    log_probs = torch.log_softmax(logits.float(), dim=-1)  # (B, V)
    log_probs[:, [PAD_ID, SOS_ID]] = float("-inf")
    return log_probs


def _output_limit(model) -> int | None:
    """The most output steps ``model`` can take, or ``None`` for no limit.

    A Transformer re-reads its whole output prefix (``<sos>`` and the tokens so
    far) at each step, and its positional encoding covers ``model.max_len``
    positions; a recurrent decoder has no such limit.
    """
    return getattr(model, "max_len", None)


def _check_max_len(max_len: int, model) -> None:
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}")
    limit = _output_limit(model)
    if limit is not None and max_len > limit:
        raise ValueError(
            f"max_len={max_len} output steps is more than this Transformer's positional "
            f"encoding covers (max_len={limit}); decode at most {limit} steps"
        )


@torch.no_grad()
def greedy_decode(
    model, src: torch.Tensor, src_lengths: torch.Tensor, max_len: int = 50
) -> list[Hypothesis]:
    """Take the most likely token at each step, for a whole batch at once.

    Shapes:
        src: ``(B, S)``, src_lengths: ``(B,)`` -> ``B`` hypotheses
    """
    B, S = check_source(src, src_lengths)
    _check_max_len(max_len, model)
    hyps = greedy_steps(model, model.encode(src, src_lengths), B, src.device, max_len)
    return [  # each example's weights over its real source positions
        h if h.weights is None else h._replace(weights=h.weights[:, :length])
        for h, length in zip(hyps, src_lengths.tolist())
    ]


@torch.no_grad()
def greedy_steps(model, memory, batch_size: int, device, max_len: int) -> list[Hypothesis]:
    """The greedy loop itself, from an encoded batch: one step for every sequence at a time.

    ``model.init_state(memory)`` and ``model.step(tokens, state, memory)`` are all
    it needs, so any encoder (token batches, images) shares it. Each
    hypothesis's ``weights`` has one attention row a token (``None`` if the
    model returns none).

    Shapes:
        memory: the model's encoding of ``batch_size`` inputs -> ``batch_size`` hypotheses.
    """
    B = batch_size
    state = model.init_state(memory)
    tokens = torch.full((B,), SOS_ID, dtype=torch.long, device=device)  # (B,)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    outputs, scores, rows = [], torch.zeros(B, device=device), []
    for _ in range(max_len):
        logits, state, weights = model.step(tokens, state, memory)  # (B, V), ..., (B, S)
        best, tokens = _next_log_probs(logits).max(dim=-1)  # (B,), (B,)
        scores += torch.where(done, torch.zeros_like(best), best)
        outputs.append(tokens)
        rows.append(weights)
        done |= tokens == EOS_ID
        if bool(done.all()):
            break
    out = torch.stack(outputs, dim=1).tolist()  # (B, steps)
    stacked = None if rows[0] is None else torch.stack(rows, dim=1)  # (B, steps, S)
    hyps = []
    for b in range(B):
        finished = EOS_ID in out[b]
        n = out[b].index(EOS_ID) if finished else len(out[b])
        w = None if stacked is None else stacked[b, :n].cpu()
        hyps.append(Hypothesis(out[b][:n], float(scores[b]), finished, w))
    return hyps


@torch.no_grad()
def beam_search(
    model,
    src: torch.Tensor,
    src_lengths: torch.Tensor,
    beam_width: int = 5,
    max_len: int = 50,
    length_penalty: float = 0.0,
) -> list[Hypothesis]:
    """Beam search, one example at a time; returns the best hypothesis of each.

    At every step each live hypothesis is extended by every token; the
    ``beam_width`` best extensions by total log-probability survive. An
    extension that ends in ``<eos>`` and ranks within the top ``beam_width``
    is set aside as finished. The search stops when ``beam_width`` hypotheses
    have finished, or after ``max_len`` steps; the winner is the one with the
    highest ``score / len^length_penalty`` among finished hypotheses (and the
    live ones, if ``max_len`` ran out). With ``beam_width=1`` this is exactly
    greedy decoding.

    Shapes:
        src: ``(B, S)``, src_lengths: ``(B,)`` -> ``B`` hypotheses
    """
    B, S = check_source(src, src_lengths)
    _check_max_len(max_len, model)
    if not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive int, got {beam_width!r}")
    if length_penalty < 0:
        raise ValueError(f"length_penalty must be >= 0, got {length_penalty}")
    results = []
    for b in range(B):
        L = int(src_lengths[b])
        results.append(
            _beam_one(
                model,
                src[b : b + 1, :L],
                src_lengths[b : b + 1],
                beam_width,
                max_len,
                length_penalty,
            )
        )
    return results


def _beam_one(model, src, src_lengths, K: int, max_len: int, alpha: float) -> Hypothesis:
    device = src.device
    memory = model.encode(src, src_lengths)  # batch of one
    state = model.init_state(memory)
    live_tokens: list[list[int]] = [[]]
    live_weights: list[list[torch.Tensor]] = [[]]
    live_scores = torch.zeros(1, device=device)  # (k,)
    finished: list[Hypothesis] = []
    S = int(src_lengths[0])
    has_weights = True  # set on the first step

    def stack(rows: list[torch.Tensor]) -> torch.Tensor | None:
        if not has_weights:
            return None
        return torch.stack(rows) if rows else torch.zeros(0, S)

    def norm(h: Hypothesis) -> float:
        length = len(h.tokens) + (1 if h.finished else 0)
        return h.score / max(length, 1) ** alpha

    for _ in range(max_len):
        k = len(live_tokens)
        last = torch.tensor([t[-1] if t else SOS_ID for t in live_tokens], device=device)  # (k,)
        memory_k = _select(memory, torch.zeros(k, dtype=torch.long, device=device))
        logits, state, weights = model.step(last, state, memory_k)  # (k, V), ..., (k, S)
        has_weights = weights is not None
        log_probs = _next_log_probs(logits)  # (k, V)
        V = log_probs.shape[-1]
        candidates = (live_scores[:, None] + log_probs).reshape(-1)  # (k * V,)
        # Twice the beam: even if up to K of them end in <eos>, K live ones remain.
        top_scores, top_index = candidates.topk(min(2 * K, k * V))
        new_rows, new_tokens, new_weights, new_scores = [], [], [], []
        for rank, (score, flat) in enumerate(zip(top_scores.tolist(), top_index.tolist())):
            row, token = divmod(flat, V)
            w_row = [] if weights is None else [weights[row].cpu()]
            if token == EOS_ID:
                if rank < K:
                    finished.append(
                        Hypothesis(list(live_tokens[row]), score, True, stack(live_weights[row]))
                    )
            elif len(new_rows) < K:
                new_rows.append(row)
                new_tokens.append(live_tokens[row] + [token])
                new_weights.append(live_weights[row] + w_row)
                new_scores.append(score)
        if len(finished) >= K or not new_rows:
            break
        index = torch.tensor(new_rows, dtype=torch.long, device=device)
        state = _select(state, index)
        live_tokens, live_weights = new_tokens, new_weights
        live_scores = torch.tensor(new_scores, device=device)
    else:
        # max_len ran out: the live hypotheses compete with the finished ones.
        for tokens, ws, score in zip(live_tokens, live_weights, live_scores.tolist()):
            finished.append(Hypothesis(tokens, score, False, stack(ws)))
    if not finished:  # stopped because every extension was <eos> outside the top K
        finished = [Hypothesis(t, s, False, stack(w))
                    for t, w, s in zip(live_tokens, live_weights, live_scores.tolist())]  # fmt: skip
    return max(finished, key=norm)


def translate(
    model,
    tokens: Sequence[str],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    beam_width: int = 1,
    max_len: int | None = None,
    max_src_len: int | None = None,
    truncate: bool = False,
    length_penalty: float = 0.0,
) -> tuple[list[str], torch.Tensor | None]:
    """Translate one tokenised sentence; return the output tokens and the attention ``(T, S)``.

    An empty sentence is an error. A sentence longer than ``max_src_len``
    tokens is an error too, unless ``truncate=True``: then only its first
    ``max_src_len`` tokens are translated. Source tokens outside ``src_vocab``
    become ``<unk>``. ``max_len`` defaults to ``2 * len(tokens) + 10``, capped
    at what the model can decode (a Transformer's ``max_len``), which also
    bounds the source length when ``max_src_len`` is not given.
    """
    for name, vocab in (("src_vocab", src_vocab), ("tgt_vocab", tgt_vocab)):
        if not isinstance(vocab, Vocab):
            raise TypeError(f"{name} must be a Vocab, got {type(vocab).__name__}")
    tokens = list(tokens)
    if not tokens:
        raise ValueError("cannot translate an empty sentence: give at least one token")
    if not all(isinstance(t, str) for t in tokens):
        bad = next(t for t in tokens if not isinstance(t, str))
        raise TypeError(f"tokens must be strings, got {bad!r} ({type(bad).__name__})")
    limit = _output_limit(model)
    why = "the model was trained on at most"
    if limit is not None and (max_src_len is None or limit < max_src_len):
        max_src_len, why = limit, "this Transformer's positional encoding covers at most"
    if max_src_len is not None and len(tokens) > max_src_len:
        if not truncate:
            raise ValueError(
                f"the sentence has {len(tokens)} tokens but {why} {max_src_len}; "
                f"shorten it or pass truncate=True to keep the first {max_src_len}"
            )
        tokens = tokens[:max_src_len]
    device = next(model.parameters()).device
    src = torch.tensor([src_vocab.encode(tokens)], dtype=torch.long, device=device)  # (1, S)
    src_lengths = torch.tensor([len(tokens)], device=device)
    if max_len is None:
        max_len = 2 * len(tokens) + 10 if limit is None else min(2 * len(tokens) + 10, limit)
    was_training = model.training
    model.eval()
    try:
        if beam_width == 1:
            (hyp,) = greedy_decode(model, src, src_lengths, max_len=max_len)
        else:
            (hyp,) = beam_search(model, src, src_lengths, beam_width, max_len, length_penalty)
    finally:
        model.train(was_training)
    return tgt_vocab.decode(hyp.tokens), hyp.weights


@torch.no_grad()
def decode_split(
    model,
    corpus: ParallelCorpus,
    split: str,
    batch_size: int = 256,
    beam_width: int = 1,
    max_len: int | None = None,
    length_penalty: float = 0.0,
) -> list[Hypothesis]:
    """Decode every source of one split, in order (greedy when ``beam_width == 1``)."""
    device = next(model.parameters()).device
    if max_len is None:
        max_len = max(len(t) for _, t in corpus.pairs(split)) + 10
        limit = _output_limit(model)
        max_len = max_len if limit is None else min(max_len, limit)
    was_training = model.training
    model.eval()
    hyps: list[Hypothesis] = []
    try:
        for batch in corpus.batches(split, batch_size):
            batch = batch.to(device)
            if beam_width == 1:
                hyps += greedy_decode(model, batch.src, batch.src_lengths, max_len=max_len)
            else:
                hyps += beam_search(
                    model, batch.src, batch.src_lengths, beam_width, max_len, length_penalty
                )
    finally:
        model.train(was_training)
    return hyps
