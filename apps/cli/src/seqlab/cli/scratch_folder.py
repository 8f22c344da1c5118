"""`--scratch DIR`: the folder a command spills temporary files to (the system's temporary
folder, TMPDIR, by default), and the one line a full disk or a refused write there gives."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import typer

from seqlab.cli.errors import EXIT_USAGE, CliError

SCRATCH_HELP = ("Folder for the temporary files a large input spills to (removed at the "
                "end). Default: the system's temporary folder (TMPDIR).")
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def scratch_option() -> Path | None:
    """The `--scratch DIR` option."""
    return typer.Option(None, "--scratch", metavar="DIR", help=SCRATCH_HELP)


def checked_scratch(scratch: Path | None) -> None:
    """A usage CliError unless `scratch` is None or an existing folder."""
    if scratch is not None and not scratch.is_dir():
        raise CliError(f"--scratch {scratch} is not an existing folder: give a folder for the "
                       "temporary files", code=EXIT_USAGE)


def scratch_folder(scratch: Path | None) -> Path:
    """The folder the temporary files go to: `scratch`, or the system's."""
    return Path(scratch) if scratch is not None else Path(tempfile.gettempdir())


def is_scratch_error(error: OSError, scratch: Path | None) -> bool:
    """Whether `error` is a full disk or quota, or concerns a file in the scratch folder."""
    if error.errno in _FULL:
        return True
    if not error.filename:
        return False
    folder = scratch_folder(scratch).absolute()
    return folder == Path(error.filename).absolute() or \
        folder in Path(error.filename).absolute().parents


def scratch_error_line(error: OSError, scratch: Path | None) -> str:
    """One line for `error` writing temporary files: the folder (and TMPDIR when it is the
    system's), what happened, and what to do."""
    folder = scratch_folder(scratch)
    if scratch is None:
        tmpdir = os.environ.get("TMPDIR")
        where = (f"{folder} (the system's temporary folder; TMPDIR is "
                 + (f"{tmpdir})" if tmpdir else "not set)"))
    else:
        where = f"{folder} (--scratch)"
    reason = error.strerror or str(error)
    if error.errno in _FULL:
        remedy = "free some space there, or give --scratch DIR on a disk with room"
    else:
        remedy = "check that folder, or give --scratch DIR elsewhere"
    return f"cannot write temporary files in {where}: {reason} ({remedy})"
