"""Forward hooks on a Module, as PyTorch's `register_forward_pre_hook`/`register_forward_hook`."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any

_next_id = itertools.count()


class RemovableHandle:
    """What registering a hook returns: `handle.remove()` takes the hook away again."""

    def __init__(self, hooks: OrderedDict[int, Any]) -> None:
        self._hooks = hooks
        self.id = next(_next_id)

    def remove(self) -> None:
        """Take the hook away; removing it again does nothing."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(hooks: OrderedDict[int, Any], hook: Any) -> RemovableHandle:
    """Append `hook` to `hooks` (they run in registration order) and return its handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """Run `module.forward` between its hooks: a pre-hook `hook(module, args)` may return new
    args (a tuple, or one value), a forward hook `hook(module, args, output)` a new output."""
    for hook in list(module._forward_pre_hooks.values()):
        result = hook(module, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result,)
    output = module.forward(*args, **kwargs)
    for hook in list(module._forward_hooks.values()):
        result = hook(module, args, output)
        if result is not None:
            output = result
    return output
