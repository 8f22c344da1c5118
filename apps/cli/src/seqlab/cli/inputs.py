"""Reading the user's corpus arguments (files, folders, '-', or an embedded corpus name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from seqlab.cli.errors import CliError

DEFAULT_CORPUS = "lee"
TEXT_CORPORA = ("lee", "wiki", "polarity")


def _translate(error: Exception) -> CliError:
    return CliError(str(error).replace("\n", " "))


def corpus_text(files: list[Path] | None, corpus: str | None = None,
                errors: str = "strict") -> tuple[str, str]:
    """(text, description) from FILES, or from an embedded corpus when no files are given."""
    from seqlab.nlp import corpora

    if files:
        try:
            text = corpora.read_text([str(f) for f in files], errors=errors)
        except (FileNotFoundError, ValueError, OSError) as error:
            raise _translate(error) from error
        source = ", ".join(str(f) for f in files)
    else:
        name = corpus or DEFAULT_CORPUS
        if name not in TEXT_CORPORA:
            raise CliError(f"--corpus must be one of {', '.join(TEXT_CORPORA)}, got {name!r}")
        text = corpora.load_text(name)
        source = f"embedded corpus '{name}'"
    if not text.strip():
        raise CliError(f"the corpus is empty: {source} (give a file with some text)")
    return text, source


def corpus_lines(files: list[Path] | None, corpus: str | None = None,
                 errors: str = "strict") -> Iterator[str]:
    """Non-empty lines of FILES (streamed) or of an embedded corpus."""
    from seqlab.nlp import corpora

    if not files:
        text, _ = corpus_text(None, corpus)
        yield from (line for line in text.split("\n") if line.strip())
        return
    try:
        for line in corpora.iter_lines([str(f) for f in files], errors=errors):
            if line.strip():
                yield line
    except (FileNotFoundError, ValueError, OSError) as error:
        raise _translate(error) from error
