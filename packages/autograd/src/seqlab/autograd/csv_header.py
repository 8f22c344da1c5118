"""What the header line of a CSV file tells its readers (series for forecasting, labelled
texts for classification): the delimiter, and whether the file has a header row at all.

The delimiter: the extension's (tab for .tsv/.tab, else a comma) when it yields every column
the reader asks for (a single column named "sales;eur" stays one column) or, with no columns
asked for, splits the header line; else the first of `, ; tab |` that yields them all, else
the first that splits the line. Excel writes ';' wherever the
decimal mark is a comma (most of Europe), and tab- or '|'-separated files are often named
.csv. The header names the columns the user asks for, so it is a sure sample: `csv.Sniffer`
guesses from how often characters repeat across lines, and on one line can pick a character
inside a quoted column name. A file that read before reads the same (its header split at
the extension's delimiter), so no --delimiter option is needed for what the header shows.

It lives in `seqlab.autograd`, the package below both readers (`seqlab.seqmodels.forecasting`
and `seqlab.nlp.corpora.labelled`), whose package import is light: reading a labelled table
loads neither seqmodels nor Numba.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

CANDIDATES = (",", ";", "\t", "|")


def extension_delimiter(path: Path) -> str:
    """Tab for .tsv and .tab files, else a comma."""
    return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","


def sniff_delimiter(header_line: str, default: str = ",", columns: Sequence[str] = ()) -> str:
    """The delimiter the header line is written with, given the columns the reader asks for
    (see the module docstring)."""
    order = (default, *CANDIDATES)
    split = {d: [f.strip() for f in next(csv.reader([header_line], delimiter=d), [])]
             for d in order}
    wanted = set(columns)
    if wanted:
        for delimiter in order:
            if wanted <= set(split[delimiter]):
                return delimiter
    for delimiter in order:
        if len(split[delimiter]) > 1:
            return delimiter
    return default


def line_delimiter(first_line: str, path: Path, columns: Sequence[str] = ()) -> str:
    """The delimiter of a CSV/TSV file whose first line (as read) is `first_line`."""
    line = first_line.removeprefix("\ufeff").rstrip("\r\n")
    return sniff_delimiter(line, extension_delimiter(path), columns)


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
