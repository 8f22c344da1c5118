"""Each bad input: one clear line on stderr, a non-zero exit, no traceback, no file changed."""

from __future__ import annotations

import pytest
from cli_helpers import run


def assert_clean_failure(done, *words, code=None):
    assert done.returncode != 0
    if code is not None:
        assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines, "no error message"
    message = done.stderr.lower()
    for word in words:
        assert word.lower() in message, done.stderr


def test_missing_path(tmp_path):
    assert_clean_failure(run("train", str(tmp_path / "nope.txt"), "--steps", "1",
                             "--out", str(tmp_path / "m.safetensors")), "not found", code=1)


def test_empty_corpus(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    assert_clean_failure(run("train", str(empty), "--out", str(tmp_path / "m.safetensors")),
                         "empty", code=1)


def test_binary_and_non_utf8_files(tmp_path):
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02 hello")
    assert_clean_failure(run("train", str(binary), "--out", str(tmp_path / "m.safetensors")),
                         "binary", code=1)
    latin = tmp_path / "l.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1") * 50)
    assert_clean_failure(run("train", str(latin), "--out", str(tmp_path / "m.safetensors")),
                         "byte offset", code=1)


def test_corpus_shorter_than_one_batch(tmp_path):
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("hi\n")
    assert_clean_failure(run("train", str(tiny), "--out", str(tmp_path / "m.safetensors")),
                         "batch", code=1)


def test_model_file_that_is_not_a_checkpoint_or_is_truncated(tmp_path, trained_model):
    junk = tmp_path / "junk.safetensors"
    junk.write_text("this is not a model")
    assert_clean_failure(run("generate", str(junk), "--length", "5"), code=1)
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(trained_model.read_bytes()[:200])
    assert_clean_failure(run("generate", str(truncated), "--length", "5"), code=1)
    assert_clean_failure(run("eval", str(truncated)), code=1)


@pytest.mark.parametrize("args,word", [
    (["train", "--hidden", "0"], "--hidden"),
    (["train", "--dropout", "1.5"], "--dropout"),
    (["generate", "MODEL", "--top-p", "1.5"], "--top-p"),
    (["generate", "MODEL", "--temperature", "-1"], "--temperature"),
    (["generate", "MODEL", "--top-k", "0"], "--top-k"),
])
def test_values_out_of_range(args, word, trained_model, tmp_path):
    args = [str(trained_model) if a == "MODEL" else a for a in args]
    if args[0] == "train":
        args += ["--out", str(tmp_path / "m.safetensors")]
    assert_clean_failure(run(*args), word, code=2)


def test_output_in_missing_directory(tmp_path, corpus_file):
    assert_clean_failure(run("train", str(corpus_file), "--steps", "1",
                             "--out", str(tmp_path / "no" / "such" / "m.safetensors")),
                         "does not exist", code=1)


def test_unknown_option_is_a_usage_error():
    done = run("train", "--no-such-option")
    assert done.returncode == 2 and "Traceback" not in done.stderr
