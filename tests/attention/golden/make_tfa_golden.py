"""Generate the TensorFlow Addons golden vectors for the seq2seq attention tests.

TensorFlow Addons (TFA) held the last maintained implementation of the old
``tf.contrib.seq2seq`` attention mechanisms; it is end-of-life and does not
install next to current TensorFlow, so the tests never import it. Instead
this script, run once in a throwaway environment, stores inputs, weights and
outputs in small ``.npz`` files that ``tests/attention/test_golden_tfa.py``
loads, copies into the ``gattut`` modules and compares at 1e-5.

How to run it (Python 3.11, outside the repository's venv)::

    python3.11 -m venv "$TFA_VENV"   # any throwaway folder outside the repository
    "$TFA_VENV"/bin/pip install "tensorflow-cpu==2.15.*" tensorflow-addons==0.23.0 "numpy<2"
    "$TFA_VENV"/bin/python tests/attention/golden/make_tfa_golden.py

Versions used for the committed files: tensorflow-cpu 2.15.1,
tensorflow-addons 0.23.0, numpy 1.26.4 (CPU, float32).

Each file holds, for ``steps`` consecutive decoder steps of one mechanism:

==================  =========================  =====================================
key                 shape                      meaning
==================  =========================  =====================================
memory              (B, S, Dk)                 encoder outputs (keys and values)
lengths             (B,)                       ``memory_sequence_length``
queries             (steps, B, Dq)             decoder states, one per step
previous            (steps, B, S)              alignments fed in (``state``)
alignments          (steps, B, S)              alignments TFA returned
contexts            (steps, B, Dk)             ``alignments @ values`` (TFA's
                                               AttentionWrapper context)
w_memory            (Dk, units)                ``memory_layer`` kernel
w_query             (Dq, units)                ``query_layer`` kernel (Bahdanau)
v, g, b             (units,), (), (units,)     ``attention_v``, ``attention_g``,
                                               ``attention_b`` (where present)
score_bias          ()                         ``attention_score_bias`` (monotonic)
==================  =========================  =====================================

The weights are set to random values (not TFA's initial ones, e.g. ``g``
would otherwise start at exactly ``sqrt(1/units)`` and ``b`` at zero), so
every parameter is exercised.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_addons as tfa

HERE = Path(__file__).resolve().parent
B, S, DK, DQ, UNITS, STEPS = 2, 5, 3, 4, 6, 3
LENGTHS = np.array([5, 3], dtype=np.int32)


def _run(name: str, make, monotonic: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tf.random.set_seed(seed)
    memory = rng.normal(size=(B, S, DK)).astype(np.float32)
    queries = rng.normal(size=(STEPS, B, DQ)).astype(np.float32)
    mechanism = make(memory)
    if monotonic:
        state = mechanism.initial_alignments(B, dtype=tf.float32)
    else:
        state = tf.zeros((B, S), tf.float32)  # ignored by the softmax mechanisms
    mechanism([tf.constant(queries[0]), state])  # builds every weight
    # Overwrite every weight with random values so that each one is tested.
    for weight in mechanism.weights:
        shape = tuple(weight.shape)
        if "attention_g" in weight.name:
            # A scale near zero would flatten the weights and weaken the test.
            weight.assign(np.float32(rng.uniform(1.0, 2.0)))
        else:
            weight.assign(rng.normal(scale=0.7, size=shape).astype(np.float32))
    # Keys were projected at setup time with the old memory_layer kernel: redo it.
    mechanism.setup_memory(tf.constant(memory), memory_sequence_length=tf.constant(LENGTHS))

    previous, alignments, contexts = [], [], []
    for t in range(STEPS):
        previous.append(np.asarray(state))
        aligned, state = mechanism([tf.constant(queries[t]), state])
        alignments.append(aligned.numpy())
        contexts.append(tf.einsum("bs,bsd->bd", aligned, mechanism.values).numpy())

    arrays = {
        "memory": memory,
        "lengths": LENGTHS,
        "queries": queries,
        "previous": np.stack(previous),
        "alignments": np.stack(alignments),
        "contexts": np.stack(contexts),
        "w_memory": mechanism.memory_layer.kernel.numpy(),
    }
    if mechanism.query_layer is not None:
        arrays["w_query"] = mechanism.query_layer.kernel.numpy()
    for attr, key in [
        ("attention_v", "v"),
        ("attention_g", "g"),
        ("scale_weight", "g"),  # LuongAttention names its g this way
        ("attention_b", "b"),
        ("attention_score_bias", "score_bias"),
    ]:
        value = getattr(mechanism, attr, None)
        if value is not None:
            arrays[key] = value.numpy()
    np.savez(HERE / f"{name}.npz", **arrays)
    print(name, {k: v.shape for k, v in arrays.items()})


def main() -> None:
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    seq = tfa.seq2seq

    def kwargs(memory):
        return {"memory": tf.constant(memory), "memory_sequence_length": tf.constant(LENGTHS)}

    _run(
        "bahdanau_normalize",
        lambda m: seq.BahdanauAttention(UNITS, normalize=True, **kwargs(m)),
        monotonic=False,
        seed=1,
    )
    _run(
        "luong_scale",
        lambda m: seq.LuongAttention(DQ, scale=True, **kwargs(m)),
        monotonic=False,
        seed=2,
    )
    _run(
        "bahdanau_monotonic",
        lambda m: seq.BahdanauMonotonicAttention(
            UNITS, normalize=True, score_bias_init=-1.0, mode="parallel", **kwargs(m)
        ),
        monotonic=True,
        seed=3,
    )
    _run(
        "luong_monotonic",
        lambda m: seq.LuongMonotonicAttention(
            DQ, scale=True, score_bias_init=-1.0, mode="parallel", **kwargs(m)
        ),
        monotonic=True,
        seed=4,
    )
    _run(
        "bahdanau_monotonic_hard",
        lambda m: seq.BahdanauMonotonicAttention(
            UNITS, normalize=False, score_bias_init=0.5, mode="hard", **kwargs(m)
        ),
        monotonic=True,
        seed=8,  # picked so that the hard alignment moves forward and once stops nowhere
    )


if __name__ == "__main__":
    main()
