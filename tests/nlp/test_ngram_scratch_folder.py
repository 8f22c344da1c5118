"""qaA s24 follow-up: a `seqlab-ngram-XXXXXXXX` scratch folder left by a `kill -9`ed `ngram
train` is removed by the next run, but only one seqlab made that no live run holds (its lock
file can be taken); a folder a live run holds, one without seqlab's lock file and one whose
name is not seqlab's are left alone."""

import fcntl
import os
import subprocess
import sys

import pytest
from inprocess import invoke

from seqlab.nlp.ngram.scratch import LOCK_NAME, remove_stale_scratch, scratch_folder


def _made_by_seqlab(folder, name="seqlab-ngram-ab12cd_9"):
    """A scratch folder as a run makes it, with a spill file and its (unheld) lock file."""
    path = folder / name
    path.mkdir()
    (path / "runs").write_bytes(b"x" * 100)
    (path / LOCK_NAME).write_text("")
    return path


def test_a_killed_runs_folder_goes_and_a_live_runs_stays(tmp_path):
    stale = _made_by_seqlab(tmp_path)
    live = _made_by_seqlab(tmp_path, "seqlab-ngram-zz99yy88")
    # another process holds `live`'s lock, as a running `ngram train` does
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1]); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(live / LOCK_NAME)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        unlocked = tmp_path / "seqlab-ngram-qq11ww22"  # an old run's, or one being made
        unlocked.mkdir()
        other = tmp_path / "seqlab-ngram-mine"  # not tempfile's 8 characters
        other.mkdir()
        (other / LOCK_NAME).write_text("")
        users = tmp_path / "notes-ab12cd_9"
        users.mkdir()
        assert remove_stale_scratch(tmp_path) == [stale]
        assert not stale.exists()
        assert (live / "runs").exists() and unlocked.exists() and other.exists()
        assert users.exists()
    finally:
        holder.kill()
        holder.wait()
    assert remove_stale_scratch(tmp_path) == [live]  # its run has ended


def test_a_run_holds_its_folder_while_it_lives_and_removes_it(tmp_path):
    stale = _made_by_seqlab(tmp_path)
    with scratch_folder(tmp_path) as folder:
        assert not stale.exists()  # the run cleaned up after the killed one
        assert folder.parent == tmp_path and folder.name.startswith("seqlab-ngram-")
        with open(folder / LOCK_NAME) as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert remove_stale_scratch(tmp_path) == []  # a second run leaves it
        assert folder.exists()
    assert not folder.exists()
    assert os.listdir(tmp_path) == []


def test_a_link_with_seqlabs_name_is_left(tmp_path):
    target = tmp_path / "kept"
    target.mkdir()
    (target / LOCK_NAME).write_text("")
    (tmp_path / "seqlab-ngram-ab12cd_9").symlink_to(target)
    assert remove_stale_scratch(tmp_path) == []
    assert (target / LOCK_NAME).exists()


def test_ngram_train_removes_a_killed_runs_folder_beside_its_out(tmp_path):
    """The CLI's counts spill beside --out: a stale folder there goes, the run's own too."""
    stale = _made_by_seqlab(tmp_path)
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20)
    done = invoke("ngram", "train", corpus, "--order", "3", "--out", tmp_path / "m.arpa", "-q")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "m.arpa"]
    assert not stale.exists()
