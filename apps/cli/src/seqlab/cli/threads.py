"""--threads: how many threads seqlab trains with (its own: time-loop teams, split GEMMs).

The count holds for the command it is given to: `restore_threads` (called as `app.main` ends)
puts back the count from before the command's first change, so a later command run in the same
process starts from the same count. Commands nest (an in-process `main` inside another): each
`main` calls `begin_command` as it starts and `restore_threads` as it ends, and what they save
is a stack, one entry per running `main` (`command_scope`), so a nested command puts back the
outer command's count, and one that set none leaves it alone."""

from __future__ import annotations

from seqlab.cli.command_scope import CommandScoped

# seqlab's count before a command's first change (`command_scope`)
_BEFORE: CommandScoped[int] = CommandScoped()


def begin_command() -> None:
    """A command starts (`app.main`): its changes are put back by the matching
    `restore_threads`."""
    _BEFORE.begin()


def _set_count(threads: int) -> None:
    from seqlab.autograd import get_num_threads, set_num_threads

    _BEFORE.remember(get_num_threads)
    set_num_threads(threads)


def restore_threads() -> None:
    """Put back the thread count from before the running command set one (nothing when it
    set none: seqlab.autograd is then not imported here), and end its entry."""
    _BEFORE.restore(_set_num_threads)


def _set_num_threads(count: int) -> None:
    from seqlab.autograd import set_num_threads

    set_num_threads(count)


def set_threads(threads: int | None) -> None:
    """Train on `threads` threads (None: as seqlab's default, OMP_NUM_THREADS or every usable
    core), and keep freed activation memory for the next step (for this command:
    `allocator.restore_allocator` puts it back when `main` ends)."""
    from seqlab.cli.allocator import keep_freed_memory

    if threads is not None:
        _set_count(threads)
    keep_freed_memory()


THREADS_HELP = "Threads to compute with (default: all cores)."


def use_threads(threads: int | None) -> None:
    """Compute on `threads` threads when given (None: seqlab's default), as `set_threads` does
    for the trainers, leaving the allocator's policy alone (a prediction run streams its input
    and returns what it frees)."""
    if threads is not None:
        _set_count(threads)
