"""The localisation score and its chance levels, on maps and masks whose answer is known."""

import pytest
import torch

from gattut.attention.localisation import (
    localisation_score,
    peak_hits,
    random_map_score,
    region_masks,
    uniform_map_score,
)


def masks_with_box(N=1, H=8, W=8, box=(0, 0, 2, 2)):
    """``N`` masks with one filled box ``(y0, x0, y1, x1)``."""
    m = torch.zeros(N, H, W, dtype=torch.bool)
    y0, x0, y1, x1 = box
    m[:, y0:y1, x0:x1] = True
    return m


def test_region_masks_any_pixel_counts():
    m = masks_with_box(box=(1, 1, 3, 3))  # pixels (1..2, 1..2) of an 8 x 8 mask
    regions = region_masks(m, (4, 4))  # 2 x 2 pixel blocks
    expected = torch.zeros(1, 4, 4, dtype=torch.bool)
    expected[0, :2, :2] = True  # the box touches the four top-left blocks
    assert torch.equal(regions, expected)


def test_peak_hits_and_score_on_known_maps():
    masks = masks_with_box(N=3, box=(0, 0, 4, 4))  # the top-left quarter of 8 x 8
    maps = torch.zeros(3, 2, 2)
    maps[0, 0, 0] = 1.0  # peak in the top-left region: a hit
    maps[1, 1, 1] = 1.0  # bottom-right: a miss
    maps[2, 0, 1] = 0.6  # top-right: a miss
    assert peak_hits(maps, masks).tolist() == [True, False, False]
    assert localisation_score(maps, masks) == pytest.approx(1 / 3)


def test_perfect_maps_score_one():
    masks = torch.stack([masks_with_box(box=b)[0] for b in [(0, 0, 2, 2), (6, 6, 8, 8), (0, 4, 3, 6)]])
    maps = region_masks(masks, (4, 4)).float()  # the mask itself, as a map
    assert localisation_score(maps, masks) == 1.0


def test_uniform_chance_is_the_share_of_regions_in_the_mask():
    masks = torch.cat([masks_with_box(box=(0, 0, 2, 2)), masks_with_box(box=(0, 0, 4, 4))])
    # On a 4 x 4 grid: 1 of 16 regions, then 4 of 16.
    assert uniform_map_score(masks, (4, 4)) == pytest.approx((1 / 16 + 4 / 16) / 2)


def test_random_maps_score_near_uniform_chance():
    masks = masks_with_box(N=50, box=(0, 0, 4, 4))  # 4 of 16 regions
    assert random_map_score(masks, (4, 4), trials=200, seed=1) == pytest.approx(0.25, abs=0.02)
    assert random_map_score(masks, (4, 4), trials=3, seed=2) == random_map_score(
        masks, (4, 4), trials=3, seed=2
    )


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: region_masks(torch.ones(1, 8, 8), (2, 2)), "bool"),
        (lambda: region_masks(torch.ones(8, 8, dtype=torch.bool), (2, 2)), r"\(N, H, W\)"),
        (lambda: region_masks(torch.ones(0, 8, 8, dtype=torch.bool), (2, 2)), "N = 0"),
        (lambda: region_masks(torch.zeros(2, 8, 8, dtype=torch.bool), (2, 2)), "mask 0 is empty"),
        (lambda: region_masks(masks_with_box(), (3, 3)), "equal blocks"),
        (lambda: region_masks(masks_with_box(), (2,)), "two positive ints"),
        (lambda: peak_hits(torch.zeros(2, 2, 2), masks_with_box()), "2 maps but 1 masks"),
        (lambda: peak_hits(torch.zeros(1, 4), masks_with_box()), r"\(N, Hg, Wg\)"),
        (lambda: peak_hits(torch.zeros(1, 2, 2, dtype=torch.long), masks_with_box()), "floating"),
        (lambda: random_map_score(masks_with_box(), (2, 2), trials=0), "trials"),
    ],
)
def test_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()
