"""Loading a classifier file and running it: what `classify predict` and `classify eval` share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli.errors import CliError, require_file
from seqlab.cli.models import refuse_other_kind
from seqlab.cli.training import require_kind

PREDICT_BATCH = 256


@dataclass
class LoadedClassifier:
    model: Any
    tokenizer: Any
    labels: list[str]
    max_length: int
    checkpoint: Any
    keep: str = "first"  # the end of a long text the model was trained on (`truncation`)


def load_classifier(path: Path) -> LoadedClassifier:
    """A classifier written by `seqlab classify train`, or a one-line CliError."""
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels.checkpoint import load_checkpoint, load_state_into, model_from_config

    require_file(path, "model file")
    refuse_other_kind(path)
    try:
        checkpoint = load_checkpoint(path, training=False)
    except (ValueError, KeyError, OSError) as error:
        raise CliError(f"{path} is not a seqlab classifier: {str(error).splitlines()[0]}") \
            from error
    require_kind(checkpoint, "SequenceClassifier", path, "a classifier",
                 "give a model written by `seqlab classify train`")
    metadata = checkpoint.metadata or {}
    if not checkpoint.tokenizer or "labels" not in metadata:
        raise CliError(f"{path} holds no tokenizer or labels: it was not written by "
                       "`seqlab classify train`")
    try:
        model = model_from_config(checkpoint.config)
        load_state_into(model, checkpoint.state, path)
        tokenizer = Tokenizer.from_dict(checkpoint.tokenizer)
    except (ValueError, KeyError, TypeError) as error:
        raise CliError(f"{path}: {str(error).splitlines()[0]}") from error
    model.eval()
    from seqlab.nlp.truncation import model_keep

    return LoadedClassifier(model, tokenizer, list(metadata["labels"]),
                            int(metadata.get("max_length", 256)), checkpoint,
                            model_keep(metadata))


def class_probabilities(loaded: LoadedClassifier, texts: list[str]) -> np.ndarray:
    """(N, C) probabilities for `texts`, in batches."""
    from seqlab.nlp.classification import text_probabilities

    try:
        return text_probabilities(loaded.model, loaded.tokenizer, texts, loaded.max_length,
                                  len(loaded.labels), loaded.keep, batch=PREDICT_BATCH)
    except ValueError as error:
        raise CliError(str(error)) from error


def metrics_table(reports: dict[str, dict[str, Any]], per_class: bool = True) -> Any:
    """Accuracy, macro precision / recall / F1 and (with `per_class`) per-class F1 of one or
    more models side by side."""
    from rich.table import Table

    table = Table(box=None)
    table.add_column("", overflow="fold")
    for name in reports:
        table.add_column(name, justify="right")
    first = next(iter(reports.values()))
    rows = [("accuracy", "accuracy"), ("macro precision", "macro_precision"),
            ("macro recall", "macro_recall"), ("macro F1", "macro_f1")]
    for label, key in rows:
        table.add_row(label, *(f"{report[key]:.4f}" for report in reports.values()))
    if not per_class:
        return table
    for label in first["labels"]:
        table.add_row(f"F1 {label}", *(f"{report['per_class'][label]['f1']:.4f}"
                                       for report in reports.values()))
    return table
