"""Commands that read a user's text hold a piece of it at a time, not all of it:
`tokenize encode` from stdin writes the ids piece by piece (the same output as encoding the
whole text), and `classify predict FOLDER` reads a batch of files at a time."""

from __future__ import annotations

import io
import json
import sys

import pytest
from inprocess import invoke

TEXT = ("Naïve café — don't stop\r\nsecond line\rstill second\n\n"
        + "a long line of many words " * 40 + "\n日本語 😀 done")  # no final newline


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tokenizers")
    corpus = folder / "corpus.txt"
    corpus.write_text(TEXT * 3, encoding="utf-8")
    paths = {}
    for level in ("char", "word", "bpe"):
        paths[level] = folder / f"{level}.json"
        done = invoke("tokenize", "train", corpus, "--level", level, "--out", paths[level],
                      *(["--vocab-size", "300"] if level == "bpe" else []))
        assert done.returncode == 0, done.stderr
    return paths


@pytest.mark.parametrize("level", ["char", "word", "bpe"])
@pytest.mark.parametrize("as_json", [False, True])
def test_encode_from_stdin_streams_the_same_ids_as_the_whole_text(tokenizers, monkeypatch,
                                                                  level, as_json):
    from seqlab.nlp import corpora

    blocks = []
    stream = corpora.stream_token_ids

    def small_pieces(*args, **options):  # 32-byte chunks: many pieces, cut at every border
        for block in stream(*args, **{**options, "chunk_bytes": 32}):
            blocks.append(block.size)
            yield block

    flags = ["--json"] if as_json else []
    whole = invoke("tokenize", "encode", tokenizers[level], TEXT, *flags)
    assert whole.returncode == 0, whole.stderr
    monkeypatch.setattr(corpora, "stream_token_ids", small_pieces)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode("utf-8"))))
    streamed = invoke("tokenize", "encode", tokenizers[level], "-", *flags)
    assert streamed.returncode == 0, streamed.stderr
    assert len(blocks) > 10  # it really came piece by piece
    assert streamed.stdout == whole.stdout
    if as_json:
        assert len(json.loads(streamed.stdout)["ids"]) == sum(blocks)


def test_encode_of_an_empty_stdin_is_no_ids(tokenizers, monkeypatch):
    for flags, expected in (([], "\n"), (["--json"], '{"ids": []}\n')):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
        done = invoke("tokenize", "encode", tokenizers["char"], *flags)
        assert done.returncode == 0 and done.stdout == expected


def test_encode_of_stdin_that_is_not_utf8_is_one_line(tokenizers, monkeypatch):
    from inprocess import assert_one_line_failure

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"ok\n\xff\xfe bad\n")))
    done = invoke("tokenize", "encode", tokenizers["char"], "-")
    assert_one_line_failure(done, "utf-8")


def test_predict_on_a_folder_reads_a_batch_of_files_at_a_time(tmp_path, monkeypatch):
    from seqlab.cli import classify_models

    data = tmp_path / "data.csv"
    data.write_text("label,text\n" + "".join(
        f"{'pos' if i % 2 else 'neg'},{'good fine' if i % 2 else 'bad dull'} film {i}\n"
        for i in range(24)))
    model = tmp_path / "clf.safetensors"
    done = invoke("classify", "train", data, "--steps", "2", "--hidden", "8",
                  "--embedding-dim", "6", "--out", model, "--quiet")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "inbox"
    folder.mkdir()
    for i in range(7):
        (folder / f"{i}.txt").write_text("good film\n" if i % 3 else "bad dull film")
    (folder / "blank.txt").write_text("  \n")
    whole = invoke("classify", "predict", model, folder, "--probabilities", "--json")
    assert whole.returncode == 0, whole.stderr
    sizes = []
    probabilities = classify_models.class_probabilities

    def recorded(loaded, texts):
        sizes.append(len(texts))
        return probabilities(loaded, texts)

    monkeypatch.setattr(classify_models, "PREDICT_BATCH", 3)
    monkeypatch.setattr(classify_models, "class_probabilities", recorded)
    batched = invoke("classify", "predict", model, folder, "--probabilities", "--json")
    assert batched.returncode == 0, batched.stderr
    assert sizes == [3, 3, 1]  # the blank file is skipped, as before
    first, second = (json.loads(d.stdout)["predictions"] for d in (whole, batched))
    assert [p["input"] for p in first] == [p["input"] for p in second]
    for a, b in zip(first, second, strict=True):
        assert a["label"] == b["label"]
        assert a["probabilities"] == pytest.approx(b["probabilities"], abs=1e-6)


@pytest.mark.parametrize("as_json", [False, True])
def test_encode_stopped_by_a_bad_byte_ends_its_output(tokenizers, monkeypatch, as_json):
    """A decode error after the first piece: --json still gives one JSON object (the ids so
    far and an "error"), plain output ends its line; one line on stderr, exit 1."""
    import functools

    from inprocess import assert_one_line_failure

    from seqlab.nlp import corpora

    monkeypatch.setattr(corpora, "stream_token_ids",
                        functools.partial(corpora.stream_token_ids, chunk_bytes=32))
    good = "many good words here\n" * 50
    monkeypatch.setattr(sys, "stdin",
                        io.TextIOWrapper(io.BytesIO(good.encode() + b"bad \xff byte\n")))
    done = invoke("tokenize", "encode", tokenizers["char"], "-",
                  *(["--json"] if as_json else []))
    assert_one_line_failure(done, "utf-8")
    assert done.stdout.endswith("\n")
    if as_json:
        result = json.loads(done.stdout)
        assert len(result["ids"]) > len(good) // 2 and "utf-8" in result["error"].lower()
    else:
        assert len(done.stdout.split()) > len(good) // 2
