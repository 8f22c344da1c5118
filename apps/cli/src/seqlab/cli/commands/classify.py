"""`seqlab classify train | predict | eval`: many-to-one text classification end to end."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from seqlab.cli import json_text
from seqlab.cli.clip_option import clip_option
from seqlab.cli.console import Output, stdout
from seqlab.cli.errors import CliError, first_line
from seqlab.cli.outputs import check_checkpoint_output, force_option
from seqlab.cli.replaced_run import note_replaced_model
from seqlab.cli.threads import THREADS_HELP, use_threads
from seqlab.cli.tokenizer_choice import check_lowercase

app = typer.Typer(help="Text classification (sentiment, topic, source) with an RNN/LSTM/GRU.",
                  no_args_is_help=True)

CELLS = ("lstm", "gru", "rnn")
LEVELS = ("char", "word", "bpe")
POOLINGS = ("last", "mean", "max")


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise CliError(f"{name} must be one of {', '.join(allowed)}, got {value!r}", code=2)


@app.command("train")
def train(
    data: list[Path] = typer.Argument(None, help="CSV/TSV (with a header), JSONL, or a folder "
                                      "with one subfolder per class. None: the embedded "
                                      "news-vs-encyclopedia passages."),
    out: Path = typer.Option(None, "--out", "-o", help="Model file (default "
                             "classifier.safetensors; with --resume, the run's own)."),
    label_column: str = typer.Option(None, "--label-column", help="Default 'label'."),
    text_column: str = typer.Option(None, "--text-column", help="Default 'text'."),
    level: str = typer.Option(None, "--level", help="char, word or bpe (default word)."),
    lowercase: bool = typer.Option(None, "--lowercase/--keep-case",
                                   help="Lowercase the text (word and char levels; default keep "
                                   "case)."),
    vocab_size: int = typer.Option(None, "--vocab-size",
                                   help="Vocabulary size (default 5000 words, 1000 BPE, "
                                   "every character; char: the most frequent N)."),
    max_length: int = typer.Option(None, "--max-length",
                                   help="Tokens kept per text (default 200): a longer "
                                   "text keeps its last ones, as Keras' pad_sequences (texts "
                                   "tend to end with their verdict); the summary says how many "
                                   "were cut."),
    cell: str = typer.Option(None, "--cell", help="lstm, gru or rnn (default gru)."),
    hidden: int = typer.Option(None, "--hidden", help="Hidden size (default 128)."),
    layers: int = typer.Option(None, "--layers", help="Stacked layers (default 1)."),
    embedding_dim: int = typer.Option(None, "--embedding-dim",
                                      help="Default min(hidden, 128); --vectors sets it."),
    bidirectional: bool = typer.Option(None, "--bidirectional/--unidirectional",
                                       help="Read texts both ways (default bidirectional)."),
    pooling: str = typer.Option(None, "--pooling", help="last, mean or max (default max)."),
    dropout: float = typer.Option(None, "--dropout", help="In [0, 1) (default 0.2)."),
    val_fraction: float = typer.Option(None, "--val-fraction",
                                       help="Stratified validation share (default 0.2)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Default 32."),
    lr: float = typer.Option(None, "--lr", help="Adam learning rate (default 0.003)."),
    clip: float = clip_option(default=5.0),
    steps: int = typer.Option(None, "--steps", help="Stop after this many steps."),
    epochs: int = typer.Option(None, "--epochs", help="Stop after this many epochs "
                               "(default 8 when no stop is given)."),
    time_budget: float = typer.Option(None, "--time-budget", help="Stop after these seconds."),
    eval_every: int = typer.Option(None, "--eval-every", help="Validate every N steps "
                                   "(default once per epoch)."),
    patience: int = typer.Option(None, "--patience", help="Stop after N validations "
                                 "without improvement of --monitor."),
    monitor: str = typer.Option(None, "--monitor", help="loss, accuracy or macro_f1 "
                                "(default accuracy): early stopping and best checkpoint."),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every",
                                         help="Also keep a resumable checkpoint every N steps "
                                         "(default: none)."),
    keep_last: int = typer.Option(None, "--keep-last", help="Periodic checkpoints kept."),
    class_weights: str = typer.Option(None, "--class-weights",
                                      help="none or balanced (weights the loss by class)."),
    vectors: Path = typer.Option(None, "--vectors", help="Initialise the embedding from word "
                                 "vectors (word2vec text/binary or GloVe text)."),
    freeze_vectors: bool = typer.Option(None, "--freeze-vectors/--train-vectors",
                                        help="Keep --vectors fixed while training."),
    seed: int = typer.Option(None, "--seed", help="Default 0."),
    resume: Path = typer.Option(None, "--resume", help="Continue the run saved in this "
                                "checkpoint: its data, its --out, its remaining budget."),
    init_from: Path = typer.Option(None, "--init-from", help="Start a new run from this "
                                   "classifier's weights and tokenizer (fine-tuning)."),
    threads: int = typer.Option(None, "--threads", help="Default: all cores."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = force_option(),
) -> None:
    """Train a text classifier and report it beside a bag-of-words baseline.

    Examples:
      seqlab classify train                      # embedded news vs encyclopedia
      seqlab classify train reviews.csv --label-column sentiment --epochs 5
      seqlab classify train texts/ --bidirectional --class-weights balanced
      seqlab classify train reviews.csv --vectors vectors.txt --freeze-vectors
      seqlab classify train --resume classifier.safetensors
    """
    from seqlab.cli.classify_run import MONITORS, ClassifyOptions, run_classify_training
    from seqlab.cli.threads import set_threads
    from seqlab.cli.training import saved_line

    _choice("--level", level, LEVELS)
    _choice("--cell", cell, CELLS)
    _choice("--pooling", pooling, POOLINGS)
    _choice("--class-weights", class_weights, ("none", "balanced"))
    _choice("--monitor", monitor, tuple(MONITORS))
    _distinct_columns(label_column or "label", text_column or "text")
    check_lowercase(level or "word", lowercase)
    if out is not None or resume is None:  # a resumed run writes its own --out again
        from seqlab.cli.classify_run import DEFAULTS

        model_out = out if out is not None else Path(DEFAULTS["out"])
        check_checkpoint_output(model_out, [*(data or ()), vectors, init_from], force=force,
                                model="SequenceClassifier")
    set_threads(threads)
    output = Output(quiet, as_json)
    if out is None and resume is None:  # the default name: say which earlier model it replaces
        from seqlab.cli.classify_run import DEFAULTS

        note_replaced_model(Path(DEFAULTS["out"]), output)
    options = ClassifyOptions(
        data=[str(p) for p in data] if data else None, out=str(out) if out else None,
        label_column=label_column, text_column=text_column, level=level, lowercase=lowercase,
        vocab_size=vocab_size, max_length=max_length, cell=cell, hidden_size=hidden,
        num_layers=layers, embedding_dim=embedding_dim, bidirectional=bidirectional,
        pooling=pooling, dropout=dropout, val_fraction=val_fraction, batch_size=batch_size,
        lr=lr, clip=clip, steps=steps, epochs=epochs, time_budget=time_budget,
        eval_every=eval_every, checkpoint_every=checkpoint_every, keep_last=keep_last,
        patience=patience, monitor=monitor, class_weights=class_weights,
        vectors=str(vectors) if vectors else None, freeze_vectors=freeze_vectors, seed=seed,
        resume=str(resume) if resume else None, init_from=str(init_from) if init_from else None)
    result = run_classify_training(options, output, force=force)
    validation = result.get("validation")
    human = saved_line(result["model"], result["steps"], result["stop_reason"])
    if validation:
        human += (f"; validation accuracy {validation['accuracy']:.4f}, macro-F1 "
                  f"{validation['macro_f1']:.4f} (bag-of-words baseline "
                  f"{result['baseline']['accuracy']:.4f} / {result['baseline']['macro_f1']:.4f})")
    if result["texts_cut"]:
        from seqlab.cli.classify_run import cut_summary

        human += "; " + cut_summary(result["texts_cut"], result["train_examples"]
                                    + result["valid_examples"], result["max_length"],
                                    result["truncate"])
    output.result(result, human, wrap=True)


def _folder_inputs(source: Path, batch: int) -> Iterator[tuple[list[str], list[str]]]:
    """(names, texts) batches of a folder's non-blank files, one text per file: `batch` files'
    texts at a time, never the whole folder's."""
    from seqlab.cli.text_argument import decode_text

    files = sorted(f for f in source.rglob("*") if f.is_file() and not f.name.startswith("."))
    if not files:
        raise CliError(f"folder {source} holds no files to classify")
    names: list[str] = []
    texts: list[str] = []
    for file in files:
        text = decode_text(file.read_bytes(), str(file), file)  # one input of the model: whole
        if text.strip():
            names.append(str(file))
            texts.append(text)
        if len(texts) == batch:
            yield names, texts
            names, texts = [], []
    if texts:
        yield names, texts


def _line_inputs(source: Path | None,
                 batch: int) -> Iterator[tuple[list[str], list[str | None]]]:
    """(names, texts) batches of the lines of a file or stdin, streamed, a blank line's text
    None: lines are cut at "\n" only, a "\r" before it dropped (`corpora.iter_lines`, as
    `wc -l` and `paste` count them), so output line N is input line N's; a form feed, a
    lone "\r" or a U+2028 is a character of its line."""
    from seqlab.cli.errors import require_file
    from seqlab.cli.inputs import decode_errors, translated
    from seqlab.nlp import corpora

    if source is None or str(source) == "-":
        lines, name = corpora.iter_lines("-", errors=decode_errors()), "stdin"
    else:
        require_file(source, "input file")
        lines, name = corpora.iter_lines(str(source), errors=decode_errors()), str(source)
    names: list[str] = []
    texts: list[str | None] = []
    for number, line in enumerate(translated(lines), start=1):
        names.append(f"{name}:{number}")
        texts.append(line if line.strip() else None)
        if len(texts) == batch:
            yield names, texts
            names, texts = [], []
    if texts:
        yield names, texts


@app.command("predict")
def predict(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    source: Path = typer.Argument(None, metavar="[FILE|FOLDER|-]",
                                  help="One text per line ('-' or nothing: stdin), or a "
                                  "folder: one text per file. A blank line gets an empty "
                                  "output line, so output line N is input line N's (--json "
                                  "skips it: each prediction names its line). No lines in: "
                                  "no output, exit 0."),
    probabilities: bool = typer.Option(False, "--probabilities",
                                       help="Also print every class's probability."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Predict one label per input line (or per file of a folder).

    Examples:
      seqlab classify predict classifier.safetensors reviews.txt
      echo "a gripping film" | seqlab classify predict classifier.safetensors -
      seqlab classify predict classifier.safetensors inbox/ --probabilities --json
    """
    from seqlab.cli.classify_models import PREDICT_BATCH, class_probabilities, load_classifier

    use_threads(threads)
    loaded = load_classifier(model_path)
    folder = source is not None and source.is_dir()
    batches = (_folder_inputs if folder else _line_inputs)(source, PREDICT_BATCH)
    labels = loaded.labels
    seen = blank = 0
    try:
        for names, texts in batches:  # a batch at a time: the input is never held whole
            given = [text for text in texts if text is not None]
            rows = iter(class_probabilities(loaded, given) if given else ())
            for name, text in zip(names, texts, strict=True):
                if text is None:  # written once a text follows: no output for no text
                    if not as_json:
                        blank += 1
                    continue
                sys.stdout.write("\n" * blank)
                blank = 0
                _write_prediction(name, labels, next(rows), seen, folder, probabilities,
                                  as_json)
                seen += 1
            sys.stdout.flush()
    except BaseException as error:  # bad input, Ctrl-C: the one-line error still follows
        if as_json and seen:  # stdout stays one JSON object, saying why it stopped
            message = first_line(error)
            sys.stdout.write('], "error": ' + json_text.dumps(message) + "}\n")
            sys.stdout.flush()
        raise
    # no text at all is no error (zero lines in, zero out, as for `sort` or fairseq-interactive)
    sys.stdout.write("\n" * blank)  # blank lines at the end: as many lines out as in
    if as_json:
        sys.stdout.write(("" if seen else _json_head(labels)) + "]}\n")
        sys.stdout.flush()


def _json_head(labels: list[str]) -> str:
    """The opening of `classify predict --json`'s object, up to its list of predictions."""
    return f'{{"labels": {json_text.dumps(labels)}, "predictions": ['


def _write_prediction(name: str, labels: list[str], row, seen: int, folder: bool,
                      probabilities: bool, as_json: bool) -> None:
    """One prediction to stdout: a TSV line, or the next item of the --json object (its
    opening first)."""
    label = labels[int(row.argmax())]
    if as_json:
        item = {"input": name, "label": label} | (
            {"probabilities": dict(zip(labels, map(float, row), strict=True))}
            if probabilities else {})
        head = _json_head(labels) if not seen else ", "
        sys.stdout.write(head + json_text.dumps(item))
        return
    fields = [name] if folder else []
    fields.append(label)
    if probabilities:
        fields.extend(f"{label}={p:.4f}" for label, p in zip(labels, row, strict=True))
    sys.stdout.write("\t".join(fields) + "\n")


@app.command("eval")
def evaluate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    data: list[Path] = typer.Argument(..., help="Labelled data, as for `classify train`."),
    label_column: str = typer.Option(None, "--label-column", help="Default: the one the model "
                                     "was trained with ('label' unless told otherwise)."),
    text_column: str = typer.Option(None, "--text-column", help="Default: the one the model "
                                    "was trained with ('text' unless told otherwise)."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Accuracy, macro and per-class precision / recall / F1, and the confusion matrix.

    Example: seqlab classify eval classifier.safetensors test.csv --json
    """
    from seqlab.cli.classify_models import load_classifier, metrics_table
    from seqlab.cli.confusion_view import confusion_table, per_class_table
    from seqlab.cli.inputs import remedy

    if label_column is not None and text_column is not None:
        _distinct_columns(label_column, text_column)
    use_threads(threads)
    loaded = load_classifier(model_path)
    trained = loaded.checkpoint.metadata or {}  # models before stop 18 recorded no columns
    label_column = label_column or trained.get("label_column") or "label"
    text_column = text_column or trained.get("text_column") or "text"
    _distinct_columns(label_column, text_column)
    try:
        report = _streamed_report(loaded, data, label_column, text_column)
    except (ValueError, OSError) as error:
        raise CliError(remedy(str(error).splitlines()[0])) from error
    if as_json:
        Output(as_json=True).result(report)
        return
    stdout.print(f"{report['examples']:,} texts of {', '.join(map(str, data))}")
    stdout.print(metrics_table({"model": report}, per_class=False))
    stdout.print(per_class_table(report))
    stdout.print(confusion_table(report, stdout.width))


def _streamed_report(loaded, data: list[Path], label_column: str,
                     text_column: str) -> dict:
    """The model's classification report on labelled files, read and predicted a batch at a
    time (a label code per text is all that is kept)."""
    from seqlab.cli.classify_models import PREDICT_BATCH, class_probabilities
    from seqlab.cli.inputs import decode_errors
    from seqlab.nlp.classification import (
        UnknownLabelError,
        classification_report_codes,
        streamed_label_codes,
    )
    from seqlab.nlp.corpora.labelled_ids import LabelledSource

    rows = LabelledSource(list(data), label_column, text_column, errors=decode_errors())
    try:
        actual, predicted = streamed_label_codes(
            rows, loaded.labels, lambda texts: class_probabilities(loaded, texts).argmax(axis=1),
            PREDICT_BATCH)
    except UnknownLabelError as error:
        raise CliError(f"{error}; evaluate on data with the model's labels") from None
    if not actual.size:
        raise CliError(f"no labelled examples in {', '.join(map(str, data))}")
    return classification_report_codes(actual, predicted, loaded.labels)


def _distinct_columns(label_column: str, text_column: str) -> None:
    """The label and the text must come from two columns (exit 2 otherwise)."""
    if label_column == text_column:
        raise CliError(f"--label-column and --text-column both name {label_column!r}: the "
                       "labels and the texts must come from two different columns", code=2)
