"""A command run in-process inside another (a library user's callback, a test) leaves the
outer command as it found it: its --threads count and its output locks (leftovers s21, item
9: the inner `main`'s end put back the thread count from before the OUTER command and released
the outer command's --out lock, so the outer one went on unlocked at another count)."""

from __future__ import annotations

from cli_helpers import TINY
from inprocess import invoke


def test_an_inner_command_keeps_the_outer_ones_threads_and_lock(tmp_path, corpus_file,
                                                               monkeypatch):
    from seqlab.autograd import get_num_threads
    from seqlab.autograd.file_lock import FileLock, LockHeldError, lock_path
    from seqlab.cli import kernel_warm_up

    out = tmp_path / "outer.safetensors"
    warm_up = kernel_warm_up.warm_up_run
    seen = {}

    def warm_up_after_an_inner_command(trainer, output):
        # the outer `train --threads 3` holds --out's lock and runs on 3 threads here
        inner = invoke("train", corpus_file, "--steps", "1", "--threads", "1",
                       "--out", tmp_path / "inner.safetensors", *TINY)
        seen["inner"] = inner.returncode, inner.stderr
        seen["threads"] = get_num_threads()
        try:
            with FileLock(lock_path(out), wait=False):
                seen["lock"] = "free"
        except LockHeldError:
            seen["lock"] = "held"
        warm_up(trainer, output)

    monkeypatch.setattr(kernel_warm_up, "warm_up_run", warm_up_after_an_inner_command)
    before = get_num_threads()
    done = invoke("train", corpus_file, "--steps", "1", "--threads", "3", "--out", out, *TINY)
    assert done.returncode == 0, done.stderr
    assert seen["inner"][0] == 0, seen["inner"][1]
    assert seen["threads"] == 3
    assert seen["lock"] == "held"
    assert get_num_threads() == before
    assert not lock_path(out).exists()


def test_a_count_set_outside_any_command_is_put_back_as_the_next_one_ends():
    """A runner that calls a command's function without `main` (tests/cli/typer_inprocess.py)
    sets --threads outside any command: the next `main` to end puts it back, as before."""
    from seqlab.autograd import get_num_threads
    from seqlab.cli import threads

    before = get_num_threads()
    threads.use_threads(before + 1)
    assert invoke("info", "--help").returncode == 0
    assert get_num_threads() == before
