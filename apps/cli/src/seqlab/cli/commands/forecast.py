"""`seqlab forecast train | predict | eval`: time-series forecasting end to end."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import typer

from seqlab.cli.clip_option import clip_option
from seqlab.cli.console import Output, stdout
from seqlab.cli.errors import CliError
from seqlab.cli.option_aliases import old_spelling, renamed
from seqlab.cli.outputs import check_checkpoint_output, force_option
from seqlab.cli.replaced_run import note_replaced_model
from seqlab.cli.threads import THREADS_HELP, use_threads

app = typer.Typer(help="Time-series forecasting with an RNN/LSTM/GRU, beside classic baselines.",
                  no_args_is_help=True)

CELLS = ("lstm", "gru", "rnn")
TRANSFORMS = ("none", "difference", "detrend")


def _features(text: str | None) -> list[str] | None:
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


@app.command("train")
def train(
    series_file: Path = typer.Argument(None, metavar="[SERIES.csv]",
                                       help="CSV with a header. None: --series."),
    series: str = typer.Option(None, "--series", help="Embedded series: sunspots (default) "
                               "or co2."),
    target: str = typer.Option(None, "--target", help="Column to forecast."),
    features: str = typer.Option(None, "--features", help="Extra input columns, comma "
                                 "separated (multivariate)."),
    time_column: str = typer.Option(None, "--time-column", help="Column of time stamps: "
                                    "rows out of time order or repeated are refused."),
    out: Path = typer.Option(None, "--out", "-o", help="Model file (default "
                             "forecaster.safetensors; with --resume, the run's own)."),
    window: int = typer.Option(None, "--window", help="Past values the model sees (default "
                               "20)."),
    horizon: int = typer.Option(None, "--horizon", help="Values forecast at once (default 1)."),
    test_fraction: float = typer.Option(None, "--test-fraction", help="Held-out tail, in "
                                        "time order (default 0.2)."),
    val_fraction: float = typer.Option(None, "--val-fraction", help="Last share of the "
                                       "training windows for validation (default 0.15)."),
    transform: str = typer.Option(None, "--transform", help="none, difference or detrend "
                                  "(fitted on the training part; default none)."),
    cell: str = typer.Option(None, "--cell", help="lstm, gru or rnn (default lstm)."),
    hidden: int = typer.Option(None, "--hidden", help="Hidden size (default 32)."),
    layers: int = typer.Option(None, "--layers", help="Default 1."),
    dropout: float = typer.Option(None, "--dropout", help="Between layers (default 0)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Default 32."),
    lr: float = typer.Option(None, "--lr", help="Adam learning rate (default 0.01)."),
    clip: float = clip_option(default=1.0),
    steps: int = typer.Option(None, "--steps", help="Stop after this many steps."),
    epochs: int = typer.Option(None, "--epochs", help="Default 100 when no stop is given."),
    time_budget: float = typer.Option(None, "--time-budget", help="Stop after these seconds."),
    eval_every: int = typer.Option(None, "--eval-every", help="Default once per epoch."),
    patience: int = typer.Option(None, "--patience", help="Stop after N validations "
                                 "without a lower loss."),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every",
                                         help="Also keep a resumable checkpoint every N steps "
                                         "(default: none)."),
    keep_last: int = typer.Option(None, "--keep-last",
                                  help="Periodic checkpoints kept (default 3)."),
    season: int = typer.Option(None, "--season", help="Season length for the seasonal-naive "
                               "baseline (embedded: 11 sunspots, 52 co2; otherwise estimated "
                               "from the training part's autocorrelation)."),
    ar_order: int = typer.Option(None, "--ar-order", help="Order of the AR(p) baseline "
                                 "(default: --window)."),
    seed: int = typer.Option(None, "--seed", help="Default 0."),
    resume: Path = typer.Option(None, "--resume", help="Continue the run saved in this "
                                "checkpoint: its data, its --out, its remaining budget."),
    init_from: Path = typer.Option(None, "--init-from", help="Start a new run from this "
                                   "forecaster's weights (fine-tuning)."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = force_option(),
) -> None:
    """Train a forecaster; report it on the held-out tail beside the baselines.

    Examples:
      seqlab forecast train                               # sunspots, one year ahead
      seqlab forecast train --series co2 --horizon 52 --transform difference
      seqlab forecast train sales.csv --target sales --features price,promo
      seqlab forecast train --resume forecaster.safetensors --epochs 200
    """
    from seqlab.cli.forecast_run import ForecastOptions, run_forecast_training
    from seqlab.cli.threads import set_threads
    from seqlab.cli.training import saved_line

    _checks(cell, transform)
    if out is not None or resume is None:  # a resumed run writes its own --out again
        from seqlab.cli.forecast_run import DEFAULTS

        model_out = out if out is not None else Path(DEFAULTS["out"])
        check_checkpoint_output(model_out, [series_file, init_from], force=force,
                                model="SequenceRegressor")
    set_threads(threads)
    output = Output(quiet, as_json)
    if out is None and resume is None:  # the default name: say which earlier model it replaces
        from seqlab.cli.forecast_run import DEFAULTS

        note_replaced_model(Path(DEFAULTS["out"]), output)
    options = ForecastOptions(
        series_file=str(series_file) if series_file else None, series=series, target=target,
        features=_features(features), time_column=time_column,
        out=str(out) if out else None, window=window, horizon=horizon,
        test_fraction=test_fraction, val_fraction=val_fraction, transform=transform,
        cell=cell, hidden_size=hidden, num_layers=layers, dropout=dropout,
        batch_size=batch_size, lr=lr, clip=clip, steps=steps, epochs=epochs,
        time_budget=time_budget, eval_every=eval_every, patience=patience,
        checkpoint_every=checkpoint_every, keep_last=keep_last, season=season,
        ar_order=ar_order, seed=seed, resume=str(resume) if resume else None,
        init_from=str(init_from) if init_from else None)
    result = run_forecast_training(options, output, force=force)
    plot = result.pop("plot")
    if output.show_progress:
        _draw(result, plot)
    baselines = result["baselines"]
    ar = baselines["ar"]
    output.result(result, saved_line(result["model"], result["steps"], result["stop_reason"])
                  + f"; held-out MAE {result['mae']:.4g} "
                  f"(persistence {baselines['persistence']['mae']:.4g}"
                  + (f", AR({ar['order']}) {ar['mae']:.4g})" if ar else ")"), wrap=True)


def _checks(cell: str | None, transform: str | None) -> None:
    if cell is not None and cell not in CELLS:
        raise CliError(f"--cell must be one of {', '.join(CELLS)}, got {cell!r}", code=2)
    if transform is not None and transform not in TRANSFORMS:
        raise CliError(f"--transform must be one of {', '.join(TRANSFORMS)}, got "
                       f"{transform!r}", code=2)


def _draw(report: dict[str, Any], plot: dict[str, list[float]]) -> None:
    """The metrics table and the forecast-against-actual plot (first forecast step)."""
    from rich.table import Table

    from seqlab.cli.plot import line_plot

    table = Table(box=None, title=f"held-out tail: {report['origins']} forecasts of "
                  f"{report['horizon']} step(s)")
    for column in ("", "MAE", "RMSE", "MAPE %", "sMAPE %"):
        table.add_column(column, justify="right" if column else "left")
    rows = {"model": report, **{name: value for name, value in report["baselines"].items()
                                if value is not None}}
    for name, values in rows.items():
        estimated = " estimated" if values.get("season_estimated") else ""
        label = {"seasonal_naive": f"seasonal naive ({values.get('season')}{estimated})",
                 "ar": f"AR({values.get('order')})"}.get(name, name)
        table.add_row(label, *(metric_cell(values[key]) for key in ("mae", "rmse", "mape",
                                                                    "smape")))
    stdout.print(table)
    if any(not _defined(values["mape"]) for values in rows.values()):
        from seqlab.seqmodels.metrics import MAPE_UNDEFINED

        stdout.print(f"MAPE is undefined (-): {MAPE_UNDEFINED} in the held-out tail")
    stdout.print(line_plot({"actual": plot["actual"], "forecast (1 step)": plot["forecast"]}))


def metric_cell(value: float | None) -> str:
    """A table cell with 4 significant digits, trailing zeros kept (36.10, not 36.1, beside
    25.44), and no bare trailing point (1234, not 1234.); `-` for an undefined metric (NaN or
    None: MAPE when every actual value is 0)."""
    if not _defined(value):
        return "-"
    return f"{value:#.4g}".replace(".e", "e").rstrip(".")


def _defined(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _load(model_path: Path) -> tuple[Any, dict[str, Any]]:
    from seqlab.cli.errors import require_file
    from seqlab.cli.models import refuse_other_kind
    from seqlab.cli.training import require_kind
    from seqlab.seqmodels.checkpoint import load_checkpoint, load_state_into, model_from_config

    require_file(model_path, "model file")
    refuse_other_kind(model_path)
    try:
        checkpoint = load_checkpoint(model_path, training=False)
    except (ValueError, KeyError, OSError) as error:
        raise CliError(f"{model_path} is not a seqlab forecaster: "
                       f"{str(error).splitlines()[0]}") from error
    require_kind(checkpoint, "SequenceRegressor", model_path, "a forecaster",
                 "give a model written by `seqlab forecast train`")
    metadata = checkpoint.metadata or {}
    if metadata.get("task") != "forecast":
        raise CliError(f"{model_path} was not written by `seqlab forecast train` (no series "
                       "settings in it)")
    model = model_from_config(checkpoint.config)
    load_state_into(model, checkpoint.state, model_path)
    return model.eval(), metadata


def _series_for(metadata: dict[str, Any], series_file: Path | None, series: str | None,
                target: str | None = None, features: str | None = None) -> Any:
    """The series `eval` / `predict` read: the model's own, or SERIES.csv with the file's
    columns `target` and `features` (default: the names the model was trained with) read as
    the model's target and features, in order."""
    from seqlab.cli.forecast_run import load_series_input

    trained = metadata.get("features") or []
    if series_file is None and (target is not None or features is not None):
        raise CliError("--target/--features name columns of a SERIES.csv file; give the file, "
                       "or leave them out to use the embedded series", code=2)
    columns = _features(features)
    if columns is not None and len(columns) != len(trained):
        has = f"{len(trained)} ({', '.join(trained)})" if trained else "no features"
        raise CliError(f"--features names {len(columns)} column(s), but the model was trained "
                       f"with {has}; name the file's columns for those, in that order",
                       code=2)
    if series_file is None and series is None:
        series = metadata.get("series") or "sunspots"
    return load_series_input(str(series_file) if series_file else None, series,
                             target or metadata["target"], columns or trained or None,
                             metadata.get("time_column") if series_file else None)


_TARGET_HELP = ("The SERIES.csv column holding the model's target (default: the name it was "
                "trained with).")
_FEATURES_HELP = ("The SERIES.csv columns holding the model's features, comma separated, in "
                  "training order (default: the names it was trained with).")


@app.command("predict")
def predict(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    series_file: Path = typer.Argument(None, metavar="[SERIES.csv]",
                                       help="The history to forecast from (same columns as "
                                       "in training; rows with an empty target at its end are "
                                       "the rows to forecast). None: the model's embedded "
                                       "series."),
    series: str = typer.Option(None, "--series", help="Embedded series instead of a file."),
    target: str = typer.Option(None, "--target", help=_TARGET_HELP),
    features: str = typer.Option(None, "--features", help=_FEATURES_HELP),
    horizon: int = typer.Option(None, "--horizon", help="Values to forecast (default: the "
                                "rows at the end of SERIES.csv whose target is empty, else "
                                "the model's --horizon)."),
    steps: int = old_spelling("--steps"),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """The next K values after the series: direct up to the model's horizon, recursive beyond.

    Rows at the end of the file whose target is empty (a future frame) are the rows to
    forecast: K is their count, their stamps label the output, and past the model's horizon
    their features are fed back. Gaps before them are interpolated with a warning.

    Example:
      seqlab forecast predict model.safetensors --series sunspots --horizon 11
    """
    from seqlab.cli.forecast_run import warn_interpolated
    from seqlab.seqmodels.forecasting import SeriesTransform, forecast_ahead

    horizon = renamed(horizon, steps, "--horizon", "--steps")
    use_threads(threads)
    model, metadata = _load(model_path)
    data = _series_for(metadata, series_file, series, target, features)
    warn_interpolated(data, Output(), "forecast from")
    window = metadata["window"]
    if data.values.shape[0] < window + 1:
        raise CliError(f"the series has {data.values.shape[0]} values; the model needs at "
                       f"least {window + 1} (its window)")
    transform = SeriesTransform.from_state_dict(metadata["transform"])
    column = target or metadata["target"]  # the output is labelled as the input's column
    steps = _steps_to_forecast(data, horizon, metadata, column)
    if steps > metadata["horizon"] and (gap := data.missing_future_feature(steps)):
        raise CliError(gap)
    try:
        values, method = forecast_ahead(model, transform, data.values, window, steps,
                                        data.future[:, 1:] if len(data.future) else None)
    except ValueError as error:
        raise CliError(str(error)) from error
    if len(data.future):  # the file's own rows to forecast: labelled with their own stamps
        stamps = [stamp.strip() for stamp in data.future_stamps] if data.future_stamps else None
    else:
        stamps = _row_stamps(data.stamps, len(values), metadata.get("time_column"),
                             Output(as_json=as_json))
    if as_json:
        Output(as_json=True).result({"target": column, "method": method,
                                     "stamps": stamps, "values": values.tolist()})
        return
    first = metadata["time_column"] if stamps else "step"
    sys.stdout.write(f"{first},{column}\n")
    labels = stamps or range(1, len(values) + 1)
    for label, value in zip(labels, values, strict=True):
        sys.stdout.write(f"{label},{value:.6g}\n")
    sys.stdout.flush()


def _steps_to_forecast(data: Any, horizon: int | None, metadata: dict[str, Any],
                       column: str) -> int:
    """How many values `predict` forecasts: the rows with an empty target at the end of the
    file when it has them (a future frame; --horizon must agree), else --horizon or the
    model's horizon."""
    count = len(data.future)
    if not count:
        return horizon or metadata["horizon"]
    if horizon is not None and horizon != count:
        raise CliError(f"the last {count} rows ({data.future_rows}) have an empty "
                       f"{column!r}: they are the rows to forecast, and "
                       f"--horizon {horizon} disagrees; leave --horizon out or give "
                       f"--horizon {count}", code=2)
    return count


def _row_stamps(stamps: list[str] | None, count: int, time_column: str | None,
                output: Output) -> list[str] | None:
    """The time stamps of the forecast rows when the series' stamps have a regular step (the
    rows are then labelled with them, as darts extends a series' time index); else None, and
    an info line says the rows are numbered steps after the last stamp."""
    from seqlab.seqmodels.stamp_steps import next_stamps

    if not stamps or not time_column:
        return None
    following = next_stamps(stamps, count)
    if following is None:
        output.info(f"the {time_column} stamps have no regular step (a gap of another size, a "
                    "missing stamp, or a form seqlab does not continue), so the rows are "
                    f"numbered: step 1 is the time after {stamps[-1].strip()}")
    return following


@app.command("eval")
def evaluate(
    model_path: Path = typer.Argument(..., metavar="MODEL"),
    series_file: Path = typer.Argument(None, metavar="[SERIES.csv]"),
    series: str = typer.Option(None, "--series", help="Embedded series instead of a file."),
    target: str = typer.Option(None, "--target", help=_TARGET_HELP),
    features: str = typer.Option(None, "--features", help=_FEATURES_HELP),
    season: int = typer.Option(None, "--season", help="Seasonal-naive season (default: the "
                               "model's)."),
    ar_order: int = typer.Option(None, "--ar-order", help="AR(p) order (default: the "
                                 "model's)."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """MAE, RMSE, MAPE and sMAPE on the held-out tail, beside persistence, seasonal naive and
    AR(p) fitted on the same training part, and a plot of forecast against actual.

    Example: seqlab forecast eval forecaster.safetensors --json
    """
    from seqlab.cli.forecast_run import (
        forecast_report,
        note_skipped,
        warn_future_left_out,
        warn_interpolated,
    )

    use_threads(threads)
    model, metadata = _load(model_path)
    data = _series_for(metadata, series_file, series, target, features)
    warn_interpolated(data, Output(), "evaluate on")
    warn_future_left_out(data, Output())
    report = forecast_report(model, metadata, data.values, season, ar_order)
    note_skipped(report, Output())
    plot = report.pop("plot")
    if as_json:
        Output(as_json=True).result(report)
        return
    _draw(report, plot)
