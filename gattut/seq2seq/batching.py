"""Moved to :mod:`gattut.data.corpus` (corpora are data); this path keeps old imports working."""

from gattut.data.corpus import Batch, ParallelCorpus, pad_batch

__all__ = ["Batch", "ParallelCorpus", "pad_batch"]
