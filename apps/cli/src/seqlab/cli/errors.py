"""One-line errors for the user: what was wrong, where, and what to do."""

from __future__ import annotations

import contextlib
import errno
import os
import re
from pathlib import Path

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A problem with the user's input, reported as one line on stderr with a non-zero exit."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


# Bytes a hidden temporary or sidecar file's name adds to --out's (`.NAME.train.safetensors`'s
# temporary `.STEM.train.safetensors.XXXXXXXX.tmp` is the longest: 20 more).
SIDECAR_NAME_BYTES = 20
# What seqlab writes beside --out STEM.SUFFIX, named after it (a cache, periodic checkpoints,
# the training state, the metrics log).
SIDECARS = (".cache", ".checkpoints", ".train.safetensors", ".metrics.jsonl")
# seqlab's scratch folders (tempfile.mkdtemp(prefix="seqlab-ngram-"): 8 characters after it)
_SCRATCH = re.compile(r"seqlab-[a-z]+-[a-z0-9_]{8}")
_WRITING: list[tuple[Path, str]] = []  # the outputs this run checked (see `note_output`)


def first_line(error: BaseException) -> str:
    """The first line of `error`'s message, or its type's name when the message is empty."""
    return (str(error).splitlines() or [type(error).__name__])[0]


def note_output(out: Path, option: str = "--out") -> None:
    """Remember that this run writes `out` (given as `option`): a platform error while writing
    it, or a file named after it, is then reported as about `option`, not a hidden name."""
    _WRITING.append((out, option))


def forget_outputs() -> None:
    """A new command starts (the CLI runs several in one process in tests)."""
    _WRITING.clear()


def check_name_length(out: Path, option: str = "--out") -> None:
    """Refuse (exit 2) an output name too long for its folder's file system, counting the
    hidden files seqlab writes named after it, before any work is done."""
    folder = out.absolute().parent
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    size = len(os.fsencode(out.name))
    if size + SIDECAR_NAME_BYTES > name_max:
        raise CliError(f"{option} {out}: the name is {size:,} bytes long; this file system takes "
                       f"names of up to {name_max} bytes, and seqlab writes hidden files named "
                       f"after it (up to {SIDECAR_NAME_BYTES} bytes longer): choose a name of at "
                       f"most {name_max - SIDECAR_NAME_BYTES} bytes", code=EXIT_USAGE)


def _concerned(error: OSError, out: Path) -> Path | None:
    """The file `error` concerns, as the user would name it, when it is `out` (or its hidden
    temporary), a file or folder named after it (NAME.cache, NAME.checkpoints and what is in
    them, NAME.train.safetensors, their temporaries: named as that file) or seqlab's scratch
    folder beside it (named as `out`); None for any other file."""
    if not error.filename:  # a write() that failed: only a full disk says nothing of a name
        return out if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else None
    folder = out.absolute().parent
    try:
        parts = Path(os.fsdecode(error.filename)).absolute().relative_to(folder).parts
        first = parts[0]
    except (ValueError, IndexError, TypeError):
        return None
    names = {out.name, *(out.stem + side for side in SIDECARS)}
    if first in names:
        return out if first == out.name else out.parent.joinpath(*parts)
    if first.startswith("."):  # a hidden temporary: .NAME.XXXXXXXX.tmp, .NAME.ids-XXXXXXXX
        for name in names:
            if first[1:].startswith(name + "."):
                return out if name == out.name else out.parent / name
        return None
    return out if _SCRATCH.fullmatch(first) is not None else None


def output_error_line(error: OSError) -> str | None:
    """One line for a platform error while writing an output this run checked: which option
    and file, what happened, what to do (full disk, permissions, read-only, name length); None
    when the error concerns no such output. A file seqlab writes beside the output is named
    itself (`NAME.checkpoints: Not a directory`), not blamed on the output."""
    for out, option in reversed(_WRITING):
        concerned = _concerned(error, out)
        if concerned is not None:
            return write_error_line(error, out, option, concerned)
    return None


def _written_folder(path: Path) -> Path:
    """The folder a write to `path` goes to: the folder of the file its links end at
    (`atomic.write_target`: a link is written through), else `path`'s own."""
    from seqlab.autograd.atomic import write_target

    with contextlib.suppress(OSError):  # a loop of links: the folder named
        path = write_target(path)
    return path.absolute().parent


def write_error_line(error: OSError, out: Path, option: str = "--out",
                     concerned: Path | None = None) -> str:
    """`option OUT` (or `concerned`, a file written beside it) could not be written because
    of `error`: the reason and the remedy."""
    folder = _written_folder(concerned or out)
    unchanged = "; no existing file was changed"
    advice = {
        errno.ENOSPC: f"the disk holding {folder} is full: free some space there, or choose "
                      f"an {option} on another disk{unchanged}",
        errno.EACCES: f"no permission to write in {folder}: choose an {option} in a folder you "
                      f"can write to{unchanged}",
        errno.EROFS: f"{folder} is on a read-only file system: choose an {option} elsewhere",
        errno.ENAMETOOLONG: f"the name, with the hidden files seqlab writes named after it (up "
                            f"to {SIDECAR_NAME_BYTES} bytes longer), is too long for this "
                            f"file system: choose a shorter {option}",
    }
    advice[errno.EDQUOT] = advice[errno.ENOSPC].replace("disk holding", "quota for")
    advice[errno.EPERM] = advice[errno.EACCES]
    reason = error.strerror or str(error)
    remedy = advice.get(error.errno, f"check {folder} and try again")
    what = f"{option} {out}" if concerned in (None, out) else \
        f"{concerned} (beside {option} {out})"
    return f"cannot write {what}: {reason} ({remedy})"


def require_file(path: Path, what: str = "file") -> Path:
    """The path, if it is an existing readable file; otherwise a CliError saying so."""
    if str(path) == "-":
        return path
    if not path.exists():
        raise CliError(f"{what} not found: {path} (check the path)")
    if path.is_dir():
        raise CliError(f"{what} is a directory, not a file: {path}")
    if not path.is_file():  # a device (/dev/zero), a FIFO or a socket: endless or blocking
        from seqlab.nlp.corpora.special_files import special_file_message

        raise CliError(special_file_message(path, what, stdin=False)
                       or f"{what} {path} is not a regular file; give a file saved on disk")
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise CliError(f"cannot read {what} {path}: {error.strerror}") from error
    return path


def require_range(name: str, value: float | int | None, low: float | None = None,
                  high: float | None = None, low_open: bool = False,
                  high_open: bool = False) -> None:
    """A CliError naming the option when value lies outside [low, high] (or open bounds)."""
    if value is None:
        return
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        # an absent bound is infinite, which no option accepts: open ("(0, inf)")
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        bounds = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise CliError(f"{name} must be in {bounds}, got {value}", code=EXIT_USAGE)
