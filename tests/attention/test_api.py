"""The public API of gattut.attention: every name exported, documented with a Shapes: section."""

from __future__ import annotations

import inspect

import pytest

import gattut.attention as attention


def test_all_names_are_exported():
    for name in attention.__all__:
        assert hasattr(attention, name), name


@pytest.mark.parametrize("name", attention.__all__)
def test_every_public_name_documents_formula_and_shapes(name):
    doc = inspect.getdoc(getattr(attention, name)) or ""
    assert "Shapes:" in doc, f"{name} has no Shapes: section"


def test_signatures_other_helpers_mirror():
    # gattut.tf.attention mirrors these signatures; changing one is an API change.
    expected = {
        "masked_softmax": "(scores, mask=None, dim=-1)",
        "padding_mask": "(lengths, max_len=None)",
        "causal_mask": "(T, S=None, device=None)",
        "scaled_dot_product_attention": "(query, key, value, mask=None, dropout=0.0, training=True)",
        "monotonic_attention": "(p_choose, previous_weights, mode='parallel')",
        "sinusoidal_encoding": "(length, d_model, layout='interleaved', base=10000.0)",
        "layout_permutation": "(from_layout, to_layout, d_model)",
        "relative_attention": "(q, k, v, rel_k, rel_v=None, mask=None)",
    }
    for name, signature in expected.items():
        full = inspect.signature(getattr(attention, name))
        bare = full.replace(
            parameters=[
                p.replace(annotation=inspect.Parameter.empty) for p in full.parameters.values()
            ],
            return_annotation=inspect.Signature.empty,
        )
        assert str(bare) == signature, (name, str(bare))
