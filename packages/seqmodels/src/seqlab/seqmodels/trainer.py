"""`Trainer`: one training loop for every head (language model, classifier, regressor, seq2seq).

Keras style, the model brings its loss. Two small protocols connect a head to the loop:

- a data source (`train_data`, `valid_data`): `next_batch() -> (batch, starts_epoch)`, an
  `epoch` counter, `state_dict()` / `load_state_dict()` (the exact position, shuffling generator
  included) and `batches()` (one deterministic pass, for validation);
- the model: `training_loss(batch, carry) -> (loss Tensor, item count, carry)` and
  `evaluation_metrics(batches) -> dict` holding at least "loss", plus `config` for checkpoints.

The loop passes `carry=None` when a batch starts an epoch (or after a skipped step), and the
carry it gets back, detached, to the next batch (the language model's recurrent state across
truncated-BPTT chunks; None for heads that carry nothing). Around that it clips gradients,
steps the optimizer and LR scheduler, evaluates every `eval_every` steps, stops early on a
chosen metric (`monitor`, `mode`), keeps the last N numbered checkpoints of its run (another
run's in the same folder are never pruned; a resumed run is the run it continues; one live run
per folder: `fit` holds the folder's lock and a second run's `fit` is refused) and the best
one, and reports through callbacks: the library prints nothing. A non-finite loss or gradient
skips its update; `max_nonfinite` in a row mean the run diverged (`NonFiniteLossError`): the
numbered checkpoints this Trainer wrote of the weights those steps started from are removed
(never a file it did not write, nor the best validated model), and NumPy's floating-point
warnings are silenced inside the step (the loop checks the loss and gradient norm itself).

Callbacks are objects with any of `on_step(metrics)`, `on_eval(metrics)`,
`on_checkpoint(path)` (subclass `Callback` or pass any object with those methods).

A run stopped (limits, `request_stop()`) and resumed from its checkpoint with `resume(path)`
continues exactly: parameters, optimizer and scheduler state, the carry, the data position
(with its shuffling generator) and the model's generator (dropout masks) are all restored.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, no_grad, workspace
from seqlab.autograd.nn.utils import clip_grad_norm_, clip_grad_value_
from seqlab.autograd.optim import lr_scheduler
from seqlab.seqmodels.checkpoint import (
    CheckpointManager,
    TrainingState,
    check_config,
    check_tokenizer,
    load_checkpoint,
    load_state_into,
    new_run_id,
    save_checkpoint,
)
from seqlab.seqmodels.metrics import LN2, loss_metrics

__all__ = ["LN2", "Callback", "NonFiniteLossError", "TrainResult", "Trainer", "detach_carry",
           "loss_metrics"]

MODES = ("min", "max")


# NumPy's floating-point warnings inside a step: a diverging run overflows (`a**b`, `a @ b`),
# which the loop detects itself from the loss and gradient norm, so NumPy's RuntimeWarning with
# its source line would only repeat it. Set per step with `np.errstate` (thread- and
# context-local), never process-wide.
QUIET_FLOATS = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}


class NonFiniteLossError(FloatingPointError):
    """Training diverged: the loss or gradient was non-finite `count` steps in a row.

    `first_step` is the first of those steps, `step` the last; `lr` the learning rate the last
    step used and `clip_norm` / `clip_value` the clipping in force. The weights then were the
    ones every one of those steps started from (a skipped step changes nothing): the numbered
    checkpoints this run wrote at step `first_step - 1` or later are removed (`removed` lists
    them; a file the run did not write, such as the one it resumed from, stays), and `kept` is
    the run's newest numbered checkpoint left from before the divergence (None when there is
    none);
    `best` the best validated model, saved before the divergence (kept: a validated model is
    not a failed state), if any.
    """

    def __init__(self, *, step: int, first_step: int, count: int, loss: float,
                 grad_norm: float, lr: float, clip_norm: float | None = None,
                 clip_value: float | None = None, kept: Path | None = None,
                 best: Path | None = None, removed: tuple[Path, ...] = ()) -> None:
        self.step, self.first_step, self.count = step, first_step, count
        self.loss, self.grad_norm, self.lr = loss, grad_norm, lr
        self.clip_norm, self.clip_value = clip_norm, clip_value
        self.kept, self.best, self.removed = kept, best, removed
        clipping = (f"clip_norm {clip_norm:g}" if clip_norm is not None else
                    f"clip_value {clip_value:g}" if clip_value is not None else "no clipping")
        if kept is not None:
            saved = f"kept {kept}, the last checkpoint before it"
        else:
            saved = "no checkpoint predates it"
        if best is not None:
            saved += f"; kept {best}, the best validated model, saved before the divergence"
        super().__init__(
            f"training diverged at step {first_step}: the loss or gradient was non-finite for "
            f"{count} steps in a row (last loss {loss}, gradient norm {grad_norm}, at step "
            f"{step}) with lr {lr:g} and {clipping}; {saved}; lower the learning rate, clip "
            "gradients or check the data")


class Callback:
    """Hooks the trainer calls; override the ones you need."""

    def on_step(self, metrics: dict[str, Any]) -> None:
        """After every training step (skipped ones too, with `skipped=True`)."""

    def on_eval(self, metrics: dict[str, Any]) -> None:
        """After every validation pass."""

    def on_checkpoint(self, path: Path) -> None:
        """After a checkpoint was written."""


@dataclass
class TrainResult:
    """How a `fit` call ended."""

    steps: int
    epochs: int
    stop_reason: str  # steps | epochs | time_budget | early_stopping | stop_requested
    best_valid_loss: float | None  # the lowest validation loss seen
    history: list[dict[str, Any]] = field(default_factory=list)
    checkpoint: Path | None = None
    best_metric: float | None = None  # the best value of the monitored metric


def detach_carry(carry: Any) -> Any:
    """The same carry (None, a Tensor or a tuple of them), cut from the graph."""
    if carry is None:
        return None
    if isinstance(carry, tuple):
        return tuple(detach_carry(part) for part in carry)
    return carry.detach() if isinstance(carry, Tensor) else Tensor(np.asarray(carry))


def carry_arrays(carry: Any) -> tuple[np.ndarray, ...]:
    """The arrays of a carry, in order: () for None, (h,) or (h, c)."""
    if carry is None:
        return ()
    parts = carry if isinstance(carry, tuple) else (carry,)
    return tuple(part.data if isinstance(part, Tensor) else np.asarray(part) for part in parts)


def carry_from_arrays(arrays: tuple[np.ndarray, ...]) -> Any:
    """The inverse of `carry_arrays` (one array comes back as a Tensor, several as a tuple)."""
    tensors = tuple(Tensor(array) for array in arrays)
    if not tensors:
        return None
    return tensors if len(tensors) > 1 else tensors[0]


class Trainer:
    """Trains any model that brings `training_loss` and `evaluation_metrics` (see module doc).

    `monitor` names the validation metric that early stopping, the best checkpoint and
    ReduceLROnPlateau watch ("loss" by default; "accuracy" with `mode="max"`, ...).
    `metadata` is JSON stored in every checkpoint's header (labels, scalers: what a head needs
    besides its weights); `run` is JSON stored with the training state (how the run was started,
    so a command can continue it).
    """

    def __init__(self, model: Any, optimizer: Any, train_data: Any,
                 valid_data: Any = None, *, scheduler: Any = None,
                 clip_norm: float | None = None, clip_value: float | None = None,
                 eval_every: int | None = None, max_steps: int | None = None,
                 max_epochs: int | None = None, time_budget: float | None = None,
                 patience: int | None = None, min_delta: float = 0.0, max_nonfinite: int = 5,
                 callbacks: Any = (), checkpoint_dir: str | os.PathLike[str] | None = None,
                 checkpoint_every: int | None = None, keep_last: int = 3,
                 tokenizer: dict[str, Any] | None = None, monitor: str = "loss",
                 mode: str = "min", metadata: dict[str, Any] | None = None,
                 run: dict[str, Any] | None = None) -> None:
        if clip_norm is not None and clip_value is not None:
            raise ValueError("pass clip_norm or clip_value, not both")
        for name, value in (("eval_every", eval_every), ("max_steps", max_steps),
                            ("max_epochs", max_epochs), ("patience", patience),
                            ("max_nonfinite", max_nonfinite),
                            ("checkpoint_every", checkpoint_every)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if mode not in MODES:
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if patience is not None and (valid_data is None or eval_every is None):
            raise ValueError("early stopping (patience) needs valid_data and eval_every")
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.train_data = train_data
        self.valid_data = valid_data
        self.clip_norm, self.clip_value = clip_norm, clip_value
        self.eval_every = eval_every
        self.max_steps, self.max_epochs, self.time_budget = max_steps, max_epochs, time_budget
        self.patience, self.min_delta = patience, min_delta
        self.monitor, self.mode = monitor, mode
        self.max_nonfinite = max_nonfinite
        self.callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
        # which run this is: `keep_last` prunes only this run's checkpoints (resume() adopts
        # the id of the run it continues)
        self.run_id = new_run_id()
        self.manager = (CheckpointManager(checkpoint_dir, keep_last=keep_last,
                                          run_id=self.run_id)
                        if checkpoint_dir is not None else None)
        self.checkpoint_every = checkpoint_every
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.run = run
        # ReduceLROnPlateau steps on the monitored metric, the others once per update
        self._plateau_scheduler = isinstance(scheduler, lr_scheduler.ReduceLROnPlateau)
        if self._plateau_scheduler and (valid_data is None or eval_every is None):
            raise ValueError("ReduceLROnPlateau needs valid_data and eval_every")
        self.parameters = [p for p in model.parameters() if p.requires_grad]
        # counters saved in checkpoints
        self.step = 0
        self.elapsed = 0.0
        self.tokens_seen = 0  # items the losses averaged over (tokens, examples, windows)
        self.best_valid_loss: float | None = None
        self.best_metric: float | None = None
        self.evals_without_improvement = 0
        self.nonfinite_in_a_row = 0
        self.history: list[dict[str, Any]] = []
        self.written_checkpoints: set[Path] = set()  # the numbered checkpoints this Trainer saved
        self.carry: Any = None
        self._stop_requested = False
        self._started: float | None = None  # perf_counter at the (virtual) start of fit

    # ------------------------------------------------------------------ control
    def request_stop(self) -> None:
        """Ask the loop to stop after the current step and save a resumable checkpoint.

        Only sets a flag, so it is safe to call from a signal handler (Ctrl-C).
        """
        self._stop_requested = True

    def _emit(self, hook: str, payload: Any) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(payload)

    # ------------------------------------------------------------------ training
    def fit(self) -> TrainResult:
        """Train until a limit, early stopping or a stop request; returns how it ended."""
        if self.max_steps is None and self.max_epochs is None and self.time_budget is None:
            raise ValueError("set at least one limit: max_steps, max_epochs or time_budget")
        if self.manager is not None:  # one live run per checkpoint folder (CheckpointManager)
            self.manager.claim()
        try:
            return self._fit()
        finally:
            if self.manager is not None:
                self.manager.release()

    def _fit(self) -> TrainResult:
        self._stop_requested = False
        started = time.perf_counter() - self.elapsed
        self._started = started
        reason = self._limit_reached()
        last_path = None
        evaluated = True  # nothing to evaluate when no step runs
        while reason is None:
            self.train_step()
            self.elapsed = time.perf_counter() - started
            evaluated = False
            if self.eval_every and self.valid_data is not None and \
                    self.step % self.eval_every == 0:
                evaluated = True
                if self._evaluate_and_track():
                    reason = "early_stopping"
            # inside a run of non-finite steps the weights are the ones that just failed
            if self.manager and self.checkpoint_every and self.step % self.checkpoint_every == 0 \
                    and self.nonfinite_in_a_row == 0:
                last_path = self.save()
            # a stop that lands in the step that reaches the limit leaves a finished run, not
            # one a resume could continue
            reason = reason or self._limit_reached()
            if reason is None and self._stop_requested:
                reason = "stop_requested"
        if self.valid_data is not None and self.eval_every and not evaluated and \
                reason != "stop_requested":
            self._evaluate_and_track()
        if self.manager and (last_path is None or last_path != self.manager.path_for(self.step)):
            last_path = self.save()
        self._started = None
        workspace.release()  # the step arrays' reused blocks are not held after the run
        return TrainResult(self.step, self.train_data.epoch, reason, self.best_valid_loss,
                           list(self.history), last_path, self.best_metric)

    def progress(self, step: int | None = None) -> float:
        """The fraction of the run done, in [0, 1]: the largest of steps / max_steps, epochs /
        max_epochs and elapsed time / time_budget (for schedules that decay to the run's end,
        such as `lr_scheduler.RunDecayLR`). `step` overrides the step count."""
        fractions = [0.0]
        if self.max_steps is not None:
            fractions.append((self.step if step is None else step) / self.max_steps)
        if self.max_epochs is not None:
            epoch = float(self.train_data.epoch)
            position, size = getattr(self.train_data, "position", None), None
            if position is not None and hasattr(self.train_data, "__len__"):
                size = len(self.train_data)
            if size:
                epoch += position / size
            fractions.append(epoch / self.max_epochs)
        if self.time_budget is not None:
            elapsed = self.elapsed if self._started is None else \
                time.perf_counter() - self._started
            fractions.append(elapsed / self.time_budget)
        return min(1.0, max(fractions))

    def _limit_reached(self) -> str | None:
        if self.max_steps is not None and self.step >= self.max_steps:
            return "steps"
        if self.max_epochs is not None and self.train_data.epoch >= self.max_epochs:
            return "epochs"
        # the time recorded after the last step, the one a checkpoint saves: a run stopped
        # by the budget resumes with elapsed >= budget (the clock read here could pass the
        # budget during an evaluation the saved time does not count)
        if self.time_budget is not None and self.elapsed >= self.time_budget:
            return "time_budget"
        return None

    def train_step(self) -> dict[str, Any]:
        """One optimizer step on the next batch; returns (and reports) its metrics.

        A non-finite loss or gradient skips the update; `max_nonfinite` of them in a row raise
        `NonFiniteLossError` after removing the checkpoints of the weights that failed."""
        with np.errstate(**QUIET_FLOATS):
            metrics = self._train_step()
        if self.nonfinite_in_a_row >= self.max_nonfinite:
            raise self._diverged(metrics)
        return metrics

    def _train_step(self) -> dict[str, Any]:
        step_started = time.perf_counter()
        batch, starts_epoch = self.train_data.next_batch()
        if starts_epoch:
            self.carry = None
        self.model.train()
        loss, count, carry = self.model.training_loss(batch, self.carry)
        loss_value = float(loss.item())
        if self.optimizer is None:
            raise ValueError("this Trainer has no optimizer: it can evaluate, not train")
        self.optimizer.zero_grad()
        grad_norm = math.nan
        lr = self.optimizer.param_groups[0]["lr"]  # the rate this step uses
        if math.isfinite(loss_value):
            loss.backward()
            grad_norm = self._grad_norm()
        skipped = not (math.isfinite(loss_value) and math.isfinite(grad_norm))
        if skipped:
            self.nonfinite_in_a_row += 1
            self.optimizer.zero_grad()
            self.carry = None  # a NaN state would poison every later batch
        else:
            self.nonfinite_in_a_row = 0
            self._clip()
            self.optimizer.step()
            if getattr(self.scheduler, "follows_progress", False):
                self.scheduler.step(self.progress(self.step + 1))  # counting this update
            elif self.scheduler is not None and not self._plateau_scheduler:
                self.scheduler.step()
            self.carry = detach_carry(carry)
        self.step += 1
        self.tokens_seen += int(count)
        seconds = time.perf_counter() - step_started
        metrics = {"step": self.step, "epoch": self.train_data.epoch, "loss": loss_value,
                   "grad_norm": grad_norm, "lr": lr,
                   "tokens": self.tokens_seen, "elapsed": self.elapsed,
                   "tokens_per_second": count / seconds if seconds > 0 else math.inf,
                   "skipped": skipped}
        self._emit("on_step", metrics)
        return metrics

    def _diverged(self, metrics: dict[str, Any]) -> NonFiniteLossError:
        """The error for a run that diverged at the current non-finite streak, once the
        numbered checkpoints this Trainer wrote of the weights that failed (at the step before
        it or later) are gone; no other file is touched (the --resume source, an earlier run's
        checkpoints, the best validated model)."""
        first_step = self.step - self.nonfinite_in_a_row + 1
        removed: list[Path] = []
        kept = best = None
        if self.manager is not None:
            removed = self.manager.discard_from(first_step - 1, only=self.written_checkpoints)
            self.written_checkpoints.difference_update(removed)
            before = [path for path in self.manager.run_checkpoints()
                      if self.manager.step_of(path) < first_step]
            kept = before[-1] if before else None
            best = self.manager.best_path if self.manager.best_path.exists() else None
        return NonFiniteLossError(
            step=self.step, first_step=first_step, count=self.nonfinite_in_a_row,
            loss=metrics["loss"], grad_norm=metrics["grad_norm"], lr=metrics["lr"],
            clip_norm=self.clip_norm, clip_value=self.clip_value, kept=kept, best=best,
            removed=tuple(removed))

    def _grad_norm(self) -> float:
        total = 0.0
        for parameter in self.parameters:
            if parameter.grad is not None:
                total += float(np.dot(parameter.grad.ravel(), parameter.grad.ravel()))
        return math.sqrt(total)

    def _clip(self) -> None:
        if self.clip_norm is not None:
            clip_grad_norm_(self.parameters, self.clip_norm)
        elif self.clip_value is not None:
            clip_grad_value_(self.parameters, self.clip_value)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, data: Any = None) -> dict[str, float]:
        """The model's evaluation metrics ("loss" and head-specific ones) over one pass."""
        data = data if data is not None else self.valid_data
        if data is None:
            raise ValueError("no validation data: pass valid_data to Trainer or data= here")
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad(), np.errstate(**QUIET_FLOATS):
                metrics = dict(self.model.evaluation_metrics(data.batches()))
        finally:
            self.model.train(was_training)
        if "loss" not in metrics:
            raise ValueError(f"{type(self.model).__name__}.evaluation_metrics returned no "
                             "'loss'; every head must report its mean loss")
        if self.monitor not in metrics:
            raise ValueError(f"monitor={self.monitor!r} is not among the metrics "
                             f"{type(self.model).__name__} reports: {', '.join(metrics)}")
        return metrics

    def _improves(self, value: float) -> bool:
        if self.best_metric is None:
            return math.isfinite(value)
        if self.mode == "min":
            return value < self.best_metric - self.min_delta
        return value > self.best_metric + self.min_delta

    def _evaluate_and_track(self) -> bool:
        """Evaluate, record, save the best model; True when early stopping says stop."""
        metrics = {"step": self.step, "epoch": self.train_data.epoch, "elapsed": self.elapsed,
                   **self.evaluate()}
        if self.best_valid_loss is None or metrics["loss"] < self.best_valid_loss:
            self.best_valid_loss = metrics["loss"]
        value = float(metrics[self.monitor])
        improved = self._improves(value)
        if improved:
            self.best_metric = value
            self.evals_without_improvement = 0
        else:
            self.evals_without_improvement += 1
        metrics["best_loss"] = self.best_valid_loss
        metrics[f"best_{self.monitor}"] = self.best_metric
        if self._plateau_scheduler:
            self.scheduler.step(value)
        self.history.append(metrics)
        self._emit("on_eval", metrics)
        if improved and self.manager is not None:
            self.manager.directory.mkdir(parents=True, exist_ok=True)
            path = save_checkpoint(self.manager.best_path, self.model, step=self.step,
                                   tokenizer=self.tokenizer, metrics=self.history,
                                   metadata=self.metadata)
            self._emit("on_checkpoint", path)
        return self.patience is not None and self.evals_without_improvement >= self.patience

    # ------------------------------------------------------------------ checkpoints
    def training_state(self) -> TrainingState:
        """Everything beyond the weights that an exact resume needs."""
        generator = getattr(self.model, "generator", None)
        return TrainingState(
            optimizer=self.optimizer.state_dict() if self.optimizer is not None else None,
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            carry=carry_arrays(self.carry),
            rng=generator.bit_generator.state if generator is not None else None,
            data=self.train_data.state_dict(),
            trainer={"step": self.step, "elapsed": self.elapsed, "tokens_seen": self.tokens_seen,
                     "best_valid_loss": self.best_valid_loss, "best_metric": self.best_metric,
                     "monitor": self.monitor, "mode": self.mode,
                     "evals_without_improvement": self.evals_without_improvement,
                     "nonfinite_in_a_row": self.nonfinite_in_a_row},
            run=self.run,
        )

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write a resumable checkpoint (to the checkpoint directory when no path is given)."""
        options = {"tokenizer": self.tokenizer, "metrics": self.history,
                   "training": self.training_state(), "metadata": self.metadata}
        if path is not None:
            written = save_checkpoint(path, self.model, step=self.step, run_id=self.run_id,
                                      **options)
        elif self.manager is not None:
            written = self.manager.save(self.step, self.model, **options)
            self.written_checkpoints.add(written)
        else:
            raise ValueError("no checkpoint path: pass path= or give the Trainer checkpoint_dir")
        self._emit("on_checkpoint", written)
        return written

    def base_learning_rate(self) -> float:
        """The learning rate the run was given (its first parameter group's, before any
        schedule changed it)."""
        group = self.optimizer.param_groups[0]
        return float(group.get("initial_lr", group["lr"]))

    def set_base_learning_rate(self, lr: float) -> float:
        """Continue the run at base learning rate `lr` (a resumed run given another one):
        every parameter group's rate and the schedule's base scale by `lr` / the old base, so a
        schedule goes on where it was (on an unscheduled run the rate is `lr`); returns the
        old base."""
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"the learning rate must be finite and at least 0, got {lr}")
        old = self.base_learning_rate()
        for group in self.optimizer.param_groups:
            base = group.get("initial_lr", group["lr"])
            group["lr"] = group["lr"] * (lr / base) if base else lr
            if "initial_lr" in group:
                group["initial_lr"] = lr
        if self.scheduler is not None:
            if hasattr(self.scheduler, "base_lrs"):
                self.scheduler.base_lrs = [lr for _ in self.scheduler.base_lrs]
            if hasattr(self.scheduler, "_last_lr"):
                self.scheduler._last_lr = [g["lr"] for g in self.optimizer.param_groups]
        return old

    def resume(self, path: str | os.PathLike[str]) -> None:
        """Restore weights and the full training state from a checkpoint, to continue exactly."""
        checkpoint = load_checkpoint(path)
        check_config(checkpoint.config, self.model.config, path)
        check_tokenizer(checkpoint.tokenizer, self.tokenizer, path)
        training = checkpoint.training
        if training is None:
            raise ValueError(f"{path} holds no training state (a best/exported model?); "
                             "resume from a numbered checkpoint, or load it with load_model")
        load_state_into(self.model, checkpoint.state, path)
        if self.optimizer is not None and training.optimizer is not None:
            self.optimizer.load_state_dict(training.optimizer)
        if self.scheduler is not None and training.scheduler is not None:
            self.scheduler.load_state_dict(training.scheduler)
        if training.data is not None:
            self.train_data.load_state_dict(training.data)
        generator = getattr(self.model, "generator", None)
        if generator is not None and training.rng is not None:
            generator.bit_generator.state = training.rng
        self.carry = carry_from_arrays(training.carry)
        counters = training.trainer
        self.step = int(counters.get("step", checkpoint.step))
        self.elapsed = float(counters.get("elapsed", 0.0))
        self.tokens_seen = int(counters.get("tokens_seen", 0))
        self.best_valid_loss = counters.get("best_valid_loss")
        same_watch = (counters.get("monitor", "loss"), counters.get("mode", "min")) == \
            (self.monitor, self.mode)
        saved_best = counters.get("best_metric", counters.get("best_valid_loss"))
        self.best_metric = saved_best if same_watch else None
        self.evals_without_improvement = int(counters.get("evals_without_improvement", 0)) \
            if same_watch else 0
        self.nonfinite_in_a_row = int(counters.get("nonfinite_in_a_row", 0))
        self.history = list(checkpoint.metrics)
        if self.metadata is None:
            self.metadata = checkpoint.metadata
        if self.run is None:
            self.run = training.run
        if checkpoint.run_id is not None:  # the same run goes on (older files record none)
            self.run_id = checkpoint.run_id
            if self.manager is not None:
                self.manager.run_id = checkpoint.run_id
        elif self.manager is not None and _same_folder(Path(path).parent,
                                                       self.manager.directory):
            # saved before runs were recorded: the unrecorded checkpoints beside it, up to
            # its step, are the run this one continues (pruned as its own)
            self.manager.adopt_unrecorded(checkpoint.step)


def _same_folder(first: Path, second: Path) -> bool:
    """Whether two paths name one folder (links and relative paths resolved)."""
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return False
