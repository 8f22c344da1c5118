"""`seqlab classify train`: read labelled text, split it (stratified), build or continue a
`SequenceClassifier`, train it through the shared runner, and report it beside the
bag-of-words baseline on the same validation split."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli.clip_option import clip_norm
from seqlab.cli.console import Output, stdout
from seqlab.cli.errors import CliError
from seqlab.cli.loss_display import loss_text
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
    require_validation_for_patience,
    resume_latest,
    resume_trainer,
    run_trainer,
    shown_out,
    trainer_limits,
)

DEFAULTS = {"out": "classifier.safetensors", "label_column": "label", "text_column": "text",
            "level": "word", "lowercase": False, "max_length": 200, "cell": "gru",
            "hidden_size": 128, "num_layers": 1, "bidirectional": True, "pooling": "max",
            "dropout": 0.2, "val_fraction": 0.2, "batch_size": 32, "lr": 3e-3, "clip": 5.0,
            "class_weights": "none", "freeze_vectors": False, "seed": 0, "keep_last": 3,
            "monitor": "accuracy"}
ARCHITECTURE = ("cell", "hidden_size", "num_layers", "bidirectional", "pooling", "dropout",
                "embedding_dim")
FIXED = ("data", "label_column", "text_column", "level", "lowercase", "vocab_size",
         "max_length", "val_fraction", "batch_size", "class_weights", "vectors",
         "freeze_vectors", "seed")
WORD_VOCABULARY = 5000  # most frequent training words; rarer ones share <unk>
MONITORS = {"loss": "min", "accuracy": "max", "macro_f1": "max"}


@dataclass
class ClassifyOptions:
    """`classify train`'s options (None: the default, or the resumed run's)."""

    data: list[str] | None = None
    out: str | None = None
    label_column: str | None = None
    text_column: str | None = None
    level: str | None = None
    lowercase: bool | None = None
    vocab_size: int | None = None
    max_length: int | None = None
    cell: str | None = None
    hidden_size: int | None = None
    num_layers: int | None = None
    embedding_dim: int | None = None
    bidirectional: bool | None = None
    pooling: str | None = None
    dropout: float | None = None
    val_fraction: float | None = None
    batch_size: int | None = None
    lr: float | None = None
    clip: float | None = None
    steps: int | None = None
    epochs: int | None = None
    time_budget: float | None = None
    eval_every: int | None = None
    checkpoint_every: int | None = None
    keep_last: int | None = None
    patience: int | None = None
    monitor: str | None = None
    class_weights: str | None = None
    vectors: str | None = None
    freeze_vectors: bool | None = None
    seed: int | None = None
    resume: str | None = None
    init_from: str | None = None


def _record(options: ClassifyOptions) -> dict[str, Any]:
    record = asdict(options)
    record.pop("resume")
    record["data"] = [absolute_path(p) for p in options.data] if options.data else None
    for key in ("out", "vectors", "init_from"):
        record[key] = absolute_path(record[key])
    record["command"] = "classify train"
    return record


def _read_data(options: ClassifyOptions) -> tuple[Any, Any, str]:
    """(the rows' source, every row's label code, a description): one streamed pass."""
    from seqlab.cli.inputs import decode_errors, remedy
    from seqlab.nlp.corpora.labelled import source_passages
    from seqlab.nlp.corpora.labelled_ids import LabelledSource, scan_labels

    if not options.data:
        rows = LabelledSource(texts=source_passages())
        description = "the embedded news-vs-encyclopedia passages"
    else:
        rows = LabelledSource([Path(p) for p in options.data], options.label_column,
                              options.text_column, errors=decode_errors())
        description = ", ".join(options.data)
    try:
        labels = scan_labels(rows)
    except (ValueError, OSError) as error:
        raise CliError(remedy(str(error).splitlines()[0])) from error
    if not len(labels):
        raise CliError(f"no labelled examples in {description}")
    return rows, labels, description


def _rows_pass(what: str):
    """A CliError for a pass over the rows that fails (a file changed or went away)."""
    import contextlib

    from seqlab.cli.inputs import remedy

    @contextlib.contextmanager
    def guard():
        try:
            yield
        except (ValueError, OSError) as error:
            raise CliError(f"{remedy(str(error).splitlines()[0])} (while {what})") from error
    return guard()


def _resolve(options: ClassifyOptions) -> Any:
    """Merge a resumed run's options; returns the checkpoint to start from (or None)."""
    if options.resume is not None and options.init_from is not None:
        raise CliError("give --resume (continue a run) or --init-from (start a new run from a "
                       "model's weights), not both", code=2)
    source = None
    if options.resume is not None:
        source = load_resumable(Path(options.resume))
        require_kind(source, "SequenceClassifier", Path(options.resume), "a classifier",
                     "resume it with the command that trained it")
        run = source.training.run or {}
        given = {key: value for key, value in asdict(options).items()
                 if key not in ("resume", "init_from")}
        if options.data:
            given["data"] = [absolute_path(p) for p in options.data]
        if options.out is not None:
            given["out"] = absolute_path(options.out)
        out_now = options.out  # --out, or the run's file resume_latest resumes
        merged = continue_run(run, given, FIXED, Path(options.resume))
        apply_run(options, merged)
        options.out = shown_out(out_now, merged, options.resume)
    elif options.init_from is not None:
        source = load_initial(Path(options.init_from))
        require_kind(source, "SequenceClassifier", Path(options.init_from), "a classifier",
                     "fine-tune a classifier written by `seqlab classify train`")
    if source is not None:
        config = source.config
        for key in ARCHITECTURE:
            given = getattr(options, key)
            if given is not None and config.get(key) != given:
                flag = "--resume" if options.resume else "--init-from"
                raise CliError(f"{flag} {options.resume or options.init_from}: the model has "
                               f"{key}={config.get(key)}, but {given} was asked for (drop the "
                               "option to keep that model's architecture)")
            setattr(options, key, config.get(key))
        kind = (source.tokenizer or {}).get("type")
        if options.level is not None and kind and options.level != kind:
            raise CliError(f"the model is {kind}-level, but --level {options.level} was asked "
                           "for")
        options.level = kind or options.level
        options.max_length = options.max_length or (source.metadata or {}).get("max_length")
    for key, value in DEFAULTS.items():
        if getattr(options, key) is None:
            setattr(options, key, value)
    return source


def run_classify_training(options: ClassifyOptions, output: Output, *,
                          force: bool = False) -> dict[str, Any]:
    """Train (continue, fine-tune) a classifier; returns the result JSON (`force`: the
    command's --force, for the file a resumed run writes when given no --out). A run refused
    before its first step removes the metrics log and id cache it created."""
    from seqlab.cli.metrics_log import metrics_path
    from seqlab.cli.refusal_cleanup import removed_on_refusal

    # what was given, before resume_latest fills --out: a resume given none is guarded below
    out_given, lowercase_given = options.out, options.lowercase
    resume_latest(options, output)
    given_lr = options.lr  # None unless --lr was given (a resumed run's is merged below)
    source = _resolve(options)  # fills defaults: what was given is kept above
    out = Path(options.out)
    run: dict[str, Any] = {}

    def trained() -> bool:
        return "trainer" in run and run["trainer"].step > run["start"]

    if options.resume is not None and out_given is None:
        # (before the cleanup notes which files are absent: the lock this takes first, so a
        # run refused here never removes an id cache that the holder created meanwhile)
        inputs = [*(options.data or ()), options.vectors]
        check_resumed_output(out, [Path(p) for p in inputs if p is not None], force=force,
                             model="SequenceClassifier")
    other_run_files = check_run_files(out, force=force,
                                      resumed_from=source, resume_path=options.resume)
    with removed_on_refusal([metrics_path(out), cache_dir(out)], trained):
        return _train(options, output, source, out_given, lowercase_given, force, run,
                      given_lr, other_run_files)


def _train(options: ClassifyOptions, output: Output, source: Any, out_given: str | None,
           lowercase_given: bool | None, force: bool, run: dict[str, Any],
           given_lr: float | None, other_run_files: OtherRunFiles | None) -> dict[str, Any]:
    from seqlab.autograd import optim
    from seqlab.cli.tokenizer_choice import check_kept_tokenizer, train_tokenizer
    from seqlab.nlp.classification import (
        balanced_class_weights,
        check_label_counts,
        class_order,
        label_counts,
        model_label_ids,
        same_number_labels,
        sorted_name_codes,
        stratified_split,
    )
    from seqlab.nlp.corpora.labelled_ids import (
        EmptyRowError,
        cached_row_ids,
        row_texts,
        vocabulary_pieces,
    )
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.nlp.truncation import DEFAULT_KEEP, model_keep
    from seqlab.seqmodels import SequenceClassifier, Trainer
    from seqlab.seqmodels.row_batches import RowBatches

    if options.init_from is not None and \
            Path(options.out).resolve() == Path(options.init_from).resolve():
        raise CliError(f"--out {options.out} is the --init-from model; give another --out")
    if options.vectors is not None and options.level != "word":
        raise CliError(f"--vectors needs --level word (word vectors), not {options.level}",
                       code=2)
    rows, row_labels, description = _read_data(options)
    if source is not None:
        labels = list(source.metadata["labels"])
        unknown = sorted(set(row_labels.names) - set(labels))
        if unknown:
            raise CliError(f"labels {', '.join(map(repr, unknown[:5]))} are not among the "
                           f"model's classes ({', '.join(labels)}); train a new classifier "
                           "for other classes")
    else:
        labels = class_order(row_labels.names)  # by number when every label is an int
        for group in same_number_labels(row_labels.names)[:3]:
            output.warn(f"labels {' and '.join(map(repr, group))} are {len(group)} classes "
                        "(labels are text); write them one way to make them one class")
    # each row's class in the model's order; the split stratifies by the names' sorted order
    label_ids = model_label_ids(row_labels.names, row_labels.codes, labels)
    try:
        check_label_counts(label_counts(row_labels.names, row_labels.codes),
                           stratified=options.val_fraction > 0)
        if options.val_fraction > 0:
            train_rows, valid_rows = stratified_split(
                sorted_name_codes(row_labels.names, row_labels.codes), options.val_fraction,
                options.seed)
        else:
            train_rows, valid_rows = np.arange(len(row_labels)), np.arange(0)
    except ValueError as error:
        raise CliError(str(error)) from error
    if source is not None:
        if options.init_from is not None:
            check_kept_tokenizer(source.tokenizer, options.vocab_size, lowercase_given,
                                 f"--init-from {options.init_from}")
        tokenizer = Tokenizer.from_dict(source.tokenizer)
    else:
        output.info(f"Building a {options.level} vocabulary from {len(train_rows):,} "
                    f"training texts of {description}...")
        vocab_size = options.vocab_size or (WORD_VOCABULARY if options.level == "word" else None)
        with _rows_pass("building the vocabulary"):
            tokenizer = train_tokenizer(options.level,
                                        vocabulary_pieces(row_texts(rows, _mask(
                                            len(row_labels), train_rows))),
                                        vocab_size, lowercase=options.lowercase)
    out = Path(options.out)
    # a resumed run keeps the end its model was trained on; a new one keeps the last tokens
    keep = model_keep(source.metadata) if options.resume is not None else DEFAULT_KEEP
    with _rows_pass("encoding the texts"):
        try:  # inside: the pass turns every other ValueError into its own message
            row_ids = cached_row_ids(rows, tokenizer, options.max_length,
                                     cache_dir(out), row_labels, keep)
        except EmptyRowError as error:
            raise CliError(f"{error.origin}: the text has no {options.level} tokens; remove "
                           "it") from error
    if len(row_ids) != len(row_labels):
        raise CliError(f"{description} changed while it was read ({len(row_labels):,} rows, "
                       f"then {len(row_ids):,}); train again")
    vectors_rows = None
    if source is None and options.vectors is not None:
        vectors_rows = _vectors_for(options, tokenizer)
        options.embedding_dim = vectors_rows[1].shape[1]
    embedding_dim = options.embedding_dim or min(options.hidden_size, 128)
    options.embedding_dim = embedding_dim
    model = SequenceClassifier(tokenizer.vocab_size, embedding_dim, options.hidden_size,
                               len(labels), num_layers=options.num_layers, cell=options.cell,
                               bidirectional=options.bidirectional, pooling=options.pooling,
                               dropout=options.dropout, padding_idx=tokenizer.pad_id,
                               generator=options.seed)
    if vectors_rows is not None:
        model.set_embedding_rows(*vectors_rows, freeze=options.freeze_vectors)
        output.info(f"Initialised {len(vectors_rows[0]):,} of {tokenizer.vocab_size:,} "
                    f"embedding rows from {options.vectors}"
                    + (" (frozen)" if options.freeze_vectors else ""))
    if source is not None:
        # the saved embedding table's frozen flag; weights load below (init) or in resume()
        model.set_embedding_rows([], np.zeros((0, embedding_dim)),
                                 freeze=bool(source.config.get("embeddings_frozen")))
    if options.init_from is not None:
        from seqlab.seqmodels.checkpoint import load_state_into

        load_state_into(model, source.state, options.init_from)
    if options.class_weights == "balanced":
        model.class_weights = balanced_class_weights(label_ids[train_rows], len(labels))
    # the batches ExampleBatches gave over the rows padded to the longest (same seed, same
    # checksum), each padded to its own longest row only
    layout = {"pad_id": tokenizer.pad_id, "width": row_ids.width}
    train_data = RowBatches(row_ids.ids, row_ids.offsets, label_ids, options.batch_size,
                            rows=train_rows, seed=options.seed, **layout)
    valid_data = RowBatches(row_ids.ids, row_ids.offsets, label_ids, 256, rows=valid_rows,
                            shuffle=False, **layout) if len(valid_rows) else None
    require_validation_for_patience(options.patience, valid_data, "texts",
                                    options.val_fraction)
    limits = {"steps": options.steps, "epochs": options.epochs,
              "time_budget": options.time_budget}
    if all(value is None for value in limits.values()):
        limits["epochs"] = options.epochs = 8
    eval_every = options.eval_every or len(train_data)
    folder = claim_checkpoint_dir(checkpoint_dir(out))
    optimizer = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=options.lr)
    trainer = Trainer(model, optimizer, train_data, valid_data, clip_norm=clip_norm(options.clip),
                      eval_every=eval_every if valid_data is not None else None,
                      patience=options.patience,
                      monitor=options.monitor, mode=MONITORS[options.monitor],
                      checkpoint_dir=folder, checkpoint_every=options.checkpoint_every,
                      keep_last=options.keep_last, tokenizer=tokenizer.to_dict(),
                      metadata={"task": "classify", "labels": labels,
                                "max_length": options.max_length, "truncate": keep,
                                # classify eval reads the same columns unless told otherwise
                                "label_column": options.label_column,
                                "text_column": options.text_column},
                      run=_record(options), **trainer_limits(limits))
    if options.resume is not None:
        resume_trainer(trainer, options.resume, limits, _record(options),
                       given_lr=given_lr, output=output)
    run.update(trainer=trainer, start=trainer.step)
    output.info(f"Training a {options.num_layers}x{options.hidden_size} "
                f"{'bidirectional ' if options.bidirectional else ''}{options.cell.upper()} "
                f"classifier on {len(train_rows):,} texts ({len(labels)} classes: "
                f"{', '.join(labels[:6])}{'...' if len(labels) > 6 else ''}), validating on "
                f"{len(valid_rows):,}; {model.num_parameters():,} parameters"
                + (f", resuming at step {trainer.step}" if trainer.step else ""))
    total, kind = progress_total(limits, len(train_data), trainer.step)

    def valid_text(metrics: dict[str, Any]) -> str:
        return f"{loss_text(metrics['loss'])} (accuracy {metrics['accuracy']:.3f})"

    outcome = run_trainer(trainer, out, output, unit="ex", total=total, kind=kind,
                          resume_command=f"seqlab classify train --resume "
                                         f"{shlex.quote(str(out))}",
                          resumed=options.resume is not None, valid_text=valid_text,
                          uniform_over=(len(labels), "classes"),
                          other_run_files=other_run_files)
    result = {"model": str(out), "steps": trainer.step, "epochs": train_data.epoch,
              "stop_reason": outcome.result.stop_reason, "seconds": outcome.seconds,
              "train_examples": len(train_rows), "valid_examples": len(valid_rows),
              "labels": labels, "metrics": str(outcome.metrics_path),
              "max_length": options.max_length, "truncate": keep,
              "texts_cut": row_ids.cut}
    if len(valid_rows):
        with _rows_pass("reading the texts for the baseline"):
            result.update(_validation_report(model, labels, rows, label_ids, train_rows,
                                             valid_data, options, output))
    return result


def cut_summary(cut: int, rows: int, max_length: int, keep: str) -> str:
    """How many texts were cut to --max-length tokens and which end was kept; the
    bag-of-words baseline reads every text whole, so it says that too."""
    return (f"{cut:,} of {rows:,} texts were longer than --max-length {max_length} tokens: "
            f"the RNN reads their {keep} {max_length} (the bag-of-words baseline reads them "
            "whole)")


def _mask(size: int, rows: np.ndarray) -> np.ndarray:
    """A bool per row, set at `rows`."""
    keep = np.zeros(size, dtype=bool)
    keep[rows] = True
    return keep


def _vectors_for(options: ClassifyOptions, tokenizer: Any) -> tuple[np.ndarray, np.ndarray]:
    """(embedding rows, their vectors) for the vocabulary words found in --vectors."""
    from seqlab.nlp.word2vec.vectors_file import read_vectors, vocabulary_vectors

    try:
        words, vectors = read_vectors(options.vectors)
    except (ValueError, OSError) as error:
        raise CliError(f"--vectors {options.vectors}: {str(error).splitlines()[0]}") from error
    if options.embedding_dim is not None and options.embedding_dim != vectors.shape[1]:
        raise CliError(f"--embedding-dim {options.embedding_dim} differs from the "
                       f"{vectors.shape[1]} dimensions of {options.vectors}; drop the option")
    try:
        return vocabulary_vectors(tokenizer, words, vectors)
    except ValueError as error:
        raise CliError(f"--vectors {options.vectors}: {error}") from error


BASELINE_TEXTS = 20_000  # training texts the bag-of-words baseline is fitted on, at most
BASELINE_BATCH = 4096  # validation texts it predicts at a time


def _validation_report(model: Any, labels: list[str], rows: Any, label_ids: np.ndarray,
                       train_rows: np.ndarray, valid_data: Any, options: ClassifyOptions,
                       output: Output) -> dict[str, Any]:
    """The final model and the bag-of-words baseline on the same validation split (the
    baseline fitted on at most BASELINE_TEXTS training texts, evenly spaced: its bigram
    vocabulary would otherwise grow with the data)."""
    from seqlab.cli.classify_models import metrics_table
    from seqlab.cli.confusion_view import confusion_table
    from seqlab.nlp.classification import (
        classification_report_codes,
        evenly_spaced,
        fit_bag_of_words,
        predicted_codes,
    )
    from seqlab.nlp.corpora.labelled_ids import row_texts

    predicted = np.concatenate([model.predict(tokens, lengths)
                                for tokens, lengths, _ in valid_data.batches()])
    valid_rows = valid_data.rows
    actual = label_ids[valid_rows]
    report = classification_report_codes(actual, predicted, labels)
    sample = evenly_spaced(train_rows, BASELINE_TEXTS)
    predict = fit_bag_of_words(list(row_texts(rows, _mask(len(label_ids), sample))),
                               [labels[i] for i in label_ids[sample]], seed=options.seed)
    baseline_codes = predicted_codes(predict, row_texts(rows, _mask(len(label_ids), valid_rows)),
                                     labels, len(valid_rows), batch=BASELINE_BATCH)
    baseline = classification_report_codes(actual, baseline_codes, labels)
    if output.show_progress:
        stdout.print(f"Validation ({len(valid_rows):,} texts):")
        stdout.print(metrics_table({"RNN": report, "bag-of-words LR": baseline}))
        stdout.print(confusion_table(report, stdout.width))
    name = "unigram+bigram logistic regression"
    if len(sample) < len(train_rows):
        name += f" (fitted on {len(sample):,} of the {len(train_rows):,} training texts)"
    return {"validation": report, "baseline": {"name": name, **baseline}}
