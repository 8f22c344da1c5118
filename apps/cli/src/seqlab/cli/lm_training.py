"""`seqlab train` and `seqlab demo`: build, continue (--resume) or fine-tune (--init-from) a
language model and train it through the shared runner (`seqlab.cli.training`)."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.cli import lm_text
from seqlab.cli.clip_option import clip_norm
from seqlab.cli.console import Output
from seqlab.cli.errors import CliError, output_error_line
from seqlab.cli.loss_display import loss_text
from seqlab.cli.model_memory import check_parameters, language_model_parameters, out_of_memory
from seqlab.cli.run_files import claim_checkpoint_dir
from seqlab.cli.run_ownership import check_run_files
from seqlab.cli.sidecar_folders import cache_dir
from seqlab.cli.training import (
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

if TYPE_CHECKING:
    import numpy as np

DEFAULT_ARCHITECTURE = {"cell": "lstm", "hidden_size": 256, "num_layers": 2, "dropout": 0.0,
                        "embedding_dim": None}
DEFAULTS = {"out": "model.safetensors", "level": "char", "seq_len": 64, "batch_size": 32,
            "lr": 2e-3, "clip": 5.0, "val_fraction": 0.1, "eval_every": 200,
            "checkpoint_every": 500, "keep_last": 3, "seed": 0}
# what a resumed run cannot change: its data, how it is cut, its vocabulary
FIXED = ("files", "corpus", "level", "vocab_size", "seq_len", "batch_size", "val_fraction",
         "seed")


@dataclass
class TrainOptions:
    """Everything a training run needs (None means: the default, or the resumed run's)."""

    files: list[Path] | None
    corpus: str | None
    out: Path | None
    level: str | None = None
    vocab_size: int | None = None
    cell: str | None = None
    hidden_size: int | None = None
    num_layers: int | None = None
    embedding_dim: int | None = None
    dropout: float | None = None
    seq_len: int | None = None
    batch_size: int | None = None
    lr: float | None = None
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
    tokenizer: Path | None = None  # a `tokenize train` file, in place of building one
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


RUN_KEYS = ("files", "corpus", "out", "level", "vocab_size", "seq_len", "batch_size", "lr",
            "clip", "steps", "epochs", "time_budget", "val_fraction", "eval_every",
            "checkpoint_every", "keep_last", "seed", "init_from")


def _run_record(options: TrainOptions) -> dict[str, Any]:
    """The options as JSON, paths absolute, so `--resume` can continue the run anywhere."""
    values = asdict(options)
    record = {key: values[key] for key in RUN_KEYS}
    record["command"] = "train"
    if options.files:
        record["files"] = ["-" if str(f) == "-" else str(Path(f).resolve()) for f in options.files]
    for key in ("out", "init_from"):
        record[key] = str(Path(record[key]).resolve()) if record[key] is not None else None
    return record


def _given(options: TrainOptions) -> dict[str, Any]:
    given = {key: getattr(options, key) for key in RUN_KEYS if key != "init_from"}
    if options.files:
        given["files"] = ["-" if str(f) == "-" else str(Path(f).resolve()) for f in options.files]
    if options.out is not None:
        given["out"] = str(Path(options.out).resolve())
    return given


def _apply(options: TrainOptions, values: dict[str, Any]) -> None:
    for key in RUN_KEYS:
        if key in values and key != "init_from":
            setattr(options, key, values[key])
    options.files = [Path(f) for f in options.files] if options.files else None
    options.out = Path(options.out) if options.out is not None else None


def _given_tokenizer(options: TrainOptions, flag: str) -> dict[str, Any]:
    """The --tokenizer file's tokenizer (as the model's header will store it, as it stores
    one train builds); --level is taken from it, and --vocab-size has no say."""
    from seqlab.cli.tokenizer_file import read_tokenizer_file

    if flag:
        raise CliError(f"give --tokenizer or {flag}, not both: {flag} keeps the model's own "
                       "tokenizer", code=2)
    if options.vocab_size is not None:
        raise CliError("give --tokenizer or --vocab-size, not both: the tokenizer file has its "
                       "own vocabulary", code=2)
    tokenizer = read_tokenizer_file(options.tokenizer)
    if options.level is not None and options.level != tokenizer.type_name:
        raise CliError(f"--tokenizer {options.tokenizer} is a {tokenizer.type_name} tokenizer, "
                       f"but --level {options.level} was asked for (leave --level out)", code=2)
    options.level = tokenizer.type_name
    return tokenizer.to_dict()


def _fill_defaults(options: TrainOptions) -> None:
    for key, value in DEFAULTS.items():
        if getattr(options, key) is None:
            setattr(options, key, Path(value) if key == "out" else value)


def _architecture(options: TrainOptions, saved: dict[str, Any] | None,
                  flag: str) -> dict[str, Any]:
    base = dict(DEFAULT_ARCHITECTURE)
    if saved:
        base.update({k: saved[k] for k in base if k in saved})
    given = {"cell": options.cell, "hidden_size": options.hidden_size,
             "num_layers": options.num_layers, "dropout": options.dropout,
             "embedding_dim": options.embedding_dim}
    if saved:
        path = options.resume or options.init_from
        for key, value in given.items():
            if value is not None and saved.get(key) != value:
                raise CliError(
                    f"{flag} {path}: the model has {key}={saved.get(key)}, but {value} was "
                    "asked for (drop the option to keep that model's architecture)"
                )
    base.update({k: v for k, v in given.items() if v is not None})
    if base["embedding_dim"] is None:
        base["embedding_dim"] = min(base["hidden_size"], 128) if options.level == "char" \
            else base["hidden_size"]
    return base


def _split(tokens: np.ndarray, val_fraction: float, batch_size: int, seq_len: int):
    """`train_valid_streams`, a corpus too short for one batch as a CliError."""
    from seqlab.seqmodels.data import TooFewTokensError, train_valid_streams

    try:
        return train_valid_streams(tokens, val_fraction, batch_size, seq_len)
    except TooFewTokensError as error:
        raise CliError(
            f"the corpus has {error.tokens:,} token{'' if error.tokens == 1 else 's'}, fewer "
            "than one batch needs "
            f"({error.needed} for --batch-size {batch_size}); give more text or a "
            "smaller --batch-size"
        ) from error


UNKNOWN_SAMPLE = 10_000_000  # tokens checked for <unk> when fine-tuning on new text
UNKNOWN_WARN_SHARE = 0.05  # a share of <unk> above this is warned about, with examples
UNKNOWN_TEXT_SAMPLE = 1 << 20  # characters (from the start) searched for those examples


def _text_sample(text) -> str:
    """The first `UNKNOWN_TEXT_SAMPLE` characters of the corpus (an embedded one's str, or the
    start of its files as the training reader reads them: a folder's files, a byte-order mark
    dropped, the --errors policy, whole characters): where the unknown tokens are looked for."""
    if isinstance(text, str):
        return text[:UNKNOWN_TEXT_SAMPLE]
    pieces, size = [], 0
    stream = iter(text)
    try:
        for piece in stream:
            pieces.append(piece)
            size += len(piece)
            if size >= UNKNOWN_TEXT_SAMPLE:
                break
    finally:
        getattr(stream, "close", lambda: None)()
    return "".join(pieces)[:UNKNOWN_TEXT_SAMPLE]


def _unknown_line(share: float, tokenizer, sample: str) -> str:
    """The warning for new text the model's vocabulary lacks: the share, the most frequent
    unknown tokens and what to do."""
    from seqlab.nlp.unknown_tokens import unknown_tokens

    found = unknown_tokens(tokenizer, sample)
    shown = ", ".join(f"{token!r} ({count:,})" for token, count in found)
    return (f"{share:.1%} of this corpus's tokens are unknown to the model's vocabulary and "
            f"read as <unk>{f' (most frequent: {shown})' if shown else ''}; --init-from keeps "
            "the model's vocabulary: to learn them, train a new model on this text (--level "
            "bpe has no unknown characters)")


def _corpus(options: TrainOptions):
    """(text, description): a str for an embedded corpus, else streamed pieces (stdin is
    copied beside the id cache first: the vocabulary and the ids each read the text)."""
    from seqlab.cli.inputs import CorpusPieces, corpus_text

    if not options.files:
        return corpus_text(options.files, options.corpus)
    pieces = CorpusPieces(options.files, spool_dir=cache_dir(options.out))
    try:
        pieces.require_text(any_character=options.level == "char")
    except CliError as error:
        if options.resume is None or not _reads_stdin(options.files):
            raise
        raise CliError(f"--resume {options.resume}: the run read its text from standard input "
                       "and none came this time; pipe the same text into it again: SAME_TEXT | "
                       f"{resume_command(options.resume)}") from error
    return pieces, pieces.description


def _token_ids(tokenizer, text, options: TrainOptions) -> np.ndarray:
    """The corpus as ids: streamed once into a memory-mapped cache beside the model file."""
    if isinstance(text, str):
        return lm_text.encode_corpus(tokenizer, text)
    from seqlab.nlp.corpora import cached_token_ids

    cache_folder = cache_dir(options.out)
    # removed at the end if a stop leaves it empty
    claim_checkpoint_dir(cache_folder, create=False)
    try:
        return cached_token_ids(text.sources, tokenizer, cache_folder,
                                line_eos=lm_text.is_word_level(tokenizer), errors=text.errors)
    except (ValueError, OSError) as error:
        if isinstance(error, OSError) and output_error_line(error):
            raise  # writing NAME.cache beside --out: reported as about --out
        raise CliError(str(error).replace("\n", " ")) from error
    finally:
        text.close()  # the copy of stdin, if any: the ids are cached now


def resume_command(out: Path, files: list[str] | None = None) -> str:
    """The command line that continues the run saved at `out` (a run that read its text from
    stdin reads it there again: the line says to pipe the same text in)."""
    command = f"seqlab train --resume {shlex.quote(str(out))}"
    if _reads_stdin(files):
        return (f"SAME_TEXT | {command}  (the run read its text from stdin: pipe the same "
                "text into it again)")
    return command


def _reads_stdin(files: list[Any] | None) -> bool:
    """Whether a run's FILES include '-' (standard input)."""
    return any(str(file) == "-" for file in files or ())


def _require_language_model(checkpoint: Any, path: Path) -> None:
    """A CliError naming the checkpoint's kind unless it holds a language model: the first
    check on a --resume or --init-from file (a classifier is not an LM output to --force)."""
    require_kind(checkpoint, "LanguageModel", path, "a language model",
                 "use the command that trained it (seqlab classify / seqlab forecast)")


def run_training(options: TrainOptions, output: Output, *, force: bool = False) -> TrainSummary:
    """Train, continue (--resume) or fine-tune (--init-from) a language model (`force`: the
    command's --force, for the file a resumed run writes when given no --out)."""
    import numpy as np  # here: registering the commands loads no NumPy

    from seqlab.autograd import optim
    from seqlab.cli.tokenizer_choice import check_kept_tokenizer, train_tokenizer
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels import LanguageModel, Trainer

    if options.resume is not None and options.init_from is not None:
        raise CliError("give --resume (continue a run) or --init-from (start a new run from a "
                       "model's weights), not both", code=2)
    out_given = options.out  # before resume_latest fills it: a resume given none is guarded
    resume_latest(options, output)
    given_lr = options.lr  # None unless --lr was given (a resumed run's is merged below)
    source_checkpoint = saved_config = saved_tokenizer = None
    flag = ""
    if options.resume is not None:
        flag = "--resume"
        source_checkpoint = load_resumable(options.resume)
        _require_language_model(source_checkpoint, options.resume)  # before --out's checks
        run = source_checkpoint.training.run or {}
        if run:
            out_now = options.out  # --out, or the run's file resume_latest resumes
            merged = continue_run(run, _given(options), FIXED, options.resume)
            _apply(options, merged)
            options.out = Path(shown_out(out_now, merged, options.resume))
        if options.out is None:
            options.out = Path(options.resume)
        if out_given is None:
            check_resumed_output(options.out, options.files or (), force=force,
                                 model="LanguageModel")
    elif options.init_from is not None:
        flag = "--init-from"
        source_checkpoint = load_initial(options.init_from)
        _require_language_model(source_checkpoint, options.init_from)
    if source_checkpoint is not None:
        saved_config, saved_tokenizer = source_checkpoint.config, source_checkpoint.tokenizer
        kind = (saved_tokenizer or {}).get("type")
        if options.level and kind and options.level != kind:
            raise CliError(f"{flag} {options.resume or options.init_from}: the model is "
                           f"{kind}-level, but --level {options.level} was asked for")
        options.level = options.level or kind
    if options.tokenizer is not None:
        saved_tokenizer = _given_tokenizer(options, flag)
    _fill_defaults(options)
    if options.init_from is not None and \
            Path(options.out).resolve() == Path(options.init_from).resolve():
        raise CliError(f"--out {options.out} is the --init-from model; give another --out so "
                       "the model you start from stays as it is")
    other_run_files = check_run_files(Path(options.out), force=force,
                                      resumed_from=source_checkpoint, resume_path=options.resume)
    text, source = _corpus(options)
    if saved_tokenizer is not None:
        if options.init_from is not None:
            check_kept_tokenizer(saved_tokenizer, options.vocab_size, None,
                                 f"--init-from {options.init_from}")
        tokenizer = Tokenizer.from_dict(saved_tokenizer)
    else:
        output.info(f"Building a {options.level} vocabulary from {source}...")
        tokenizer = train_tokenizer(options.level, text, options.vocab_size)
        hint = lm_text.rare_words_hint(tokenizer)
        if hint is not None:
            output.warn(hint)
    arch = _architecture(options, saved_config, flag)
    lower = "--hidden, --layers or --embedding-dim"
    check_parameters(language_model_parameters(tokenizer.vocab_size, arch["embedding_dim"],
                                               arch["hidden_size"], arch["num_layers"],
                                               arch["cell"]),
                     4, f"training a model of --hidden {arch['hidden_size']} and --layers "
                     f"{arch['num_layers']}", lower)
    # read before the ids: making them removes a copy of stdin
    sample = _text_sample(text) if saved_tokenizer is not None else ""
    tokens = _token_ids(tokenizer, text, options)
    if saved_tokenizer is not None and tokens.size:
        share = float(np.mean(tokens[:UNKNOWN_SAMPLE] == tokenizer.unk_id))
        if share > UNKNOWN_WARN_SHARE:
            output.warn(_unknown_line(share, tokenizer, sample))
    train_data, valid_data = _split(tokens, options.val_fraction, options.batch_size,
                                    options.seq_len)
    longest = train_data.steps_per_stream - 1  # the targets one stream of the batch holds
    if options.seq_len > longest:  # as --beam wider than the vocabulary: a note, then on
        steps = f"{longest:,} step{'' if longest == 1 else 's'}"
        output.warn(f"--seq-len {options.seq_len} is longer than each of the "
                    f"{options.batch_size} batch streams ({steps} of the training text): "
                    f"each step reads {longest:,}, as --seq-len {longest} would")
    with out_of_memory("this model", lower):
        model = LanguageModel(tokenizer.vocab_size, arch["embedding_dim"],
                              arch["hidden_size"], arch["num_layers"], cell=arch["cell"],
                              dropout=arch["dropout"], generator=options.seed)
    if options.init_from is not None:
        from seqlab.seqmodels.checkpoint import load_state_into

        try:
            load_state_into(model, source_checkpoint.state, options.init_from)
        except ValueError as error:
            raise CliError(str(error).splitlines()[0]) from error
    optimizer = optim.Adam(model.parameters(), lr=options.lr)
    folder = claim_checkpoint_dir(checkpoint_dir(options.out))
    limits = {"steps": options.steps, "epochs": options.epochs,
              "time_budget": options.time_budget}
    trainer = Trainer(model, optimizer, train_data, valid_data, clip_norm=clip_norm(options.clip),
                      eval_every=options.eval_every if valid_data is not None else None,
                      checkpoint_dir=folder, checkpoint_every=options.checkpoint_every,
                      keep_last=options.keep_last, tokenizer=tokenizer.to_dict(),
                      run=_run_record(options), **trainer_limits(limits))
    if options.resume is not None:
        def explain(line: str) -> str:
            if "different stream layout" not in line:
                return line
            return (f"--resume {options.resume}: the run's text changed since it was saved (its "
                    "token stream differs); continue it on the same text, or start a new run "
                    f"from its weights with --init-from {options.resume}")

        resume_trainer(trainer, options.resume, limits, _run_record(options), explain,
                       given_lr=given_lr, output=output)
    output.info(f"Training a {arch['num_layers']}x{arch['hidden_size']} {arch['cell'].upper()} "
                f"on {train_data.tokens_per_epoch:,} {options.level} tokens "
                f"(vocabulary {tokenizer.vocab_size}, {model.num_parameters():,} parameters)"
                + (f", resuming at step {trainer.step}" if trainer.step else "")
                + (f", starting from {options.init_from}" if options.init_from else ""))
    total, kind = progress_total(limits, len(train_data), trainer.step)

    def valid_text(metrics: dict[str, Any]) -> str:
        return (f"{loss_text(metrics['loss'])} ({loss_text(metrics['bits_per_token'])} "
                f"{lm_text.bits_name(options.level)})")

    outcome = run_trainer(trainer, options.out, output, unit="tok", total=total, kind=kind,
                          resume_command=resume_command(options.out, options.files),
                          resumed=options.resume is not None, valid_text=valid_text,
                          report_kept=options.report_kept,
                          uniform_over=(model.vocab_size, "tokens"),
                          other_run_files=other_run_files)
    return TrainSummary(options.out, trainer.step, outcome.result.stop_reason, outcome.seconds,
                        trainer.tokens_seen, outcome.train_loss, outcome.valid,
                        outcome.metrics_path, False)


