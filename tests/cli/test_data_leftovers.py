"""Two small defects of the data commands: a `seq2seq train` refused once training starts left
its metrics log (and id cache) behind; a `nan` in a forecast CSV was filled without saying
where (and `forecast eval` filled it silently)."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke, snapshot


def test_a_seq2seq_run_refused_at_its_first_step_leaves_nothing(tmp_path, monkeypatch):
    from seqlab.seqmodels.trainer import Trainer

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ("abc", "bca", "cab", "aab") * 20))
    before = snapshot(tmp_path)

    def fit(self):
        raise MemoryError

    monkeypatch.setattr(Trainer, "fit", fit)
    done = invoke("seq2seq", "train", pairs, "--hidden", "8", "--layers", "1", "--steps", "2",
                  "--out", tmp_path / "m.safetensors", "-q")
    assert_one_line_failure(done, "not enough memory", "--batch-size", code=1)
    assert snapshot(tmp_path) == before  # no m.metrics.jsonl, no m.cache/


def test_a_refusal_keeps_the_files_that_were_there(tmp_path, monkeypatch):
    from seqlab.seqmodels.trainer import Trainer

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{w[::-1]}\n" for w in ("abc", "bca", "cab", "aab") * 20))
    args = ["seq2seq", "train", pairs, "--hidden", "8", "--layers", "1", "--steps", "2",
            "--out", tmp_path / "m.safetensors", "-q"]
    assert invoke(*args).returncode == 0
    kept = {p.name for p in tmp_path.rglob("*")}
    assert {"m.metrics.jsonl", "m.cache"} <= kept

    def fit(self):
        raise MemoryError

    monkeypatch.setattr(Trainer, "fit", fit)
    assert_one_line_failure(invoke(*args), "not enough memory", code=1)
    assert {p.name for p in tmp_path.rglob("*")} == kept


def _series(folder, change):
    lines = ["t,sales"] + [f"{i},{10 + (i % 7) * 1.5}" for i in range(120)]
    change(lines)
    path = folder / "s.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def forecaster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fc")
    series = _series(folder, lambda lines: None)
    done = invoke("forecast", "train", series, "--target", "sales", "--hidden", "8",
                  "--steps", "2", "--out", folder / "f.safetensors", "-q")
    assert done.returncode == 0, done.stderr
    return folder / "f.safetensors"


def _with_missing(lines):
    lines[41] = "40,nan"
    lines[50] = "49,"
    lines[60] = "59,NA"


@pytest.mark.parametrize("command", ["train", "eval", "predict"])
def test_missing_values_are_filled_with_a_warning_saying_where(tmp_path, forecaster, command):
    series = _series(tmp_path, _with_missing)
    if command == "train":
        args = ["train", series, "--target", "sales", "--hidden", "8", "--steps", "1",
                "--out", tmp_path / "g.safetensors", "-q"]
    else:
        args = [command, forecaster, series]
    done = invoke("forecast", *args)
    assert done.returncode == 0, done.stderr
    warning = " ".join(done.stderr.split())
    # the path may be folded across lines at the console width (longer under xdist's tmp_path)
    assert "3 missing values" in warning and f"{series}:42" in "".join(done.stderr.split())
    assert "linear interpolation" in warning and "'nan'" in warning


def test_a_classify_run_refused_after_reading_its_data_leaves_nothing(tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("label,text\n" + "".join(f"{'pos' if i % 2 else 'neg'},text {i} here\n"
                                             for i in range(40)))
    before = snapshot(tmp_path)
    done = invoke("classify", "train", data, "--patience", "2", "--val-fraction", "0",
                  "--hidden", "4", "--out", tmp_path / "c.safetensors", "-q")
    assert_one_line_failure(done, "--patience", code=2)
    assert snapshot(tmp_path) == before  # no c.cache/ of the rows' ids
