"""Reading a seqlab tokenizer JSON for a command, with one line on failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.cli.errors import CliError, require_file


def read_tokenizer_file(path: Path) -> Any:
    """The tokenizer saved at `path` (`seqlab tokenize train`'s JSON); a CliError saying why
    when the file is missing, unreadable or not a seqlab tokenizer."""
    from seqlab.nlp.tokenizers import load_tokenizer

    require_file(path, "tokenizer file")
    _refuse_other_kind(path)
    try:
        return load_tokenizer(path)
    except (ValueError, OSError) as error:
        raise CliError(str(error)) from error


def _refuse_other_kind(path: Path) -> None:
    """One line naming what `path` is when seqlab wrote it as something else (a model, an
    n-gram model, vectors): loading it as JSON would only report a codec or JSON error."""
    from seqlab.cli import file_kinds

    kind = file_kinds.kind_of(path)
    if kind in (None, file_kinds.TOKENIZER):
        return
    if kind == file_kinds.CHECKPOINT:
        from seqlab.cli.outputs import model_kind

        kind = model_kind(file_kinds.checkpoint_model(path))
        uses = (" (commands that read the model use the tokenizer inside it)"
                if file_kinds.checkpoint_model(path) != "SequenceRegressor" else "")
    else:
        kind, uses = f"a {kind}", ""
    raise CliError(f"{path} is {kind}, not a tokenizer: give a tokenizer JSON written by "
                   f"`seqlab tokenize train`{uses}")
