"""What every training command shares (`train`, `classify train`, `forecast train`, `demo`):
run a `Trainer` with a live progress display and the metrics file, save the model atomically,
stop cleanly on Ctrl-C, SIGTERM or SIGHUP with a resumable checkpoint, and continue or
fine-tune runs."""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.cli.console import Output
from seqlab.cli.divergence import diverged_line, far_above_uniform_line
from seqlab.cli.errors import EXIT_USAGE, CliError, require_file
from seqlab.cli.loss_display import loss_text
from seqlab.cli.metrics_log import MetricsLog, metrics_path
from seqlab.cli.models import refuse_other_kind
from seqlab.cli.plot import loss_chart
from seqlab.cli.progress import make_progress, rate_text
from seqlab.cli.run_files import plural, tidy_periodic_checkpoints
from seqlab.cli.stop_signals import (
    exit_code,
    let_go_of_terminal,
    raise_interrupted_saying,
    stopped_words,
)
from seqlab.cli.stop_signals import install as install_stop_handler
from seqlab.cli.stop_signals import restore as restore_stop_handlers

if TYPE_CHECKING:
    from seqlab.cli.run_ownership import OtherRunFiles

LIMITS = ("steps", "epochs", "time_budget")


@dataclass
class RunOutcome:
    """How a training command's run ended."""

    result: Any  # TrainResult
    seconds: float
    train_loss: float | None
    valid: dict[str, Any] | None
    metrics_path: Path
    train_losses: list[float] = field(default_factory=list)
    valid_losses: list[float] = field(default_factory=list)


class _Display:
    """Trainer callbacks that drive the progress bar and fill the metrics log."""

    def __init__(self, progress, task, total_kind: str, log: MetricsLog, started: float,
                 unit: str, valid_text: Callable[[dict[str, Any]], str]) -> None:
        self.progress, self.task, self.total_kind = progress, task, total_kind
        self.log, self.started, self.unit = log, started, unit
        self.valid_text = valid_text
        self.train_losses: list[float] = []
        self.valid_losses: list[float] = []
        self.last_valid: dict[str, Any] | None = None
        self.smoothed: float | None = None
        self.tokens_at_start: int | None = None

    def on_step(self, metrics: dict[str, Any]) -> None:
        loss = metrics["loss"]
        if math.isfinite(loss):
            self.smoothed = loss if self.smoothed is None else 0.95 * self.smoothed + 0.05 * loss
            self.train_losses.append(loss)
        if self.tokens_at_start is None:
            self.tokens_at_start = metrics["tokens"] - 1
        elapsed = time.perf_counter() - self.started
        done = metrics["elapsed"] if self.total_kind == "time" else metrics["step"]
        self.progress.update(self.task, completed=done, info=self._info(),
                             rate=rate_text(metrics["tokens"] - self.tokens_at_start, elapsed,
                                            self.unit))
        if metrics["step"] % 10 == 0 or metrics.get("skipped"):
            self.log.add({"type": "train", **metrics})

    def on_eval(self, metrics: dict[str, Any]) -> None:
        self.last_valid = metrics
        self.valid_losses.append(metrics["loss"])
        self.progress.update(self.task, info=self._info())  # the last one too, with no step after
        self.log.add({"type": "valid", **metrics}, flush=True)

    def _info(self) -> str:
        """'smoothed loss 3.912  val 3.870': the train loss is an exponential moving average
        (0.95) of the step losses, so it is labelled as one; the validation is the newest."""
        info = ("smoothed loss " + loss_text(self.smoothed) if self.smoothed is not None
                else "loss nan")
        if self.last_valid:
            info += f"  val {self.valid_text(self.last_valid)}"
        return info

    def on_checkpoint(self, path: Path) -> None:
        self.log.sync()  # the rows up to a resumable checkpoint are on disk with it


def progress_total(limits: dict[str, Any], batches_per_epoch: int,
                   done_steps: int = 0) -> tuple[float, str]:
    """(total, 'steps' | 'time') for the progress bar from the run's limits."""
    if limits.get("steps") is not None:
        return limits["steps"], "steps"
    if limits.get("time_budget") is not None and limits.get("epochs") is None:
        return limits["time_budget"], "time"
    return max((limits.get("epochs") or 1) * batches_per_epoch, done_steps), "steps"


def trainer_limits(limits: dict[str, Any]) -> dict[str, Any]:
    """The Trainer's keyword arguments for --steps/--epochs/--time-budget (one epoch if none)."""
    given = {"max_steps": limits.get("steps"), "max_epochs": limits.get("epochs"),
             "time_budget": limits.get("time_budget")}
    if all(value is None for value in given.values()):
        given["max_epochs"] = 1
    return given


def run_trainer(trainer: Any, out: Path, output: Output, *, unit: str, total: float, kind: str,
                resume_command: str, resumed: bool,
                valid_text: Callable[[dict[str, Any]], str] | None = None,
                report_kept: bool = True,
                uniform_over: tuple[int, str] | None = None,
                other_run_files: OtherRunFiles | None = None) -> RunOutcome:
    """Fit `trainer` with progress and metrics, save `out` (resumable), handle Ctrl-C (and
    SIGTERM, SIGHUP: `stop_signals`); then
    remove the numbered checkpoints `out` supersedes and (with `report_kept`) say what is kept.
    `uniform_over` (V, "tokens"): the outputs a cross-entropy head chooses among, to warn when
    the validation loss ends far above a uniform guess's ln V (a diverged run).
    `other_run_files`: another run's checkpoints that --force lets this run remove
    (`check_run_files`), removed here, before the run's first write, once every input has been
    read and checked. The run's kernels compile first, before the bar and the --time-budget
    clock start (`kernel_warm_up`): a budget measures training, not compilation."""
    from seqlab.cli import kernel_warm_up
    from seqlab.seqmodels.checkpoint import CheckpointDirInUseError
    from seqlab.seqmodels.trainer import NonFiniteLossError

    kernel_warm_up.warm_up_run(trainer, output)  # compile before the bar and the clock start
    if valid_text is None:
        def valid_text(metrics: dict[str, Any]) -> str:
            return loss_text(metrics["loss"])
    if other_run_files is not None:
        other_run_files.remove(output)
    log = MetricsLog(metrics_path(out), trainer.step if resumed else None)
    if not resumed:  # a new run to the same --out: an older run's best model is not this one's
        _remove_checkpoint(checkpoint_dir(out) / "best.safetensors")
    interrupted: int | None = None  # the stop signal's number
    started = time.perf_counter()
    previous_handlers: dict[int, Any] = {}

    def on_interrupt(signum, frame):  # the first stop signal: finish the step, save, exit 128+N
        nonlocal interrupted
        interrupted = signum
        let_go_of_terminal(signum)  # SIGHUP: the terminal is gone; writes to it would fail
        trainer.request_stop()
        restore_stop_handlers(previous_handlers)  # a second one stops at once, unsaved

    previous_handlers.update(install_stop_handler(on_interrupt))
    try:
        with make_progress(unit, output.show_progress) as progress:
            task = progress.add_task("training", total=total, completed=trainer.step
                                     if kind == "steps" else trainer.elapsed, rate="", info="")
            display = _Display(progress, task, kind, log, started, unit, valid_text)
            trainer.callbacks.append(display)
            try:
                result = trainer.fit()
            except NonFiniteLossError as error:
                raise CliError(diverged_line(error, trainer.base_learning_rate(),
                                             log.path)) from error
            except FloatingPointError as error:
                raise CliError(str(error)) from error
            except CheckpointDirInUseError as error:  # --out's lock covers the CLI's own runs
                raise CliError(str(error)) from None
            finally:
                trainer.callbacks.remove(display)
            trainer.save(out)
            if interrupted is None:  # a run that reached its limit shows a full bar
                progress.update(task, completed=total)
    finally:
        restore_stop_handlers(previous_handlers)
        log.close()  # the rows so far, fsynced, whatever ended the run
    # a signal from here on, or one that came after the last step (final validation, save),
    # stops a finished run: its model is saved whole and there is nothing to resume
    finished = f"the run had finished ({stop_words(result.stop_reason)}) and {out} is saved"
    if result.stop_reason != "stop_requested":
        install_stop_handler(raise_interrupted_saying(
            f"{finished}; the report after training was cut"))
    kept = tidy_periodic_checkpoints(out, checkpoint_dir(out), trainer.run_id,
                                     trainer.manager.adopted if trainer.manager else ())
    if report_kept:
        output.info(kept)
    outcome = RunOutcome(result, time.perf_counter() - started, display.smoothed,
                         display.last_valid, log.path, display.train_losses,
                         display.valid_losses)
    if output.show_progress and (display.train_losses or display.valid_losses):
        output.info(loss_chart(display.train_losses, display.valid_losses))
    if uniform_over is not None and display.last_valid is not None:
        _warn_far_above_uniform(output, display.last_valid["loss"], *uniform_over,
                                trainer.base_learning_rate(), trainer.clip_norm is None,
                                display.last_valid.get("accuracy"))
    if interrupted is not None:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            output.warn(f"{stopped_words(interrupted)}: saved a resumable checkpoint to {out}\n"
                        f"  resume with: {resume_command}"
                        if result.stop_reason == "stop_requested" else
                        f"{stopped_words(interrupted)} after the last step: {finished}; "
                        "the report after training was cut")
        raise SystemExit(exit_code(interrupted))
    return outcome


def _warn_far_above_uniform(output: Output, loss: float, classes: int, what: str,
                            learning_rate: float, clipping_off: bool,
                            accuracy: float | None = None) -> None:
    """Warn when the validation loss ended far above a uniform guess (and a classifier's
    `accuracy`, where it reports one, is no better than chance)."""
    from seqlab.seqmodels.metrics import far_above_uniform

    if classes > 1 and far_above_uniform(loss, classes, accuracy):
        output.warn(far_above_uniform_line(loss, classes, what, learning_rate, clipping_off))


def _remove_checkpoint(path: Path) -> None:
    from seqlab.seqmodels.checkpoint import training_path

    training_path(path).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def checkpoint_dir(out: Path) -> Path:
    """`NAME.checkpoints/` beside `NAME.safetensors`: numbered and best checkpoints."""
    return out.parent / f"{out.stem}.checkpoints"


def newest_complete_checkpoint(out: Path) -> Path | None:
    """The newest numbered checkpoint in `NAME.checkpoints/` whose training state is beside it
    (what a killed run leaves: NAME's own files are written only when a run ends), of the run
    whose checkpoints the folder holds (those saved before runs were recorded go with it, as
    the Trainer adopts them), or None. A folder holding two recorded runs' checkpoints is a
    CliError naming each run's newest: which one NAME continues is the user's choice."""
    from seqlab.seqmodels.checkpoint import CheckpointManager, run_of, training_path

    folder = checkpoint_dir(out)
    complete = [step for step in CheckpointManager(folder).checkpoints()
                if training_path(step).is_file()]
    newest_of_run = {}  # run id -> its newest complete checkpoint (the list is oldest first)
    for step in complete:
        run_id = run_of(step)
        if run_id is not None:
            newest_of_run[run_id] = step
    if len(newest_of_run) > 1:
        newest = sorted(newest_of_run.values())
        raise CliError(f"--resume {out}: {out.name} is missing and {folder} holds the "
                       f"checkpoints of {plural(len(newest), 'run')} (newest "
                       f"{', '.join(step.name for step in newest)}), so which one to continue "
                       f"is yours to say: --resume {folder / 'step-N.safetensors'} --out {out}")
    if newest_of_run:
        return next(iter(newest_of_run.values()))
    return complete[-1] if complete else None


def resume_latest(options: Any, output: Output) -> None:
    """When `--resume NAME.safetensors` is missing but `NAME.checkpoints/` holds a complete
    numbered checkpoint of one run (a run killed before it ended), resume from that run's
    newest, say so in one info line, and keep writing NAME.safetensors (unless --out says
    otherwise); a folder of two runs' checkpoints is refused (`newest_complete_checkpoint`)."""
    if options.resume is None:
        return
    given = Path(options.resume)
    if str(given) == "-" or given.exists() or not given.name.endswith(".safetensors"):
        return
    step = newest_complete_checkpoint(given)
    if step is None:
        return
    as_path = isinstance(options.resume, Path)
    output.info(f"{given} is missing (the run did not end): resuming from {step}, the newest "
                f"complete checkpoint of its run in {checkpoint_dir(given)}")
    options.resume = step if as_path else str(step)
    if options.out is None:
        options.out = given if as_path else str(given)


def _training_state_hint(path: Path) -> None:
    """A CliError when `path` is a checkpoint's training-state file, naming the model file."""
    from seqlab.seqmodels.checkpoint import SUFFIX, TRAINING_SUFFIX

    if path.name.endswith(TRAINING_SUFFIX):
        model = path.with_name(path.name[: -len(TRAINING_SUFFIX)] + SUFFIX)
        raise CliError(f"--resume {path} is a checkpoint's training state: give its model file "
                       f"{model} (the two are read together)")


def load_resumable(path: Path) -> Any:
    """The checkpoint `--resume` names, with its training state, or a one-line CliError."""
    from seqlab.seqmodels.checkpoint import load_checkpoint

    _training_state_hint(path)
    if not path.exists() and str(path) != "-":
        raise CliError(f"--resume checkpoint not found: {path}, and {checkpoint_dir(path)} "
                       "holds no complete numbered checkpoint to continue from (check the path)")
    require_file(path, "--resume checkpoint")
    refuse_other_kind(path)
    try:
        checkpoint = load_checkpoint(path)
    except FileNotFoundError as error:  # its NAME.train.safetensors is gone
        line = str(error).splitlines()[0].replace(
            "or load the model's weights alone", f"or start a new run from its weights with "
            f"--init-from {path}")
        raise CliError(f"--resume {path}: {line}") from error
    except (ValueError, OSError, KeyError) as error:
        raise CliError(f"--resume {path}: {str(error).splitlines()[0]}") from error
    if checkpoint.training is None:
        raise CliError(f"{path} holds no training state (its .train.safetensors file is "
                       "missing): it cannot be resumed; start a new run from its weights with "
                       f"--init-from {path}")
    return checkpoint


def load_initial(path: Path) -> Any:
    """The checkpoint `--init-from` names (weights only), or a one-line CliError."""
    from seqlab.seqmodels.checkpoint import load_checkpoint

    require_file(path, "--init-from model")
    refuse_other_kind(path)
    try:
        return load_checkpoint(path, training=False)
    except (ValueError, OSError, KeyError) as error:
        raise CliError(f"--init-from {path}: {str(error).splitlines()[0]}") from error


def require_kind(checkpoint: Any, model_class: str, path: Path, what: str, hint: str) -> None:
    """A CliError unless the checkpoint holds a `model_class` (e.g. an LM given to classify)."""
    from seqlab.cli.outputs import MODEL_KINDS

    found = checkpoint.config.get("model")
    if found != model_class:
        named = MODEL_KINDS.get(found, (f"a {found} model", ""))[0]
        raise CliError(f"{path} is {named}, not {what}; {hint}")


def continue_run(saved: dict[str, Any], given: dict[str, Any], fixed: tuple[str, ...],
                 path: Path) -> dict[str, Any]:
    """The options of a resumed run: the saved ones, with given ones where allowed.

    Options in `fixed` (data, layout, vocabulary) must not change: a different value is a
    CliError. The limits (steps/epochs/time_budget) continue the saved budget unless a new
    one is given, which then replaces all three.
    """
    merged = dict(saved)
    for key, value in given.items():
        if value is None or key in LIMITS:
            continue
        if key in fixed and key in saved and saved[key] != value:
            if key == "files":
                raise CliError(f"--resume {path} continues its run on the data it trained on "
                               f"({', '.join(saved[key] or ['the embedded default'])}); drop "
                               "the data arguments, or train on this data from its weights "
                               f"with --init-from {path} --out NEW.safetensors")
            option = "--" + key.replace("_", "-")
            raise CliError(f"--resume {path}: the run used {option} {saved[key]!r}, not "
                           f"{value!r}; drop the option to continue it, or start a new run "
                           f"from its weights with --init-from {path}")
        merged[key] = value
    if any(given.get(key) is not None for key in LIMITS):
        for key in LIMITS:
            merged[key] = given.get(key)
    return merged


def absolute_path(path: Any) -> Any:
    """A path as an absolute string for a run record (None and '-' for stdin stay as they are)."""
    return str(Path(path).resolve()) if path is not None and str(path) != "-" else path


def shown_out(given: Any, merged: dict[str, Any], resume: Any) -> str:
    """The --out of a resumed run, as the user would write it: `given` (--out) as given; else
    the run's recorded --out (absolute in the record), shown as the --resume path when it is
    that file, or relative to the working folder when it lies under it, as a fresh run shows
    the --out it was given."""
    if given is not None:
        return str(given)
    saved = merged.get("out")
    if saved is None or Path(saved).resolve() == Path(resume).resolve():
        return str(resume)
    relative = os.path.relpath(saved)
    return saved if relative.startswith("..") else relative


def apply_run(options: Any, merged: dict[str, Any]) -> None:
    """Set a resumed run's merged options (`continue_run`) on a command's options object."""
    for key, value in merged.items():
        if hasattr(options, key) and key not in ("resume", "init_from"):
            setattr(options, key, value)


def resume_trainer(trainer: Any, path: Path | str, limits: dict[str, Any],
                   record: dict[str, Any],
                   explain: Callable[[str], str] | None = None, *,
                   given_lr: float | None = None, output: Output | None = None) -> None:
    """Restore `trainer` from the checkpoint `path`, store this run's `record` and check that
    budget is left; a failure is one CliError (`explain` words it from the error's first line,
    by default "--resume PATH: ..."). `given_lr`, an --lr given on the command line, replaces
    the resumed optimizer's (lowering it is what a diverged run is told to do), said in one
    info line on `output`."""
    try:
        trainer.resume(path)
    except ValueError as error:
        line = str(error).splitlines()[0]
        raise CliError(explain(line) if explain else f"--resume {path}: {line}") from error
    trainer.run = record
    if given_lr is not None and trainer.optimizer is not None and \
            given_lr != trainer.base_learning_rate():
        was = trainer.set_base_learning_rate(given_lr)
        if output is not None:
            output.info(f"learning rate {given_lr:g} (was {was:g} in the resumed run)")
    check_budget_left(trainer, limits)


def check_resumed_output(out: Path, inputs: Iterable[Path | None], *, force: bool,
                         model: str | None = None) -> None:
    """The output guard for a resumed run given no --out: it writes the --out its run recorded
    (or the checkpoint it resumes), which may since have become someone else's file. The run's
    own files (model, training state, metrics log) pass, as for any --out."""
    from seqlab.cli.outputs import check_checkpoint_output

    check_checkpoint_output(out, inputs, force=force, model=model)


def require_validation_for_patience(patience: int | None, valid_data: Any, what: str,
                                    val_fraction: float) -> None:
    """A CliError when --patience is given but the run holds out nothing to validate on
    (early stopping watches validation results; it is never dropped silently)."""
    if patience is not None and valid_data is None:
        raise CliError(f"--patience {patience} stops on validation results, but --val-fraction "
                       f"{val_fraction:g} holds out no {what}; raise --val-fraction or drop "
                       "--patience", code=EXIT_USAGE)


STOP_WORDS = {"steps": "--steps reached", "epochs": "--epochs done",
              "time_budget": "--time-budget used", "early_stopping": "early stopping",
              "stop_requested": "stopped on request"}


def stop_words(reason: str) -> str:
    """A Trainer's stop_reason ("time_budget", ...) as a user reads it; JSON keeps the name."""
    return STOP_WORDS.get(reason, reason.replace("_", " "))


def saved_line(model: Any, steps: int, reason: str) -> str:
    """The start of every training command's last line: 'Saved M after 2 steps (--steps
    reached)'."""
    return f"Saved {model} after {steps} step{'s' if steps != 1 else ''} ({stop_words(reason)})"


def check_budget_left(trainer: Any, limits: dict[str, Any]) -> None:
    """A CliError when a resumed run has already used the budget it would continue with.

    A limit is the run's total, counted from its start (as Keras' `epochs` with
    `initial_epoch`): the error names the value that trains as much again."""
    if limits.get("steps") is not None and trainer.step >= limits["steps"]:
        raise CliError(f"the run is already at step {trainer.step} and --steps "
                       f"{limits['steps']} is the run's total, counted from its start; for "
                       f"{plural(limits['steps'], 'more step')} give --steps "
                       f"{trainer.step + limits['steps']}")
    if limits.get("epochs") is not None and trainer.train_data.epoch >= limits["epochs"]:
        done = trainer.train_data.epoch
        raise CliError(f"the run has already done {plural(done, 'epoch')} and --epochs "
                       f"{limits['epochs']} is the run's total, counted from its start; for "
                       f"{plural(limits['epochs'], 'more epoch')} give --epochs "
                       f"{done + limits['epochs']}")
    if limits.get("time_budget") is not None and trainer.elapsed >= limits["time_budget"]:
        budget = limits["time_budget"]
        raise CliError(f"the run has already trained {trainer.elapsed:.0f} s and --time-budget "
                       f"{budget:g} is the run's total, counted from its start; for {budget:g} "
                       f"s more give --time-budget {math.ceil(trainer.elapsed + budget)}")
