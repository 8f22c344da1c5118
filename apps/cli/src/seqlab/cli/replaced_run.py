"""Saying which earlier run's model a training run given no --out is about to replace.

`seqlab train` with no `--out` writes `model.safetensors` (`classify train`
`classifier.safetensors`, ...). A second run there replaces the first run's model, as
`torch.save` and Keras' `model.save` replace a file: seqlab wrote it, so it is not refused
(a refusal would stop the quick `seqlab train` loop the default exists for, and `--force`
would become a habit). But the default name is chosen for the user, who may not remember an
earlier run there on other data or at another level (qaA s22 finding 15); PyTorch Lightning
avoids the question by giving each run a new `version_N` folder. So the run says, at its
start (Ctrl-C then still keeps the old model: it is replaced only when the new one is saved),
which model it replaces: kind, level, cell, data and steps, and that `--out` keeps it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_SHOWN_FILES = 2


def _metadata(path: Path) -> dict[str, Any]:
    from seqlab.autograd.io import load_metadata

    try:
        return load_metadata(path) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def _data(run: dict[str, Any]) -> str:
    """'small.txt', 'a.txt, b.txt and 3 more', "the embedded 'lee' corpus", or ''."""
    files = run.get("files") or run.get("data") or run.get("pairs") or []
    if isinstance(files, str):
        files = [files]
    if isinstance(files, list) and files:
        names = [Path(str(name)).name or str(name) for name in files]
        more = len(names) - _SHOWN_FILES
        return ", ".join(names[:_SHOWN_FILES]) + (f" and {more} more" if more > 0 else "")
    corpus = run.get("corpus")
    return f"the embedded {corpus!r} corpus" if isinstance(corpus, str) else ""


def replaced_model_note(out: Path) -> str | None:
    """One line naming the seqlab model at `out` a new run would replace (None when there is
    none, or the file is not a seqlab checkpoint)."""
    from seqlab.cli.outputs import MODEL_KINDS
    from seqlab.seqmodels.checkpoint import FORMAT, training_path

    header = _metadata(out)
    if header.get("format") != FORMAT or not isinstance(header.get("config"), dict):
        return None
    config = header["config"]
    what = MODEL_KINDS.get(config.get("model"), ("a model", ""))[0].removeprefix("a ")
    tokenizer = header.get("tokenizer")
    level = tokenizer.get("type") if isinstance(tokenizer, dict) else None
    cell = config.get("cell")
    described = " ".join(part for part in (
        f"{level}-level" if isinstance(level, str) else "",
        cell.upper() if isinstance(cell, str) else "", what) if part)
    run = _metadata(training_path(out)).get("run")
    data = _data(run) if isinstance(run, dict) else ""
    step = header.get("step")
    details = ", ".join(part for part in (
        f"of {data}" if data else "",
        f"{step:,} step{'s' if step != 1 else ''}" if isinstance(step, int) else "")
        if part)
    return (f"this run replaces {out} (no --out given): an earlier run's {described}"
            f"{' ' + details if details else ''}; stop now and pass --out NAME.safetensors "
            "to keep it")


def note_replaced_model(out: Path, output: Any) -> None:
    """Say on `output` (`console.Output`) which earlier model the run replaces at the
    default `out`, if any."""
    note = replaced_model_note(out)
    if note is not None:
        output.info(f"note: {note}")
