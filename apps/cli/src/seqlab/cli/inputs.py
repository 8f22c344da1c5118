"""Reading the user's corpus arguments (files, folders, '-', or an embedded corpus name)."""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

from seqlab.cli.errors import EXIT_USAGE, CliError

DEFAULT_CORPUS = "lee"
TEXT_CORPORA = ("lee", "wiki", "polarity")


DECODE_ERRORS = ("strict", "replace", "ignore")
_decode_errors = "strict"


def set_decode_errors(policy: str) -> None:
    """What reading text does with bytes that are not UTF-8 (the root `--errors` option)."""
    global _decode_errors
    if policy not in DECODE_ERRORS:
        raise CliError(f"--errors must be one of {', '.join(DECODE_ERRORS)}, got {policy!r}",
                       code=2)
    _decode_errors = policy


def decode_errors() -> str:
    """The root `--errors` policy in force ('strict', 'replace' or 'ignore')."""
    return _decode_errors


def remedy(message: str) -> str:
    """A library's message in the user's words: its Python remedy for bytes that are not
    UTF-8 (errors='replace') becomes the root `--errors` option."""
    # the library speaks Python; the user runs a command
    message = message.replace("pass errors='replace'",
                              "run `seqlab --errors replace COMMAND ...`")
    return message.replace("or the right encoding", "or convert the file to UTF-8 first")


def _translate(error: Exception) -> CliError:
    return CliError(remedy(str(error).replace("\n", " ")))


def corpus_text(files: list[Path] | None, corpus: str | None = None,
                errors: str | None = None) -> tuple[str, str]:
    """(text, description) from FILES, or from an embedded corpus when no files are given."""
    from seqlab.nlp import corpora

    errors = errors or _decode_errors

    if files:
        try:
            text = corpora.read_text([str(f) for f in files], errors=errors)
        except (FileNotFoundError, ValueError, OSError) as error:
            raise _translate(error) from error
        source = ", ".join(str(f) for f in files)
    else:
        name = corpus or DEFAULT_CORPUS
        if name not in TEXT_CORPORA:
            raise CliError(f"--corpus must be one of {', '.join(TEXT_CORPORA)}, got {name!r}",
                           code=EXIT_USAGE)
        text = corpora.load_text(name)
        source = f"embedded corpus '{name}'"
    if not text.strip():
        raise no_text(source, whitespace=bool(text))
    return text, source


def no_text(source: str, whitespace: bool) -> CliError:
    """The error for a corpus without a token: empty, or (`whitespace`) only blank lines or
    spaces, which are bytes but no text."""
    if whitespace:
        return CliError(f"the corpus has no tokens: {source} holds only blank lines or spaces "
                        "(give a file with some text)")
    return CliError(f"the corpus is empty: {source} (give a file with some text)")


def no_tokens(files: list[Path], what: str = "tokens",
              copies: list[Path] | None = None) -> CliError:
    """The error for FILES in which a command found no token (it read them already): `no_text`
    when they hold no text (read again until a non-space character), else no `what` in their
    text. stdin ('-') is read again only from its copy, in `copies` (FILES as the command
    reads them)."""
    description = ", ".join(map(str, files))
    files = files if copies is None else copies
    if any(str(f) == "-" for f in files):
        return CliError(f"the corpus has no {what}: {description} holds none (give a file "
                        "with some text)")
    whitespace = False
    for piece in CorpusPieces(files):
        if piece.strip():
            return CliError(f"the corpus has no {what}: {description} holds none (give a "
                            "file with some words)")
        whitespace = whitespace or bool(piece)
    return no_text(description, whitespace)


def corpus_lines(files: list[Path] | None, corpus: str | None = None,
                 errors: str | None = None) -> Iterator[str]:
    """Non-empty lines of FILES (streamed) or of an embedded corpus."""
    from seqlab.nlp import corpora

    errors = errors or _decode_errors

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


def translated(items: Iterable) -> Iterator:
    """Items of a lazily read corpus; a missing, binary or undecodable file becomes a CliError."""
    try:
        yield from items
    except (FileNotFoundError, ValueError, OSError) as error:
        raise _translate(error) from error


class CorpusPieces:
    """Re-iterable tokenizer-safe text pieces of FILES, streamed (see seqlab.nlp.corpora).

    With `spool_dir`, a '-' among FILES is first copied to a hidden file there (stdin cannot be
    read twice); the copy is removed by `close()`, or when the object goes away. `chunk_bytes`:
    the pieces' size (default `DEFAULT_CHUNK_BYTES`; a pass that only counts takes
    `COUNTING_CHUNK_BYTES`, see there).
    """

    def __init__(self, files: list[Path], errors: str | None = None,
                 spool_dir: Path | None = None, chunk_bytes: int | None = None,
                 builtin: bool = True, token_pattern: str | None = None) -> None:
        from seqlab.nlp import corpora

        self.chunk_bytes = chunk_bytes
        self.builtin = builtin  # cut for a built-in pattern (`corpora.builtin_pattern`)
        self.token_pattern = token_pattern  # else cuts checked with the tokenizer's own one
        self.names = [str(f) for f in files]
        self.sources = list(self.names)
        self.errors = errors or _decode_errors  # the root --errors option by default
        self._remove_copy = None
        try:
            corpora.resolve_paths(self.sources)
            if spool_dir is not None and corpora.has_stdin(self.sources):
                corpora.replace_stdin(self.sources, Path())  # one '-' at most
                copy = corpora.copy_stdin(spool_dir)
                self._remove_copy = weakref.finalize(self, _remove_file, copy)
                self.sources = [str(s) for s in corpora.replace_stdin(self.sources, copy)]
        except (FileNotFoundError, ValueError, OSError) as error:
            raise _translate(error) from error

    def close(self) -> None:
        """Remove the copy of stdin, if one was made (the pieces cannot be read afterwards)."""
        if self._remove_copy is not None:
            self._remove_copy()

    def __iter__(self) -> Iterator[str]:
        from seqlab.nlp import corpora

        size = {"chunk_bytes": self.chunk_bytes} if self.chunk_bytes else {}
        return translated(corpora.iter_pieces(self.sources, builtin=self.builtin,
                                              token_pattern=self.token_pattern,
                                              errors=self.errors, **size))

    @property
    def description(self) -> str:
        return ", ".join(self.names)

    def require_text(self, any_character: bool = False) -> None:
        """CliError unless some piece has a non-space character, or with `any_character` (a
        char-level corpus, where a newline is a token) any character; reads only until one."""
        whitespace = False
        for piece in self:
            if piece if any_character else piece.strip():
                return
            whitespace = whitespace or bool(piece)
        raise no_text(self.description, whitespace)


def _remove_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class StreamedSentences:
    """Re-iterable token lists of FILES' non-blank lines, read from disk on every pass."""

    def __init__(self, files: list[Path], tokenize, errors: str | None = None) -> None:
        from seqlab.nlp import corpora
        from seqlab.nlp.word2vec.corpus import MAX_SENTENCE_LENGTH

        self.sources = [str(f) for f in files]
        try:
            corpora.resolve_paths(self.sources)
        except (FileNotFoundError, ValueError) as error:
            raise _translate(error) from error
        # lines cut into sentences of 10,000 tokens, as gensim's LineSentence: a one-line
        # corpus (text8) is read in parts, never held whole
        self.lines = corpora.TokenizedLines(self.sources, tokenize,
                                            max_sentence_length=MAX_SENTENCE_LENGTH,
                                            errors=errors or _decode_errors)

    def __iter__(self) -> Iterator[list[str]]:
        return translated(self.lines)
