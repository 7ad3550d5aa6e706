"""Date normalisation: a seq2seq task small enough to train on a CPU in a minute.

The source is a date as people write it, the target is the same date in ISO
form::

    "Tuesday, 3 March 2015"                        -> "2015-03-03"
    "3/3/15"                                        -> "2015-03-03"
    "the third of march, two thousand fifteen"      -> "2015-03-03"

Everything is generated here from a seed, so the data never has to be
downloaded and the splits are the same on every machine. Sources range from
six characters to about sixty, which is what chapter 3 needs to show the
bottleneck of a single fixed context vector: the longer the input, the worse
a decoder that sees only the encoder's last state does.

Each example also records the *span* of the source that spells the day, the
month and the year, so a test can check that a trained attention model looks
at the right place when it writes each part of the answer.

``mix="verbose"`` adds three wordy formats (sources of 60 to about 100
characters, the fields in the middle of a sentence), for example::

    "on wednesday, the twenty-third day of september, in the year nineteen eighty-seven"

The benchmark uses it, so that its accuracy-by-length table reaches sources
of 100 characters; the chapters and tests use the default ``mix="standard"``.
(A date carries the same information however long its text, so length alone
does not defeat a well-trained fixed context: see the benchmark's figures.)

Conventions: numeric dates with slashes are American (month first, ``3/14/15``),
numeric dates with dots are European (day first, ``14.03.2015``), and
two-digit years mean 1950-2049.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import NamedTuple

from gattut.data.corpus import ParallelCorpus
from gattut.data.vocab import Vocab

__all__ = [
    "DATE_FORMATS",
    "MIXES",
    "VERBOSE_FORMATS",
    "DateExample",
    "format_date",
    "generate_dates",
    "load_dates",
    "target_spans",
]

FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2049, 12, 31)

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_ONES = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
                 "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
                 "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip


def _number_words(n: int) -> str:
    """0 < n < 100 in words: 21 -> 'twenty-one'."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _ordinal_words(n: int) -> str:
    """1 <= n <= 31 as an ordinal: 3 -> 'third', 21 -> 'twenty-first', 30 -> 'thirtieth'."""
    if n < 20:
        return _ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    if ones == 0:
        return _TENS[tens][:-1] + "ieth"
    return f"{_TENS[tens]}-{_ORDINAL_ONES[ones]}"


def _ordinal_suffix(n: int) -> str:
    """3 -> '3rd', 11 -> '11th', 22 -> '22nd'."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _year_words(y: int) -> str:
    """1987 -> 'nineteen eighty-seven', 1905 -> 'nineteen oh five', 2015 -> 'two thousand fifteen'."""
    if y >= 2000:
        rest = y - 2000
        return "two thousand" + (f" {_number_words(rest)}" if rest else "")
    century, rest = divmod(y, 100)
    if rest == 0:
        return f"{_number_words(century)} hundred"
    if rest < 10:
        return f"{_number_words(century)} oh {_ONES[rest]}"
    return f"{_number_words(century)} {_number_words(rest)}"


# A format turns a date into pieces ``(text, field)``; field is "day", "month",
# "year" or None (separators, weekday). Keeping the pieces lets us know where
# each field sits in the final string.
Piece = tuple[str, str | None]
Formatter = Callable[[dt.date], list[Piece]]


def _weekday(d: dt.date) -> str:
    return WEEKDAYS[d.weekday()]


DATE_FORMATS: dict[str, Formatter] = {
    # Short numeric forms.
    "m/d/yy": lambda d: [(str(d.month), "month"), ("/", None), (str(d.day), "day"), ("/", None),
                         (f"{d.year % 100:02d}", "year")],
    "m/d/yyyy": lambda d: [(str(d.month), "month"), ("/", None), (str(d.day), "day"), ("/", None),
                           (str(d.year), "year")],
    "dd.mm.yyyy": lambda d: [(f"{d.day:02d}", "day"), (".", None), (f"{d.month:02d}", "month"),
                             (".", None), (str(d.year), "year")],
    "yyyymmdd": lambda d: [(str(d.year), "year"), (f"{d.month:02d}", "month"),
                           (f"{d.day:02d}", "day")],
    "yyyy年m月d日": lambda d: [(str(d.year), "year"), ("年", None), (str(d.month), "month"),
                             ("月", None), (str(d.day), "day"), ("日", None)],
    # Medium forms with month names.
    "d Mon yyyy": lambda d: [(str(d.day), "day"), (" ", None), (MONTHS[d.month - 1][:3], "month"),
                             (" ", None), (str(d.year), "year")],
    "d month yyyy": lambda d: [(str(d.day), "day"), (" ", None),
                               (MONTHS[d.month - 1].lower(), "month"), (" ", None),
                               (str(d.year), "year")],
    "Month dth, yyyy": lambda d: [(MONTHS[d.month - 1], "month"), (" ", None),
                                  (_ordinal_suffix(d.day), "day"), (", ", None),
                                  (str(d.year), "year")],
    "Mon d, 'yy": lambda d: [(MONTHS[d.month - 1][:3].upper(), "month"), (" ", None),
                             (str(d.day), "day"), (", '", None), (f"{d.year % 100:02d}", "year")],
    # Long forms.
    "Weekday, d Month yyyy": lambda d: [(_weekday(d), None), (", ", None), (str(d.day), "day"),
                                        (" ", None), (MONTHS[d.month - 1], "month"), (" ", None),
                                        (str(d.year), "year")],
    "Weekday, Month d, yyyy": lambda d: [(_weekday(d), None), (", ", None),
                                         (MONTHS[d.month - 1], "month"), (" ", None),
                                         (str(d.day), "day"), (", ", None), (str(d.year), "year")],
    "the dth of Month yyyy": lambda d: [("the ", None), (_ordinal_suffix(d.day), "day"),
                                        (" of ", None), (MONTHS[d.month - 1], "month"),
                                        (" ", None), (str(d.year), "year")],
    "the ordinal of month, year words": lambda d: [
        ("the ", None), (_ordinal_words(d.day), "day"), (" of ", None),
        (MONTHS[d.month - 1].lower(), "month"), (", ", None), (_year_words(d.year), "year")],
    "weekday, the ordinal of month, year words": lambda d: [
        (_weekday(d).lower(), None), (", the ", None), (_ordinal_words(d.day), "day"),
        (" of ", None), (MONTHS[d.month - 1].lower(), "month"), (", ", None),
        (_year_words(d.year), "year")],
}  # fmt: skip

# Wordy formats: weekday, filler words and the fields spelled out, so the
# sources are 60 to ~100 characters long and every field sits well away from
# both ends, where a bidirectional encoder's final states are freshest.
VERBOSE_FORMATS: dict[str, Formatter] = {
    "on weekday, the ordinal day of month, in the year year words": lambda d: [
        ("on ", None), (_weekday(d).lower(), None), (", the ", None),
        (_ordinal_words(d.day), "day"), (" day of ", None), (MONTHS[d.month - 1].lower(), "month"),
        (", in the year ", None), (_year_words(d.year), "year")],
    "the ordinal day of the month of month in the year year words, a weekday": lambda d: [
        ("the ", None), (_ordinal_words(d.day), "day"), (" day of the month of ", None),
        (MONTHS[d.month - 1].lower(), "month"), (" in the year ", None),
        (_year_words(d.year), "year"), (", a ", None), (_weekday(d).lower(), None)],
    "it was a Weekday, the dth day of Month, in the year yyyy, as far as we know": lambda d: [
        ("it was a ", None), (_weekday(d), None), (", the ", None),
        (_ordinal_suffix(d.day), "day"), (" day of ", None), (MONTHS[d.month - 1], "month"),
        (", in the year ", None), (str(d.year), "year"), (", as far as we know", None)],
}  # fmt: skip

# Which formats each mix draws from (uniformly).
MIXES: dict[str, tuple[str, ...]] = {
    "standard": tuple(DATE_FORMATS),
    "verbose": tuple(DATE_FORMATS) + tuple(VERBOSE_FORMATS),
}
_ALL_FORMATS: dict[str, Formatter] = {**DATE_FORMATS, **VERBOSE_FORMATS}


class DateExample(NamedTuple):
    """One generated example.

    ``spans`` maps "day", "month", "year" to the ``[start, end)`` character
    span of that field in ``source``.
    """

    source: str
    target: str
    format: str
    spans: dict[str, tuple[int, int]]


def format_date(date: dt.date, fmt: str) -> DateExample:
    """Write ``date`` in the human format ``fmt`` (a key of :data:`DATE_FORMATS` or :data:`VERBOSE_FORMATS`)."""
    if fmt not in _ALL_FORMATS:
        raise ValueError(f"unknown date format {fmt!r}; known: {sorted(_ALL_FORMATS)}")
    if not FIRST_DAY <= date <= LAST_DAY:
        raise ValueError(f"dates must lie in [{FIRST_DAY}, {LAST_DAY}], got {date}")
    text, spans = "", {}
    for piece, name in _ALL_FORMATS[fmt](date):
        if name is not None:
            spans[name] = (len(text), len(text) + len(piece))
        text += piece
    return DateExample(text, date.isoformat(), fmt, spans)


def target_spans() -> dict[str, tuple[int, int]]:
    """Where each field sits in the ISO target ``YYYY-MM-DD``."""
    return {"year": (0, 4), "month": (5, 7), "day": (8, 10)}


def generate_dates(n: int, seed: int = 0, mix: str = "standard") -> list[DateExample]:
    """``n`` examples with distinct sources: a uniform random day, then a uniform random format of ``mix``."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {sorted(MIXES)}, got {mix!r}")
    rng = random.Random(seed)
    span_days = (LAST_DAY - FIRST_DAY).days
    names = list(MIXES[mix])
    if n > (span_days + 1) * len(names) // 2:
        raise ValueError(f"n={n} is too many distinct examples for this generator")
    seen: set[str] = set()
    out = []
    while len(out) < n:
        date = FIRST_DAY + dt.timedelta(days=rng.randint(0, span_days))
        ex = format_date(date, rng.choice(names))
        if ex.source not in seen:
            seen.add(ex.source)
            out.append(ex)
    return out


def load_dates(
    n_train: int = 10_000,
    n_valid: int = 1_000,
    n_test: int = 2_000,
    seed: int = 0,
    mix: str = "standard",
) -> ParallelCorpus:
    """The date task as a character-level :class:`ParallelCorpus`.

    The three splits are drawn together (so no source string appears in two
    of them) and are fixed by ``seed``. The vocabularies hold every character
    of the training split; a test character outside it maps to ``<unk>``.
    ``corpus.info["examples"][split]`` keeps the :class:`DateExample` of each
    pair (formats and field spans), in the same order as the pairs.
    ``mix`` picks the formats (see :data:`MIXES`).
    """
    for name, value in (("n_train", n_train), ("n_valid", n_valid), ("n_test", n_test)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    examples = generate_dates(n_train + n_valid + n_test, seed=seed, mix=mix)
    parts = {
        "train": examples[:n_train],
        "valid": examples[n_train : n_train + n_valid],
        "test": examples[n_train + n_valid :],
    }
    splits = {k: [(list(e.source), list(e.target)) for e in v] for k, v in parts.items()}
    src_vocab = Vocab.build(src for src, _ in splits["train"])
    tgt_vocab = Vocab.build(tgt for _, tgt in splits["train"])
    return ParallelCorpus(
        src_vocab,
        tgt_vocab,
        splits,
        joiner="",
        info={"task": "dates", "seed": seed, "mix": mix, "examples": parts},
    )
