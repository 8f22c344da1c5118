"""Checkpoints: the model in one safetensors file PyTorch loads as is; training state beside it.

Layout of a checkpoint saved at `NAME.safetensors`:

- `NAME.safetensors` (the file users keep): the tensors are exactly `model.state_dict()`, under the
  same names, so in PyTorch `model.load_state_dict(safetensors.torch.load_file(path))` works with
  `strict=True`, and `safetensors.numpy.load_file(path)` gives the arrays. The JSON metadata
  (header key "seqlab") holds the model config, the tokenizer (a JSON dict from the caller), the
  step and the metrics history.
- `NAME.train.safetensors` (only while training, optional): optimizer state tensors named
  `optimizer.{param_index}.{name}` (e.g. `optimizer.0.exp_avg`), the recurrent state carried across
  BPTT chunks (`carry.{i}`), and in its metadata the optimizer hyperparameters, scheduler state,
  RNG state, data position and trainer counters.

Why two files: one file holding optimizer tensors would not load into a PyTorch model with
`strict=True` (every user would have to filter keys), and a model file to share should not carry
twice its size in Adam moments. The pair is tied by a random `run_token` in both headers, so a
training file from a different save is refused instead of silently mixed in. Both files are
written atomically (temporary file + rename), the training file first.
"""

from __future__ import annotations

import json
import os
import re
import uuid
import weakref
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd import io
from seqlab.autograd.atomic import remove_stale_temporaries, write_target
from seqlab.autograd.file_lock import FileLock, LockHeldError, lock_path
from seqlab.autograd.nn import Module, StateDictError
from seqlab.seqmodels.config_checks import check_config_fits, check_config_object

FORMAT = "seqlab.checkpoint"
TRAINING_FORMAT = "seqlab.training-state"
VERSION = 1
SUFFIX = ".safetensors"
TRAINING_SUFFIX = ".train.safetensors"


@dataclass
class TrainingState:
    """What `NAME.train.safetensors` holds: enough to continue a run exactly."""

    optimizer: dict[str, Any] | None = None  # Optimizer.state_dict()
    scheduler: dict[str, Any] | None = None
    carry: tuple[np.ndarray, ...] = ()  # recurrent state carried across chunks
    rng: dict[str, Any] | None = None  # numpy bit generator state of the model's generator
    data: dict[str, Any] | None = None  # the data source's state_dict()
    trainer: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] | None = None  # how the run was started (a command's options)


@dataclass
class Checkpoint:
    """A loaded checkpoint: model tensors and header, and the training state if it was saved."""

    path: Path
    state: dict[str, np.ndarray]
    config: dict[str, Any]
    tokenizer: dict[str, Any] | None
    step: int
    metrics: list[dict[str, Any]]
    training: TrainingState | None
    metadata: dict[str, Any] | None = None  # what the head needs besides weights (labels, ...)
    run_id: str | None = None  # the training run that saved it (None: not recorded)


def training_path(path: str | os.PathLike[str]) -> Path:
    """The training-state file that goes with a model checkpoint path."""
    path = Path(path)
    name = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.name
    return path.with_name(name + TRAINING_SUFFIX)


def _jsonable(value: Any) -> Any:
    """Numbers, tuples and numpy scalars as plain JSON types."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def optimizer_to_file(state_dict: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Split `Optimizer.state_dict()` into tensors and JSON (hyperparameters, scalar state)."""
    tensors: dict[str, np.ndarray] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in state_dict["state"].items():
        for name, value in values.items():
            if isinstance(value, np.ndarray):
                tensors[f"optimizer.{index}.{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = _jsonable(value)
    return tensors, {"param_groups": _jsonable(state_dict["param_groups"]), "scalars": scalars}


def optimizer_from_file(tensors: dict[str, np.ndarray], meta: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `optimizer_to_file`: an `Optimizer.state_dict()` to load."""
    state: dict[int, dict[str, Any]] = {}
    for index, values in meta["scalars"].items():
        state.setdefault(int(index), {}).update(values)
    for key, value in tensors.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(path: str | os.PathLike[str], model: Module, *,
                    tokenizer: dict[str, Any] | None = None, step: int = 0,
                    metrics: list[dict[str, Any]] | None = None,
                    training: TrainingState | None = None,
                    metadata: dict[str, Any] | None = None, run_id: str | None = None) -> Path:
    """Write `model` (and, given `training`, its training state) atomically; returns the path.

    `metadata` is any JSON the head needs besides its weights (class labels, a scaler);
    `run_id` names the training run that saves it (a resumed run keeps its run's id), so that
    `CheckpointManager` prunes the checkpoints of one run only.
    """
    path = Path(path)
    if not path.name.endswith(SUFFIX):
        raise ValueError(f"checkpoint path must end with {SUFFIX}, got {path}")
    if path.name.endswith(TRAINING_SUFFIX):
        raise ValueError(f"{path}: names ending in {TRAINING_SUFFIX} are reserved for "
                         "training state; pick another checkpoint name")
    config = getattr(model, "config", None)
    if not isinstance(config, dict):
        raise TypeError(f"{type(model).__name__} has no `config` dict; cannot checkpoint it")
    run_token = uuid.uuid4().hex
    if training is not None:
        _save_training(training_path(path), training, run_token)
    header = {
        "format": FORMAT, "version": VERSION, "config": _jsonable(config),
        "tokenizer": tokenizer, "step": int(step), "metrics": _jsonable(metrics or []),
        "run_token": run_token, "has_training_state": training is not None,
    }
    if metadata is not None:
        header["metadata"] = _jsonable(metadata)
    if run_id is not None:
        header["run_id"] = run_id
    state = {name: np.asarray(array) for name, array in model.state_dict().items()}
    io.save(path, state, header)
    if training is None:
        training_path(path).unlink(missing_ok=True)  # a stale one would not match anyway
    return path


def _save_training(path: Path, training: TrainingState, run_token: str) -> None:
    tensors: dict[str, np.ndarray] = {}
    optimizer_meta = None
    if training.optimizer is not None:
        optimizer_tensors, optimizer_meta = optimizer_to_file(training.optimizer)
        tensors.update(optimizer_tensors)
    for index, array in enumerate(training.carry):
        tensors[f"carry.{index}"] = np.asarray(array)
    header = {
        "format": TRAINING_FORMAT, "version": VERSION, "run_token": run_token,
        "optimizer": optimizer_meta, "scheduler": _jsonable(training.scheduler),
        "rng": _jsonable(training.rng), "data": _jsonable(training.data),
        "trainer": _jsonable(training.trainer), "carry_count": len(training.carry),
        "run": _jsonable(training.run),
    }
    io.save(path, tensors, header)


def load_checkpoint(path: str | os.PathLike[str], *, training: bool = True) -> Checkpoint:
    """Read a checkpoint (and its training state, when present and `training`)."""
    path = Path(path)
    state, header = io.load(path)
    if header.get("format") == TRAINING_FORMAT:
        raise ValueError(_training_state_given(path))
    if header.get("format") != FORMAT:
        raise ValueError(
            f"{path} is a safetensors file but not a seqlab checkpoint (its header has no "
            f"format '{FORMAT}'); give a model file that seqlab saved"
        )
    if header.get("version", 0) > VERSION:
        raise ValueError(f"{path} was written by a newer seqlab (checkpoint version "
                         f"{header['version']} > {VERSION}); upgrade seqlab to read it")
    training_state = None
    if training and header.get("has_training_state"):
        training_state = _load_training(training_path(path), header["run_token"])
    config = check_config_object(header.get("config"), path)
    return Checkpoint(path, state, config, header.get("tokenizer"),
                      int(header.get("step", 0)), header.get("metrics", []), training_state,
                      header.get("metadata"), header.get("run_id"))


def _training_state_given(path: Path) -> str:
    """What to say when a checkpoint's training-state file is given as a model: what it is and
    the model file to give instead (the words `--resume` uses; no function names, since the
    command line shows this too)."""
    if path.name.endswith(TRAINING_SUFFIX):
        model = path.with_name(path.name[: -len(TRAINING_SUFFIX)] + SUFFIX)
        return (f"{path} is the training state of the checkpoint {model}, not a model: give "
                f"{model}, the model it was saved with")
    return (f"{path} is the training state of a seqlab checkpoint, not a model: give the "
            f"model file it was saved beside (NAME{SUFFIX} for NAME{TRAINING_SUFFIX})")


def _load_training(path: Path, run_token: str) -> TrainingState:
    if not path.exists():
        raise FileNotFoundError(
            f"training state {path} is missing: the checkpoint was saved with it; copy it beside "
            "the model file to resume, or load the model's weights alone"
        )
    tensors, header = io.load(path)
    if header.get("format") != TRAINING_FORMAT or header.get("run_token") != run_token:
        raise ValueError(
            f"{path} does not belong to {path.name.replace(TRAINING_SUFFIX, SUFFIX)} (it was "
            "written by a different save); resume from a checkpoint whose two files match"
        )
    optimizer_tensors = {k: v for k, v in tensors.items() if k.startswith("optimizer.")}
    optimizer = (optimizer_from_file(optimizer_tensors, header["optimizer"])
                 if header.get("optimizer") is not None else None)
    carry = tuple(tensors[f"carry.{index}"] for index in range(header.get("carry_count", 0)))
    return TrainingState(optimizer, header.get("scheduler"), carry, header.get("rng"),
                         header.get("data"), header.get("trainer") or {}, header.get("run"))


def check_config(saved: dict[str, Any], expected: dict[str, Any], path: Any) -> None:
    """Raise ValueError naming every architecture setting where `saved` differs from `expected`."""
    keys = sorted(set(saved) | set(expected))
    differences = [f"{key}: checkpoint {saved.get(key)!r}, asked for {expected.get(key)!r}"
                   for key in keys if saved.get(key) != expected.get(key)]
    if differences:
        raise ValueError(
            f"checkpoint {path} does not match the requested architecture ("
            + "; ".join(differences) + "); build the model from the checkpoint's config "
            "(load_model(path)) or pass the matching settings"
        )


def check_tokenizer(saved: dict[str, Any] | None, expected: dict[str, Any] | None,
                    path: Any) -> None:
    """Raise ValueError when the checkpoint's tokenizer/vocabulary is not the expected one."""
    if expected is None:
        return
    if saved is None:
        raise ValueError(f"checkpoint {path} holds no tokenizer, but one was expected; "
                         "load it without a tokenizer or re-save it with one")
    if _normalised(saved) != _normalised(expected):
        sizes = ""
        for name in ("vocab_size", "size"):
            if name in saved or name in expected:
                sizes = f" (vocab_size {saved.get(name)} vs {expected.get(name)})"
        raise ValueError(
            f"checkpoint {path} was trained with a different tokenizer/vocabulary than the one "
            f"given{sizes}; token ids would mean different things: use the checkpoint's "
            "tokenizer or train a new model"
        )


def _normalised(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=True)


def model_from_config(config: dict[str, Any], generator: Any = None) -> Module:
    """A fresh model of the class and architecture named in `config`."""
    from seqlab.seqmodels.classifier import SequenceClassifier
    from seqlab.seqmodels.language_model import LanguageModel
    from seqlab.seqmodels.regressor import SequenceRegressor
    from seqlab.seqmodels.seq2seq.model import Seq2Seq

    classes = {cls.__name__: cls for cls in (LanguageModel, SequenceClassifier, SequenceRegressor,
                                             Seq2Seq)}
    name = config.get("model")
    if name not in classes:
        raise ValueError(f"unknown model class {name!r} in config; expected one of "
                         f"{', '.join(classes)}")
    return classes[name].from_config(config, generator=generator)


def load_state_into(model: Module, state: dict[str, np.ndarray], path: Any) -> None:
    """`model.load_state_dict(state)`, with shape or name problems as a clear ValueError."""
    config = getattr(model, "config", None)
    try:
        model.load_state_dict(state)
    except StateDictError as error:
        raise ValueError(
            f"checkpoint {path} does not fit this {type(model).__name__} ({config}): {error}"
        ) from error


def load_model(path: str | os.PathLike[str], *, config: dict[str, Any] | None = None,
               tokenizer: dict[str, Any] | None = None,
               generator: Any = None) -> tuple[Module, Checkpoint]:
    """Rebuild the model a checkpoint describes and load its weights.

    With `config` or `tokenizer`, a checkpoint of another architecture or vocabulary is a
    ValueError that says what differs.
    """
    checkpoint = load_checkpoint(path, training=False)
    if config is not None:
        check_config(checkpoint.config, config, path)
    check_tokenizer(checkpoint.tokenizer, tokenizer, path)
    check_config_fits(checkpoint.config, checkpoint.state, path)
    model = model_from_config(checkpoint.config, generator=generator)
    load_state_into(model, checkpoint.state, path)
    return model, checkpoint


class CheckpointManager:
    """Numbered checkpoints of one training run in a directory: keeps its last N, and
    `best.safetensors`.

    Each numbered checkpoint records `run_id` in its header, and pruning removes only the
    checkpoints of this manager's run: a second run in the same directory (or a numbered file
    seqlab did not write) is never touched, as PyTorch Lightning's `ModelCheckpoint` deletes
    only the files it saved. A resumed run passes the id of the run it continues (the
    `Trainer` does), so its pruning covers the checkpoints saved before the resume too.

    One live run per directory: numbered names carry only the step, so two runs saving at
    once would replace each other's `step-N` files (and two resumes of one checkpoint, which
    share its run id, would prune each other's). The manager holds the directory's lock
    (`seqlab.autograd.file_lock`, `.NAME.seqlab-lock` beside the folder) from its first
    `save` (or `claim`) until `release` (the `Trainer` holds it for each `fit`; the lock also
    goes when the manager is garbage-collected or the process ends), and a second run's
    claim is refused with `CheckpointDirInUseError`, touching nothing. (A run id in the file
    name would keep two runs' files apart but not two resumes of one run; the lock covers
    both, and keeps the names every older checkpoint has.)
    """

    def __init__(self, directory: str | os.PathLike[str], keep_last: int = 3,
                 prefix: str = "step", run_id: str | None = None) -> None:
        if keep_last < 1:
            raise ValueError(f"keep_last must be at least 1, got {keep_last}")
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.prefix = prefix
        self.run_id = run_id if run_id is not None else new_run_id()
        # numbered checkpoints saved with no run id that this run continues (`adopt_unrecorded`)
        self.adopted: set[Path] = set()
        self._lock: FileLock | None = None
        self._finalizer: weakref.finalize | None = None  # releases `_lock` if never released

    def claim(self) -> None:
        """Hold the directory for this run (until `release`), or raise
        `CheckpointDirInUseError` when another live run holds it. Where the file system
        cannot lock, the run goes on unlocked, as `seqlab.autograd.file_lock` explains."""
        if self._lock is not None:
            return
        self.directory.parent.mkdir(parents=True, exist_ok=True)  # the lock file's folder
        folder = _link_end(self.directory)
        lock = FileLock(lock_path(folder), wait=False)
        try:
            lock.acquire()
        except LockHeldError as held:
            by = held.holder or "a process that has not yet said which"
            linked = f" (a link to {folder})" if folder != self.directory else ""
            raise CheckpointDirInUseError(
                f"{self.directory}{linked} holds the checkpoints of another training run that is "
                f"still going ({by}); wait for it to end or give this run another "
                "checkpoint folder") from None
        if lock.held:
            self._lock = lock
            self._finalizer = weakref.finalize(self, lock.release)
            # a killed run's half-written checkpoints: the lock proves no live run writes them
            remove_stale_temporaries(self.directory, self._written_names())

    def _written_names(self) -> str:
        """A regex of the names this manager writes: numbered checkpoints, their training
        state, and best.safetensors."""
        numbered = re.escape(self.prefix) + r"-\d{8,}"
        return (rf"{numbered}(?:{re.escape(SUFFIX)}|{re.escape(TRAINING_SUFFIX)})"
                rf"|best{re.escape(SUFFIX)}")

    def release(self) -> None:
        """Let another run use the directory (releasing twice is harmless)."""
        if self._lock is not None:
            self._finalizer.detach()
            self._lock.release()
            self._lock = None

    def adopt_unrecorded(self, up_to_step: int) -> list[Path]:
        """Count the numbered checkpoints here saved before runs were recorded (no run id in
        their header) at step `up_to_step` or earlier as this run's: a resume from one of them
        continues that run, so `keep_last` prunes them too. Returns them."""
        found = [path for path in self.checkpoints() if self.step_of(path) <= up_to_step
                 and _unrecorded(_header(path))]
        self.adopted.update(found)
        return found

    def path_for(self, step: int) -> Path:
        return self.directory / f"{self.prefix}-{step:08d}{SUFFIX}"

    @property
    def best_path(self) -> Path:
        return self.directory / f"best{SUFFIX}"

    def checkpoints(self) -> list[Path]:
        """Numbered checkpoints of every run, oldest first."""
        if not self.directory.is_dir():
            return []
        # only the names `path_for` writes: a user's own `step-1-mine.safetensors` is not one
        numbered = re.compile(re.escape(self.prefix) + r"-\d{8,}" + re.escape(SUFFIX))
        found = [path for path in self.directory.glob(f"{self.prefix}-*{SUFFIX}")
                 if numbered.fullmatch(path.name)]
        return sorted(found)

    def run_checkpoints(self) -> list[Path]:
        """The numbered checkpoints this manager's run saved (by the id in their headers), and
        those it adopted, oldest first."""
        return [path for path in self.checkpoints()
                if path in self.adopted or run_of(path) == self.run_id]

    def latest(self) -> Path | None:
        """The newest numbered checkpoint, or None."""
        found = self.checkpoints()
        return found[-1] if found else None

    def step_of(self, path: Path) -> int:
        """The step a numbered checkpoint's name records (`step-00000042.safetensors`: 42)."""
        return int(path.name[len(self.prefix) + 1: -len(SUFFIX)])

    def discard_from(self, step: int, only: Collection[Path] | None = None) -> list[Path]:
        """Remove this run's numbered checkpoints (with their training state) of `step` and
        later; with `only` (a collection of paths), only those among them; returns the model
        paths removed."""
        removed = [path for path in self.run_checkpoints() if self.step_of(path) >= step
                   and (only is None or path in only)]
        for path in removed:
            training_path(path).unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        return removed

    def save(self, step: int, model: Module, *, best: bool = False, **options: Any) -> Path:
        """Save step `step` (also as best.safetensors when `best`), then prune this run's
        old ones; the first save claims the directory (`claim`)."""
        self.claim()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = save_checkpoint(self.path_for(step), model, step=step, run_id=self.run_id,
                               **options)
        if best:
            # the best model is for keeping, not resuming: no training state
            save_checkpoint(self.best_path, model, step=step, tokenizer=options.get("tokenizer"),
                            metrics=options.get("metrics"), metadata=options.get("metadata"))
        for old in self.run_checkpoints()[: -self.keep_last]:
            training_path(old).unlink(missing_ok=True)
            old.unlink(missing_ok=True)
        return path


def new_run_id() -> str:
    """A fresh id for a training run (what `CheckpointManager` prunes by)."""
    return uuid.uuid4().hex


def run_of(path: Path) -> str | None:
    """The run id in a checkpoint's header, reading no tensors; None for a file that is not a
    seqlab checkpoint or was saved before runs were recorded."""
    header = _header(path)
    run_id = header.get("run_id") if header.get("format") == FORMAT else None
    return run_id if isinstance(run_id, str) else None


def _header(path: Path) -> dict[str, Any]:
    """A safetensors file's JSON metadata ({} for a file that is not one)."""
    try:
        return io.load_metadata(path)  # a dict: `io` refuses any other JSON
    except (OSError, ValueError):
        return {}


def _unrecorded(header: dict[str, Any]) -> bool:
    """Whether a header is a seqlab checkpoint's saved before runs were recorded."""
    return header.get("format") == FORMAT and "run_id" not in header


def _link_end(directory: Path) -> Path:
    """The folder `directory` names, through its links (two links to one folder share one
    lock: `atomic.write_target`); `directory` itself for a loop of links."""
    try:
        return write_target(directory)
    except OSError:
        return directory


class CheckpointDirInUseError(RuntimeError):
    """Another live training run holds the checkpoint directory (`CheckpointManager.claim`)."""
