"""Every public entry point of gattut.attention refuses bad input clearly, before any work.

One row per bad input: the entry point, a function that builds the call and
names what it reads (tensors, modules), the error type and a pattern the
message must match (it names the problem). Each row also checks that nothing
was changed (inputs and parameters are as before) and, for modules, that no
submodule ran (the check came before the work).
"""

from __future__ import annotations

import pytest
import torch

import gattut.attention as A


def r(*shape, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=dtype)


def ones(*shape, dtype=torch.bool):
    return torch.ones(*shape, dtype=dtype)


# (entry point, build -> (call, watched objects), error type, message pattern)
CASES = [
    ("masked_softmax", lambda: _call(A.masked_softmax, r(2, 3), dim=5), ValueError,
     r"dim=5 is not an axis of scores with shape \(2, 3\)"),
    ("masked_softmax", lambda: (lambda: A.masked_softmax(ones(2, 3, dtype=torch.long)), []),
     ValueError, "scores must be a floating"),
    ("masked_softmax", lambda: (lambda: A.masked_softmax(r(2, 3), ones(2, 4)), []), ValueError,
     r"mask of shape \(2, 4\) does not broadcast.*\(2, 3\)"),
    ("padding_mask", lambda: (lambda: A.padding_mask(torch.tensor([1.0, 2.0])), []), ValueError,
     "lengths must be a 1-D integer tensor"),
    ("padding_mask", lambda: (lambda: A.padding_mask(torch.tensor([1, 5]), 3), []), ValueError,
     "max_len=3 is shorter than the longest length 5"),
    ("causal_mask", lambda: (lambda: A.causal_mask(-1), []), ValueError,
     "non-negative int sizes, got T=-1"),
    ("causal_mask", lambda: (lambda: A.causal_mask(3.5), []), ValueError,
     "non-negative int sizes, got T=3.5"),
    ("dot_score", lambda: _call(A.dot_score, r(2, 3, 4), r(3, 5, 4)), ValueError,
     r"batch sizes differ: query \(2, 3, 4\), key \(3, 5, 4\)"),
    ("dot_score", lambda: (lambda: A.dot_score(r(2, 3, 4), r(2, 5, 4, dtype=torch.float64)), []),
     ValueError, "dtypes differ: query torch.float32, key torch.float64"),
    ("scaled_dot_score", lambda: (lambda: A.scaled_dot_score(r(2, 3, 4), r(2, 5, 6)), []),
     ValueError, "same width"),
    ("cosine_score", lambda: (lambda: A.cosine_score(r(3, 4), r(5, 4)), []), ValueError,
     r"query must have shape \(B, T, Dq\), got shape \(3, 4\)"),
    ("GeneralScore", lambda: (lambda: A.GeneralScore(0, 4), []), ValueError,
     "d_query must be a positive int, got 0"),
    ("GeneralScore", lambda: _call(A.GeneralScore(4, 3), r(2, 3, 4), r(2, 5, 4)),
     ValueError, r"key has width 4.*expected width 3"),
    ("AdditiveScore", lambda: (lambda: A.AdditiveScore(4, 4, 0), []), ValueError,
     "d_attn must be a positive int, got 0"),
    ("BahdanauAttention", lambda: (lambda: A.BahdanauAttention(4, -4, 3), []), ValueError,
     "d_key must be a positive int, got -4"),
    ("BahdanauAttention", lambda: _call(A.BahdanauAttention(4, 4, 3), r(2, 4),
                                         r(2, 5, 4, dtype=torch.float64)), ValueError,
     "dtypes differ: query torch.float32, key torch.float64"),
    ("BahdanauAttention", lambda: _call(A.BahdanauAttention(4, 4, 3), r(2, 4), r(2, 5, 4),
                                         mask=ones(2, 5, dtype=torch.long)), ValueError,
     "mask must have dtype torch.bool"),
    ("BahdanauAttention", lambda: _call(A.BahdanauAttention(4, 4, 3), r(2, 4), r(2, 5, 4),
                                         mask=ones(2, 6)), ValueError,
     r"mask of shape \(2, 6\) does not broadcast.*key padding mask"),
    ("LuongAttention", lambda: (lambda: A.LuongAttention(4, 4, "cosine"), []), ValueError,
     "score must be one of"),
    ("LuongAttention", lambda: (lambda: A.LuongAttention(4, 6, "dot"), []), ValueError,
     "'dot' score needs d_query == d_key"),
    ("LocalPAttention", lambda: (lambda: A.LocalPAttention(4, 4, 0), []), ValueError,
     "window must be a positive int"),
    ("LocalPAttention", lambda: _call(A.LocalPAttention(4, 4, 2), r(2, 3), r(2, 5, 4)),
     ValueError, r"query has width 3.*expected width 4"),
    ("monotonic_attention", lambda: _call(A.monotonic_attention, torch.full((2, 5), 2.0),
                                           ones(2, 5).float()), ValueError,
     r"p_choose must hold probabilities in \[0, 1\].*sigmoid"),
    ("monotonic_attention", lambda: (lambda: A.monotonic_attention(r(2, 5).sigmoid(),
                                                                   ones(2, 5).float(), "soft"), []),
     ValueError, "mode must be one of"),
    ("monotonic_attention", lambda: (lambda: A.monotonic_attention(r(2, 5).sigmoid(),
                                                                   ones(2, 4).float()), []),
     ValueError, r"p_choose \(2, 5\) and previous_weights \(2, 4\) must have the same shape"),
    ("safe_cumprod", lambda: (lambda: A.safe_cumprod(ones(3, dtype=torch.long)), []), ValueError,
     "x must be a floating tensor"),
    ("safe_cumprod", lambda: (lambda: A.safe_cumprod([0.5, 0.5]), []), ValueError,
     "x must be a torch.Tensor"),
    ("MonotonicAttention", lambda: (lambda: A.MonotonicAttention(4, 4, sigmoid_noise=-1.0), []),
     ValueError, "sigmoid_noise must be >= 0"),
    ("MonotonicAttention", lambda: _call(A.MonotonicAttention(4, 4), r(2, 4), r(2, 5, 4),
                                          ones(2, 6).float()), ValueError,
     r"previous_weights must have shape \(B, S\) = \(2, 5\), got \(2, 6\)"),
    ("MonotonicAttention", lambda: _call(A.MonotonicAttention(4, 4), r(2, 3, 4), r(2, 5, 4),
                                          ones(2, 5).float()), ValueError,
     "one step at a time"),
    ("scaled_dot_product_attention", lambda: (lambda: A.scaled_dot_product_attention(
        r(2, 3, 4), r(2, 5, 4), r(2, 5, 4, dtype=torch.float64)), []), ValueError,
     "dtypes differ.*value torch.float64"),
    ("scaled_dot_product_attention", lambda: (lambda: A.scaled_dot_product_attention(
        r(2, 3, 4), r(2, 5, 4), r(2, 5, 4), dropout=1.0), []), ValueError,
     r"dropout must be in \[0, 1\), got 1.0"),
    ("scaled_dot_product_attention", lambda: (lambda: A.scaled_dot_product_attention(
        r(2, 3, 4), r(2, 5, 4), r(2, 5, 4), ones(3, 4)), []), ValueError,
     r"mask of shape \(3, 4\) does not broadcast.*\(2, 3, 5\)"),
    ("scaled_dot_product_attention", lambda: (lambda: A.scaled_dot_product_attention(
        r(2, 0, 4), r(2, 5, 4), r(2, 5, 4)), []), ValueError, "query has zero length T"),
    ("MultiHeadAttention", lambda: _call(A.MultiHeadAttention(8, 2), r(2, 3, 8), r(2, 3, 8),
                                          r(2, 3, 8), key_padding_mask=ones(2, 3)), TypeError,
     r"`key_padding_mask` was renamed `key_mask`.*True = may attend.*opposite"),
    ("MultiHeadAttention", lambda: (lambda: A.MultiHeadAttention(8, 3), []), ValueError,
     "num_heads must divide d_model, got d_model=8, num_heads=3"),
    ("MultiHeadAttention", lambda: _call(A.MultiHeadAttention(8, 2, kdim=5), r(2, 3, 8),
                                          r(2, 3, 8), r(2, 3, 8)), ValueError,
     r"key has width 8.*expected width 5"),
    ("MultiHeadAttention", lambda: _call(A.MultiHeadAttention(8, 2), r(2, 3, 8), r(2, 3, 8),
                                          r(2, 3, 8), key_mask=ones(3, 2)), ValueError,
     r"key_mask of shape \(3, 2\) does not broadcast.*\(2, 3\)"),
    ("MultiHeadAttention", lambda: _call(A.MultiHeadAttention(8, 2), r(2, 3, 8),
                                          r(2, 3, 8, dtype=torch.float64), r(2, 3, 8)),
     ValueError, "dtypes differ"),
    ("sinusoidal_encoding", lambda: (lambda: A.sinusoidal_encoding(5, 7), []), ValueError,
     "d_model must be a positive even number, got 7"),
    ("sinusoidal_encoding", lambda: (lambda: A.sinusoidal_encoding(5.5, 8), []), ValueError,
     "length must be a non-negative int, got 5.5"),
    ("sinusoidal_encoding", lambda: (lambda: A.sinusoidal_encoding(5, 8, base=0.5), []),
     ValueError, "base must be a number > 1"),
    ("layout_permutation", lambda: (lambda: A.layout_permutation("interleaved", "halves", 4), []),
     ValueError, "layout must be one of"),
    ("SinusoidalPositionalEncoding", lambda: (lambda: A.SinusoidalPositionalEncoding(0, 8), []),
     ValueError, "max_len must be a positive int, got 0"),
    ("SinusoidalPositionalEncoding", lambda: _call(A.SinusoidalPositionalEncoding(8, 10),
                                                    r(1, 4, 8)), ValueError,
     r"take \(max_len, d_model\)"),
    ("SinusoidalPositionalEncoding", lambda: _call(A.SinusoidalPositionalEncoding(3, 8),
                                                    r(1, 4, 8)), ValueError,
     r"T=4.*> max_len=3"),
    ("LearnedPositionalEncoding", lambda: (lambda: A.LearnedPositionalEncoding(4, -1), []),
     ValueError, "d_model must be a positive int, got -1"),
    ("LearnedPositionalEncoding", lambda: _call(A.LearnedPositionalEncoding(10, 6),
                                                 r(1, 3, 5)), ValueError,
     r"x has width 5.*expected width 6"),
    ("RelativePositionEmbedding", lambda: (lambda: A.RelativePositionEmbedding(-1, 4), []),
     ValueError, "max_distance must be an int >= 0, got -1"),
    ("RelativePositionEmbedding", lambda: _call(A.RelativePositionEmbedding(2, 4), 2.5),
     ValueError, "T must be a positive int, got 2.5"),
    ("relative_attention", lambda: (lambda: A.relative_attention(
        r(3, 4), r(5, 4), r(5, 4), r(3, 4, 4)), []), ValueError,
     r"rel_k must have shape \(T, S, Dh\) = \(3, 5, 4\)"),
    ("relative_attention", lambda: (lambda: A.relative_attention(
        r(3, 4), r(5, 4), r(5, 4), r(3, 5, 4, dtype=torch.float64)), []), ValueError,
     "dtypes differ.*rel_k torch.float64"),
    ("RotaryEmbedding", lambda: (lambda: A.RotaryEmbedding(5), []), ValueError,
     "d_head must be a positive even number, got 5"),
    ("RotaryEmbedding", lambda: _call(A.RotaryEmbedding(4), r(2, 3, 4), torch.arange(5)),
     ValueError, r"positions of shape \(5,\) does not broadcast.*\(2, 3\)"),
    ("AttentionPooling", lambda: (lambda: A.AttentionPooling(4, 0), []), ValueError,
     "d_attn must be a positive int, got 0"),
    ("AttentionPooling", lambda: _call(A.AttentionPooling(4, 3), r(2, 5, 4), ones(2, 6)),
     ValueError, r"mask of shape \(2, 6\) does not broadcast.*\(2, 5\)"),
    ("AttentionPooling", lambda: _call(A.AttentionPooling(4, 3), r(2, 5, 4, dtype=torch.float64)),
     ValueError, "dtypes differ: h torch.float64, context torch.float32"),
]  # fmt: skip


def _call(fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)``, watching ``fn`` (a module) and every tensor argument."""
    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)]
    watched = [fn] if isinstance(fn, torch.nn.Module) else []
    return (lambda: fn(*args, **kwargs)), [*watched, *tensors]


def _snapshot(watched):
    state = []
    for obj in watched:
        if isinstance(obj, torch.nn.Module):
            state += [t.detach().clone() for t in obj.state_dict().values()]
        else:
            state.append(obj.detach().clone())
    return state


def test_every_public_entry_point_has_a_bad_input_case():
    assert sorted(set(A.__all__) - {name for name, *_ in CASES}) == []


@pytest.mark.parametrize(
    "name, build, error, message", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_input_is_refused_clearly_and_changes_nothing(name, build, error, message):
    call, watched = build()
    before = _snapshot(watched)
    ran = []
    hooks = [
        sub.register_forward_pre_hook(lambda module, args: ran.append(type(module).__name__))
        for obj in watched
        if isinstance(obj, torch.nn.Module)
        for sub in obj.modules()
        if sub is not obj
    ]
    try:
        with pytest.raises(error, match=message):
            call()
    finally:
        for hook in hooks:
            hook.remove()
    assert ran == [], f"{name} ran {ran} before refusing its input"
    after = _snapshot(watched)
    assert len(after) == len(before)
    assert all(torch.equal(a, b) for a, b in zip(before, after)), f"{name} changed its input"
