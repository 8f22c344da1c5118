"""The first-run "compiling kernels" note, for every command (one wiring in `app.main`).

Numba compiles a kernel once and caches it (cache=True); until then a command can sit for a
minute at its first kernel call (`ngram train` at "counting 3-grams", word2vec, classify,
forecast, seq2seq, a large `tokenize`). Numba fires its "numba:compile" event only on a cache
miss (a cache hit loads without it), so a listener on that event says so at the first
compilation of each command, above any progress bar, whichever module the kernel lives in.

Importing seqlab.cli must not import Numba (commands that use no kernel start faster): the
listener is registered as soon as Numba has been imported, by a daemon thread that checks
`sys.modules` every 0.1 s until then (a check costs a dictionary lookup).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any

NOTE = "Compiling Numba kernels (first run only, cached afterwards)..."
_POLL_SECONDS = 0.1


class _State:
    """Per process: whether the listener is in place; per command: whether the note was given."""

    def __init__(self) -> None:
        self.noted = False
        self.listening = False
        self.lock = threading.Lock()


_state = _State()


def begin_command() -> None:
    """Start of a command (`app.main`): its first kernel compilation is announced again, and
    the listener is put in place (now, or as soon as Numba is imported)."""
    from seqlab.cli.console import Output

    _state.noted = False
    Output.latest = None  # the last command's --quiet/--json do not carry over
    with _state.lock:
        if _state.listening:
            return
        _state.listening = True
    if "numba.core.event" in sys.modules:
        _register()
    else:
        threading.Thread(target=_register_when_loaded, daemon=True,
                         name="seqlab-compile-note").start()


def already_noted() -> None:
    """Another display (`numba_status.compile_while_showing`'s status) tells of this
    command's compilation: no note of its own."""
    _state.noted = True


def note() -> None:
    """Print the note once per command, unless the command's output is --quiet or --json."""
    from seqlab.cli.console import Output, stderr

    if _state.noted:
        return
    _state.noted = True
    output = Output.latest
    if output is None or output.show_progress:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr: compile on
            stderr.print(NOTE)


def _register_when_loaded() -> None:
    while "numba.core.event" not in sys.modules:
        threading.Event().wait(_POLL_SECONDS)
    _register()


def _register() -> None:
    from numba.core import event

    class _Listener(event.Listener):
        def on_start(self, _event: Any) -> None:
            note()

        def on_end(self, _event: Any) -> None:
            pass

    event.register("numba:compile", _Listener())
