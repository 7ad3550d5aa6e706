import pytest

from gattut.seq2seq import RNNSeq2Seq, Seq2SeqConfig, TransformerSeq2Seq, build_model
from gattut.seq2seq.decoders import BahdanauDecoder, LuongDecoder, NoAttentionDecoder


def test_round_trip_and_factory():
    cfg = Seq2SeqConfig("luong", 30, 20, d_embed=8, d_hidden=16, score="concat", scale=True)
    assert Seq2SeqConfig.from_dict(cfg.to_dict()) == cfg
    expected = {"none": NoAttentionDecoder, "bahdanau": BahdanauDecoder, "luong": LuongDecoder}
    for kind, decoder in expected.items():
        model = build_model(Seq2SeqConfig(kind, 30, 20, d_embed=8, d_hidden=16))
        assert isinstance(model, RNNSeq2Seq) and isinstance(model.decoder, decoder)
        assert model.encoder.d_out == 32  # bidirectional by default
    model = build_model(
        Seq2SeqConfig("transformer", 30, 20, d_hidden=16, num_heads=2, norm_first=False)
    )
    assert isinstance(model, TransformerSeq2Seq) and not model.norm_first


def test_config_errors():
    with pytest.raises(ValueError, match="unknown Seq2SeqConfig fields"):
        Seq2SeqConfig.from_dict(
            {"attention": "none", "src_vocab_size": 3, "tgt_vocab_size": 3, "heads": 2}
        )
    with pytest.raises(ValueError, match="d_hidden must be a positive int, got 0"):
        Seq2SeqConfig("none", 10, 10, d_hidden=0)
    with pytest.raises(ValueError, match="dropout"):
        Seq2SeqConfig("none", 10, 10, dropout=1.0)
