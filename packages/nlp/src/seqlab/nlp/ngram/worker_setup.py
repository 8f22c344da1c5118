"""The Dask workers a command counts on make the process-wide requests the command made.

A `seqlab` command asks for changes to its own process (`seqlab.autograd.deferred_requests`):
Numba cache saves under a lock, so that two processes compiling a kernel on a cold cache never
leave an index naming the other signature's code (`kernel_cache_lock`), Numba's runtime from
cached object code (`runtime_cache`) and LLVM's clean pages given back after each kernel loads
(`llvm_pages`). Its `--cluster` workers compile and save the same counting kernels into the
same caches (a LocalCluster's always: they share this machine), in processes of their own
that those requests never reached: `forward_requested_changes` registers a worker plugin that
makes the same requests on every worker, those that join later included (a restarted one).
A library user who asked for nothing has nothing forwarded. Imports Dask.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable, Sequence

from distributed.diagnostics.plugin import WorkerPlugin

from seqlab.autograd.deferred_requests import request_change, requested_changes


class RequestedChanges(WorkerPlugin):
    """Request `changes` (module-level functions: they travel by name) in each worker's
    process (`request_change`). Registered under `name` and a run's own suffix: two runs on
    one scheduler keep a plugin each (one name would replace the other's, and the first to
    end would unregister both)."""

    name = "seqlab-requested-changes"

    def __init__(self, changes: Sequence[Callable[[], object]]) -> None:
        self.changes = tuple(changes)

    def setup(self, worker) -> None:
        for change in self.changes:
            request_change(change)


# the plugin name each client registered (`forward_requested_changes`), for `disconnect`
_REGISTERED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def forward_requested_changes(client) -> None:
    """Have every worker of `client` make the changes this process requested (none: nothing),
    through a plugin of this run's own (`registered_plugin`)."""
    changes = requested_changes()
    if changes:
        name = f"{RequestedChanges.name}-{uuid.uuid4().hex}"
        client.register_plugin(RequestedChanges(changes), name=name)
        _REGISTERED[client] = name


def registered_plugin(client) -> str | None:
    """The name of the plugin `forward_requested_changes` registered through `client`, if any."""
    return _REGISTERED.get(client)
