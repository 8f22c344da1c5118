"""A run stopped by Ctrl-C (or an error) before its first checkpoint leaves no empty
NAME.checkpoints/ folder behind; a folder that existed before the run is kept."""

from __future__ import annotations

import pytest
from cli_helpers import CORPUS, TINY
from inprocess import invoke

from seqlab.seqmodels.trainer import Trainer


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS, encoding="utf-8")
    return path


@pytest.fixture
def interrupt_fit(monkeypatch):
    reached = []

    def fit(self, *args, **kwargs):  # Ctrl-C as the run starts, before any checkpoint
        reached.append(self.manager.directory if self.manager is not None else None)
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "fit", fit)
    return reached


RUNS = {
    "train": lambda d, corpus: ["train", corpus, "--steps", "5", *TINY],
    "forecast": lambda d, corpus: ["forecast", "train", "--series", "sunspots", "--hidden", "4",
                                   "--window", "6", "--steps", "2", "--quiet"],
}


@pytest.mark.parametrize("command", sorted(RUNS))
def test_interrupt_before_the_first_checkpoint_removes_the_folder_it_made(
        tmp_path, corpus, interrupt_fit, command):
    out = tmp_path / "m.safetensors"
    done = invoke(*RUNS[command](tmp_path, corpus), "--out", out)
    assert done.returncode == 130, done.stderr  # "error: interrupted"
    assert interrupt_fit and interrupt_fit[0] == tmp_path / "m.checkpoints"  # it was made
    assert not (tmp_path / "m.checkpoints").exists()
    assert not out.exists()


def test_a_folder_that_existed_before_is_kept(tmp_path, corpus, interrupt_fit):
    folder = tmp_path / "m.checkpoints"
    folder.mkdir()
    done = invoke(*RUNS["train"](tmp_path, corpus), "--out", tmp_path / "m.safetensors")
    assert done.returncode == 130, done.stderr  # "error: interrupted"
    assert interrupt_fit and folder.is_dir()



def test_interrupt_while_caching_the_ids_leaves_no_cache_folder(tmp_path, corpus, monkeypatch):
    from seqlab.nlp.corpora import token_cache

    def stream_token_ids(*args, **kwargs):  # Ctrl-C while the ids are being cached
        assert (tmp_path / "m.cache").is_dir()  # made for the cache: the stop left it empty
        raise KeyboardInterrupt

    monkeypatch.setattr(token_cache, "stream_token_ids", stream_token_ids)
    done = invoke("train", corpus, "--level", "bpe", "--vocab-size", "300",
                  "--out", tmp_path / "m.safetensors", *TINY)
    assert done.returncode == 130, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt"]
