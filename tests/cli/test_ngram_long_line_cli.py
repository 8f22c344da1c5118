"""`ngram train` / `ngram eval` on a corpus that is one long line (text8: no newline) read a
chunk at a time: the ARPA file, the counts reported and the perplexity are those of the same
text read whole, and counting never holds more than a block of --memory of the line."""

from __future__ import annotations

import json
import random

import pytest
from inprocess import invoke

from seqlab.nlp import corpora, ngram
from seqlab.nlp.ngram import external
from seqlab.nlp.ngram.sentences import LineTokens
from seqlab.nlp.ngram.streamed import train_kneser_ney_arpa

TOKENIZATION = {"level": "whitespace", "lowercase": False}


@pytest.fixture
def text8(tmp_path, monkeypatch):
    """A 6,000-word line with no newline, read in 64-byte chunks (many parts)."""
    rng = random.Random(0)
    words = ["the", "of", "and", "anarchism", "a", "term", "x", "caf\u00e9", "U.S.", "don't"]
    text = " " + " ".join(rng.choice(words) for _ in range(6000))
    path = tmp_path / "text8"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(corpora, "COUNTING_CHUNK_BYTES", 64)
    return path, text.split()


def test_train_counts_a_long_line_in_blocks_and_writes_the_whole_lines_arpa(
        tmp_path, text8, monkeypatch):
    path, tokens = text8
    expected = tmp_path / "expected.arpa"
    train_kneser_ney_arpa([tokens], 3, expected, 1 << 28, scratch_dir=tmp_path,
                          tokenization=TOKENIZATION)
    seen = []
    real_count_block = external.count_block

    def recording(ids, *args, **kwargs):
        seen.append(len(ids))
        return real_count_block(ids, *args, **kwargs)

    monkeypatch.setattr(external, "count_block", recording)
    out = tmp_path / "m.arpa"
    done = invoke("ngram", "train", path, "--level", "whitespace", "--order", "3",
                  "--memory", "1M", "--out", out, "--json")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == expected.read_bytes()
    report = json.loads(done.stdout)
    assert (report["sentences"], report["tokens"]) == (1, len(tokens))
    block = external.Budget.of(1 << 20, 3).block_tokens
    assert max(seen) <= block + 1 < len(tokens)  # blocks of the budget, not the line


def test_train_to_npz_counts_a_long_line_as_the_whole_line(tmp_path, text8):
    path, tokens = text8
    out = tmp_path / "m.npz"
    done = invoke("ngram", "train", path, "--level", "whitespace", "--smoothing",
                  "witten-bell", "--memory", "1M", "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    mine, whole = ngram.load(out), ngram.WittenBell(3).fit([tokens])
    assert mine.vocab == whole.vocab and mine.counts == whole.counts
    assert mine.score(tokens[:50]) == whole.score(tokens[:50])


def test_eval_of_a_long_line_is_the_whole_lines_perplexity(tmp_path, text8, monkeypatch):
    from seqlab.nlp.ngram import kernels

    path, tokens = text8
    train = tmp_path / "train.txt"
    train.write_text(" ".join(tokens[:2000]) + "\n")
    model_path = tmp_path / "m.arpa"
    assert invoke("ngram", "train", train, "--level", "whitespace", "--out", model_path,
                  "-q").returncode == 0
    seen = []
    real_score = kernels.score_padded

    def recording(padded, *args):
        seen.append(len(padded))
        return real_score(padded, *args)

    monkeypatch.setattr(kernels, "score_padded", recording)
    done = invoke("ngram", "eval", model_path, path, "--json")
    assert max(seen) <= 5 * 64 + 3 < len(tokens)  # a part and its context, not the line
    monkeypatch.setattr(kernels, "score_padded", real_score)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    model = ngram.load_arpa(model_path)
    assert report["perplexity"] == model.perplexity([tokens])
    assert (report["sentences"], report["tokens"]) == (1, len(tokens) + 1)
    assert LineTokens("whitespace")(path.read_text()) == tokens
