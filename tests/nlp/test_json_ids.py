"""`seqlab.nlp.tokenizers.json_ids`: `tokenize encode --json`'s object read a chunk at a time
gives json.loads's ids, and what is not such an object is an `IdsJsonError` (a ValueError)."""

from __future__ import annotations

import io
import json

import pytest

from seqlab.nlp.tokenizers.json_ids import IdsJsonError, json_id_words


def _words(text: str, chunk: int) -> list[str]:
    stream = io.StringIO(text)
    words: list[str] = []
    for piece in json_id_words(stream.read(chunk), stream.read, chunk):
        words.extend(word.strip() for word in piece)
    return words


@pytest.mark.parametrize("chunk", [1, 3, 7, 4096])
def test_ids_of_an_encoding_read_in_chunks_are_json_loads_ids(chunk):
    ids = list(range(0, 3000, 7))
    text = json.dumps({"tokens": 429, "ids": ids, "note": "a, [1, 2]"}, indent=1)
    assert _words(text, chunk) == [str(i) for i in ids]


@pytest.mark.parametrize(("text", "message"), [
    ('{"ids": [1, 2', "is not JSON (Expecting"),
    ('{"text": "no ids"}', 'has no "ids" list'),
    ('{"ids": [1], "ids": [2]}', 'two "ids" lists'),
    ('{"ids": [1], "error": "stopped"}', "stopped with an error: stopped"),
    ('{"ids": [1]} 7', "Extra data"),
])
def test_what_is_not_an_encodings_object_is_a_value_error(text, message):
    with pytest.raises(IdsJsonError, match=message.replace("[", r"\[").replace("(", r"\(")):
        _words(text, 2)
    assert issubclass(IdsJsonError, ValueError)
