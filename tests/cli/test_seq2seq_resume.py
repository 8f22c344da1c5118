"""`seqlab seq2seq train --resume` continues a run from its record alone, exactly; `--init-from`
starts a new run (other pairs, other options) from a model's weights and vocabularies."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from inprocess import invoke

from seqlab.seqmodels.checkpoint import load_checkpoint

OPTIONS = ["--hidden", "16", "--layers", "1", "--embedding-dim", "8", "--batch-size", "16",
           "--lr", "5e-3", "--dropout", "0.1", "--eval-every", "4", "--warmup-steps", "2",
           "--quiet", "--json"]


def pairs_file(path, seed, count=300, letters="abcdef"):
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(1, 5)))
        lines.append(f"{word}\t{' '.join(word[::-1].upper())}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return pairs_file(tmp_path_factory.mktemp("pairs") / "reverse.tsv", 0)


def weights(path):
    return load_checkpoint(path, training=False).state


def test_resume_from_the_record_alone_continues_exactly(pairs, tmp_path, monkeypatch):
    from seqlab.seqmodels.trainer import Trainer

    straight = tmp_path / "straight.safetensors"
    done = invoke("seq2seq", "train", pairs, "--out", straight, "--steps", "8", *OPTIONS)
    assert done.returncode == 0, done.stderr
    # the same run stopped after step 3 as Ctrl-C stops it, then resumed with no data or options
    original = Trainer.train_step

    def stop_after_three(self):
        metrics = original(self)
        if self.step == 3:
            self.request_stop()
        return metrics

    halves = tmp_path / "halves.safetensors"
    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "train_step", stop_after_three)
        stopped = invoke("seq2seq", "train", pairs, "--out", halves, "--steps", "8", *OPTIONS)
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["stop_reason"] == "stop_requested"
    assert load_checkpoint(halves).training.trainer["step"] == 3
    resumed = invoke("seq2seq", "train", "--resume", halves, "--json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["steps"] == 8 and result["model"] == str(halves)
    expected, found = weights(straight), weights(halves)
    assert expected.keys() == found.keys()
    for name in expected:  # same batches, dropout masks and learning rates (cosine decay)
        np.testing.assert_array_equal(found[name], expected[name], err_msg=name)
    rows = [json.loads(line) for line in (tmp_path / "straight.metrics.jsonl").open()]
    rows_halves = [json.loads(line) for line in (tmp_path / "halves.metrics.jsonl").open()]

    def trace(table):
        return [(r["type"], r["step"], r["loss"], r.get("lr")) for r in table]

    assert trace(rows_halves) == trace(rows)
    schedule = load_checkpoint(halves).training.scheduler  # cosine decay, at its end
    assert schedule["shape"] == "cosine" and schedule["progress"] == 1.0


def test_resume_refuses_other_data_or_batching_and_points_to_init_from(pairs, tmp_path):
    out = tmp_path / "run.safetensors"
    assert invoke("seq2seq", "train", pairs, "--out", out, "--steps", "2",
                  *OPTIONS).returncode == 0
    other = pairs_file(tmp_path / "other.tsv", 1)
    moved = invoke("seq2seq", "train", other, "--resume", out, "--steps", "4")
    assert moved.returncode == 1 and "--init-from" in moved.stderr
    batch = invoke("seq2seq", "train", "--resume", out, "--steps", "4", "--batch-size", "8")
    assert batch.returncode == 1 and "--batch-size" in batch.stderr
    shape = invoke("seq2seq", "train", "--resume", out, "--steps", "4", "--hidden", "32")
    assert shape.returncode == 1 and "hidden_size" in shape.stderr
    both = invoke("seq2seq", "train", "--resume", out, "--init-from", out, "--steps", "4")
    assert both.returncode == 2 and "not both" in both.stderr
    for done in (moved, batch, shape, both):
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert weights(out)  # untouched and still loadable


def test_init_from_fine_tunes_on_other_pairs_with_new_options(pairs, tmp_path):
    base = tmp_path / "base.safetensors"
    assert invoke("seq2seq", "train", pairs, "--out", base, "--steps", "6",
                  *OPTIONS).returncode == 0
    other = pairs_file(tmp_path / "other.tsv", 2, letters="abc")
    tuned = tmp_path / "tuned.safetensors"
    done = invoke("seq2seq", "train", other, "--init-from", base, "--out", tuned, "--steps", "1",
                  "--lr", "1e-20", "--warmup-steps", "0", "--batch-size", "8", "--quiet", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps"] == 1  # a new run: its own step count
    start, after = weights(base), weights(tuned)
    for name in start:  # a step far below float32 round-off: the starting model's weights
        np.testing.assert_array_equal(after[name], start[name], err_msg=name)
    header = load_checkpoint(tuned, training=False)
    assert header.config == load_checkpoint(base, training=False).config
    assert header.tokenizer == load_checkpoint(base, training=False).tokenizer
    record = load_checkpoint(tuned).training.run
    assert record["init_from"] == str(base.resolve()) and record["batch_size"] == 8
    moved = invoke("seq2seq", "train", other, "--init-from", base, "--out",
                   tmp_path / "x.safetensors", "--steps", "1", "--hidden", "32")
    assert moved.returncode == 1 and "hidden_size" in moved.stderr
    same = invoke("seq2seq", "train", other, "--init-from", base, "--out", base, "--steps", "1")
    assert same.returncode != 0 and "Traceback" not in same.stderr
