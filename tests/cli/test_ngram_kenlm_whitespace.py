"""Another tool's ARPA file and the text scored with it are split on KenLM's whitespace, the
ASCII set (space, tab, \\n, \\r, \\v, \\f: `util/file_piece.cc`'s kSpaces, and
`bytes.split()` in kenlm's Python module), not all of Unicode's (`str.split()`): a word may
hold U+00A0, U+3000, U+2028 or U+001C (QA stop 20, fixQ2 item 1)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import textwrap

import pytest
from inprocess import invoke
from kenlm_peer import needs_kenlm

from seqlab.nlp.ngram import load_arpa
from seqlab.nlp.ngram.kenlm_split import kenlm_split

# Words KenLM keeps whole and str.split() would cut.
ODD = ["a\u00a0b", "c\u3000d", "e\u2028f", "g\u001ch", "i\u0085j", "k\u2003l"]
ARPA = ("\\data\\\nngram 1=10\nngram 2=3\n\n\\1-grams:\n-1.0\t<unk>\t0\n-99\t<s>\t-0.5\n"
        "-0.8\t</s>\t0\n-0.6\tx\t-0.3\n"
        + "".join(f"-{0.9 + k / 10:.1f}\t{word}\t-0.2\n" for k, word in enumerate(ODD))
        + f"\n\\2-grams:\n-0.3\tx {ODD[0]}\n-0.2\t{ODD[1]} x\n-0.4\t<s> {ODD[2]}\n"
        "\n\\end\\\n")
TEXT = [f"x {ODD[0]} x", f"{ODD[2]} {ODD[3]}\tx", f"{ODD[1]} x\x0b{ODD[4]}\x0c{ODD[5]}",
        "a b\u00a0 x", f" x {ODD[0]}\r"]


@pytest.mark.parametrize("text", [*TEXT, "\u00a0", "\x1c\x1d\x1e\x1f x\u3000", "", " \t"])
def test_kenlm_split_is_bytes_split(text):
    """kenlm's Python `Model.score` splits `sentence.encode().split()`: the reference."""
    assert kenlm_split(text) == [w.decode("utf-8") for w in text.encode("utf-8").split()]


def test_the_arpa_with_unicode_spaces_in_words_loads_whole(tmp_path):
    (tmp_path / "m.arpa").write_text(ARPA, encoding="utf-8")
    model = load_arpa(tmp_path / "m.arpa")
    assert set(ODD) <= set(model.vocab)
    assert model.sentence_tokens(TEXT[0]) == ["x", ODD[0], "x"]


def _kenlm_scores(path, lines: list[str]) -> list[list]:
    """(total log10, tokens scored incl. </s>) per line, as kenlm scores it."""
    script = textwrap.dedent(f"""\
        import kenlm
        model = kenlm.Model({str(path)!r})
        print(repr([[model.score(line, bos=True, eos=True),
                     len(list(model.full_scores(line)))] for line in {lines!r}]))
        """)
    done = subprocess.run([os.environ["SEQLAB_PEER_PYTHON"], "-c", script],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout.strip())  # a list literal printed by repr


@needs_kenlm
def test_scores_and_token_counts_equal_kenlm(tmp_path):
    path = tmp_path / "m.arpa"
    path.write_text(ARPA, encoding="utf-8")
    model = load_arpa(path)
    theirs = _kenlm_scores(path, TEXT)
    for line, (log10, count) in zip(TEXT, theirs, strict=True):
        assert len(model.sentence_tokens(line)) + 1 == count, line
        assert model.score(line) / math.log(10) == pytest.approx(log10, abs=1e-5), line
    (tmp_path / "test.txt").write_text("\n".join(TEXT) + "\n", encoding="utf-8")
    done = invoke("ngram", "eval", path, tmp_path / "test.txt", "--json")
    assert done.returncode == 0, done.stderr
    total = sum(log10 for log10, _ in theirs)
    tokens = sum(count for _, count in theirs)
    assert json.loads(done.stdout)["perplexity"] == pytest.approx(10 ** (-total / tokens),
                                                                  rel=1e-5)


def test_every_unicode_space_but_kenlms_is_kept_in_words():
    """The fast path's pattern names every character str.split() cuts at besides KenLM's."""
    import sys

    cut = [chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}b".split()) == 2]
    assert len(cut) > 20
    for space in cut:
        kept = space not in " \t\n\r\x0b\x0c"
        assert kenlm_split(f"a{space}b") == ([f"a{space}b"] if kept else ["a", "b"]), space
