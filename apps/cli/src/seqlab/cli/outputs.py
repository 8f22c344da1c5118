"""The one check every writing command makes before any work starts: may we write `--out`?

Refused (each as one line saying what to do), unless `--force`:
- an `--out` that is one of the command's inputs (same path after resolving links, or the same
  file under another name: a hard link), or a file inside an input folder, existing or new
  (a new one would be read as input by the next run on that folder, as the first
  `word2vec train docs/ --out docs/vectors.txt` fed its vectors to every later reader of docs/);
- an existing file that is not an output of the same kind (judged from its content, not its name);
and always: a suffix the command cannot write, a missing or read-only folder, a directory.
The write itself then goes through `seqlab.autograd.atomic`, so a failure leaves the old file.
Once the checks pass, the run holds `--out`'s lock (`output_locks`) until it ends: a second run
on the same `--out` is refused while the first runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import typer

from seqlab.autograd.atomic import write_target
from seqlab.cli import file_kinds
from seqlab.cli.errors import EXIT_USAGE, CliError, check_name_length, note_output
from seqlab.cli.output_locks import lock_output

FORCE_HELP = ("Overwrite the output file even when it exists and seqlab did not write it "
              "(or wrote another kind of file).")


def force_option() -> bool:
    """The `--force` option every writing command takes."""
    return typer.Option(False, "--force", help=FORCE_HELP)


@dataclass(frozen=True)
class OutputKind:
    """What a command writes: a name for messages, the suffixes it takes, the kinds it may
    replace (see `file_kinds`: seqlab marks what it writes, word2vec vectors in the header
    line's whitespace), any other existing file only with --force."""

    what: str
    suffixes: tuple[str, ...]
    replaces: frozenset[str]


CHECKPOINT = OutputKind("a model checkpoint", (".safetensors",),
                        frozenset({file_kinds.CHECKPOINT}))
NGRAM = OutputKind("an n-gram model", (".arpa", ".npz"),
                   frozenset({file_kinds.ARPA, file_kinds.NGRAM_NPZ}))
ARPA = OutputKind("an ARPA file", (".arpa",), frozenset({file_kinds.ARPA}))
WORD2VEC = OutputKind("a word2vec vectors file", (".txt", ".vec", ".bin", ".w2v"),
                      frozenset({file_kinds.WORD2VEC}))
TOKENIZER = OutputKind("a tokenizer", (".json",), frozenset({file_kinds.TOKENIZER}))
TRAINING_STATE = OutputKind("a training state", (".safetensors",),
                            frozenset({file_kinds.TRAINING_STATE}))
METRICS = OutputKind("a metrics log", (".jsonl",), frozenset({file_kinds.METRICS}))
HTML_PAGE = OutputKind("an HTML page", (".html", ".htm"), frozenset({file_kinds.HTML_PAGE}))


def same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name one file (resolved, or the same inode); False if either is
    missing or unreadable."""
    try:
        return a.resolve() == b.resolve() or os.path.samefile(a, b)
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _check_folder(out: Path, option: str) -> None:
    """The folder the write goes to: `out`'s, or for a symbolic link the folder of the file
    it points to (written through, as `open` and torch.save do: `atomic.write_target`)."""
    try:
        target = write_target(out)
    except OSError as error:
        raise CliError(f"{option} {out} is a symbolic link that cannot be followed "
                       f"({error.strerror}); remove it or choose another {option}") from error
    folder = target.absolute().parent
    links = f" is a link to {target}, but its" if target != out else ":"
    if not folder.exists():
        raise CliError(f"{option} {out}{links} folder {folder} does not exist "
                       f"(create it first, e.g. mkdir -p {folder})")
    if not folder.is_dir():
        raise CliError(f"{option} {out}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"{option} {out}: cannot write in folder {folder} (permission denied or "
                       "read-only file system); choose another folder")


def check_output_name(out: Path, kind: OutputKind, option: str = "--out") -> None:
    """Refuse (exit 2) `-` and a name without one of `kind`'s suffixes (`.` and `/` too: their
    name is empty), before anything is derived from the name."""
    if str(out) == "-":
        raise CliError(f"{option} must be a file name; this command cannot write to stdout",
                       code=EXIT_USAGE)
    if not any(out.name.endswith(suffix) for suffix in kind.suffixes):
        raise CliError(f"{option} {out}: the name of {kind.what} must end with "
                       f"{' or '.join(kind.suffixes)}", code=EXIT_USAGE)


def check_output(out: Path, kind: OutputKind, inputs: Iterable[Path | None] = (), *,
                 force: bool = False, option: str = "--out",
                 companions: Sequence[tuple[Path, OutputKind]] = (),
                 lock: bool = True) -> Path:
    """Refuse (CliError) to write `out` when that could lose a user's file; returns `out`.

    `companions` are further files the command writes beside `out` (a metrics log, a training
    state): each must be absent or of its own kind, unless `force`. Then, unless `lock` is
    False (the caller locks after checks of its own), take `out`'s lock or refuse when another
    run holds it (`output_locks.lock_output`).
    """
    check_output_name(out, kind, option)
    if out.is_dir():
        raise CliError(f"{option} {out} is a folder; give a file name inside it")
    _check_folder(out, option)
    check_name_length(out, option)
    note_output(out, option)  # a platform error writing it is then reported as about it
    inputs = [source for source in inputs if source is not None and str(source) != "-"]
    for source in inputs:
        if same_file(out, source):
            raise CliError(f"{option} {out} is also an input of this command; writing it would "
                           f"destroy that input: choose another {option}")
        if source.is_dir() and _inside(out, source):  # a new file too: read next time
            raise CliError(f"{option} {out} lies inside the input folder {source}, so a run "
                           f"that reads that folder would read it as input; choose {option} "
                           "outside that folder")
    for path, _ in companions:  # --force or not: a write goes through a link to an input
        refuse_input(path, inputs, f"(beside {option} {out})")
    for path, path_kind in ((out, kind), *companions):
        refuse_foreign(path, path_kind, force, option if path == out else "")
    if lock:
        lock_output(out, option, beside=[path for path, _ in companions])
    return out


def refuse_input(path: Path, inputs: Iterable[Path | None], where: str) -> None:
    """Refuse (CliError), `--force` or not, a file seqlab writes beside --out that is a
    symbolic link to one of the command's `inputs` or into an input folder: writes go through
    links (`atomic.write_target`). (A file itself, or a hard link, is replaced by a rename,
    which leaves the input's data where the input's name is.) `where` says which --out it
    belongs to."""
    if not path.is_symlink():
        return
    for source in inputs:
        if source is None or str(source) == "-":
            continue
        if same_file(path, source):
            raise CliError(f"{path} {where} is a link to the input {source}; writing it "
                           f"would destroy that input: remove {path} or choose another --out")
        if source.is_dir() and _inside(path, source):  # a link into an input folder
            raise CliError(f"{path} {where} is a link into the input folder {source}; writing "
                           f"it would change that input: remove {path} or choose another --out")


def refuse_foreign(path: Path, kind: OutputKind, force: bool, option: str) -> None:
    """Refuse (CliError) an existing `path` that is not an empty file or one of `kind`'s
    files seqlab wrote, unless `force`; `option` names it in the message ("" for a file
    seqlab names after --out)."""
    if force or not path.exists():
        return
    label = f"{option} {path}" if option else str(path)
    choose = f"choose another {option or '--out'}"
    if path.is_dir():
        raise CliError(f"{label} is a folder; it would be replaced by {kind.what}: "
                       "move it away first")
    if not path.is_file():
        raise CliError(f"{label} is not a regular file; {choose}")
    if path.stat().st_size == 0:
        return
    found = file_kinds.kind_of(path)
    if found in kind.replaces:
        return
    # said of the file, never "is not an HTML page": a user's own page is one, seqlab just
    # did not write it (and replaces only what it wrote)
    looks = f"it is {_article(found)}" if found else "seqlab did not write it"
    raise CliError(f"{label} already exists ({looks}; seqlab replaces only {kind.what} it "
                   f"wrote itself); {choose}, or pass --force to overwrite it")


def _article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def input_paths(*groups: Iterable[Path | None] | Path | None) -> list[Path]:
    """Flatten the command's input arguments (lists, single paths, None) into one list."""
    found: list[Path] = []
    for group in groups:
        if group is None:
            continue
        if isinstance(group, Path):
            found.append(group)
        else:
            found.extend(p for p in group if p is not None)
    return found


# What each model class is called in messages, and the command that trains it.
# The model classes whose training keeps a token-id cache in NAME.cache beside --out.
CACHED_MODELS = frozenset({"LanguageModel", "SequenceClassifier", "Seq2Seq"})
MODEL_KINDS = {"LanguageModel": ("a language model", "seqlab train"),
               "SequenceClassifier": ("a classifier", "seqlab classify train"),
               "SequenceRegressor": ("a forecaster", "seqlab forecast train"),
               "Seq2Seq": ("a sequence-to-sequence model", "seqlab seq2seq train")}


def model_kind(model_class: str | None) -> str:
    """A model class in the user's words: "a forecaster (written by `seqlab forecast train`)"."""
    if model_class is None:
        return "a checkpoint of no recorded model kind"
    what, command = MODEL_KINDS.get(model_class, (f"a {model_class} model", ""))
    return f"{what} (written by `{command}`)" if command else what


def _refuse_other_model(out: Path, model: str, force: bool) -> None:
    """A training run replaces a checkpoint of its own model class only (a classifier run never
    replaces a language model and its NAME.train.safetensors, log and checkpoints) unless
    `force`; the model file is judged first, then NAME.checkpoints/best.safetensors."""
    from seqlab.cli.training import checkpoint_dir

    if force:
        return
    what = MODEL_KINDS.get(model, (model, ""))[0]
    for path in (out, checkpoint_dir(out) / "best.safetensors"):
        found = file_kinds.checkpoint_model(path) if path.is_file() else None
        if found is None or found == model:
            continue
        found_what, command = MODEL_KINDS.get(found, (f"a {found} model", ""))
        by = f" (written by `{command}`)" if command else ""
        label = f"--out {out}" if path == out else f"--out {out}: {path}"
        raise CliError(f"{label} is {found_what}{by}, not {what}; this run would "
                       f"replace it and its training files: choose another --out, or pass "
                       "--force to replace them")


def check_checkpoint_output(out: Path, inputs: Iterable[Path | None] = (), *,
                            force: bool = False, model: str | None = None) -> Path:
    """`check_output` for a training run: the model file, and what `seqlab train` writes beside
    it (NAME.train.safetensors, NAME.metrics.jsonl, the NAME.checkpoints folder).

    `model` is the class the run trains ("LanguageModel", "SequenceClassifier", ...): an
    existing checkpoint of another class is refused unless `force`. A file in
    NAME.checkpoints with a checkpoint's name, or in NAME.cache (`CACHED_MODELS`), that seqlab
    did not write is refused too (`sidecar_folders`)."""
    from seqlab.cli.metrics_log import metrics_path
    from seqlab.cli.sidecar_folders import check_cache_folder, check_checkpoint_names
    from seqlab.cli.training import checkpoint_dir
    from seqlab.seqmodels.checkpoint import TRAINING_SUFFIX, training_path

    inputs = input_paths(inputs)  # read twice below
    check_output_name(out, CHECKPOINT)  # before NAME.train.safetensors is named after it
    if out.name.endswith(TRAINING_SUFFIX):
        raise CliError(f"--out {out}: names ending in {TRAINING_SUFFIX} hold training state; "
                       "give the model another name", code=EXIT_USAGE)
    folder = checkpoint_dir(out)
    if folder.exists() and not folder.is_dir():
        raise CliError(f"{folder} exists and is not a folder; periodic checkpoints go there: "
                       "move it away or choose another --out")
    if folder.is_symlink() and not folder.exists():
        raise CliError(f"{folder} is a link to {os.readlink(folder)}, which is not there; "
                       "periodic checkpoints go there: create that folder, or remove the link")
    checked = check_output(out, CHECKPOINT, inputs, force=force, companions=(
        (training_path(out), TRAINING_STATE), (metrics_path(out), METRICS)), lock=False)
    if model is not None:
        _refuse_other_model(out, model, force)
    # one lock for the model and everything named after it
    lock_output(out, beside=(training_path(out), metrics_path(out)))
    # after the lock: a live run's folders are refused as in use, not for what it wrote
    check_checkpoint_names(folder, force, inputs)
    if model in CACHED_MODELS:
        check_cache_folder(out, force)
    return checked
