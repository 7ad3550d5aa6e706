import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from gattut.plot.documents import document_attention  # noqa: E402

SENTENCES = [["the", "film", "was", "superb"], ["a", "plot"]]


def test_draws_sentence_and_word_weights():
    words = torch.tensor([[0.1, 0.1, 0.1, 0.7, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0], [0.0] * 5])
    sentences = torch.tensor([0.9, 0.1, 0.0])
    fig = document_attention(SENTENCES, words, sentences, title="doc", highlight=(0, 3))
    left, right = fig.axes
    np.testing.assert_allclose(left.images[0].get_array().ravel(), [0.9, 0.1], rtol=1e-6)
    grid = right.images[0].get_array()
    assert grid.shape == (2, 4) and grid.mask[1, 2:].all() and not grid.mask[0].any()
    assert [t.get_text() for t in right.texts] == [w for s in SENTENCES for w in s]
    assert len(right.patches) == 1 and fig._suptitle.get_text() == "doc"


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="at least one sentence"):
        document_attention([], np.zeros((1, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="only empty sentences"):
        document_attention([[]], np.zeros((1, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="word_weights must have shape"):
        document_attention(SENTENCES, np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="sentence_weights must have shape"):
        document_attention(SENTENCES, np.zeros((2, 4)), np.zeros(1))
