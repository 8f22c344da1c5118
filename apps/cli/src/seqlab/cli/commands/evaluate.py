"""`seqlab eval`: loss, perplexity and bits per token of a model on some text."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import typer

from seqlab.cli.console import Output
from seqlab.cli.errors import CliError
from seqlab.cli.lm_text import bits_name
from seqlab.cli.models import load_any


def evaluate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    files: list[Path] = typer.Argument(None, help="Text to score (default: embedded corpus)."),
    corpus: str = typer.Option(None, "--corpus", help="Embedded corpus when no FILES."),
    batch_size: int = typer.Option(16, "--batch-size"),
    seq_len: int = typer.Option(128, "--seq-len"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Score text with a neural checkpoint or an n-gram model.

    Examples:
      seqlab eval model.safetensors held_out.txt
      seqlab eval corpus.arpa test.txt --json
    """
    kind, loaded = load_any(model_path)
    if kind == "ngram":
        from seqlab.cli.commands import ngram

        ngram.report_perplexity(loaded, files, corpus, lowercase=False, as_json=as_json)
        return
    from seqlab.cli import lm_text
    from seqlab.cli.inputs import corpus_text
    from seqlab.seqmodels import TokenStreams, Trainer

    text, source = corpus_text(files, corpus)
    tokens = lm_text.encode_corpus(loaded.tokenizer, text)
    batch = max(1, min(batch_size, (tokens.size - 1) // 2))
    if tokens.size < 3:
        raise CliError(f"{source} has too few tokens ({tokens.size}) to evaluate")
    data = TokenStreams(tokens, batch, seq_len)
    trainer = Trainer(loaded.model, None, data, max_steps=1)
    metrics = trainer.evaluate(data)
    unknown = float(np.mean(tokens == loaded.tokenizer.unk_id))
    chars = len(text)
    bits_per_char = metrics["loss"] * metrics["tokens"] / math.log(2) / max(chars, 1)
    level = loaded.tokenizer.to_dict().get("type")
    per_character = "" if level == "char" else f", {bits_per_char:.4f} bits per character"
    Output(as_json=as_json).result(
        {"loss": metrics["loss"], "perplexity": metrics["perplexity"],
         "bits_per_token": metrics["bits_per_token"], "bits_per_char": bits_per_char,
         "tokens": metrics["tokens"], "unknown_fraction": unknown, "source": source},
        f"loss {metrics['loss']:.4f} nats  perplexity {metrics['perplexity']:.3f}  "
        f"{metrics['bits_per_token']:.4f} {bits_name(level)}{per_character}  "
        f"({metrics['tokens']:,} tokens of {source}"
        + (f", {unknown:.1%} unknown" if unknown else "") + ")",
    )
