"""`info` on an ARPA file reports the file's own counts and how its text is read (qaA s20
LOW 12: a `ngram 1=3` file without <unk> showed 4, the <unk> seqlab adds, as KenLM does, and
'tokenization none' though eval reads it by characters)."""

from __future__ import annotations

import json

from inprocess import invoke

UNIGRAMS = "\\data\\\nngram 1=3\n\n\\1-grams:\n-0.4771\t<s>\n-0.4771\ta\n-0.4771\t</s>\n\n\\end\\\n"
BIGRAMS = ("\\data\\\nngram 1=4\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\t0\n-99\t<s>\t-0.3\n"
           "-0.5\tthe\t-0.2\n-0.5\t</s>\n\n\\2-grams:\n-0.1\t<s> the\n\n\\end\\\n")


def test_counts_are_the_files_and_the_reading_is_named(tmp_path):
    path = tmp_path / "u.arpa"
    path.write_text(UNIGRAMS, encoding="utf-8")
    done = invoke("info", path, "--json")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["ngram_counts"] == [3] and info["vocab_size"] == 3
    assert "<unk>" in info["unk"]
    # single characters without U+2581: another tool's, split at spaces as KenLM does
    assert info["tokenization"] == {"level": "whitespace", "recorded": False}
    text = invoke("info", path).stdout
    (counts,) = [line for line in text.splitlines() if "ngram counts" in line]
    assert counts.split()[-1] == "3"
    assert "level whitespace" in text and "recorded no" in text


def test_seqlabs_unmarked_characters_are_read_by_characters(tmp_path):
    """U+2581, the space as seqlab's character level spells it: seqlab's file of before
    the mark line, read by characters as then."""
    path = tmp_path / "c.arpa"
    path.write_text(UNIGRAMS.replace("\ta\n", "\ta\n-0.5\t\u2581\n").replace("1=3", "1=4"),
                    encoding="utf-8")
    info = json.loads(invoke("info", path, "--json").stdout)
    assert info["tokenization"] == {"level": "char", "recorded": False}


def test_a_file_listing_unk_keeps_its_counts(tmp_path):
    path = tmp_path / "b.arpa"
    path.write_text(BIGRAMS, encoding="utf-8")
    info = json.loads(invoke("info", path, "--json").stdout)
    assert info["ngram_counts"] == [4, 1] and info["vocab_size"] == 4
    assert "unk" not in info
    assert info["tokenization"] == {"level": "whitespace", "recorded": False}
