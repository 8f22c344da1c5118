"""When --out cannot be written (no permission, a name too long, a full disk) every writing
command says so in one line naming the user's --out (never a hidden temporary's name; a file
written beside it, NAME.cache or NAME.checkpoints, is named with it) with the remedy that fits:
another folder, a shorter name, some free space."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke, small_filesystem

from seqlab.cli.errors import SIDECAR_NAME_BYTES

WRITERS = {  # a command writing --out OUT from the corpus CORPUS
    "ngram-arpa": ["ngram", "train", "CORPUS", "--out", "OUT.arpa", "-q"],
    "ngram-npz": ["ngram", "train", "CORPUS", "--smoothing", "witten-bell", "--out", "OUT.npz",
                  "-q"],
    "tokenizer": ["tokenize", "train", "CORPUS", "--vocab-size", "300", "--out", "OUT.json"],
    "word2vec": ["word2vec", "train", "CORPUS", "--min-count", "1", "--epochs", "1", "--dim", "4",
                 "--out", "OUT.txt"],
    "train": ["train", "CORPUS", "--steps", "1", *TINY, "--out", "OUT.safetensors"],
}


def _args(name: str, corpus: Path, out: str) -> list[str]:
    return [str(corpus) if a == "CORPUS" else a.replace("OUT", out) for a in WRITERS[name]]


def _assert_names_out(done, out: str) -> None:
    line = done.stderr.strip()
    assert f"--out {out}" in line, line
    assert ".tmp" not in line and "ids-" not in line, line
    # a file seqlab writes beside --out is named itself, with --out (qaA s22 finding 6)
    assert ".cache" not in line or f"{out}.cache (beside --out {out}" in line, line


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def _unwritable_folder() -> Path:
    folder = Path("/sys")  # no one may create files there, root included
    if not folder.is_dir():
        pytest.skip("no /sys here")
    try:
        (folder / "seqlab-probe").open("w").close()
    except OSError as error:
        if error.errno in (errno.EACCES, errno.EPERM):
            return folder
    pytest.skip("/sys accepts new files here")


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_folder_without_write_permission(corpus, name):
    out = str(_unwritable_folder() / "model")
    done = invoke(*_args(name, corpus, out))
    assert_one_line_failure(done, "permission", "folder you can write to", code=1)
    _assert_names_out(done, out)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_name_too_long_is_refused_before_any_work(corpus, tmp_path, name):
    out = str(tmp_path / ("a" * (255 - SIDECAR_NAME_BYTES)))  # + its suffix: too long
    done = invoke(*_args(name, corpus, out))
    assert_one_line_failure(done, "choose a name of at most", code=2)
    _assert_names_out(done, out)
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt"]


def test_the_longest_name_allowed_is_written(corpus, tmp_path):
    out = tmp_path / ("a" * (255 - SIDECAR_NAME_BYTES - len(".safetensors")) + ".safetensors")
    done = invoke("train", corpus, "--steps", "1", *TINY, "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.is_file()


def test_a_full_disk_names_out_and_says_to_free_space(tmp_path):
    rng_words = [f"w{i}x{i * 7919 % 1000}" for i in range(4000)]
    big = tmp_path / "big.txt"
    big.write_text("\n".join(" ".join(rng_words[(i * 13 + j * 7) % 4000] for j in range(12))
                             for i in range(4000)) + "\n")
    with small_filesystem(tmp_path / "disk", "96k") as disk:
        for out in (disk / "lm.arpa", disk / "lm.npz"):
            done = invoke("ngram", "train", big, "--out", out)
            assert_one_line_failure(done, "no space left", "free some space", code=1)
            _assert_names_out(done, str(out))
            assert "permission" not in done.stderr


def test_only_files_named_after_out_are_blamed_on_it(tmp_path):
    from seqlab.cli import errors

    out = tmp_path / "m.safetensors"
    errors.forget_outputs()
    errors.note_output(out)
    for name in ("m.safetensors", ".m.safetensors.abcd1234.tmp", "seqlab-ngram-x1_b2c3d/runs"):
        error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / name))
        assert errors.output_error_line(error).startswith(f"cannot write --out {out}:"), name
    for name in ("m.cache/ids.bin", "m.checkpoints", ".m.train.safetensors.abcd1234.tmp"):
        error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / name))
        # named itself, beside --out (test_linked_sidecars.py)
        assert errors.output_error_line(error).startswith("cannot write "), name
        assert f"(beside --out {out}): " in errors.output_error_line(error), name
    for name in ("m.txt", "model.txt", "other/m.safetensors", "m.safetensors.txt",
                 "m.cache-old.txt", "seqlab-notes.txt"):
        error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / name))
        assert errors.output_error_line(error) is None, name
    errors.forget_outputs()
