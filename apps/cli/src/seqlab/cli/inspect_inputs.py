"""What `seqlab inspect` and `seqlab gradients` read: a model (or a small default one trained on
the spot), a text (or a passage of the embedded corpus), and the text of each token."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.cli.errors import EXIT_USAGE, CliError, require_file
from seqlab.cli.inputs import DEFAULT_CORPUS, corpus_text
from seqlab.cli.loss_display import loss_text

if TYPE_CHECKING:
    import numpy as np

DEFAULT_STEPS = 150
MAX_TOKENS = 5000


@dataclass
class Subject:
    """The model under inspection, its tokenizer and where it came from (for the header)."""

    model: Any
    tokenizer: Any
    description: str
    max_length: int | None = None  # a classifier's: it reads max_length tokens of a text
    keep: str = "last"  # which end of a longer text a classifier keeps (`truncation`)

    @property
    def is_classifier(self) -> bool:
        return type(self.model).__name__ == "SequenceClassifier"


def default_passage() -> str:
    """A passage of the embedded corpus with quotes and brackets in it (or its first line)."""
    text, _ = corpus_text(None, DEFAULT_CORPUS)
    lines = [line for line in text.split("\n") if line.strip()]
    for line in lines:
        if line.count('"') >= 4 and "(" in line and len(line) <= 800:
            return line
    return lines[0][:800]


def read_text(text: str | None, file: Path | None) -> tuple[str, str]:
    """(text, where it came from) from --text, --file (- reads standard input) or the default
    passage."""
    if text is not None and file is not None:
        raise CliError("give --text or --file, not both", code=EXIT_USAGE)
    if file is not None and str(file) == "-":
        from seqlab.cli.text_argument import decode_text, stdin_bytes

        content, source = decode_text(stdin_bytes(), "standard input"), "standard input"
    elif file is not None:
        from seqlab.cli.text_argument import decode_text

        require_file(file, "--file")
        content = decode_text(file.read_bytes(), f"--file {file}", file)
        source = str(file)
    elif text is not None:
        content, source = text, "--text"
    else:
        content, source = default_passage(), f"a passage of the embedded '{DEFAULT_CORPUS}' corpus"
    if not content.strip():
        what = ("standard input holds" if str(file) == "-" else f"--file {source} holds") \
            if file is not None else f"{source} gives"
        raise CliError(f"{what} no text to inspect (it is empty or blank); give some text")
    return content, source


READS = {"inspect": "inspect reads models over tokens (a language model or classifier)",
         "gradients": "gradients reads a language model"}


def load_subject(model_path: Path | None, output, steps: int = DEFAULT_STEPS,
                 seed: int = 0, command: str = "inspect") -> Subject:
    """The model in MODEL, or a small char LSTM trained now on the embedded corpus; a model
    that reads no tokens is refused naming what `command` reads."""
    if model_path is not None:
        from seqlab.cli.models import load_neural

        loaded = load_neural(model_path, any_head=True)  # classifiers too
        if not hasattr(loaded.model, "embedding"):
            from seqlab.cli.outputs import model_kind

            raise CliError(f"{model_path} is {model_kind(type(loaded.model).__name__)}: "
                           f"{READS[command]}")
        metadata = getattr(loaded.checkpoint, "metadata", None) or {}
        max_length = metadata.get("max_length")
        from seqlab.nlp.truncation import model_keep

        return Subject(loaded.model, loaded.tokenizer, str(model_path),
                       None if max_length is None else int(max_length), model_keep(metadata))
    return train_default(output, steps, seed)


def train_default(output, steps: int = DEFAULT_STEPS, seed: int = 0, cell: str = "lstm"):
    """A small char-level model trained for `steps` steps on the embedded corpus (seconds)."""
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels.inspection import small_language_model, train_language_model

    text, _ = corpus_text(None, DEFAULT_CORPUS)
    tokenizer = CharTokenizer.train(text)
    import numpy as np

    ids = np.asarray(tokenizer.encode(text))
    model = small_language_model(cell, tokenizer.vocab_size, seed)
    started = time.perf_counter()
    losses = train_language_model(model, ids, steps)
    seconds = time.perf_counter() - started
    description = (f"a char {cell.upper()} (1 layer, {model.hidden_size} units) trained "
                   f"{steps} steps on the embedded '{DEFAULT_CORPUS}' corpus")
    output.info(f"No MODEL given: using {description} just now ({seconds:.1f} s, loss "
                f"{loss_text(losses[0])} -> {loss_text(losses[-1])}). Pass a model file to "
                "inspect your own.")
    return Subject(model, tokenizer, description)


def model_ids(subject: Subject, text: str, output) -> tuple[np.ndarray, str]:
    """The ids `subject.model` reads for `text`, made as its training made them, and the text
    they stand for. A language model reads the whole text as `seqlab train` and `eval` do
    (`lm_text.encode_corpus`: at word level each non-blank line ends with </s>). A classifier
    reads one text per line, as `classify predict` does, cut to `max_length` tokens at the end
    the model keeps (`subject.keep`, `classification.first_text_ids`): the first text is shown,
    and `output` says so."""
    from seqlab.cli import lm_text

    if not subject.is_classifier:
        return lm_text.encode_corpus(subject.tokenizer, text), text
    from seqlab.nlp.classification import first_text_ids

    read = first_text_ids(subject.tokenizer, text, subject.max_length, subject.keep)
    if read.texts > 1:
        output.info(f"Reading the first of the {read.texts:,} texts: a classifier reads one "
                    "text per line, as `classify predict` does.")
    if subject.max_length and read.tokens > read.ids.size:
        output.info(f"Reading the text's {subject.keep} {read.ids.size:,} tokens: the "
                    f"classifier reads no more (--max-length {read.ids.size} when it was "
                    "trained).")
    return read.ids, read.text


def token_pieces(subject: Subject, text: str, output,
                 max_tokens: int | None = None) -> tuple[np.ndarray, list[str], int]:
    """Token ids of `text` as the model reads them (`model_ids`; its first `max_tokens`, when
    given), the text each token stands for (concatenated, the text itself for char
    tokenizers; word tokens are shown with a space between them and </s> as a line break) and
    how many tokens the whole text has."""
    ids, text = model_ids(subject, text, output)
    tokenizer = subject.tokenizer
    total = int(ids.size)
    if ids.size == 0:
        raise CliError("the text gives no tokens with this model's tokenizer; give more text")
    if max_tokens is not None:
        whole_chars = len(text) == ids.size
        ids = ids[:max_tokens]
        if whole_chars:
            text = text[:ids.size]
    if ids.size > MAX_TOKENS:
        raise CliError(f"the text has {ids.size:,} tokens; inspect reads at most "
                       f"{MAX_TOKENS:,}: give --max-tokens {MAX_TOKENS} to read its first "
                       f"{MAX_TOKENS:,}, or a shorter --text or --file")
    kind = tokenizer.to_dict().get("type")
    if kind == "char" and len(text) == ids.size:
        return ids, list(text), total
    pieces = [tokenizer.decode([int(i)], skip_special_tokens=False) for i in ids]
    if kind == "word":
        pieces = _word_pieces(ids, pieces, tokenizer.eos_id)
    return ids, pieces, total


def _word_pieces(ids: np.ndarray, pieces: list[str], eos: int) -> list[str]:
    """Words followed by a space, unless a line ends after them; </s> as a line break."""
    shown = []
    for index, (token, piece) in enumerate(zip(ids, pieces, strict=True)):
        if int(token) == eos:
            shown.append("\n")
        elif index + 1 < len(ids) and int(ids[index + 1]) != eos:
            shown.append(piece + " ")
        else:
            shown.append(piece)
    return shown
