"""A short seeded training run on the date task learns alignments that make sense.

When the Bahdanau model writes the year digits of ``YYYY-MM-DD`` it should look
at the year in the source ("2015", "15", "two thousand fifteen"), and likewise
for the month and the day. This is the heatmap of chapter 4, as an assertion.
The run takes about 15 s on one CPU thread.
"""

import pytest
import torch

from gattut.data.dates import load_dates, target_spans
from gattut.seq2seq import Seq2SeqConfig, build_model, decode_split, exact_match, train


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_bahdanau_attends_to_the_right_source_span(one_thread):
    corpus = load_dates(n_train=2000, n_valid=200, n_test=200, seed=0)
    cfg = Seq2SeqConfig(
        "bahdanau", len(corpus.src_vocab), len(corpus.tgt_vocab), d_embed=16, d_hidden=32
    )
    torch.manual_seed(0)
    model = build_model(cfg)
    train(
        model,
        corpus,
        model_config=cfg,
        epochs=6,
        batch_size=32,
        lr=3e-3,
        seed=0,
        progress=False,
        device="cpu",
    )

    hyps = decode_split(model, corpus, "test", max_len=12)
    predictions = [corpus.tgt_vocab.decode(h.tokens) for h in hyps]
    assert exact_match(predictions, [t for _, t in corpus.pairs("test")]) > 0.6

    hits = {name: [] for name in target_spans()}
    for hyp, example in zip(hyps, corpus.info["examples"]["test"]):
        if len(hyp.tokens) != 10:
            continue
        looked_at = hyp.weights.argmax(
            dim=-1
        )  # (T,) the source position each output char attends to most
        for name, (lo, hi) in target_spans().items():
            start, end = example.spans[name]
            hits[name] += [start <= int(looked_at[t]) < end for t in range(lo, hi)]
    share = {name: sum(h) / len(h) for name, h in hits.items()}
    assert share["year"] > 0.8, share
    assert share["day"] > 0.6, share
    assert sum(share.values()) / 3 > 0.65, share
