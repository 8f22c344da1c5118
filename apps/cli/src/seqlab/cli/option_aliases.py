"""Options renamed for consistency whose old spelling still works, hidden from the help.

A renamed option keeps its old name as a second, hidden parameter, so users' scripts do not
break: `word2vec train --workers` (now `--threads`, as every trainer), `forecast predict
--steps` (now `--horizon`: `--steps` counts optimizer steps elsewhere), `seq2seq --max-len`
(now `--max-length`, as classify's).
"""

from __future__ import annotations

from typing import TypeVar

import typer

from seqlab.cli.errors import EXIT_USAGE, CliError

T = TypeVar("T")


def old_spelling(name: str) -> typer.models.OptionInfo:
    """A hidden option `name`, the old spelling of a renamed one (None when not given)."""
    return typer.Option(None, name, hidden=True)


def renamed(value: T | None, old_value: T | None, name: str, old_name: str,
            default: T | None = None) -> T | None:
    """The option's value given as `name` or as its old spelling `old_name`, else `default`;
    a CliError when both are given with different values."""
    if old_value is None:
        return default if value is None else value
    if value is not None and value != old_value:
        raise CliError(f"{old_name} is the old spelling of {name}; give one of them, not "
                       f"{name} {value} and {old_name} {old_value}", code=EXIT_USAGE)
    return old_value
