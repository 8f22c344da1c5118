"""An argument that is either text or the name of a file of text: the rule `seqlab seq2seq
translate` and `seqlab tokenize encode` share."""

from __future__ import annotations

import re
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
    path but names no file is a CliError (add --text to take it as text)."""
    path = Path(text)
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


def decode_text(data: bytes, what: str, path: Path | None = None,
                remedy: str = "give a text file") -> str:
    """`data` (all of a small input: a prompt, a passage) as strict UTF-8 text, a byte-order
    mark at its start dropped as the corpus readers drop it; UTF-16/32 text, undecodable bytes
    or NUL bytes are a CliError naming `what` (iconv's line names `path`, FILE if None)."""
    from seqlab.nlp.corpora.wide_text import SNIFF_BYTES, wide_text_message

    wide = wide_text_message(what, data[:SNIFF_BYTES], None if path is None else str(path))
    if wide is not None:
        raise CliError(wide)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CliError(f"{what} is not UTF-8 text (invalid byte at offset {error.start}); "
                       "give UTF-8 text, or convert it (e.g. iconv -t utf-8)") from error
    if "\x00" in text:
        raise CliError(f"{what} holds NUL bytes (offset {text.index(chr(0))}): it looks like a "
                       f"binary file, not text; {remedy}")
    return text.removeprefix("\ufeff")
