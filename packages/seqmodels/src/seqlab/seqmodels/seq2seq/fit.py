"""A stand-in for the unified Trainer, for Seq2Seq on this branch only.

REPLACED AT MERGE: once `seqlab.seqmodels.Trainer` follows the unified contract (any model with
`training_loss(batch, carry)` / `evaluation_metrics(batches)`, any source with `next_batch()`,
`epoch`, `state_dict()`, `load_state_dict()`, `batches()`), delete this file and use that
Trainer in its place: the constructor arguments, `fit()`, `request_stop()`, `save()`,
`resume()` and the callbacks (`on_step`, `on_eval`, `on_checkpoint`) used here are the same.
It only makes the contract's calls: `training_loss`, backward, clip, optimizer step, and
`evaluation_metrics` every `eval_every` steps; checkpoints go through `seqmodels.checkpoint`.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd.nn.utils import clip_grad_norm_
from seqlab.seqmodels.checkpoint import (
    CheckpointManager,
    TrainingState,
    check_config,
    load_checkpoint,
    load_state_into,
    save_checkpoint,
)
from seqlab.seqmodels.trainer import TrainResult


class Seq2SeqTrainer:
    """Step, clip, evaluate, checkpoint and resume a model through the Trainer contract."""

    def __init__(self, model: Any, optimizer: Any, train_data: Any, valid_data: Any = None, *,
                 clip_norm: float | None = None, eval_every: int | None = None,
                 max_steps: int | None = None, max_epochs: int | None = None,
                 time_budget: float | None = None, callbacks: Any = (),
                 checkpoint_dir: str | os.PathLike[str] | None = None,
                 checkpoint_every: int | None = None, keep_last: int = 3,
                 tokenizer: dict[str, Any] | None = None, monitor: str = "loss",
                 mode: str = "min") -> None:
        self.model, self.optimizer = model, optimizer
        self.train_data, self.valid_data = train_data, valid_data
        self.clip_norm, self.eval_every = clip_norm, eval_every
        self.max_steps, self.max_epochs, self.time_budget = max_steps, max_epochs, time_budget
        self.callbacks = list(callbacks)
        self.manager = CheckpointManager(checkpoint_dir, keep_last) if checkpoint_dir else None
        self.checkpoint_every, self.tokenizer = checkpoint_every, tokenizer
        self.monitor, self.sign = monitor, (1.0 if mode == "min" else -1.0)
        self.parameters = [p for p in model.parameters() if p.requires_grad]
        self.step, self.elapsed, self.tokens_seen = 0, 0.0, 0
        self.best: float | None = None
        self.history: list[dict[str, Any]] = []
        self._stop_requested = False

    def request_stop(self) -> None:
        """Stop after the current step (safe from a signal handler)."""
        self._stop_requested = True

    def _emit(self, hook: str, payload: Any) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(payload)

    def _limit(self, started: float) -> str | None:
        if self.max_steps is not None and self.step >= self.max_steps:
            return "steps"
        if self.max_epochs is not None and self.train_data.epoch >= self.max_epochs:
            return "epochs"
        if self.time_budget is not None and time.perf_counter() - started >= self.time_budget:
            return "time_budget"
        return None

    def fit(self) -> TrainResult:
        """Train until a limit or a stop request; evaluate at the end; save when configured."""
        self._stop_requested = False
        started = time.perf_counter() - self.elapsed
        reason = self._limit(started)
        while reason is None:
            self.train_step()
            self.elapsed = time.perf_counter() - started
            if self.eval_every and self.valid_data is not None and \
                    self.step % self.eval_every == 0:
                self.evaluate_and_track()
            if self.manager and self.checkpoint_every and self.step % self.checkpoint_every == 0:
                self.save()
            reason = "stop_requested" if self._stop_requested else self._limit(started)
        if self.valid_data is not None and self.eval_every and reason != "stop_requested" and \
                (not self.history or self.history[-1]["step"] != self.step):
            self.evaluate_and_track()
        best = None if self.best is None else self.sign * self.best
        return TrainResult(self.step, self.train_data.epoch, reason, best, list(self.history))

    def train_step(self) -> dict[str, Any]:
        """One optimizer step on the next batch; returns (and reports) its metrics."""
        step_started = time.perf_counter()
        batch, _ = self.train_data.next_batch()
        self.model.train()
        loss, count, _ = self.model.training_loss(batch, None)
        value = float(loss.item())
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss is {value} at step {self.step + 1}; lower the "
                                     "learning rate or check the data")
        self.optimizer.zero_grad()
        loss.backward()
        grad_norm = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in self.parameters
                                  if p.grad is not None))
        if self.clip_norm is not None:
            clip_grad_norm_(self.parameters, self.clip_norm)
        self.optimizer.step()
        self.step += 1
        self.tokens_seen += count
        seconds = time.perf_counter() - step_started
        metrics = {"step": self.step, "epoch": self.train_data.epoch, "loss": value,
                   "grad_norm": grad_norm, "tokens": self.tokens_seen, "elapsed": self.elapsed,
                   "tokens_per_second": count / seconds if seconds > 0 else math.inf,
                   "skipped": False}
        self._emit("on_step", metrics)
        return metrics

    def evaluate_and_track(self) -> dict[str, Any]:
        """Validation metrics; the best model (by `monitor`) saved as best.safetensors."""
        metrics = {"step": self.step, "epoch": self.train_data.epoch, "elapsed": self.elapsed,
                   **self.model.evaluation_metrics(self.valid_data.batches())}
        value = self.sign * metrics[self.monitor]
        improved = self.best is None or value < self.best
        if improved:
            self.best = value
            if self.manager is not None:
                self.manager.directory.mkdir(parents=True, exist_ok=True)
                path = save_checkpoint(self.manager.best_path, self.model, step=self.step,
                                       tokenizer=self.tokenizer, metrics=self.history)
                self._emit("on_checkpoint", path)
        self.history.append(metrics)
        self._emit("on_eval", metrics)
        return metrics

    def training_state(self) -> TrainingState:
        generator = getattr(self.model, "generator", None)
        return TrainingState(
            optimizer=self.optimizer.state_dict(),
            rng=generator.bit_generator.state if generator is not None else None,
            data=self.train_data.state_dict(),
            trainer={"step": self.step, "elapsed": self.elapsed, "tokens_seen": self.tokens_seen,
                     "best": self.best})

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """A resumable checkpoint at `path` (or the next numbered one in checkpoint_dir)."""
        options = {"tokenizer": self.tokenizer, "metrics": self.history,
                   "training": self.training_state()}
        if path is not None:
            written = save_checkpoint(path, self.model, step=self.step, **options)
        elif self.manager is not None:
            written = self.manager.save(self.step, self.model, **options)
        else:
            raise ValueError("no checkpoint path: pass path= or give checkpoint_dir")
        self._emit("on_checkpoint", written)
        return written

    def resume(self, path: str | os.PathLike[str]) -> None:
        """Weights, optimizer, generator, data position and counters from a checkpoint."""
        checkpoint = load_checkpoint(path)
        check_config(checkpoint.config, self.model.config, path)
        training = checkpoint.training
        if training is None:
            raise ValueError(f"{path} holds no training state; resume from a checkpoint "
                             "saved during training")
        load_state_into(self.model, checkpoint.state, path)
        self.optimizer.load_state_dict(training.optimizer)
        self.train_data.load_state_dict(training.data)
        generator = getattr(self.model, "generator", None)
        if generator is not None and training.rng is not None:
            generator.bit_generator.state = training.rng
        counters = training.trainer
        self.step, self.elapsed = int(counters["step"]), float(counters["elapsed"])
        self.tokens_seen, self.best = int(counters["tokens_seen"]), counters.get("best")
        self.history = list(checkpoint.metrics)
