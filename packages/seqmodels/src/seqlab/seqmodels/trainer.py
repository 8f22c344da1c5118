"""`Trainer`: truncated-BPTT training of a language model over `TokenStreams`.

The loop carries the recurrent state across chunks (detached), clips gradients, steps the
optimizer and LR scheduler, evaluates on a validation stream every `eval_every` steps, stops
early, checkpoints, and reports through callbacks: the library prints nothing.

Callbacks are objects with any of `on_step(metrics)`, `on_eval(metrics)`,
`on_checkpoint(path)` (subclass `Callback` or pass any object with those methods).

A run stopped (limits, `request_stop()`) and resumed from its checkpoint with `resume(path)`
continues exactly: parameters, optimizer and scheduler state, the carried recurrent state, the
data position and the model's generator (dropout masks) are all restored.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn.functional import cross_entropy
from seqlab.autograd.nn.utils import clip_grad_norm_, clip_grad_value_
from seqlab.autograd.optim import lr_scheduler
from seqlab.seqmodels.checkpoint import (
    CheckpointManager,
    TrainingState,
    check_config,
    check_tokenizer,
    load_checkpoint,
    load_state_into,
    save_checkpoint,
)
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import detach_state, state_arrays

LN2 = math.log(2.0)


class NonFiniteLossError(FloatingPointError):
    """Training produced a non-finite loss or gradient too many steps in a row."""


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
    best_valid_loss: float | None
    history: list[dict[str, Any]] = field(default_factory=list)
    checkpoint: Path | None = None


def loss_metrics(loss: float) -> dict[str, float]:
    """Loss in nats per token, its perplexity and bits per token."""
    perplexity = math.exp(loss) if loss < 700 else math.inf
    return {"loss": loss, "perplexity": perplexity, "bits_per_token": loss / LN2}


class Trainer:
    """Trains a `LanguageModel` (or any model with `forward(tokens, state)` and `init_state`)."""

    def __init__(self, model: Any, optimizer: Any, train_data: TokenStreams,
                 valid_data: TokenStreams | None = None, *, scheduler: Any = None,
                 clip_norm: float | None = None, clip_value: float | None = None,
                 eval_every: int | None = None, max_steps: int | None = None,
                 max_epochs: int | None = None, time_budget: float | None = None,
                 patience: int | None = None, min_delta: float = 0.0, max_nonfinite: int = 5,
                 callbacks: Any = (), checkpoint_dir: str | os.PathLike[str] | None = None,
                 checkpoint_every: int | None = None, keep_last: int = 3,
                 tokenizer: dict[str, Any] | None = None) -> None:
        if clip_norm is not None and clip_value is not None:
            raise ValueError("pass clip_norm or clip_value, not both")
        for name, value in (("eval_every", eval_every), ("max_steps", max_steps),
                            ("max_epochs", max_epochs), ("patience", patience),
                            ("max_nonfinite", max_nonfinite),
                            ("checkpoint_every", checkpoint_every)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
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
        self.max_nonfinite = max_nonfinite
        self.callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
        self.manager = (CheckpointManager(checkpoint_dir, keep_last=keep_last)
                        if checkpoint_dir is not None else None)
        self.checkpoint_every = checkpoint_every
        self.tokenizer = tokenizer
        # ReduceLROnPlateau steps on the validation loss, the others once per update
        self._plateau_scheduler = isinstance(scheduler, lr_scheduler.ReduceLROnPlateau)
        if self._plateau_scheduler and (valid_data is None or eval_every is None):
            raise ValueError("ReduceLROnPlateau needs valid_data and eval_every")
        self.parameters = [p for p in model.parameters() if p.requires_grad]
        # counters saved in checkpoints
        self.step = 0
        self.elapsed = 0.0
        self.tokens_seen = 0
        self.best_valid_loss: float | None = None
        self.evals_without_improvement = 0
        self.nonfinite_in_a_row = 0
        self.history: list[dict[str, Any]] = []
        self.carry: Any = None
        self._stop_requested = False

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
        self._stop_requested = False
        started = time.perf_counter() - self.elapsed
        reason = self._limit_reached(started)
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
            if self.manager and self.checkpoint_every and self.step % self.checkpoint_every == 0:
                last_path = self.save()
            if self._stop_requested:
                reason = "stop_requested"
            reason = reason or self._limit_reached(started)
        if self.valid_data is not None and self.eval_every and not evaluated and \
                reason != "stop_requested":
            self._evaluate_and_track()
        if self.manager and (last_path is None or last_path != self.manager.path_for(self.step)):
            last_path = self.save()
        return TrainResult(self.step, self.train_data.epoch, reason, self.best_valid_loss,
                           list(self.history), last_path)

    def _limit_reached(self, started: float) -> str | None:
        if self.max_steps is not None and self.step >= self.max_steps:
            return "steps"
        if self.max_epochs is not None and self.train_data.epoch >= self.max_epochs:
            return "epochs"
        if self.time_budget is not None and time.perf_counter() - started >= self.time_budget:
            return "time_budget"
        return None

    def train_step(self) -> dict[str, Any]:
        """One optimizer step on the next chunk; returns (and reports) its metrics."""
        step_started = time.perf_counter()
        inputs, targets, starts_epoch = self.train_data.next_chunk()
        if starts_epoch or self.carry is None:
            self.carry = self.model.init_state(inputs.shape[1])
        self.model.train()
        logits, state = self.model(inputs, self.carry)
        loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss_value = float(loss.item())
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
            self.carry = None  # a NaN state would poison every later chunk
        else:
            self.nonfinite_in_a_row = 0
            self._clip()
            self.optimizer.step()
            if self.scheduler is not None and not self._plateau_scheduler:
                self.scheduler.step()
            self.carry = detach_state(state)
        self.step += 1
        self.tokens_seen += targets.size
        seconds = time.perf_counter() - step_started
        metrics = {"step": self.step, "epoch": self.train_data.epoch, "loss": loss_value,
                   "grad_norm": grad_norm, "lr": lr,
                   "tokens": self.tokens_seen, "elapsed": self.elapsed,
                   "tokens_per_second": targets.size / seconds if seconds > 0 else math.inf,
                   "skipped": skipped}
        self._emit("on_step", metrics)
        if self.nonfinite_in_a_row >= self.max_nonfinite:
            raise NonFiniteLossError(
                f"the loss or gradient was non-finite for {self.nonfinite_in_a_row} steps in a "
                f"row (last loss {loss_value}, gradient norm {grad_norm}) at step {self.step}; "
                "lower the learning rate, clip gradients (clip_norm) or check the data"
            )
        return metrics

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
    def evaluate(self, data: TokenStreams | None = None) -> dict[str, float]:
        """Mean loss (nats), perplexity and bits per token over one pass of `data`."""
        data = data if data is not None else self.valid_data
        if data is None:
            raise ValueError("no validation data: pass valid_data to Trainer or data= here")
        was_training = self.model.training
        self.model.eval()
        total, count = 0.0, 0
        with no_grad():
            state = self.model.init_state(data.batch_size)
            for inputs, targets in data:
                logits, state = self.model(inputs, state)
                loss = cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                     reduction="sum")
                total += float(loss.item())
                count += targets.size
        self.model.train(was_training)
        return {**loss_metrics(total / count), "tokens": count}

    def _evaluate_and_track(self) -> bool:
        """Evaluate, record, save the best model; True when early stopping says stop."""
        metrics = {"step": self.step, "epoch": self.train_data.epoch, "elapsed": self.elapsed,
                   **self.evaluate()}
        improved = self.best_valid_loss is None or \
            metrics["loss"] < self.best_valid_loss - self.min_delta
        if improved:
            self.best_valid_loss = metrics["loss"]
            self.evals_without_improvement = 0
        else:
            self.evals_without_improvement += 1
        metrics["best_loss"] = self.best_valid_loss
        if self._plateau_scheduler:
            self.scheduler.step(metrics["loss"])
        self.history.append(metrics)
        self._emit("on_eval", metrics)
        if improved and self.manager is not None:
            path = save_checkpoint(self.manager.best_path, self.model, step=self.step,
                                   tokenizer=self.tokenizer, metrics=self.history)
            self._emit("on_checkpoint", path)
        return self.patience is not None and self.evals_without_improvement >= self.patience

    # ------------------------------------------------------------------ checkpoints
    def training_state(self) -> TrainingState:
        """Everything beyond the weights that an exact resume needs."""
        generator = getattr(self.model, "generator", None)
        return TrainingState(
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            carry=state_arrays(self.carry) if self.carry is not None else (),
            rng=generator.bit_generator.state if generator is not None else None,
            data=self.train_data.state_dict(),
            trainer={"step": self.step, "elapsed": self.elapsed, "tokens_seen": self.tokens_seen,
                     "best_valid_loss": self.best_valid_loss,
                     "evals_without_improvement": self.evals_without_improvement,
                     "nonfinite_in_a_row": self.nonfinite_in_a_row},
        )

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write a resumable checkpoint (to the checkpoint directory when no path is given)."""
        options = {"tokenizer": self.tokenizer, "metrics": self.history,
                   "training": self.training_state()}
        if path is not None:
            written = save_checkpoint(path, self.model, step=self.step, **options)
        elif self.manager is not None:
            written = self.manager.save(self.step, self.model, **options)
        else:
            raise ValueError("no checkpoint path: pass path= or give the Trainer checkpoint_dir")
        self._emit("on_checkpoint", written)
        return written

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
        if training.optimizer is not None:
            self.optimizer.load_state_dict(training.optimizer)
        if self.scheduler is not None and training.scheduler is not None:
            self.scheduler.load_state_dict(training.scheduler)
        if training.data is not None:
            self.train_data.load_state_dict(training.data)
        generator = getattr(self.model, "generator", None)
        if generator is not None and training.rng is not None:
            generator.bit_generator.state = training.rng
        carry = tuple(Tensor(array) for array in training.carry)
        self.carry = None if not carry else (carry if len(carry) > 1 else carry[0])
        counters = training.trainer
        self.step = int(counters.get("step", checkpoint.step))
        self.elapsed = float(counters.get("elapsed", 0.0))
        self.tokens_seen = int(counters.get("tokens_seen", 0))
        self.best_valid_loss = counters.get("best_valid_loss")
        self.evals_without_improvement = int(counters.get("evals_without_improvement", 0))
        self.nonfinite_in_a_row = int(counters.get("nonfinite_in_a_row", 0))
        self.history = list(checkpoint.metrics)
