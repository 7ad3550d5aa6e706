"""Every public entry point of gattut.data refuses bad input clearly, before any work.

One row per bad input: the entry point, a function of a data root (an empty
``$GATTUT_DATA`` in a temporary folder, downloads off) that makes the call, the
error type and a pattern the message must match. Each row checks that nothing
was written or changed: the temporary folder holds the same files with the same
bytes, and the registry of known files is as before. (``Graph`` and
``batch_graphs`` are tested with the graph code.)
"""

from __future__ import annotations

import gzip
import os

import pytest
import torch

import gattut.data as D
from gattut.data import translation

ENG_FRA = D.REGISTRY["translation/eng-fra.txt"]


def _damaged_eng_fra(root):
    """A truncated eng-fra.txt.gz where the loader looks for it."""
    target = root / "translation" / "eng-fra.txt.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(b"go .\tva !\n" * 500)[:-10])  # cut inside the stream
    translation._filtered_pairs.cache_clear()  # the loader caches what it read before
    return target


def _in_the_way(root):
    """A directory where the file eng-fra.txt should be."""
    (root / "translation" / "eng-fra.txt").mkdir(parents=True)


def _env_is_a_file(root, monkeypatch):
    (root.parent / "data.txt").write_text("not a folder")
    monkeypatch.setenv("GATTUT_DATA", str(root.parent / "data.txt"))


def _tiny_corpus():
    return D.load_dates(n_train=8, n_valid=4, n_test=4)


def _graph_without_masks():
    return D.random_graph(10, 2.0)


# (entry point, prepare(root, monkeypatch) or None, call(root), error type, message pattern)
CASES = [
    ("Vocab", None, lambda root: D.Vocab(["a", "b"]), ValueError, "a Vocab must start with"),
    ("Vocab", None, lambda root: D.Vocab("<pad>"), TypeError,
     "a Vocab is built from a list of token strings"),
    ("Vocab.build", None, lambda root: D.Vocab.build("the cat"), TypeError,
     r"Vocab.build takes token sequences.*got the string 'the cat'"),
    ("Vocab.build", None, lambda root: D.Vocab.build([["a"]], min_freq=0), ValueError,
     "min_freq must be an int >= 1, got 0"),
    ("pad_batch", None, lambda root: D.pad_batch([]), ValueError,
     "pad_batch needs at least one sequence"),
    ("pad_batch", None, lambda root: D.pad_batch([[1, -2]]), ValueError,
     "sequence 0 holds -2"),
    ("ParallelCorpus", None, lambda root: D.ParallelCorpus(["<pad>"], D.Vocab.build([]), {}),
     TypeError, "src_vocab must be a Vocab, got list"),
    ("ParallelCorpus", None, lambda root: D.ParallelCorpus(
        D.Vocab.build([]), D.Vocab.build([]), {"train": [(["a"], "b")]}), ValueError,
     r"splits\['train'\]\[0\] must be a \(source tokens, target tokens\) pair"),
    ("ParallelCorpus.batches", None, lambda root: list(_tiny_corpus().batches("train", 0)),
     ValueError, "batch_size must be a positive int, got 0"),
    ("ParallelCorpus.batches", None, lambda root: list(_tiny_corpus().batches("dev", 2)),
     ValueError, r"unknown split 'dev'; this corpus has \['test', 'train', 'valid'\]"),
    ("Batch", None, lambda root: D.Batch(torch.zeros(1)), TypeError, "missing 3 required"),
    ("load_dates", None, lambda root: D.load_dates(n_train=0), ValueError,
     "n_train must be >= 1, got 0"),
    ("load_dates", None, lambda root: D.load_dates(mix="weird"), ValueError,
     "mix must be one of"),
    ("load_eng_fra", None, lambda root: D.load_eng_fra(direction="fr-en"), ValueError,
     "direction must be 'fra-eng' or 'eng-fra'"),
    ("load_eng_fra", None, lambda root: D.load_eng_fra(max_length=1), ValueError,
     r"max_length must be an int >= 2 \(or None\), got 1"),
    ("load_eng_fra", None, lambda root: D.load_eng_fra(min_freq=0), ValueError,
     "min_freq must be an int >= 1, got 0"),
    ("load_eng_fra", None, lambda root: D.load_eng_fra(valid_fraction=0.6, test_fraction=0.6),
     ValueError, "a sum below 1"),
    ("load_eng_fra", lambda root, mp: _damaged_eng_fra(root), lambda root: D.load_eng_fra(),
     D.ChecksumError, r"eng-fra.txt.gz is not a valid gzip file"),
    ("load_eng_fra", lambda root, mp: translation._filtered_pairs.cache_clear(),
     lambda root: D.load_eng_fra(max_length=9), D.DataNotFoundError,
     r"'translation/eng-fra.txt' is missing: downloads are off"),
    ("load_planetoid", None, lambda root: D.load_planetoid("coraa"), ValueError,
     "unknown Planetoid dataset 'coraa'"),
    ("load_ppi", None, lambda root: D.load_ppi("dev"), ValueError, "unknown PPI split 'dev'"),
    ("load_ppi", None, lambda root: D.load_ppi(root=__file__), D.DataNotFoundError,
     "is a file, not the folder of the PPI files"),
    ("load_ppi", _env_is_a_file, lambda root: D.load_ppi(), D.DataNotFoundError,
     "GATTUT_DATA=.*data.txt names a file, not a folder"),
    ("ppi_files", None, lambda root: D.ppi_files("dev"), ValueError, "unknown PPI split 'dev'"),
    ("random_graph", None, lambda root: D.random_graph(1, 2.0), ValueError,
     "random_graph needs num_nodes >= 2"),
    ("random_graph", None, lambda root: D.random_graph(10, -1.0), ValueError,
     "avg_degree >= 0"),
    ("contextual_sbm", None, lambda root: D.contextual_sbm(p_in=2.0), ValueError,
     r"p_in must be a probability in \[0, 1\], got 2.0"),
    ("contextual_sbm", None, lambda root: D.contextual_sbm(num_classes=1), ValueError,
     "needs num_classes >= 2"),
    ("inductive_split", None, lambda root: D.inductive_split("graph"), TypeError,
     "inductive_split takes a Graph, got str"),
    ("inductive_split", None, lambda root: D.inductive_split(_graph_without_masks()), ValueError,
     "needs a graph with train_mask and val_mask"),
    ("normalize_rows", None, lambda root: D.normalize_rows(torch.ones(2, 2)), TypeError,
     "normalize_rows takes a 2-D SciPy sparse matrix, got Tensor"),
    ("path", None, lambda root: D.path("planetoid/ind.nothing.x"), KeyError,
     "unknown data file 'planetoid/ind.nothing.x'; known files: planetoid/ind.citeseer"),
    ("path", lambda root, mp: _in_the_way(root), lambda root: D.path(ENG_FRA), D.DataNotFoundError,
     r"eng-fra.txt exists but is a directory, not a file"),
    ("path", _env_is_a_file, lambda root: D.path(ENG_FRA), D.DataNotFoundError,
     "GATTUT_DATA=.*data.txt names a file, not a folder"),
    ("path", lambda root, mp: _damaged_eng_fra(root), lambda root: D.path(ENG_FRA),
     D.ChecksumError, r"checksum mismatch for translation/eng-fra.txt: .*eng-fra.txt.gz is not"),
    ("open_text", lambda root, mp: _damaged_eng_fra(root), lambda root: D.open_text(ENG_FRA),
     D.ChecksumError, "eng-fra.txt.gz is not a valid gzip file"),
    ("download", None, lambda root: D.download("translation/nothing.txt", root), KeyError,
     "unknown data file 'translation/nothing.txt'"),
    ("download", None, lambda root: D.download(ENG_FRA, __file__), D.DataNotFoundError,
     r"cannot download translation/eng-fra.txt into .*: .* is a file, not a folder"),
    ("sha256_of", None, lambda root: D.sha256_of(root / "nothing.bin"), FileNotFoundError,
     "nothing.bin"),
    ("register", None, lambda root: D.register(ENG_FRA.__class__(
        "translation/eng-fra.txt", "0" * 64, "https://example.org/other.txt")), ValueError,
     "registered already with sha256 .* refusing to replace it"),
    ("register", None, lambda root: D.register({"name": "x/y"}), TypeError,
     "register takes a RemoteFile, got dict"),
    ("RemoteFile", None, lambda root: D.RemoteFile("x/y", "abc", "https://example.org"),
     ValueError, "x/y: sha256 must be 64 lowercase hex digits"),
    ("RemoteFile", None, lambda root: D.RemoteFile("../y", "0" * 64, "https://example.org"),
     ValueError, "must be a relative path with / separators"),
    ("RemoteFile", None, lambda root: D.RemoteFile("x/y", "0" * 64, "file:///etc/passwd"),
     ValueError, "url must be an http"),
    ("make_documents", None, lambda root: D.make_documents(10, sentences=(0, 3)), ValueError,
     "allows zero sentences"),
    ("make_documents", None, lambda root: D.make_documents(10, words=(0, 4)), ValueError,
     "allows an empty sentence"),
]  # fmt: skip

# Exported names that take no input to get wrong (constants, exceptions, results, the two
# folder functions), and the graph container, which the graph tests cover.
NOT_CALLED = {
    "ENV_VAR", "EOS_ID", "OFFLINE_VAR", "PAD_ID", "PLANETOID_NAMES", "PPI_SPLITS", "PPI_URL",
    "REGISTRY", "SOS_ID", "UNK_ID", "ChecksumError", "DataNotFoundError", "InductiveSplit",
    "data_roots", "user_cache_dir", "Graph", "batch_graphs",
}  # fmt: skip


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "root"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("GATTUT_OFFLINE", "1")
    (tmp_path / "root").mkdir()
    return tmp_path / "root"


def _tree(folder):
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def test_every_public_entry_point_has_a_bad_input_case():
    covered = {name.split(".")[0] for name, *_ in CASES}
    assert sorted(set(D.__all__) - NOT_CALLED - covered) == []


@pytest.mark.parametrize(
    "name, prepare, call, error, message", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    root, monkeypatch, name, prepare, call, error, message
):
    if prepare is not None:
        prepare(root, monkeypatch)
    tree, registry = _tree(root.parent), dict(D.REGISTRY)
    with pytest.raises(error, match=message):
        call(root)
    assert _tree(root.parent) == tree, f"{name} wrote or changed a file"
    assert D.REGISTRY == registry, f"{name} changed the registry"
    assert not [p for p in os.listdir(root) if p.endswith(".part")]
    translation._filtered_pairs.cache_clear()  # leave no pairs of a fake file behind
