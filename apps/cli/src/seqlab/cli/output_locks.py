"""One run at a time per output: the lock every writing command takes on its `--out`.

`outputs.check_output` calls `lock_output` once its checks pass, before any work starts, so a
second run started on the same `--out` (another terminal, a script run twice) is refused with
one line naming the process that holds it, exits 1 and touches nothing; the first run's
model, training state, metrics log, checkpoints and id cache (all named after `--out`) stay
its own. The lock is `seqlab.autograd.file_lock`'s: `.NAME.seqlab-lock` beside `--out`,
dropped by the operating system when the holder ends however it ends (a lock file left by a
killed run blocks nobody), deleted by `release_outputs` when the command ends. Where the file
system cannot lock, the run goes on unlocked (as every run did before); where a file seqlab
cannot use is at the lock's path (another user's lock file, one seqlab did not write), it
goes on unlocked with a one-line warning, so that it is never unlocked unawares.

The lock is keyed by `--out`'s name (its folder's links resolved), not by the identity of a
file already there (device and inode): what a run writes is names, never an inode in place.
Every write renames a whole new file over its name (`seqlab.autograd.atomic`), and the files
beside `--out` are named after it, so two runs on two hard links to one file replace two
names and leave each other's files alone: they need no common lock. An identity key would
refuse them for nothing, would change under the first run's own rename (a run started after
it would find a new inode), and would have no folder of its own for its lock file.
An `--out` that is a symbolic link is keyed by the name its links end at, which is the name
the write replaces (`atomic.write_target`): two links to one file are one output.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from seqlab.autograd.atomic import remove_stale_temporaries, write_target
from seqlab.autograd.file_lock import FileLock, LockHeldError, describe_process, lock_path
from seqlab.cli.errors import CliError


class _Command:
    """A running command's arguments (a refused run names the holder's command) and the
    output locks it holds."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.held: dict[Path, FileLock] = {}


# one entry per running command: commands nest (an in-process `main` inside another), and an
# inner one's end releases its own locks only, never the outer command's
_COMMANDS: list[_Command] = []


def start_command(argv: Sequence[str] | None) -> None:
    """A command starts (`app.main`): remember its arguments; the matching `release_outputs`
    releases the locks it takes."""
    _COMMANDS.append(_Command(["seqlab", *(sys.argv[1:] if argv is None else argv)]))


def lock_output(out: Path, option: str = "--out", beside: Sequence[Path] = ()) -> None:
    """Hold `out`'s lock until `release_outputs`, or refuse (CliError) when another process
    holds it (this process holding it already, for an outer command, is enough); once
    held, remove the temporaries a killed run left of `out` and of the files `beside` it that
    the command writes under the same lock (NAME.train.safetensors, NAME.metrics.jsonl)."""
    target = _written(out)
    path = lock_path(target)
    if any(path in command.held for command in _COMMANDS):
        return
    if not _COMMANDS:  # a lock taken outside any `main`: released by the next release
        _COMMANDS.append(_Command([]))
    command = _COMMANDS[-1]
    lock = FileLock(path, wait=False, holder=describe_process(command.argv or None))
    try:
        lock.acquire()
    except LockHeldError as held:
        by = held.holder or "a process that has not yet said which"
        raise CliError(f"{option} {out} is being written by another seqlab run, {by}; wait "
                       f"for it to finish (or stop it), or choose another {option}") from None
    if lock.held:
        command.held[path] = lock
        # a killed save's .NAME.XXXXXXXX.tmp: the lock proves no live seqlab run writes NAME
        _remove_stale(target, beside)
    elif lock.foreign:
        from seqlab.cli.console import message

        message(("warning:", "yellow"),
                f"{option} {out} is not locked against other seqlab runs: {lock.reason}")


def _remove_stale(target: Path, beside: Sequence[Path]) -> None:
    """Remove the atomic helper's temporaries (`.NAME.XXXXXXXX.tmp`) of `target` and of each
    file `beside` it (through its links, in whichever folder that puts it)."""
    names: dict[Path, list[str]] = {}
    for path in (target, *(_written(path) for path in beside)):
        names.setdefault(path.absolute().parent, []).append(re.escape(path.name))
    for folder, written in names.items():
        remove_stale_temporaries(folder, "|".join(written))


def _written(out: Path) -> Path:
    """The file a write to `out` replaces (through a symbolic link: two links to one file are
    one output); `out` itself where its links cannot be followed."""
    try:
        return write_target(out)
    except OSError:
        return out


def release_outputs() -> None:
    """Release every output lock the running command took (at its end; the OS does it on a
    crash), and end its entry."""
    ended = [_COMMANDS.pop()] if _COMMANDS else []
    if len(_COMMANDS) == 1 and not _COMMANDS[0].argv:
        ended.append(_COMMANDS.pop())  # locks taken outside any `main` go with the last one
    for command in ended:
        for lock in reversed(list(command.held.values())):
            lock.release()
