import pytest
import torch

from gattut.data.corpus import pad_batch
from gattut.data.dates import load_dates
from gattut.data.vocab import EOS_ID, PAD_ID, SOS_ID, SPECIALS, UNK_ID, Vocab


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


def test_bucketed_batches_cover_every_pair_once():
    tiny_dates = load_dates(n_train=256, n_valid=64, n_test=64, seed=0)
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


def test_old_import_paths_still_work():
    # The containers moved from gattut.seq2seq to gattut.data; the old paths re-export them.
    import gattut.data as data
    import gattut.seq2seq as seq2seq
    from gattut.seq2seq import batching, vocab

    assert vocab.Vocab is data.Vocab is seq2seq.Vocab
    assert batching.ParallelCorpus is data.ParallelCorpus is seq2seq.ParallelCorpus
    assert batching.Batch is data.Batch and batching.pad_batch is data.pad_batch
    assert (vocab.PAD_ID, vocab.SOS_ID, vocab.EOS_ID, vocab.UNK_ID) == (0, 1, 2, 3)


def test_data_does_not_import_seq2seq():
    # Data is the ground floor: importing it must not pull in the models.
    import subprocess
    import sys

    code = "import sys, gattut.data; print('gattut.seq2seq' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
