"""A command holds --out's lock, which proves no live seqlab run writes --out: a killed save's
hidden temporary of --out (`.lm.arpa.XXXXXXXX.tmp`) is removed; another file's stays. (The
checkpoint folder's are removed by its own lock: tests/seqmodels/test_stale_temporaries.py.)"""

from __future__ import annotations

from inprocess import invoke


def test_a_command_removes_its_outputs_stale_temporaries(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c a b\nb c a\n" * 20, encoding="utf-8")
    stale, other = tmp_path / ".lm.arpa.k2x_9abc.tmp", tmp_path / ".other.arpa.k2x_9abc.tmp"
    stale.write_text("half")
    other.write_text("half")
    done = invoke("ngram", "train", corpus, "--order", "2", "--out", tmp_path / "lm.arpa")
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and other.exists()


def test_a_training_run_removes_the_stale_temporaries_of_the_files_beside_its_out(tmp_path):
    """qaA s24 finding 0: `kill -9` in the save of NAME.train.safetensors (or the metrics log)
    left `.NAME.train.safetensors.XXXXXXXX.tmp` for good. The lock on --out covers every file
    named after it, so the next run on that --out removes theirs too; a temporary of another
    output's files, or a name the atomic helper does not make, stays. (The corpus is refused
    after the lock is taken: no training is needed to prove it.)"""
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"abc\x00def\n")
    stale = [tmp_path / f".m{side}.k2x_9abc.tmp"
             for side in (".safetensors", ".train.safetensors", ".metrics.jsonl")]
    kept = [tmp_path / ".other.train.safetensors.k2x_9abc.tmp",
            tmp_path / ".m.train.safetensors.tmp", tmp_path / "m.train.safetensors.k2x_9abc.tmp"]
    for path in (*stale, *kept):
        path.write_text("half")
    done = invoke("train", corpus, "--steps", "1", "--out", tmp_path / "m.safetensors")
    assert done.returncode != 0 and "NUL" in done.stderr, done.stderr
    assert [path.name for path in stale if path.exists()] == []
    assert all(path.exists() for path in kept)
