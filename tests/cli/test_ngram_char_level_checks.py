"""`ngram train --level char` checks the text before counting: a character an ARPA file cannot
hold as a token (tab, \\r, \\v, \\f: KenLM splits at them) is refused for .arpa naming the file,
line and character and what to run; a literal U+2581, the character level's spelling of the
space, is refused at any --out, since it would merge with the space (qaC stop 21, findings 3
and 4). U+00A0 and the other Unicode spaces are tokens KenLM keeps."""

from __future__ import annotations

import pytest
from inprocess import invoke

from seqlab.nlp.ngram import load_arpa


def _train(tmp_path, text: str, out: str):
    (tmp_path / "c.txt").write_bytes(text.encode("utf-8"))
    return invoke("ngram", "train", tmp_path / "c.txt", "--level", "char", "--order", "2",
                  "--out", tmp_path / out, "-q")


def _refusal(done) -> str:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.mark.parametrize(("char", "name", "advice"), [
    ("\t", "tab", ".npz"), ("\x0c", "form feed", ".npz"), ("\x0b", "vertical tab", ".npz")])
def test_a_kenlm_space_is_refused_for_arpa_naming_the_line(tmp_path, char, name, advice):
    line = _refusal(_train(tmp_path, f"ab cd\nef{char}gh\nij\n", "m.arpa"))
    assert "c.txt line 2" in line and name in line and advice in line
    assert not (tmp_path / "m.arpa").exists()


def test_crlf_line_ends_are_refused_with_the_command_that_converts_them(tmp_path):
    line = _refusal(_train(tmp_path, "ab\r\ncd\r\n", "m.arpa"))
    assert "c.txt line 1" in line and "tr -d '\\r'" in line


def test_the_same_text_trains_to_npz(tmp_path):
    assert _train(tmp_path, "ab\tcd\r\nef\n", "m.npz").returncode == 0


def test_a_unicode_space_is_an_arpa_token(tmp_path):
    done = _train(tmp_path, "a\u00a0b c\u3000d\n", "m.arpa")
    assert done.returncode == 0, done.stderr
    assert {"\u00a0", "\u3000", "\u2581"} <= set(load_arpa(tmp_path / "m.arpa").vocab)


@pytest.mark.parametrize("out", ["m.arpa", "m.npz"])
def test_a_literal_lower_one_eighth_block_is_refused(tmp_path, out):
    line = _refusal(_train(tmp_path, "a b\na\u2581b\n", out))
    assert "c.txt line 2" in line and "U+2581" in line and "space" in line
