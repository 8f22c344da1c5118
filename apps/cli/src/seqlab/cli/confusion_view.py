"""The confusion matrix in the terminal: the whole matrix while it fits the width, else each
class's most frequent wrong predictions (the whole matrix stays in `--json`)."""

from __future__ import annotations

from typing import Any

MOST_CONFUSED = 3  # wrong predictions named per class when the matrix is too wide


def matrix_width(labels: list[str], confusion: list[list[int]]) -> int:
    """Columns the whole matrix takes, as Rich draws a table with no box (a space each side
    of every cell)."""
    from rich.cells import cell_len

    row_header = max(cell_len(label) for label in labels)
    columns = [max(cell_len(label), *(len(str(row[j])) for row in confusion))
               for j, label in enumerate(labels)]
    return sum(width + 2 for width in (row_header, *columns))


def confusion_table(report: dict[str, Any], width: int) -> Any:
    """The confusion matrix as a Rich table (rows actual labels, columns predicted) when it
    fits in `width` columns, else one row per actual label with its count, how many were
    right and the labels most often predicted instead."""
    from rich.table import Table

    labels, confusion = report["labels"], report["confusion"]
    if matrix_width(labels, confusion) <= width:
        table = Table(title="confusion (rows: actual, columns: predicted)", box=None)
        table.add_column("")
        for label in labels:
            table.add_column(label, justify="right")
        for label, row in zip(labels, confusion, strict=True):
            table.add_row(label, *(str(count) for count in row))
        return table
    # a short title: the result console soft-wraps, so a long one would run past the width
    table = Table(title="confusion: each class's commonest mistakes (all: --json)", box=None)
    table.add_column("actual", overflow="fold")
    table.add_column("texts", justify="right")
    table.add_column("right", justify="right")
    table.add_column("predicted instead (count)", overflow="fold")
    for index, (label, row) in enumerate(zip(labels, confusion, strict=True)):
        wrong = sorted(((count, j) for j, count in enumerate(row) if j != index and count),
                       key=lambda pair: (-pair[0], pair[1]))
        named = [f"{labels[j]} ({count})" for count, j in wrong[:MOST_CONFUSED]]
        if len(wrong) > MOST_CONFUSED:
            named.append(f"{len(wrong) - MOST_CONFUSED} more")
        table.add_row(label, str(sum(row)), str(row[index]), ", ".join(named) or "-")
    return table


def per_class_table(report: dict[str, Any]) -> Any:
    """Precision, recall, F1 and support of each class, one row per class."""
    from rich.table import Table

    table = Table(box=None)
    table.add_column("class", overflow="fold")
    for name in ("precision", "recall", "F1", "support"):
        table.add_column(name, justify="right")
    for label in report["labels"]:
        scores = report["per_class"][label]
        table.add_row(label, *(f"{scores[key]:.4f}" for key in ("precision", "recall", "f1")),
                      f"{scores['support']:,}")
    return table
