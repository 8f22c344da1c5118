"""A root option (`seqlab --errors ...`) given after a command: say where it goes."""

from __future__ import annotations

from typing import Any


def root_option_hint(error: Any, where: str) -> str | None:
    """For a NoSuchOption naming one of seqlab's own options (given after the command, where
    the command does not know it): one line saying it goes before the command."""
    name = getattr(error, "option_name", None)
    ctx = getattr(error, "ctx", None)
    if type(error).__name__ != "NoSuchOption" or not name or ctx is None:
        return None
    root = ctx.find_root()
    if root is ctx:
        return None
    for param in root.command.params:
        if name in getattr(param, "opts", ()):
            value = f" {param.metavar}" if getattr(param, "metavar", None) else ""
            command = " ".join(where.split()[1:])
            return (f"{name} is an option of seqlab itself, not of '{where}': it goes before "
                    f"the command (seqlab {name}{value} {command} ...)")
    return None
