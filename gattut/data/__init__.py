"""Data access: one data root, a registry of known files, verified downloads; the containers.

The sequence containers (:class:`Vocab`, :class:`ParallelCorpus`, :class:`Batch`) live here,
at the ground floor, so that the loaders and every model read the same types.

See :mod:`gattut.data.fetch` for how files are found and checked.
"""

from gattut.data.corpus import Batch, ParallelCorpus, pad_batch
from gattut.data.dates import load_dates
from gattut.data.documents import make_documents
from gattut.data.fetch import (
    ENV_VAR,
    OFFLINE_VAR,
    ChecksumError,
    DataNotFoundError,
    data_roots,
    download,
    open_text,
    path,
    sha256_of,
    user_cache_dir,
)
from gattut.data.graph import Graph, batch_graphs
from gattut.data.planetoid import PLANETOID_NAMES, load_planetoid, normalize_rows
from gattut.data.ppi import PPI_SPLITS, PPI_URL, load_ppi, ppi_files
from gattut.data.registry import REGISTRY, RemoteFile, register
from gattut.data.synthetic import InductiveSplit, contextual_sbm, inductive_split, random_graph
from gattut.data.translation import load_eng_fra
from gattut.data.vocab import EOS_ID, PAD_ID, SOS_ID, UNK_ID, Vocab

__all__ = [
    "Graph",
    "batch_graphs",
    "Batch",
    "EOS_ID",
    "PAD_ID",
    "ParallelCorpus",
    "SOS_ID",
    "UNK_ID",
    "Vocab",
    "pad_batch",
    "make_documents",
    "ENV_VAR",
    "PLANETOID_NAMES",
    "PPI_SPLITS",
    "PPI_URL",
    "InductiveSplit",
    "contextual_sbm",
    "inductive_split",
    "load_dates",
    "load_eng_fra",
    "load_planetoid",
    "load_ppi",
    "normalize_rows",
    "ppi_files",
    "random_graph",
    "OFFLINE_VAR",
    "REGISTRY",
    "ChecksumError",
    "DataNotFoundError",
    "RemoteFile",
    "data_roots",
    "download",
    "open_text",
    "path",
    "register",
    "sha256_of",
    "user_cache_dir",
]
