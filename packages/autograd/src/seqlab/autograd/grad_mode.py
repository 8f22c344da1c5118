"""Global switch for graph recording: `no_grad()` and `enable_grad()`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_state = threading.local()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require gradients record a graph."""
    return getattr(_state, "enabled", True)


def set_grad_enabled(enabled: bool) -> None:
    """Turn graph recording on or off for the current thread."""
    _state.enabled = bool(enabled)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager (and decorator) under which no graph is recorded."""
    previous = is_grad_enabled()
    set_grad_enabled(False)
    try:
        yield
    finally:
        set_grad_enabled(previous)


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager that turns graph recording back on inside `no_grad()`."""
    previous = is_grad_enabled()
    set_grad_enabled(True)
    try:
        yield
    finally:
        set_grad_enabled(previous)
