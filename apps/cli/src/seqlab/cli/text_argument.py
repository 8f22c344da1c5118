"""An argument that is either text or the name of a file of text: the rule `seqlab seq2seq
translate` and `seqlab tokenize encode` share."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from seqlab.cli.errors import CliError, require_file

# A name with an extension: "held.txt", "notes.md", "data.csv" (not "e.g." or "3.5").
LOOKS_LIKE_FILE = re.compile(r"\S*\.[A-Za-z][A-Za-z0-9]{1,4}")


def looks_like_path(text: str) -> bool:
    """Whether `text` reads as a file name: one word with a path separator or an extension."""
    return not any(character.isspace() for character in text) and (
        "/" in text or "\\" in text or LOOKS_LIKE_FILE.fullmatch(text) is not None)


def named_file(text: str, what: str = "input file") -> Path | None:
    """The file `text` names when one of that name exists (a folder, device or unreadable
    file is a CliError), None when `text` is text to use as it is; a name that looks like a
    path but names no file is a CliError (add --text to take it as text). A leading `~` of a
    name that looks like a path is the home folder, as in every path option (`path_options`)."""
    path = Path(text)
    if text.startswith("~") and looks_like_path(text):
        path = path.expanduser()
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, ValueError):  # too long for a file name, or a NUL in it: text
        return None
    if is_dir:
        raise CliError(f"{path} is a folder: give a file, or the text itself with --text")
    if exists:
        return require_file(path, what)
    if looks_like_path(text):
        raise CliError(f"no such file: {text} (check the path; to use that text as it is, "
                       "add --text)")
    return None


def decode_text(data: bytes, what: str, path: Path | None = None) -> str:
    """`data` (all of a small input: a prompt, a passage, one text of a folder) as text by the
    rules every reader of seqlab follows (`seqlab.nlp.corpora.reading.decode_input`): the root
    `--errors` policy for bytes that are not UTF-8, a byte-order mark dropped only at byte 0;
    UTF-16/32 text, undecodable bytes (under `--errors strict`) or NUL bytes are a CliError
    naming `what` (iconv's line names `path`, FILE if None)."""
    from seqlab.cli.inputs import decode_errors, remedy
    from seqlab.nlp.corpora.reading import decode_input

    try:
        return decode_input(data, what, None if path is None else str(path), decode_errors())
    except ValueError as error:
        raise CliError(remedy(str(error))) from error


def stdin_bytes() -> bytes:
    """All of standard input as bytes, for `decode_text` (a text stream without bytes under
    it, as tests and embedding programs give, is encoded back as it came)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read().encode("utf-8", "surrogateescape")
    return buffer.read()
