"""Attention peaks against targets and chance, on maps where the answer is known."""

import pytest
import torch

from gattut.attention.peaks import attention_peaks, chance_share, peak_share


def test_peaks_skip_masked_positions_and_ties():
    weights = torch.tensor([[0.1, 0.7, 0.2], [0.2, 0.1, 0.7], [0.5, 0.5, 0.0], [0.3, 0.3, 0.4]])
    mask = torch.tensor([[True] * 3, [True, True, False], [True] * 3, [True] * 3])
    assert attention_peaks(weights, mask).tolist() == [1, 0, -1, 2]
    assert attention_peaks(weights).tolist() == [1, 2, -1, 2]


def test_perfect_map_scores_one_uniform_map_scores_zero():
    target = torch.tensor([0, 3, 2, 1])
    mask = torch.tensor([[True] * 4, [True] * 4, [True] * 3 + [False], [True] * 2 + [False] * 2])
    onehot = torch.nn.functional.one_hot(target, 4).float()
    assert peak_share(onehot, target, mask) == 1.0
    uniform = mask.float() / mask.sum(1, keepdim=True)
    assert peak_share(uniform, target, mask) == 0.0  # no peak, no hit
    assert peak_share(onehot.roll(1, dims=1), target, mask) == 0.0
    assert chance_share(mask) == pytest.approx((1 / 4 + 1 / 4 + 1 / 3 + 1 / 2) / 4)


def test_random_maps_hit_at_the_chance_rate():
    g = torch.Generator().manual_seed(0)
    N, T = 20000, 6
    lengths = torch.randint(1, T + 1, (N,), generator=g)
    mask = torch.arange(T) < lengths[:, None]
    target = (torch.rand(N, generator=g) * lengths).long()
    weights = torch.rand(N, T, generator=g)
    assert peak_share(weights, target, mask) == pytest.approx(chance_share(mask), abs=0.01)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: peak_share(torch.ones(2, 3, dtype=torch.long), torch.zeros(2).long()), "floating"),
        (lambda: peak_share(torch.rand(2, 3, 1), torch.zeros(2).long()), r"shape \(N, T\)"),
        (lambda: peak_share(torch.rand(0, 3), torch.zeros(0).long()), "no rows"),
        (lambda: peak_share(torch.rand(2, 3), torch.zeros(3).long()), r"shape \(2,\)"),
        (lambda: peak_share(torch.rand(2, 3), torch.zeros(2)), "integer positions"),
        (lambda: peak_share(torch.rand(2, 3), torch.tensor([0, 3])), r"lie in \[0, 3\)"),
        (
            lambda: peak_share(
                torch.rand(2, 3), torch.zeros(2).long(), torch.tensor([[True] * 3, [False] * 3])
            ),
            "row 1 has no True",
        ),
        (
            lambda: peak_share(torch.rand(2, 3), torch.zeros(2).long(), torch.ones(2, 3)),
            "torch.bool",
        ),
        (lambda: chance_share(torch.ones(2, 3)), "bool tensor"),
    ],
)
def test_bad_input_names_the_problem(call, words):
    with pytest.raises(ValueError, match=words):
        call()
