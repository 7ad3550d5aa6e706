"""The chapter 6 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch
from torch import nn

from gattut.exercises import ExerciseError, ch06


def _split(x, H):
    B, T, D = x.shape
    return x.view(B, T, H, D // H).transpose(1, 2)


def test_split_heads_checker():
    assert "passed" in ch06.check_split_heads(_split)
    for wrong, words in [
        (lambda x, H: x.reshape(x.shape[0], H, x.shape[1], -1), "straight to"),
        (lambda x, H: x.view(*x.shape[:2], H, -1), "swap the T and H"),
        (lambda x, H: x.view(*x.shape[:2], -1, H).permute(0, 3, 1, 2), "strided"),
        (lambda x, H: x, "wrong shape"),
    ]:
        with pytest.raises(ExerciseError, match=words):
            ch06.check_split_heads(wrong)


def _to_torch(ours, order=("q", "k", "v"), bias=True, batch_first=True):
    theirs = nn.MultiheadAttention(ours.d_model, ours.num_heads, batch_first=batch_first)
    projections = {"q": ours.q_proj, "k": ours.k_proj, "v": ours.v_proj}
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([projections[n].weight for n in order]))
        if bias:
            theirs.in_proj_bias.copy_(torch.cat([projections[n].bias for n in order]))
        theirs.out_proj.weight.copy_(ours.out_proj.weight)
        theirs.out_proj.bias.copy_(ours.out_proj.bias)
    return theirs


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda m: _to_torch(m, order=("k", "q", "v")), "in the k block"),
        (lambda m: _to_torch(m, bias=False), "in_proj_bias"),
        (lambda m: _to_torch(m, batch_first=False), "batch_first"),
        (lambda m: m, "should return a torch.nn.MultiheadAttention"),
    ],
)
def test_to_torch_checker(wrong, words):
    assert "passed" in ch06.check_to_torch(_to_torch)
    with pytest.raises(ExerciseError, match=words):
        ch06.check_to_torch(wrong)
