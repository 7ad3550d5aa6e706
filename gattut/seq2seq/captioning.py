r"""Show, Attend and Tell (Xu et al. 2015): caption an image while attending over its grid.

The encoder is a small CNN. Its last feature map, ``D`` channels on an
``Hg x Wg`` grid, is read as ``L = Hg Wg`` annotation vectors
:math:`a_1, \dots, a_L`, one per image region; they play the part the encoder
outputs play in translation. The decoder is the GRU of chapter 4 with
additive (Bahdanau) attention: at step :math:`t` the previous state asks
where to look,

.. math::

    e_{ti} = v^\top \tanh(W_1 h_{t-1} + W_2 a_i), \qquad
    \alpha_{ti} = \operatorname{softmax}_i(e_{ti}), \qquad
    \hat z_t = \beta_t \sum_i \alpha_{ti} a_i,

where the learned *gating scalar* :math:`\beta_t = \sigma(f_\beta(h_{t-1}))`
(Xu et al., section 4.2.1) is used with ``gate=True`` (else :math:`\beta_t = 1`), then
:math:`h_t = \mathrm{GRU}([E y_{t-1}; \hat z_t], h_{t-1})` and
:math:`p(y_t) = \operatorname{softmax}(W_o [h_t; \hat z_t; E y_{t-1}])`.
The first state is :math:`h_0 = \tanh(W_{\mathrm{init}} \tfrac1L \sum_i a_i)`.

**Doubly stochastic attention** (Xu et al., eq. 14). Each row
:math:`\alpha_t` sums to one over the regions by construction; the
regulariser pushes each *column*, the attention a region collects over the
whole caption, towards one too, so that no region is ignored:

.. math::

    L_d = -\log P(y \mid x) + \lambda \sum_{i=1}^{L} \Big(1 - \sum_{t=1}^{C} \alpha_{ti}\Big)^2 .

**Hard attention** (Xu et al., section 4.1) samples one region
:math:`s_t \sim \operatorname{Categorical}(\alpha_t)` and reads
:math:`\hat z_t = a_{s_t}`; its expectation is the soft context.
:func:`hard_attention_context` draws it.

Decoding reuses :mod:`gattut.seq2seq.decode`: a captioner has the
``encode`` / ``init_state`` / ``step`` interface of every seq2seq model, with
an image batch in place of a token batch.

Shapes:
    images ``(B, 3, H, W)`` (``H`` and ``W`` multiples of 4) -> features
    ``(B, L, D)`` with ``L = (H / 4) (W / 4)``; ``forward(images, tgt_in (B, T))`` ->
    logits ``(B, T, V)``, weights ``(B, T, L)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from gattut.attention import BahdanauAttention
from gattut.data.scenes import Scene, collate_scenes
from gattut.data.vocab import EOS_ID, PAD_ID, Vocab
from gattut.seq2seq.decode import Hypothesis, _beam_one, _check_max_len, greedy_steps
from gattut.seq2seq.model import check_target

__all__ = [
    "GridEncoder",
    "ImageMemory",
    "ShowAttendTell",
    "check_images",
    "doubly_stochastic_penalty",
    "caption_loss",
    "hard_attention_context",
    "greedy_caption",
    "beam_caption",
    "caption_scenes",
    "train_captioner",
    "attention_on_mentions",
    "save_captioner",
    "load_captioner",
    "pretrained_captioner",
    "PRETRAINED_DIR",
]

#: Where the package keeps the two captioners the appendix uses (trained by
#: ``benchmarks/captioning.py``): without and with the regulariser.
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


def check_images(images: torch.Tensor, channels: int = 3) -> tuple[int, int, int]:
    """Raise unless ``images`` is a float ``(B, C, H, W)`` batch with ``H, W`` multiples of 4."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor (B, {channels}, H, W), got {type(images).__name__}")
    if images.dim() != 4 or images.shape[1] != channels:
        raise ValueError(
            f"images must have shape (B, {channels}, H, W), got shape {tuple(images.shape)}"
            + ("; add a batch axis with images[None]" if images.dim() == 3 else "")
        )
    if not images.is_floating_point():
        raise ValueError(f"images must be a floating tensor in [0, 1], got dtype {images.dtype}")
    B, _, H, W = images.shape
    if B == 0:
        raise ValueError("images is an empty batch (B = 0)")
    if H < 8 or W < 8 or H % 4 or W % 4:
        raise ValueError(f"image height and width must be multiples of 4 and >= 8, got {H} x {W}")
    return B, H, W


class GridEncoder(nn.Module):
    r"""Three 3x3 convolutions and two 2x2 max-pools: an image becomes a grid of vectors.

    With ``coords=True`` two channels holding each pixel's ``x`` and ``y``
    (in ``[-1, 1]``) are appended to the input ("CoordConv"), so every grid
    vector knows where it is: the decoder must say which object is *left* of
    which, and a convolution alone cannot tell where it is on the canvas.

    Shapes:
        images ``(B, C, H, W)`` -> features ``(B, L, D)``, ``L = (H / 4) (W / 4)``
    """

    def __init__(self, in_channels: int = 3, d_feature: int = 32, coords: bool = True):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("d_feature", d_feature)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.in_channels, self.d_feature, self.coords = in_channels, d_feature, coords
        width = d_feature // 2 if d_feature >= 2 else 1
        self.conv1 = nn.Conv2d(in_channels + (2 if coords else 0), width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, d_feature, 3, padding=1)
        self.conv3 = nn.Conv2d(d_feature, d_feature, 3, padding=1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        B, H, W = check_images(images, self.in_channels)
        x = images
        if self.coords:
            ys = torch.linspace(-1, 1, H, device=x.device, dtype=x.dtype)
            xs = torch.linspace(-1, 1, W, device=x.device, dtype=x.dtype)
            grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"))  # (2, H, W): x, y
            x = torch.cat([x, grid.expand(B, 2, H, W)], dim=1)  # (B, C + 2, H, W)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, D/2, H/2, W/2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, D, H/4, W/4)
        x = F.relu(self.conv3(x))  # (B, D, Hg, Wg)
        return x.flatten(2).transpose(1, 2)  # (B, L, D): region i = row i // Wg, col i % Wg


class ImageMemory(NamedTuple):
    """What the encoder hands to the decoder: the annotation vectors and their mean.

    Shapes:
        features ``(B, L, D)``, summary ``(B, D)``
    """

    features: torch.Tensor
    summary: torch.Tensor


class ShowAttendTell(nn.Module):
    """A grid encoder and a GRU decoder with Bahdanau attention over the grid (soft attention).

    Args:
        vocab_size: number of caption tokens ``V`` (the four specials included)
        d_feature: width ``D`` of a grid vector
        d_embed: word embedding width
        d_hidden: GRU state width
        d_attn: hidden width of the additive score
        gate: multiply the context by the gating scalar ``beta_t`` (Xu et al. 4.2.1)
        coords: give the encoder the pixel coordinates (see :class:`GridEncoder`)

    Shapes:
        forward: images ``(B, 3, H, W)``, tgt_in ``(B, T)`` -> logits ``(B, T, V)``,
        weights ``(B, T, L)``; step: prev_tokens ``(B,)`` -> logits ``(B, V)``,
        state ``(h (B, d_hidden),)``, weights ``(B, L)``
    """

    def __init__(
        self,
        vocab_size: int,
        d_feature: int = 32,
        d_embed: int = 16,
        d_hidden: int = 64,
        d_attn: int = 32,
        gate: bool = True,
        coords: bool = True,
    ):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("d_embed", d_embed),
                            ("d_hidden", d_hidden), ("d_attn", d_attn)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if vocab_size <= EOS_ID:
            raise ValueError(f"vocab_size must count the specials (> {EOS_ID}), got {vocab_size}")
        self.vocab_size, self.d_hidden, self.use_gate = vocab_size, d_hidden, gate
        self.config = dict(vocab_size=vocab_size, d_feature=d_feature, d_embed=d_embed,
                           d_hidden=d_hidden, d_attn=d_attn, gate=gate, coords=coords)  # fmt: skip
        self.encoder = GridEncoder(3, d_feature, coords=coords)
        self.init_h = nn.Linear(d_feature, d_hidden)  # W_init
        self.embedding = nn.Embedding(vocab_size, d_embed, padding_idx=PAD_ID)  # E
        self.attention = BahdanauAttention(d_hidden, d_feature, d_attn)
        self.gate = nn.Linear(d_hidden, 1)  # f_beta
        self.rnn = nn.GRUCell(d_embed + d_feature, d_hidden)
        self.out = nn.Linear(d_hidden + d_feature + d_embed, vocab_size)  # W_o

    def encode(self, images: torch.Tensor) -> ImageMemory:
        features = self.encoder(images)  # (B, L, D)
        return ImageMemory(features, features.mean(dim=1))  # (B, L, D), (B, D)

    def init_state(self, memory: ImageMemory) -> tuple[torch.Tensor]:
        return (torch.tanh(self.init_h(memory.summary)),)  # h_0: (B, d_hidden)

    def step(self, prev_tokens: torch.Tensor, state: tuple[torch.Tensor], memory: ImageMemory):
        (h,) = state  # (B, d_hidden)
        y = self.embedding(prev_tokens)  # (B, d_embed): E y_{t-1}
        # 1) the previous state scores every region, 2) the context is their mix.
        context, weights = self.attention(h, memory.features)  # (B, D), (B, L)
        # 3) the gating scalar beta_t decides how much of the image to let in.
        if self.use_gate:
            context = torch.sigmoid(self.gate(h)) * context  # (B, 1) * (B, D)
        # 4) the GRU reads the previous word and the context; 5) a deep output.
        h = self.rnn(torch.cat([y, context], dim=-1), h)  # (B, d_hidden)
        logits = self.out(torch.cat([h, context, y], dim=-1))  # (B, V)
        return logits, (h,), weights

    def forward(self, images: torch.Tensor, tgt_in: torch.Tensor):
        B, _, _ = check_images(images)
        T = check_target(tgt_in, B, self.vocab_size)
        memory = self.encode(images)
        state = self.init_state(memory)
        all_logits, all_weights = [], []
        for t in range(T):  # teacher forcing: the gold previous word goes in
            logits, state, weights = self.step(tgt_in[:, t], state, memory)
            all_logits.append(logits)
            all_weights.append(weights)
        return torch.stack(all_logits, dim=1), torch.stack(all_weights, dim=1)  # (B,T,V), (B,T,L)


def doubly_stochastic_penalty(weights: torch.Tensor, step_mask: torch.Tensor | None = None) -> torch.Tensor:
    r"""Xu et al.'s eq. 14 regulariser, :math:`\sum_i (1 - \sum_t \alpha_{ti})^2`, batch mean.

    ``step_mask`` (bool, ``True`` = a real output step) leaves padding steps
    out of the sum over ``t``.

    Shapes:
        weights ``(B, T, L)``, step_mask ``(B, T)`` -> scalar
    """
    if not isinstance(weights, torch.Tensor) or weights.dim() != 3 or not weights.is_floating_point():
        raise ValueError(
            f"weights must be a floating (B, T, L) tensor, got shape "
            f"{tuple(getattr(weights, 'shape', ()))}"
        )
    if step_mask is not None:
        if not isinstance(step_mask, torch.Tensor) or step_mask.dtype != torch.bool:
            raise ValueError("step_mask must be a bool tensor (True = a real output step)")
        if step_mask.shape != weights.shape[:2]:
            raise ValueError(
                f"step_mask must have shape {tuple(weights.shape[:2])}, got {tuple(step_mask.shape)}"
            )
        weights = weights * step_mask[:, :, None]  # (B, T, L)
    coverage = weights.sum(dim=1)  # (B, L): attention each region collects over the caption
    return ((1.0 - coverage) ** 2).sum(dim=1).mean()


def caption_loss(
    logits: torch.Tensor, tgt_out: torch.Tensor, weights: torch.Tensor, penalty: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cross-entropy per real token plus ``penalty`` times the doubly stochastic term.

    Returns ``(loss, cross_entropy, regulariser)``.

    Shapes:
        logits ``(B, T, V)``, tgt_out ``(B, T)``, weights ``(B, T, L)`` -> three scalars
    """
    if isinstance(penalty, bool) or not isinstance(penalty, int | float) or penalty < 0:
        raise ValueError(f"penalty (lambda) must be a number >= 0, got {penalty!r}")
    if logits.shape[:2] != tgt_out.shape or weights.shape[:2] != tgt_out.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)}, tgt_out {tuple(tgt_out.shape)} and weights "
            f"{tuple(weights.shape)} must agree on (B, T)"
        )
    B, T, V = logits.shape
    ce = F.cross_entropy(logits.reshape(B * T, V), tgt_out.reshape(B * T), ignore_index=PAD_ID)
    reg = doubly_stochastic_penalty(weights, tgt_out != PAD_ID)
    return ce + penalty * reg, ce, reg


def hard_attention_context(
    weights: torch.Tensor, features: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Hard attention: sample one region :math:`s \sim \mathrm{Categorical}(\alpha)`, read :math:`a_s`.

    Returns ``(context, index)``. Averaged over many draws the context tends
    to the soft one, :math:`\mathbb{E}[a_s] = \sum_i \alpha_i a_i`.

    Shapes:
        weights ``(B, L)``, features ``(B, L, D)`` -> context ``(B, D)``, index ``(B,)``
    """
    if not isinstance(weights, torch.Tensor) or weights.dim() != 2:
        raise ValueError(f"weights must be a (B, L) tensor, got {tuple(getattr(weights, 'shape', ()))}")
    if not isinstance(features, torch.Tensor) or features.dim() != 3 or features.shape[:2] != weights.shape:
        raise ValueError(
            f"features must have shape {(*weights.shape, 'D')}, got {tuple(getattr(features, 'shape', ()))}"
        )
    if (weights < 0).any() or not torch.allclose(weights.sum(-1), torch.ones(()).to(weights)):
        raise ValueError("weights must be non-negative and sum to one over the L regions")
    index = torch.multinomial(weights, 1, generator=generator).squeeze(1)  # (B,)
    return features[torch.arange(len(index)), index], index  # (B, D), (B,)


@torch.no_grad()
def greedy_caption(model: ShowAttendTell, images: torch.Tensor, max_len: int = 24) -> list[Hypothesis]:
    """The most likely word at each step, for a batch of images.

    Returns one :class:`~gattut.seq2seq.decode.Hypothesis` per image; its
    ``weights`` has one row ``(L,)`` per word.

    Shapes:
        images ``(B, 3, H, W)`` -> ``B`` hypotheses, weights ``(len(tokens), L)``
    """
    B, _, _ = check_images(images)
    _check_max_len(max_len, model)
    return greedy_steps(model, model.encode(images), B, images.device, max_len)


class _ImagesAsSource:
    """Lets :mod:`gattut.seq2seq.decode`'s beam search (written for token batches) read images."""

    def __init__(self, model: ShowAttendTell):
        self.model = model

    def encode(self, images, _lengths):
        return self.model.encode(images)

    def init_state(self, memory):
        return self.model.init_state(memory)

    def step(self, tokens, state, memory):
        return self.model.step(tokens, state, memory)


@torch.no_grad()
def beam_caption(
    model: ShowAttendTell,
    images: torch.Tensor,
    beam_width: int = 3,
    max_len: int = 24,
    length_penalty: float = 0.0,
) -> list[Hypothesis]:
    """Beam search per image, with :mod:`gattut.seq2seq.decode`'s beam (same rules, same output).

    Shapes:
        images ``(B, 3, H, W)`` -> ``B`` hypotheses
    """
    B, _, _ = check_images(images)
    _check_max_len(max_len, model)
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive int, got {beam_width!r}")
    if length_penalty < 0:
        raise ValueError(f"length_penalty must be >= 0, got {length_penalty}")
    source = _ImagesAsSource(model)
    L = (images.shape[2] // 4) * (images.shape[3] // 4)
    lengths = torch.tensor([L])
    return [_beam_one(source, images[b : b + 1], lengths, beam_width, max_len, length_penalty)
            for b in range(B)]  # fmt: skip


@torch.no_grad()
def caption_scenes(
    model: ShowAttendTell,
    scenes: Sequence[Scene],
    vocab: Vocab,
    beam_width: int = 1,
    batch_size: int = 256,
) -> list[Hypothesis]:
    """Caption every scene (greedy when ``beam_width == 1``); the model is left as it was."""
    if not scenes:
        raise ValueError("caption_scenes needs at least one scene, got none")
    was_training = model.training
    model.eval()
    hyps: list[Hypothesis] = []
    try:
        for start in range(0, len(scenes), batch_size):
            images = collate_scenes(scenes[start : start + batch_size], vocab).images
            if beam_width == 1:
                hyps += greedy_caption(model, images)
            else:
                hyps += beam_caption(model, images, beam_width)
    finally:
        model.train(was_training)
    return hyps


class MentionMaps(NamedTuple):
    """The attention map of every word that names an object, and that object's mask.

    Shapes:
        maps ``(N, Hg, Wg)``, masks ``(N, H, W)`` bool; ``words`` has ``N`` entries
    """

    maps: torch.Tensor
    masks: torch.Tensor
    words: list[str]


@torch.no_grad()
def attention_on_mentions(
    model: ShowAttendTell, scenes: Sequence[Scene], vocab: Vocab, batch_size: int = 256
) -> MentionMaps:
    """Run the reference captions through the model (teacher forcing) and keep, for each
    colour and shape word, the attention ``alpha_t`` of the step that writes it.

    The step that *writes* word ``t`` attends with ``h_{t-1}`` and then emits
    it, so ``alpha_t`` is where the model looked to choose that word. Scoring
    reference captions, not generated ones, means every scene is scored on
    the same words whatever the model would have written.
    """
    if not scenes:
        raise ValueError("attention_on_mentions needs at least one scene, got none")
    was_training = model.training
    model.eval()
    maps, masks, words = [], [], []
    try:
        for start in range(0, len(scenes), batch_size):
            chunk = list(scenes[start : start + batch_size])
            batch = collate_scenes(chunk, vocab)
            _, weights = model(batch.images, batch.tgt_in)  # (B, T, L)
            H, W = batch.images.shape[2:]
            grid = (H // 4, W // 4)
            for b, t in (batch.mentions >= 0).nonzero().tolist():
                k = int(batch.mentions[b, t])
                maps.append(weights[b, t].reshape(grid))  # (Hg, Wg)
                masks.append(chunk[b].masks[k])  # (H, W)
                words.append(chunk[b].caption[t])
    finally:
        model.train(was_training)
    return MentionMaps(torch.stack(maps), torch.stack(masks), words)


def train_captioner(
    model: ShowAttendTell,
    scenes: Sequence[Scene],
    vocab: Vocab,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 3e-3,
    penalty: float = 0.0,
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train with Adam and teacher forcing; return the mean loss of each epoch.

    ``penalty`` is eq. 14's :math:`\\lambda` (0 turns the regulariser off).
    The batches are shuffled with their own generator seeded by ``seed``.
    ``on_epoch(epoch, loss)``, if given, is called after each epoch (to save
    or print).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    batch = collate_scenes(scenes, vocab)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(scenes), generator=gen)
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            logits, weights = model(batch.images[idx], batch.tgt_in[idx])
            loss, _, _ = caption_loss(logits, batch.tgt_out[idx], weights, penalty)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total, count = total + loss.item() * len(idx), count + len(idx)
        history.append(total / count)
        if on_epoch is not None:
            on_epoch(len(history), history[-1])
    return history


def save_captioner(model: ShowAttendTell, path, **info) -> None:
    """Save the model's constructor arguments, weights and ``info`` (how it was trained)."""
    if not isinstance(model, ShowAttendTell):
        raise TypeError(f"model must be a ShowAttendTell, got {type(model).__name__}")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"config": model.config, "state_dict": state, "info": info}, path)


def load_captioner(path) -> tuple[ShowAttendTell, dict]:
    """Rebuild a model saved by :func:`save_captioner`; return it (in eval mode) and its ``info``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no captioner at {path}")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = ShowAttendTell(**saved["config"])
    model.load_state_dict(saved["state_dict"])
    return model.eval(), saved["info"]


def pretrained_captioner(regularised: bool) -> tuple[ShowAttendTell, dict]:
    """The appendix's captioner trained without (``False``) or with (``True``) eq. 14's term.

    Both were trained by ``python benchmarks/captioning.py`` on the scenes of
    ``scene_splits(..., seed=0)``; ``info`` holds the settings and the time taken.
    """
    name = "scenes_regularised.pt" if regularised else "scenes_plain.pt"
    return load_captioner(PRETRAINED_DIR / name)
