"""What to say about an input path that is neither a file nor a folder: a pipe (a FIFO, or
the /dev/fd/N of a shell's `<(...)`), a device or a socket.

seqlab reads an input file more than once (a SHA-256 fingerprint keys its id caches, then the
text; a folder is listed, then read), and a pipe gives its bytes only once; so a pipe is
refused with a sentence naming '-' (stdin, which the commands that read FILES copy to a hidden
file and read again). The check looks at the file's type: it never opens the pipe, which
would block until a writer came."""

from __future__ import annotations

import stat
from pathlib import Path

PIPE_ADVICE = ("a pipe can be read only once and seqlab reads its inputs more than once; save "
               "it to a file, or pipe it to stdin and give '-' (as `zcat x.gz | seqlab ... -`)")


def special_file_message(path: str | Path, what: str = "input",
                         stdin: bool = True) -> str | None:
    """The one-line refusal for `path` when it exists but is not a regular file or a folder
    (a pipe, a device, a socket); None otherwise. `stdin`: whether the option also reads '-'
    (the refusal of a device names it only then)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return f"{what} {path} is a pipe (a FIFO, or <(...) in the shell): {PIPE_ADVICE}"
    kind = "a socket" if stat.S_ISSOCK(mode) else "a device"
    return (f"{what} {path} is {kind}, not a regular file: give a file saved on disk"
            + (", or '-' for stdin" if stdin else ""))
