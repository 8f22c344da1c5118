"""QA round 23, finding 5: a Hugging Face tokenizer.json given wherever seqlab reads a
tokenizer (`tokenize encode/decode/export`, `train --tokenizer`, `info`) gets the one line
`info` gives, naming it (not 'expected a JSON object with "type" ...'): export is one-way."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke
from test_info_kinds import HF_WORD_LEVEL  # as tokenizers 0.22's Tokenizer.save writes it


@pytest.fixture
def hf_json(tmp_path):
    path = tmp_path / "hf.json"
    path.write_text(HF_WORD_LEVEL)
    (tmp_path / "text.txt").write_text("a b a c\n" * 20)
    return path


def test_every_reader_of_a_tokenizer_names_a_hugging_face_file(hf_json, tmp_path):
    line = f"{hf_json} is a Hugging Face tokenizer.json; seqlab reads a seqlab tokenizer JSON"
    for args in (("info", hf_json),
                 ("tokenize", "encode", hf_json, "--text", "hi"),
                 ("tokenize", "decode", hf_json, "1", "2"),
                 ("tokenize", "export", hf_json, "--out", tmp_path / "out.json"),
                 ("train", tmp_path / "text.txt", "--tokenizer", hf_json, "--steps", "1",
                  "--out", tmp_path / "m.safetensors")):
        done = invoke(*args)
        assert_one_line_failure(done, line, "export to Hugging Face is one-way", code=1)
    assert not (tmp_path / "m.safetensors").exists()
    assert not (tmp_path / "out.json").exists()
