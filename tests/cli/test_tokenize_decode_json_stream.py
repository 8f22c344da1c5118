"""`tokenize decode` reads `tokenize encode --json`'s object (`{"ids": [...]}`) a bounded
piece at a time, as it reads plain ids, and `--json` writes its `{"text": ...}` object piece
by piece: the same bytes as decoding the whole, in bounded memory (stop 20, leftover 3)."""

from __future__ import annotations

import io
import json
import sys

import pytest
from inprocess import assert_one_line_failure, invoke

TEXT = "one ✓ two\r\nthree € 日本 \"quoted\" \\ back\n" * 30  # byte ids, JSON escapes


class _PieceStdin(io.StringIO):
    """Stdin that refuses to be read whole."""

    def read(self, size: int | None = -1) -> str:
        assert size is not None and size > 0, "decode read all of stdin at once"
        return super().read(size)


@pytest.fixture(scope="module")
def ids(bpe, tmp_path_factory):
    source = tmp_path_factory.mktemp("text") / "text.txt"
    source.write_bytes(TEXT.encode())
    encoded = invoke("tokenize", "encode", bpe, source)
    assert encoded.returncode == 0, encoded.stderr
    return [int(word) for word in encoded.stdout.split()]


def _decode(bpe, monkeypatch, stdin_text, *options, chunk=7):
    monkeypatch.setattr("seqlab.cli.commands.tokenize.STDIN_CHUNK_CHARS", chunk)
    monkeypatch.setattr(sys, "stdin", _PieceStdin(stdin_text))
    return invoke("tokenize", "decode", bpe, *options)


@pytest.mark.parametrize("chunk", [1, 2, 7, 64])
def test_encode_json_is_decoded_piece_by_piece(bpe, ids, monkeypatch, chunk):
    done = _decode(bpe, monkeypatch, json.dumps({"ids": ids}) + "\n", chunk=chunk)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TEXT


@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_json_output_is_written_piece_by_piece_with_the_same_bytes(bpe, ids, monkeypatch,
                                                                   chunk):
    for stdin_text in (" ".join(map(str, ids)), json.dumps({"ids": ids})):
        done = _decode(bpe, monkeypatch, stdin_text, "--json", chunk=chunk)
        assert done.returncode == 0, done.stderr
        assert done.stdout == json.dumps({"text": TEXT}) + "\n"


def test_empty_ids_give_an_empty_text_object(bpe, monkeypatch):
    assert _decode(bpe, monkeypatch, '{"ids": []}', "--json").stdout == '{"text": ""}\n'
    assert _decode(bpe, monkeypatch, '{"ids": []}').stdout == ""


@pytest.mark.parametrize("layout", [
    '{{"ids":[{}]}}', '{{ "ids" :\n [ {} ] \n}}\n', '{{"other": {{"a": [1, 2]}}, "ids": [{}]}}',
    '{{"ids": [{}], "other": "x"}}'])
def test_any_json_layout_of_the_object_reads_the_same(bpe, ids, monkeypatch, layout):
    items = ",\n  ".join(f'"{i}"' if n % 3 == 0 else str(i) for n, i in enumerate(ids))
    done = _decode(bpe, monkeypatch, layout.format(items), chunk=5)
    assert done.returncode == 0, done.stderr
    assert done.stdout == TEXT


def test_a_bad_element_is_numbered_across_pieces(bpe, monkeypatch):
    done = _decode(bpe, monkeypatch, '{"ids": [5, 6, 7, 8, 1.5, 10]}', chunk=3)
    assert_one_line_failure(done, "word 5 on stdin", "'1.5'")


@pytest.mark.parametrize(("number", "chunk"), [("1e2", 2), ("1E+2", 3), ("100.00", 64),
                                               ("-0.0", 1)])
def test_a_number_element_is_quoted_as_written(bpe, monkeypatch, number, chunk):
    """QA s20 Q2 #8: the word is quoted as the user wrote it, not as Python reprints it."""
    done = _decode(bpe, monkeypatch, '{"ids": [86, 81, ' + number + ', 7]}', chunk=chunk)
    assert_one_line_failure(done, "word 3 on stdin", f"'{number}'")


@pytest.mark.parametrize(("stdin_text", "words"), [
    ('{"ids": [5 6]}', ["not JSON", "line 1"]),
    ('{"ids": [5, 6]} {"ids": [7]}', ["not JSON", "extra data"]),
    ('{"ids": [5,\n6,\n]}', ["not JSON", "line 3"]),
    ('{"ids": [5, 6]', ["not JSON"]),
    ('{"text": "one"}', ["ids", "tokenize encode"]),
    ('{"ids": "5 6"}', ["ids", "tokenize encode"]),
    ('{"ids": [' + "1" * 5000 + ']}', ["not a token id"]),
])
def test_malformed_json_is_one_line(bpe, monkeypatch, stdin_text, words):
    done = _decode(bpe, monkeypatch, stdin_text, chunk=4)
    assert_one_line_failure(done, *words)


def test_an_error_before_the_ids_refuses_before_any_text(bpe, monkeypatch):
    done = _decode(bpe, monkeypatch, '{"error": "bad byte at offset 9", "ids": [72, 73]}')
    assert_one_line_failure(done, "stopped with an error", "bad byte at offset 9")
    assert done.stdout == ""


def test_an_encoding_that_stopped_gives_its_text_then_the_error(bpe, ids, monkeypatch):
    # encode --json writes "error" after the ids it wrote: the text of those comes first,
    # then the refusal (as plain ids streamed: nothing is held to be taken back)
    stopped = json.dumps({"ids": ids, "error": "bad byte at offset 9"})
    done = _decode(bpe, monkeypatch, stopped, chunk=64)
    assert_one_line_failure(done, "stopped with an error", "bad byte at offset 9")
    assert done.stdout == TEXT
    as_json = _decode(bpe, monkeypatch, stopped, "--json", chunk=64)
    assert as_json.returncode != 0
    # stdout stays one JSON object, saying why it stopped (as encode --json's)
    written = json.loads(as_json.stdout)
    assert written["text"] == TEXT and "bad byte at offset 9" in written["error"]
