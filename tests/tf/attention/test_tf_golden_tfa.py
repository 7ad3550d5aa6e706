"""Keras layers vs TensorFlow Addons' seq2seq attention, through the stored golden vectors.

The twin of ``tests/attention/test_golden_tfa.py``: the same ``.npz`` files
(TFA's inputs, weights and outputs, see ``tests/attention/golden/make_tfa_golden.py``),
replayed through the Keras layers of ``gattut.tf.attention``. TFA's kernels are
Keras ``Dense`` kernels already, so they are assigned without a transpose. The
layers run in float64 (``dtype="float64"``), which also checks that the dtype
reaches every sub-layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

import gattut.tf  # noqa: E402, F401
from gattut.tf.attention import (  # noqa: E402
    BahdanauAttention,
    LuongAttention,
    MonotonicAttention,
    padding_mask,
)

GOLDEN = Path(__file__).parents[2] / "attention" / "golden"
TOL = {"atol": 1e-5, "rtol": 1e-5}


def _load(name: str) -> dict[str, np.ndarray]:
    path = GOLDEN / f"{name}.npz"
    if not path.exists():
        pytest.skip(f"golden file {path} is missing")
    with np.load(path) as data:
        return {key: data[key].astype(np.float64) for key in data.files}


def _assign(variable, value) -> None:
    assert tuple(variable.shape) == np.shape(value), (variable.shape, np.shape(value))
    variable.assign(value)


def _copy_score(score, golden) -> None:
    _assign(score.key_proj.kernel, golden["w_memory"])
    if "w_query" in golden:
        _assign(score.query_proj.kernel, golden["w_query"])
    if "v" in golden:
        _assign(score.v, golden["v"])
    if "b" in golden:
        _assign(score.b, golden["b"])


def _replay(layer, golden, monotonic: bool) -> None:
    memory = golden["memory"]
    mask = padding_mask(golden["lengths"].astype(np.int64), memory.shape[1])  # (B, S)
    previous = golden["previous"][0]
    if monotonic:
        np.testing.assert_allclose(
            layer.initial_weights(*previous.shape, dtype="float64"), previous
        )
    for t in range(golden["queries"].shape[0]):
        query = golden["queries"][t]  # (B, Dq)
        if monotonic:
            # Teacher-forced with TFA's previous alignment, then with our own.
            _, forced = layer(query, memory, golden["previous"][t], mask=mask)
            np.testing.assert_allclose(forced, golden["alignments"][t], **TOL)
            context, weights = layer(query, memory, previous, mask=mask)
            previous = weights
        else:
            context, weights = layer(query, memory, mask=mask)
        assert weights.dtype == "float64"
        np.testing.assert_allclose(weights, golden["alignments"][t], **TOL)
        np.testing.assert_allclose(context, golden["contexts"][t], **TOL)


def test_bahdanau_normalize_matches_tfa():
    golden = _load("bahdanau_normalize")
    d_key, d_attn = golden["w_memory"].shape
    d_query = golden["w_query"].shape[0]
    layer = BahdanauAttention(d_query, d_key, d_attn, normalize=True, dtype="float64")
    _copy_score(layer.score, golden)
    _assign(layer.score.g, golden["g"])
    _replay(layer, golden, monotonic=False)


def test_luong_scale_matches_tfa():
    golden = _load("luong_scale")
    d_key, d_query = golden["w_memory"].shape
    layer = LuongAttention(d_query, d_key, score="general", scale=True, dtype="float64")
    _copy_score(layer.score, golden)
    _assign(layer.g, golden["g"])
    _replay(layer, golden, monotonic=False)


@pytest.mark.parametrize(
    "name, score, mode",
    [
        ("bahdanau_monotonic", "bahdanau", "parallel"),
        ("luong_monotonic", "luong", "parallel"),
        ("bahdanau_monotonic_hard", "bahdanau", "hard"),
    ],
)
def test_monotonic_matches_tfa(name, score, mode):
    golden = _load(name)
    d_key, units = golden["w_memory"].shape
    d_query = golden["queries"].shape[-1]
    layer = MonotonicAttention(
        d_query,
        d_key,
        d_attn=units if score == "bahdanau" else None,
        score=score,
        normalize="b" in golden,
        scale=score == "luong",
        mode=mode,
        dtype="float64",
    )
    _copy_score(layer.score, golden)
    if "g" in golden:
        _assign(layer.score.g if score == "bahdanau" else layer.g, golden["g"])
    _assign(layer.score_bias, golden["score_bias"])
    _replay(layer, golden, monotonic=True)
