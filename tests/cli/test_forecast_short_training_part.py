"""QA round 23, finding 4: `forecast train` on a series whose training part cannot fit the
report's AR baseline never trains, saves, then fails: the default order (the window) is left
out with a note and the run exits 0; an --ar-order the user gave is refused before training."""

from __future__ import annotations

import json

from inprocess import assert_one_line_failure, invoke, snapshot


def _short(folder):
    path = folder / "short.csv"
    path.write_text("t,y,c\n" + "".join(f"{i},{i * 3 % 7},3\n" for i in range(10)))
    return path


def test_the_default_ar_order_is_left_out_with_a_note(tmp_path):
    out = tmp_path / "f.safetensors"
    done = invoke("forecast", "train", _short(tmp_path), "--target", "y", "--time-column", "t",
                  "--window", "5", "--hidden", "4", "--steps", "1", "--out", out, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["baselines"]["ar"] is None and "AR(5)" in report["skipped"]["ar"]
    assert "warning: the AR baseline is left out: the training part (8 values) is too short " \
           "for AR(5)" in " ".join(done.stderr.split())
    table = invoke("forecast", "eval", out, _short(tmp_path))
    assert table.returncode == 0, table.stderr
    assert "persistence" in table.stdout and "AR(" not in table.stdout
    assert "the AR baseline is left out" in table.stderr


def test_an_ar_order_given_that_cannot_be_fitted_is_refused_before_training(tmp_path):
    series = _short(tmp_path)
    before = snapshot(tmp_path)
    done = invoke("forecast", "train", series, "--target", "y", "--time-column", "t",
                  "--window", "3", "--ar-order", "5", "--steps", "1",
                  "--out", tmp_path / "f.safetensors")
    assert_one_line_failure(done, "--ar-order 5", "lower --ar-order to 3", code=1)
    assert snapshot(tmp_path) == before  # nothing trained, nothing saved
