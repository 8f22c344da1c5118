"""`classify` rough edges (QA 18 item 12): eval reads the columns the model was trained on,
predict keeps output line N for input line N, an empty label's message says what to do."""

from __future__ import annotations

import io
import json
import sys

import pytest
from cli_helpers import run
from inprocess import assert_one_line_failure
from inprocess import invoke as invoke_main
from test_classify import NEGATIVE, POSITIVE, SMALL, sentences, write_csv
from typer_inprocess import assert_fails, invoke


@pytest.fixture(scope="module")
def column_model(tmp_path_factory):
    """A classifier trained on a CSV whose columns are 'sentiment' and 'review'."""
    folder = tmp_path_factory.mktemp("columns")
    rows = [("pos", text) for text in sentences(POSITIVE, 10, 0)] + \
           [("neg", text) for text in sentences(NEGATIVE, 10, 1)]
    data = write_csv(folder / "reviews.csv", rows, header="sentiment,review")
    out = folder / "clf.safetensors"
    done = run("classify", "train", str(data), "--label-column", "sentiment", "--text-column",
               "review", "--steps", "2", "--out", str(out), *SMALL)
    assert done.returncode == 0, done.stderr
    return out, data


def test_eval_reads_the_columns_the_model_was_trained_on(column_model, tmp_path):
    out, data = column_model
    done = invoke_main("classify", "eval", str(out), str(data), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["examples"] == 20
    # columns given on the command line still win
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(data.read_text().replace("sentiment,review", "y,body", 1))
    done = invoke_main("classify", "eval", str(out), str(renamed), "--label-column", "y",
                       "--text-column", "body", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["examples"] == 20
    done = invoke_main("classify", "eval", str(out), str(renamed))
    assert_one_line_failure(done, "no column 'sentiment'", "--label-column")


def test_predict_writes_an_empty_line_for_a_blank_one(column_model, tmp_path):
    """`paste input.txt predictions.txt` pairs line N with line N (fastText's predict also
    answers a blank line with an empty one); --json names each input line and skips blanks."""
    out, _ = column_model
    lines = [sentences(POSITIVE, 1, 7)[0], "", "   ", sentences(NEGATIVE, 1, 8)[0], ""]
    source = tmp_path / "new.txt"
    source.write_text("\n".join(lines) + "\n")
    done = invoke_main("classify", "predict", str(out), str(source))
    assert done.returncode == 0, done.stderr
    shown = done.stdout.split("\n")[:-1]
    assert len(shown) == len(lines)
    assert [bool(label) for label in shown] == [bool(line.strip()) for line in lines]
    assert set(shown) - {""} <= {"pos", "neg"}
    probabilities = invoke_main("classify", "predict", str(out), str(source), "--probabilities")
    assert [bool(row) for row in probabilities.stdout.split("\n")[:-1]] == \
        [bool(line.strip()) for line in lines]
    as_json = json.loads(invoke_main("classify", "predict", str(out), str(source),
                                     "--json").stdout)
    assert [p["input"] for p in as_json["predictions"]] == [f"{source}:1", f"{source}:4"]


@pytest.mark.parametrize("given", ["", "\n \n"], ids=["empty", "blank lines"])
@pytest.mark.parametrize("from_stdin", [True, False], ids=["stdin", "file"])
def test_predict_on_no_text_writes_as_many_lines_and_succeeds(column_model, tmp_path,
                                                             monkeypatch, given, from_stdin):
    """Zero lines in, zero lines out, exit 0, as `sort`, `wc`, sacrebleu, fairseq-interactive
    and `seqlab seq2seq translate` do: a pipeline's empty batch is not an error; blank lines
    get blank lines (--json: no predictions)."""
    out, _ = column_model
    source = tmp_path / "none.txt"
    source.write_text(given)
    for extra in ((), ("--json",)):
        if from_stdin:
            stdin = io.TextIOWrapper(io.BytesIO(given.encode()), encoding="utf-8")
            monkeypatch.setattr(sys, "stdin", stdin)
        done = invoke_main("classify", "predict", str(out), "-" if from_stdin else str(source),
                           *extra)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        if extra:
            assert json.loads(done.stdout) == {"labels": ["neg", "pos"], "predictions": []}
        else:
            assert done.stdout == "\n" * given.count("\n")


def test_an_empty_label_gets_a_remedy(tmp_path):
    data = write_csv(tmp_path / "empty_label.csv", [("pos", "a fine film"), ("", "a dull one")])
    done = invoke("classify", "train", str(data), "--out", str(tmp_path / "m.safetensors"))
    assert_fails(done, "empty_label.csv:3: the label is empty",
                 "remove the row or give it a label", code=1)


def test_predict_cuts_lines_at_newlines_only(column_model, tmp_path):
    """A form feed, a U+2028, a lone "\\r" or a "\\x85" inside a line is one of its characters
    (`wc -l`, `paste` and fastText cut at "\\n" only); "\\r\\n" ends a line as "\\n" does."""
    out, _ = column_model
    source = tmp_path / "odd.txt"
    lines = ["good film", "", "bad\ffilm", "line\u2028two", "a\rb\x85c\x1ed", "last"]
    source.write_bytes(("\n".join(lines[:4]) + "\r\n" + "\n".join(lines[4:]) + "\n")
                       .encode("utf-8"))
    done = invoke_main("classify", "predict", str(out), str(source))
    assert done.returncode == 0, done.stderr
    shown = done.stdout.split("\n")[:-1]
    assert len(shown) == len(lines)
    assert [bool(label) for label in shown] == [bool(line) for line in lines]
    as_json = json.loads(invoke_main("classify", "predict", str(out), str(source),
                                     "--json").stdout)
    assert [p["input"] for p in as_json["predictions"]] == \
        [f"{source}:{n}" for n in (1, 3, 4, 5, 6)]
