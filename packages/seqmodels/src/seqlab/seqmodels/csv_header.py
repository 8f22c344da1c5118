"""What the header line of a CSV file tells its readers (series for forecasting, labelled
texts for classification): the delimiter, and whether the file has a header row at all.

The delimiter: the extension's (tab for .tsv/.tab, else a comma) when it splits the header
line into columns, else the first of `, ; tab |` that does. Excel writes ';' wherever the
decimal mark is a comma (most of Europe), and tab- or '|'-separated files are often named
.csv. The header names the columns the user asks for, so it is a sure sample: `csv.Sniffer`
guesses from how often characters repeat across lines, and on one line can pick a character
inside a quoted column name. A file that read before reads the same (its header split at
the extension's delimiter), so no --delimiter option is needed for what the header shows.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

CANDIDATES = (",", ";", "\t", "|")
_FIRST_LINE_BYTES = 1 << 20


def extension_delimiter(path: Path) -> str:
    """Tab for .tsv and .tab files, else a comma."""
    return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","


def sniff_delimiter(header_line: str, default: str = ",") -> str:
    """The delimiter the header line is written with (see the module docstring)."""
    for delimiter in (default, *CANDIDATES):
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        if len(fields) > 1:
            return delimiter
    return default


def file_delimiter(path: Path) -> str:
    """The delimiter of a CSV/TSV file, from its first line (a byte-order mark dropped)."""
    with open(path, "rb") as stream:
        first = stream.readline(_FIRST_LINE_BYTES)
    line = first.decode("utf-8", "replace").removeprefix("\ufeff").rstrip("\r\n")
    return sniff_delimiter(line, extension_delimiter(path))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def missing_column(path: Path, name: str, option: str, header: Sequence[str],
                   requested: Sequence[str], delimiter: str) -> ValueError:
    """The error for a column the header lacks; it says the first row was read as the header
    when that row looks like data (a number in it, or none of several asked-for names)."""
    message = (f"{path} has no column {name!r} (its columns: {', '.join(header)}); name the "
               f"right one with {option}")
    looks_like_data = any(_is_number(field) for field in header) or (
        len(requested) > 1 and not any(column in header for column in requested))
    if looks_like_data:
        example = ("<TAB>" if delimiter == "\t" else delimiter).join(requested)
        message += (". The first row is read as the header: if the file has no header row, "
                    f"add one naming the columns (e.g. {example})")
    return ValueError(message)
