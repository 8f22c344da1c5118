"""Shell completion of the values of options that take one of a few words (`--cell <TAB>`:
lstm gru rnn), and help rows without a `<bool>` for flags, which take no value.

The options are plain `str` (each command checks and explains a wrong value in its own
words), so Typer knows no choices to complete; `add_value_completion` walks the command tree
once per start-up, as `params.harden` does, and gives each such option its values from the
table below (a command's own entry first, then the option's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The values are spelled here rather than imported from the commands, whose modules load NumPy
# and more (the start-up floor): tests/cli/test_value_completion.py checks they agree.
LEVELS = ("char", "word", "bpe")
CELLS = ("lstm", "gru", "rnn")
NGRAM_LEVELS = ("word", "whitespace", "char")
FORECAST_SERIES = ("sunspots", "co2")  # seqlab.seqmodels.regressor.SERIES
# the gates `inspect --gate` takes, by cell (seqlab.seqmodels.inspection.kinds); an Elman RNN
# has none
GATES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}

VALUES: dict[str, tuple[str, ...]] = {
    "--cell": CELLS,
    "--level": LEVELS,
    "--source-level": LEVELS,
    "--target-level": LEVELS,
    "--pooling": ("last", "mean", "max"),
    "--class-weights": ("none", "balanced"),
    "--monitor": ("loss", "accuracy", "macro_f1"),
    "--transform": ("none", "difference", "detrend"),
    "--smoothing": ("kneser-ney", "witten-bell", "add-k", "laplace", "mle", "stupid-backoff"),
    "--attention": ("dot", "general", "additive"),
    "--lr-schedule": ("constant", "linear", "cosine"),
    "--state": ("hidden", "cell"),
    "--errors": ("strict", "replace", "ignore"),
    "--clip": ("none", "off", "inf"),  # or a norm (cli/clip_option.py)
}
COMMAND_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("gradients", "--cell"): ("rnn", "lstm", "gru", "all"),
    ("ngram train", "--level"): NGRAM_LEVELS,
    ("ngram eval", "--level"): NGRAM_LEVELS,
    ("ngram generate", "--level"): NGRAM_LEVELS,
    ("tokenize export", "--format"): ("hf",),
    **{(command, "--corpus"): ("lee", "wiki", "polarity") for command in (
        "train", "eval", "demo", "tokenize train", "ngram train", "ngram eval",
        "word2vec train")},
    **{(f"forecast {command}", "--series"): FORECAST_SERIES
       for command in ("train", "predict", "eval")},
}


def _completer(values: tuple[str, ...]) -> Callable[..., list[str]]:
    def complete(ctx: Any, param: Any, incomplete: str) -> list[str]:
        return [value for value in values if value.startswith(incomplete)]

    return complete


def _complete_gate(ctx: Any, param: Any, incomplete: str) -> list[str]:
    """`inspect [MODEL] --gate`: the gates of MODEL's cell, read from its header (no MODEL:
    the default char LSTM's; a file that is not a checkpoint: every cell's)."""
    from pathlib import Path

    from seqlab.cli import file_kinds

    # while completing, click may leave the argument among the unparsed words (ctx.args)
    given = ctx.params.get("model_path") or next(iter(getattr(ctx, "args", ())), None)
    path = None if given is None else Path(given)
    if path is None:
        cell = "lstm"
    else:
        metadata = file_kinds.seqlab_metadata(path) if path.is_file() else None
        config = metadata.get("config") if metadata else None
        cell = config.get("cell") if isinstance(config, dict) else None
    names = GATES.get(cell, ()) if cell in (*GATES, "rnn") else \
        tuple(dict.fromkeys(name for gates in GATES.values() for name in gates))
    return [name for name in names if name.startswith(incomplete)]


COMPLETERS: dict[tuple[str, str], Callable[..., list[str]]] = {
    ("inspect", "--gate"): _complete_gate,
}


def _help_option(command: Any, names: list[str]) -> Any:
    """The command's help option (made on first use, then kept by the command): answering to
    `names`, its parent's, unless the command names its own (as a context inherits them when
    a command line runs: made here without a parent it answered to --help alone)."""
    settings = {"help_option_names": names, **command.context_settings}
    return command.get_help_option(command.context_class(command, **settings))


def add_value_completion(command: Any, path: str = "", help_names: list[str] | None = None) \
        -> Any:
    """Give every word-valued option of `command` and its subcommands its values' completion
    and every flag an empty value column in the help; returns `command`. Subcommands' help
    answers to the names of the root's (`-h` and `--help`) unless they name their own."""
    names = command.context_settings.get("help_option_names", help_names or ["--help"])
    for param in [*getattr(command, "params", ()), _help_option(command, names)]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # Typer shows a flag's type, `<bool>`, as if it took a value
            continue
        option = next((name for name in getattr(param, "opts", ()) if name.startswith("--")),
                      None)
        values = COMMAND_VALUES.get((path, option)) or VALUES.get(option)
        completer = COMPLETERS.get((path, option)) or (
            _completer(values) if values is not None else None)
        if completer is not None and getattr(param, "_custom_shell_complete", "absent") is None:
            # Typer's slot for `typer.Option(autocompletion=...)`, set here for all at once
            param._custom_shell_complete = completer
    for name, sub in getattr(command, "commands", {}).items():
        add_value_completion(sub, f"{path} {name}".strip(), names)
    return command
