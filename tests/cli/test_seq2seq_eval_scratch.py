"""`seq2seq eval --scratch DIR`: where the pairs' grouping spills past its memory (the system's
temporary folder by default); a full disk there is one line naming that folder (and TMPDIR)
and the option, never a traceback."""

from __future__ import annotations

import errno
import json
import tempfile
from pathlib import Path

import pytest
from inprocess import assert_one_line_failure, invoke

WORDS = ["the cat", "a dog", "my hat", "red sun", "old man", "big sea"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2s_scratch")
    pairs = folder / "train.tsv"
    pairs.write_text("".join(f"{w}\t{' '.join(reversed(w.split()))}\n" for w in WORDS * 5))
    out = folder / "m.safetensors"
    done = invoke("seq2seq", "train", pairs, "--hidden", "8", "--layers", "1", "--steps", "2",
                  "--source-level", "char", "--target-level", "word", "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture
def pairs(tmp_path):
    path = tmp_path / "test.tsv"
    path.write_text("".join(f"{w}\t{' '.join(reversed(w.split()))} {i}\n"
                            for i in range(4) for w in WORDS))
    return path


@pytest.fixture
def spills(monkeypatch):
    """Spill past 4 records, recording each spill's folder."""
    from seqlab.seqmodels.seq2seq import source_groups, spilled_groups

    folders = []

    class Recorded(spilled_groups.Spill):
        def __init__(self, folder, capacity):
            folders.append(folder)
            super().__init__(folder, capacity)

    monkeypatch.setattr(source_groups, "records_in", lambda memory_bytes: 4)
    monkeypatch.setattr(spilled_groups, "Spill", Recorded)
    return folders


def test_the_spill_goes_to_the_scratch_folder_and_scores_the_same(model, pairs, tmp_path,
                                                                  spills):
    expected = invoke("seq2seq", "eval", model, pairs, "--beam", "1", "--json")
    assert expected.returncode == 0, expected.stderr
    assert spills and spills[0].parent == Path(tempfile.gettempdir())
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = invoke("seq2seq", "eval", model, pairs, "--beam", "1", "--json",
                  "--scratch", scratch)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(expected.stdout)
    assert spills[-1].parent == scratch and not list(scratch.iterdir())  # removed after


@pytest.mark.parametrize("given", [False, True])
def test_a_full_scratch_disk_is_one_line_naming_the_folder(model, pairs, tmp_path, spills,
                                                           monkeypatch, given):
    from seqlab.seqmodels.seq2seq import spilled_groups

    def full(self, *args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spilled_groups.Spill, "add", full)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    extra = ("--scratch", scratch) if given else ()
    done = invoke("seq2seq", "eval", model, pairs, "--beam", "1", *extra)
    folder = str(scratch) if given else tempfile.gettempdir()
    assert_one_line_failure(done, folder, "No space left", "--scratch",
                            *(() if given else ("TMPDIR",)))


def test_a_scratch_that_is_no_folder_is_refused(model, pairs, tmp_path):
    done = invoke("seq2seq", "eval", model, pairs, "--scratch", tmp_path / "missing")
    assert_one_line_failure(done, "--scratch", "missing")
