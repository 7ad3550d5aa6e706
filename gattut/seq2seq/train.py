"""The training loop for every seq2seq model of the book.

One epoch: shuffle the training pairs, and for each batch run the decoder over
the target with teacher forcing, take the cross-entropy of its predictions
against ``tgt[:, 1:]`` (padding ignored), clip the gradient norm (RNNs are
prone to exploding gradients) and take an Adam step. After each epoch the
validation loss decides whether these are the best weights so far; training
stops early when it has not improved for ``patience`` epochs, and the best
weights are put back into the model at the end. That rule is the package's
one :class:`gattut.train.EarlyStopping`, with one record (``monitor="loss"``)
where the GAT trainers keep two (accuracy and loss).

**Checkpoints and resume.** With ``checkpoint_path`` set, a checkpoint is
written atomically after every epoch (weights, optimizer, history, best
weights, vocabularies, model config). ``resume=True`` continues from it.
Each epoch reseeds PyTorch with ``seed + epoch`` (for the shuffle, dropout and
teacher-forcing coins), so a run that is stopped and resumed ends with the
same weights as one that ran straight through.

Runs on the CPU or CUDA (``device="auto"`` picks CUDA when present).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm  # plain tqdm: tqdm.auto warns in notebooks without ipywidgets

from gattut.attention._checks import check_size
from gattut.data.corpus import ParallelCorpus
from gattut.data.vocab import PAD_ID
from gattut.seq2seq.checkpoint import load_checkpoint, save_checkpoint
from gattut.seq2seq.config import Seq2SeqConfig, build_model
from gattut.seq2seq.encoders import check_ids
from gattut.train.checkpoint import CheckpointMismatchError
from gattut.train.loop import EarlyStopping
from gattut.utils import get_device

__all__ = ["Seq2SeqResult", "train", "sequence_loss", "evaluate_loss"]


@dataclass
class Seq2SeqResult:
    """What happened: one dict per epoch (``train_loss``, ``valid_loss``, ``valid_token_acc``, ``seconds``).

    Its own name: :class:`gattut.train.TrainResult` is the graph trainers' result.
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    best_valid_loss: float = math.inf
    stopped_early: bool = False
    out_of_time: bool = False


def sequence_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over real (non-pad) target tokens.

    Shapes:
        logits: ``(B, T, V)``, target: ``(B, T)`` -> scalar
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3 or not logits.is_floating_point():
        raise ValueError(
            f"logits must be a floating (B, T, V) tensor, got "
            f"{tuple(getattr(logits, 'shape', ()))} {getattr(logits, 'dtype', type(logits).__name__)}"
        )
    B, T, V = logits.shape
    if not isinstance(target, torch.Tensor) or target.shape != (B, T):
        raise ValueError(f"target must have shape ({B}, {T}), got {tuple(getattr(target, 'shape', ()))}")
    if target.dtype != torch.long:
        raise ValueError(f"target must hold long ids, got dtype {target.dtype}")
    check_ids(target, V, "target", "target")
    return F.cross_entropy(logits.reshape(B * T, V), target.reshape(B * T), ignore_index=PAD_ID)


TrainResult = Seq2SeqResult  # the old name, kept importable


@torch.no_grad()
def evaluate_loss(
    model, corpus: ParallelCorpus, split: str, batch_size: int = 256
) -> tuple[float, float]:
    """Teacher-forced loss and token accuracy on one split: ``(mean loss, accuracy in [0, 1])``."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total_loss, total_correct, total_tokens = 0.0, 0, 0
    for batch in corpus.batches(split, batch_size):
        batch = batch.to(device)
        logits, _ = model(batch.src, batch.src_lengths, batch.tgt[:, :-1])  # (B, T, V)
        target = batch.tgt[:, 1:]  # (B, T)
        real = target != PAD_ID
        n = int(real.sum())
        total_loss += float(sequence_loss(logits, target)) * n
        total_correct += int(((logits.argmax(-1) == target) & real).sum())
        total_tokens += n
    model.train(was_training)
    return total_loss / total_tokens, total_correct / total_tokens


def _check_train_args(
    model, corpus, model_config, epochs, batch_size, lr, teacher_forcing_ratio, clip_norm,
    patience, checkpoint_path, resume, max_minutes,
) -> None:
    """Every argument of :func:`train`, checked before the first batch (nothing is written)."""
    check_size(epochs, "epochs")
    check_size(batch_size, "batch_size")
    if patience is not None:
        check_size(patience, "patience")
    for name, value, low in (("lr", lr, "> 0"), ("clip_norm", clip_norm, "> 0"),
                             ("max_minutes", max_minutes, ">= 0")):  # fmt: skip
        if value is None and name != "lr":
            continue
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not (value > 0 if low == "> 0" else value >= 0):
            raise ValueError(f"{name} must be a number {low}, got {value!r}")
    if not 0.0 <= teacher_forcing_ratio <= 1.0:
        raise ValueError(f"teacher_forcing_ratio must be in [0, 1], got {teacher_forcing_ratio}")
    if not isinstance(corpus, ParallelCorpus):
        raise TypeError(f"corpus must be a ParallelCorpus, got {type(corpus).__name__}")
    for split in ("train", "valid"):
        if not corpus.pairs(split):
            raise ValueError(f"the corpus' {split!r} split is empty; training needs it")
    for side, vocab in (("src", corpus.src_vocab), ("tgt", corpus.tgt_vocab)):
        size = getattr(model, f"{side}_vocab_size", None)
        if size is not None and size != len(vocab):
            raise ValueError(
                f"the model has {side}_vocab_size={size} but the corpus' {side}_vocab has "
                f"{len(vocab)} tokens: build the model for this corpus"
            )
    if checkpoint_path is not None:
        if model_config is None:
            raise ValueError("checkpoint_path needs model_config (the checkpoint stores it)")
        if Path(checkpoint_path).is_dir():
            raise ValueError(f"checkpoint_path {checkpoint_path} is a directory; name a file in it")
    if resume and checkpoint_path is None:
        raise ValueError("resume=True needs checkpoint_path")
    if model_config is not None:
        if not isinstance(model_config, Seq2SeqConfig):
            raise TypeError(
                f"model_config must be a Seq2SeqConfig, got {type(model_config).__name__}"
            )
        expected = {k: tuple(v.shape) for k, v in build_model(model_config).state_dict().items()}
        actual = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        if expected != actual:
            raise ValueError(
                "model_config does not describe this model (build_model(model_config) has other "
                "parameters); a checkpoint of it could not be loaded back"
            )


def train(
    model: torch.nn.Module,
    corpus: ParallelCorpus,
    *,
    model_config: Seq2SeqConfig | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1e-3,
    teacher_forcing_ratio: float = 1.0,
    clip_norm: float | None = 1.0,
    patience: int | None = None,
    seed: int = 0,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    device: str | torch.device = "auto",
    max_minutes: float | None = None,
    bucket_by_length: bool = True,
    progress: bool = True,
) -> Seq2SeqResult:
    """Train ``model`` on ``corpus`` (splits ``train`` and ``valid``); return the history.

    ``max_minutes`` stops training (after validating the partial epoch) once
    that much wall time has passed. ``bucket_by_length`` batches sources of
    similar length together (see :meth:`ParallelCorpus.batches`). ``checkpoint_path`` needs ``model_config``
    so that the checkpoint can rebuild and check the model.
    """
    _check_train_args(
        model, corpus, model_config, epochs, batch_size, lr, teacher_forcing_ratio, clip_norm,
        patience, checkpoint_path, resume, max_minutes,
    )  # fmt: skip
    device = get_device(device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    result = Seq2SeqResult()
    stopper = EarlyStopping(math.inf if patience is None else patience, monitor="loss")
    start_epoch = 0

    if resume and Path(checkpoint_path).exists():
        ck = load_checkpoint(
            checkpoint_path, src_vocab=corpus.src_vocab, tgt_vocab=corpus.tgt_vocab,
            config=model_config, model=model, map_location=device,
        )  # fmt: skip
        extra = ck["extra"]
        if "early_stopping" not in extra:
            raise CheckpointMismatchError(
                f"{checkpoint_path} holds no training state to resume (saved by hand, or by an "
                "older gattut); delete it or train without resume"
            )
        optimizer.load_state_dict(extra["optimizer"])
        # The records and counter are the checkpoint's; the patience is this call's.
        stopper.load_state_dict({**extra["early_stopping"], "patience": stopper.patience})
        start_epoch, result.history = extra["epoch"], list(extra["history"])

    started = time.perf_counter()
    for epoch in range(start_epoch, epochs):
        torch.manual_seed(seed + epoch)
        model.train()
        epoch_start, total, count = time.perf_counter(), 0.0, 0
        batches = tqdm(
            corpus.batches("train", batch_size, shuffle=True, seed=seed + epoch, bucket=bucket_by_length),
            total=corpus.num_batches("train", batch_size),
            desc=f"epoch {epoch + 1}/{epochs}", leave=False, disable=not progress,
        )  # fmt: skip
        for batch in batches:
            batch = batch.to(device)
            logits, _ = model(
                batch.src, batch.src_lengths, batch.tgt[:, :-1], teacher_forcing_ratio
            )
            loss = sequence_loss(logits, batch.tgt[:, 1:])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item(), count + 1
            batches.set_postfix(loss=f"{total / count:.3f}")
            if max_minutes is not None and time.perf_counter() - started > 60 * max_minutes:
                result.out_of_time = True
                break

        valid_loss, valid_acc = evaluate_loss(model, corpus, "valid", max(batch_size, 256))
        result.history.append({
            "epoch": epoch + 1, "train_loss": total / max(count, 1), "valid_loss": valid_loss,
            "valid_token_acc": valid_acc, "seconds": time.perf_counter() - epoch_start,
        })  # fmt: skip
        stop = stopper.step(epoch + 1, valid_acc, valid_loss, model)  # epochs count from 1 here
        if checkpoint_path is not None:
            save_checkpoint(
                checkpoint_path, model=model, config=model_config,
                src_vocab=corpus.src_vocab, tgt_vocab=corpus.tgt_vocab,
                extra={
                    "optimizer": copy.deepcopy(optimizer.state_dict()), "epoch": epoch + 1,
                    "history": result.history, "early_stopping": stopper.state_dict(),
                },
            )  # fmt: skip
        if progress:
            h = result.history[-1]
            tqdm.write(
                f"epoch {h['epoch']}: train loss {h['train_loss']:.4f}, valid loss "
                f"{h['valid_loss']:.4f}, valid token acc {h['valid_token_acc']:.4f}"
            )
        if stop:
            result.stopped_early = True
            break
        if result.out_of_time:
            break

    if stopper.best_state is not None:
        model.load_state_dict(stopper.best_state)
    result.best_epoch, result.best_valid_loss = stopper.best_epoch, stopper.best_loss
    return result
