"""`--columns S,T` of the seq2seq commands that read TSV pairs: the two fields of each line to
take as source and target, numbered from 1 as `cut -f` numbers them (Tatoeba and ManyThings
files are `en<TAB>fr<TAB>attribution`: `--columns 1,2`)."""

from __future__ import annotations

import re

import typer

from seqlab.cli.errors import EXIT_USAGE, CliError

HELP = ("The two tab-separated fields of each line to read as source and target, numbered "
        "from 1 as cut -f numbers them (1,2 for en<TAB>fr<TAB>attribution files; 2,1 swaps "
        "the sides). Default: each line must have exactly two.")
_LIBRARY_COLUMNS = re.compile(r"(pass )?columns=\((\d+), (\d+)\)")


def columns_option() -> str | None:
    """The --columns option (a `typer.Option` default)."""
    return typer.Option(None, "--columns", metavar="S,T", help=HELP)


def normalized_columns(value: str | None) -> str | None:
    """`value` as `S,T` (two different field numbers from 1), or a usage CliError."""
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts) or \
            min(int(part) for part in parts) < 1 or int(parts[0]) == int(parts[1]):
        raise CliError(f"--columns takes two different field numbers from 1, source first, "
                       f"as cut -f numbers them (e.g. --columns 1,2), got {value!r}",
                       code=EXIT_USAGE)
    return f"{int(parts[0])},{int(parts[1])}"


def require_pairs(columns: str | None, pairs: list | None) -> None:
    """A usage CliError when `--columns` is given without PAIRS files for it to choose from."""
    if columns is not None and not pairs:
        raise CliError("--columns chooses the fields of PAIRS files; give the files",
                       code=EXIT_USAGE)


def library_columns(value: str | None) -> tuple[int, int] | None:
    """The 0-based (source, target) field indices the pairs readers take for `S,T`."""
    if value is None:
        return None
    source, target = normalized_columns(value).split(",")
    return int(source) - 1, int(target) - 1


def pairs_message(message: str) -> str:
    """A pairs reader's message in the user's words: its `columns=(0, 1)` (0-based) becomes
    `--columns 1,2`."""
    return _LIBRARY_COLUMNS.sub(
        lambda found: f"{'give ' if found[1] else ''}--columns {int(found[2]) + 1},"
                      f"{int(found[3]) + 1}", message)
