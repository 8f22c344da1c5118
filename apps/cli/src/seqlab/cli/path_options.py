"""The one rule for every file or folder a command takes (an argument or an option): `~` and
`~user` at the start are expanded, and an empty value is refused.

The shell expands `~/x` as a word of its own, but not in `--out=~/x` or `--out "~/x"`; seqlab
expands it there too, as git does for its path options, so the file, its lock, its checkpoints
and its caches all go to the home folder (expanding it in a few checks only once wrote the
files into a folder named `~` in the working folder while the lock sat in the home folder).
An empty value (`""`, an unset `"$CORPUS"` in a script) would be `Path("")`, which is the
current folder: a command would read every file under it, or fail on an output with no name.

`add_path_checks(param)` wraps the conversion of a path parameter (Typer's path type, or
click's) so that it sees the raw text: after conversion `""` and `"."` can no longer be told
apart. `params.harden` applies it to every such parameter of every command.
"""

from __future__ import annotations

import os
from typing import Any

import typer

# the names Typer's and click's path types give themselves (by what they accept)
_PATH_TYPES = ("path", "file", "directory")


def user_path(text: str) -> str:
    """`text` with a leading `~` or `~user` expanded; a BadParameter for an empty value."""
    if text == "":
        raise typer.BadParameter("the path is empty; give a file or folder name (an unset "
                                 "shell variable gives an empty one)")
    return os.path.expanduser(text) if text.startswith("~") else text


def is_path_parameter(param: Any) -> bool:
    """Whether `param` takes a file or folder path (Typer's or click's path type)."""
    return getattr(getattr(param, "type", None), "name", None) in _PATH_TYPES


def add_path_checks(param: Any) -> None:
    """Make `param`'s type apply `user_path` to each value given as text before converting it."""
    kind = param.type
    convert = kind.convert

    def checked(value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            value = user_path(value)
        return convert(value, param, ctx)

    kind.convert = checked
