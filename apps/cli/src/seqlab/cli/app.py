"""The `seqlab` command: Typer app, and the wrapper that turns failures into one-line errors."""

from __future__ import annotations

import os
import signal
import sys

import typer

from seqlab.cli.console import stderr
from seqlab.cli.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, CliError

app = typer.Typer(
    name="seqlab",
    help="Recurrent sequence models on a CPU: train, generate, evaluate; n-grams, word2vec, "
    "tokenizers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _register() -> None:
    from seqlab.cli.commands import corpora, demo, evaluate, generate, info, ngram, tokenize, train
    from seqlab.cli.commands import word2vec as word2vec_commands

    app.command("demo")(demo.demo)
    app.command("train")(train.train)
    app.command("generate")(generate.generate)
    app.command("eval")(evaluate.evaluate)
    app.command("info")(info.info)
    app.command("corpora")(corpora.corpora)
    app.add_typer(ngram.app, name="ngram")
    app.add_typer(word2vec_commands.app, name="word2vec")
    app.add_typer(tokenize.app, name="tokenize")
    app.add_typer(__import__("seqlab.cli.commands.classify", fromlist=["app"]).app, name="classify")
    app.add_typer(__import__("seqlab.cli.commands.forecast", fromlist=["app"]).app, name="forecast")


def _error_line(message: str) -> None:
    stderr.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)


class Interrupted(BaseException):
    """Ctrl-C outside training. A BaseException, so the CLI framework does not turn it into
    its own 'Aborted!' with exit code 1."""


def _raise_interrupted(signum, frame) -> None:
    raise Interrupted


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit 0 ok, 1 bad input, 2 usage, 130 interrupted; never a traceback."""
    _register()
    signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        app(args=argv, prog_name="seqlab")  # standalone: usage errors print usage, exit 2
    except CliError as error:
        _error_line(str(error))
        sys.exit(error.code)
    except (Interrupted, KeyboardInterrupt):
        _error_line("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # the reader of our output went away (e.g. `| head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except Exception as error:  # a bug, not bad input: still one line, traceback on request
        if os.environ.get("SEQLAB_DEBUG"):
            raise
        _error_line(f"internal error: {type(error).__name__}: {error} "
                    "(set SEQLAB_DEBUG=1 to see the traceback)")
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
