"""User data reaches the terminal as the user wrote it: text, tokens, words, labels, file names
and option values that look like Rich markup (`[/]`, `[b]x[/b]`, `list[0]`), emoji codes
(`:smile:`), tabs and carriage returns are printed literally by every command that echoes them,
never parsed, expanded or dropped, and never crash a command (QA stop 18, finding 1)."""

from __future__ import annotations

import shutil

import pytest
from cli_helpers import CORPUS
from inprocess import invoke

# Each is something Rich's markup, emoji codes or text handling would change or refuse.
TRICKY = ["see [b]bold[/b] here", "list[0] and [/] close", "x [red]y", "a\tb  c",
          ":smile: [link=x]y[/link] \\[z]", "back\\", "cr\rlf"]
WORDS = ["[/]", "[b]queen[/b]", "a[red]b", "list[0]", ":smile:", "[/x"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("markup")
    (path / "corpus.txt").write_text(CORPUS + "".join(line + "\n" for line in TRICKY),
                                     encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bpe(folder):
    out = folder / "bpe.json"
    done = invoke("tokenize", "train", folder / "corpus.txt", "--level", "bpe",
                  "--vocab-size", "300", "--out", out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("text", TRICKY)
def test_decode_prints_exactly_what_encode_read(bpe, text):
    encoded = invoke("tokenize", "encode", bpe, "--text", text)
    assert encoded.returncode == 0, encoded.stderr
    decoded = invoke("tokenize", "decode", bpe, *encoded.stdout.split())
    assert decoded.returncode == 0, decoded.stderr
    assert decoded.stdout == text  # nothing added: the text as encode read it


def test_a_decoded_file_is_the_file(bpe, folder):
    encoded = invoke("tokenize", "encode", bpe, folder / "corpus.txt")
    assert encoded.returncode == 0, encoded.stderr
    ids_file = folder / "ids.txt"
    ids_file.write_text(encoded.stdout)
    from seqlab.nlp.tokenizers import load_tokenizer

    text = load_tokenizer(bpe).decode([int(i) for i in encoded.stdout.split()])
    assert text == (folder / "corpus.txt").read_bytes().decode("utf-8")
    decoded = invoke("tokenize", "decode", bpe, *encoded.stdout.split())
    assert decoded.stdout == text


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    path = tmp_path_factory.mktemp("vectors") / "v.vec"
    rows = ["king 0.126 -0.132 0.640", "queen 0.130 -0.120 0.600"] + [
        f"{word} {0.1 * i:.3f} {-0.2 + 0.05 * i:.3f} {0.3 - 0.02 * i:.3f}"
        for i, word in enumerate(WORDS, 1)]
    path.write_text(f"{len(rows)} 3\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_word2vec_similar_and_analogy_print_words_as_they_are(vectors):
    done = invoke("word2vec", "similar", vectors, "king", "--topn", "7")
    assert done.returncode == 0, done.stderr
    printed = [line.split(None, 1)[1] for line in done.stdout.splitlines()]
    assert sorted(printed) == sorted(["queen", *WORDS])
    done = invoke("word2vec", "analogy", vectors, "king", "queen", "[/]", "--topn", "7")
    assert done.returncode == 0, done.stderr
    assert {line.split(None, 1)[1] for line in done.stdout.splitlines()} >= {"[b]queen[/b]"}
    missing = invoke("word2vec", "similar", vectors, "[i]nowhere[/i]")
    assert missing.returncode == 1 and "[i]nowhere[/i]" in missing.stderr


def test_word2vec_evaluate_names_the_pair_file_as_given(vectors, tmp_path):
    pairs = tmp_path / "[b]pairs.tsv"
    pairs.write_text("king\tqueen\t9.0\nking\t[/]\t2.0\nqueen\tlist[0]\t1.0\n")
    done = invoke("word2vec", "evaluate", vectors, "--pairs", pairs)
    assert done.returncode == 0, done.stderr
    assert "[b]pairs.tsv:" in done.stdout


def test_classify_labels_reach_messages_and_tables_as_written(tmp_path):
    labels = ["[/]", "[b]x[/b]", "list[0]"]
    words = ["good fine movie", "bad awful plot", "long dull film"]
    rows = [f'"{label}",{text} {i}' for i in range(12) for label, text in zip(labels, words)]
    data = tmp_path / "[red]reviews.csv"
    data.write_text("label,text\n" + "\n".join(rows) + "\n")
    out = tmp_path / "clf.safetensors"
    done = invoke("classify", "train", data, "--steps", "2", "--hidden", "8",
                  "--embedding-dim", "6", "--batch-size", "8", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "[/], [b]x[/b], list[0]" in " ".join(done.stderr.split())  # the "Training" line
    for label in labels:  # the F1 rows and the confusion table
        assert f"F1 {label}" in done.stdout and label in done.stdout
    evaluated = invoke("classify", "eval", out, data)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "[red]reviews.csv" in evaluated.stdout and "[b]x[/b]  " in evaluated.stdout
    shown = invoke("info", out)
    assert shown.returncode == 0 and "[/]" in shown.stdout and "[b]x[/b]" in shown.stdout


def test_file_names_in_messages_are_printed_as_given(folder, tmp_path):
    out = tmp_path / "d[" / "]" / "[b]x[/b]" / "lm.arpa"
    out.parent.mkdir(parents=True)
    done = invoke("ngram", "train", folder / "corpus.txt", "--order", "2", "--out", out)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    missing = tmp_path / "[i]held out.txt"
    done = invoke("ngram", "eval", out, missing)
    assert done.returncode != 0 and str(missing) in done.stderr
    words = tmp_path / "[b]words.json"
    done = invoke("tokenize", "train", folder / "corpus.txt", "--level", "word", "--out", words)
    assert done.returncode == 0 and f"to {words}" in done.stdout, done.stderr


def test_model_paths_and_texts_in_inspect_and_gradients(trained_model, tmp_path,
                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)  # a short name: these reports wrap at the terminal's width
    model = "[i]m.safetensors"
    shutil.copy(trained_model, tmp_path / model)
    done = invoke("inspect", model, "--text", "list[0] and [/] close")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{model}: ")
    done = invoke("gradients", model, "--text", "list[0] and [b]x[/b] close " * 2)
    assert done.returncode == 0, done.stderr
    assert model in done.stdout


def test_generate_echoes_the_prompt_as_given(trained_model):
    prompt = "[b]To be[/b] [/] "
    done = invoke("generate", trained_model, "--prompt", prompt, "--length", "3", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(prompt)


def test_messages_and_errors_show_their_words_as_written(capsys):
    from seqlab.cli.app import _error_line
    from seqlab.cli.console import Output

    Output().info("reading [/] list[0] :smile:")
    Output().warn("[b]x[/b] is unknown")
    _error_line("no such file: [red]a\\")
    assert capsys.readouterr().err.splitlines() == [
        "reading [/] list[0] :smile:", "warning: [b]x[/b] is unknown",
        "error: no such file: [red]a\\"]


def test_anything_printed_through_the_consoles_is_literal(capsys):
    """The guarantee every command relies on: a string or table cell given to either console
    is never read as markup, whatever future code prints."""
    from rich.table import Table

    from seqlab.cli.console import stderr, stdout

    table = Table("[b]label[/b]", "list[0]")
    table.add_row("[/]", ":smile:")
    stdout.print(table)
    stderr.print("closing [/] and [red]open")
    captured = capsys.readouterr()
    assert "[b]label[/b]" in captured.out and "[/]" in captured.out
    assert ":smile:" in captured.out and "list[0]" in captured.out
    assert captured.err == "closing [/] and [red]open\n"


def test_forecast_names_its_files_and_columns_as_given(tmp_path):
    series = tmp_path / "[b]sales.csv"
    series.write_text("date,[i]units\n" + "".join(f"2024-01-{d:02d},{100 + d % 7}\n"
                                                  for d in range(1, 29)))
    out = tmp_path / "[u]f.safetensors"
    done = invoke("forecast", "train", series, "--target", "[i]units", "--hidden", "4",
                  "--window", "4", "--horizon", "1", "--steps", "2", "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"Saved {out}" in done.stdout
    predicted = invoke("forecast", "predict", out, series, "--steps", "2")
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.startswith("step,[i]units\n")
    unknown = invoke("forecast", "train", series, "--target", "[/]", "--out", out)
    assert unknown.returncode != 0 and "[/]" in unknown.stderr
