"""`seqlab forecast`: read a series, fit transforms on its training part, train or continue a
`SequenceRegressor` through the shared runner, and report it beside persistence, seasonal
naive and AR(p) on the held-out tail."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli.clip_option import clip_norm
from seqlab.cli.console import Output
from seqlab.cli.errors import CliError, require_file
from seqlab.cli.loss_display import loss_text
from seqlab.cli.run_files import claim_checkpoint_dir
from seqlab.cli.run_ownership import check_run_files
from seqlab.cli.training import (
    absolute_path,
    apply_run,
    check_resumed_output,
    checkpoint_dir,
    continue_run,
    load_initial,
    load_resumable,
    progress_total,
    require_kind,
    require_validation_for_patience,
    resume_latest,
    resume_trainer,
    run_trainer,
    shown_out,
    trainer_limits,
)

SEASONS = {"sunspots": 11, "co2": 52}
DEFAULTS = {"out": "forecaster.safetensors", "window": 20, "horizon": 1,
            "test_fraction": 0.2, "val_fraction": 0.15, "transform": "none", "cell": "lstm",
            "hidden_size": 32, "num_layers": 1, "dropout": 0.0, "batch_size": 32, "lr": 0.01,
            "clip": 1.0, "seed": 0, "keep_last": 3}
ARCHITECTURE = ("cell", "hidden_size", "num_layers", "dropout")
FIXED = ("series_file", "series", "target", "features", "time_column", "window", "horizon",
         "test_fraction", "val_fraction", "transform", "batch_size", "seed")


@dataclass
class ForecastOptions:
    """`forecast train`'s options (None: the default, or the resumed run's)."""

    series_file: str | None = None
    series: str | None = None
    target: str | None = None
    features: list[str] | None = None
    time_column: str | None = None
    out: str | None = None
    window: int | None = None
    horizon: int | None = None
    test_fraction: float | None = None
    val_fraction: float | None = None
    transform: str | None = None
    cell: str | None = None
    hidden_size: int | None = None
    num_layers: int | None = None
    dropout: float | None = None
    batch_size: int | None = None
    lr: float | None = None
    clip: float | None = None
    steps: int | None = None
    epochs: int | None = None
    time_budget: float | None = None
    eval_every: int | None = None
    patience: int | None = None
    checkpoint_every: int | None = None
    keep_last: int | None = None
    season: int | None = None
    ar_order: int | None = None
    seed: int | None = None
    resume: str | None = None
    init_from: str | None = None


def load_series_input(series_file: str | None, series: str | None, target: str | None,
                      features: list[str] | None, time_column: str | None) -> Any:
    """The `Series` a command works on: a CSV file or an embedded series, or a CliError."""
    from seqlab.cli.inputs import decode_errors, remedy
    from seqlab.seqmodels.forecasting import embedded_series, read_series

    try:
        if series_file is not None:
            if series is not None:
                raise CliError("give a SERIES.csv file or --series, not both", code=2)
            if target is None:
                raise CliError(f"--target is required with {series_file}: name the column to "
                               "forecast", code=2)
            require_file(Path(series_file), "series file")
            return read_series(series_file, target, features, time_column, decode_errors())
        if features:
            raise CliError("--features needs a SERIES.csv file (the embedded series have one "
                           "column)", code=2)
        from seqlab.seqmodels.regressor import SERIES

        if (series or "sunspots") not in SERIES:  # a bad option value: exit 2, as Typer's
            raise CliError(f"--series must be one of {', '.join(SERIES)}, got {series!r}",
                           code=2)
        return embedded_series(series or "sunspots")
    except (ValueError, OSError) as error:
        raise CliError(remedy(str(error).splitlines()[0])) from error


def _record(options: ForecastOptions) -> dict[str, Any]:
    record = asdict(options)
    record.pop("resume")
    for key in ("series_file", "out", "init_from"):
        record[key] = absolute_path(record[key])
    record["command"] = "forecast train"
    return record


def _resolve(options: ForecastOptions) -> Any:
    if options.resume is not None and options.init_from is not None:
        raise CliError("give --resume (continue a run) or --init-from (start a new run from a "
                       "model's weights), not both", code=2)
    source = None
    if options.resume is not None:
        source = load_resumable(Path(options.resume))
        require_kind(source, "SequenceRegressor", Path(options.resume), "a forecaster",
                     "resume it with the command that trained it")
        given = {key: value for key, value in asdict(options).items()
                 if key not in ("resume", "init_from")}
        for key in ("series_file", "out"):
            given[key] = absolute_path(given[key])
        out_now = options.out  # --out, or the run's file resume_latest resumes
        merged = continue_run(source.training.run or {}, given, FIXED, Path(options.resume))
        apply_run(options, merged)
        options.out = shown_out(out_now, merged, options.resume)
    elif options.init_from is not None:
        source = load_initial(Path(options.init_from))
        require_kind(source, "SequenceRegressor", Path(options.init_from), "a forecaster",
                     "fine-tune a model written by `seqlab forecast train`")
        saved = source.metadata or {}
        for key in ("window", "horizon"):
            if getattr(options, key) is not None and getattr(options, key) != saved.get(key):
                raise CliError(f"--init-from {options.init_from}: the model has {key} "
                               f"{saved.get(key)}; drop --{key} to keep it")
            setattr(options, key, saved.get(key))
    if source is not None:
        for key in ARCHITECTURE:
            given = getattr(options, key)
            if given is not None and source.config.get(key) != given:
                raise CliError(f"{options.resume or options.init_from}: the model has "
                               f"{key}={source.config.get(key)}, but {given} was asked for "
                               "(drop the option to keep that model's architecture)")
            setattr(options, key, source.config.get(key))
    for key, value in DEFAULTS.items():
        if getattr(options, key) is None:
            setattr(options, key, value)
    return source


def run_forecast_training(options: ForecastOptions, output: Output, *,
                          force: bool = False) -> dict[str, Any]:
    """Train (continue, fine-tune) a forecaster; returns the result JSON (`force`: the
    command's --force, for the file a resumed run writes when given no --out)."""
    from seqlab.autograd import optim
    from seqlab.seqmodels import ExampleBatches, SequenceRegressor, Trainer
    from seqlab.seqmodels.forecasting import SeriesTransform, split_index, training_windows

    out_given = options.out  # before resume_latest fills it: a resume given none is guarded
    resume_latest(options, output)
    given_lr = options.lr  # None unless --lr was given (a resumed run's is merged below)
    source = _resolve(options)
    if options.resume is not None and out_given is None:
        series = [Path(options.series_file)] if options.series_file else []
        check_resumed_output(Path(options.out), series, force=force,
                             model="SequenceRegressor")
    if options.init_from is not None and \
            Path(options.out).resolve() == Path(options.init_from).resolve():
        raise CliError(f"--out {options.out} is the --init-from model; give another --out")
    other_run_files = check_run_files(Path(options.out), force=force,
                                      resumed_from=source, resume_path=options.resume)
    series = load_series_input(options.series_file, options.series, options.target,
                               options.features, options.time_column)
    warn_interpolated(series, output)
    warn_future_left_out(series, output)
    values = series.values
    if source is not None and values.shape[1] != source.config["input_size"]:
        raise CliError(f"the model reads {source.config['input_size']} columns, this series "
                       f"has {values.shape[1]}; give the same --target/--features")
    if options.window >= values.shape[0]:
        raise CliError(f"--window {options.window} is longer than the series "
                       f"({values.shape[0]} values); use a shorter window")
    split = split_index(values.shape[0], options.test_fraction)
    transform = SeriesTransform(options.transform).fit(values, split)
    view = transform.transform(values)
    try:
        inputs, targets = training_windows(view, transform.first_index, split, options.window,
                                           options.horizon)
    except ValueError as error:
        raise CliError(str(error)) from error
    valid_count = int(len(inputs) * options.val_fraction)
    if len(inputs) - valid_count < 1:
        raise CliError(f"only {len(inputs)} training windows: too few to hold out "
                       f"--val-fraction {options.val_fraction}; lower it or the window")
    cut = len(inputs) - valid_count
    model = SequenceRegressor(values.shape[1], options.hidden_size, horizon=options.horizon,
                              num_layers=options.num_layers, cell=options.cell,
                              dropout=options.dropout, generator=options.seed)
    if options.init_from is not None:
        from seqlab.seqmodels.checkpoint import load_state_into

        load_state_into(model, source.state, options.init_from)
    train_data = ExampleBatches((inputs[:cut], targets[:cut]), options.batch_size,
                                seed=options.seed)
    valid_data = ExampleBatches((inputs[cut:], targets[cut:]), 1024, shuffle=False) \
        if valid_count else None
    require_validation_for_patience(options.patience, valid_data, "windows",
                                    options.val_fraction)
    limits = {"steps": options.steps, "epochs": options.epochs,
              "time_budget": options.time_budget}
    if all(value is None for value in limits.values()):
        limits["epochs"] = options.epochs = 100
    season = options.season or SEASONS.get(options.series or "sunspots") \
        if not options.series_file \
        else options.season
    metadata = {"task": "forecast", "columns": series.columns, "target": series.columns[0],
                "features": series.columns[1:], "time_column": options.time_column,
                "window": options.window, "horizon": options.horizon,
                "test_fraction": options.test_fraction, "transform": transform.state_dict(),
                "season": season, "ar_order": options.ar_order or options.window,
                "series": options.series if not options.series_file else None}
    check_report(metadata, values, options.ar_order)  # never train, save, then fail
    out = Path(options.out)
    folder = claim_checkpoint_dir(checkpoint_dir(out))
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=options.lr), train_data,
                      valid_data, clip_norm=clip_norm(options.clip),
                      eval_every=(options.eval_every or len(train_data)) if valid_data else None,
                      patience=options.patience,
                      checkpoint_dir=folder, checkpoint_every=options.checkpoint_every,
                      keep_last=options.keep_last, metadata=metadata, run=_record(options),
                      **trainer_limits(limits))
    if options.resume is not None:
        resume_trainer(trainer, options.resume, limits, _record(options),
                       given_lr=given_lr, output=output)
    output.info(f"Training a {options.num_layers}x{options.hidden_size} "
                f"{options.cell.upper()} forecaster on {cut:,} windows of {options.window} "
                f"(horizon {options.horizon}, {values.shape[1]} column"
                f"{'s' if values.shape[1] > 1 else ''}, transform {options.transform}); "
                f"{values.shape[0] - split} values held out"
                + (f", resuming at step {trainer.step}" if trainer.step else ""))
    total, kind = progress_total(limits, len(train_data), trainer.step)
    outcome = run_trainer(trainer, out, output, unit="win", total=total, kind=kind,
                          resume_command=f"seqlab forecast train --resume "
                                         f"{shlex.quote(str(out))}",
                          resumed=options.resume is not None,
                          valid_text=lambda m: f"mse {loss_text(m['loss'])}",
                          other_run_files=other_run_files)
    report = forecast_report(model, metadata, values)
    note_skipped(report, output)
    best = folder / "best.safetensors"
    return {"model": str(out), "best_model": str(best) if best.exists() else None,
            "steps": trainer.step, "epochs": train_data.epoch,
            "stop_reason": outcome.result.stop_reason, "seconds": outcome.seconds,
            "metrics": str(outcome.metrics_path), **report}



def forecast_report(model: Any, metadata: dict[str, Any], values: np.ndarray,
                    season: int | None = None, ar_order: int | None = None) -> dict[str, Any]:
    """`seqlab.seqmodels.forecast_evaluation.forecast_report`, its ValueError as a CliError."""
    from seqlab.seqmodels.forecast_evaluation import forecast_report as report

    try:
        return report(model, metadata, values, season, ar_order)
    except ValueError as error:
        raise CliError(str(error).splitlines()[0]) from error


def check_report(metadata: dict[str, Any], values: np.ndarray, ar_order: int | None) -> None:
    """A CliError, before training, when the report after training could not be made (a
    series too short for the season, horizon or a given --ar-order)."""
    from seqlab.seqmodels.forecast_evaluation import plan_report

    try:
        plan_report(metadata, values, ar_order=ar_order)
    except ValueError as error:
        raise CliError(str(error).splitlines()[0]) from error


def note_skipped(report: dict[str, Any], output: Output) -> None:
    """Say which baselines the report left out, and why (the default AR order on too short
    a training part)."""
    for name, reason in report.get("skipped", {}).items():
        output.warn(f"the {name.upper()} baseline is left out: {reason}")


def warn_interpolated(series: Any, output: Output, purpose: str = "train on") -> None:
    """Say how many missing values (empty cells, NA, nan, null, none, ?) were filled, how,
    and in which rows: they are never filled silently."""
    if not series.interpolated:
        return
    from seqlab.seqmodels.forecasting import MISSING

    where = f" ({series.missing_rows})" if series.missing_rows else ""
    markers = ", ".join(repr(m) for m in MISSING if m)
    output.warn(f"{series.interpolated} missing values{where} were filled by linear "
                f"interpolation between their neighbours (an empty cell or {markers} is "
                f"missing); fill or remove them to {purpose} values you chose")


def warn_future_left_out(series: Any, output: Output) -> None:
    """Say that the last rows, whose target is empty, are not history: training and
    evaluation leave them out (`forecast predict` forecasts them)."""
    if len(series.future):
        output.warn(f"the last {len(series.future)} rows ({series.future_rows}) have an "
                    f"empty {series.columns[0]!r}: left out, as rows to forecast "
                    "(`seqlab forecast predict` forecasts them)")
