import pytest

from gattut.seq2seq import accuracy_by_length, corpus_bleu, exact_match


def test_exact_match():
    assert exact_match([["a", "b"], ["c"]], [["a", "b"], ["d"]]) == 0.5
    assert exact_match(["2015-03-03"], ["2015-03-03"]) == 1.0
    with pytest.raises(ValueError, match="2 predictions but 1"):
        exact_match([["a"], ["b"]], [["a"]])


def test_bleu_on_a_hand_computed_example():
    pytest.importorskip("sacrebleu")
    assert corpus_bleu(["the cat sat on the mat"], ["the cat sat on the mat"]) == pytest.approx(
        100.0
    )
    # One wrong word of five: p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2, brevity penalty 1,
    # BLEU = 100 * (4/5 * 3/4 * 2/3 * 1/2) ** (1/4) = 100 * 0.2 ** 0.25.
    assert corpus_bleu(["a b c d e"], ["a b c d f"]) == pytest.approx(100 * 0.2**0.25, abs=1e-6)
    with pytest.raises(ValueError, match="strings"):
        corpus_bleu([["a"]], [["a"]])


def test_a_bare_string_is_refused():
    # Scored character by character it gave 0.0 with no error; now it says why.
    with pytest.raises(ValueError, match=r"bare string as its first argument.*character by"):
        corpus_bleu("the cat sat", "the cat sat")
    with pytest.raises(ValueError, match="bare string as its second argument"):
        corpus_bleu(["the cat sat"], "the cat sat")
    with pytest.raises(ValueError, match=r"exact_match\(\[hypothesis\], \[reference\]\)"):
        exact_match("2015-03-03", "2015-03-04")


def test_accuracy_by_length():
    rows = accuracy_by_length([5, 6, 20, 21, 40], [True, True, True, False, False], [0, 10, 30, 50])
    assert rows == [(0, 10, 2, 1.0), (10, 30, 2, 0.5), (30, 50, 1, 0.0)]
    with pytest.raises(ValueError, match="increasing"):
        accuracy_by_length([1], [True], [5, 5])
