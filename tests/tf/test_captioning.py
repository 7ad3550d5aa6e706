"""The captioner's attention over an image grid: the Keras twin gives the PyTorch numbers."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

import torch  # noqa: E402

import gattut.tf.attention as ka  # noqa: E402
from gattut.data.scenes import collate_scenes, make_scenes, scene_vocab  # noqa: E402
from gattut.seq2seq.captioning import ShowAttendTell  # noqa: E402


def test_keras_bahdanau_over_the_grid_matches_the_captioner():
    torch.manual_seed(0)
    vocab = scene_vocab()
    model = ShowAttendTell(len(vocab), d_feature=16, d_hidden=12, d_attn=8).eval()
    with torch.no_grad():
        memory = model.encode(collate_scenes(make_scenes(3, 0), vocab).images)
        (h,) = model.init_state(memory)
        context, weights = model.attention(h, memory.features)  # (B, D), (B, L)
    twin = ka.BahdanauAttention(12, 16, 8)
    ka.load_torch_weights(twin, model.attention)
    k_context, k_weights = twin(h.numpy(), memory.features.numpy())
    np.testing.assert_allclose(np.asarray(k_weights), weights.numpy(), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(k_context), context.numpy(), atol=1e-5, rtol=1e-5)
    assert np.asarray(k_weights).shape == (3, 64)
