"""Show, Attend and Tell: shapes, the regulariser on known maps, decoding, training, bad input."""

import pytest
import torch
import torch.nn.functional as F

from gattut.attention import BahdanauAttention
from gattut.data.scenes import collate_scenes, make_scenes, scene_vocab
from gattut.data.vocab import PAD_ID
from gattut.seq2seq.captioning import (
    GridEncoder,
    ShowAttendTell,
    beam_caption,
    caption_loss,
    caption_scenes,
    doubly_stochastic_penalty,
    greedy_caption,
    hard_attention_context,
    load_captioner,
    pretrained_captioner,
    save_captioner,
    train_captioner,
)
from gattut.seq2seq.decode import Hypothesis

VOCAB = scene_vocab()


@pytest.fixture(scope="module")
def scenes():
    return make_scenes(24, 5)


def small_model(**kw):
    torch.manual_seed(0)
    return ShowAttendTell(len(VOCAB), d_feature=8, d_embed=4, d_hidden=8, d_attn=4, **kw)


@pytest.mark.parametrize("coords", [True, False])
def test_grid_encoder_shapes(coords):
    enc = GridEncoder(3, 12, coords=coords)
    assert enc(torch.rand(2, 3, 32, 32)).shape == (2, 64, 12)
    assert enc(torch.rand(1, 3, 16, 24)).shape == (1, 4 * 6, 12)


def test_forward_shapes_and_weights(scenes):
    model = small_model()
    batch = collate_scenes(scenes[:5], VOCAB)
    logits, weights = model(batch.images, batch.tgt_in)
    B, T = batch.tgt_in.shape
    assert logits.shape == (B, T, len(VOCAB)) and weights.shape == (B, T, 64)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, T))


def test_step_uses_the_package_additive_attention(scenes):
    model = small_model(gate=False)
    assert isinstance(model.attention, BahdanauAttention)
    images = collate_scenes(scenes[:3], VOCAB).images
    memory = model.encode(images)
    (h,) = model.init_state(memory)
    torch.testing.assert_close(h, torch.tanh(model.init_h(memory.features.mean(1))))
    prev = torch.tensor([1, 1, 1])
    logits, (h1,), weights = model.step(prev, (h,), memory)
    score = model.attention.score
    e = score(h[:, None], memory.features)[:, 0]  # (B, L)
    torch.testing.assert_close(weights, F.softmax(e, -1))
    context = (weights[:, :, None] * memory.features).sum(1)
    y = model.embedding(prev)
    torch.testing.assert_close(h1, model.rnn(torch.cat([y, context], -1), h))
    torch.testing.assert_close(logits, model.out(torch.cat([h1, context, y], -1)))


def test_gate_scales_the_context(scenes):
    model = small_model(gate=True)
    with torch.no_grad():
        model.gate.weight.zero_()
        model.gate.bias.fill_(-40.0)  # beta = 0: the image is shut out
    memory = model.encode(collate_scenes(scenes[:2], VOCAB).images)
    state = model.init_state(memory)
    logits, (h,), _ = model.step(torch.tensor([1, 1]), state, memory)
    y = model.embedding(torch.tensor([1, 1]))
    zero = torch.zeros(2, 8)
    torch.testing.assert_close(h, model.rnn(torch.cat([y, zero], -1), state[0]))


def test_doubly_stochastic_penalty_on_known_maps():
    diagonal = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # each region collects 1
    repeated = torch.tensor([[[1.0, 0.0], [1.0, 0.0]]])  # region 0 gets 2, region 1 gets 0
    assert doubly_stochastic_penalty(diagonal).item() == 0.0
    assert doubly_stochastic_penalty(repeated).item() == 2.0
    mask = torch.tensor([[True, False]])  # the second step is padding
    assert doubly_stochastic_penalty(repeated, mask).item() == 1.0
    both = torch.cat([diagonal, repeated])
    assert doubly_stochastic_penalty(both).item() == 1.0  # the batch mean


def test_caption_loss_parts(scenes):
    model = small_model()
    batch = collate_scenes(scenes[:4], VOCAB)
    logits, weights = model(batch.images, batch.tgt_in)
    total, ce, reg = caption_loss(logits, batch.tgt_out, weights, penalty=0.5)
    expected = F.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=PAD_ID)
    torch.testing.assert_close(ce, expected)
    torch.testing.assert_close(reg, doubly_stochastic_penalty(weights, batch.tgt_out != PAD_ID))
    torch.testing.assert_close(total, ce + 0.5 * reg)


def test_hard_attention_samples_one_region_and_averages_to_soft():
    gen = torch.Generator().manual_seed(0)
    features = torch.randn(2, 5, 3, generator=gen)
    one_hot = F.one_hot(torch.tensor([3, 1]), 5).float()
    context, index = hard_attention_context(one_hot, features, gen)
    assert index.tolist() == [3, 1]
    torch.testing.assert_close(context, features[[0, 1], [3, 1]])
    weights = F.softmax(torch.randn(2, 5, generator=gen), -1)
    draws = torch.stack([hard_attention_context(weights, features, gen)[0] for _ in range(4000)])
    soft = (weights[:, :, None] * features).sum(1)
    torch.testing.assert_close(draws.mean(0), soft, atol=0.08, rtol=0)


def test_greedy_equals_beam_of_width_one(scenes):
    model = small_model().eval()
    images = collate_scenes(scenes[:4], VOCAB).images
    greedy = greedy_caption(model, images, max_len=6)
    beam = beam_caption(model, images, beam_width=1, max_len=6)
    assert all(isinstance(h, Hypothesis) for h in greedy + beam)
    for g, b in zip(greedy, beam):
        assert g.tokens == b.tokens
        assert g.weights.shape == (len(g.tokens), 64)
        assert g.score == pytest.approx(b.score, abs=1e-4)


def test_beam_never_scores_below_greedy(scenes):
    model = small_model().eval()
    images = collate_scenes(scenes[:3], VOCAB).images
    for g, b in zip(greedy_caption(model, images, 8), beam_caption(model, images, 4, 8)):
        if g.finished and b.finished:
            assert b.score >= g.score - 1e-5


def test_training_lowers_the_loss_and_save_load_round_trip(scenes, tmp_path):
    model = small_model()
    history = train_captioner(model, scenes, VOCAB, epochs=3, batch_size=8, lr=1e-2, penalty=0.01)
    assert len(history) == 3 and history[-1] < history[0]
    save_captioner(model, tmp_path / "m.pt", note="test")
    again, info = load_captioner(tmp_path / "m.pt")
    assert info == {"note": "test"}
    images = collate_scenes(scenes[:2], VOCAB).images
    model.eval()
    torch.testing.assert_close(again(images, collate_scenes(scenes[:2], VOCAB).tgt_in),
                               model(images, collate_scenes(scenes[:2], VOCAB).tgt_in))  # fmt: skip
    hyps = caption_scenes(again, scenes[:3], VOCAB, beam_width=2)
    assert len(hyps) == 3 and not again.training


@pytest.mark.parametrize("regularised", [False, True])
def test_pretrained_captioners_load_and_caption(regularised):
    model, info = pretrained_captioner(regularised)
    assert (info["penalty"] > 0) == regularised
    scenes = make_scenes(20, 12345)
    hyps = caption_scenes(model, scenes, VOCAB)
    right = sum(VOCAB.decode(h.tokens) == s.caption for h, s in zip(hyps, scenes))
    assert right >= 12  # the shipped models caption most scenes word for word


@pytest.mark.parametrize(
    "images, words",
    [
        (torch.rand(3, 32, 32), "add a batch axis"),
        (torch.rand(1, 1, 32, 32), r"\(B, 3, H, W\)"),
        (torch.randint(0, 2, (1, 3, 32, 32)), "floating"),
        (torch.rand(1, 3, 30, 32), "multiples of 4"),
        (torch.rand(0, 3, 32, 32), "empty batch"),
    ],
)
def test_bad_images(images, words):
    with pytest.raises(ValueError, match=words):
        small_model().encode(images)
    with pytest.raises(ValueError, match=words):
        greedy_caption(small_model(), images)


def test_bad_arguments(scenes):
    model = small_model()
    batch = collate_scenes(scenes[:2], VOCAB)
    with pytest.raises(TypeError, match="torch.Tensor"):
        model.encode(batch.images.numpy())
    with pytest.raises(ValueError, match="tgt_in"):
        model(batch.images, batch.tgt_in[:1])
    with pytest.raises(ValueError, match="penalty"):
        caption_loss(*model(batch.images, batch.tgt_in)[:1], batch.tgt_out,
                     torch.zeros(2, batch.tgt_out.shape[1], 64), penalty=-1)  # fmt: skip
    with pytest.raises(ValueError, match=r"\(B, T, L\)"):
        doubly_stochastic_penalty(torch.ones(2, 3))
    with pytest.raises(ValueError, match="step_mask must have shape"):
        doubly_stochastic_penalty(torch.ones(2, 3, 4), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="bool"):
        doubly_stochastic_penalty(torch.ones(2, 3, 4), torch.ones(2, 3))
    with pytest.raises(ValueError, match="sum to one"):
        hard_attention_context(torch.ones(2, 4), torch.ones(2, 4, 3))
    with pytest.raises(ValueError, match="features must have shape"):
        hard_attention_context(torch.full((2, 4), 0.25), torch.ones(2, 5, 3))
    with pytest.raises(ValueError, match="beam_width"):
        beam_caption(model, batch.images, beam_width=0)
    with pytest.raises(ValueError, match="max_len"):
        greedy_caption(model, batch.images, max_len=0)
    with pytest.raises(ValueError, match="at least one scene"):
        caption_scenes(model, [], VOCAB)
    with pytest.raises(ValueError, match="epochs"):
        train_captioner(model, scenes, VOCAB, epochs=0)
    with pytest.raises(ValueError, match="vocab_size"):
        ShowAttendTell(2)
    with pytest.raises(ValueError, match="d_feature"):
        GridEncoder(3, 0)
    with pytest.raises(FileNotFoundError, match="no captioner"):
        load_captioner("missing.pt")


def test_attention_on_mentions_keeps_colour_and_shape_words(scenes):
    from gattut.seq2seq.captioning import attention_on_mentions

    model = small_model()
    found = attention_on_mentions(model, scenes[:4], VOCAB, batch_size=3)
    expected = [w for s in scenes[:4] for w, k in zip(s.caption, s.mentions) if k >= 0]
    assert found.words == expected
    assert found.maps.shape == (len(expected), 8, 8) and found.masks.shape == (len(expected), 32, 32)
    torch.testing.assert_close(found.maps.sum((1, 2)), torch.ones(len(expected)))
    first = scenes[0]
    assert torch.equal(found.masks[0], first.masks[0]) and found.words[0] == first.objects[0].colour
    batch = collate_scenes(scenes[:1], VOCAB)
    _, weights = model.eval()(batch.images, batch.tgt_in)
    torch.testing.assert_close(found.maps[0], weights[0, 1].reshape(8, 8))  # word 1 is the colour
    with pytest.raises(ValueError, match="at least one scene"):
        attention_on_mentions(model, [], VOCAB)
