"""Global switch for graph recording: `no_grad()`, `enable_grad()`, `set_grad_enabled()`."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _GradState(threading.local):
    """Per-thread recording flag; the class attribute is every new thread's default."""

    enabled = True
    retaining_graph = False  # set by the engine while a backward(retain_graph=True) runs


# Function.apply reads `_state.enabled` directly: it is the hottest flag in the library.
_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require gradients record a graph."""
    return _state.enabled


def is_graph_retained() -> bool:
    """True while a `backward(retain_graph=True)` runs in this thread. A Function's backward
    may write over its own saved arrays only when this is False: the engine then releases
    them right after, and nothing reads them again."""
    return _state.retaining_graph


class _GradModeContext:
    """Context manager and decorator that sets the recording flag and restores it on exit."""

    mode = True

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        # Allows both `@no_grad()` and bare `@no_grad`, as PyTorch does.
        instance = super().__new__(cls)
        if function is None:
            return instance
        return instance(function)

    def __enter__(self) -> None:
        self.previous = _state.enabled
        _state.enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        _state.enabled = self.previous

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = _state.enabled
            _state.enabled = mode
            try:
                return function(*args, **kwargs)
            finally:
                _state.enabled = previous

        return wrapper


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) under which no graph is recorded."""

    mode = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager (and decorator) that turns recording back on inside `no_grad()`."""

    mode = True


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Set recording on or off now; used as a context manager, restore the old mode on exit."""

    def __init__(self, mode: bool) -> None:
        self.previous = _state.enabled
        _state.enabled = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        _state.enabled = self.previous
