"""A command given a checkpoint's training state (NAME.train.safetensors, which seqlab wrote)
where a model is needed says what the file is and which file to give instead, as `--resume`
does; a safetensors file seqlab did not write is refused without naming a Python function."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors.numpy
from inprocess import assert_one_line_failure, invoke

from seqlab.seqmodels.checkpoint import training_path

COMMANDS = [("generate",), ("eval",), ("info",), ("inspect",), ("classify", "predict"),
            ("forecast", "predict"), ("seq2seq", "translate")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_training_state_names_its_model_file(command, trained_model):
    state = training_path(trained_model)
    assert state.is_file()
    if command == ("info",):  # info describes the file itself, and names the model
        done = invoke("info", state, "--json")
        assert done.returncode == 0 and trained_model.name in done.stdout, done.stderr
        return
    done = invoke(*command, state, *(["-"] if command[-1] in ("predict", "translate") else []))
    assert_one_line_failure(done, f"{state} is the training state of", str(trained_model))
    assert "save_checkpoint" not in done.stderr


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != ("info",)], ids=" ".join)
def test_a_foreign_safetensors_file_names_no_python_function(command, tmp_path):
    foreign = tmp_path / "torch.safetensors"
    foreign.write_bytes(safetensors.numpy.save({"weight": np.zeros((2, 2), np.float32)}))
    done = invoke(*command, foreign, *(["-"] if command[-1] in ("predict", "translate") else []))
    assert_one_line_failure(done, str(foreign), "not a seqlab")
    assert "save_checkpoint" not in done.stderr
