"""What `seqlab train` and `seqlab demo` share: build or resume a model, train it with a live
progress display, save checkpoints atomically, stop cleanly on Ctrl-C."""

from __future__ import annotations

import json
import math
import shlex
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli import lm_text
from seqlab.cli.console import Output
from seqlab.cli.errors import EXIT_INTERRUPTED, CliError
from seqlab.cli.plot import loss_chart
from seqlab.cli.progress import make_progress, rate_text
from seqlab.cli.run_files import tidy_periodic_checkpoints

DEFAULT_ARCHITECTURE = {"cell": "lstm", "hidden_size": 256, "num_layers": 2, "dropout": 0.0,
                        "embedding_dim": None}


@dataclass
class TrainOptions:
    """Everything a training run needs (None means: the default, or the resumed model's)."""

    files: list[Path] | None
    corpus: str | None
    out: Path
    level: str = "char"
    vocab_size: int | None = None
    cell: str | None = None
    hidden_size: int | None = None
    num_layers: int | None = None
    embedding_dim: int | None = None
    dropout: float | None = None
    seq_len: int = 64
    batch_size: int = 32
    lr: float = 2e-3
    clip: float = 5.0
    steps: int | None = None
    epochs: int | None = None
    time_budget: float | None = None
    val_fraction: float = 0.1
    eval_every: int = 200
    checkpoint_every: int = 500
    keep_last: int = 3
    resume: Path | None = None
    seed: int = 0
    argv: list[str] = field(default_factory=list)
    report_kept: bool = True  # say which files the run keeps (not for a throwaway demo model)


@dataclass
class TrainSummary:
    model_path: Path
    steps: int
    stop_reason: str
    seconds: float
    tokens: int
    train_loss: float | None
    valid: dict[str, float] | None
    metrics_path: Path
    interrupted: bool


def _architecture(options: TrainOptions, resumed: dict[str, Any] | None) -> dict[str, Any]:
    base = dict(DEFAULT_ARCHITECTURE)
    if resumed:
        base.update({k: resumed[k] for k in base if k in resumed})
    given = {"cell": options.cell, "hidden_size": options.hidden_size,
             "num_layers": options.num_layers, "dropout": options.dropout,
             "embedding_dim": options.embedding_dim}
    if resumed:
        for key, value in given.items():
            if value is not None and resumed.get(key) != value:
                raise CliError(
                    f"--resume {options.resume}: the checkpoint has {key}={resumed.get(key)}, "
                    f"but {value} was asked for (drop the option to continue that model)"
                )
    base.update({k: v for k, v in given.items() if v is not None})
    if base["embedding_dim"] is None:
        base["embedding_dim"] = min(base["hidden_size"], 128) if options.level == "char" \
            else base["hidden_size"]
    return base


def _split(tokens: np.ndarray, val_fraction: float, batch_size: int, seq_len: int):
    from seqlab.seqmodels import TokenStreams

    if tokens.size < 2 * batch_size + 2:
        raise CliError(
            f"the corpus has {tokens.size} tokens, fewer than one batch needs "
            f"({2 * batch_size + 2} for --batch-size {batch_size}); give more text or a "
            "smaller --batch-size"
        )
    n_valid = int(tokens.size * val_fraction)
    valid_tokens = tokens[tokens.size - n_valid:] if n_valid else tokens[:0]
    train_tokens = tokens[: tokens.size - n_valid]
    train = TokenStreams(train_tokens, batch_size, seq_len)
    valid_batch = max(1, min(batch_size, valid_tokens.size // (seq_len + 1)))
    valid = TokenStreams(valid_tokens, valid_batch, seq_len) if valid_tokens.size >= 2 * \
        valid_batch + 2 else None
    return train, valid


UNKNOWN_SAMPLE = 10_000_000  # tokens checked for <unk> when resuming on new text


def _corpus(options: TrainOptions):
    """(text, description): a str for an embedded corpus or stdin, else streamed pieces."""
    from seqlab.cli.inputs import CorpusPieces, corpus_text, streamable

    if not streamable(options.files):
        return corpus_text(options.files, options.corpus)
    pieces = CorpusPieces(options.files)
    pieces.require_text()
    return pieces, pieces.description


def _token_ids(tokenizer, text, options: TrainOptions) -> np.ndarray:
    """The corpus as ids: streamed once into a memory-mapped cache beside the model file."""
    if isinstance(text, str):
        return lm_text.encode_corpus(tokenizer, text)
    from seqlab.nlp.corpora import cached_token_ids

    cache_dir = options.out.parent / f"{options.out.stem}.cache"
    try:
        return cached_token_ids(text.sources, tokenizer, cache_dir,
                                line_eos=lm_text.is_word_level(tokenizer))
    except (ValueError, OSError) as error:
        raise CliError(str(error).replace("\n", " ")) from error


def _resume_command(options: TrainOptions) -> str:
    args = list(options.argv)
    if "--resume" in args:
        position = args.index("--resume")
        del args[position: position + 2]
    return "seqlab " + " ".join(shlex.quote(a) for a in [*args, "--resume", str(options.out)])


class _Display:
    """Trainer callbacks that drive the progress bar and write the metrics JSONL."""

    def __init__(self, progress, task, total_kind: str, metrics_file, started: float) -> None:
        self.progress, self.task, self.total_kind = progress, task, total_kind
        self.metrics_file, self.started = metrics_file, started
        self.train_losses: list[float] = []
        self.valid_losses: list[float] = []
        self.last_valid: dict[str, Any] | None = None
        self.smoothed: float | None = None
        self.tokens_at_start: int | None = None
        self.bits = "bits per token"  # the name for this level (lm_text.bits_name)

    def on_step(self, metrics: dict[str, Any]) -> None:
        loss = metrics["loss"]
        if math.isfinite(loss):
            self.smoothed = loss if self.smoothed is None else 0.95 * self.smoothed + 0.05 * loss
            self.train_losses.append(loss)
        if self.tokens_at_start is None:
            self.tokens_at_start = metrics["tokens"] - 1
        elapsed = time.perf_counter() - self.started
        done = metrics["step"] if self.total_kind == "steps" else (
            metrics["elapsed"] if self.total_kind == "time" else metrics["step"])
        info = f"loss {self.smoothed:.3f}" if self.smoothed is not None else "loss nan"
        if self.last_valid:
            valid = self.last_valid
            info += f"  val {valid['loss']:.3f} ({valid['bits_per_token']:.3f} {self.bits})"
        self.progress.update(self.task, completed=done, info=info,
                             rate=rate_text(metrics["tokens"] - self.tokens_at_start, elapsed,
                                            "tok"))
        if metrics["step"] % 10 == 0 or metrics.get("skipped"):
            self._write({"type": "train", **metrics})

    def on_eval(self, metrics: dict[str, Any]) -> None:
        self.last_valid = metrics
        self.valid_losses.append(metrics["loss"])
        self._write({"type": "valid", **metrics})

    def _write(self, record: dict[str, Any]) -> None:
        clean = {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
                 for k, v in record.items()}
        self.metrics_file.write(json.dumps(clean) + "\n")
        self.metrics_file.flush()


def run_training(options: TrainOptions, output: Output) -> TrainSummary:
    """Train (or resume) a language model as the options say; returns what happened."""
    from seqlab.autograd import optim
    from seqlab.cli.tokenizer_choice import train_tokenizer
    from seqlab.seqmodels import LanguageModel, Trainer
    from seqlab.seqmodels.checkpoint import load_checkpoint

    resumed_config = resumed_tokenizer = None
    if options.resume is not None:
        from seqlab.cli.errors import require_file

        require_file(options.resume, "--resume checkpoint")
        try:
            checkpoint = load_checkpoint(options.resume)
        except (ValueError, OSError) as error:
            raise CliError(str(error).splitlines()[0]) from error
        if checkpoint.training is None:
            raise CliError(f"{options.resume} holds no training state (its "
                           ".train.safetensors file is missing): it cannot be resumed")
        resumed_config, resumed_tokenizer = checkpoint.config, checkpoint.tokenizer
    text, source = _corpus(options)
    if resumed_tokenizer is not None:
        from seqlab.nlp.tokenizers import Tokenizer

        tokenizer = Tokenizer.from_dict(resumed_tokenizer)
        kind = resumed_tokenizer.get("type")
        if options.level and kind and options.level != kind:
            raise CliError(f"--resume {options.resume}: the checkpoint is a {kind}-level model, "
                           f"but --level {options.level} was asked for")
        options.level = options.level or kind
    else:
        output.info(f"Building a {options.level} vocabulary from {source}...")
        tokenizer = train_tokenizer(options.level, text, options.vocab_size)
    tokens = _token_ids(tokenizer, text, options)
    if resumed_tokenizer is not None and tokens.size and \
            np.mean(tokens[:UNKNOWN_SAMPLE] == tokenizer.unk_id) > 0.05:
        output.warn("more than 5% of this corpus is unknown to the resumed model's vocabulary")
    train_data, valid_data = _split(tokens, options.val_fraction, options.batch_size,
                                    options.seq_len)
    arch = _architecture(options, resumed_config)
    model = LanguageModel(tokenizer.vocab_size, arch["embedding_dim"], arch["hidden_size"],
                          arch["num_layers"], cell=arch["cell"], dropout=arch["dropout"],
                          generator=options.seed)
    optimizer = optim.Adam(model.parameters(), lr=options.lr)
    checkpoint_dir = options.out.parent / f"{options.out.stem}.checkpoints"
    checkpoint_dir.mkdir(exist_ok=True)
    limits = {"max_steps": options.steps, "max_epochs": options.epochs,
              "time_budget": options.time_budget}
    if all(v is None for v in limits.values()):
        limits["max_epochs"] = 1
    trainer = Trainer(model, optimizer, train_data, valid_data, clip_norm=options.clip,
                      eval_every=options.eval_every if valid_data is not None else None,
                      checkpoint_dir=checkpoint_dir, checkpoint_every=options.checkpoint_every,
                      keep_last=options.keep_last, tokenizer=tokenizer.to_dict(), **limits)
    if options.resume is not None:
        try:
            trainer.resume(options.resume)
        except ValueError as error:
            raise CliError(str(error).splitlines()[0]) from error
        if options.steps is not None and trainer.step >= options.steps:
            raise CliError(f"the checkpoint is already at step {trainer.step}; ask for more "
                           f"--steps than that to continue")
    output.info(f"Training a {arch['num_layers']}x{arch['hidden_size']} {arch['cell'].upper()} "
                f"on {train_data.tokens_per_epoch:,} {options.level} tokens "
                f"(vocabulary {tokenizer.vocab_size}, {model.num_parameters():,} parameters)"
                + (f", resuming at step {trainer.step}" if trainer.step else ""))
    _warm_up(model, output)
    if options.steps is not None:
        total, kind = options.steps, "steps"
    elif options.time_budget is not None and options.epochs is None:
        total, kind = options.time_budget, "time"
    else:
        total, kind = (options.epochs or 1) * len(train_data), "steps"
    metrics_path = options.out.with_suffix(".metrics.jsonl")
    interrupted = False
    started = time.perf_counter()
    previous_handler = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum, frame):  # first Ctrl-C: finish the step, save, exit 130
        nonlocal interrupted
        interrupted = True
        trainer.request_stop()
        signal.signal(signal.SIGINT, previous_handler)

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        with metrics_path.open("a", encoding="utf-8") as metrics_file, \
                make_progress("tok", output.show_progress) as progress:
            task = progress.add_task("training", total=total, completed=trainer.step
                                     if kind == "steps" else trainer.elapsed, rate="", info="")
            display = _Display(progress, task, kind, metrics_file, started)
            display.bits = lm_text.bits_name(options.level)
            trainer.callbacks.append(display)
            try:
                result = trainer.fit()
            except FloatingPointError as error:
                raise CliError(str(error)) from error
            if not interrupted:  # a run that reached its limit shows a full bar
                progress.update(task, completed=total)
            trainer.save(options.out)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    seconds = time.perf_counter() - started
    summary = TrainSummary(options.out, trainer.step, result.stop_reason, seconds,
                           trainer.tokens_seen, display.smoothed, display.last_valid,
                           metrics_path, interrupted)
    if output.show_progress and (display.train_losses or display.valid_losses):
        output.info(loss_chart(display.train_losses, display.valid_losses))
    kept = tidy_periodic_checkpoints(options.out, checkpoint_dir)
    if options.report_kept:
        output.info(kept)
    if interrupted:
        output.warn(f"interrupted: saved a resumable checkpoint to {options.out}\n"
                    f"  resume with: {_resume_command(options)}")
        raise SystemExit(EXIT_INTERRUPTED)
    return summary


def _warm_up(model, output: Output) -> None:
    """Run one tiny step so the Numba kernels compile (with a status line) before the bar."""
    from seqlab.cli.numba_status import compile_with_status

    def step() -> None:
        from seqlab.autograd.nn.functional import cross_entropy

        tokens = np.zeros((2, 1), dtype=np.int64)
        model.eval()  # no dropout: the generator's state (and so resumed runs) stays untouched
        logits, _ = model(tokens)
        cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1)).backward()
        model.zero_grad()
        model.train()

    compile_with_status(output, KERNEL_MODULES, step)


KERNEL_MODULES = (
    "seqlab.autograd.kernels.recurrent_lstm",
    "seqlab.autograd.kernels.softmax_cross_entropy",
)
