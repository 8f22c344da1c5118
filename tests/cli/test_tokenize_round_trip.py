"""`tokenize encode | tokenize decode` gives the text back byte for byte, as HF tokenizers'
`decode(encode(x)) == x` (QA stop 19, finding 5): decode adds no newline of its own, and it
reads encode's `--json` output as well as its plain ids."""

from __future__ import annotations

import io
import json
import sys

import pytest
from inprocess import assert_one_line_failure, invoke

TEXTS = {"newline_at_end": "one\ntwo\n", "no_newline_at_end": "one\ntwo",
         "blank_lines": "\n\none\n\n"}


def _decode_stdin(bpe, monkeypatch, ids_text: str, *options: str):
    monkeypatch.setattr(sys, "stdin", io.StringIO(ids_text))
    return invoke("tokenize", "decode", bpe, *options)


@pytest.mark.parametrize("as_json", [False, True], ids=["plain", "json"])
@pytest.mark.parametrize("name", list(TEXTS))
def test_encode_then_decode_is_the_same_text(bpe, tmp_path, monkeypatch, name, as_json):
    source = tmp_path / "text.txt"
    source.write_bytes(TEXTS[name].encode())
    encoded = invoke("tokenize", "encode", bpe, source, *(["--json"] if as_json else []))
    assert encoded.returncode == 0, encoded.stderr
    decoded = _decode_stdin(bpe, monkeypatch, encoded.stdout)
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout == TEXTS[name]


def test_decode_json_keeps_one_object_per_line(bpe, monkeypatch):
    encoded = invoke("tokenize", "encode", bpe, "one two", "--json")
    decoded = _decode_stdin(bpe, monkeypatch, encoded.stdout, "--json")
    assert decoded.stdout.endswith("}\n") and json.loads(decoded.stdout) == {"text": "one two"}


def test_encode_json_that_stopped_with_an_error_is_refused(bpe, monkeypatch):
    # streamed since stop 20: the text of the ids before "error" is out before it is seen
    # (test_tokenize_decode_json_stream.py); id 1 is <unk>, shown as U+FFFD
    stopped = '{"ids": [1, 2], "error": "bad byte at offset 9"}\n'
    done = _decode_stdin(bpe, monkeypatch, stopped)
    assert_one_line_failure(done, "bad byte at offset 9")
    assert done.stdout == "\ufffd"


def test_json_without_ids_is_refused(bpe, monkeypatch):
    done = _decode_stdin(bpe, monkeypatch, '{"text": "one"}')
    assert_one_line_failure(done, "ids", "tokenize encode")


class _PieceStdin(io.StringIO):
    """Stdin that refuses to be read whole: decode must take plain ids a piece at a time."""

    def read(self, size: int | None = -1) -> str:
        assert size is not None and size > 0, "decode read all of stdin at once"
        return super().read(size)


def test_plain_ids_are_decoded_piece_by_piece(bpe, tmp_path, monkeypatch):
    text = "one ✓ two\r\nthree € 日本\n" * 50  # characters unseen in training: byte ids
    source = tmp_path / "text.txt"
    source.write_bytes(text.encode())
    encoded = invoke("tokenize", "encode", bpe, source)
    monkeypatch.setattr("seqlab.cli.commands.tokenize.STDIN_CHUNK_CHARS", 7)
    monkeypatch.setattr(sys, "stdin", _PieceStdin(encoded.stdout))
    decoded = invoke("tokenize", "decode", bpe)
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout == text


def test_a_bad_word_on_stdin_is_numbered_across_pieces(bpe, monkeypatch):
    monkeypatch.setattr("seqlab.cli.commands.tokenize.STDIN_CHUNK_CHARS", 3)
    monkeypatch.setattr(sys, "stdin", _PieceStdin("5 6 7 8 nine 10"))
    done = invoke("tokenize", "decode", bpe)
    assert_one_line_failure(done, "word 5 on stdin", "'nine'")


@pytest.mark.parametrize(("level", "expected"), [("char", "the cat\ufffd\nsat\n"),
                                                  ("word", "the cat sat")])
def test_char_and_word_round_trips_are_not_exact_as_the_help_says(tmp_path, monkeypatch,
                                                                  level, expected):
    (tmp_path / "corpus.txt").write_text("the cat sat\n")
    tokenizer = tmp_path / f"{level}.json"
    assert invoke("tokenize", "train", tmp_path / "corpus.txt", "--level", level,
                  "--out", tokenizer).returncode == 0
    source = tmp_path / "crlf.txt"
    source.write_bytes(b"the cat\r\nsat\n")
    encoded = invoke("tokenize", "encode", tokenizer, source)
    assert _decode_stdin(tokenizer, monkeypatch, encoded.stdout).stdout == expected
    shown = " ".join(invoke("tokenize", "decode", "--help").stdout.split())
    assert "With a bpe tokenizer" in shown and "byte for byte" in shown
    assert f"a {level} tokenizer gives" in shown


def test_a_word_longer_than_a_piece_is_refused_as_it_comes(bpe, monkeypatch):
    monkeypatch.setattr("seqlab.cli.commands.tokenize.STDIN_CHUNK_CHARS", 4)
    monkeypatch.setattr(sys, "stdin", _PieceStdin("5 " + "x" * 50))
    done = invoke("tokenize", "decode", bpe)
    assert_one_line_failure(done, "word 2 on stdin", "not a token id")
