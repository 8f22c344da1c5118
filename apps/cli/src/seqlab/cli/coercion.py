"""Option values turned into Python values without loading Pydantic.

Typer 0.29 coerces every parameter's string through a Pydantic `TypeAdapter`, so parsing the
options of any command imports Pydantic (about 11 MB resident, 42 modules: `email`, `zoneinfo`,
`importlib.metadata` ...), more than the rest of what `seqlab tokenize train` needs to count a
corpus. seqlab's options are all `bool`, `int`, `float`, `str`, `Path` or lists of `str` and
`Path`, with no bounds or parsers given to Typer (ranges are checked by `params`), and for those
the rules Pydantic applies in lax mode are short: this module applies the same rules, with the
same messages (`tests/cli/test_coercion.py` compares both on thousands of strings).

Typer has no public switch for this: `install` sets the parameter's `_runtime_param`, the lazy
slot Typer fills on first use, to one of Typer's own `RuntimeParam` classes. Where Typer's
internals differ (another version), or a parameter has anything else (bounds, a parser, another
type), nothing is installed and Typer's own coercion runs, as before.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

try:
    from typer._click.exceptions import BadParameter
    from typer._coercion import RuntimeParam
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover - another typer: its own coercion runs
    RuntimeParam = None

# What Pydantic strips from a number (Unicode White_Space, as Rust's `str::trim`)
_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# An integer: digits with single underscores between them, and optionally a fraction of zeros
_INTEGER = re.compile(r"[+-]?([0-9]+(?:_[0-9]+)*)(?:\.0+)?")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})

INTEGER_ERROR = "Input should be a valid integer, unable to parse string as an integer"
NUMBER_ERROR = "Input should be a valid number, unable to parse string as a number"
FRACTION_ERROR = "Input should be a valid integer, got a number with a fractional part"
FINITE_ERROR = "Input should be a finite number"
BOOLEAN_ERROR = "Input should be a valid boolean, unable to interpret input"


def parse_int(value: Any) -> int:
    """An int option's value, as Pydantic's lax mode parses it (ValueError otherwise)."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(FINITE_ERROR if not math.isfinite(value) else FRACTION_ERROR)
    if isinstance(value, str):
        text = value.strip(_WHITESPACE)
        # (Pydantic 2 also reads "0-9" as -9: a sign after leading zeros; refused here)
        match = _INTEGER.fullmatch(text) if text.isascii() else None
        if match is not None:
            return int(text.split(".", 1)[0])
    raise ValueError(INTEGER_ERROR)


def parse_float(value: Any) -> float:
    """A float option's value, as Pydantic's lax mode parses it (ValueError otherwise)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip(_WHITESPACE)
        # Pydantic drops underscores anywhere but at the ends or doubled ("1_.5", "in_f"),
        # in text with no surrounding space; float() also takes other digits (Arabic-Indic
        # ...) and strips more than Pydantic
        plain = "_" not in text or (text == value and text[0] != "_" and text[-1] != "_"
                                    and "__" not in text)
        if (plain and text and text.isascii()
                and not (text[0].isspace() or text[-1].isspace())):
            try:
                return float(text.replace("_", ""))
            except ValueError:
                pass
    raise ValueError(NUMBER_ERROR)


def parse_bool(value: Any) -> bool:
    """A bool option's value given as text (an environment variable, a default)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":  # Typer reads an empty value as False
            return False
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
    raise ValueError(BOOLEAN_ERROR)


def parse_str(value: Any) -> str:
    """A str option's value (bytes decoded as UTF-8, as Typer does on POSIX)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


_SCALARS = {int: parse_int, float: parse_float, bool: parse_bool, str: parse_str}
_LISTS = {list[str]: str, list[Path]: Path}


if RuntimeParam is not None:

    class LightRuntimeParam(RuntimeParam):
        """Typer's runtime coercion contract, for seqlab's plain option types."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation = self.annotation
            if annotation in _LISTS:
                items = value if isinstance(value, (list, tuple)) else [value]
                return [self._one(_LISTS[annotation], item, param, ctx) for item in items]
            return self._one(annotation, value, param, ctx)

        def _one(self, annotation: Any, value: Any, param: Any, ctx: Any) -> Any:
            if annotation is Path:
                path = value if isinstance(value, Path) else Path(parse_str(value))
                return coerce_cli_path(path, self.parameter_info, path_type=Path, param=param,
                                       ctx=ctx)
            try:
                return _SCALARS[annotation](value)
            except ValueError as error:
                raise BadParameter(str(error), ctx=ctx, param=param) from None


def _plain(param: Any) -> bool:
    """Whether Typer would coerce `param` with a plain adapter this module reproduces."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return False
    info = descriptor.parameter_info
    if any(getattr(info, name, None) is not None for name in ("min", "max", "parser")):
        return False
    if getattr(info, "clamp", False) or getattr(info, "path_type", None) is not None:
        return False
    annotation = descriptor.annotation
    if descriptor.file_annotation is not None or descriptor.is_choice:
        return False
    return annotation in _SCALARS or annotation is Path or annotation in _LISTS


def install(param: Any) -> bool:
    """Give `param` this module's coercion when it is one of the plain types; whether it did."""
    if RuntimeParam is None or not _plain(param):
        return False
    descriptor = param.type_descriptor
    param._runtime_param = LightRuntimeParam(parameter_info=descriptor.parameter_info,
                                             annotation=descriptor.annotation)
    return True


def install_all(command: Any) -> None:
    """`install` on every parameter of `command`, including the --help option the framework
    makes on first use (through the public `get_help_option(ctx)`)."""
    for param in getattr(command, "params", ()):
        install(param)
    original = getattr(command, "get_help_option", None)
    if RuntimeParam is None or original is None or getattr(original, "_seqlab_light", False):
        return

    def get_help_option(ctx: Any) -> Any:
        option = original(ctx)
        if option is not None:
            install(option)
        return option

    get_help_option._seqlab_light = True
    command.get_help_option = get_help_option
