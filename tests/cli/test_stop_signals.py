"""SIGTERM (`timeout`, Slurm, `docker stop`) and SIGHUP (a closed ssh session) end a command
as Ctrl-C does: one line, exit 128 + the signal's number, scratch folders and locks removed,
and a training run saves a resumable checkpoint first. An ignored SIGHUP (`nohup`) stays
ignored. The signals are real (sent to this process while the command runs in it)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke

from seqlab.cli.errors import CliError
from seqlab.seqmodels.trainer import Trainer

SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


def _signal_while_building_vocab(monkeypatch, signum):
    """word2vec train gets `signum` once its scratch folder beside --out exists."""
    from seqlab.nlp.word2vec import Word2Vec

    def build_vocab(self, *args, **kwargs):
        os.kill(os.getpid(), signum)
        time.sleep(2)  # the handler runs here
        raise CliError("the signal did not stop the command")

    monkeypatch.setattr(Word2Vec, "build_vocab", build_vocab)


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_ends_a_command_cleanly(tmp_path, corpus, monkeypatch, signum):
    _signal_while_building_vocab(monkeypatch, signum)
    before = signal.getsignal(signum)
    done = invoke("word2vec", "train", corpus, "--out", tmp_path / "v.txt", "--quiet")
    assert_one_line_failure(done, "interrupted", code=128 + signum)
    if signum != signal.SIGINT:
        assert signal.Signals(signum).name in done.stderr
    # no .v.txt.ids-XXXX/ scratch folder, no .v.txt.seqlab-lock, no vectors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt"]
    assert signal.getsignal(signum) == before  # main puts the handler back


def test_an_ignored_sighup_stays_ignored(tmp_path, corpus, monkeypatch):
    _signal_while_building_vocab(monkeypatch, signal.SIGHUP)
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        done = invoke("word2vec", "train", corpus, "--out", tmp_path / "v.txt", "--quiet")
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert_one_line_failure(done, "did not stop", code=1)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_in_training_saves_a_resumable_checkpoint(tmp_path, corpus, monkeypatch,
                                                                signum):
    train_step = Trainer.train_step

    def signalled_step(self, *args, **kwargs):  # the signal arrives in the first step
        if self.step == 0:
            os.kill(os.getpid(), signum)
        return train_step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train_step", signalled_step)
    out = tmp_path / "m.safetensors"
    done = invoke("train", corpus, "--steps", "50", "--out", out, *TINY)
    assert done.returncode == 128 + signum, done.stderr
    assert "Traceback" not in done.stderr
    assert f"interrupted by {signal.Signals(signum).name}: saved a resumable checkpoint" \
        in " ".join(done.stderr.split())
    assert "--resume" in done.stderr
    info = json.loads(invoke("info", out, "--json").stdout)
    assert info["resumable"] and 1 <= info["step"] < 50
