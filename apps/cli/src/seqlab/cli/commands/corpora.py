"""`seqlab corpora`: the embedded corpora and evaluation sets, with sizes."""

from __future__ import annotations

import typer

from seqlab.cli.console import Output, stdout


def corpora(as_json: bool = typer.Option(False, "--json", help="One JSON object.")) -> None:
    """List the corpora that ship with seqlab's dependencies (usable offline by name).

    Example: seqlab corpora
    """
    from seqlab.nlp import corpora as embedded

    infos = embedded.list()
    output = Output(as_json=as_json)
    if as_json:
        output.result({"corpora": [
            {"name": i.name, "kind": i.kind, "description": i.description,
             "size_bytes": i.size_bytes, "records": i.records} for i in infos]})
        return
    from rich.table import Table  # when drawn: ~1.3 MB with decimal

    table = Table("name", "kind", "size", "records", "what")
    for i in infos:
        table.add_row(i.name, i.kind, f"{i.size_bytes / 1024:,.0f} KiB",
                      "" if i.records is None else f"{i.records:,}", i.description)
    stdout.print(table)
