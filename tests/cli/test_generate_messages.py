"""`seqlab generate`'s messages (QA 18 item 9): the out-of-vocabulary prompt warning comes on a
line of its own before the echoed prompt (also with --length 0), and options the chosen
decoding ignores are refused (beam search with a sampling option) or warned about (--greedy
with a sampling option, --seed with --beam), as Hugging Face's generate() warns about
temperature without sampling."""

from __future__ import annotations

import contextlib
import io
import signal

import pytest
from inprocess import assert_one_line_failure, invoke

OOV = "the qu\u2603ck"  # a snowman: no character the tiny char model was trained on


def interleaved(*args: str) -> tuple[int, str]:
    """`seqlab ARGS` in process with stdout and stderr in one stream, as a terminal shows
    them; (exit code, what the terminal shows)."""
    from seqlab.cli.app import main

    both = io.StringIO()
    handler = signal.getsignal(signal.SIGINT)
    code = 0
    try:
        with contextlib.redirect_stdout(both), contextlib.redirect_stderr(both):
            main([str(a) for a in args])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        signal.signal(signal.SIGINT, handler)
    return code, both.getvalue()


@pytest.mark.parametrize("length", ["0", "5"])
def test_unknown_prompt_warning_comes_before_the_echoed_prompt(trained_model, length):
    code, shown = interleaved("generate", trained_model, "--prompt", OOV, "--length", length,
                              "--seed", "1")
    assert code == 0, shown
    warning = shown.index("warning: 1 token(s) of the prompt are not in the model's "
                          "vocabulary")
    assert warning == 0 or shown[warning - 1] == "\n", shown
    assert shown.index("\n", warning) < shown.index(OOV), shown
    assert shown.count("warning:") == 1


@pytest.mark.parametrize("option", [["--temperature", "0.5"], ["--temperature", "0"],
                                    ["--top-k", "3"], ["--top-p", "0.5"], ["--greedy"]])
def test_beam_refuses_a_sampling_option_it_would_ignore(trained_model, option):
    done = invoke("generate", trained_model, "--prompt", "the", "--beam", "2", *option)
    assert_one_line_failure(done, "--beam", option[0], code=2)


def test_beam_with_seed_warns_and_runs(trained_model):
    plain = invoke("generate", trained_model, "--prompt", "the", "--beam", "2", "--length", "8")
    seeded = invoke("generate", trained_model, "--prompt", "the", "--beam", "2", "--length",
                    "8", "--seed", "3")
    assert plain.returncode == seeded.returncode == 0, seeded.stderr
    assert seeded.stdout == plain.stdout
    assert "warning: --seed has no effect with --beam" in seeded.stderr
    assert "warning" not in plain.stderr


@pytest.mark.parametrize("option", [["--temperature", "1.5"], ["--top-k", "3"],
                                    ["--top-p", "0.5"]])
def test_greedy_warns_about_a_sampling_option_and_gives_the_greedy_text(trained_model, option):
    greedy = invoke("generate", trained_model, "--prompt", "the", "--greedy", "--length", "12")
    both = invoke("generate", trained_model, "--prompt", "the", "--greedy", "--length", "12",
                  *option)
    assert greedy.returncode == both.returncode == 0, both.stderr
    assert both.stdout == greedy.stdout
    assert f"warning: {option[0]} has no effect with --greedy" in both.stderr
    assert "warning" not in greedy.stderr


def test_length_penalty_without_beam_is_refused(trained_model):
    done = invoke("generate", trained_model, "--prompt", "the", "--length-penalty", "0.5")
    assert_one_line_failure(done, "--length-penalty", "--beam", code=2)


def test_beam_with_the_default_temperature_written_out_warns_and_runs(trained_model):
    """Scripts write the defaults out; HF's generate() warns about a temperature that
    beam search ignores rather than refusing it."""
    plain = invoke("generate", trained_model, "--prompt", "the", "--beam", "2", "--length", "8")
    written = invoke("generate", trained_model, "--prompt", "the", "--beam", "2", "--length",
                     "8", "--temperature", "0.8")
    assert plain.returncode == written.returncode == 0, written.stderr
    assert written.stdout == plain.stdout
    assert "warning: --temperature has no effect with --beam" in written.stderr


def test_length_penalty_of_the_default_without_beam_warns_and_runs(trained_model):
    args = ("generate", trained_model, "--prompt", "the", "--length", "8", "--seed", "1")
    plain = invoke(*args)
    written = invoke(*args, "--length-penalty", "1.0")
    assert plain.returncode == written.returncode == 0, written.stderr
    assert written.stdout == plain.stdout
    assert "warning: --length-penalty has no effect without --beam" in written.stderr


def test_beam_applies_the_repetition_penalty(trained_model, monkeypatch):
    """HF applies a repetition penalty in beam search too (a logits processor): so does
    seqlab, with no warning."""
    from seqlab.nlp import generation

    seen = []
    real = generation.beam_search

    def recording(*args, **options):
        seen.append(options.get("repetition_penalty"))
        return real(*args, **options)

    monkeypatch.setattr(generation, "beam_search", recording)
    done = invoke("generate", trained_model, "--prompt", "the", "--beam", "2", "--length", "8",
                  "--repetition-penalty", "1.2")
    assert done.returncode == 0, done.stderr
    assert seen == [1.2] and "warning" not in done.stderr
    plain = invoke("generate", trained_model, "--prompt", "the", "--beam", "2", "--length", "8")
    assert plain.returncode == 0 and seen == [1.2, 1.0]


def test_beam_on_an_ngram_model_is_refused_before_any_warning(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the cat\n" * 20)
    model = tmp_path / "m.arpa"
    assert invoke("ngram", "train", corpus, "--order", "2", "--out", model).returncode == 0
    done = invoke("generate", model, "--beam", "2", "--seed", "1", "--temperature", "0.8")
    assert_one_line_failure(done, "--beam", "n-gram", code=2)
    assert "warning" not in done.stderr


def test_beam_stops_before_a_stop_string(trained_model):
    """--stop held for sampling but was dropped by --beam: the beam's text is cut before it."""
    args = ("generate", trained_model, "--prompt", "the", "--beam", "2", "--length", "30",
            "--no-echo")
    whole = invoke(*args)
    assert whole.returncode == 0, whole.stderr
    text = whole.stdout.rstrip("\n")
    stop = text[5:7]
    cut = invoke(*args, "--stop", stop)
    assert cut.returncode == 0, cut.stderr
    assert cut.stdout == text[:text.index(stop)] + "\n"


def test_repetition_penalty_reaches_an_ngram_model(tmp_path):
    """`generate MODEL.arpa --repetition-penalty` was dropped on the n-gram path: the greedy
    chain of a model that loops ('a b a b ...') breaks once seen words are penalised."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b a b a b c d\n" * 20)
    assert invoke("ngram", "train", corpus, "--order", "2", "--out",
                  tmp_path / "lm.arpa").returncode == 0
    args = ("generate", tmp_path / "lm.arpa", "--prompt", "a", "--greedy", "--length", "6")
    looping = invoke(*args)
    penalised = invoke(*args, "--repetition-penalty", "20")
    assert looping.returncode == penalised.returncode == 0, penalised.stderr
    assert looping.stdout.split() == ["a", "b"] * 3 + ["a"]
    assert "c" in penalised.stdout.split()  # seen words penalised, the loop is left
