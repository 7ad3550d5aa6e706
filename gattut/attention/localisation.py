r"""Does attention look at the right place? The attention-localisation score and its chance level.

A captioner attends over an ``Hg x Wg`` grid of image regions while it writes
each word. When a word names an object ("red", "circle"), the generator of
the scene knows the object's pixels, so the attention can be scored: take the
map's *peak*, the region :math:`\arg\max_i \alpha_{ti}`, and count a hit when
that region's block of pixels touches the object's mask,

.. math::

    \text{score} = \frac{1}{N} \sum_{n=1}^{N}
        \mathbb{1}\big[\operatorname{block}(\arg\max_i \alpha_{n,i}) \cap M_n \neq \emptyset\big].

**Chance.** A map that knows nothing has its peak anywhere. For a *uniform*
map every region is equally likely to be the peak (ties broken at random), so
the expected score is the share of regions that touch the mask,
:math:`\frac1N \sum_n |\{i : \operatorname{block}(i) \cap M_n \neq \emptyset\}| / L`.
A *random* map (independent uniform values per region) has the same
expectation; :func:`random_map_score` measures it by drawing maps.

Shapes:
    maps ``(N, Hg, Wg)`` (one attention map per scored word), masks
    ``(N, H, W)`` bool with ``H`` a multiple of ``Hg`` and ``W`` of ``Wg``.
"""

from __future__ import annotations

import torch

__all__ = [
    "region_masks",
    "peak_hits",
    "localisation_score",
    "uniform_map_score",
    "random_map_score",
]


def _check_masks(masks: torch.Tensor) -> None:
    if not isinstance(masks, torch.Tensor) or masks.dim() != 3:
        raise ValueError(
            f"masks must be a bool (N, H, W) tensor, got shape {tuple(getattr(masks, 'shape', ()))}"
        )
    if masks.dtype != torch.bool:
        raise ValueError(f"masks must be bool (True = the object's pixel), got dtype {masks.dtype}")
    if masks.shape[0] == 0:
        raise ValueError("nothing to score: masks is empty (N = 0 words)")
    empty = (~masks.flatten(1).any(dim=1)).nonzero()
    if len(empty):
        raise ValueError(f"mask {int(empty[0])} is empty: every scored word needs an object's pixels")


def region_masks(masks: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Which grid regions touch each mask: a region is in when any of its pixels is.

    Shapes:
        masks ``(N, H, W)`` bool, grid ``(Hg, Wg)`` -> ``(N, Hg, Wg)`` bool
    """
    _check_masks(masks)
    if (not isinstance(grid, tuple | list) or len(grid) != 2
            or not all(isinstance(g, int) and g >= 1 for g in grid)):  # fmt: skip
        raise ValueError(f"grid must be two positive ints (Hg, Wg), got {grid!r}")
    N, H, W = masks.shape
    Hg, Wg = grid
    if H % Hg or W % Wg:
        raise ValueError(f"the {H} x {W} masks do not split into a {Hg} x {Wg} grid of equal blocks")
    blocks = masks.reshape(N, Hg, H // Hg, Wg, W // Wg)  # (N, Hg, h, Wg, w)
    return blocks.any(dim=4).any(dim=2)  # (N, Hg, Wg)


def _check_maps(maps: torch.Tensor, masks: torch.Tensor) -> None:
    if not isinstance(maps, torch.Tensor) or maps.dim() != 3 or not maps.is_floating_point():
        raise ValueError(
            f"maps must be a floating (N, Hg, Wg) tensor, got shape {tuple(getattr(maps, 'shape', ()))}"
        )
    _check_masks(masks)
    if maps.shape[0] != masks.shape[0]:
        raise ValueError(f"{maps.shape[0]} maps but {masks.shape[0]} masks: one mask per map")


def peak_hits(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """For each map, does its peak region touch the object's mask?

    Shapes:
        maps ``(N, Hg, Wg)``, masks ``(N, H, W)`` bool -> ``(N,)`` bool
    """
    _check_maps(maps, masks)
    N, Hg, Wg = maps.shape
    inside = region_masks(masks, (Hg, Wg)).reshape(N, Hg * Wg)  # (N, L)
    peak = maps.reshape(N, Hg * Wg).argmax(dim=1)  # (N,)
    return inside[torch.arange(N), peak]  # (N,)


def localisation_score(maps: torch.Tensor, masks: torch.Tensor) -> float:
    """The share of maps whose peak region touches the mentioned object, in ``[0, 1]``.

    Shapes:
        maps ``(N, Hg, Wg)``, masks ``(N, H, W)`` bool -> float
    """
    return float(peak_hits(maps, masks).float().mean())


def uniform_map_score(masks: torch.Tensor, grid: tuple[int, int]) -> float:
    """The expected score of a uniform map (peak anywhere): the mean share of regions in the mask.

    Shapes:
        masks ``(N, H, W)`` bool, grid ``(Hg, Wg)`` -> float
    """
    inside = region_masks(masks, grid)  # (N, Hg, Wg)
    return float(inside.flatten(1).float().mean(dim=1).mean())


def random_map_score(
    masks: torch.Tensor, grid: tuple[int, int], trials: int = 100, seed: int = 0
) -> float:
    """The score of random maps (uniform noise per region), averaged over ``trials`` draws.

    Shapes:
        masks ``(N, H, W)`` bool, grid ``(Hg, Wg)`` -> float
    """
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be a positive int, got {trials!r}")
    _check_masks(masks)
    gen = torch.Generator().manual_seed(seed)
    N = masks.shape[0]
    scores = [localisation_score(torch.rand(N, *grid, generator=gen), masks) for _ in range(trials)]
    return sum(scores) / trials
