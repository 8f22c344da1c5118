"""Checks every command's options get without repeating them per command.

`harden(command)` walks the whole command tree once at start-up and adds a callback to
- every float option or argument: NaN and infinities are refused (`--lr nan`, `--k inf`), since
  no seqlab setting means anything there and a NaN slips through every `<`/`>` range check;
- every `--seed`: negative seeds are refused (NumPy's generators cannot take them);
- every numeric option `option_ranges` names: a value outside its range is refused in one line;
- every file or folder (`path_options`): `~` is expanded and an empty value refused.
New commands get the checks by being registered, nothing else.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable
from typing import Any

import typer

from seqlab.cli.option_ranges import Range, range_of
from seqlab.cli.path_options import add_path_checks, is_path_parameter


def _finite(value: Any) -> Any:
    values = value if isinstance(value, (list, tuple)) else [value]
    for item in values:
        if isinstance(item, float) and not math.isfinite(item):
            raise typer.BadParameter(f"{item} is not a finite number; give a real value")
    return value


def _non_negative_seed(value: Any) -> Any:
    if isinstance(value, int) and value < 0:
        raise typer.BadParameter(f"{value} is negative; seeds are integers >= 0")
    return value


def _chain(check: Callable[[Any], Any], previous: Callable | None) -> Callable:
    def callback(ctx, param, value):
        value = check(value)
        return previous(ctx, param, value) if previous is not None else value

    return callback


def _annotation(param: Any) -> Any:
    """The parameter's Python type: typer 0.29 keeps it; older typer has click types, whose
    integer type is named "integer" by click and "int" by the click that typer 0.28 vendors,
    and an option with its own `parser=` (as `--clip`) has the parser's return type."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        return descriptor.annotation
    parser = getattr(getattr(param, "type", None), "func", None)
    if parser is not None:
        return typing.get_type_hints(parser).get("return")
    name = getattr(getattr(param, "type", None), "name", None)
    scalar = {"float": float, "integer": int, "int": int}.get(name)
    return list[scalar] if scalar and getattr(param, "multiple", False) else scalar


def _in_range(allowed: Range, option: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        allowed.check(option, value)
        return value

    return check


def _long_option(param: Any) -> str | None:
    return next((name for name in getattr(param, "opts", ()) if name.startswith("--")), None)


def harden(command: Any, path: str = "") -> Any:
    """Add the checks above to every parameter of `command` and its subcommands (`path`:
    the command's name below `seqlab`, as `option_ranges` keys it); returns it."""
    for param in getattr(command, "params", ()):
        annotation = _annotation(param)
        if annotation is float or annotation == list[float]:
            param.callback = _chain(_finite, param.callback)
        elif param.name == "seed" and annotation is int:
            param.callback = _chain(_non_negative_seed, param.callback)
        if is_path_parameter(param):
            add_path_checks(param)
        option = _long_option(param)
        allowed = range_of(path, option) if option and annotation in (int, float) else None
        if allowed is not None:
            param.callback = _chain(_in_range(allowed, option), param.callback)
    for name, sub in getattr(command, "commands", {}).items():
        harden(sub, f"{path} {name}".strip())
    return command
