import datetime as dt

import pytest

from gattut.data.dates import (
    DATE_FORMATS,
    MIXES,
    VERBOSE_FORMATS,
    format_date,
    generate_dates,
    load_dates,
    target_spans,
)
from gattut.data.vocab import UNK_ID


def test_known_formats():
    d = dt.date(2015, 3, 3)
    assert format_date(d, "m/d/yy").source == "3/3/15"
    assert format_date(d, "Weekday, d Month yyyy").source == "Tuesday, 3 March 2015"
    assert format_date(d, "Month dth, yyyy").source == "March 3rd, 2015"
    assert format_date(d, "dd.mm.yyyy").source == "03.03.2015"
    assert format_date(d, "d Mon yyyy").source == "3 Mar 2015"
    long = format_date(d, "weekday, the ordinal of month, year words")
    assert long.source == "tuesday, the third of march, two thousand fifteen"
    assert long.target == "2015-03-03"
    assert format_date(dt.date(1987, 11, 30), "the ordinal of month, year words").source == (
        "the thirtieth of november, nineteen eighty-seven"
    )
    assert format_date(dt.date(1905 + 50, 1, 22), "Month dth, yyyy").source == "January 22nd, 1955"


def test_verbose_formats():
    d = dt.date(1987, 9, 23)
    ex = format_date(d, "on weekday, the ordinal day of month, in the year year words")
    assert ex.source == (
        "on wednesday, the twenty-third day of september, in the year nineteen eighty-seven"
    )
    assert ex.target == "1987-09-23"
    fmt = "it was a Weekday, the dth day of Month, in the year yyyy, as far as we know"
    assert format_date(d, fmt).source == (
        "it was a Wednesday, the 23rd day of September, in the year 1987, as far as we know"
    )
    assert set(MIXES["verbose"]) == set(DATE_FORMATS) | set(VERBOSE_FORMATS)
    assert MIXES["standard"] == tuple(DATE_FORMATS)


def test_spans_point_at_the_fields():
    for fmt in list(DATE_FORMATS) + list(VERBOSE_FORMATS):
        ex = format_date(dt.date(2031, 12, 25), fmt)
        assert set(ex.spans) == {"day", "month", "year"}
        year = ex.source[slice(*ex.spans["year"])]
        assert year in {"2031", "31", "two thousand thirty-one"}
        assert ex.source[slice(*ex.spans["day"])] in {"25", "25th", "twenty-fifth"}
        assert ex.source[slice(*ex.spans["month"])].lower() in {"12", "dec", "december"}
    assert target_spans() == {"year": (0, 4), "month": (5, 7), "day": (8, 10)}


def test_generation_is_deterministic_and_distinct():
    a, b = generate_dates(500, seed=3), generate_dates(500, seed=3)
    assert a == b
    assert generate_dates(500, seed=4) != a
    assert len({e.source for e in a}) == 500
    for e in a:
        dt.date.fromisoformat(e.target)


def test_lengths_vary_enough_to_show_the_bottleneck():
    lengths = [len(e.source) for e in generate_dates(2000, seed=0)]
    assert min(lengths) <= 8 and max(lengths) >= 55
    verbose = [len(e.source) for e in generate_dates(2000, seed=0, mix="verbose")]
    assert min(verbose) <= 8 and max(verbose) >= 90
    assert sum(n >= 60 for n in verbose) >= 300  # enough long inputs for a bucket of their own


def test_the_mix_is_deterministic_and_the_standard_mix_unchanged():
    assert generate_dates(300, seed=2) == generate_dates(300, seed=2, mix="standard")
    a, b = generate_dates(300, seed=2, mix="verbose"), generate_dates(300, seed=2, mix="verbose")
    assert a == b and {e.format for e in a} & set(VERBOSE_FORMATS)
    assert load_dates(30, 5, 5, seed=0, mix="verbose").info["mix"] == "verbose"


def test_splits_are_fixed_and_disjoint():
    c1, c2 = load_dates(300, 50, 60, seed=1), load_dates(300, 50, 60, seed=1)
    assert c1.splits == c2.splits and c1.src_vocab == c2.src_vocab
    assert {k: len(v) for k, v in c1.splits.items()} == {"train": 300, "valid": 50, "test": 60}
    sources = [tuple(s) for split in c1.splits.values() for s, _ in split]
    assert len(set(sources)) == len(sources)
    assert len(c1.info["examples"]["test"]) == 60
    assert c1.join(c1.pairs("test")[0][1]) == c1.info["examples"]["test"][0].target


def test_batches_are_padded_with_lengths():
    c = load_dates(64, 8, 8, seed=0)
    batch = next(c.batches("train", 16))
    B, S = batch.src.shape
    assert B == 16 and batch.tgt.shape == (16, 12)  # <sos> + 10 characters + <eos>
    assert int(batch.src_lengths.max()) == S
    for b in range(B):
        assert (batch.src[b, batch.src_lengths[b] :] == 0).all()
        assert (batch.src[b, : batch.src_lengths[b]] != 0).all()


def test_unknown_characters_map_to_unk():
    c = load_dates(50, 5, 5, seed=0)
    assert c.src_vocab.encode(["€"]) == [UNK_ID]


def test_errors():
    with pytest.raises(ValueError, match="unknown date format"):
        format_date(dt.date(2000, 1, 1), "dd/mm")
    with pytest.raises(ValueError, match="dates must lie"):
        format_date(dt.date(1900, 1, 1), "m/d/yy")
    with pytest.raises(ValueError, match="n_valid"):
        load_dates(10, 0, 10)
    with pytest.raises(ValueError, match="mix must be one of"):
        generate_dates(10, mix="long")
