"""What a newcomer sees running the README: readable progress at 80 columns, detokenized
n-gram text, generation that starts at a line start, one bits name per level, `info` on any
checkpoint, and a tidy run folder."""

from __future__ import annotations

import io
import json
import re

from cli_helpers import CORPUS, TINY
from inprocess import invoke
from rich.console import Console

from seqlab.cli import progress as progress_module
from seqlab.cli.commands.ngram import spaced
from seqlab.cli.lm_text import bits_name, start_ids


def test_progress_fits_80_columns_and_reaches_the_end(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(progress_module, "stderr", Console(file=screen, width=80, no_color=True))
    with progress_module.make_progress("tok") as progress:
        task = progress.add_task("training", total=60, rate="", info="")
        for second in range(61):
            progress.update(task, completed=second,
                            rate=progress_module.rate_text(987_654 * second, second + 1, "tok"),
                            info="smoothed loss 1.234  val 1.300 (1.876 bits per character)")
    lines = [line for line in screen.getvalue().splitlines() if line.strip()]
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in screen.getvalue()
    last_bar = [line for line in lines if line.startswith("training")][-1]
    assert "100%" in last_bar and "eta" in last_bar and "tok/s" in last_bar
    assert "bits per character" in lines[-1]


def test_word_spacing_of_ngram_text():
    words = ["He", "rose", "?", "(", "led", ")", "in", "his", "sister", ",", "as"]
    text, previous = "", None
    for word in words:
        text += spaced(previous, word)
        previous = word
    assert text == "He rose? (led) in his sister, as"


def test_ngram_generate_prints_running_text(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("He rose, and she ran.\nThey left (quickly) at noon!\n" * 20)
    assert invoke("ngram", "train", corpus, "--out", tmp_path / "lm.arpa").returncode == 0
    done = invoke("ngram", "generate", tmp_path / "lm.arpa", "--length", "60", "--seed", "3")
    assert done.returncode == 0, done.stderr
    assert not re.search(r" [,.!?)]|\( ", done.stdout)
    assert not any(line.startswith(" ") for line in done.stdout.splitlines())


def test_generation_without_prompt_starts_after_a_line_break():
    from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer, WordTokenizer

    char = CharTokenizer.train("ab c\nd")
    assert char.decode(start_ids(char)) == "\n"
    one_line = CharTokenizer.train("abc d")  # no newline known: a space, still a word start
    assert one_line.decode(start_ids(one_line)) == " "
    bpe = BPETokenizer.train("hello there\n" * 5, vocab_size=270)
    assert bpe.decode(start_ids(bpe)) == "\n"
    word = WordTokenizer.train("a b c")
    assert start_ids(word) == [word.eos_id]


def test_one_bits_name_per_level():
    assert {bits_name(level) for level in ("char", "word", "bpe")} == {
        "bits per character", "bits per word", "bits per token"}


def test_info_describes_a_regressor_and_a_language_model(tmp_path, trained_model):
    from seqlab.seqmodels.checkpoint import save_checkpoint
    from seqlab.seqmodels.regressor import SequenceRegressor

    path = save_checkpoint(tmp_path / "reg.safetensors", SequenceRegressor(1, 8), step=3)
    done = invoke("info", path, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["model"] == "SequenceRegressor" and data["parameters"] == 4 * 8 * (1 + 8 + 2) + 9
    assert data["tokenizer"] is None
    shown = invoke("info", trained_model)
    assert shown.returncode == 0 and "bits per character" in shown.stdout


def test_finished_run_keeps_what_resuming_needs_and_says_so(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    out = tmp_path / "m.safetensors"
    args = [a for a in TINY if a != "--quiet"]
    done = invoke("train", corpus, "--steps", "12", "--checkpoint-every", "4", *args,
                  "--out", out)
    assert done.returncode == 0, done.stderr
    kept = sorted(p.name for p in (tmp_path / "m.checkpoints").iterdir())
    assert kept == ["best.safetensors"]
    assert (tmp_path / "m.train.safetensors").exists()
    assert "Kept" in done.stderr and "--resume" in " ".join(done.stderr.split())
    resumed = invoke("train", corpus, "--steps", "14", *TINY, "--out", out, "--resume", out)
    assert resumed.returncode == 0, resumed.stderr


def test_word2vec_similar_subtracts_dashed_words(tmp_path):
    vectors = tmp_path / "v.txt"
    vectors.write_text("4 2\nking 1 1\nman 1 0\nwoman 0 1\nqueen 0.1 1.9\n")
    done = invoke("word2vec", "similar", vectors, "king", "-man", "woman", "--topn", "1",
                  "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["similar"][0]["word"] == "queen"
