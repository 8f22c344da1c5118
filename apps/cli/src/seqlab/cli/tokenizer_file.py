"""Reading a seqlab tokenizer JSON for a command, with one line on failure."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from seqlab.cli.errors import CliError, require_file

SIDES = ("source", "target")


def side_option() -> Any:
    """`--side source|target`: which of a sequence-to-sequence model's tokenizers to use."""
    import typer

    return typer.Option(None, "--side", metavar="source|target",
                        help="A sequence-to-sequence model's source or target tokenizer (it "
                        "holds both).")


def checked_side(side: str | None) -> str | None:
    """The --side value, or a usage CliError for another word."""
    if side is not None and side not in SIDES:
        raise CliError(f"--side must be one of {', '.join(SIDES)}, got {side!r}", code=2)
    return side


def read_tokenizer_file(path: Path, from_model: bool = False, side: str | None = None) -> Any:
    """The tokenizer saved at `path` (`seqlab tokenize train`'s JSON); a CliError saying why
    when the file is missing, unreadable or not a seqlab tokenizer. With `from_model`, a model
    file gives the tokenizer stored in it (the one its ids were made with), as the `tokenize`
    commands read it; a sequence-to-sequence model holds two, and `side` ("source" or
    "target", the `--side` option) picks one (it is refused for any other file)."""
    from seqlab.nlp.tokenizers import load_tokenizer

    require_file(path, "tokenizer file")
    if from_model and (stored := _stored_tokenizer(path, side)) is not None:
        return stored
    if side is not None:
        raise CliError(f"--side is for a sequence-to-sequence model (it holds a source and a "
                       f"target tokenizer); {path} is not one: leave --side out")
    from seqlab.cli import file_kinds

    refusal = hf_tokenizer_refusal(path, file_kinds.kind_of(path))
    if refusal is not None:
        raise refusal
    _refuse_other_kind(path)
    try:
        return load_tokenizer(path)
    except (ValueError, OSError) as error:
        if isinstance(error.__cause__, (json.JSONDecodeError, UnicodeDecodeError)):
            raise CliError(f"{path} is not a tokenizer JSON file (it is not JSON): give one "
                           "written by `seqlab tokenize train`") from error
        raise CliError(str(error)) from error


# The keys Hugging Face `tokenizers` writes first, in this order, in every tokenizer.json
_HF_TOKENIZER_HEAD = re.compile(rb'\A\s*\{\s*"version":\s*"[^"]*",\s*"truncation":')


def hf_tokenizer_refusal(path: Path, file_kind: str | None) -> CliError | None:
    """The refusal for a Hugging Face tokenizer.json (one `seqlab tokenize export --format hf`
    wrote, or any other), naming it; None for any other file. The one line of every command
    that reads a tokenizer (`info`, `tokenize`, `train --tokenizer`): export is one-way."""
    from seqlab.cli import file_kinds

    if file_kind == file_kinds.HF_TOKENIZER:
        return CliError(f"{path} is a Hugging Face tokenizer.json that `seqlab tokenize export "
                        "--format hf` wrote; seqlab reads a seqlab tokenizer JSON (give the one "
                        "it was exported from: export is one-way)")
    if file_kind is None and path.suffix == ".json":
        try:
            with path.open("rb") as file:
                head = file.read(256)
        except OSError:
            return None
        if _HF_TOKENIZER_HEAD.match(head):
            return CliError(f"{path} is a Hugging Face tokenizer.json; seqlab reads a seqlab "
                            "tokenizer JSON (`seqlab tokenize train` writes one; export to "
                            "Hugging Face is one-way)")
    return None


def is_language_model(path: Path) -> bool:
    """Whether `path` is a seqlab language model (whose reader may add line ends to the
    tokenizer's ids: `seqlab.nlp.lm_text`)."""
    from seqlab.cli import file_kinds

    return (file_kinds.kind_of(path) == file_kinds.CHECKPOINT
            and file_kinds.checkpoint_model(path) == "LanguageModel")


def _stored_tokenizer(path: Path, side: str | None = None) -> Any:
    """The tokenizer in a seqlab model file's header (a seq2seq model's `side`), or None (not
    a model, or none stored)."""
    from seqlab.cli import file_kinds
    from seqlab.nlp.tokenizers import Tokenizer

    if file_kinds.kind_of(path) != file_kinds.CHECKPOINT:
        return None
    stored = (file_kinds.seqlab_metadata(path) or {}).get("tokenizer")
    if not isinstance(stored, dict):
        return None
    if set(SIDES) <= stored.keys():  # a seq2seq model: {"source": ..., "target": ...}
        if side is None:
            raise CliError(f"{path} is a sequence-to-sequence model: it holds two tokenizers; "
                           "choose one with --side source or --side target")
        stored = stored[side]
    elif side is not None:
        return None  # refused by the caller, as for a tokenizer file
    try:
        return Tokenizer.from_dict(stored)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise CliError(f"{path}: the tokenizer stored in the model is malformed: {error}") \
            from error


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
