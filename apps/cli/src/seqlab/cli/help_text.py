"""Command help as the terminal should wrap it.

Typer (rich markup mode) keeps the single line breaks of a docstring's later paragraphs, so a
paragraph wrapped at 90 columns in the source came out ragged in an 80-column terminal ("(a
folder is refused), as" / "text otherwise; ..."). Here each prose paragraph (no indented line)
becomes one line for Rich to wrap; an indented block (Examples) keeps its lines.
"""

from __future__ import annotations

import inspect
from typing import Any


def unwrapped(help_text: str) -> str:
    """`help_text` with each prose paragraph on one line; indented blocks unchanged."""
    paragraphs = inspect.cleandoc(help_text).split("\n\n")
    return "\n\n".join(paragraph if _has_indented_line(paragraph)
                       else " ".join(line.strip() for line in paragraph.splitlines())
                       for paragraph in paragraphs)


def _has_indented_line(paragraph: str) -> bool:
    return any(line[:1].isspace() for line in paragraph.splitlines())


def unwrap_help(command: Any) -> Any:
    """Unwrap the help of `command` and of every command below it; returns `command`."""
    if getattr(command, "help", None):
        command.help = unwrapped(command.help)
    for sub in getattr(command, "commands", {}).values():
        unwrap_help(sub)
    return command
