"""Labelled text for classification: CSV/TSV, JSONL, a folder per class, or an embedded set.

- CSV or TSV with a header naming a label column and a text column; the header line gives
  the delimiter (`seqlab.autograd.csv_header`: the extension's, tab for .tsv/.tab and a
  comma otherwise, else `;`, tab or `|`);
- JSONL: one object per line with those keys;
- a folder with one subfolder per class holding text files (scikit-learn's `load_files`
  layout): every file is one example labelled by its subfolder.

Text is UTF-8; a byte-order mark (U+FEFF, as Excel's "CSV UTF-8" writes) at the start of a
file is dropped, as the `utf-8-sig` codec does. `errors` ('strict', 'replace', 'ignore') is what
decoding does with bytes that are not UTF-8, as in `seqlab.nlp.corpora.reading`.

The embedded default (`source_passages()`) is real text labelled by where it comes from:
40-word passages of the Lee news corpus ("news") and of the shortened English Wikipedia dump
("encyclopedia") that ship with gensim: topic/source attribution, P(text | source). No package
we depend on ships a larger human-labelled set (gensim's Pang & Lee sentences are 200).
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seqlab.autograd.csv_header import line_delimiter, missing_column
from seqlab.autograd.wide_text import not_utf8_message
from seqlab.nlp.corpora.reading import decode_utf8
from seqlab.nlp.corpora.special_files import special_file_message

PASSAGE_WORDS = 40
ENCODING = "utf-8-sig"  # UTF-8 whose byte-order mark, at the start of a file only, is dropped


@dataclass
class LabelledTexts:
    """Texts, their labels (strings), and where each came from ("file:line" or a file)."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)

    def extend(self, other: LabelledTexts) -> None:
        self.texts.extend(other.texts)
        self.labels.extend(other.labels)
        self.origins.extend(other.origins)

    def __len__(self) -> int:
        return len(self.texts)


def _read(path: Path, errors: str = "strict") -> str:
    data = path.read_bytes()
    try:
        return decode_utf8(data, errors)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None


def _not_utf8(path: Path) -> ValueError:
    """Where `path` is not UTF-8 (a text stream's error knows neither line nor byte), or that
    it is UTF-16/32 text and the iconv line that converts it."""
    return ValueError(not_utf8_message(path))


def _check_text(text: str, origin: str) -> str:
    if not text.strip():
        raise ValueError(f"{origin}: the text is empty; remove the row or give it some text")
    return text


def _collect(rows: Iterable[tuple[str, str, str]]) -> LabelledTexts:
    data = LabelledTexts()
    for text, label, origin in rows:
        data.texts.append(text)
        data.labels.append(label)
        data.origins.append(origin)
    return data


def read_table(path: Path, label_column: str = "label", text_column: str = "text",
               delimiter: str | None = None, errors: str = "strict") -> LabelledTexts:
    """A CSV or TSV file with a header naming `label_column` and `text_column`."""
    return _collect(iter_table(path, label_column, text_column, delimiter, errors))


def iter_table(path: Path, label_column: str = "label", text_column: str = "text",
               delimiter: str | None = None,
               errors: str = "strict") -> Iterator[tuple[str, str, str]]:
    """(text, label, origin) rows of a CSV or TSV file, streamed (the csv module's reading:
    quoted fields may hold newlines and delimiters; CRLF and LF line ends; a field's CRLF
    and CR read as LF). Without `delimiter`, the header line gives it (read once, so a pipe
    keeps it)."""
    # no field is longer than the file: a long one is read, not refused
    limit = csv.field_size_limit()
    with open(path, encoding=ENCODING, errors=errors, newline="") as stream:
        lines: Iterable[str] = stream
        if delimiter is None:
            try:
                first = stream.readline()
            except UnicodeDecodeError:
                raise _not_utf8(path) from None
            delimiter = line_delimiter(first, path, (label_column, text_column))
            lines = itertools.chain([first], stream)
        # a quoted CSV field may hold newlines; a TSV field is taken as written (no quoting),
        # so a stray quote mark never swallows the rows after it
        quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
        csv.field_size_limit(max(limit, min(path.stat().st_size + 1, sys.maxsize // 2)))
        try:
            yield from _read_rows(path, lines, delimiter, quoting, label_column, text_column)
        finally:
            csv.field_size_limit(limit)


def _read_rows(path: Path, stream: Iterable[str], delimiter: str, quoting: int, label_column: str,
               text_column: str) -> Iterator[tuple[str, str, str]]:
    rows = csv.reader(stream, delimiter=delimiter, quoting=quoting)
    try:
        header = next(rows)
    except StopIteration:
        raise ValueError(f"{path} is empty: expected a header row naming the columns") from None
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    for name, option in ((label_column, "--label-column"), (text_column, "--text-column")):
        if name not in header:
            raise missing_column(path, name, option, header, (label_column, text_column),
                                 delimiter)
    label_at, text_at = header.index(label_column), header.index(text_column)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            raise ValueError(f"{path}:{rows.line_num}: {error}") from error
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
        number = rows.line_num
        if not row:
            continue
        if len(row) != len(header):
            raise ValueError(f"{path}:{number}: {len(row)} fields where the header has "
                             f"{len(header)}; quote fields that contain the delimiter")
        origin = f"{path}:{number}"
        yield (_check_text(_lf(row[text_at]), origin), _check_label(_lf(row[label_at]), origin),
               origin)


def _lf(field: str) -> str:
    """A field's "\\r\\n" and "\\r" as "\\n", as text mode reads them (and JSONL and folders)."""
    return field.replace("\r\n", "\n").replace("\r", "\n") if "\r" in field else field


def _check_label(label: object, origin: str) -> str:
    text = str(label).strip() if label is not None else ""
    if not text:
        raise ValueError(f"{origin}: the label is empty; remove the row or give it a label")
    return text


def read_jsonl(path: Path, label_column: str = "label", text_column: str = "text",
               errors: str = "strict") -> LabelledTexts:
    """A JSONL file: one object per line with `label_column` and `text_column` keys."""
    return _collect(iter_jsonl(path, label_column, text_column, errors))


def iter_jsonl(path: Path, label_column: str = "label", text_column: str = "text",
               errors: str = "strict") -> Iterator[tuple[str, str, str]]:
    """(text, label, origin) rows of a JSONL file, streamed line by line."""
    with open(path, encoding=ENCODING, errors=errors) as stream:
        number = 0
        while True:
            try:
                line = stream.readline()
            except UnicodeDecodeError:
                raise _not_utf8(path) from None
            if not line:
                break
            number += 1
            if not line.strip():
                continue
            origin = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{origin}: not valid JSON ({error.msg})") from error
            if not isinstance(record, dict):
                raise ValueError(f"{origin}: expected a JSON object per line")
            for name, option in ((label_column, "--label-column"),
                                 (text_column, "--text-column")):
                if name not in record:
                    raise ValueError(f"{origin} has no key {name!r} (its keys: "
                                     f"{', '.join(record)}); name the right one with {option}")
            text = record[text_column]
            if not isinstance(text, str):
                raise ValueError(f"{origin}: {text_column!r} is not a string")
            yield (_check_text(text, origin), _check_label(record[label_column], origin),
                   origin)


def read_folder(path: Path, errors: str = "strict") -> LabelledTexts:
    """One subfolder per class holding text files (scikit-learn's `load_files` layout)."""
    return _collect(iter_folder(path, errors))


def iter_folder(path: Path, errors: str = "strict") -> Iterator[tuple[str, str, str]]:
    """(text, label, origin) of every file of a folder of class subfolders, a file at a time."""
    classes = sorted(child for child in path.iterdir()
                     if child.is_dir() and not child.name.startswith("."))
    if not classes:
        raise ValueError(f"folder {path} has no subfolders: put each class's text files in a "
                         "subfolder named after the class")
    found = False
    for folder in classes:
        files = sorted(f for f in folder.rglob("*") if f.is_file() and
                       not f.name.startswith("."))
        for file in files:
            found = True
            yield _check_text(_read(file, errors), str(file)), folder.name, str(file)
    if not found:
        raise ValueError(f"the class subfolders of {path} hold no files")


def read_labelled(path: str | Path, label_column: str = "label", text_column: str = "text",
                  errors: str = "strict") -> LabelledTexts:
    """Labelled texts from a CSV/TSV file, a JSONL file or a folder of class subfolders."""
    return _collect(iter_labelled(path, label_column, text_column, errors))


def iter_labelled(path: str | Path, label_column: str = "label", text_column: str = "text",
                  errors: str = "strict") -> Iterator[tuple[str, str, str]]:
    """(text, label, origin) rows of a CSV/TSV file, a JSONL file or a folder of class
    subfolders, streamed: one row (one file of a folder) is held at a time. The path is
    checked when this is called, the rows as they are read."""
    path = Path(path)
    if path.is_dir():
        return iter_folder(path, errors)
    if not path.is_file():
        special = special_file_message(path, "data")
        if special is not None:
            raise ValueError(special)
        raise FileNotFoundError(f"data not found: {path} (check the path)")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return iter_jsonl(path, label_column, text_column, errors)
    if path.suffix.lower() in (".csv", ".tsv", ".tab"):
        return iter_table(path, label_column, text_column, errors=errors)
    compressed = _compressed_table(path)
    if compressed is not None:
        raise ValueError(compressed)
    raise ValueError(f"{path}: give a .csv, .tsv, .jsonl file or a folder with one subfolder "
                     "per class")


def _passages(text: str, words: int) -> list[str]:
    tokens = text.split()
    return [" ".join(tokens[start : start + words])
            for start in range(0, len(tokens) - words + 1, words)]


def source_passages(per_class: int | None = None, words: int = PASSAGE_WORDS) -> LabelledTexts:
    """The embedded default: news vs encyclopedia passages (see the module docstring).

    Each class gets the same number of passages (the smaller class's count, or `per_class`);
    encyclopedia passages are taken evenly across the Wikipedia articles.
    """
    from seqlab.nlp.corpora.embedded import load

    news = [passage for story in load("lee") for passage in _passages(story, words)]
    articles = [passage for article in load("wiki")
                for passage in _passages(article.text, words)]
    count = min(len(news), len(articles), per_class or len(news))
    every = len(articles) / count
    encyclopedia = [articles[int(index * every)] for index in range(count)]
    data = LabelledTexts()
    for label, passages in (("news", news[:count]), ("encyclopedia", encyclopedia)):
        for number, passage in enumerate(passages):
            data.texts.append(passage)
            data.labels.append(label)
            data.origins.append(f"embedded:{label}:{number}")
    return data


def _compressed_table(path: Path) -> str | None:
    """The line for a compressed table (rows.csv.gz), with the command that decompresses it."""
    from seqlab.autograd.compressed_text import compressed_message

    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return None
    return compressed_message(str(path), head, str(path), stdin=False)
