"""`--resume NAME.safetensors` after a `kill -9` (QA stop 18, fixQ2 item 1): NAME's own files
are written only when a run ends, so the run continues from the newest complete numbered
checkpoint in NAME.checkpoints/ and says which; a step's training-state file names its model
file instead of being called "not a seqlab checkpoint"."""

from __future__ import annotations

import json
import shutil

from cli_helpers import TINY
from inprocess import assert_one_line_failure, invoke, snapshot


def _killed_run(tmp_path, corpus_file, steps=4):
    out = tmp_path / "Q.safetensors"
    done = invoke("train", str(corpus_file), "--steps", str(steps), "--checkpoint-every", "2",
                  "--out", str(out), *TINY)
    assert done.returncode == 0, done.stderr
    # what a killed run leaves: numbered checkpoints (a run that ends tidies them away, so
    # NAME's two files become step 4's), and not NAME's own two files
    folder = tmp_path / "Q.checkpoints"
    folder.mkdir(exist_ok=True)
    shutil.move(out, folder / f"step-{steps:08d}.safetensors")
    shutil.move(tmp_path / "Q.train.safetensors", folder / f"step-{steps:08d}.train.safetensors")
    return out


def test_resume_continues_from_the_newest_numbered_checkpoint(tmp_path, corpus_file):
    out = _killed_run(tmp_path, corpus_file)
    step = tmp_path / "Q.checkpoints" / "step-00000004.safetensors"
    assert step.exists()
    resumed = invoke("train", "--resume", str(out), "--steps", "6")
    assert resumed.returncode == 0, resumed.stderr
    said = "".join(resumed.stderr.split())  # the console wraps long paths
    assert f"resumingfrom{step}" in said, resumed.stderr
    assert json.loads(invoke("info", str(out), "--json").stdout)["step"] == 6


def test_resume_never_chooses_between_two_runs_checkpoints(tmp_path, corpus_file):
    """With NAME.safetensors missing, --resume NAME continues NAME's run from its newest
    checkpoint; a folder holding two runs' checkpoints (run B's step 6 copied beside run A's
    step 4) has no one run to continue: it is refused in one line naming each run's newest
    checkpoint, even with --force (which would remove the run not picked), and nothing is
    changed (leftovers s21, item 2)."""
    out = _killed_run(tmp_path, corpus_file)
    other = tmp_path / "B"
    other.mkdir()
    _killed_run(other, corpus_file, steps=6)
    for suffix in (".safetensors", ".train.safetensors"):
        shutil.move(other / "Q.checkpoints" / f"step-00000006{suffix}",
                    tmp_path / "Q.checkpoints" / f"step-00000006{suffix}")
    before = snapshot(tmp_path / "Q.checkpoints")
    for force in ([], ["--force"]):
        done = invoke("train", "--resume", str(out), "--steps", "8", *force)
        assert_one_line_failure(done, "2 runs", "step-00000004.safetensors",
                                "step-00000006.safetensors")
        assert snapshot(tmp_path / "Q.checkpoints") == before
        assert not out.exists()


def test_no_checkpoint_at_all_is_still_one_line(tmp_path):
    missing = tmp_path / "none.safetensors"
    done = invoke("train", "--resume", str(missing), "--steps", "2")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "not found" in done.stderr and "none.checkpoints" in done.stderr, done.stderr


def test_a_training_state_file_names_its_model_file(tmp_path, corpus_file):
    _killed_run(tmp_path, corpus_file)
    state = tmp_path / "Q.checkpoints" / "step-00000004.train.safetensors"
    done = invoke("train", "--resume", str(state), "--steps", "6")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    text = " ".join(done.stderr.split())
    assert "not a seqlab checkpoint" not in text, text
    assert "step-00000004.safetensors" in text and "training state" in text, text


def test_forecast_train_resumes_the_same_way(tmp_path):
    out = tmp_path / "F.safetensors"
    done = invoke("forecast", "train", "--series", "sunspots", "--steps", "4", "--out", str(out),
                  "--hidden", "8", "--window", "6", "--quiet")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "F.checkpoints"
    folder.mkdir(exist_ok=True)
    shutil.move(out, folder / "step-00000004.safetensors")
    shutil.move(tmp_path / "F.train.safetensors", folder / "step-00000004.train.safetensors")
    resumed = invoke("forecast", "train", "--resume", str(out), "--steps", "6")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumingfrom" in "".join(resumed.stderr.split()), resumed.stderr
    assert json.loads(invoke("info", str(out), "--json").stdout)["step"] == 6


def test_seq2seq_train_resumes_the_same_way(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{' '.join(w[::-1])}\n"
                             for w in ["ab", "ba", "abc", "cab", "bca", "cc"] * 20))
    out = tmp_path / "S.safetensors"
    done = invoke("seq2seq", "train", str(pairs), "--out", str(out), "--steps", "2",
                  "--hidden", "8", "--layers", "1", "--embedding-dim", "4", "--quiet")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "S.checkpoints"
    folder.mkdir(exist_ok=True)
    shutil.move(out, folder / "step-00000002.safetensors")
    shutil.move(tmp_path / "S.train.safetensors", folder / "step-00000002.train.safetensors")
    resumed = invoke("seq2seq", "train", "--resume", str(out), "--steps", "3")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumingfrom" in "".join(resumed.stderr.split()), resumed.stderr
    assert json.loads(invoke("info", str(out), "--json").stdout)["step"] == 3


def test_classify_train_resumes_the_same_way(tmp_path):
    data = tmp_path / "reviews.csv"
    data.write_text("text,label\n" + "".join(f"{w} film,{'pos' if i % 2 else 'neg'}\n"
                                           for i, w in enumerate(["good", "bad"] * 20)))
    out = tmp_path / "C.safetensors"
    done = invoke("classify", "train", str(data), "--out", str(out), "--steps", "3",
                  "--hidden", "8", "--embedding-dim", "6", "--batch-size", "8", "--quiet")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "C.checkpoints"
    folder.mkdir(exist_ok=True)
    shutil.move(out, folder / "step-00000003.safetensors")
    shutil.move(tmp_path / "C.train.safetensors", folder / "step-00000003.train.safetensors")
    resumed = invoke("classify", "train", "--resume", str(out), "--steps", "5")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumingfrom" in "".join(resumed.stderr.split()), resumed.stderr
    assert json.loads(invoke("info", str(out), "--json").stdout)["step"] == 5


def test_a_run_killed_before_runs_were_recorded_is_tidied_as_this_one(tmp_path, corpus_file):
    """Checkpoints saved before stop 20 record no run id; resuming from one continues that
    run, so as it ends its earlier checkpoints go too, and are not "another run's"."""
    from seqlab.autograd import io

    out = _killed_run(tmp_path, corpus_file)
    folder = tmp_path / "Q.checkpoints"
    for suffix in (".safetensors", ".train.safetensors"):  # an earlier step of the same run
        shutil.copy(folder / f"step-00000004{suffix}", folder / f"step-00000002{suffix}")
    for name in ("step-00000002.safetensors", "step-00000004.safetensors"):
        tensors, header = io.load(folder / name)
        del header["run_id"]  # as seqlab wrote checkpoints before stop 20
        io.save(folder / name, tensors, header)
    resumed = invoke("train", "--resume", str(out), "--steps", "6")
    assert resumed.returncode == 0, resumed.stderr
    text = " ".join(resumed.stderr.split())
    assert "another run" not in text, text
    assert not list(folder.glob("step-*")), sorted(path.name for path in folder.iterdir())
