"""The glibc allocator policy a command sets (`seqlab.autograd.memory`: trainers keep freed
memory, corpus passes return it) holds for that command: `restore_allocator` (called as
`app.main` ends, as `restore_threads`) puts back the thresholds from before the command's first
change, so a later command, or a library user's code after an in-process call, finds them as
they were. glibc's dynamic threshold cannot be turned back on (`seqlab.autograd.memory`)."""

from __future__ import annotations

_settings_before: list[tuple[int | None, int | None]] = []  # before this command's change


def _remember() -> None:
    from seqlab.autograd.memory import allocator_settings

    if not _settings_before:
        _settings_before.append(allocator_settings())


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
    set none: seqlab.autograd.memory is then not imported here)."""
    if _settings_before:
        from seqlab.autograd.memory import restore_allocator_settings

        restore_allocator_settings(_settings_before.pop())
