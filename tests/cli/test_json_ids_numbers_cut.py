"""`json_id_words` reads a JSON object a chunk at a time: a number beside "ids" (a score, an
exponent) cut by a chunk boundary is read whole, not refused at its "." or "e" (stop 20,
review defect 3)."""

from __future__ import annotations

import io
import json

import pytest

from seqlab.cli.json_ids import json_id_words

OBJECTS = [
    '{"score": 0.5, "ids": [3, 1, 4]}',
    '{"ids": [3, 1], "loss": 12.25, "scale": 1e-3}',
    '{"t": -2.5E+10, "ids": [7], "n": 10e2, "m": 0.000125}',
    '{"a": [1.5, 2e1, -0.0], "ids": [0, 12, 345], "b": {"c": 6.02e23}}',
]


def _words(text: str, chunk: int) -> list[str]:
    stream = io.StringIO(text)
    words: list[str] = []
    for piece in json_id_words(stream.read(chunk), stream.read, chunk):
        words.extend(piece)
    return words


@pytest.mark.parametrize("text", OBJECTS)
@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 4096])
def test_numbers_cut_at_any_chunk_boundary_are_read_whole(text, chunk):
    expected = [str(number) for number in json.loads(text)["ids"]]
    assert [word.strip() for word in _words(text, chunk)] == expected


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5])
def test_numbers_inside_ids_cut_anywhere_give_the_words_of_a_whole_read(chunk):
    text = '{"ids": [1e2, 12.5, 5, 0.25E-1], "x": 0.5}'
    def stripped(size: int) -> list[str]:
        return [word.strip() for word in _words(text, size)]

    assert stripped(chunk) == stripped(4096) == ["1e2", "12.5", "5", "0.25E-1"]  # as written
