"""A reader that goes away (`seqlab ... | head`) ends the command quietly with exit 0, as `cat`
and `head` users expect and `set -o pipefail` scripts need: for streamed results, a result
written at once, and help text that the CLI framework writes itself (QA stop 18, finding 8).
Subprocesses: the pipe must be a real one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cli_helpers import TINY, seqlab_env
from inprocess import invoke


def closed_at_once(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`seqlab ARGS` with stdout a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "seqlab.cli", *args], input=stdin,
                              stdout=write_end, stderr=subprocess.PIPE, text=True,
                              env=seqlab_env(), timeout=300)
    finally:
        os.close(write_end)


def stderr_closed(*args: str) -> subprocess.CompletedProcess:
    """`seqlab ARGS` with stderr a pipe whose reader has already gone (`2>&- `-like)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "seqlab.cli", *args],
                              stdout=subprocess.PIPE, stderr=write_end, text=True,
                              env=seqlab_env(), timeout=300)
    finally:
        os.close(write_end)


def closed_after(size: int, *args: str) -> tuple[int, str, bytes]:
    """`seqlab ARGS | head -c SIZE`: the reader takes `size` bytes, then goes."""
    process = subprocess.Popen([sys.executable, "-m", "seqlab.cli", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=seqlab_env())
    head = process.stdout.read(size)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    return process.wait(timeout=300), stderr, head


@pytest.fixture(scope="module")
def char_tokenizer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipe")
    text = folder / "big.txt"
    text.write_text("the quick brown fox jumps over the lazy dog\n" * 20_000)  # 880 kB
    out = folder / "char.json"
    assert invoke("tokenize", "train", text, "--level", "char", "--out", out).returncode == 0
    return out, text


def test_generate_under_head(trained_model):
    code, stderr, head = closed_after(10, "generate", str(trained_model), "--length", "100000")
    assert (code, stderr) == (0, "") and len(head) == 10


def test_streamed_encode_under_head(char_tokenizer):
    tokenizer, text = char_tokenizer
    code, stderr, head = closed_after(10, "tokenize", "encode", str(tokenizer), str(text))
    assert (code, stderr) == (0, "") and len(head) == 10


def test_help_to_a_closed_pipe():
    done = closed_at_once("tokenize", "encode", "--help")  # printed by Typer's own console
    assert (done.returncode, done.stderr) == (0, "")


def test_a_result_written_at_once_to_a_closed_pipe(char_tokenizer):
    tokenizer, _ = char_tokenizer
    done = closed_at_once("tokenize", "decode", str(tokenizer), "-", stdin="5 6 7 " * 50_000)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_closed_stderr_does_not_end_training(corpus_file, tmp_path):
    """Review 4, finding 1: progress lines hit the closed stderr first; training must go on,
    save its model and say so on stdout, with exit 0 (it used to stop at once with exit 0
    and no model)."""
    out = tmp_path / "m.safetensors"
    loud = [option for option in TINY if option != "--quiet"]
    done = stderr_closed("train", str(corpus_file), "--steps", "12", "--out", str(out), *loud)
    assert done.returncode == 0
    assert out.exists() and "Saved" in done.stdout


def test_a_closed_stderr_keeps_the_exit_code_of_bad_input(tmp_path):
    done = stderr_closed("train", str(tmp_path / "missing.txt"), "--out",
                         str(tmp_path / "m.safetensors"))
    assert done.returncode == 1
