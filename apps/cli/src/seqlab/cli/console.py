"""Where output goes: results to stdout, progress and messages to stderr (Rich, NO_COLOR aware).

User data (text, tokens, words, labels, file names, option values) is never read as Rich
markup: both consoles have markup and emoji codes off, so a string printed or put in a table
is shown as written (`[/]`, `[b]x[/b]`, `list[0]`, `:smile:`). Styling is given as `styled`
pieces, never as markup in a string. A command's result text goes out through plain writes,
byte for byte: no tab expansion, no control characters dropped (a decode prints exactly what
encode read).
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from seqlab.cli import json_text


class _MessageConsole(Console):
    """The stderr console. When the reader of stderr goes away, messages stop (stderr is
    pointed at /dev/null) and the command goes on to finish its work with its own exit code.
    Rich's default would exit 1 and point *stdout* at /dev/null, whichever stream broke."""

    def on_broken_pipe(self) -> None:
        from seqlab.cli.closed_pipe import point_at_devnull

        self.quiet = True
        point_at_devnull(self.file)


stdout = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
stderr = _MessageConsole(stderr=True, highlight=False, markup=False, emoji=False)


def styled(*pieces: str | tuple[str, str]) -> Text:
    """A line from plain strings and (string, style) pairs: `styled(("warning:", "yellow"),
    " ", message)`. Every string is taken literally."""
    return Text.assemble(*pieces)


def message(label: tuple[str, str], text: str) -> None:
    """An `error:` or `warning:` line on stderr (`label` is its word and style), one rule for
    both: in a terminal it wraps at word boundaries to the terminal's width; written to a file
    or a pipe it stays one line (a log keeps one line per message, for grep)."""
    stderr.print(styled(label, " ", text), soft_wrap=not stderr.is_terminal)


class Output:
    """Per-command output settings: --quiet and --json."""

    latest: Output | None = None  # the running command's (compile_note reads its settings)

    def __init__(self, quiet: bool = False, as_json: bool = False) -> None:
        self.quiet = quiet
        self.as_json = as_json
        Output.latest = self

    @property
    def show_progress(self) -> bool:
        return not self.quiet and not self.as_json

    def info(self, message: str | Text) -> None:
        """A status line on stderr (hidden by --quiet and --json); a str is shown as written."""
        if self.show_progress:
            stderr.print(message)

    def warn(self, text: str) -> None:
        """A warning on stderr (always shown); `text` is shown as written."""
        message(("warning:", "yellow"), text)

    def result(self, data: dict[str, Any], human: str | None = None, wrap: bool = False) -> None:
        """The command's result: one JSON object with --json (non-finite
        numbers as null: `json_text`), else the human text, written
        as it is (user text in it stays exactly as the user gave it). With `wrap` (a summary
        sentence, such as a training command's closing 'Saved ...' line), the text follows
        `message`'s rule: wrapped at word boundaries in a terminal, one line in a pipe."""
        if self.as_json:
            sys.stdout.write(json_text.dumps(data) + "\n")
            sys.stdout.flush()
        elif human is not None and wrap and stdout.is_terminal:
            stdout.print(Text(human), soft_wrap=False)
        elif human is not None:
            write_stream(human + "\n")


def write_stream(piece: str) -> None:
    """Write generated text immediately, also when stdout is a pipe."""
    sys.stdout.write(piece)
    sys.stdout.flush()
