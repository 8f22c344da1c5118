"""--clip turns off as in PyTorch and Keras (0, none, inf), one rule in every training command;
a diverging run says where, with which --lr and --clip, and what it kept, in one line and no
NumPy warning; a run whose validation loss ends far above a uniform guess is warned about."""

from __future__ import annotations

import pytest
from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke

import seqlab.seqmodels
import seqlab.seqmodels.trainer
from seqlab.cli.errors import CliError

TRAINING = {  # each training command on a few lines of data (forecast: its embedded series)
    "train": ["train", "{folder}/small.txt", "--steps", "1"],
    "classify": ["classify", "train", "{folder}/reviews.csv", "--steps", "1"],
    "forecast": ["forecast", "train", "--steps", "1"],
    "seq2seq": ["seq2seq", "train", "{folder}/pairs.tsv", "--steps", "1"],
}
DEFAULT_CLIP = {"train": 5.0, "classify": 5.0, "forecast": 1.0, "seq2seq": 5.0}


@pytest.fixture
def trainer_clip(monkeypatch):
    """The clip_norm each command gives its Trainer (the run stops right there)."""
    seen = []

    class Spy(seqlab.seqmodels.trainer.Trainer):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs.get("clip_norm"))
            raise CliError("stopped by the test")

    monkeypatch.setattr(seqlab.seqmodels, "Trainer", Spy)
    monkeypatch.setattr(seqlab.seqmodels.trainer, "Trainer", Spy)
    return seen


def _corpus(tmp_path):
    path = tmp_path / "small.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def _command(name, tmp_path, *extra):
    _corpus(tmp_path)
    words = ["good film", "bad film", "fine plot", "dull plot"] * 5
    (tmp_path / "reviews.csv").write_text(
        "label,text\n" + "".join(f"{'pos' if i % 2 == 0 else 'neg'},{text}\n"
                                  for i, text in enumerate(words)), encoding="utf-8")
    (tmp_path / "pairs.tsv").write_text("".join(f"{text}\t{text[::-1]}\n" for text in words),
                                        encoding="utf-8")
    args = [arg.format(folder=tmp_path) for arg in TRAINING[name]]
    return [*args, "--out", tmp_path / "m.safetensors", *extra]


@pytest.mark.parametrize("value", ["0", "none", "Off", "inf"])
def test_clip_zero_none_or_inf_turns_clipping_off(tmp_path, trainer_clip, value):
    done = invoke(*_command("train", tmp_path, "--clip", value))
    assert "stopped by the test" in done.stderr, done.stderr
    assert trainer_clip == [None]


def test_a_norm_or_the_default_clips(tmp_path, trainer_clip):
    for extra, expected in ((["--clip", "2.5"], 2.5), ([], DEFAULT_CLIP["train"])):
        invoke(*_command("train", tmp_path, *extra))
        assert trainer_clip.pop() == expected, extra


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_every_training_command_has_the_same_rule(tmp_path, trainer_clip, name):
    done = invoke(*_command(name, tmp_path, "--clip", "none"))
    assert trainer_clip == [None], done.stderr


@pytest.mark.parametrize("value", ["-1", "nan", "-inf", "big"])
def test_bad_clip_values_are_one_line(tmp_path, value):
    """One wording for every bad value, with the usual prefix and help pointer, naming the
    ways to turn clipping off (QA stop 20, fixQ2 item 5: -1 and nan had other wordings)."""
    done = invoke(*_command("train", tmp_path, "--clip", value))
    assert_one_line_failure(done, f"Invalid value for '--clip': '{value}' is not a norm",
                            "none", "inf", "--help", code=2)


def test_help_says_the_default_and_how_to_turn_clipping_off():
    for args, default in ((["train"], "5"), (["forecast", "train"], "1")):
        text = " ".join(invoke(*args, "--help").stdout.replace("│", " ").split())
        assert f"(default {default}); 0, none or inf: no clipping" in text, text


def test_divergence_names_the_options_and_what_it_kept(tmp_path):
    # --lr 1e25 overflows the forecaster at its first update: steps 2-6 are non-finite, so
    # the numbered checkpoint written at step 1 holds the weights that failed (removed); the
    # best model validated at step 1 is not a failed state (kept, and named)
    out = tmp_path / "fd.safetensors"
    done = invoke("forecast", "train", "--lr", "1e25", "--steps", "10", "--checkpoint-every",
                  "1", "--eval-every", "1", "--quiet", "--out", out)
    assert_one_line_failure(done, "training diverged at step 2", "--lr 1e+25",
                            "gradient clipping on (--clip 1)", "try a lower --lr",
                            f"kept {tmp_path / 'fd.checkpoints' / 'best.safetensors'} (the best "
                            "validated model, saved before the divergence)",
                            f"the metrics so far are in {tmp_path / 'fd.metrics.jsonl'}", code=1)
    assert "RuntimeWarning" not in done.stderr and "clip_norm" not in done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["fd.checkpoints",
                                                                "fd.metrics.jsonl"]
    assert [path.name for path in (tmp_path / "fd.checkpoints").iterdir()] == \
        ["best.safetensors"]


def test_a_run_ending_far_above_a_uniform_guess_warns(tmp_path):
    # the QA's run: lr 1e4 with clipping off diverges with finite losses (thousands of nats
    # where ln V is about 3); 20 steps are enough to get there
    done = invoke("train", _corpus(tmp_path), "--hidden",
                  "16", "--layers", "1", "--lr", "1e4", "--clip", "none", "--steps", "20", "-q",
                  "--out", tmp_path / "d.safetensors")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stderr.split())  # Rich wraps a long warning at the console width
    assert text.count("warning:") == 1 and "far above a uniform guess" in text, text
    assert "training diverged; try a lower --lr (it was 10000)" in text
    assert "or turn gradient clipping back on (--clip 5)" in text, text  # QA stop 20, item 7
    assert "RuntimeWarning" not in done.stderr


def test_the_warning_suggests_clipping_only_when_it_was_off():
    from seqlab.cli.divergence import far_above_uniform_line

    on = far_above_uniform_line(5e3, 20, "tokens", 0.1)
    off = far_above_uniform_line(5e3, 20, "tokens", 0.1, clipping_off=True)
    assert "--clip" not in on and "turn gradient clipping back on (--clip 5)" in off


@pytest.mark.parametrize(("loss", "shown"), [(2.34567, "2.346"), (123456.7, "123456.700"),
                                             (9516373723829003232477184.0, "9.516e+24"),
                                             (-3e7, "-3e+07")])
def test_a_huge_loss_is_shown_compactly(loss, shown):
    """QA stop 20, fixQ2 item 7: the progress line said 9516373723829003232477184.000."""
    from seqlab.cli.loss_display import loss_text

    assert loss_text(loss) == shown

