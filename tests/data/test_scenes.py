"""The scene generator: deterministic per seed, captions consistent with the pixels, clear errors."""

import numpy as np
import pytest
import torch

from gattut.data.scenes import (
    COLOURS,
    SHAPES,
    Scene,
    SceneObject,
    caption_for,
    collate_scenes,
    make_scenes,
    random_scene,
    render_scene,
    scene_splits,
    scene_vocab,
)
from gattut.data.vocab import EOS_ID, PAD_ID, SOS_ID


def test_same_seed_same_scenes_other_seed_other_scenes():
    a, b, c = make_scenes(20, 7), make_scenes(20, 7), make_scenes(20, 8)
    for x, y in zip(a, b):
        torch.testing.assert_close(x.image, y.image)
        assert x.caption == y.caption and x.objects == y.objects
    assert any(x.caption != z.caption for x, z in zip(a, c))


def test_splits_use_their_own_seeds():
    small, large = scene_splits(5, 5, 5, seed=1), scene_splits(50, 5, 5, seed=1)
    assert [s.caption for s in small.test] == [s.caption for s in large.test]
    assert [s.objects for s in small.train] != [s.objects for s in small.test]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_captions_and_masks_agree_with_the_pixels(seed):
    for scene in make_scenes(30, seed):
        K = len(scene.objects)
        assert 2 <= K <= 4
        assert scene.image.shape == (3, 32, 32) and scene.masks.shape == (K, 32, 32)
        assert scene.masks.dtype == torch.bool
        assert not (scene.masks.sum(0) > 1).any()  # no overlap
        xs = [o.x for o in scene.objects]
        assert xs == sorted(xs) and all(b - a >= 3 for a, b in zip(xs, xs[1:]))
        colour_words = [w for w in scene.caption if w in COLOURS]
        shape_words = [w for w in scene.caption if w in SHAPES]
        assert colour_words == [o.colour for o in scene.objects]
        assert shape_words == [o.shape for o in scene.objects]
        for word, k in zip(scene.caption, scene.mentions):
            if word in COLOURS:
                rgb = torch.tensor(COLOURS[word])
                pixels = scene.image[:, scene.masks[k]]  # (3, n)
                torch.testing.assert_close(pixels, rgb[:, None].expand_as(pixels))
            elif word in SHAPES:
                assert scene.objects[k].shape == word
            else:
                assert k == -1
        background = ~scene.masks.any(0)
        assert (scene.image[:, background] == 0).all()


def test_caption_for_two_objects():
    objs = [SceneObject("red", "circle", 5, 9, 6), SceneObject("blue", "square", 20, 9, 6)]
    words, mentions = caption_for(objs)
    assert " ".join(words) == "a red circle left of a blue square"
    assert mentions == [-1, 0, 0, -1, -1, -1, 1, 1]


def test_shapes_differ_and_fit_their_box():
    areas = {}
    for shape in SHAPES:
        scene = render_scene([SceneObject("green", shape, 10, 10, 8)], size=32)
        mask = scene.masks[0]
        assert mask[6:14, 6:14].sum() == mask.sum()  # inside the box (x0 = 10 - 4)
        areas[shape] = int(mask.sum())
    assert areas["square"] == 64 > areas["circle"] > areas["triangle"]


def test_render_sorts_left_to_right():
    objs = [SceneObject("blue", "square", 20, 9, 6), SceneObject("red", "circle", 5, 9, 6)]
    scene = render_scene(objs)
    assert scene.caption[:3] == ["a", "red", "circle"]
    assert scene.masks[0][:, :10].any() and not scene.masks[0][:, 16:].any()


def test_vocab_is_fixed_and_covers_every_caption():
    vocab = scene_vocab()
    assert vocab == scene_vocab() and len(vocab) == 4 + 3 + len(COLOURS) + len(SHAPES)
    for scene in make_scenes(10, 0):
        assert all(w in vocab for w in scene.caption)


def test_collate_pads_and_shifts():
    scenes = make_scenes(6, 3)
    vocab = scene_vocab()
    batch = collate_scenes(scenes, vocab)
    T = max(len(s.caption) for s in scenes) + 1
    assert batch.images.shape == (6, 3, 32, 32)
    assert batch.tgt_in.shape == batch.tgt_out.shape == batch.mentions.shape == (6, T)
    for b, s in enumerate(scenes):
        n = len(s.caption)
        assert batch.tgt_in[b, 0] == SOS_ID and batch.tgt_out[b, n] == EOS_ID
        assert vocab.decode(batch.tgt_out[b].tolist()) == s.caption
        assert (batch.tgt_out[b, n + 1 :] == PAD_ID).all()
        assert batch.mentions[b, :n].tolist() == s.mentions and (batch.mentions[b, n:] == -1).all()


def test_other_sizes_and_counts():
    scene = random_scene(np.random.default_rng(0), size=64, min_objects=4, max_objects=4)
    assert scene.image.shape == (3, 64, 64) and len(scene.objects) == 4


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: render_scene([]), ValueError, "empty scene"),
        (lambda: caption_for([]), ValueError, "0 objects"),
        (lambda: render_scene(SceneObject("red", "circle", 5, 5, 5)), TypeError, "single"),
        (lambda: render_scene(["red circle"]), TypeError, "SceneObject"),
        (lambda: SceneObject("purple", "circle", 5, 5, 5), ValueError, "colour"),
        (lambda: SceneObject("red", "hexagon", 5, 5, 5), ValueError, "shape"),
        (lambda: SceneObject("red", "circle", 5.5, 5, 5), TypeError, "x must be an int"),
        (lambda: SceneObject("red", "circle", 5, 5, 2), ValueError, "size"),
        (lambda: render_scene([SceneObject("red", "circle", 1, 5, 6)]), ValueError, "outside"),
        (lambda: render_scene([SceneObject("red", "circle", 10, 10, 8),
                               SceneObject("red", "square", 12, 10, 8)]), ValueError, "overlap"),
        (lambda: render_scene([SceneObject("red", "circle", 5, 5, 5)], size=4), ValueError, "size"),
        (lambda: caption_for([SceneObject("red", "circle", 20, 5, 5),
                              SceneObject("red", "circle", 5, 5, 5)]), ValueError, "sorted"),
        (lambda: make_scenes(0, 0), ValueError, "n must be"),
        (lambda: make_scenes(3, -1), ValueError, "seed"),
        (lambda: make_scenes(3, 0, min_objects=0), ValueError, "min_objects"),
        (lambda: make_scenes(3, 0, min_objects=3, max_objects=2), ValueError, "more than"),
        (lambda: random_scene(0), TypeError, "Generator"),
        (lambda: collate_scenes([], scene_vocab()), ValueError, "at least one scene"),
        (lambda: collate_scenes(make_scenes(1, 0), ["a"]), TypeError, "Vocab"),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_collate_refuses_mixed_sizes():
    mixed = make_scenes(1, 0) + make_scenes(1, 0, size=64)
    assert isinstance(mixed[0], Scene)
    with pytest.raises(ValueError, match="image shapes"):
        collate_scenes(mixed, scene_vocab())
