"""`seqlab train` given no --out writes model.safetensors: when that holds an earlier run's
model, the run says at its start which model it replaces (its level, cell, data and steps),
so that Ctrl-C still keeps it (qaA s22 finding 15). torch.save and Keras' save replace a file
silently; the default name is where that surprises, so the note is given there only."""

from __future__ import annotations

import shutil

from inprocess import invoke

from seqlab.cli.replaced_run import replaced_model_note
from seqlab.seqmodels.checkpoint import training_path


def _earlier_run(trained_model, folder):
    model = folder / "model.safetensors"
    shutil.copyfile(trained_model, model)
    shutil.copyfile(training_path(trained_model), training_path(model))
    return model


def test_the_note_names_the_earlier_runs_model(trained_model, tmp_path, corpus_file):
    model = _earlier_run(trained_model, tmp_path)
    note = replaced_model_note(model)
    assert note.startswith(f"this run replaces {model} (no --out given): "), note
    for word in ("char-level", "LSTM", "language model", corpus_file.name, "12 steps",
                 "--out"):
        assert word in note, note
    assert replaced_model_note(tmp_path / "none.safetensors") is None
    (tmp_path / "theirs.safetensors").write_text("not a model")
    assert replaced_model_note(tmp_path / "theirs.safetensors") is None


def test_train_without_out_says_what_it_replaces(trained_model, tmp_path, monkeypatch):
    _earlier_run(trained_model, tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.txt").write_text("")
    done = invoke("train", "empty.txt", "--steps", "1")  # refused on its data, after the note
    assert done.returncode == 1
    assert "this run replaces model.safetensors" in done.stderr, done.stderr
    done = invoke("train", "empty.txt", "--steps", "1", "--out", "model.safetensors")
    assert "replaces" not in done.stderr, done.stderr  # named by the user: no note
