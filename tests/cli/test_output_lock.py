"""Two runs writing one --out at once: the second is refused at start with one line naming the
process that holds it, exits 1 and touches nothing; a killed run's lock file blocks nobody.
Every writing command takes the lock (each `check_output` caller)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cli_helpers import CORPUS, TINY, popen, run
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.autograd.file_lock import lock_path
from seqlab.cli.metrics_log import metrics_path, read_rows

HOLD = textwrap.dedent("""
    import sys
    from seqlab.autograd.file_lock import FileLock, describe_process
    lock = FileLock(sys.argv[1], wait=False, holder=describe_process("seqlab train (test)"))
    lock.acquire()
    print("held", flush=True)
    sys.stdin.read()
""")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    return tmp_path


def _wait_for_rows(path: Path, process: subprocess.Popen, seconds: float = 120) -> None:
    """Until `process`, a training run, has written metrics rows to `path` (it is training)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the first run ended before it was raced"
        if path.is_file() and path.stat().st_size:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never had a row")


def test_a_second_run_on_the_same_out_is_refused_and_a_killed_one_blocks_nobody(folder):
    out = folder / "m.safetensors"
    first = popen("train", folder / "corpus.txt", "--steps", "100000", "--out", out, *TINY,
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_rows(metrics_path(out), first)
        second = run("train", folder / "corpus.txt", "--steps", "3", "--out", out, *TINY)
        assert_one_line_failure(second, f"--out {out}", f"process {first.pid}",
                                "another seqlab run", "choose another --out", code=1)
        assert "Saved" not in second.stdout + second.stderr
        note = lock_path(out).read_text()
        assert f"process {first.pid} " in note and f"--out {out}" in note
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
    steps = [row["step"] for row in read_rows(metrics_path(out)) if "step" in row]
    assert steps and steps == sorted(steps)  # the first run's log alone: not restarted, not mixed
    assert lock_path(out).exists()  # the killed run's lock file is left, unlocked
    # --force: a new run over a killed one's numbered checkpoints starts over (run_ownership)
    third = run("train", folder / "corpus.txt", "--steps", "3", "--out", out, *TINY, "--force")
    assert third.returncode == 0, third.stderr
    assert "Saved" in third.stdout + third.stderr
    assert not lock_path(out).exists()  # a run that ends removes its lock file


def _writing_commands(folder: Path, model: Path) -> list[tuple[list, Path]]:
    """(arguments, the output they write) for every command that writes a file."""
    corpus = folder / "corpus.txt"
    out = folder / "out"
    npz = folder / "lm.npz"
    assert invoke("ngram", "train", corpus, "--order", "2", "--out", npz).returncode == 0
    vectors = folder / "vec.txt"
    assert invoke("word2vec", "train", corpus, "--dim", "4", "--min-count", "1", "--epochs",
                  "1", "--out", vectors).returncode == 0
    return [
        (["train", corpus, "--out", out / "lm.safetensors"], out / "lm.safetensors"),
        (["classify", "train", "--out", out / "c.safetensors"], out / "c.safetensors"),
        (["forecast", "train", "--out", out / "f.safetensors"], out / "f.safetensors"),
        (["seq2seq", "train", "--out", out / "s.safetensors"], out / "s.safetensors"),
        (["demo", "--out", out / "d.safetensors"], out / "d.safetensors"),
        (["word2vec", "train", corpus, "--out", out / "v.txt"], out / "v.txt"),
        (["word2vec", "export", vectors, out / "v.bin"], out / "v.bin"),
        (["ngram", "train", corpus, "--out", out / "lm.arpa"], out / "lm.arpa"),
        (["ngram", "export-arpa", npz, out / "x.arpa"], out / "x.arpa"),
        (["tokenize", "train", corpus, "--out", out / "t.json"], out / "t.json"),
        (["inspect", model, "--text", "the quick", "--html", out / "p.html"], out / "p.html"),
    ]


def test_every_writing_command_is_refused_while_another_process_writes_its_output(
        folder, trained_model):
    (folder / "out").mkdir()
    for arguments, target in _writing_commands(folder, trained_model):
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock_path(target))],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "held"
            before = snapshot(folder)
            refused = invoke(*arguments)
            option = "--html" if "--html" in arguments else \
                "OUT" if "export" in arguments or "export-arpa" in arguments else "--out"
            assert_one_line_failure(refused, f"{option} {target}", f"process {holder.pid}",
                                    "seqlab train (test)", code=1)
            assert snapshot(folder) == before, arguments
        finally:
            holder.stdin.close()
            holder.wait(timeout=60)


def test_a_file_system_without_locks_runs_unlocked(folder, monkeypatch):
    """Some network and FUSE mounts cannot flock: the command runs as before, silently; the
    empty lock file stays (a run that cannot lock never deletes one: another may hold it)."""
    import errno
    import fcntl

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    out = folder / "t.json"
    done = invoke("tokenize", "train", folder / "corpus.txt", "--level", "char", "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.is_file() and lock_path(out).read_bytes() == b""
    assert done.stderr == ""


def test_a_lock_file_seqlab_cannot_use_runs_unlocked_with_a_warning(folder):
    """A file seqlab did not write at the lock's path stays as it is; the run goes on
    unlocked and says so in one line."""
    out = folder / "t.json"
    lock_path(out).write_text("my own notes\n")
    done = invoke("tokenize", "train", folder / "corpus.txt", "--level", "char", "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.is_file() and lock_path(out).read_text() == "my own notes\n"
    warning = done.stderr.strip()
    assert len(warning.splitlines()) == 1 and "not locked" in warning and str(out) in warning
    assert warning.startswith("warning: ") and "[" not in warning  # styled, not markup text


def test_a_refused_resume_never_removes_the_holders_id_cache(folder, monkeypatch):
    """`classify train --resume m` (no --out: it writes m again) refused because another run
    holds m's lock must not remove m.cache, which that run created after this one started: the
    lock is taken before the refusal cleanup notes which files this run would create."""
    from seqlab.cli import classify_run

    rows = "".join(f"{label},the film was {word} really\n" for label, word in
                   [("pos", "good"), ("neg", "bad"), ("pos", "great"), ("neg", "dull")] * 6)
    (folder / "r.csv").write_text("label,text\n" + rows, encoding="utf-8")
    out = folder / "m.safetensors"
    trained = invoke("classify", "train", folder / "r.csv", "--epochs", "1", "--hidden", "4",
                     "--embedding-dim", "4", "--batch-size", "8", "--quiet", "--out", out)
    assert trained.returncode == 0, trained.stderr
    cache = folder / "m.cache"
    shutil.rmtree(cache, ignore_errors=True)  # (removed to save space, say)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock_path(out))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    real = classify_run.check_resumed_output

    def holder_creates_its_cache(*arguments, **keywords):
        cache.mkdir()  # the holder's first batch, between this run's start and its refusal
        (cache / "holder.ids").write_bytes(b"ids")
        return real(*arguments, **keywords)

    monkeypatch.setattr(classify_run, "check_resumed_output", holder_creates_its_cache)
    try:
        assert holder.stdout.readline().strip() == "held"
        refused = invoke("classify", "train", "--resume", out, "--epochs", "2")
        assert_one_line_failure(refused, f"--out {out}", f"process {holder.pid}", code=1)
        assert (cache / "holder.ids").read_bytes() == b"ids"
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
