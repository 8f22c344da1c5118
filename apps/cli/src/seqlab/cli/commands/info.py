"""`seqlab info`: what a model file holds (any seqlab checkpoint, or an n-gram model)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from seqlab.cli.console import Output, stdout
from seqlab.cli.errors import CliError, require_file
from seqlab.cli.lm_text import bits_name
from seqlab.cli.models import is_checkpoint
from seqlab.seqmodels.checkpoint import training_path


def _describe_checkpoint(path: Path) -> dict:
    """Architecture, size, tokenizer and history of any seqlab checkpoint (language model,
    classifier, regressor, ...), without needing a tokenizer."""
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels.checkpoint import load_model

    try:
        model, checkpoint = load_model(path)
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise CliError(str(error).splitlines()[0]) from error
    tokenizer = None
    if checkpoint.tokenizer:
        try:
            tokenizer = Tokenizer.from_dict(checkpoint.tokenizer)
        except (ValueError, KeyError, TypeError) as error:
            raise CliError(f"{path}: its tokenizer is unreadable ({error})") from error
    history = [m for m in checkpoint.metrics if isinstance(m, dict) and "loss" in m]
    return {"kind": "neural", "model": checkpoint.config.get("model"),
            "config": checkpoint.config, "parameters": model.num_parameters(),
            "step": checkpoint.step,
            "tokenizer": checkpoint.tokenizer.get("type") if tokenizer else None,
            "vocab_size": tokenizer.vocab_size if tokenizer else None,
            "validation": history[-1] if history else None,
            "best_validation_loss": min((m["loss"] for m in history), default=None),
            "history": history, "resumable": training_path(path).exists()}


def info(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Architecture, parameter count, vocabulary and training history of a model file.

    Example: seqlab info model.safetensors
    """
    require_file(model_path, "model file")
    if not (model_path.suffix == ".safetensors" or is_checkpoint(model_path)):
        from seqlab.cli.commands.ngram import load_ngram

        loaded = load_ngram(model_path)
        data = {"kind": "ngram", "class": type(loaded).__name__, "order": loaded.order,
                "vocab_size": loaded.vocab_size, "ngram_counts": loaded.counts}
        Output(as_json=as_json).result(data, "\n".join(f"{k}: {v}" for k, v in data.items()))
        return
    data = _describe_checkpoint(model_path)
    history = data.pop("history")
    if as_json:
        Output(as_json=True).result(data)
        return
    table = Table(show_header=False, box=None)
    for key, value in data["config"].items():
        table.add_row(key, str(value))
    table.add_row("parameters", f"{data['parameters']:,}")
    if data["tokenizer"]:
        table.add_row("tokenizer", f"{data['tokenizer']} ({data['vocab_size']} tokens)")
    table.add_row("trained steps", str(data["step"]))
    table.add_row("resumable", "yes (training state beside it)" if data["resumable"] else "no")
    if history:
        last = history[-1]
        bits = last.get("bits_per_token")
        table.add_row("last validation", f"{last['loss']:.4f} at step {last.get('step')}"
                      + (f" ({bits:.4f} {bits_name(data['tokenizer'])})"
                         if isinstance(bits, float) else ""))
        table.add_row("validation curve", " ".join(f"{m['loss']:.3f}" for m in history[-8:]))
    stdout.print(table)
