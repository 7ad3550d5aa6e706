import pytest
import torch

from gattut.seq2seq.batching import pad_batch
from gattut.seq2seq.vocab import EOS_ID, PAD_ID, SOS_ID, SPECIALS, UNK_ID, Vocab


def test_build_orders_by_frequency_then_alphabet():
    vocab = Vocab.build([["b", "a", "c"], ["c", "a"], ["c"]])
    assert vocab.tokens == [*SPECIALS, "c", "a", "b"]
    assert Vocab.build([["b", "a", "c"], ["c", "a"]], min_freq=2).tokens == [*SPECIALS, "a", "c"]
    assert len(Vocab.build([["b", "a", "c"]], max_size=5)) == 5


def test_round_trip_and_unk():
    vocab = Vocab.build([["je", "suis", "là"]])
    ids = vocab.encode(["je", "suis", "absent"], add_sos=True, add_eos=True)
    assert ids[0] == SOS_ID and ids[-1] == EOS_ID and ids[3] == UNK_ID
    assert vocab.decode(ids) == ["je", "suis", "<unk>"]
    assert vocab.decode([vocab["je"], EOS_ID, vocab["suis"]]) == ["je"]
    assert vocab.decode([SOS_ID, vocab["je"], EOS_ID], strip=False) == ["<sos>", "je", "<eos>"]
    assert Vocab(vocab.to_list()) == vocab


def test_difference_and_errors():
    a, b = Vocab.build([["x", "y"]]), Vocab.build([["x", "z"]])
    assert a.difference(a) is None
    assert "'y' vs 'z'" in a.difference(b)
    with pytest.raises(ValueError, match="must start with"):
        Vocab(["a", "b"])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        a.decode([99])
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build([], min_freq=0)


def test_pad_batch_shapes():
    ids, lengths = pad_batch([[5, 6, 7], [8]])
    assert ids.shape == (2, 3) and lengths.tolist() == [3, 1]
    assert torch.equal(ids[1], torch.tensor([8, PAD_ID, PAD_ID]))
    with pytest.raises(ValueError, match="empty sequence"):
        pad_batch([[1], []])
    with pytest.raises(ValueError, match="at least one"):
        pad_batch([])


def test_bucketed_batches_cover_every_pair_once(tiny_dates):
    seen = []
    for batch in tiny_dates.batches("train", 16, shuffle=True, seed=1, bucket=True):
        assert batch.src.shape[1] == int(batch.src_lengths.max())
        seen += [tuple(row[:n].tolist()) for row, n in zip(batch.src, batch.src_lengths)]
    expected = [tuple(tiny_dates.encode_pair(p)[0]) for p in tiny_dates.pairs("train")]
    assert sorted(seen) == sorted(expected)
    again = [b.src for b in tiny_dates.batches("train", 16, shuffle=True, seed=1, bucket=True)]
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            again,
            (b.src for b in tiny_dates.batches("train", 16, shuffle=True, seed=1, bucket=True)),
        )
    )
