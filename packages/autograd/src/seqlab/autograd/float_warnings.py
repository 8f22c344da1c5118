"""NumPy's floating-point warnings off while an op computes, as PyTorch prints none.

`inf - inf`, `0 * inf`, `log(0)`, `sqrt(-1)`, an overflow to inf: PyTorch returns the inf or
nan silently, and so does every seqlab op (`Function.apply` runs each forward in the quiet
state; the engine runs backward under `np.errstate` once per call). The user's own settings
are untouched outside the op, and inside it only the three warnings are off (divide, invalid,
over; underflow, the buffer size and an error callback stay theirs).

Why not `np.errstate` around each forward: entering and leaving one costs ~1.5 us, about a
third of an elementwise op's whole overhead. NumPy 2 keeps the error state in a context
variable (`np.errstate` sets it); `STATE.set(quiet_state(STATE.get()))` sets it directly to
the quiet version of the state in force, made once for it, and `STATE.reset` puts it back:
~0.1 us. With a NumPy whose internals differ, `STATE` enters and leaves an `np.errstate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_QUIET = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}


class _ErrstateState:
    """`STATE` where NumPy has no error-state context variable: `set` enters an errstate."""

    @staticmethod
    def get() -> None:
        return None

    @staticmethod
    def set(_quiet: Any) -> Any:
        state = np.errstate(**_QUIET)
        state.__enter__()
        return state

    @staticmethod
    def reset(token: Any) -> None:
        token.__exit__(None, None, None)


try:
    from numpy._core.umath import _extobj_contextvar as STATE
    from numpy._core.umath import _make_extobj
except ImportError:  # another NumPy's internals
    STATE, _make_extobj = _ErrstateState(), None

# (the error state last seen, its quiet version): one pair, replaced whole (thread-safe), as a
# program changes its error state rarely
last: tuple[Any, Any] = (None, None)


def quiet_state(current: Any) -> Any:
    """The error state `current` with the three warnings off (the last one made is kept in
    `last`; `Function.apply` reads it there first)."""
    global last
    if _make_extobj is None:
        return None
    seen, quiet = last
    if current is not seen:
        quiet = _make_extobj(**_QUIET)  # (derived from `current`, the state in force)
        last = (current, quiet)
    return quiet


def quiet() -> Any:
    """Turn the three warnings off in this thread (and context); returns what `restore`
    takes to put the state back."""
    return STATE.set(quiet_state(STATE.get()))


def restore(token: Any) -> None:
    """Put back the error state `quiet()` replaced."""
    STATE.reset(token)
