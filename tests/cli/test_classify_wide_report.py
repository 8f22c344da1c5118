"""`classify train` and `classify eval` with many classes stay readable at 80 columns: the
confusion matrix gives way to each class's most frequent wrong predictions (the whole matrix
stays in --json), and eval shows per-class precision and recall as its help says."""

from __future__ import annotations

import csv
import json

import pytest
from inprocess import invoke

LABELS = ["a, b", "café ☕", 'naïve "q"', *(f"topic-with-a-long-name-{i:02d}" for i in range(17))]


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wide")
    data = folder / "data.csv"
    with data.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["label", "text"])
        for copy in range(6):
            for index, label in enumerate(LABELS):
                writer.writerow([label, f"w{index} w{(index + copy) % 20} filler words"])
    out = folder / "clf.safetensors"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        # two steps: the layout is under test, not the scores
        trained = invoke("classify", "train", data, "--steps", "2", "--hidden", "8",
                         "--embedding-dim", "6", "--batch-size", "16", "--out", out)
    assert trained.returncode == 0, trained.stderr
    return data, out, trained


def _readable(stdout: str) -> None:
    from rich.cells import cell_len

    tables = [line for line in stdout.splitlines() if not line.startswith("Saved ")]
    assert [line for line in tables if cell_len(line) > 80] == []  # (the Saved line: qaA 15)
    assert "…" not in stdout, stdout
    for label in LABELS:
        assert label in stdout, label


def test_train_report_fits_80_columns(wide):
    _, _, trained = wide
    _readable(trained.stdout)
    assert "--json" in trained.stdout  # where the whole matrix is


def test_eval_fits_80_columns_with_precision_and_recall(wide, monkeypatch):
    data, out, _ = wide
    monkeypatch.setenv("COLUMNS", "80")
    done = invoke("classify", "eval", out, data)
    assert done.returncode == 0, done.stderr
    _readable(done.stdout)
    assert "precision" in done.stdout and "recall" in done.stdout
    report = json.loads(invoke("classify", "eval", out, data, "--json").stdout)
    assert len(report["confusion"]) == 20 and all(len(row) == 20 for row in report["confusion"])


def test_a_matrix_that_fits_is_drawn_whole():
    from rich.console import Console

    from seqlab.cli.confusion_view import confusion_table

    report = {"labels": ["neg", "pos"], "confusion": [[5, 1], [2, 7]]}
    console = Console(width=80, record=True)
    console.print(confusion_table(report, 80))
    lines = console.export_text().splitlines()
    assert lines[-2].split() == ["neg", "5", "1"] and lines[-1].split() == ["pos", "2", "7"]
    narrow = Console(width=80, record=True)
    narrow.print(confusion_table(report, 12))  # too narrow: the per-class rows
    drawn = narrow.export_text()
    assert "pos (1)" in drawn and "neg (2)" in drawn
