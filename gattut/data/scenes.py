r"""Generated scenes of coloured shapes, with captions and object masks (appendix A1).

No image data set is available offline, so the captioning appendix draws its
own: 2 to 4 shapes (circle, square, triangle) in a few colours on a black
canvas, and a caption read off the scene from left to right,

    "a red circle left of a blue square left of a green triangle".

Because the generator knows where every object is, it also knows which
object each colour and shape word *mentions*: ``Scene.mentions[t]`` is the
index of the object that word ``t`` of the caption names (or ``-1`` for
"a", "left", "of"), and ``Scene.masks[k]`` is object ``k``'s pixels. That is
what lets :mod:`gattut.attention.localisation` score whether a captioner's
attention looks at the right place.

Everything is deterministic given a seed: the same seed gives the same
scenes, pixel for pixel, and :func:`scene_splits` draws train, validation and
test scenes from three different seeds derived from one.

Objects never overlap (their boxes keep a one-pixel gap) and their centres
differ by at least ``min_gap`` pixels along ``x``, so "left of" is never
ambiguous.

Shapes:
    ``Scene.image`` ``(3, H, W)`` float in ``[0, 1]``; ``Scene.masks`` ``(K, H, W)``
    bool, one per object, in caption order (left to right).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from gattut.data.vocab import EOS_ID, PAD_ID, SOS_ID, SPECIALS, Vocab

__all__ = [
    "COLOURS",
    "SHAPES",
    "SceneObject",
    "Scene",
    "SceneBatch",
    "SceneSplits",
    "caption_for",
    "render_scene",
    "random_scene",
    "make_scenes",
    "scene_splits",
    "scene_vocab",
    "collate_scenes",
]

#: The colours and their RGB values (in [0, 1]).
COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (1.0, 0.15, 0.15),
    "green": (0.15, 0.85, 0.15),
    "blue": (0.2, 0.35, 1.0),
    "yellow": (1.0, 0.9, 0.1),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
_LINK = ("left", "of")


@dataclass(frozen=True)
class SceneObject:
    """One shape: its colour, kind, centre ``(x, y)`` in pixels and side length ``size``."""

    colour: str
    shape: str
    x: int
    y: int
    size: int

    def __post_init__(self):
        if self.colour not in COLOURS:
            raise ValueError(f"colour must be one of {sorted(COLOURS)}, got {self.colour!r}")
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {list(SHAPES)}, got {self.shape!r}")
        for name in ("x", "y", "size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"{name} must be an int (pixels), got {value!r}")
        if self.size < 3:
            raise ValueError(f"size must be at least 3 pixels, got {self.size}")

    def box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)``: the pixel box the shape fills, end-exclusive."""
        x0, y0 = self.x - self.size // 2, self.y - self.size // 2
        return x0, y0, x0 + self.size, y0 + self.size


@dataclass(frozen=True)
class Scene:
    """An image, one mask per object, and the caption with what each word mentions.

    Shapes:
        image ``(3, H, W)``, masks ``(K, H, W)`` bool; ``caption`` and ``mentions``
        have one entry per word (``mentions[t]`` is an object index or ``-1``).
    """

    image: torch.Tensor
    masks: torch.Tensor
    objects: tuple[SceneObject, ...]
    caption: list[str]
    mentions: list[int]


def _check_objects(objects: Sequence[SceneObject]) -> tuple[SceneObject, ...]:
    if isinstance(objects, SceneObject):
        raise TypeError("objects must be a list of SceneObject, got a single SceneObject")
    objects = tuple(objects)
    if not objects:
        raise ValueError("a scene needs at least one object, got an empty scene (0 objects)")
    bad = [type(o).__name__ for o in objects if not isinstance(o, SceneObject)]
    if bad:
        raise TypeError(f"objects must be SceneObject instances, got {bad[0]}")
    return objects


def caption_for(objects: Sequence[SceneObject]) -> tuple[list[str], list[int]]:
    """The caption of a scene, left to right, and the object each word mentions.

    ``objects`` must already be in left-to-right order (increasing ``x``);
    ``mentions[t]`` is the index of the object word ``t`` names, ``-1`` for
    "a", "left" and "of".

    >>> caption_for([SceneObject("red", "circle", 5, 9, 6), SceneObject("blue", "square", 20, 9, 6)])[0]
    ['a', 'red', 'circle', 'left', 'of', 'a', 'blue', 'square']
    """
    objects = _check_objects(objects)
    xs = [o.x for o in objects]
    if any(a >= b for a, b in zip(xs, xs[1:])):
        raise ValueError(f"objects must be sorted left to right (increasing x), got x = {xs}")
    words, mentions = [], []
    for k, obj in enumerate(objects):
        if k:
            words += list(_LINK)
            mentions += [-1, -1]
        words += ["a", obj.colour, obj.shape]
        mentions += [-1, k, k]
    return words, mentions


def _shape_mask(obj: SceneObject, size: int) -> np.ndarray:
    """Pixels of one shape on a ``size x size`` canvas, as a bool array ``(H, W)``."""
    ys, xs = np.mgrid[0:size, 0:size]
    x0, y0, x1, y1 = obj.box()
    inside = (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    if obj.shape == "square":
        return inside
    # Pixel centres, relative to the box: u, v in [0, 1].
    u = (xs - x0 + 0.5) / obj.size
    v = (ys - y0 + 0.5) / obj.size
    if obj.shape == "circle":
        return inside & ((u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25)
    # A triangle pointing up: apex at the top centre, base along the bottom.
    return inside & (np.abs(u - 0.5) <= 0.5 * v + 0.05)


def render_scene(objects: Sequence[SceneObject], size: int = 32) -> Scene:
    """Draw ``objects`` on a black ``size x size`` canvas; caption and masks included.

    The objects are sorted left to right first, so ``masks[k]`` belongs to the
    ``k``-th object the caption names. Objects must lie inside the canvas and
    must not overlap.

    Shapes:
        -> ``Scene.image (3, size, size)``, ``Scene.masks (K, size, size)``
    """
    objects = _check_objects(objects)
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8 (pixels), got {size!r}")
    objects = tuple(sorted(objects, key=lambda o: o.x))
    for o in objects:
        x0, y0, x1, y1 = o.box()
        if x0 < 0 or y0 < 0 or x1 > size or y1 > size:
            raise ValueError(f"{o} lies outside the {size} x {size} canvas (box {o.box()})")
    masks = np.stack([_shape_mask(o, size) for o in objects])  # (K, H, W)
    if (masks.sum(0) > 1).any():
        raise ValueError("objects overlap; a scene's shapes must not share pixels")
    image = np.zeros((3, size, size), dtype=np.float32)  # (3, H, W)
    for o, m in zip(objects, masks):
        image[:, m] = np.asarray(COLOURS[o.colour], dtype=np.float32)[:, None]
    caption, mentions = caption_for(objects)
    return Scene(torch.from_numpy(image), torch.from_numpy(masks), objects, caption, mentions)


def _check_counts(min_objects, max_objects) -> None:
    for name, value in (("min_objects", min_objects), ("max_objects", max_objects)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if min_objects > max_objects:
        raise ValueError(f"min_objects={min_objects} is more than max_objects={max_objects}")


def random_scene(
    rng: np.random.Generator,
    size: int = 32,
    min_objects: int = 2,
    max_objects: int = 4,
    min_gap: int = 3,
) -> Scene:
    """One random scene drawn with ``rng`` (a NumPy ``Generator``).

    Shapes get a side of ``size // 5`` to ``size // 4`` pixels, a random
    colour, kind and place; a place is redrawn until it overlaps no other
    shape (boxes one pixel apart) and its centre is ``min_gap`` pixels or more
    from every other centre along ``x``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    _check_counts(min_objects, max_objects)
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise ValueError(f"size must be an int >= 16 (pixels), got {size!r}")
    if max_objects > 6:
        raise ValueError(f"max_objects must be at most 6 (room on the canvas), got {max_objects}")
    lo, hi = max(size // 5, 4), size // 4
    count = int(rng.integers(min_objects, max_objects + 1))
    for _ in range(1000):  # redraw the whole scene if a shape finds no room
        placed: list[SceneObject] = []
        for _ in range(count):
            for _ in range(100):
                # A candidate: a size, then a centre that keeps the whole box on the canvas.
                s = int(rng.integers(lo, hi + 1))
                x = int(rng.integers(s // 2, size - (s - s // 2) + 1))
                y = int(rng.integers(s // 2, size - (s - s // 2) + 1))
                cand = SceneObject(
                    str(rng.choice(list(COLOURS))), str(rng.choice(list(SHAPES))), x, y, s
                )
                if all(_apart(cand, o, min_gap) for o in placed):
                    placed.append(cand)
                    break
            else:
                break
        if len(placed) == count:
            return render_scene(placed, size)
    raise RuntimeError(f"could not place {count} objects on a {size}-pixel canvas")  # pragma: no cover


def _apart(a: SceneObject, b: SceneObject, min_gap: int) -> bool:
    """True if the boxes of ``a`` and ``b`` keep a pixel between them and their x differ."""
    ax0, ay0, ax1, ay1 = a.box()
    bx0, by0, bx1, by1 = b.box()
    disjoint = ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0
    return disjoint and abs(a.x - b.x) >= min_gap


def make_scenes(n: int, seed: int, size: int = 32, min_objects: int = 2, max_objects: int = 4,
                min_gap: int = 3) -> list[Scene]:  # fmt: skip
    """``n`` random scenes from ``seed``: the same seed always gives the same scenes."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int (number of scenes), got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    rng = np.random.default_rng(seed)
    return [random_scene(rng, size, min_objects, max_objects, min_gap) for _ in range(n)]


class SceneSplits(NamedTuple):
    """Train, validation and test scenes, each drawn from its own seed."""

    train: list[Scene]
    valid: list[Scene]
    test: list[Scene]


def scene_splits(
    n_train: int, n_valid: int, n_test: int, seed: int = 0, size: int = 32,
    min_objects: int = 2, max_objects: int = 4,
) -> SceneSplits:  # fmt: skip
    """Three splits from three seeds derived from ``seed`` (``3 seed``, ``3 seed + 1``, ``+ 2``).

    The splits never share a random stream, so a larger training set does not
    change the test scenes.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    kw = dict(size=size, min_objects=min_objects, max_objects=max_objects)
    return SceneSplits(
        make_scenes(n_train, 3 * seed, **kw),
        make_scenes(n_valid, 3 * seed + 1, **kw),
        make_scenes(n_test, 3 * seed + 2, **kw),
    )


def scene_vocab() -> Vocab:
    """The caption vocabulary: the four specials, "a", "left", "of", the colours, the shapes.

    Fixed, not built from data, so every model of the appendix has the same ids.
    """
    return Vocab([*SPECIALS, "a", *_LINK, *COLOURS, *SHAPES])


class SceneBatch(NamedTuple):
    """Scenes stacked for training: images, decoder input and target, word mentions.

    Shapes:
        images ``(B, 3, H, W)``; tgt_in, tgt_out, mentions ``(B, T)`` with
        ``T = longest caption + 1``: ``tgt_in = <sos> w_1 .. w_n <pad>..``,
        ``tgt_out = w_1 .. w_n <eos> <pad>..``; mentions are ``-1`` where no
        object is named (and at ``<eos>`` and padding).
    """

    images: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor
    mentions: torch.Tensor


def collate_scenes(scenes: Sequence[Scene], vocab: Vocab) -> SceneBatch:
    """Stack ``scenes`` into one padded :class:`SceneBatch`."""
    scenes = list(scenes)
    if not scenes:
        raise ValueError("collate_scenes needs at least one scene, got none")
    if not all(isinstance(s, Scene) for s in scenes):
        raise TypeError("collate_scenes takes Scene objects (see make_scenes)")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    shapes = {tuple(s.image.shape) for s in scenes}
    if len(shapes) > 1:
        raise ValueError(f"scenes have different image shapes {sorted(shapes)}; use one size")
    T = max(len(s.caption) for s in scenes) + 1
    B = len(scenes)
    tgt_in = torch.full((B, T), PAD_ID, dtype=torch.long)
    tgt_out = torch.full((B, T), PAD_ID, dtype=torch.long)
    mentions = torch.full((B, T), -1, dtype=torch.long)
    for b, s in enumerate(scenes):
        ids = vocab.encode(s.caption)
        n = len(ids)
        tgt_in[b, : n + 1] = torch.tensor([SOS_ID, *ids])
        tgt_out[b, : n + 1] = torch.tensor([*ids, EOS_ID])
        mentions[b, :n] = torch.tensor(s.mentions)
    images = torch.stack([s.image for s in scenes])  # (B, 3, H, W)
    return SceneBatch(images, tgt_in, tgt_out, mentions)
