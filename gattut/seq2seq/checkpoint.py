"""Checkpoints: weights + vocabularies + model config, written atomically.

The file is written and read by :mod:`gattut.train.checkpoint`, the one
checkpoint module of both trainers: written to a temporary file in the same
folder and then moved over the old one with ``os.replace`` (a crash while
saving leaves the previous checkpoint whole), and read with
``torch.load(..., weights_only=True)``, since it holds only tensors and plain
Python data. A damaged file is a :class:`CheckpointMismatchError` that says
what is wrong with it. Loading checks that the
checkpoint's vocabularies and model config match the ones you give; a
mismatch is refused with a message that says which one differs and how,
instead of a shape error deep inside ``load_state_dict`` or, worse, a model
that silently maps ids to the wrong words.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from gattut.data.vocab import Vocab
from gattut.seq2seq.config import Seq2SeqConfig
from gattut.train.checkpoint import CheckpointMismatchError, read_checkpoint
from gattut.train.checkpoint import save_checkpoint as write_checkpoint

__all__ = ["CheckpointMismatchError", "save_checkpoint", "load_checkpoint"]

FORMAT = "gattut.seq2seq/1"


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: torch.nn.Module,
    config: Seq2SeqConfig,
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the checkpoint atomically (temporary file + ``os.replace``); return its path.

    ``extra`` holds training state (optimizer state, epoch, history, best
    weights) as tensors and plain data.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; name a checkpoint file in it")
    for side, vocab in (("src", src_vocab), ("tgt", tgt_vocab)):
        if not isinstance(vocab, Vocab):
            raise TypeError(f"{side}_vocab must be a Vocab, got {type(vocab).__name__}")
        if len(vocab) != getattr(config, f"{side}_vocab_size"):
            raise CheckpointMismatchError(
                f"{side}_vocab has {len(vocab)} tokens but config.{side}_vocab_size is "
                f"{getattr(config, f'{side}_vocab_size')}: this checkpoint could not be loaded back"
            )
        size = getattr(model, f"{side}_vocab_size", None)
        if size is not None and size != len(vocab):
            raise CheckpointMismatchError(
                f"the model has {side}_vocab_size={size} but {side}_vocab has {len(vocab)} tokens"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "config": config.to_dict(),
        "src_vocab": src_vocab.to_list(),
        "tgt_vocab": tgt_vocab.to_list(),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra or {},
    }
    return write_checkpoint(path, payload)


def load_checkpoint(
    path: str | os.PathLike,
    *,
    src_vocab: Vocab | None = None,
    tgt_vocab: Vocab | None = None,
    config: Seq2SeqConfig | None = None,
    model: torch.nn.Module | None = None,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Read a checkpoint, check it against what you have, and (optionally) load it into ``model``.

    Returns a dict with ``config`` (a :class:`Seq2SeqConfig`), ``src_vocab``,
    ``tgt_vocab`` (:class:`Vocab`), ``model`` (the state dict) and ``extra``.
    Raises :class:`CheckpointMismatchError` if ``src_vocab``, ``tgt_vocab``,
    ``config`` or ``model``'s parameter shapes differ from the checkpoint's,
    or if the file is a directory, empty, truncated, corrupt or not a gattut
    checkpoint (read by :func:`gattut.train.checkpoint.read_checkpoint`, the one
    reader of both trainers); ``FileNotFoundError`` if there is no file.
    """
    payload = read_checkpoint(path, map_location)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointMismatchError(f"{path} is not a {FORMAT} checkpoint")
    saved_config = Seq2SeqConfig.from_dict(payload["config"])
    saved_src, saved_tgt = Vocab(payload["src_vocab"]), Vocab(payload["tgt_vocab"])
    for name, given, saved in (("source", src_vocab, saved_src), ("target", tgt_vocab, saved_tgt)):
        if given is not None and given != saved:
            raise CheckpointMismatchError(
                f"{name} vocabulary differs from the checkpoint's: checkpoint vs given: "
                f"{saved.difference(given)}"
            )
    if config is not None and config != saved_config:
        diffs = [
            f"{k}: checkpoint={v!r}, given={config.to_dict()[k]!r}"
            for k, v in saved_config.to_dict().items()
            if config.to_dict()[k] != v
        ]
        raise CheckpointMismatchError(
            "model config differs from the checkpoint's: " + "; ".join(diffs)
        )
    state = payload["model"]
    if model is not None:
        own = model.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shapes = [
            f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(own[k].shape)}"
            for k in own
            if k in state and own[k].shape != state[k].shape
        ]
        if missing or unexpected or shapes:
            raise CheckpointMismatchError(
                "model shape differs from the checkpoint's: "
                + "; ".join(
                    ([f"missing {missing[:5]}"] if missing else [])
                    + ([f"unexpected {unexpected[:5]}"] if unexpected else [])
                    + shapes[:5]
                )
            )
        model.load_state_dict(state)
    return {
        "config": saved_config,
        "src_vocab": saved_src,
        "tgt_vocab": saved_tgt,
        "model": state,
        "extra": payload["extra"],
    }
