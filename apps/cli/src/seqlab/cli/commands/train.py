"""`seqlab train`: train a recurrent language model on your text (or an embedded corpus)."""

from __future__ import annotations

from pathlib import Path

import typer

from seqlab.cli.clip_option import clip_option
from seqlab.cli.console import Output
from seqlab.cli.errors import CliError
from seqlab.cli.lm_text import bits_name
from seqlab.cli.lm_training import DEFAULTS, TrainOptions, run_training
from seqlab.cli.loss_display import loss_text
from seqlab.cli.outputs import check_checkpoint_output, force_option
from seqlab.cli.replaced_run import note_replaced_model
from seqlab.cli.threads import set_threads
from seqlab.cli.tokenizer_choice import LEVELS, check_vocab_size
from seqlab.cli.training import saved_line

CELLS = ("lstm", "gru", "rnn")


def train(
    files: list[Path] = typer.Argument(None, help="Text files or folders, or '-' for stdin "
                                       "(a folder: its *.txt files, any case, recursively). "
                                       "None: the embedded corpus (--corpus)."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="Model file (safetensors; PyTorch-loadable). Default "
                             "model.safetensors; with --resume, the run's own file."),
    corpus: str = typer.Option(None, "--corpus", help="Embedded corpus: lee, wiki, polarity."),
    level: str = typer.Option(None, "--level", help="char, word or bpe (default char): "
                              "train builds that tokenizer from FILES, as `tokenize train "
                              "--level` does, and the model file keeps it."),
    tokenizer: Path = typer.Option(None, "--tokenizer", help="Use this tokenizer JSON (from "
                                   "`seqlab tokenize train`) instead of building one; the "
                                   "model file keeps it, as it keeps its own."),
    vocab_size: int = typer.Option(None, "--vocab-size", help="Vocabulary size; for char, "
                                  "the most frequent characters (the rest read as <unk>)."),
    cell: str = typer.Option(None, "--cell", help="lstm, gru or rnn (default lstm)."),
    hidden: int = typer.Option(None, "--hidden", help="Hidden size (default 256)."),
    layers: int = typer.Option(None, "--layers", help="Stacked layers (default 2)."),
    embedding_dim: int = typer.Option(None, "--embedding-dim",
                                      help="Default min(hidden, 128) at char level, else hidden."),
    dropout: float = typer.Option(None, "--dropout", help="Between layers and before the "
                                  "output, in [0, 1) (default 0)."),
    seq_len: int = typer.Option(None, "--seq-len", help="BPTT chunk length (default 64)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Parallel streams (default 32)."),
    lr: float = typer.Option(None, "--lr", help="Adam learning rate (default 0.002)."),
    clip: float = clip_option(default=5.0),
    steps: int = typer.Option(None, "--steps", help="Stop at this step: a total, counted "
                              "from the run's start also with --resume."),
    epochs: int = typer.Option(None, "--epochs", help="Stop after this many epochs: a total, "
                               "counted from the run's start also with --resume."),
    time_budget: float = typer.Option(None, "--time-budget", help="Stop after these seconds "
                                      "of training: a total, counted from the run's start "
                                      "also with --resume (300 s trained, 360: one more "
                                      "minute)."),
    val_fraction: float = typer.Option(None, "--val-fraction",
                                       help="Held-out tail of the text (default 0.1)."),
    eval_every: int = typer.Option(None, "--eval-every",
                                   help="Validate every N steps (default 200)."),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every", help="Default 500."),
    keep_last: int = typer.Option(None, "--keep-last", help="Periodic checkpoints kept "
                                  "while training (default 3; removed once --out is saved)."),
    resume: Path = typer.Option(None, "--resume", help="Continue the run saved in this "
                                "checkpoint: its data, its --out, its remaining budget."),
    init_from: Path = typer.Option(None, "--init-from", help="Start a new run from this "
                                   "model's weights and tokenizer (fine-tuning)."),
    seed: int = typer.Option(None, "--seed", help="Default 0."),
    threads: int = typer.Option(None, "--threads",
                                help="Threads to train with (default: all cores)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = force_option(),
) -> None:
    """Train a character-, word- or BPE-level RNN/LSTM/GRU language model.

    Examples:
      seqlab train                          # char LSTM on the embedded 'lee' corpus
      seqlab train book.txt --hidden 512 --time-budget 600 --out book.safetensors
      seqlab train texts/ --level word --cell gru --epochs 5
      seqlab train texts/ --tokenizer bpe.json     # a file from `tokenize train`
      seqlab train --resume book.safetensors                   # continue that run
      seqlab train --resume book.safetensors --steps 5000      # ... up to step 5000
      seqlab train poems.txt --init-from book.safetensors --out poems.safetensors
    """
    if level is not None and level not in LEVELS:
        raise CliError(f"--level must be one of {', '.join(LEVELS)}, got {level!r}", code=2)
    if cell is not None and cell not in CELLS:
        raise CliError(f"--cell must be one of {', '.join(CELLS)}, got {cell!r}", code=2)
    if files and corpus is not None:
        raise CliError(f"give FILES or --corpus {corpus}, not both (--corpus names an embedded "
                       "corpus, used when no FILES are given)", code=2)
    if out is not None or resume is None:  # a resumed run writes its own --out again
        model_out = out if out is not None else Path(DEFAULTS["out"])
        check_checkpoint_output(model_out, [*(files or ()), init_from, tokenizer], force=force,
                                model="LanguageModel")
    check_vocab_size(level or "char", vocab_size)
    set_threads(threads)
    output = Output(quiet, as_json)
    if out is None and resume is None:  # the default name: say which earlier model it replaces
        note_replaced_model(Path(DEFAULTS["out"]), output)
    options = TrainOptions(
        files=files or None, corpus=corpus, out=out, level=level,
        vocab_size=vocab_size, cell=cell, hidden_size=hidden, num_layers=layers,
        embedding_dim=embedding_dim, dropout=dropout, seq_len=seq_len, batch_size=batch_size,
        lr=lr, clip=clip, steps=steps, epochs=epochs, time_budget=time_budget,
        val_fraction=val_fraction, eval_every=eval_every, checkpoint_every=checkpoint_every,
        keep_last=keep_last, resume=resume, init_from=init_from, seed=seed,
        tokenizer=tokenizer,
    )
    summary = run_training(options, output, force=force)
    valid = summary.valid or {}
    output.result(
        {"model": str(summary.model_path), "steps": summary.steps,
         "stop_reason": summary.stop_reason, "seconds": summary.seconds,
         "tokens": summary.tokens, "train_loss": summary.train_loss,
         "valid_loss": valid.get("loss"), "valid_perplexity": valid.get("perplexity"),
         "valid_bits_per_token": valid.get("bits_per_token"),
         "metrics": str(summary.metrics_path)},
        saved_line(summary.model_path, summary.steps, summary.stop_reason)
        + (f"; validation {loss_text(valid['loss'])} nats, "
           f"{loss_text(valid['bits_per_token'])} "
           f"{bits_name(options.level)}" if valid else ""),
        wrap=True,
    )
