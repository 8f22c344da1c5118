"""A training run never writes over another run's files (QA s20 Q2, findings 1, 2 and 4), for
`train`, `classify train`, `forecast train` and `seq2seq train` alike:

- a new run into a folder holding a killed run's numbered checkpoints (named by step alone, so
  the new run's would replace them) is refused in one line naming the --resume that continues
  it; --force removes them first, saying so;
- `--resume NAME.safetensors` of a killed run (NAME.safetensors missing) holds NAME's lock like
  any run: a second such resume is refused, and the lock file goes when the run ends;
- `--resume NAME.checkpoints/step-N.safetensors --out NAME.safetensors` refuses a NAME that
  another run wrote (another run id in its header) unless --force.
"""

from __future__ import annotations

import shutil

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot


def _pairs(folder):
    path = folder / "pairs.tsv"
    path.write_text("".join(f"{w}\t{' '.join(w[::-1])}\n"
                            for w in ["ab", "ba", "abc", "cab", "bca", "cc"] * 20))
    return path


def _reviews(folder):
    path = folder / "reviews.csv"
    path.write_text("text,label\n" + "".join(f"{w} film,{'pos' if i % 2 else 'neg'}\n"
                                           for i, w in enumerate(["good", "bad"] * 20)))
    return path


# command words, and the arguments of a short new run (its data made in the test's folder)
COMMANDS = {
    "train": (["train"], lambda folder, corpus: [str(corpus), "--steps", "2", "--hidden", "8",
                                                 "--layers", "1", "--seq-len", "8",
                                                 "--batch-size", "2"]),
    "classify": (["classify", "train"], lambda folder, corpus: [
        str(_reviews(folder)), "--steps", "2", "--hidden", "8", "--embedding-dim", "6",
        "--batch-size", "8"]),
    "forecast": (["forecast", "train"], lambda folder, corpus: [
        "--series", "sunspots", "--steps", "2", "--hidden", "8", "--window", "6"]),
    "seq2seq": (["seq2seq", "train"], lambda folder, corpus: [
        str(_pairs(folder)), "--steps", "2", "--hidden", "8", "--layers", "1",
        "--embedding-dim", "4"]),
}


def _finished(name, folder, corpus, out):
    words, args = COMMANDS[name]
    done = invoke(*words, *args(folder, corpus), "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    return done


def _killed(name, folder, corpus):
    """What a run killed after step 2 leaves: NAME.checkpoints/step-2, no NAME.safetensors."""
    out = folder / "M.safetensors"
    _finished(name, folder, corpus, out)
    checkpoints = folder / "M.checkpoints"
    checkpoints.mkdir(exist_ok=True)
    shutil.move(out, checkpoints / "step-00000002.safetensors")
    shutil.move(folder / "M.train.safetensors", checkpoints / "step-00000002.train.safetensors")
    return out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_new_run_refuses_a_killed_runs_checkpoints(tmp_path, corpus_file, name):
    out = _killed(name, tmp_path, corpus_file)
    before = snapshot(tmp_path / "M.checkpoints")
    words, args = COMMANDS[name]
    again = invoke(*words, *args(tmp_path, corpus_file), "--out", str(out))
    assert_one_line_failure(again, "another run", "--resume", "--force")
    assert f"--resume {out} continues" in " ".join(again.stderr.split())
    assert snapshot(tmp_path / "M.checkpoints") == before
    assert not out.exists()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_force_removes_the_killed_runs_checkpoints_and_says_so(tmp_path, corpus_file, name):
    from seqlab.seqmodels.checkpoint import run_of

    out = _killed(name, tmp_path, corpus_file)
    old = run_of(tmp_path / "M.checkpoints" / "step-00000002.safetensors")
    words, args = COMMANDS[name]
    again = invoke(*words, *args(tmp_path, corpus_file), "--out", str(out), "--force")
    assert again.returncode == 0, again.stderr
    assert "removed 1 numbered checkpoint of another run" in " ".join(again.stderr.split())
    left = [path for path in (tmp_path / "M.checkpoints").glob("step-*.safetensors")
            if run_of(path) == old]
    assert left == []
    assert run_of(out) not in (None, old)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_resume_of_a_killed_run_holds_the_lock(tmp_path, corpus_file, name):
    from seqlab.autograd.file_lock import FileLock, lock_path

    out = _killed(name, tmp_path, corpus_file)
    words, _ = COMMANDS[name]
    with FileLock(lock_path(out), wait=False):  # another resume of the same run, still going
        second = invoke(*words, "--resume", str(out), "--steps", "3", "--quiet")
        assert_one_line_failure(second, "being written by another seqlab run")
    assert not out.exists()
    first = invoke(*words, "--resume", str(out), "--steps", "3")
    assert first.returncode == 0, first.stderr
    assert out.exists()
    assert not lock_path(out).exists()  # a run that ends removes its lock file


@pytest.mark.parametrize("name", list(COMMANDS))
def test_picking_a_step_refuses_to_replace_another_runs_model(tmp_path, corpus_file, name):
    out = _killed(name, tmp_path, corpus_file)  # run A's step-2 in M.checkpoints
    other = tmp_path / "B" / "B.safetensors"  # run B, finished, then at M.safetensors
    other.parent.mkdir()
    _finished(name, other.parent, corpus_file, other)
    shutil.copy(other, out)
    shutil.copy(other.parent / "B.train.safetensors", tmp_path / "M.train.safetensors")
    before = snapshot(tmp_path)
    words, _ = COMMANDS[name]
    step = tmp_path / "M.checkpoints" / "step-00000002.safetensors"
    picked = invoke(*words, "--resume", str(step), "--out", str(out), "--steps", "3")
    assert_one_line_failure(picked, "another run's model", "--force")
    assert snapshot(tmp_path) == before
    forced = invoke(*words, "--resume", str(step), "--out", str(out), "--steps", "3", "--force")
    assert forced.returncode == 0, forced.stderr



# arguments that each command refuses only once it reads its data or checks its options, after
# the run-files check has passed (an empty corpus, a CSV with no rows, a window longer than the
# series, a pairs file with no tab)
REFUSED_LATE = {
    "train": lambda folder: [str(_written(folder / "empty.txt", "")), "--steps", "2"],
    "classify": lambda folder: [str(_written(folder / "empty.csv", "text,label\n")),
                                "--steps", "2"],
    "forecast": lambda folder: ["--series", "sunspots", "--window", "100000", "--steps", "2"],
    "seq2seq": lambda folder: [str(_written(folder / "nopairs.tsv", "no tab here\n")),
                               "--steps", "2"],
}


def _written(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", list(COMMANDS))
def test_force_keeps_the_killed_runs_checkpoints_when_the_new_run_is_refused(tmp_path,
                                                                             corpus_file, name):
    """--force removes another run's checkpoints only once the new run is about to write: a run
    refused on its data or options has removed nothing (leftovers s21, item 1)."""
    out = _killed(name, tmp_path, corpus_file)
    before = snapshot(tmp_path / "M.checkpoints")
    words, _ = COMMANDS[name]
    refused = invoke(*words, *REFUSED_LATE[name](tmp_path), "--out", str(out), "--force")
    assert_one_line_failure(refused)
    assert "removed" not in refused.stderr
    assert snapshot(tmp_path / "M.checkpoints") == before
    assert not out.exists()
