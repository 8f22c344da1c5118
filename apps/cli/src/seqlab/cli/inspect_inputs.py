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


def load_subject(model_path: Path | None, output, steps: int = DEFAULT_STEPS,
                 seed: int = 0) -> Subject:
    """The model in MODEL, or a small char LSTM trained now on the embedded corpus."""
    if model_path is not None:
        from seqlab.cli.models import load_neural

        loaded = load_neural(model_path, any_head=True)  # classifiers too
        if not hasattr(loaded.model, "embedding"):
            from seqlab.cli.outputs import model_kind

            raise CliError(f"{model_path} is {model_kind(type(loaded.model).__name__)}: inspect "
                           "and gradients read models over tokens (a language model or "
                           "classifier)")
        return Subject(loaded.model, loaded.tokenizer, str(model_path))
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


def token_pieces(tokenizer, text: str,
                 max_tokens: int | None = None) -> tuple[np.ndarray, list[str], int]:
    """Token ids of `text` (its first `max_tokens`, when given), the text each token stands for
    (concatenated, the text itself for char tokenizers; word tokens are shown with a space
    between them) and how many tokens the whole text has."""
    import numpy as np

    ids = np.asarray(tokenizer.encode(text), dtype=np.int64)
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
        pieces = [piece + " " for piece in pieces[:-1]] + pieces[-1:]
    return ids, pieces, total
