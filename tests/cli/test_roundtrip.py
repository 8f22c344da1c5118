"""train -> generate -> eval -> info through the real command, with --json outputs parsed."""

from __future__ import annotations

import json

import numpy as np
import safetensors.numpy
from cli_helpers import TINY, popen, run


def test_train_writes_model_metrics_and_json(tmp_path, corpus_file):
    out = tmp_path / "m.safetensors"
    done = run("train", str(corpus_file), "--steps", "10", "--out", str(out), "--json",
               *[a for a in TINY if a != "--quiet"])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["steps"] == 10 and result["stop_reason"] == "steps"
    assert result["valid_loss"] > 0 and np.isfinite(result["valid_bits_per_token"])
    metrics = [json.loads(line) for line in (tmp_path / "m.metrics.jsonl").read_text().splitlines()]
    assert any(m["type"] == "valid" for m in metrics)
    # the model file is plain safetensors with PyTorch's parameter names
    tensors = safetensors.numpy.load_file(out)
    assert "rnn.weight_ih_l0" in tensors and tensors["rnn.weight_hh_l0"].shape == (64, 16)
    assert not any(key.startswith("optimizer") for key in tensors)


def test_generate_is_seeded_and_evaluates(trained_model, corpus_file):
    first = run("generate", str(trained_model), "--prompt", "The ", "--length", "40",
                "--seed", "3")
    second = run("generate", str(trained_model), "--prompt", "The ", "--length", "40",
                 "--seed", "3")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and first.stdout.startswith("The ")
    assert len(first.stdout.strip()) >= 40
    greedy = run("generate", str(trained_model), "--prompt", "The ", "--length", "20",
                 "--greedy")
    beam = run("generate", str(trained_model), "--prompt", "The ", "--length", "10",
               "--beam", "3")
    piped = run("generate", str(trained_model), "-", "--length", "10", "--top-k", "5",
                "--top-p", "0.9", input="To be")
    for done in (greedy, beam, piped):
        assert done.returncode == 0, done.stderr
    assert piped.stdout.startswith("To be")
    evaluated = run("eval", str(trained_model), str(corpus_file), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["perplexity"] > 1 and abs(metrics["bits_per_token"] * np.log(2)
                                              - metrics["loss"]) < 1e-9
    info = run("info", str(trained_model), "--json")
    assert json.loads(info.stdout)["config"]["hidden_size"] == 16


def test_unknown_prompt_characters_warn_not_crash(trained_model):
    done = run("generate", str(trained_model), "--prompt", "Zürich ✓", "--length", "5")
    assert done.returncode == 0
    assert "warning" in done.stderr and "<unk>" in done.stderr


def test_generation_streams_before_the_process_ends(trained_model):
    process = popen("generate", str(trained_model), "--prompt", "a", "--length", "200000",
                    "--seed", "1", stdout=-1, stderr=-1)
    try:
        first = process.stdout.read(20)
        assert len(first) == 20
        assert process.poll() is None  # still generating while we already read its output
    finally:
        process.kill()
        process.wait()


def test_empty_prompt_starts_anywhere(trained_model):
    done = run("generate", str(trained_model), "--length", "15", "--seed", "0")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) > 0


def test_corpora_lists_embedded_sets():
    done = run("corpora", "--json")
    names = {c["name"] for c in json.loads(done.stdout)["corpora"]}
    assert {"lee", "wiki", "wordsim353"} <= names


def test_word_level_training_and_generation(tmp_path, corpus_file):
    out = tmp_path / "w.safetensors"
    done = run("train", str(corpus_file), "--level", "word", "--cell", "gru", "--steps", "5",
               "--out", str(out), *TINY)
    assert done.returncode == 0, done.stderr
    generated = run("generate", str(out), "--prompt", "the quick", "--length", "8", "--seed", "1")
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith("the quick")
