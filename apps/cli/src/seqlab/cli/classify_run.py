"""`seqlab classify train`: read labelled text, split it (stratified), build or continue a
`SequenceClassifier`, train it through the shared runner, and report it beside the
bag-of-words baseline on the same validation split."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli.console import Output, stdout
from seqlab.cli.errors import CliError
from seqlab.cli.run_files import claim_checkpoint_dir
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
    resume_trainer,
    run_trainer,
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


def _read_data(options: ClassifyOptions) -> tuple[Any, str]:
    from seqlab.nlp.corpora.labelled import LabelledTexts, read_labelled, source_passages

    if not options.data:
        return source_passages(), "the embedded news-vs-encyclopedia passages"
    data = LabelledTexts()
    for path in options.data:
        try:
            data.extend(read_labelled(path, options.label_column, options.text_column))
        except (ValueError, OSError) as error:
            raise CliError(str(error).splitlines()[0]) from error
    if not len(data):
        raise CliError(f"no labelled examples in {', '.join(options.data)}")
    return data, ", ".join(options.data)


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
        merged = continue_run(run, given, FIXED, Path(options.resume))
        apply_run(options, merged)
        options.out = options.out or options.resume
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
    command's --force, for the file a resumed run writes when given no --out)."""
    from seqlab.autograd import optim
    from seqlab.cli.tokenizer_choice import check_kept_tokenizer, train_tokenizer
    from seqlab.nlp.classification import (
        EmptyTextError,
        balanced_class_weights,
        check_labels,
        encode_texts,
        stratified_split,
    )
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels import ExampleBatches, SequenceClassifier, Trainer

    out_given, lowercase_given = options.out, options.lowercase
    source = _resolve(options)  # fills defaults: what was given is kept above
    if options.resume is not None and out_given is None:
        inputs = [*(options.data or ()), options.vectors]
        check_resumed_output(Path(options.out), [Path(p) for p in inputs if p is not None],
                             force=force, model="SequenceClassifier")
    if options.init_from is not None and \
            Path(options.out).resolve() == Path(options.init_from).resolve():
        raise CliError(f"--out {options.out} is the --init-from model; give another --out")
    if options.vectors is not None and options.level != "word":
        raise CliError(f"--vectors needs --level word (word vectors), not {options.level}",
                       code=2)
    data, description = _read_data(options)
    if source is not None:
        labels = list(source.metadata["labels"])
        unknown = sorted(set(data.labels) - set(labels))
        if unknown:
            raise CliError(f"labels {', '.join(map(repr, unknown[:5]))} are not among the "
                           f"model's classes ({', '.join(labels)}); train a new classifier "
                           "for other classes")
    else:
        labels = sorted(set(data.labels))
    try:
        check_labels(data.labels, stratified=options.val_fraction > 0)
        if options.val_fraction > 0:
            train_rows, valid_rows = stratified_split(data.labels, options.val_fraction,
                                                      options.seed)
        else:
            train_rows, valid_rows = np.arange(len(data)), np.arange(0)
    except ValueError as error:
        raise CliError(str(error)) from error
    train_texts = [data.texts[i] for i in train_rows]
    if source is not None:
        if options.init_from is not None:
            check_kept_tokenizer(source.tokenizer, options.vocab_size, lowercase_given,
                                 f"--init-from {options.init_from}")
        tokenizer = Tokenizer.from_dict(source.tokenizer)
    else:
        output.info(f"Building a {options.level} vocabulary from {len(train_texts):,} "
                    f"training texts of {description}...")
        vocab_size = options.vocab_size or (WORD_VOCABULARY if options.level == "word" else None)
        tokenizer = train_tokenizer(options.level, "\n".join(train_texts), vocab_size,
                                    lowercase=options.lowercase)
    try:
        ids, lengths = encode_texts(tokenizer, data.texts, options.max_length)
    except EmptyTextError as error:
        raise CliError(f"{data.origins[error.index]}: the text has no {options.level} "
                       "tokens; remove it") from error
    label_ids = np.array([labels.index(label) for label in data.labels], dtype=np.int64)
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
    train_data = ExampleBatches((ids[train_rows], lengths[train_rows], label_ids[train_rows]),
                                options.batch_size, seed=options.seed)
    valid_data = ExampleBatches((ids[valid_rows], lengths[valid_rows], label_ids[valid_rows]),
                                256, shuffle=False) if len(valid_rows) else None
    require_validation_for_patience(options.patience, valid_data, "texts",
                                    options.val_fraction)
    limits = {"steps": options.steps, "epochs": options.epochs,
              "time_budget": options.time_budget}
    if all(value is None for value in limits.values()):
        limits["epochs"] = options.epochs = 8
    eval_every = options.eval_every or len(train_data)
    out = Path(options.out)
    folder = claim_checkpoint_dir(checkpoint_dir(out))
    optimizer = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=options.lr)
    trainer = Trainer(model, optimizer, train_data, valid_data, clip_norm=options.clip,
                      eval_every=eval_every if valid_data is not None else None,
                      patience=options.patience,
                      monitor=options.monitor, mode=MONITORS[options.monitor],
                      checkpoint_dir=folder, checkpoint_every=options.checkpoint_every,
                      keep_last=options.keep_last, tokenizer=tokenizer.to_dict(),
                      metadata={"task": "classify", "labels": labels,
                                "max_length": options.max_length},
                      run=_record(options), **trainer_limits(limits))
    if options.resume is not None:
        resume_trainer(trainer, options.resume, limits, _record(options))
    output.info(f"Training a {options.num_layers}x{options.hidden_size} "
                f"{'bidirectional ' if options.bidirectional else ''}{options.cell.upper()} "
                f"classifier on {len(train_rows):,} texts ({len(labels)} classes: "
                f"{', '.join(labels[:6])}{'...' if len(labels) > 6 else ''}), validating on "
                f"{len(valid_rows):,}; {model.num_parameters():,} parameters"
                + (f", resuming at step {trainer.step}" if trainer.step else ""))
    total, kind = progress_total(limits, len(train_data), trainer.step)

    def valid_text(metrics: dict[str, Any]) -> str:
        return f"{metrics['loss']:.3f} (accuracy {metrics['accuracy']:.3f})"

    outcome = run_trainer(trainer, out, output, unit="ex", total=total, kind=kind,
                          resume_command=f"seqlab classify train --resume "
                                         f"{shlex.quote(str(out))}",
                          resumed=options.resume is not None, valid_text=valid_text)
    result = {"model": str(out), "steps": trainer.step, "epochs": train_data.epoch,
              "stop_reason": outcome.result.stop_reason, "seconds": outcome.seconds,
              "train_examples": len(train_rows), "valid_examples": len(valid_rows),
              "labels": labels, "metrics": str(outcome.metrics_path)}
    if len(valid_rows):
        result.update(_validation_report(model, tokenizer, labels, data, train_rows,
                                         valid_rows, ids, lengths, options, output))
    return result


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


def _validation_report(model: Any, tokenizer: Any, labels: list[str], data: Any,
                       train_rows: np.ndarray, valid_rows: np.ndarray, ids: np.ndarray,
                       lengths: np.ndarray, options: ClassifyOptions,
                       output: Output) -> dict[str, Any]:
    """The final model and the bag-of-words baseline on the same validation split."""
    from seqlab.cli.classify_models import confusion_table, metrics_table
    from seqlab.nlp.classification import bag_of_words_baseline, classification_report

    predicted = np.concatenate([
        model.predict(ids[valid_rows][start : start + 256],
                      lengths[valid_rows][start : start + 256])
        for start in range(0, len(valid_rows), 256)])
    actual = [data.labels[i] for i in valid_rows]
    report = classification_report(actual, [labels[i] for i in predicted], labels)
    baseline_predictions = bag_of_words_baseline(
        [data.texts[i] for i in train_rows], [data.labels[i] for i in train_rows],
        [data.texts[i] for i in valid_rows], seed=options.seed)
    baseline = classification_report(actual, list(baseline_predictions), labels)
    if output.show_progress:
        stdout.print(f"Validation ({len(valid_rows):,} texts):")
        stdout.print(metrics_table({"RNN": report, "bag-of-words LR": baseline}))
        stdout.print(confusion_table(report))
    return {"validation": report, "baseline": {"name": "unigram+bigram logistic regression",
                                               **baseline}}
