"""Every `seqlab tokenize` --help example runs as written, and decode's example decodes ids that
encode printed (QA 21 A item 11: `decode bpe.json 72 101 108` printed `e��`: BPE ids are not
bytes); a model file given where a tokenizer goes is read as the tokenizer it stores (qa2
item 6)."""

from __future__ import annotations

import io
import re
import shlex
import sys

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot

BOOK = "Hello there, general Kenobi.\nHello there!\n" * 30
COMMANDS = ("train", "encode", "decode", "export")


def _examples() -> list[str]:
    """The example command lines of each tokenize command's --help, in COMMANDS order."""
    found = []
    for command in COMMANDS:
        done = invoke("tokenize", command, "--help")
        assert done.returncode == 0, done.stderr
        found += [line.strip().removeprefix("Example:").strip()
                  for line in done.stdout.splitlines()
                  if re.match(r"\s*(Example: )?seqlab tokenize", line)]
    return found


def _run_pipeline(line: str, monkeypatch) -> str:
    """`A | B | ...` of seqlab commands, each in process, stdout feeding the next's stdin."""
    feed = None
    for part in line.split(" | "):
        words = shlex.split(part)
        assert words[0] == "seqlab", line
        if feed is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(feed))
        done = invoke(*words[1:])
        assert done.returncode == 0, (line, done.stderr)
        feed = done.stdout
    return feed or ""


def test_every_tokenize_help_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book.txt").write_text(BOOK, encoding="utf-8")
    examples = _examples()
    assert len(examples) >= len(COMMANDS)
    outputs = {line: _run_pipeline(line, monkeypatch) for line in examples}
    decoded = [out for line, out in outputs.items() if "decode" in line]
    encoded_text = next(shlex.split(line)[4] for line in examples if " encode " in line
                        and "decode" in line)
    assert decoded == [encoded_text]  # the text that was encoded, not bytes read as ids
    assert (tmp_path / "tokenizer.json").is_file()


@pytest.fixture(scope="module")
def language_model(tmp_path_factory):
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    tokenizer = CharTokenizer.train(BOOK)
    model = LanguageModel(tokenizer.vocab_size, 4, 4, generator=0)
    return save_checkpoint(tmp_path_factory.mktemp("lm") / "m.safetensors", model,
                           tokenizer=tokenizer.to_dict())


def test_a_model_given_as_the_tokenizer_is_read_as_the_tokenizer_it_stores(language_model,
                                                                          tmp_path):
    """qa2 item 6 (replacing item 10's refusal): encode and decode use the model's tokenizer;
    export refuses a char tokenizer as it refuses the tokenizer file, and writes nothing."""
    from seqlab.nlp.tokenizers import CharTokenizer

    before = snapshot(language_model.parent)
    done = invoke("tokenize", "encode", language_model, "--text", "To be")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(i) for i in CharTokenizer.train(BOOK).encode("To be")]
    done = invoke("tokenize", "export", language_model, "--out", str(tmp_path / "t.json"))
    assert_one_line_failure(done, str(language_model), "cannot export")
    assert "codec" not in done.stderr and not (tmp_path / "t.json").exists()
    assert snapshot(language_model.parent) == before
