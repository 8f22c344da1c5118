"""One name per meaning across commands (QA stop 19, finding 6): `--threads` on every command
that computes with a model, `word2vec train --threads` as every trainer, `forecast predict
--horizon`, `seq2seq --max-length` as classify's; the old spellings still work, unlisted."""

from __future__ import annotations

import re

import pytest
from inprocess import assert_one_line_failure, invoke

INFERENCE = [["generate"], ["eval"], ["inspect"], ["classify", "predict"], ["classify", "eval"],
             ["forecast", "predict"], ["forecast", "eval"], ["seq2seq", "translate"],
             ["seq2seq", "eval"]]


def _options(command: list[str]) -> set[str]:
    done = invoke(*command, "--help")
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"--[a-z][a-z0-9-]*", done.stdout))


@pytest.mark.parametrize("command", INFERENCE, ids=" ".join)
def test_inference_commands_take_threads(command):
    assert "--threads" in _options(command)


@pytest.mark.parametrize("command, new, old", [
    (["word2vec", "train"], "--threads", "--workers"),
    (["forecast", "predict"], "--horizon", "--steps"),
    (["seq2seq", "translate"], "--max-length", "--max-len"),
    (["seq2seq", "eval"], "--max-length", "--max-len"),
    (["seq2seq", "train"], "--max-length", "--max-len"),
])
def test_new_spelling_is_documented_and_the_old_one_hidden(command, new, old):
    options = _options(command)
    assert new in options and old not in options


@pytest.fixture
def two_threads():
    """seqlab computing on 2 threads during the test (not 1, the count `--threads 1` sets and
    the default under OMP_NUM_THREADS=1 or on one core), put back afterwards."""
    from seqlab import autograd

    outside = autograd.get_num_threads()
    autograd.set_num_threads(2)
    yield
    autograd.set_num_threads(outside)


def test_threads_holds_for_its_command_only(trained_model, corpus_file, monkeypatch,
                                            two_threads):
    """`--threads` sets seqlab's thread count for the command it is given to, and the count
    is put back when the command ends (review3 item 4: a later command run in the same
    process computed on the first one's threads)."""
    from seqlab import autograd

    before, seen = autograd.get_num_threads(), []
    assert before == 2
    setting = autograd.set_num_threads
    monkeypatch.setattr(autograd, "set_num_threads",
                        lambda n: (seen.append(n), setting(n))[1])
    done = invoke("generate", trained_model, "--length", "3", "--threads", "1", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert seen[0] == 1 and autograd.get_num_threads() == before
    done = invoke("eval", trained_model, corpus_file, "--json")
    assert done.returncode == 0, done.stderr
    assert autograd.get_num_threads() == before
    bad = corpus_file.with_name("not_utf8.txt")
    bad.write_bytes(b"abc \xff\xfe def\n")  # not UTF-8: refused after --threads is set
    seen.clear()
    refused = invoke("eval", trained_model, bad, "--threads", "1")  # an error ends it
    assert refused.returncode == 1 and seen[0] == 1
    assert autograd.get_num_threads() == before



@pytest.fixture(scope="module")
def sentences(tmp_path_factory):
    path = tmp_path_factory.mktemp("w2v") / "s.txt"
    path.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 30)
    return path


def _vectors(sentences, folder, *threads: str) -> bytes:
    out = folder / f"v{'_'.join(threads)}.txt"
    done = invoke("word2vec", "train", sentences, "--dim", "4", "--epochs", "1",
                  "--min-count", "1", *threads, "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def test_word2vec_threads_and_its_old_spelling_train_the_same(sentences, tmp_path):
    assert _vectors(sentences, tmp_path, "--threads", "1") == \
        _vectors(sentences, tmp_path, "--workers", "1")


def test_word2vec_threads_against_workers_is_refused(sentences, tmp_path):
    done = invoke("word2vec", "train", sentences, "--threads", "2", "--workers", "1",
                  "--out", tmp_path / "v.txt")
    assert_one_line_failure(done, "--workers", "--threads", code=2)
    assert not (tmp_path / "v.txt").exists()
