"""The `seqlab` command: Typer app, and the wrapper that turns failures into one-line errors."""

from __future__ import annotations

import contextlib
import errno
import os
import sys

import typer

try:  # typer >= 0.22 vendors click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer on click
    from click.exceptions import UsageError

from seqlab.cli.allocator import begin_command as begin_allocator_command
from seqlab.cli.closed_pipe import (
    OutputClosedError,
    passing_closed_pipes,
    silence_closed_output,
    stdout_reader_gone,
)
from seqlab.cli.compile_note import begin_command as begin_compile_note
from seqlab.cli.console import message as message_line
from seqlab.cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    CliError,
    forget_outputs,
    output_error_line,
)
from seqlab.cli.help_text import unwrap_help
from seqlab.cli.option_values import add_value_completion
from seqlab.cli.output_locks import release_outputs, start_command
from seqlab.cli.params import harden
from seqlab.cli.stop_signals import Interrupted, exit_code, raise_interrupted, stopped_words
from seqlab.cli.stop_signals import install as install_stop_handler
from seqlab.cli.stop_signals import restore as restore_stop_handlers
from seqlab.cli.thread_variables import check_thread_variables
from seqlab.cli.threads import begin_command as begin_threads_command
from seqlab.nlp.tokenizers.patterns import PatternTimeoutError

app = typer.Typer(
    name="seqlab",
    help="Recurrent sequence models on a CPU: train, generate, evaluate; n-grams, word2vec, "
    "tokenizers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _options(
    errors: str = typer.Option(
        "strict", "--errors", metavar="POLICY",
        help="Bytes of text input that are not UTF-8: strict (stop, naming the byte offset), "
        "replace (with U+FFFD) or ignore. Goes before the command: "
        "seqlab --errors replace train book.txt"),
) -> None:
    """Options for every command."""
    from seqlab.autograd.blas_probe import SKIPPED_BLAS_PROBE
    from seqlab.autograd.kernel_cache_lock import LOCKED_SAVES
    from seqlab.autograd.llvm_pages import RELEASED_LLVM_PAGES
    from seqlab.autograd.runtime_cache import CACHED_RUNTIME
    from seqlab.cli.inputs import set_decode_errors

    set_decode_errors(errors)
    # the command owns its process: Numba's runtime from cached object code (README, Threads)
    CACHED_RUNTIME.request()
    # and saves its Numba cache entries one process at a time (DEVELOPERS.md, Numba's cache)
    LOCKED_SAVES.request()
    # and gives LLVM's clean pages back after each kernel loads (DEVELOPERS.md, LLVM's pages)
    RELEASED_LLVM_PAGES.request()
    # and loads Numba's array functions without importing scipy.linalg (DEVELOPERS.md)
    SKIPPED_BLAS_PROBE.request()


_registered: set[str] = set()


def _register(only: str | None = None) -> None:
    """Add command `only` to `app`, or every command (None), each once (main runs many times
    in one test process: each repeat added the whole tree again, and building it grew with
    every call). A command imports its own module only (`command_table`)."""
    from seqlab.cli.command_table import COMMANDS, command_target

    for name, *_ in COMMANDS:
        if name in _registered or only not in (None, name):
            continue
        target, group = command_target(name)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
        _registered.add(name)  # only once it is in (a failed import leaves it unmarked)
    # help lists the commands in the table's order, whichever were added first
    rank = {name: position for position, (name, *_) in enumerate(COMMANDS)}
    app.registered_commands.sort(key=lambda info: rank[info.name])
    app.registered_groups.sort(key=lambda info: rank[info.name])


def _error_line(message: str) -> None:
    # literal: a message quoting a path or value like "[/x]" is shown as written
    message_line(("error:", "bold red"), message)


def _usage_error(error: UsageError) -> None:
    """One line for a usage error (the full usage is one --help away); help when asked by
    giving no arguments."""
    if type(error).__name__ == "NoArgsIsHelpError":
        error.show()
        sys.exit(error.exit_code)
    where = error.ctx.command_path if error.ctx is not None else "seqlab"
    from seqlab.cli.root_option_hint import root_option_hint

    hint = root_option_hint(error, where) or _data_option_hint(error, where)
    _error_line(f"{hint or error.format_message()} "
                f"(see '{where} --help')")
    sys.exit(error.exit_code)


# Commands that read a data file, and what to give them, for a user who tries --corpus/--series
# (a fuzzy "Possible options" would suggest unrelated ones).
_DATA_ARGUMENTS = {
    "classify train": "a CSV/TSV/JSONL file or a folder with one subfolder per class (with "
                      "none, its embedded labelled passages)",
    "seq2seq train": "a TSV file of source<TAB>target pairs (with none, its embedded pairs)",
    "forecast": "a CSV file with --target, or --series NAME for an embedded series",
}


def _data_option_hint(error: UsageError, where: str) -> str | None:
    """For `--corpus`/`--series` given to a command without it: what that command reads."""
    name = getattr(error, "option_name", None)
    words = where.split()[1:]
    if type(error).__name__ != "NoSuchOption" or name not in ("--corpus", "--series") \
            or not words or words[0] not in ("classify", "seq2seq", "forecast"):
        return None
    what = _DATA_ARGUMENTS.get(" ".join(words[:2])) or _DATA_ARGUMENTS.get(words[0]) \
        or "its data files as arguments"
    return f"'{where}' has no {name} option: give it {what}"


def _os_error_line(error: OSError) -> str:
    """What went wrong with which file, and what to do, for errors the platform reports."""
    name = f" {error.filename}" if error.filename else ""
    reason = error.strerror or str(error)
    advice = {
        errno.ENOSPC: "free some space or write elsewhere; no existing file was changed",
        errno.EDQUOT: "free some space or write elsewhere; no existing file was changed",
        errno.EACCES: "check the permissions, or choose another path",
        errno.EPERM: "check the permissions, or choose another path",
        errno.EROFS: "the file system is read-only: choose another path",
    }.get(error.errno, "check the path and try again")
    return f"{reason}:{name} ({advice})"


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit 0 ok, 1 bad input, 2 usage, 128 + N on signal N (130 Ctrl-C, 143
    SIGTERM, 129 SIGHUP: `stop_signals`); never a traceback."""
    from seqlab.cli.command_table import named_command

    _register(named_command(sys.argv[1:] if argv is None else argv))
    forget_outputs()
    start_command(argv)  # release_outputs (below) releases the locks this command takes
    begin_allocator_command()  # restore_allocator (below) puts back what this command changes
    previous_handlers = install_stop_handler(raise_interrupted)
    begin_threads_command()  # and restore_threads its thread count
    begin_compile_note()  # the first kernel compilation is announced (compile_note)
    try:
        check_thread_variables()  # before anything imports Numba, which reads its variable
        command = passing_closed_pipes(unwrap_help(add_value_completion(
            harden(typer.main.get_command(app)))))
        code = command.main(args=argv, prog_name="seqlab", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except UsageError as error:
        _usage_error(error)
    except typer.Abort:
        _error_line("aborted")
        sys.exit(EXIT_INTERRUPTED)
    except CliError as error:
        _error_line(str(error))
        sys.exit(error.code)
    except PatternTimeoutError as error:  # a tokenizer's own pattern, from a file
        _error_line(str(error))
        sys.exit(EXIT_BAD_INPUT)
    except Interrupted as stop:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            _error_line(stopped_words(stop.signum) + (f"; {stop.note}" if stop.note else ""))
        sys.exit(exit_code(stop.signum))
    except KeyboardInterrupt:
        _error_line("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except (OutputClosedError, BrokenPipeError) as error:
        stdout_gone = error.stdout if isinstance(error, OutputClosedError) else stdout_reader_gone()
        if not stdout_gone:  # some other pipe broke: not the quiet end of `| head`
            _error_line(f"a pipe was closed while writing ({error.__cause__ or error})")
            sys.exit(EXIT_BAD_INPUT)
        # the reader of our output went away (e.g. `| head`): stop quietly, as cat does
        silence_closed_output()
        sys.exit(0)
    except OSError as error:  # full disk, permission denied, ...: the platform's own words
        if os.environ.get("SEQLAB_DEBUG"):
            raise
        _error_line(output_error_line(error) or _os_error_line(error))
        sys.exit(EXIT_BAD_INPUT)
    except Exception as error:  # a bug, not bad input: still one line, traceback on request
        if os.environ.get("SEQLAB_DEBUG"):
            raise
        _error_line(f"internal error: {type(error).__name__}: {error} "
                    "(set SEQLAB_DEBUG=1 to see the traceback)")
        sys.exit(EXIT_BAD_INPUT)
    finally:  # a run stopped before its first checkpoint leaves no empty NAME.checkpoints/
        from seqlab.cli.allocator import restore_allocator
        from seqlab.cli.run_files import remove_empty_created
        from seqlab.cli.threads import restore_threads

        remove_empty_created()
        restore_threads()  # --threads holds for this command only
        restore_allocator()  # and so does the allocator policy it set
        release_outputs()
        restore_stop_handlers(previous_handlers)


if __name__ == "__main__":
    main()
