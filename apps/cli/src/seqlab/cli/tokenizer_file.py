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
    try:
        return load_tokenizer(path)
    except (ValueError, OSError) as error:
        raise CliError(str(error)) from error
