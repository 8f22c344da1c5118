"""`seqlab forecast` on Excel's ';' CSV with decimal commas (qaA stop 21, finding 8)."""

from __future__ import annotations

import json

from inprocess import assert_one_line_failure, invoke, snapshot


def _excel(path, rows=40, change=None):
    lines = ["Datum;Umsatz;Preis"] + [
        f"2015-01-{day % 28 + 1:02d}".replace("2015-01", f"2015-{day // 28 + 1:02d}")
        + f";{100 + (day % 7) * 1.25:.2f};{5 + (day % 3) * 0.5:.2f}".replace(".", ",")
        for day in range(rows)]
    if change:
        change(lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_decimal_commas_train_as_the_readme_says(tmp_path):
    series = _excel(tmp_path / "eu.csv")
    done = invoke("forecast", "train", series, "--target", "Umsatz", "--features", "Preis",
                  "--time-column", "Datum", "--window", "4", "--hidden", "4", "--steps", "1",
                  "--json", "--out", tmp_path / "eu.safetensors")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["test_values"] > 0


def test_a_column_mixing_decimal_marks_names_decimal_commas(tmp_path):
    def mix(lines):
        lines[5] = lines[5].replace(",", ".", 1)  # 105.00 among 100,00 and the rest

    series = _excel(tmp_path / "mixed.csv", change=mix)
    before = snapshot(tmp_path)
    done = invoke("forecast", "train", series, "--target", "Umsatz", "--out",
                  tmp_path / "m.safetensors")
    assert_one_line_failure(done, "mixed.csv:2", "'Umsatz'", "decimal comma", "decimal=','",
                            code=1)
    assert snapshot(tmp_path) == before
