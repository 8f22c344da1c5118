"""QA round 17: the root `--errors` option and a UTF-8 BOM in the readers of labelled tables
(classify), pair files (seq2seq) and series (forecast).

`seqlab --errors replace|ignore` reads bytes that are not UTF-8 as every other reader does, and
without it the one-line refusal names `--errors` as a remedy; a BOM at the start of a CSV/TSV
file (Excel's "CSV UTF-8") is not part of its first column's name or its first text."""

from __future__ import annotations

import json

import pytest
from inprocess import assert_one_line_failure, invoke

SMALL = ["--hidden", "8", "--embedding-dim", "6", "--batch-size", "8", "-q"]
S2S = ["--hidden", "8", "--layers", "1", "--steps", "2", "-q"]
BOM = b"\xef\xbb\xbf"


def _rows(count: int = 24) -> list[tuple[str, str]]:
    return [("pos" if i % 2 else "neg", f"{'good' if i % 2 else 'bad'} film {i}")
            for i in range(count)]


def _table(path, delimiter=",", bad_byte=False, bom=False):
    lines = [f"label{delimiter}text"] + [f"{label}{delimiter}{text}" for label, text in _rows()]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if bad_byte:
        data = data.replace(b"good film 5", b"good caf\xe9 5")
    path.write_bytes((BOM if bom else b"") + data)
    return path


def _folder(path, bad_byte=False, bom=False):
    for number, (label, text) in enumerate(_rows()):
        (path / label).mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        if bad_byte and number == 5:
            data += b" caf\xe9"
        (path / label / f"{number}.txt").write_bytes((BOM if bom else b"") + data)
    return path


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cls")
    out = folder / "c.safetensors"
    done = invoke("classify", "train", _table(folder / "clean.csv"), "--level", "char",
                  "--steps", "2", "--out", out, *SMALL)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("make", ["csv", "tsv", "jsonl", "folder"])
def test_classify_honours_errors_replace(tmp_path, classifier, make):
    if make == "folder":
        data = _folder(tmp_path / "classes", bad_byte=True)
    elif make == "jsonl":
        data = tmp_path / "rows.jsonl"
        data.write_bytes(b"".join(json.dumps({"label": label, "text": text}).encode()
                                  .replace(b"film 5", b"caf\xe9 5") + b"\n"
                                  for label, text in _rows()))
    else:
        data = _table(tmp_path / f"rows.{make}", "\t" if make == "tsv" else ",", bad_byte=True)
    out = tmp_path / "m.safetensors"
    train = ["classify", "train", data, "--level", "char", "--steps", "2", "--out", out, *SMALL]
    assert_one_line_failure(invoke(*train), "not UTF-8", "--errors replace", code=1)
    assert not out.exists()
    assert_one_line_failure(invoke("classify", "eval", classifier, data), "not UTF-8",
                            "--errors replace", code=1)
    for policy in ("replace", "ignore"):
        done = invoke("--errors", policy, *train, "--force")
        assert done.returncode == 0, done.stderr
        evaluated = invoke("--errors", policy, "classify", "eval", classifier, data, "--json")
        assert evaluated.returncode == 0, evaluated.stderr
        assert json.loads(evaluated.stdout)["examples"] == len(_rows())


def _vocabulary(model) -> set[str]:
    from seqlab.cli.classify_models import load_classifier

    tokenizer = load_classifier(model).tokenizer
    return {tokenizer.decode([index]) for index in range(tokenizer.vocab_size)}


@pytest.mark.parametrize("make", ["csv", "tsv", "jsonl", "folder"])
def test_classify_reads_past_a_bom(tmp_path, classifier, make):
    if make == "folder":
        data = _folder(tmp_path / "classes", bom=True)
    elif make == "jsonl":
        data = tmp_path / "rows.jsonl"
        data.write_bytes(BOM + b"".join(json.dumps({"label": label, "text": text}).encode()
                                        + b"\n" for label, text in _rows()))
    else:
        data = _table(tmp_path / f"rows.{make}", "\t" if make == "tsv" else ",", bom=True)
    out = tmp_path / "m.safetensors"
    done = invoke("classify", "train", data, "--level", "char", "--steps", "2", "--out", out,
                  "--json", *SMALL[:-1])
    assert done.returncode == 0, done.stderr
    assert "\ufeff" not in _vocabulary(out)  # no text kept the BOM as a character
    evaluated = invoke("classify", "eval", classifier, data, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["examples"] == len(_rows())


def test_a_bom_only_at_the_start_is_dropped(tmp_path):
    from seqlab.nlp.corpora.labelled import iter_labelled

    path = tmp_path / "rows.csv"
    path.write_bytes(BOM + b"label,text\npos,\xef\xbb\xbfkept inside\n")
    assert [text for text, _, _ in iter_labelled(path)] == ["\ufeffkept inside"]


def _pairs(path, bad_byte=False, bom=False):
    data = "".join(f"{w}\t{w[::-1]}\n" for w in ("abc", "bca", "cab", "aab") * 10).encode()
    if bad_byte:
        data += b"caf\xe9\tefac\n"
    path.write_bytes((BOM if bom else b"") + data)
    return path


@pytest.fixture(scope="module")
def translator(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2s")
    out = folder / "m.safetensors"
    done = invoke("seq2seq", "train", _pairs(folder / "pairs.tsv"), *S2S, "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def test_seq2seq_honours_errors_replace(tmp_path, translator):
    pairs = _pairs(tmp_path / "bad.tsv", bad_byte=True)
    out = tmp_path / "n.safetensors"
    train = ["seq2seq", "train", pairs, *S2S, "--out", out]
    assert_one_line_failure(invoke(*train), "bad.tsv:41", "not UTF-8", "--errors replace",
                            code=1)
    assert not out.exists()
    assert_one_line_failure(invoke("seq2seq", "eval", translator, pairs, "--beam", "1"),
                            "bad.tsv:41", "not UTF-8", "--errors replace", code=1)
    lines = tmp_path / "lines.txt"
    lines.write_bytes(b"abc\ncaf\xe9\n")
    assert_one_line_failure(invoke("seq2seq", "translate", translator, lines), "not UTF-8",
                            "--errors replace", code=1)
    for policy in ("replace", "ignore"):
        done = invoke("--errors", policy, *train, "--force")
        assert done.returncode == 0, done.stderr
        scored = invoke("--errors", policy, "seq2seq", "eval", translator, pairs, "--beam", "1",
                        "--json")
        assert scored.returncode == 0, scored.stderr
        translated = invoke("--errors", policy, "seq2seq", "translate", translator, lines)
        assert translated.returncode == 0, translated.stderr
        assert translated.stdout.count("\n") == 2  # a translation a line


def test_seq2seq_pairs_lose_a_leading_bom():
    import tempfile
    from pathlib import Path

    from seqlab.seqmodels.seq2seq.data import read_pairs

    with tempfile.TemporaryDirectory() as folder:
        path = _pairs(Path(folder) / "p.tsv", bom=True)
        first = next(read_pairs(path))
    assert first == ("abc", "cba")


def _series(path, bad_byte=False, bom=False):
    lines = ["day,sales,note"] + [f"{i},{10 + (i % 7) * 1.5},n{i}" for i in range(80)]
    data = ("\n".join(lines) + "\n").encode()
    if bad_byte:
        data = data.replace(b",n5\n", b",caf\xe9\n")
    path.write_bytes((BOM if bom else b"") + data)
    return path


def test_forecast_honours_errors_replace(tmp_path):
    series = _series(tmp_path / "s.csv", bad_byte=True)
    out = tmp_path / "f.safetensors"
    train = ["forecast", "train", series, "--target", "sales", "--hidden", "8", "--steps", "2",
             "--out", out, "-q"]
    assert_one_line_failure(invoke(*train), "s.csv:7", "not UTF-8", "--errors replace", code=1)
    assert not out.exists()
    done = invoke("--errors", "replace", *train)
    assert done.returncode == 0, done.stderr
    for command in (("predict", out, series), ("eval", out, series)):
        assert_one_line_failure(invoke("forecast", *command), "not UTF-8", "--errors replace",
                                code=1)
        for policy in ("replace", "ignore"):
            again = invoke("--errors", policy, "forecast", *command)
            assert again.returncode == 0, again.stderr


def test_forecast_reads_past_a_bom(tmp_path):
    series = _series(tmp_path / "s.csv", bom=True)
    out = tmp_path / "f.safetensors"
    done = invoke("forecast", "train", series, "--target", "sales", "--time-column", "day",
                  "--hidden", "8", "--steps", "2", "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    first = tmp_path / "first.csv"
    first.write_bytes(BOM + b"sales,day\n" + b"".join(f"{10 + i % 5},{i}\n".encode()
                                                      for i in range(80)))
    done = invoke("forecast", "train", first, "--target", "sales", "--hidden", "8",
                  "--steps", "2", "--out", tmp_path / "g.safetensors", "-q")
    assert done.returncode == 0, done.stderr
