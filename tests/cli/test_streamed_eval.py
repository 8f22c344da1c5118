"""`seqlab eval` streams its FILES into memory-mapped ids: the same ids, loss and counts as
encoding the whole text, on text with long lines, CRLF, blank lines, no final newline and
multi-byte characters cut by chunk borders; stdin gives the same result as the file."""

from __future__ import annotations

import functools
import io
import json
import sys

import numpy as np
import pytest

from tests.cli.inprocess import invoke

LEVELS = {"char": [], "word": ["--vocab-size", "40"], "bpe": ["--vocab-size", "300"]}


def tricky_text() -> str:
    rng = np.random.default_rng(3)
    words = ["the", "cat", "naïve", "café", "日本語", "señor", "🙂ok", "x", "don't", "a,b"]
    lines = []
    for number in range(60):
        count = 400 if number % 17 == 0 else int(rng.integers(0, 12))  # some long lines
        line = " ".join(words[i] for i in rng.integers(0, len(words), count))
        ending = "\r\n" if number % 3 == 0 else "\n"
        lines.append(line + ("  " if number % 5 == 0 else "") + ending)
    return "".join(lines) + "\n\n  \n" + "last line without a newline é"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval")
    path = folder / "tricky.txt"
    path.write_bytes(tricky_text().encode("utf-8"))
    return path


@pytest.fixture(scope="module", params=sorted(LEVELS))
def model(request, corpus):
    path = corpus.parent / f"{request.param}.safetensors"
    done = invoke("train", corpus, "--level", request.param, *LEVELS[request.param],
                  "--steps", "2", "--hidden", "8", "--layers", "1", "--seq-len", "8",
                  "--batch-size", "4", "--val-fraction", "0", "--out", path, "--quiet")
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def small_chunks(monkeypatch):
    """Cut the corpus into 7-byte chunks, so characters and lines straddle chunk borders."""
    from seqlab.nlp import corpora

    monkeypatch.setattr(corpora, "iter_pieces",
                        functools.partial(corpora.streaming.iter_pieces, chunk_bytes=7))


def whole_text_result(model_path, text: str) -> dict:
    """What `seqlab eval` computes from the whole text encoded at once (one stream, 128 tokens
    a call: test_eval_every_token checks that against one float64 pass)."""
    import math

    from seqlab.cli import lm_text
    from seqlab.cli.models import load_any
    from seqlab.seqmodels import TokenStreams, Trainer

    _, loaded = load_any(model_path)
    tokens = lm_text.encode_corpus(loaded.tokenizer, text)
    data = TokenStreams(tokens, 1, 128)
    metrics = Trainer(loaded.model, None, data, max_steps=1).evaluate(data)
    # at char level the predicted characters are the predicted tokens (the first is not)
    characters = (metrics["tokens"] if loaded.tokenizer.to_dict().get("type") == "char"
                  else len(text))
    return {"loss": metrics["loss"], "tokens": metrics["tokens"],
            # of the tokens scored: every one after the first
            "unknown_fraction": float(np.mean(tokens[1:] == loaded.tokenizer.unk_id)),
            "bits_per_char": metrics["loss"] * metrics["tokens"] / math.log(2) / characters}


def test_streamed_ids_equal_the_whole_text_ids(model, corpus, small_chunks, tmp_path):
    from seqlab.cli import lm_text
    from seqlab.cli.inputs import CorpusPieces
    from seqlab.cli.models import load_any

    _, loaded = load_any(model)
    text = corpus.read_bytes().decode("utf-8")
    pieces = list(CorpusPieces([corpus]))
    assert len(pieces) > 50 and "".join(pieces) == text
    streamed = lm_text.stream_corpus_ids(pieces, loaded.tokenizer, tmp_path / "ids")
    whole = lm_text.encode_corpus(loaded.tokenizer, text)
    assert isinstance(streamed.ids, np.memmap) and streamed.ids.dtype.itemsize <= 2
    np.testing.assert_array_equal(streamed.ids, whole)
    assert streamed.characters == len(text)
    assert streamed.unknown == int(np.count_nonzero(whole == loaded.tokenizer.unk_id))


def test_eval_of_a_file_equals_the_whole_text_eval(model, corpus, small_chunks):
    done = invoke("eval", model, corpus, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    expected = whole_text_result(model, corpus.read_bytes().decode("utf-8"))
    for key, value in expected.items():
        assert result[key] == value, key
    assert not list(corpus.parent.glob(".*eval-*")), "the scratch folder was left behind"


def test_eval_of_stdin_equals_the_file(model, corpus, monkeypatch):
    from_file = json.loads(invoke("eval", model, corpus, "--json").stdout)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(corpus.read_bytes())))
    done = invoke("eval", model, "-", "--json")
    assert done.returncode == 0, done.stderr
    from_stdin = json.loads(done.stdout)
    assert from_stdin.pop("source") == "-" and from_file.pop("source") == str(corpus)
    assert from_stdin == from_file


def test_eval_of_blank_text_is_one_clear_line(model, tmp_path):
    from tests.cli.inprocess import assert_one_line_failure

    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n\r\n")
    if json.loads(invoke("info", model, "--json").stdout)["tokenizer"] == "char":
        # at char level spaces and newlines are tokens: blank text is text (cliqa 17 item 8)
        scored = invoke("eval", model, blank, "--json")
        assert scored.returncode == 0 and json.loads(scored.stdout)["tokens"] >= 4
        blank.write_text("")
    wording = "no tokens" if blank.read_text() else "empty"  # blank lines are not "empty"
    assert_one_line_failure(invoke("eval", model, blank), wording, str(blank))
