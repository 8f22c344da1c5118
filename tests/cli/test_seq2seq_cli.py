"""`seqlab seq2seq` end to end on a small TSV: train, translate, eval, resume, bad input."""

from __future__ import annotations

import json
import random

import pytest
from cli_helpers import run

TINY = ["--hidden", "32", "--layers", "1", "--embedding-dim", "16", "--attention", "additive",
        "--batch-size", "32", "--lr", "5e-3", "--dropout", "0", "--eval-every", "100"]


@pytest.fixture(scope="module")
def reverse_tsv(tmp_path_factory):
    rng = random.Random(0)
    lines = []
    for _ in range(1500):
        word = "".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 6)))
        lines.append(f"{word}\t{' '.join(word[::-1].upper())}\n")
    path = tmp_path_factory.mktemp("pairs") / "reverse.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reverse_model(tmp_path_factory, reverse_tsv):
    out = tmp_path_factory.mktemp("model") / "reverse.safetensors"
    done = run("seq2seq", "train", str(reverse_tsv), "--out", str(out), "--target-level", "word",
               "--steps", "400", "--json", *TINY)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["steps"] == 400 and result["valid_exact_match"] == 1.0
    return out


def test_translate_text_file_and_stdin(reverse_model, tmp_path):
    done = run("seq2seq", "translate", str(reverse_model), "abcdef")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "F E D C B A\n"
    inputs = tmp_path / "in.txt"
    inputs.write_text("bad\n\nhead\n", encoding="utf-8")
    from_file = run("seq2seq", "translate", str(reverse_model), str(inputs), "--beam", "4",
                    "--attention")
    assert from_file.stdout.splitlines() == ["D A B", "", "D A E H"]
    assert "<unk>" not in from_file.stderr
    nbest = run("seq2seq", "translate", str(reverse_model), "-", "--beam", "3", "--nbest", "2",
                input="cab\n")
    lines = nbest.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("0 ||| B A C ||| ")
    assert float(lines[0].rsplit("|||", 1)[1]) >= float(lines[1].rsplit("|||", 1)[1])


def test_attention_is_drawn(reverse_model):
    done = run("seq2seq", "translate", str(reverse_model), "abc", "--attention")
    assert done.returncode == 0 and done.stdout == "C B A\n"
    rows = done.stderr.splitlines()
    assert rows[0].split() == ["a", "b", "c"]
    # reversing: output C attends to source c (last column), A to a (first)
    assert rows[1].split()[0] == "C" and rows[1].rstrip().endswith("█")
    assert rows[3].split()[:2] == ["A", "█"]


def test_eval_json(reverse_model, reverse_tsv, tmp_path):
    some = tmp_path / "some.tsv"
    some.write_text("".join(reverse_tsv.read_text(encoding="utf-8").splitlines(True)[:200]),
                    encoding="utf-8")
    done = run("seq2seq", "eval", str(reverse_model), str(some), "--json")
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)
    assert scores["beam"] == 5  # the default: beam search scores at least as well as greedy
    assert scores["exact_match"] > 0.95 and scores["token_error_rate"] < 0.02
    assert 0 < scores["bleu"] <= 100 + 1e-9  # sacreBLEU: a perfect score is 100.00000000000004
    # several references: the closest one counts
    refs = tmp_path / "refs.tsv"
    refs.write_text("abc\tX Y Z\nabc\tC B A\nab\tA B\n", encoding="utf-8")
    scored = json.loads(run("seq2seq", "eval", str(reverse_model), str(refs), "--json").stdout)
    assert scored["exact_match"] == 0.5 and scored["sentences"] == 2
    assert isinstance(scored["sentences"], int)  # a count, not 2.0


def test_resume_continues_the_run(reverse_tsv, tmp_path):
    out = tmp_path / "run.safetensors"
    first = run("seq2seq", "train", str(reverse_tsv), "--out", str(out), "--steps", "3",
                "--quiet", *TINY)
    assert first.returncode == 0, first.stderr
    assert "after 3 steps (--steps reached)" in first.stdout  # in words, not "(steps)"
    (tmp_path / "elsewhere").mkdir()
    again = run("seq2seq", "train", str(reverse_tsv), "--resume", str(out), "--steps", "5",
                "--json", *TINY, cwd=tmp_path / "elsewhere")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["steps"] == 5  # continued in --resume's own file
    assert json.loads(again.stdout)["model"] == str(out)
    other = run("seq2seq", "train", str(reverse_tsv), "--out", str(out), "--resume", str(out),
                "--steps", "9", "--hidden", "64")
    assert other.returncode == 1 and "hidden_size" in other.stderr


@pytest.mark.parametrize("content,message", [
    (b"abc\tA B C\nno tab here\n", "bad.tsv:2: no tab"),
    (b"abc\t\n", "bad.tsv:1: empty target"),
    (b"abc\tA\ncaf\xe9\tK\n", "bad.tsv:2: not UTF-8"),
])
def test_bad_pairs_files(tmp_path, content, message):
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(content)
    out = tmp_path / "m.safetensors"
    done = run("seq2seq", "train", str(bad), "--out", str(out), "--steps", "1")
    assert done.returncode == 1 and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_options_and_models(reverse_model, trained_model):
    beam = run("seq2seq", "translate", str(reverse_model), "abc", "--beam", "0")
    assert beam.returncode == 2 and "--beam" in beam.stderr
    nbest = run("seq2seq", "translate", str(reverse_model), "abc", "--nbest", "3")
    assert nbest.returncode == 2 and "--beam 3" in nbest.stderr
    language_model = run("seq2seq", "translate", str(trained_model), "abc")
    assert language_model.returncode == 1 and "a language model" in language_model.stderr
    assert "LanguageModel" not in language_model.stderr  # the user's words, not the class
    assert "Traceback" not in language_model.stderr
    unknown = run("seq2seq", "translate", str(reverse_model), "abz")
    assert unknown.returncode == 0 and "<unk>" in unknown.stderr


def test_default_is_g2p_on_cmudict(tmp_path, reverse_model):
    out = tmp_path / "g2p.safetensors"
    done = run("seq2seq", "train", "--out", str(out), "--steps", "2", "--hidden", "16",
               "--layers", "1", "--embedding-dim", "8", "--eval-every", "100", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["steps"] == 2 and result["valid_exact_match"] is not None
    phonemes = run("seq2seq", "translate", str(out), "hello")
    assert phonemes.returncode == 0
    assert all(token.rstrip("012").isalpha() and token.isupper()
               for token in phonemes.stdout.split())
    refused = run("seq2seq", "eval", str(reverse_model))
    assert refused.returncode == 1 and "give the PAIRS" in refused.stderr


def test_ctrl_c_saves_a_resumable_checkpoint(reverse_tsv, tmp_path):
    import signal
    import time

    from cli_helpers import popen

    out = tmp_path / "run.safetensors"
    process = popen("seq2seq", "train", str(reverse_tsv), "--out", str(out), "--steps", "100000",
                    "--quiet", *TINY, stdout=-1, stderr=-1, text=True)
    metrics = tmp_path / "run.metrics.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and not (metrics.exists() and metrics.read_text().count("\n")):
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    from seqlab.seqmodels.checkpoint import load_checkpoint

    stopped_at = load_checkpoint(out).training.trainer["step"]
    resumed = run("seq2seq", "train", "--resume", str(out), "--steps", str(stopped_at + 5),
                  "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["steps"] == stopped_at + 5


def test_translate_cuts_lines_at_newlines_only(reverse_model, tmp_path):
    """One output line per input line as `wc -l` counts them: a form feed, a U+2028 or a
    lone "\\r" is a character of its line, from the argument, stdin or a file."""
    text = "ab\fc\nbad\u2028cab\r\nhead\rab\n"
    done = run("seq2seq", "translate", str(reverse_model), text)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split("\n")[:-1]) == 3
    from_stdin = run("seq2seq", "translate", str(reverse_model), "-", input=text)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == done.stdout
    inputs = tmp_path / "odd.txt"
    inputs.write_bytes(text.encode())
    from_file = run("seq2seq", "translate", str(reverse_model), str(inputs))
    assert from_file.stdout == done.stdout
