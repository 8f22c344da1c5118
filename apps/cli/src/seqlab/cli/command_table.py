"""Every `seqlab` command and where it lives, and which one a command line names: so that a
command imports its own module only (each command module and what it imports at the top is
resident for the whole run: ~1.6 MB for the modules of the commands not run, 6 December),
and help, completion and "no such command" still see them all."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Any

# (command name, module under seqlab.cli.commands, its attribute, a group of subcommands?),
# in the order help lists them
COMMANDS: tuple[tuple[str, str, str, bool], ...] = (
    ("demo", "demo", "demo", False),
    ("train", "train", "train", False),
    ("generate", "generate", "generate", False),
    ("eval", "evaluate", "evaluate", False),
    ("info", "info", "info", False),
    ("corpora", "corpora", "corpora", False),
    ("inspect", "inspect", "inspect", False),
    ("gradients", "gradients", "gradients", False),
    ("ngram", "ngram", "app", True),
    ("word2vec", "word2vec", "app", True),
    ("tokenize", "tokenize", "app", True),
    ("classify", "classify", "app", True),
    ("forecast", "forecast", "app", True),
    ("seq2seq", "seq2seq", "app", True),
)
NAMES = tuple(name for name, *_ in COMMANDS)
# the root options that take a value (`seqlab --errors replace train ...`)
_VALUED_ROOT_OPTIONS = ("--errors",)


def named_command(args: Sequence[str]) -> str | None:
    """The command `args` (a command line without the program name) runs, or None where every
    command is needed: root help or no command, a root option other than --errors, an unknown
    command name (its error suggests the nearest), or shell completion."""
    if any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ):
        return None  # Click's shell completion walks the whole tree
    position = 0
    while position < len(args):
        word = args[position]
        if word in _VALUED_ROOT_OPTIONS:
            position += 2
        elif word.startswith(tuple(f"{option}=" for option in _VALUED_ROOT_OPTIONS)):
            position += 1
        else:
            return word if word in NAMES else None
    return None


def command_target(name: str) -> tuple[Any, bool]:
    """The function (or Typer group) of command `name`, imported now, and whether a group."""
    for command, module_name, attribute, group in COMMANDS:
        if command == name:
            module = importlib.import_module(f"seqlab.cli.commands.{module_name}")
            return getattr(module, attribute), group
    raise KeyError(name)
