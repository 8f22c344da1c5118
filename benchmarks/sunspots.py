"""Yearly sunspots, one step ahead: baselines, the seqlab LSTM regressor, and PyTorch's LSTM.

Protocol (issue 3): train on 1700-1946, test on 1947-2008; every test year is predicted from the
observed years before it. Baselines: persistence (last year), the 11-year seasonal naive and a
least-squares AR(9) with intercept fitted on the training years. The recurrent models see a
window of the previous years, standardised with statistics of the training years only, and are
trained with Adam on MSE over 5 seeds (mean and spread of the test MAE). The last 15% of the
training windows (about 1911-1946) pick the best epoch; the test years are never seen.

    uv run python benchmarks/sunspots.py [--peer-python /work/peers/bin/python]

The peer part (PyTorch, same protocol and hyperparameters) runs in a subprocess:
`--peer-python` (default $SEQLAB_PEER_PYTHON; skipped with a message when neither is set).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

FIRST_TEST_YEAR = 1947
SEASON = 11
AR_ORDER = 9


def read_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    rows = Path(path).read_text().strip().splitlines()[1:]
    years = np.array([int(float(row.split(",")[0])) for row in rows])
    values = np.array([float(row.split(",")[1]) for row in rows])
    return years, values


def baselines(years: np.ndarray, values: np.ndarray) -> dict[str, float]:
    """Test MAE of persistence, seasonal naive and least-squares AR(9)."""
    test = np.where(years >= FIRST_TEST_YEAR)[0]
    train_targets = np.arange(AR_ORDER, test[0])

    def lags(indices: np.ndarray) -> np.ndarray:
        columns = [values[indices - lag] for lag in range(1, AR_ORDER + 1)]
        return np.column_stack([np.ones(len(indices)), *columns])

    coefficients, *_ = np.linalg.lstsq(lags(train_targets), values[train_targets], rcond=None)
    return {
        "persistence": float(np.abs(values[test] - values[test - 1]).mean()),
        f"seasonal naive ({SEASON} y)": float(np.abs(values[test] - values[test - SEASON]).mean()),
        f"AR({AR_ORDER}) least squares": float(
            np.abs(lags(test) @ coefficients - values[test]).mean()),
    }


def windows(values: np.ndarray, years: np.ndarray, window: int):
    """Standardised training windows and test windows (targets = test years)."""
    split = int(np.where(years >= FIRST_TEST_YEAR)[0][0])
    mean, scale = values[:split].mean(), values[:split].std()
    scaled = (values - mean) / scale
    starts = np.arange(len(values) - window)
    inputs = scaled[starts[:, None] + np.arange(window)][..., None]
    targets = scaled[starts + window][:, None, None]
    target_index = starts + window
    train = target_index < split
    return (inputs[train], targets[train], inputs[~train], values[split:], mean, scale)


def split_valid(inputs: np.ndarray, targets: np.ndarray, fraction: float):
    """The chronologically last `fraction` of the training windows, for choosing the epoch."""
    count = int(len(inputs) * fraction)
    return inputs[:-count], targets[:-count], inputs[-count:], targets[-count:]


def run_seqlab(args: argparse.Namespace) -> list[float]:
    import tempfile

    from seqlab.autograd.optim import Adam
    from seqlab.seqmodels import ExampleBatches, SequenceRegressor, Trainer, load_model
    from seqlab.seqmodels.regressor import load_series

    years, values = load_series("sunspots")
    train_x, train_y, test_x, test_values, mean, scale = windows(values, years, args.window)
    fit_x, fit_y, valid_x, valid_y = split_valid(train_x, train_y, args.valid_fraction)
    errors = []
    for seed in range(args.seeds):
        model = SequenceRegressor(1, args.hidden, cell=args.cell, generator=seed)
        data = ExampleBatches((fit_x, fit_y), args.batch_size, seed=seed)
        with tempfile.TemporaryDirectory() as folder:
            # evaluated once per epoch; the best epoch's weights are the kept model
            Trainer(model, Adam(model.parameters(), lr=args.lr), data,
                    ExampleBatches((valid_x, valid_y), 1024, shuffle=False), clip_norm=1.0,
                    eval_every=len(data), max_epochs=args.epochs, checkpoint_dir=folder).fit()
            best, _ = load_model(Path(folder) / "best.safetensors")
        prediction = best.predict(test_x)[:, 0, 0] * scale + mean
        errors.append(float(np.abs(prediction - test_values).mean()))
    return errors


def run_peer(args: argparse.Namespace) -> list[float]:
    import torch

    torch.set_num_threads(1)
    years, values = read_csv(args.csv)
    train_x, train_y, test_x, test_values, mean, scale = windows(values, years, args.window)
    fit_x, fit_y, valid_x, valid_y = split_valid(train_x, train_y, args.valid_fraction)
    errors = []
    for seed in range(args.seeds):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        mode = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[args.cell]
        rnn = mode(1, args.hidden, batch_first=True)
        head = torch.nn.Linear(args.hidden, 1)
        parameters = [*rnn.parameters(), *head.parameters()]
        optimizer = torch.optim.Adam(parameters, lr=args.lr)
        inputs = torch.tensor(fit_x, dtype=torch.float32)
        targets = torch.tensor(fit_y[:, :, 0], dtype=torch.float32)
        valid_inputs = torch.tensor(valid_x, dtype=torch.float32)
        best_loss, best_state = float("inf"), None
        for _ in range(args.epochs):
            order = rng.permutation(len(inputs))
            for start in range(0, len(order), args.batch_size):
                batch = torch.as_tensor(order[start : start + args.batch_size])
                output, _ = rnn(inputs[batch])
                loss = ((head(output[:, -1]) - targets[batch]) ** 2).mean()
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(parameters, 1.0)
                optimizer.step()
            with torch.no_grad():
                output, _ = rnn(valid_inputs)
                valid_loss = float(((head(output[:, -1])[:, 0].numpy() - valid_y[:, 0, 0]) ** 2)
                                   .mean())
            if valid_loss < best_loss:
                best_loss = valid_loss
                best_state = [p.detach().clone() for p in parameters]
        with torch.no_grad():
            for parameter, saved in zip(parameters, best_state):
                parameter.copy_(saved)
            output, _ = rnn(torch.tensor(test_x, dtype=torch.float32))
            prediction = head(output[:, -1])[:, 0].numpy() * scale + mean
        errors.append(float(np.abs(prediction - test_values).mean()))
    return errors


def summary(errors: list[float]) -> str:
    return (f"MAE {np.mean(errors):6.2f} ± {np.std(errors):.2f} "
            f"(min {min(errors):.2f}, max {max(errors):.2f}, {len(errors)} seeds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--valid-fraction", type=float, default=0.15)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--as-peer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_peer:
        print(json.dumps(run_peer(args)))
        return
    print_machine_report(isolated=True)

    from importlib import resources

    csv = str(resources.files("seqlab.seqmodels").joinpath("timeseries", "sunspots.csv"))
    years, values = read_csv(csv)
    print(f"sunspots: train {years[0]}-{FIRST_TEST_YEAR - 1}, test {FIRST_TEST_YEAR}-{years[-1]}, "
          "one step ahead, test MAE")
    results = baselines(years, values)
    for name, error in results.items():
        print(f"  {name:28s} MAE {error:6.2f}")
    settings = (f"{args.cell.upper()} H={args.hidden}, window {args.window}, Adam lr {args.lr}, "
                f"best of {args.epochs} epochs on the last {args.valid_fraction:.0%} of training, "
                f"batch {args.batch_size}")
    started = time.perf_counter()
    ours = run_seqlab(args)
    seconds = (time.perf_counter() - started) / args.seeds
    print(f"  {'seqlab ' + args.cell.upper():28s} {summary(ours)}  [{settings}; "
          f"{seconds:.1f} s/seed]")
    ar = results[f"AR({AR_ORDER}) least squares"]
    print(f"  seqlab / AR({AR_ORDER}) MAE ratio: {np.mean(ours) / ar:.3f} "
          f"({'beats' if np.mean(ours) <= ar else 'does not beat'} AR({AR_ORDER}) on the mean)")
    if not args.peer_python:
        print("  PyTorch: skipped (pass --peer-python or set SEQLAB_PEER_PYTHON)")
        return
    command = [args.peer_python, __file__, "--as-peer", "--csv", csv, "--window",
               str(args.window), "--hidden", str(args.hidden), "--cell", args.cell, "--epochs",
               str(args.epochs), "--valid-fraction", str(args.valid_fraction), "--lr",
               str(args.lr), "--batch-size", str(args.batch_size),
               "--seeds", str(args.seeds)]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        print(f"  PyTorch: failed:\n{completed.stderr[-2000:]}", file=sys.stderr)
        return
    seconds = (time.perf_counter() - started) / args.seeds
    theirs = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"  {'PyTorch ' + args.cell.upper():28s} {summary(theirs)}  [{seconds:.1f} s/seed]")
    print(f"  seqlab / PyTorch MAE ratio: {np.mean(ours) / np.mean(theirs):.3f}")


if __name__ == "__main__":
    main()
