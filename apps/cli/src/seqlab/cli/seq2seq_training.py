"""What `seqlab seq2seq train` does: read pairs, build tokenizers and model (or resume), train
with a live progress display, save checkpoints, stop cleanly on Ctrl-C."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seqlab.cli.clip_option import clip_norm
from seqlab.cli.console import Output
from seqlab.cli.errors import CliError, require_file
from seqlab.cli.loss_display import loss_text
from seqlab.cli.model_memory import out_of_memory
from seqlab.cli.run_files import claim_checkpoint_dir
from seqlab.cli.run_ownership import OtherRunFiles, check_run_files
from seqlab.cli.sidecar_folders import cache_dir
from seqlab.cli.training import (
    absolute_path,
    apply_run,
    check_resumed_output,
    checkpoint_dir,
    continue_run,
    load_initial,
    load_resumable,
    progress_total,
    require_kind,
    resume_latest,
    resume_trainer,
    run_trainer,
    shown_out,
    trainer_limits,
)

ARCHITECTURE_KEYS = ("cell", "hidden_size", "num_layers", "embedding_dim", "bidirectional",
                     "attention", "input_feeding", "dropout", "tie_weights")
DEFAULTS = {"cell": "lstm", "hidden_size": 256, "num_layers": 2, "embedding_dim": None,
            "bidirectional": True, "attention": "general", "input_feeding": False,
            "dropout": 0.2, "tie_weights": False}
# the embedded G2P default's recipe for an hour on 2 cores: one layer each side trains about
# twice the steps of two in the same time; 384 wide with dropout 0.3 beat 256 with 0.2 (which
# overfit) at 60 minutes: WER 27.9% vs 28.3% (BENCHMARKS.md, issue 13)
G2P_DEFAULTS = {"num_layers": 1, "hidden_size": 384, "dropout": 0.3}


RUN_DEFAULTS = {"batch_size": 64, "lr": 2e-3, "lr_schedule": "cosine", "warmup_steps": 200,
                "clip": 5.0, "val_fraction": 0.1, "eval_every": 500, "checkpoint_every": 1000,
                "keep_last": 3, "seed": 0}
# what a resumed run may not change: its data and batching (the saved data position depends on
# them) and the shape of its learning-rate schedule (restored with the optimizer); a new --lr
# rescales the schedule where it is (lowering it is what a diverged run is told to do)
FIXED = ("files", "columns", "source_level", "target_level", "vocab_size", "batch_size",
         "val_fraction", "seed", "lr_schedule", "warmup_steps")


@dataclass
class Seq2SeqOptions:
    """Everything a run needs (None: the default, the resumed run's, or the model's)."""

    pairs: list[Path] | None  # None: the embedded G2P default (CMUdict)
    out: Path | None
    source_level: str | None = None
    target_level: str | None = None
    vocab_size: int | None = None
    architecture: dict[str, Any] = field(default_factory=dict)
    batch_size: int | None = None
    lr: float | None = None
    lr_schedule: str | None = None  # constant, linear or cosine decay to the run's end
    warmup_steps: int | None = None
    clip: float | None = None
    steps: int | None = None
    epochs: int | None = None
    time_budget: float | None = None
    val_fraction: float | None = None
    eval_every: int | None = None
    checkpoint_every: int | None = None
    keep_last: int | None = None
    resume: Path | None = None
    init_from: Path | None = None
    seed: int | None = None
    columns: str | None = None  # --columns "S,T": the fields of each PAIRS line (from 1)


def _record(options: Seq2SeqOptions) -> dict[str, Any]:
    """The run as stored with its checkpoints: what `--resume` continues."""
    record = {key: value for key, value in asdict(options).items()
              if key not in ("pairs", "architecture", "resume")}
    record["files"] = [absolute_path(p) for p in options.pairs] if options.pairs else None
    for key in ("out", "init_from"):
        record[key] = absolute_path(record[key])
    record["command"] = "seq2seq train"
    return record


def _resolve(options: Seq2SeqOptions, force: bool, out_given: bool) -> Any:
    """Merge a resumed run's options and apply the defaults; returns the checkpoint to start
    from (`--resume` or `--init-from`), or None. A resumed run given no --out writes the --out
    its run recorded, which passes the output guard here (it may be someone else's file now)."""
    if options.resume is not None and options.init_from is not None:
        raise CliError("give --resume (continue a run) or --init-from (start a new run from a "
                       "model's weights), not both", code=2)
    source = None
    if options.resume is not None:
        source = load_resumable(Path(options.resume))
        require_kind(source, "Seq2Seq", Path(options.resume), "a seq2seq model",
                     "resume it with the command that trained it")
        out_now = options.out  # --out, or the run's file resume_latest resumes
        given = _record(options)
        run = dict(source.training.run or {})
        merged = continue_run(run, given, FIXED, Path(options.resume))
        apply_run(options, merged)
        files = merged.get("files")
        options.pairs = [Path(p) for p in files] if files else None
        options.out = Path(shown_out(out_now, merged, options.resume))
        if not out_given:
            check_resumed_output(options.out, options.pairs or (), force=force, model="Seq2Seq")
    elif options.init_from is not None:
        source = load_initial(Path(options.init_from))
        require_kind(source, "Seq2Seq", Path(options.init_from), "a seq2seq model",
                     "fine-tune a model written by `seqlab seq2seq train`")
        if options.out is not None and \
                Path(options.out).resolve() == Path(options.init_from).resolve():
            raise CliError(f"--out {options.out} is the --init-from model; give another --out")
    options.out = Path(options.out or "seq2seq.safetensors")
    for key, value in RUN_DEFAULTS.items():
        if getattr(options, key) is None:
            setattr(options, key, value)
    return source


MAX_LEN = 1000  # characters a side of a pair or a line to translate (--max-length)

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


def build_tokenizer(level: str, texts: Iterable[str], vocab_size: int | None):
    """A tokenizer trained on `"\\n".join(texts)`, the texts streamed (never joined whole)."""
    from seqlab.cli.tokenizer_choice import train_tokenizer
    from seqlab.nlp.corpora.labelled_ids import vocabulary_pieces

    return train_tokenizer(level, vocabulary_pieces(texts), vocab_size)


class PairFiles:
    """The pairs of PAIRS files, read again on every pass (never held whole): each pass checks
    the lines as `seqmodels.seq2seq.data.read_pairs` does (a bad one is a one-line CliError),
    reading the fields `columns` ("S,T", from 1; None: exactly two a line) names;
    `held_out` and `train` pick a side of the split."""

    def __init__(self, paths: list[Path], max_len: int | None, fraction: float,
                 columns: str | None = None) -> None:
        from seqlab.cli.inputs import decode_errors
        from seqlab.cli.pair_columns import library_columns

        for path in paths:
            require_file(path, "PAIRS file")
        from seqlab.seqmodels.seq2seq.data import held_out_rule

        self.paths, self.max_len, self.fraction = paths, max_len, fraction
        self.columns = library_columns(columns)  # 0-based, as the readers take them
        self.errors = decode_errors()  # the root --errors option
        # whether a pair (by its source) is held out; called for every pair of every pass
        self.held_out: Callable[[str], bool] = held_out_rule(fraction)
        self.counts: tuple[int, int] | None = None  # (training, held-out), once read

    def __iter__(self) -> Iterator[tuple[str, str]]:
        from seqlab.cli.inputs import remedy
        from seqlab.cli.pair_columns import pairs_message
        from seqlab.seqmodels.seq2seq.data import PairFileError, read_pairs

        for path in self.paths:
            try:
                yield from read_pairs(path, self.max_len, self.errors, self.columns)
            except PairFileError as error:
                raise CliError(pairs_message(remedy(str(error)))) from error

    def train(self) -> Iterator[tuple[str, str]]:
        """The training side's pairs, in order; a whole pass also counts both sides
        (`counts`), so the first vocabulary's pass needs no counting pass before it."""
        counts = [0, 0]
        for pair in self:
            held = self.held_out(pair[0])
            counts[held] += 1
            if not held:
                yield pair
        self.counts = (counts[0], counts[1])

    def count(self) -> tuple[int, int]:
        """(training pairs, held-out pairs): one pass, which also checks every line (none
        when a pass of `train()` already counted them)."""
        if self.counts is None:
            for _ in self.train():
                pass
        return self.counts


def _architecture(options: Seq2SeqOptions, saved: dict[str, Any] | None) -> dict[str, Any]:
    """The model's architecture: the options over the defaults, or a resumed / initial model's
    (an option that differs from it is a CliError)."""
    base = dict(DEFAULTS)
    if not options.pairs:
        base.update(G2P_DEFAULTS)
    if saved:
        flag = "--resume" if options.resume is not None else "--init-from"
        path = options.resume if options.resume is not None else options.init_from
        base.update({key: saved[key] for key in ARCHITECTURE_KEYS})
        for key, value in options.architecture.items():
            if value is not None and saved[key] != value:
                raise CliError(f"{flag} {path}: the model has {key}={saved[key]}, but {value} "
                               "was asked for (drop the option to keep that model's "
                               "architecture)")
    base.update({k: v for k, v in options.architecture.items() if v is not None})
    if base["embedding_dim"] is None:
        base["embedding_dim"] = base["hidden_size"] if base["tie_weights"] else \
            min(base["hidden_size"], 128)
    return base


def _tokenizers(options: Seq2SeqOptions, source: Any,
                train_pairs: Callable[[], Iterable[tuple[str, str]]]):
    """(source, target) tokenizers: a resumed or initial model's, else built from the
    training pairs (`train_pairs()`: a fresh pass over them; one pass a side)."""
    from seqlab.nlp.tokenizers import Tokenizer

    if source is None:
        return (build_tokenizer(options.source_level or "char",
                                (s for s, _ in train_pairs()), options.vocab_size),
                build_tokenizer(options.target_level or "char",
                                (t for _, t in train_pairs()), options.vocab_size))
    flag = "--resume" if options.resume is not None else "--init-from"
    tokenizers = (Tokenizer.from_dict(source.tokenizer["source"]),
                  Tokenizer.from_dict(source.tokenizer["target"]))
    for side, tokenizer in zip(("source", "target"), tokenizers, strict=True):
        level = getattr(options, f"{side}_level")
        if level is not None and level != tokenizer.type_name:
            raise CliError(f"{flag} {options.resume or options.init_from}: the model's {side} "
                           f"is {tokenizer.type_name}-level, but --{side}-level {level} was "
                           "asked for")
        setattr(options, f"{side}_level", tokenizer.type_name)
    return tokenizers


def _encode(pairs: list[tuple[str, str]], tokenizers: tuple[Any, Any], what: str):
    from seqlab.seqmodels.seq2seq.data import PairCorpus

    try:
        return PairCorpus.encode(pairs, *tokenizers)
    except ValueError as error:
        raise CliError(f"a {what} pair cannot be used: {error} (choose another --source-level "
                       "/ --target-level or fix the pair)") from error


def _encode_files(files: PairFiles, tokenizers: tuple[Any, Any], out: Path):
    """(training, held-out) PairCorpus of the PAIRS files: ids encoded once into the id cache
    beside --out (`<stem>.cache`), memory-mapped, reused while files and tokenizers are
    unchanged."""
    from seqlab.nlp.corpora.pair_ids import EmptyPairError, cached_pair_ids
    from seqlab.seqmodels.seq2seq.data import PairCorpus

    try:
        segments = cached_pair_ids(lambda: iter(files), list(files.paths), files.held_out,
                                   {"val_fraction": files.fraction, "max_len": files.max_len,
                                    "errors": files.errors,
                                    "columns": list(files.columns) if files.columns else None},
                                   *tokenizers, cache_dir(out))
    except EmptyPairError as error:
        raise CliError(f"a pair cannot be used: {error} (choose another --source-level "
                       "/ --target-level or fix the pair)") from error
    return tuple(PairCorpus(segments[f"{side}-source"].ids, segments[f"{side}-source"].offsets,
                            segments[f"{side}-target"].ids, segments[f"{side}-target"].offsets)
                 for side in ("train", "valid"))


def run_seq2seq_training(options: Seq2SeqOptions, output: Output, *,
                         force: bool = False, max_len: int = MAX_LEN) -> dict[str, Any]:
    """Train (continue with --resume, fine-tune with --init-from) as the options say; returns
    the result record. `force`: the --force of the output guard; `max_len`: the longest side
    of a pair, in characters. A run refused before its first step (a first batch larger than
    memory, say) removes the metrics log and id cache it created."""
    from seqlab.cli.metrics_log import metrics_path
    from seqlab.cli.refusal_cleanup import removed_on_refusal

    out_given = options.out is not None  # before resume_latest fills it
    resume_latest(options, output)
    given_lr = options.lr  # None unless --lr was given (a resumed run's is merged below)
    source = _resolve(options, force, out_given)
    out = Path(options.out)
    other_run_files = check_run_files(out, force=force,
                                      resumed_from=source, resume_path=options.resume)
    run: dict[str, Any] = {}

    def trained() -> bool:
        return "trainer" in run and run["trainer"].step > run["start"]

    with removed_on_refusal([metrics_path(out), cache_dir(out)], trained):
        return _train(options, output, source, max_len, run, given_lr, other_run_files)


def _train(options: Seq2SeqOptions, output: Output, source: Any, max_len: int,
           run: dict[str, Any], given_lr: float | None,
           other_run_files: OtherRunFiles | None) -> dict[str, Any]:
    from seqlab.autograd import optim
    from seqlab.seqmodels.checkpoint import load_state_into
    from seqlab.seqmodels.seq2seq import Seq2Seq
    from seqlab.seqmodels.seq2seq.data import PairBatches
    from seqlab.seqmodels.seq2seq.translate import tokenizer_header
    from seqlab.seqmodels.trainer import Trainer

    task = None
    if options.pairs:
        files = PairFiles(options.pairs, max_len, options.val_fraction, options.columns)
        # a new model's first vocabulary pass counts the pairs (and checks every line)
        tokenizers = _tokenizers(options, source, files.train)
        train_count, valid_count = files.count()
        if not train_count + valid_count:
            raise CliError(f"no pairs in {', '.join(map(str, options.pairs))}: each line must "
                           "be source<TAB>target")
        if not train_count:
            raise CliError(f"all {valid_count} pairs fell in the held-out part; lower "
                           "--val-fraction")
        train_corpus, valid_corpus = _encode_files(files, tokenizers, Path(options.out))
    else:
        task = G2P_TASK
        output.info("No PAIRS: training grapheme-to-phoneme conversion on the CMU Pronouncing "
                    f"Dictionary (10% of the words held out; {VALID_LIMIT} of them scored "
                    "during training)")
        train_pairs, valid_pairs = g2p_pairs()
        valid_pairs = _every_kth(valid_pairs, VALID_LIMIT)
        options.source_level = options.source_level or "char"
        options.target_level = options.target_level or "word"
        tokenizers = _tokenizers(options, source, lambda: train_pairs)
        train_corpus = _encode(train_pairs, tokenizers, "training")
        valid_corpus = _encode(valid_pairs, tokenizers, "held-out") if valid_pairs else None
    arch = _architecture(options, source.config if source is not None else None)
    try:
        model = Seq2Seq(tokenizers[0].vocab_size, tokenizers[1].vocab_size,
                        pad_id=tokenizers[1].pad_id, bos_id=tokenizers[1].bos_id,
                        eos_id=tokenizers[1].eos_id, generator=options.seed, **arch)
    except ValueError as error:
        raise CliError(str(error), code=2) from error
    if options.init_from is not None:
        try:
            load_state_into(model, source.state, options.init_from)
        except ValueError as error:
            raise CliError(f"--init-from {options.init_from}: "
                           f"{str(error).splitlines()[0]}") from error
    ids = {"pad_id": model.pad_id, "bos_id": model.bos_id, "eos_id": model.eos_id}
    train_data = PairBatches(train_corpus, options.batch_size, seed=options.seed, **ids)
    valid_data = None
    if valid_corpus is not None and len(valid_corpus):
        valid_data = PairBatches(valid_corpus, max(options.batch_size, 64), **ids)
    limits = {"steps": options.steps, "epochs": options.epochs,
              "time_budget": options.time_budget}
    if all(value is None for value in limits.values()):
        limits["epochs"] = options.epochs = 10
    out = Path(options.out)
    folder = claim_checkpoint_dir(checkpoint_dir(out), create=False)
    optimizer = optim.Adam(model.parameters(), lr=options.lr)
    scheduler = optim.lr_scheduler.RunDecayLR(optimizer, options.lr_schedule,
                                              warmup_steps=options.warmup_steps)
    trainer = Trainer(
        model, optimizer, train_data, valid_data, scheduler=scheduler,
        clip_norm=clip_norm(options.clip), eval_every=options.eval_every if valid_data else None,
        checkpoint_dir=folder, checkpoint_every=options.checkpoint_every,
        keep_last=options.keep_last, tokenizer=tokenizer_header(*tokenizers, task),
        run=_record(options), **trainer_limits(limits))
    if options.resume is not None:
        resume_trainer(trainer, options.resume, limits, _record(options),
                       given_lr=given_lr, output=output)
    run.update(trainer=trainer, start=trainer.step)
    output.info(
        f"Training a {arch['num_layers']}x{arch['hidden_size']} {arch['cell'].upper()} "
        f"encoder-decoder ({arch['attention']} attention) on {len(train_corpus):,} pairs, "
        f"{len(valid_data.corpus) if valid_data is not None else 0:,} held out; vocabularies "
        f"{tokenizers[0].vocab_size} -> "
        f"{tokenizers[1].vocab_size}, {model.num_parameters():,} parameters"
        + (f", resuming at step {trainer.step}" if trainer.step else "")
        + (f", starting from {options.init_from}" if options.init_from is not None else ""))
    total, kind = progress_total(limits, len(train_data), trainer.step)

    def valid_text(metrics: dict[str, Any]) -> str:
        text = loss_text(metrics["loss"])
        if "exact_match" in metrics:
            text += (f"  exact {100 * metrics['exact_match']:.1f}%  "
                     f"TER {100 * metrics['token_error_rate']:.1f}%")
        return text

    with out_of_memory("a batch of pairs this long", "--max-length or --batch-size"):
        outcome = run_trainer(trainer, out, output, unit="tok", total=total, kind=kind,
                              resume_command=f"seqlab seq2seq train --resume "
                                             f"{shlex.quote(str(out))}",
                              resumed=options.resume is not None, valid_text=valid_text,
                              uniform_over=(model.target_vocab_size, "target tokens"),
                              other_run_files=other_run_files)
    result, valid = outcome.result, outcome.valid or {}
    return {"model": str(out), "steps": trainer.step, "epochs": train_data.epoch,
            "stop_reason": result.stop_reason, "seconds": outcome.seconds,
            "target_tokens": trainer.tokens_seen, "train_loss": outcome.train_loss,
            "valid_loss": valid.get("loss"), "valid_exact_match": valid.get("exact_match"),
            "valid_token_error_rate": valid.get("token_error_rate"),
            "best_model": str(folder / "best.safetensors") if valid else None,
            "metrics": str(outcome.metrics_path)}
