import os
import warnings

import pytest
import torch

from gattut.seq2seq import (
    CheckpointMismatchError,
    Seq2SeqConfig,
    Vocab,
    build_model,
    load_checkpoint,
    save_checkpoint,
    sequence_loss,
    train,
)


def config_for(corpus, kind="bahdanau", **kw):
    kw = {"d_embed": 8, "d_hidden": 16, **kw}
    return Seq2SeqConfig(kind, len(corpus.src_vocab), len(corpus.tgt_vocab), **kw)


def fresh(cfg):
    torch.manual_seed(0)
    return build_model(cfg)


def test_sequence_loss_ignores_padding():
    logits = torch.randn(2, 3, 5)
    target = torch.tensor([[4, 2, 0], [4, 0, 0]])
    expected = torch.nn.functional.cross_entropy(logits[target != 0], target[target != 0])
    torch.testing.assert_close(sequence_loss(logits, target), expected)
    with pytest.raises(ValueError, match="target must have shape"):
        sequence_loss(logits, target[:, :2])


def test_training_reduces_the_loss(tiny_dates):
    cfg = config_for(tiny_dates)
    result = train(
        fresh(cfg), tiny_dates, epochs=3, batch_size=32, lr=3e-3, progress=False, device="cpu"
    )
    losses = [h["valid_loss"] for h in result.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert result.best_epoch == 3 and not result.stopped_early


def test_early_stopping_and_time_limit(tiny_dates):
    cfg = config_for(tiny_dates)
    # A learning rate too small to move float32 weights: the validation loss never improves.
    result = train(
        fresh(cfg), tiny_dates, epochs=5, lr=1e-12, patience=1, progress=False, device="cpu"
    )
    assert result.stopped_early and len(result.history) == 2 and result.best_epoch == 1
    result = train(fresh(cfg), tiny_dates, epochs=5, max_minutes=0.0, progress=False, device="cpu")
    assert result.out_of_time and len(result.history) == 1


def test_checkpoint_resume_gives_the_same_weights(tiny_dates, tmp_path):
    cfg = config_for(tiny_dates, dropout=0.1)
    kw = dict(
        batch_size=32,
        lr=3e-3,
        teacher_forcing_ratio=0.5,
        progress=False,
        device="cpu",
        model_config=cfg,
    )
    straight = fresh(cfg)
    r1 = train(straight, tiny_dates, epochs=3, checkpoint_path=tmp_path / "a.pt", **kw)
    # Stop after one epoch, then resume with a freshly built model.
    train(fresh(cfg), tiny_dates, epochs=1, checkpoint_path=tmp_path / "b.pt", **kw)
    other = fresh(cfg)
    r2 = train(other, tiny_dates, epochs=3, checkpoint_path=tmp_path / "b.pt", resume=True, **kw)
    assert [h["valid_loss"] for h in r1.history] == pytest.approx(
        [h["valid_loss"] for h in r2.history]
    )
    for (name, a), b in zip(straight.state_dict().items(), other.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)
    assert sorted(os.listdir(tmp_path)) == ["a.pt", "b.pt"]  # no temporary files left
    # The early-stopping records travel too: the resumed run's best epoch is the straight one's.
    assert (r2.best_epoch, r2.best_valid_loss) == (r1.best_epoch, pytest.approx(r1.best_valid_loss))


def test_resume_from_a_checkpoint_without_training_state(tiny_dates, tmp_path):
    cfg = config_for(tiny_dates)
    path = tmp_path / "weights.pt"
    save_checkpoint(path, model=fresh(cfg), config=cfg, src_vocab=tiny_dates.src_vocab,
                    tgt_vocab=tiny_dates.tgt_vocab)  # fmt: skip
    with pytest.raises(CheckpointMismatchError, match="weights.pt holds no training state"):
        train(fresh(cfg), tiny_dates, model_config=cfg, checkpoint_path=path, resume=True,
              progress=False, device="cpu")  # fmt: skip


def test_checkpoint_write_is_atomic(tiny_dates, tmp_path, monkeypatch):
    cfg = config_for(tiny_dates)
    model, path = fresh(cfg), tmp_path / "ck.pt"
    save_checkpoint(
        path,
        model=model,
        config=cfg,
        src_vocab=tiny_dates.src_vocab,
        tgt_vocab=tiny_dates.tgt_vocab,
    )
    before = path.read_bytes()

    def crash(obj, f, *a, **k):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(
            path,
            model=model,
            config=cfg,
            src_vocab=tiny_dates.src_vocab,
            tgt_vocab=tiny_dates.tgt_vocab,
        )
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.pt"]


def test_mismatched_checkpoint_is_refused(tiny_dates, tmp_path):
    cfg = config_for(tiny_dates)
    path = tmp_path / "ck.pt"
    save_checkpoint(
        path,
        model=fresh(cfg),
        config=cfg,
        src_vocab=tiny_dates.src_vocab,
        tgt_vocab=tiny_dates.tgt_vocab,
    )
    loaded = load_checkpoint(
        path, src_vocab=tiny_dates.src_vocab, tgt_vocab=tiny_dates.tgt_vocab, config=cfg
    )
    assert loaded["config"] == cfg and loaded["src_vocab"] == tiny_dates.src_vocab
    rebuilt = build_model(loaded["config"])
    load_checkpoint(path, model=rebuilt)

    other_vocab = Vocab([*tiny_dates.src_vocab.tokens, "€"])
    with pytest.raises(CheckpointMismatchError, match="source vocabulary differs"):
        load_checkpoint(path, src_vocab=other_vocab)
    with pytest.raises(CheckpointMismatchError, match="target vocabulary differs"):
        load_checkpoint(path, tgt_vocab=other_vocab)
    bigger = config_for(tiny_dates, d_attn=32)
    with pytest.raises(CheckpointMismatchError, match="d_attn: checkpoint=None, given=32"):
        load_checkpoint(path, config=bigger)
    with pytest.raises(CheckpointMismatchError, match="model shape differs"):
        load_checkpoint(path, model=build_model(config_for(tiny_dates, d_hidden=24)))
    with pytest.raises(CheckpointMismatchError, match="model shape differs.*missing"):
        load_checkpoint(path, model=build_model(config_for(tiny_dates, kind="luong")))
    with pytest.raises(ValueError, match="model_config"):
        train(fresh(cfg), tiny_dates, checkpoint_path=path, progress=False)


def _damaged(tiny_dates, tmp_path):
    import pickle

    cfg = config_for(tiny_dates)
    good = tmp_path / "good.pt"
    save_checkpoint(
        good, model=fresh(cfg), config=cfg, src_vocab=tiny_dates.src_vocab,
        tgt_vocab=tiny_dates.tgt_vocab,
    )  # fmt: skip
    data = good.read_bytes()
    return {
        "truncated.pt": (data[: len(data) // 2], r"truncated or corrupt"),
        "empty.pt": (b"", r"is empty"),
        "pickled.pt": (pickle.dumps({"f": os.getcwd}), r"corrupt, or holds more than tensors"),
        "junk.pt": (b"not a checkpoint " * 20, r"corrupt"),
        "text.pt": (b"hello world, not a checkpoint" * 10, r"corrupt"),
    }


@pytest.mark.parametrize("name", ["truncated.pt", "empty.pt", "pickled.pt", "junk.pt", "text.pt"])
def test_damaged_checkpoint_gets_the_right_advice(tiny_dates, tmp_path, name):
    content, message = _damaged(tiny_dates, tmp_path)[name]
    path = tmp_path / name
    path.write_bytes(content)
    # One clear error, not torch's warnings about the file's pickle protocol besides.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckpointMismatchError, match=message) as info:
            load_checkpoint(path)
    assert name in str(info.value)
    # The one piece of advice that must never be given for a damaged or foreign file.
    assert "weights_only" not in str(info.value)
    assert path.read_bytes() == content  # nothing changed


def test_checkpoint_path_that_is_no_file(tmp_path):
    with pytest.raises(CheckpointMismatchError, match="is a directory, not a checkpoint file"):
        load_checkpoint(tmp_path)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")
