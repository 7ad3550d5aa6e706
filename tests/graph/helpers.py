"""Helpers for the graph tests."""

from __future__ import annotations

import torch


def assert_matches_pyg(ours, ref, x, edge_index, tol: float = 1e-5):
    """Same outputs, the same edges in the same order, the same attention and gradients."""
    out, (ei, alpha) = ours(x, edge_index, return_attention_weights=True)
    out_ref, (ei_ref, alpha_ref) = ref(x, edge_index, return_attention_weights=True)
    torch.testing.assert_close(out, out_ref, rtol=tol, atol=tol)
    assert ei.tolist() == ei_ref.tolist()
    torch.testing.assert_close(alpha, alpha_ref, rtol=tol, atol=tol)
    grad = torch.randn_like(out)
    for a, b in zip(torch.autograd.grad(out, list(ours.parameters()), grad),
                    torch.autograd.grad(out_ref, list(ref.parameters()), grad)):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)
    return out
