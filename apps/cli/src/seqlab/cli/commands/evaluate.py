"""`seqlab eval`: loss, perplexity and bits per token of a model on some text."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seqlab.cli import lm_text
from seqlab.cli.console import Output
from seqlab.cli.errors import CliError
from seqlab.cli.lm_text import bits_name
from seqlab.cli.loss_display import loss_text
from seqlab.cli.models import load_any
from seqlab.cli.threads import THREADS_HELP, use_threads

if TYPE_CHECKING:
    import numpy as np


def evaluate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    files: list[Path] = typer.Argument(None, help="Text to score (default: embedded corpus)."),
    corpus: str = typer.Option(None, "--corpus", help="Embedded corpus when no FILES."),
    batch_size: int = typer.Option(None, "--batch-size", hidden=True,
                                   help="Ignored (the text is scored as one sequence)."),
    seq_len: int = typer.Option(128, "--seq-len", help="Tokens per forward call; the state "
                                "carries across calls, so the score does not depend on it."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP + " Neural models."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Score text with a neural checkpoint or an n-gram model.

    A neural model reads the text as one sequence from a fresh state, as
    generate does, and is scored on every token after the first (N - 1
    predictions for N tokens).

    Examples:
      seqlab eval model.safetensors held_out.txt
      seqlab eval corpus.arpa test.txt --json
    """
    kind, loaded = load_any(model_path)
    if batch_size is not None and kind != "ngram":
        Output(as_json=as_json).warn(
            "--batch-size is ignored: eval scores the text as one sequence (every token after "
            "the first, the state carried through), so the score is the same without it")
    if kind == "ngram":
        from seqlab.cli.commands import ngram

        # tokenized as the model's training text was (recorded in its file), as `ngram eval`
        ngram.report_perplexity(loaded, files, corpus, lowercase=None, as_json=as_json,
                                command="eval")
        return
    use_threads(threads)
    if files:
        with _scratch_folder(model_path) as scratch:
            _evaluate_files(loaded, files, Path(scratch), seq_len, as_json)
        return
    from seqlab.cli.inputs import corpus_text

    text, source = corpus_text(None, corpus)
    tokens = lm_text.encode_corpus(loaded.tokenizer, text)
    import numpy as np

    unknown = int(np.count_nonzero(tokens == loaded.tokenizer.unk_id))
    _report(loaded, tokens, len(text), unknown, source, seq_len, as_json)


def _scratch_folder(model_path: Path) -> tempfile.TemporaryDirectory:
    """A temporary folder for the streamed ids: beside the model, or the system's if that
    folder is read-only."""
    folder = model_path.resolve().parent
    return tempfile.TemporaryDirectory(prefix=f".{model_path.name}.eval-",
                                       dir=folder if os.access(folder, os.W_OK) else None)


def _evaluate_files(loaded, files: list[Path], scratch: Path, seq_len: int,
                    as_json: bool) -> None:
    """Stream FILES (stdin copied to `scratch` first) into memory-mapped ids and score them."""
    from seqlab.cli.inputs import CorpusPieces
    from seqlab.nlp.corpora import builtin_pattern, spooled_stdin, token_pattern

    source = ", ".join(str(f) for f in files)
    if sum(str(f) == "-" for f in files) > 1:
        raise CliError("'-' (standard input) can be given only once", code=2)
    with spooled_stdin(files, scratch) as sources:
        pieces = CorpusPieces(sources, builtin=builtin_pattern(loaded.tokenizer),
                              token_pattern=token_pattern(loaded.tokenizer))
        char_level = loaded.tokenizer.to_dict().get("type") == "char"  # a newline is a token
        pieces.names = [str(f) for f in files]  # messages name '-', not stdin's copy
        pieces.require_text(any_character=char_level)
        streamed = lm_text.stream_corpus_ids(pieces, loaded.tokenizer, scratch / "ids.bin")
    _report(loaded, streamed.ids, streamed.characters, streamed.unknown, source, seq_len,
            as_json)


def _report(loaded, tokens: np.ndarray, chars: int, unknown_count: int, source: str,
            seq_len: int, as_json: bool) -> None:
    """Score the ids with the model and print loss, perplexity and bits.

    One stream (batch 1) over all the ids, `seq_len` at a time with the state carried: every
    token after the first is predicted once, from all the text before it. Splitting the text
    into parallel columns would start each column from a fresh state (and drop the remainder
    that fills no column), so the score would depend on the batch size.
    """
    from seqlab.seqmodels import TokenStreams, Trainer

    if tokens.size < 2:
        raise CliError(f"{source} gives {tokens.size} token{'' if tokens.size == 1 else 's'}; "
                       "eval scores each token after the first, so give a text of at least 2 "
                       "tokens")
    data = TokenStreams(tokens, 1, seq_len)
    trainer = Trainer(loaded.model, None, data, max_steps=1)
    metrics = trainer.evaluate(data)
    # of the tokens reported (every one after the first: the first is given, not predicted)
    unknown_scored = unknown_count - int(tokens[0] == loaded.tokenizer.unk_id)
    unknown = unknown_scored / max(metrics["tokens"], 1)
    level = loaded.tokenizer.to_dict().get("type")
    byte_level = level == "char" and getattr(loaded.tokenizer, "byte_level", False)
    bits = metrics["loss"] * metrics["tokens"] / math.log(2)
    if level == "char" and not byte_level:
        # the predicted characters are the predicted tokens: one figure
        bits_per_char = metrics["bits_per_token"]
    elif byte_level:
        # tokens are bytes: the bits over the predicted characters (after the first), as the
        # char-level figure
        bits_per_char = bits / max(chars - 1, 1)
    else:
        # the text's bits spread over its characters
        bits_per_char = bits / max(chars, 1)
    per_character = ("" if level == "char" and not byte_level
                     else f", {loss_text(bits_per_char)} bits per character")
    token_bits = "bits per byte" if byte_level else bits_name(level)
    Output(as_json=as_json).result(
        {"loss": metrics["loss"], "perplexity": metrics["perplexity"],
         "bits_per_token": metrics["bits_per_token"], "bits_per_char": bits_per_char,
         "tokens": metrics["tokens"], "sentences": None, "unknown_tokens": unknown_scored,
         "unknown_fraction": unknown, "source": source},
        f"loss {loss_text(metrics['loss'])} nats  perplexity "
        f"{loss_text(metrics['perplexity'])}  "
        f"{loss_text(metrics['bits_per_token'])} {token_bits}{per_character}  "
        f"({metrics['tokens']:,} tokens of {source}"
        + (f", {unknown:.1%} unknown" if unknown else "") + ")",
    )
