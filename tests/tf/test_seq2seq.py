"""The Keras Bahdanau seq2seq model learns the date task (a short run: about 20 s on one CPU thread)."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

from gattut.data.dates import load_dates  # noqa: E402
from gattut.tf import keras  # noqa: E402
from gattut.tf.seq2seq import BahdanauSeq2Seq, corpus_arrays, masked_loss  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    corpus = load_dates(n_train=1600, n_valid=192, n_test=64, seed=0)
    src, tgt_in, tgt_out = corpus_arrays(corpus, "train")
    model = BahdanauSeq2Seq(len(corpus.src_vocab), len(corpus.tgt_vocab), d_embed=16, d_hidden=32)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=masked_loss)
    # 1600 = 25 * 64: every batch has the same shape, so the step is traced only once.
    history = model.fit((src, tgt_in), tgt_out, batch_size=64, epochs=4, verbose=0, shuffle=True)
    return corpus, model, history.history["loss"]


def test_corpus_arrays_shapes():
    corpus = load_dates(n_train=20, n_valid=4, n_test=4, seed=0)
    src, tgt_in, tgt_out = corpus_arrays(corpus, "valid")
    assert src.shape[0] == 4 and tgt_in.shape == tgt_out.shape == (4, 11)
    np.testing.assert_array_equal(tgt_in[:, 1:], tgt_out[:, :-1])
    assert (tgt_in[:, 0] == 1).all() and (tgt_out[:, -1] == 2).all()


def test_forward_shapes_and_weights():
    corpus = load_dates(n_train=20, n_valid=4, n_test=4, seed=0)
    src, tgt_in, _ = corpus_arrays(corpus, "valid")
    model = BahdanauSeq2Seq(len(corpus.src_vocab), len(corpus.tgt_vocab), d_embed=8, d_hidden=16)
    logits, weights = model.call_with_weights((src, tgt_in))
    assert tuple(logits.shape) == (4, 11, len(corpus.tgt_vocab))
    assert tuple(weights.shape) == (4, 11, src.shape[1])
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.all(weights[np.broadcast_to((src == 0)[:, None, :], weights.shape)] == 0)


def test_training_reduces_the_loss_and_learns_dates(trained):
    corpus, model, losses = trained
    assert losses[1] < losses[0] and losses[-1] < 0.5 * losses[0]
    src, _, tgt_out = corpus_arrays(corpus, "valid")
    ids, weights = model.greedy_decode(src, max_len=11)
    assert weights.shape == (len(src), 11, src.shape[1])
    token_accuracy = (ids[:, :10] == tgt_out[:, :10]).mean()
    assert token_accuracy > 0.85
