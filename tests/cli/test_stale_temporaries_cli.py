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
