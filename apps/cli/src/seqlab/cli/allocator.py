"""The glibc allocator policy a command sets (`seqlab.autograd.memory`: trainers keep freed
memory, corpus passes return it) holds for that command: `restore_allocator` (called as
`app.main` ends, as `restore_threads`) puts back the thresholds from before the command's first
change, so a later command, or a library user's code after an in-process call, finds them as
they were. glibc's dynamic threshold cannot be turned back on (`seqlab.autograd.memory`).

Commands nest (an in-process `main` inside another: a library user's callback, a test): each
`main` calls `begin_command` as it starts and `restore_allocator` as it ends, and what they
save is a stack, one entry per running `main`, so a nested command puts back the outer
command's policy, not the one from before the outer command began.
"""

from __future__ import annotations

from seqlab.cli.command_scope import CommandScoped

# the settings (mmap, trim thresholds) before a command's first change (`command_scope`)
_BEFORE: CommandScoped[tuple[int | None, int | None]] = CommandScoped()


def begin_command() -> None:
    """A command starts (`app.main`): its changes are put back by the matching
    `restore_allocator`."""
    _BEFORE.begin()


def _remember() -> None:
    from seqlab.autograd.memory import allocator_settings

    _BEFORE.remember(allocator_settings)


def keep_freed_memory() -> None:
    """`retain_freed_memory` for this command (a training loop's activations)."""
    from seqlab.autograd.memory import retain_freed_memory

    _remember()
    retain_freed_memory()


def give_back_freed_memory() -> None:
    """`return_freed_memory` for this command (a streamed pass over a corpus)."""
    from seqlab.autograd.memory import return_freed_memory

    _remember()
    return_freed_memory()


def restore_allocator() -> None:
    """Put back the thresholds from before the running command set a policy (nothing when it
    set none: seqlab.autograd.memory is then not imported here), and end its entry."""
    _BEFORE.restore(_restore_settings)


def _restore_settings(settings: tuple[int | None, int | None]) -> None:
    from seqlab.autograd.memory import restore_allocator_settings

    restore_allocator_settings(settings)
