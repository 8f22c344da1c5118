"""QA round 16: inputs that used to end in "internal error", a hang or silent nonsense now end in
one line naming the file or option and what to do, with files left as they were."""

from __future__ import annotations

import json
import math

import pytest
from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke, snapshot


def test_a_model_larger_than_memory_is_refused_with_its_size(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(CORPUS)
    before = snapshot(tmp_path)
    done = invoke("train", corpus, "--hidden", "100000000", "--layers", "1", "--steps", "2",
                  "--out", tmp_path / "m.safetensors", "--quiet")
    assert_one_line_failure(done, "--hidden", "memory", "PiB", code=1)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]


@pytest.fixture(scope="module")
def ngram_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ngrams")
    corpus = folder / "c.txt"
    corpus.write_text(CORPUS)
    for smoothing, name in (("stupid-backoff", "sb.npz"), ("mle", "mle.arpa"),
                            ("kneser-ney", "kn.arpa")):
        done = invoke("ngram", "train", corpus, "--smoothing", smoothing, "--order", "3",
                      "--out", folder / name)
        assert done.returncode == 0, done.stderr
    (folder / "unseen.txt").write_text("zebra quick brown\n")
    return folder


@pytest.mark.parametrize("command", [("ngram", "eval"), ("eval",)])
def test_stupid_backoff_perplexity_is_refused_with_what_to_use(ngram_models, command):
    done = invoke(*command, ngram_models / "sb.npz", ngram_models / "unseen.txt")
    assert_one_line_failure(done, "stupid-backoff", "not probabilities", "--smoothing kneser-ney",
                            code=1)


def test_zero_probability_tokens_give_inf_perplexity_and_are_counted(ngram_models):
    done = invoke("ngram", "eval", ngram_models / "mle.arpa", ngram_models / "unseen.txt")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("perplexity inf"), done.stdout
    assert "zero probability" in done.stdout and len(done.stdout) < 300
    done = invoke("ngram", "eval", ngram_models / "mle.arpa", ngram_models / "unseen.txt",
                  "--json")
    result = json.loads(done.stdout)
    # "zebra" is unknown (<unk> unseen in training) and every trigram after it too
    assert result["perplexity"] is None and result["zero_probability_tokens"] >= 1
    assert result["zero_probability_tokens"] <= result["tokens"] == 4


def test_seen_text_keeps_a_finite_perplexity(ngram_models):
    done = invoke("ngram", "eval", ngram_models / "mle.arpa", ngram_models / "c.txt", "--json")
    result = json.loads(done.stdout)
    assert math.isfinite(result["perplexity"]) and 1 <= result["perplexity"] < 10
    assert result["bits_per_token"] == pytest.approx(math.log2(result["perplexity"]))
    assert "zero_probability_tokens" not in result


def test_a_text_field_over_csvs_default_limit_is_read(tmp_path):
    rows = ["label,text"]
    for i in range(4):
        words = " ".join(["good fine" if i % 2 else "bad poor"] * 40_000)  # ~360 KB a field
        rows.append(f"{'pos' if i % 2 else 'neg'},{words}")
    data = tmp_path / "long.csv"
    data.write_text("\n".join(rows) + "\n")
    model = tmp_path / "c.safetensors"
    done = invoke("classify", "train", data, "--hidden", "8", "--epochs", "1", "-q",
                  "--out", model)
    assert done.returncode == 0, done.stderr
    done = invoke("classify", "eval", model, data)
    assert done.returncode == 0, done.stderr
    assert "4 texts" in done.stdout


@pytest.mark.parametrize("data, words", [
    (b"The quick " * 500 + b"\xff\xfe brown", ["stdin", "not UTF-8", "offset 5000"]),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", ["stdin", "NUL", "binary"]),
])
def test_a_prompt_on_stdin_gets_the_checks_of_a_prompt_file(trained_model, tmp_path, data,
                                                            words):
    import subprocess
    import sys

    from cli_helpers import seqlab_env

    done = subprocess.run([sys.executable, "-m", "seqlab.cli", "generate", str(trained_model),
                           "-", "-n", "5"], input=data, capture_output=True, env=seqlab_env(),
                          timeout=120)
    assert done.stdout == b""
    from inprocess import Done

    assert_one_line_failure(Done(done.returncode, "", done.stderr.decode()), *words, code=1)
    prompt = tmp_path / "p.txt"
    prompt.write_bytes(data)
    assert_one_line_failure(invoke("generate", trained_model, "--prompt-file", prompt, "-n", "5"),
                            *words[1:], code=1)


@pytest.mark.parametrize("args, words", [
    (["generate", "LM", "--stop", ""], ["--stop", "non-empty"]),
    (["generate", "LM", "--beam", "3", "--greedy"], ["--beam", "--greedy"]),
    (["generate", "LM", "--beam", "3", "--top-k", "5"], ["--beam", "--top-k"]),
    (["train", "C", "--corpus", "foo", "--steps", "1", "--out", "T/x.safetensors"],
     ["--corpus", "not both"]),
    (["word2vec", "train", "C", "--sample", "-1", "--out", "T/v.txt"], ["--sample"]),
    (["classify", "train", "T/c.csv", "--text-column", "label", "--out", "T/c.safetensors"],
     ["--label-column", "--text-column", "'label'"]),
    (["seq2seq", "translate", "LM", "abc", "--max-len-b", "-1"], ["--max-len-b"]),
])
def test_contradicting_or_meaningless_options_are_usage_errors(trained_model, tmp_path, args,
                                                               words):
    (tmp_path / "c.txt").write_text(CORPUS)
    (tmp_path / "c.csv").write_text("label,text\npos,good\nneg,bad\n")
    before = snapshot(tmp_path)
    args = [str(trained_model) if a == "LM" else str(tmp_path / "c.txt") if a == "C"
            else a.replace("T/", f"{tmp_path}/") for a in args]
    done = invoke(*args)
    assert_one_line_failure(done, *words, code=2)
    assert done.stdout == ""
    assert snapshot(tmp_path) == before


CLOSED_ARPA = """\\data\\
ngram 1=4

\\1-grams:
-0.5\t<s>\t0
-0.5\ta
-0.5\tb
-0.5\t</s>

\\end\\
"""


def test_an_unknown_word_of_an_arpa_file_without_unk_keeps_a_finite_perplexity(tmp_path):
    """A closed-vocabulary ARPA file (no <unk>, as SRILM and KenLM can write) scores an unknown
    word log10 -100, as KenLM does, and the perplexity stays the finite number KenLM calls
    "including OOVs": only log zero (-inf, or ARPA's -99) makes it inf."""
    from seqlab.nlp.ngram.arpa_reader import load_arpa

    arpa = tmp_path / "closed.arpa"
    arpa.write_text(CLOSED_ARPA)
    perplexity, tokens, zero = load_arpa(arpa).perplexity_detail([["a", "zzz"]])
    # a, zzz, </s>: -0.5, -100, -0.5 in log10
    assert (tokens, zero) == (3, 0)
    assert math.isclose(perplexity, 10 ** (101 / 3), rel_tol=1e-9)


@pytest.mark.parametrize("sentence", ["add 1/2 cup", "yes and/or no", "see notes.txt now"])
def test_translate_takes_a_sentence_with_a_slash_or_a_dot_as_text(sentence):
    """Only an argument without whitespace can be taken for a path: a sentence that holds a
    '/' or a file-like word is translated (here: read as text, not refused)."""
    from seqlab.cli.commands.seq2seq import _input_lines

    assert list(_input_lines(sentence, False, 1000)) == [sentence]
