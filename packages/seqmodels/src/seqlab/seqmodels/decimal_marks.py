"""Decimal commas in a series CSV, read as pandas' `read_csv(sep=';', decimal=',')` reads them.

Excel writes ';' between fields wherever the decimal mark is a comma (most of Europe), so a
';'-separated column whose every number uses a comma as its decimal mark (`101,88`, `-3`,
`1,5e3`) is read with it. Anything else with a comma in a number is ambiguous and refused in
one line that says so: a column that mixes `1,5` and `1.5` (is `1.500` one and a half or
fifteen hundred?), a thousands point (`1.234,5`) or space (`1 234,5`, with a space or a
no-break space as French Excel writes it), or a quoted `"1,5"` in a comma-separated file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from seqlab.seqmodels.missing_cells import is_missing

# a number whose decimal mark, if it has one, is a comma
_COMMA_NUMBER = re.compile(r"\s*[+-]?(\d+,?\d*|,\d+)([eE][+-]?\d+)?\s*")
# digits with a comma somewhere, with or without points: what a decimal comma looks like
_LOOKS_LIKE_COMMA_NUMBER = re.compile(r"\s*[+-]?[\d.]*\d[\d.]*,[\d.]*([eE][+-]?\d+)?\s*|"
                                      r"\s*[+-]?[\d.]*,[\d.]*\d[\d.]*([eE][+-]?\d+)?\s*")
# digits grouped by threes with a space, a no-break space or a narrow one: `1 234,5`
_SPACES = " \u00a0\u202f"
_SPACE_GROUPED = re.compile(rf"\s*[+-]?\d{{1,3}}([{_SPACES}]\d{{3}})+(,\d*)?([eE][+-]?\d+)?\s*")


def decimal_comma_column(cells: Iterable[str], delimiter: str) -> bool:
    """Whether a column is written with decimal commas: a ';'-separated file, every cell
    that is not missing a number with at most a comma for its decimal mark, and one with a
    comma at least."""
    if delimiter != ";":
        return False
    seen = False
    for cell in cells:
        if is_missing(cell):
            continue
        if not _COMMA_NUMBER.fullmatch(cell):
            return False
        seen = seen or "," in cell
    return seen


def space_thousands_refusal(cells: Iterable[str], column: str, where: Iterable[str],
                            delimiter: str) -> str | None:
    """The refusal of the first cell of a ';' column grouped by spaces (`1 234,5`), or None:
    found before any other cell is refused, so a column of `1,5` and `1 234,5` is told about
    its thousands separator rather than about mixed decimal marks. `where` gives each cell's
    place (file:line)."""
    if delimiter != ";":
        return None
    for cell, place in zip(cells, where, strict=True):
        if not is_missing(cell) and _SPACE_GROUPED.fullmatch(cell):
            return decimal_comma_refusal(cell, column, place, delimiter)
    return None


def decimal_comma_refusal(text: str, column: str, where: str, delimiter: str) -> str | None:
    """The one-line refusal of a cell with a comma in a number that seqlab does not read (see
    the module docstring), or None for a cell that does not look like one. Outside a ';'
    file the comma may as well be a thousands separator (`1,234`), so no number is suggested."""
    rule = ("decimal commas are read as pandas' read_csv(sep=';', decimal=',') reads them, in a "
            "';'-separated file where every number of the column has one (and no thousands "
            "separator)")
    if _SPACE_GROUPED.fullmatch(text):
        plain = "".join(c for c in text.strip() if c not in _SPACES)
        return (f"{where}: column {column!r} holds {text.strip()!r}, a number with a space as "
                f"its thousands separator, which is not read; {rule}; write it without the "
                f"spaces ({plain})")
    if not _LOOKS_LIKE_COMMA_NUMBER.fullmatch(text):
        return None
    if delimiter != ";":
        return (f"{where}: column {column!r} holds {text.strip()!r}, a number with a comma: "
                f"thousands separators are not read, and {rule}; write plain numbers (1234.5)")
    plain = text.strip().replace(".", "").replace(",", ".")
    return (f"{where}: column {column!r} holds {text.strip()!r}, a decimal comma where other "
            f"numbers of the column have none or a thousands point: {rule}; write the "
            f"column's numbers all one way (e.g. {plain})")
