"""Parity with TensorFlow Addons' seq2seq attention mechanisms, through stored golden vectors.

TFA is end-of-life and never imported here: ``golden/make_tfa_golden.py``
(run once in a throwaway venv, see its docstring) stored inputs, weights and
TFA's outputs in ``golden/*.npz``. Each test copies the weights into our
module and replays the decoder steps, once feeding TFA's previous alignments
and once feeding back our own, and compares at 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gattut.attention import BahdanauAttention, LuongAttention, MonotonicAttention, padding_mask

GOLDEN = Path(__file__).parent / "golden"


def _load(name: str) -> dict[str, torch.Tensor]:
    with np.load(GOLDEN / f"{name}.npz") as data:
        return {key: torch.from_numpy(data[key]).to(torch.float64) for key in data.files}


def _copy(parameter: torch.nn.Parameter, value: torch.Tensor) -> None:
    assert parameter.shape == value.shape, (parameter.shape, value.shape)
    with torch.no_grad():
        parameter.copy_(value)


def _copy_score(score, golden) -> None:
    """Keras Dense kernels are (in, out); torch Linear weights are (out, in)."""
    _copy(score.key_proj.weight, golden["w_memory"].T)
    if "w_query" in golden:
        _copy(score.query_proj.weight, golden["w_query"].T)
    if "v" in golden:
        _copy(score.v, golden["v"])
    if "b" in golden:
        _copy(score.b, golden["b"])


def _replay(layer, golden, monotonic: bool) -> None:
    memory = golden["memory"]
    mask = padding_mask(golden["lengths"].long(), memory.shape[1])  # (B, S)
    previous = golden["previous"][0]
    if monotonic:
        torch.testing.assert_close(
            previous, layer.initial_weights(*previous.shape, dtype=torch.float64)
        )
    for t in range(golden["queries"].shape[0]):
        query = golden["queries"][t]  # (B, Dq)
        if monotonic:
            # Teacher-forced with TFA's previous alignment, then with our own.
            _, forced = layer(query, memory, golden["previous"][t], mask=mask)
            torch.testing.assert_close(forced, golden["alignments"][t], atol=1e-5, rtol=1e-5)
            context, weights = layer(query, memory, previous, mask=mask)
            previous = weights
        else:
            context, weights = layer(query, memory, mask=mask)
        torch.testing.assert_close(weights, golden["alignments"][t], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(context, golden["contexts"][t], atol=1e-5, rtol=1e-5)


def test_bahdanau_normalize_matches_tfa():
    golden = _load("bahdanau_normalize")
    d_key, d_attn = golden["w_memory"].shape
    layer = BahdanauAttention(golden["w_query"].shape[0], d_key, d_attn, normalize=True).double()
    _copy_score(layer.score, golden)
    _copy(layer.score.g, golden["g"])
    _replay(layer, golden, monotonic=False)


def test_luong_scale_matches_tfa():
    golden = _load("luong_scale")
    d_key, d_query = golden["w_memory"].shape
    layer = LuongAttention(d_query, d_key, score="general", scale=True).double()
    _copy_score(layer.score, golden)
    _copy(layer.g, golden["g"])
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
    ).double()
    _copy_score(layer.score, golden)
    if "g" in golden:
        target = layer.score.g if score == "bahdanau" else layer.g
        _copy(target, golden["g"])
    _copy(layer.score_bias, golden["score_bias"])
    _replay(layer, golden, monotonic=True)
