"""QA round 23, finding 1: undefined metrics (MAPE when every actual value is 0, a correlation
of constant scores or of one pair) are `null` in every `--json` output, never a bare `NaN`
(which JSON.parse, Go and serde reject), and `-` with the reason in tables."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from inprocess import invoke

from seqlab.cli import json_text

CLI_SOURCE = Path(__file__).parents[2] / "apps" / "cli" / "src" / "seqlab" / "cli"


def _strict(text: str):
    """JSON as a strict reader reads it: NaN and Infinity are errors."""
    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_the_writer_turns_non_finite_numbers_into_null():
    data = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": np.float32("nan"),
            "d": np.array([np.nan, 2.0]), "e": (np.float64(3.0), np.int64(4)), "f": "NaN"}
    assert _strict(json_text.dumps(data)) == {"a": None, "b": [None, None, 1.5], "c": None,
                                             "d": [None, 2.0], "e": [3.0, 4], "f": "NaN"}


def test_every_json_output_of_the_cli_goes_through_the_one_writer():
    """Every command's JSON (results, streamed items, metrics rows, the inspect page) is
    written by `json_text`: a `json.dumps` elsewhere could write a bare NaN again."""
    offenders = [f"{path.relative_to(CLI_SOURCE)}:{number}"
                 for path in sorted(CLI_SOURCE.rglob("*.py")) if path.name != "json_text.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"\bjson\.dumps?\(", line)]
    assert offenders == []


@pytest.fixture(scope="module")
def zero_series(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zero")
    series = folder / "zero.csv"
    series.write_text("t,y\n" + "".join(f"{i},0\n" for i in range(60)))
    return series


def test_mape_of_an_all_zero_tail_is_null_in_json_and_a_dash_in_the_table(zero_series,
                                                                          tmp_path):
    out = tmp_path / "f.safetensors"
    done = invoke("forecast", "train", zero_series, "--target", "y", "--time-column", "t",
                  "--window", "6", "--hidden", "4", "--steps", "1", "--out", out, "--json")
    assert done.returncode == 0, done.stderr
    report = _strict(done.stdout)
    assert report["mape"] is None and report["mae"] is not None
    assert all(baseline["mape"] is None for baseline in report["baselines"].values()
               if baseline is not None)
    assert _strict(invoke("forecast", "eval", out, zero_series, "--json").stdout)["mape"] is None
    table = invoke("forecast", "eval", out, zero_series)
    assert table.returncode == 0, table.stderr
    assert "nan" not in table.stdout.lower()
    model_row = next(line for line in table.stdout.splitlines() if line.split()[:1] == ["model"])
    assert model_row.split()[3] == "-"
    assert "MAPE is undefined (-): every actual value is 0" in table.stdout


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    path = tmp_path_factory.mktemp("vec") / "v.txt"
    rows = {"king": "1 0 0", "queen": "0.9 0.1 0", "cat": "0 1 0", "dog": "0.1 0.9 0.2",
            "lord": "0.8 0 0.3"}
    path.write_text(f"{len(rows)} 3\n" + "".join(f"{w} {v}\n" for w, v in rows.items()))
    return path


@pytest.mark.parametrize("pairs, reason", [
    ("king\tqueen\t5\ncat\tdog\t5\nlord\tking\t5\n", "the human or the model's scores are all "
                                                     "equal"),
    ("king\tqueen\t5\n", "fewer than 2 pairs in the vocabulary"),
    ("king\tqueen\t5\nking\tnowhere\t3\n", "fewer than 2 pairs in the vocabulary"),
])
def test_an_undefined_correlation_is_null_with_its_reason(vectors, tmp_path, pairs, reason):
    """Three pairs of equal human scores and one pair read the same: null, and why."""
    path = tmp_path / "p.tsv"
    path.write_text(pairs)
    done = invoke("word2vec", "evaluate", vectors, "--pairs", path, "--json")
    assert done.returncode == 0, done.stderr
    scores = _strict(done.stdout)["p.tsv"]
    assert (scores["pearson"], scores["spearman"], scores["undefined"]) == (None, None, reason)
    assert "Warning" not in done.stderr  # scipy's ConstantInputWarning is the reason above
    plain = invoke("word2vec", "evaluate", vectors, "--pairs", path)
    line = next(line for line in plain.stdout.splitlines() if "p.tsv" in line)
    assert "pearson -, spearman -" in line and f"undefined: {reason}" in line
    assert "nan" not in plain.stdout.lower()
