"""What `seqlab seq2seq train` does: read pairs, build tokenizers and model (or resume), train
with a live progress display, save checkpoints, stop cleanly on Ctrl-C."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.cli.console import Output
from seqlab.cli.errors import CliError, require_file
from seqlab.cli.training import checkpoint_dir, run_trainer

ARCHITECTURE_KEYS = ("cell", "hidden_size", "num_layers", "embedding_dim", "bidirectional",
                     "attention", "input_feeding", "dropout", "tie_weights")
DEFAULTS = {"cell": "lstm", "hidden_size": 256, "num_layers": 2, "embedding_dim": None,
            "bidirectional": True, "attention": "general", "input_feeding": False,
            "dropout": 0.2, "tie_weights": False}


@dataclass
class Seq2SeqOptions:
    """Everything a run needs (None: the default, or the resumed model's)."""

    pairs: list[Path] | None  # None: the embedded G2P default (CMUdict)
    out: Path
    source_level: str | None = None
    target_level: str | None = None
    vocab_size: int | None = None
    architecture: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 64
    lr: float = 2e-3
    lr_schedule: str = "cosine"  # constant, linear or cosine decay to the run's end
    warmup_steps: int = 200
    clip: float = 5.0
    steps: int | None = None
    epochs: int | None = None
    time_budget: float | None = None
    val_fraction: float = 0.1
    eval_every: int = 200
    checkpoint_every: int = 1000
    keep_last: int = 3
    resume: Path | None = None
    seed: int = 0
    argv: list[str] = field(default_factory=list)


def read_all_pairs(paths: list[Path]) -> list[tuple[str, str]]:
    """Every (source, target) line of the PAIRS files, as one-line CliErrors on bad input."""
    from seqlab.seqmodels.seq2seq.data import PairFileError, read_pairs

    pairs: list[tuple[str, str]] = []
    for path in paths:
        require_file(path, "PAIRS file")
        try:
            pairs.extend(read_pairs(path))
        except PairFileError as error:
            raise CliError(str(error)) from error
    if not pairs:
        raise CliError(f"no pairs in {', '.join(map(str, paths))}: each line must be "
                       "source<TAB>target")
    return pairs


G2P_TASK = "g2p-cmudict"
VALID_LIMIT = 2000  # held-out pairs scored during training (eval scores them all)


def g2p_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The embedded default: CMUdict's (word, phonemes) pairs, training and held-out parts."""
    from seqlab.nlp.corpora.cmudict import g2p_split

    try:
        return g2p_split()
    except (FileNotFoundError, UnicodeDecodeError) as error:
        raise CliError(f"the embedded G2P data cannot be read: {error}") from error


def _every_kth(pairs: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """At most `limit` pairs, spread evenly over the list (a fixed subset)."""
    step = max(1, -(-len(pairs) // limit))
    return pairs[::step]


def build_tokenizer(level: str, texts: list[str], vocab_size: int | None):
    from seqlab.cli.tokenizer_choice import train_tokenizer

    return train_tokenizer(level, "\n".join(texts), vocab_size)


def _architecture(options: Seq2SeqOptions, resumed: dict[str, Any] | None) -> dict[str, Any]:
    base = dict(DEFAULTS)
    if resumed:
        base.update({key: resumed[key] for key in ARCHITECTURE_KEYS})
        for key, value in options.architecture.items():
            if value is not None and resumed[key] != value:
                raise CliError(f"--resume {options.resume}: the checkpoint has {key}="
                               f"{resumed[key]}, but {value} was asked for (drop the option "
                               "to continue that model)")
    base.update({k: v for k, v in options.architecture.items() if v is not None})
    if base["embedding_dim"] is None:
        base["embedding_dim"] = base["hidden_size"] if base["tie_weights"] else \
            min(base["hidden_size"], 128)
    return base


def _resume_command(options: Seq2SeqOptions) -> str:
    args = list(options.argv)
    if "--resume" in args:
        position = args.index("--resume")
        del args[position : position + 2]
    return "seqlab " + " ".join(shlex.quote(a) for a in [*args, "--resume", str(options.out)])


def run_seq2seq_training(options: Seq2SeqOptions, output: Output) -> dict[str, Any]:
    """Train (or resume) as the options say; returns the result record."""
    from seqlab.autograd import optim
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels.checkpoint import load_checkpoint
    from seqlab.seqmodels.seq2seq import Seq2Seq
    from seqlab.seqmodels.seq2seq.data import PairBatches, PairCorpus, split_pairs
    from seqlab.seqmodels.seq2seq.translate import tokenizer_header
    from seqlab.seqmodels.trainer import Trainer

    resumed = None
    if options.resume is not None:
        require_file(options.resume, "--resume checkpoint")
        try:
            resumed = load_checkpoint(options.resume)
        except (ValueError, OSError) as error:
            raise CliError(str(error).splitlines()[0]) from error
        if resumed.config.get("model") != "Seq2Seq" or resumed.training is None:
            raise CliError(f"--resume {options.resume}: not a resumable seq2seq checkpoint "
                           "(a different model, or its .train.safetensors file is missing)")
    task = None
    if options.pairs:
        pairs = read_all_pairs(options.pairs)
        train_pairs, valid_pairs = split_pairs(pairs, options.val_fraction)
        if not train_pairs:
            raise CliError(f"all {len(pairs)} pairs fell in the held-out part; lower "
                           "--val-fraction")
    else:
        task = G2P_TASK
        output.info("No PAIRS: training grapheme-to-phoneme conversion on the CMU Pronouncing "
                    f"Dictionary (10% of the words held out; {VALID_LIMIT} of them scored "
                    "during training)")
        train_pairs, valid_pairs = g2p_pairs()
        valid_pairs = _every_kth(valid_pairs, VALID_LIMIT)
        options.source_level = options.source_level or "char"
        options.target_level = options.target_level or "word"
    if resumed is not None:
        source_tokenizer = Tokenizer.from_dict(resumed.tokenizer["source"])
        target_tokenizer = Tokenizer.from_dict(resumed.tokenizer["target"])
        for side, level, tokenizer in (("source", options.source_level, source_tokenizer),
                                       ("target", options.target_level, target_tokenizer)):
            if level is not None and level != tokenizer.type_name:
                raise CliError(f"--resume {options.resume}: the checkpoint's {side} is "
                               f"{tokenizer.type_name}-level, but --{side}-level {level} was "
                               "asked for")
    else:
        source_tokenizer = build_tokenizer(options.source_level or "char",
                                           [s for s, _ in train_pairs], options.vocab_size)
        target_tokenizer = build_tokenizer(options.target_level or "char",
                                           [t for _, t in train_pairs], options.vocab_size)
    try:
        train_corpus = PairCorpus.encode(train_pairs, source_tokenizer, target_tokenizer)
    except ValueError as error:
        raise CliError(f"a training pair cannot be used: {error} (choose another "
                       "--source-level / --target-level or fix the pair)") from error
    arch = _architecture(options, resumed.config if resumed else None)
    try:
        model = Seq2Seq(source_tokenizer.vocab_size, target_tokenizer.vocab_size,
                        pad_id=target_tokenizer.pad_id, bos_id=target_tokenizer.bos_id,
                        eos_id=target_tokenizer.eos_id, generator=options.seed, **arch)
    except ValueError as error:
        raise CliError(str(error), code=2) from error
    ids = {"pad_id": model.pad_id, "bos_id": model.bos_id, "eos_id": model.eos_id}
    train_data = PairBatches(train_corpus, options.batch_size, seed=options.seed, **ids)
    valid_data = None
    if valid_pairs:
        try:
            valid_corpus = PairCorpus.encode(valid_pairs, source_tokenizer, target_tokenizer)
        except ValueError as error:
            raise CliError(f"a held-out pair cannot be used: {error}") from error
        valid_data = PairBatches(valid_corpus, max(options.batch_size, 64), **ids)
    limits = {"max_steps": options.steps, "max_epochs": options.epochs,
              "time_budget": options.time_budget}
    if all(value is None for value in limits.values()):
        limits["max_epochs"] = 10
    folder = checkpoint_dir(options.out)
    optimizer = optim.Adam(model.parameters(), lr=options.lr)
    scheduler = optim.lr_scheduler.RunDecayLR(optimizer, options.lr_schedule,
                                              warmup_steps=options.warmup_steps)
    trainer = Trainer(
        model, optimizer, train_data, valid_data, scheduler=scheduler,
        clip_norm=options.clip, eval_every=options.eval_every if valid_data else None,
        checkpoint_dir=folder, checkpoint_every=options.checkpoint_every,
        keep_last=options.keep_last,
        tokenizer=tokenizer_header(source_tokenizer, target_tokenizer, task), **limits)
    if options.resume is not None:
        try:
            trainer.resume(options.resume)
        except ValueError as error:
            raise CliError(str(error).splitlines()[0]) from error
        if options.steps is not None and trainer.step >= options.steps:
            raise CliError(f"the checkpoint is already at step {trainer.step}; ask for more "
                           "--steps than that to continue")
    output.info(
        f"Training a {arch['num_layers']}x{arch['hidden_size']} {arch['cell'].upper()} "
        f"encoder-decoder ({arch['attention']} attention) on {len(train_corpus):,} pairs, "
        f"{len(valid_pairs):,} held out; vocabularies {source_tokenizer.vocab_size} -> "
        f"{target_tokenizer.vocab_size}, {model.num_parameters():,} parameters"
        + (f", resuming at step {trainer.step}" if trainer.step else ""))
    if options.steps is not None:
        total, kind = options.steps, "steps"
    elif options.time_budget is not None and options.epochs is None:
        total, kind = options.time_budget, "time"
    else:
        total, kind = (limits["max_epochs"]) * len(train_data), "steps"

    def valid_text(metrics: dict[str, Any]) -> str:
        text = f"{metrics['loss']:.3f}"
        if "exact_match" in metrics:
            text += (f"  exact {100 * metrics['exact_match']:.1f}%  "
                     f"TER {100 * metrics['token_error_rate']:.1f}%")
        return text

    outcome = run_trainer(trainer, options.out, output, unit="tok", total=total, kind=kind,
                          resume_command=_resume_command(options),
                          resumed=options.resume is not None, valid_text=valid_text)
    result, valid = outcome.result, outcome.valid or {}
    metrics_path = outcome.metrics_path
    return {"model": str(options.out), "steps": trainer.step, "stop_reason": result.stop_reason,
            "seconds": outcome.seconds, "target_tokens": trainer.tokens_seen,
            "train_loss": outcome.train_loss, "valid_loss": valid.get("loss"),
            "valid_exact_match": valid.get("exact_match"),
            "valid_token_error_rate": valid.get("token_error_rate"),
            "best_model": str(folder / "best.safetensors") if valid else None,
            "metrics": str(metrics_path)}
