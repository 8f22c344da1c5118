"""`seqlab demo`: the first thing to run. Trains a small char LSTM for about a minute on an
embedded news corpus, then streams a generated paragraph."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from seqlab.cli.console import Output, stderr, styled, write_stream
from seqlab.cli.lm_text import bits_name
from seqlab.cli.lm_training import TrainOptions, run_training
from seqlab.cli.loss_display import loss_text
from seqlab.cli.outputs import check_checkpoint_output, force_option
from seqlab.cli.threads import set_threads


def demo(
    seconds: float = typer.Option(60.0, "--seconds", help="Training time budget."),
    corpus: str = typer.Option("lee", "--corpus", help="Embedded corpus: lee, wiki, polarity."),
    length: int = typer.Option(600, "--length", help="Characters to generate."),
    temperature: float = typer.Option(0.7, "--temperature",
                                      help="Sampling temperature (0: greedy)."),
    prompt: str = typer.Option("The ", "--prompt", help="Text the generation starts from."),
    out: Path = typer.Option(None, "--out", help="Keep the model here (default: a temp dir)."),
    seed: int = typer.Option(0, "--seed", help="Seed of training and sampling."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = force_option(),
) -> None:
    """Train a char-level LSTM on an embedded corpus for about a minute, then generate.

    Example: seqlab demo --seconds 120 --corpus wiki
    """
    if out is not None:
        check_checkpoint_output(out, force=force, model="LanguageModel")
    set_threads(None)
    output = Output(quiet)
    with tempfile.TemporaryDirectory(prefix="seqlab-demo-") as scratch:
        path = out or Path(scratch) / "demo.safetensors"
        options = TrainOptions(files=None, corpus=corpus, out=path, level="char", cell="lstm",
                               hidden_size=256, num_layers=1, embedding_dim=64, dropout=0.0,
                               seq_len=64, batch_size=32, lr=3e-3, time_budget=seconds,
                               val_fraction=0.05, eval_every=100, checkpoint_every=10**9,
                               keep_last=1, seed=seed, report_kept=out is not None)
        summary = run_training(options, output)
        if summary.valid:
            output.info(f"Validation: {loss_text(summary.valid['bits_per_token'])} "
                        f"{bits_name('char')} after {summary.steps} steps.")
        output.info(styled(("Generated text:", "bold")))
        from seqlab.cli.commands.generate import _generate_neural
        from seqlab.cli.models import load_neural

        loaded = load_neural(path)
        _generate_neural(loaded, prompt, length, temperature, None, None, 1.0, None, 1.0, False,
                         [], seed, True)
        if out:
            stderr.print(f"Model saved to {out}; try: seqlab generate {out} --prompt \"...\"")
    write_stream("")
