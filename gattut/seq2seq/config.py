"""One small config that names a seq2seq model, and the factory that builds it.

A checkpoint stores this config (as a plain dict) next to the weights and the
vocabularies, so a model can be rebuilt exactly, and a checkpoint that does
not fit the model or data at hand can be refused with a clear message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from gattut.attention.multiplicative import _SCORES
from gattut.seq2seq.decoders import BahdanauDecoder, LuongDecoder, NoAttentionDecoder
from gattut.seq2seq.encoders import GRUEncoder, check_model_args
from gattut.seq2seq.model import RNNSeq2Seq, Seq2Seq
from gattut.seq2seq.transformer import TransformerSeq2Seq

__all__ = ["ATTENTION_KINDS", "Seq2SeqConfig", "build_model"]

ATTENTION_KINDS = ("none", "bahdanau", "luong", "transformer")


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Everything needed to build a model.

    ``attention`` picks the model: ``"none"`` (GRU encoder, fixed context),
    ``"bahdanau"``, ``"luong"`` (GRU encoder + attention decoder) or
    ``"transformer"``. For the Transformer, ``d_hidden`` is ``d_model`` and
    ``num_layers`` counts encoder layers and decoder layers each; ``d_embed``,
    ``bidirectional``, ``score``, ``normalize``, ``scale`` and ``scaled_score``
    are not used.
    """

    attention: str
    src_vocab_size: int
    tgt_vocab_size: int
    d_embed: int = 64
    d_hidden: int = 128
    num_layers: int = 1
    bidirectional: bool = True
    dropout: float = 0.0
    d_attn: int | None = None  # Bahdanau: width of the additive score's hidden layer
    score: str = "general"  # Luong: "dot", "general" or "concat"
    normalize: bool = False  # Bahdanau: weight-normalised v
    scale: bool = False  # Luong: learned scalar on the score
    scaled_score: bool = False  # Luong: divide the score by sqrt(d_hidden)
    num_heads: int = 4  # Transformer
    d_ff: int = 256  # Transformer
    norm_first: bool = True  # Transformer: pre-norm (True) or post-norm (False)
    max_len: int = 256  # Transformer: longest sequence the positional encoding covers

    def __post_init__(self):
        if self.attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {self.attention!r}")
        sizes = ("src_vocab_size", "tgt_vocab_size", "d_embed", "d_hidden", "num_layers",
                 "d_attn", "num_heads", "d_ff", "max_len")  # fmt: skip
        check_model_args(self.dropout, **{name: getattr(self, name) for name in sizes})
        if self.score not in _SCORES:
            raise ValueError(f"score must be one of {_SCORES}, got {self.score!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Seq2SeqConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Seq2SeqConfig fields {unknown}; known: {sorted(known)}")
        return cls(**data)


def build_model(config: Seq2SeqConfig) -> Seq2Seq:
    """Build the model a config describes (weights freshly initialised)."""
    if not isinstance(config, Seq2SeqConfig):
        raise TypeError(
            f"build_model takes a Seq2SeqConfig, got {type(config).__name__}; "
            "for a dict use Seq2SeqConfig.from_dict(...)"
        )
    c = config
    if c.attention == "transformer":
        return TransformerSeq2Seq(
            c.src_vocab_size, c.tgt_vocab_size, d_model=c.d_hidden, num_heads=c.num_heads,
            num_layers=c.num_layers, d_ff=c.d_ff, dropout=c.dropout, norm_first=c.norm_first,
            max_len=c.max_len,
        )  # fmt: skip
    encoder = GRUEncoder(
        c.src_vocab_size, c.d_embed, c.d_hidden, c.num_layers, c.bidirectional, c.dropout
    )
    d_context = encoder.d_out
    if c.attention == "none":
        decoder = NoAttentionDecoder(c.tgt_vocab_size, c.d_embed, c.d_hidden, d_context, c.dropout)
    elif c.attention == "bahdanau":
        decoder = BahdanauDecoder(
            c.tgt_vocab_size, c.d_embed, c.d_hidden, d_context, c.d_attn, c.normalize, c.dropout
        )
    else:
        decoder = LuongDecoder(
            c.tgt_vocab_size, c.d_embed, c.d_hidden, d_context, c.score, c.scale, c.dropout,
            scaled_score=c.scaled_score,
        )  # fmt: skip
    return RNNSeq2Seq(encoder, decoder)
