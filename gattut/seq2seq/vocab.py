"""Moved to :mod:`gattut.data.vocab` (vocabularies are data); this path keeps old imports working."""

from gattut.data.vocab import (
    EOS,
    EOS_ID,
    PAD,
    PAD_ID,
    SOS,
    SOS_ID,
    SPECIALS,
    UNK,
    UNK_ID,
    Vocab,
)

__all__ = ["PAD", "SOS", "EOS", "UNK", "SPECIALS", "PAD_ID", "SOS_ID", "EOS_ID", "UNK_ID", "Vocab"]
