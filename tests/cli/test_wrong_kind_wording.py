"""One message for one mistake (qaA s22, item 11): an ARPA file or a tokenizer JSON given
where a neural checkpoint is needed said "is not a valid safetensors file: it starts with text"
in forecast eval, classify eval, seq2seq translate and train --resume, but "is an ARPA n-gram
model, not a neural model checkpoint; ..." in classify predict, inspect and gradients. Every
command that reads a checkpoint now names the file's kind and what reads it."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot

ARPA_TEXT = "\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\t<unk>\n-0.5\t<s>\n-0.5\t</s>\n\n\\end\\\n"

COMMANDS = [
    ("forecast", "eval", "{model}"),
    ("forecast", "predict", "{model}"),
    ("classify", "eval", "{model}", "{data}"),
    ("classify", "predict", "{model}", "good film"),
    ("seq2seq", "translate", "{model}", "abc"),
    ("seq2seq", "eval", "{model}"),
    ("train", "--resume", "{model}", "--steps", "1"),
    ("train", "{data}", "--init-from", "{model}", "--steps", "1", "--out", "{out}"),
]


@pytest.fixture
def files(tmp_path, bpe):
    arpa = tmp_path / "lm.arpa"
    arpa.write_text(ARPA_TEXT)
    data = tmp_path / "data.csv"
    data.write_text("text,label\ngood film,pos\nbad film,neg\n")
    return {"arpa": arpa, "tokenizer": bpe, "data": data, "out": tmp_path / "m.safetensors"}


@pytest.mark.parametrize("kind, words", [
    ("arpa", ("is an ARPA n-gram model", "ngram eval")),
    ("tokenizer", ("is a seqlab tokenizer", "tokenize encode")),
])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_wrong_kind_of_file_is_named(command, kind, words, files, tmp_path):
    values = {"model": files[kind], "data": files["data"], "out": files["out"]}
    before = snapshot(tmp_path)
    done = invoke(*(part.format(**values) for part in command))
    assert_one_line_failure(done, str(files[kind]), *words)
    assert "safetensors file" not in done.stderr
    assert snapshot(tmp_path) == before
