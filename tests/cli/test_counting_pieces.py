"""Counting passes read smaller pieces (issue 16): the same tokenizer as from the whole text."""

import numpy as np
from inprocess import invoke

from seqlab.cli.inputs import CorpusPieces
from seqlab.nlp.corpora import COUNTING_CHUNK_BYTES
from seqlab.nlp.tokenizers import BPETokenizer, load_tokenizer


def _text(lines: int) -> str:
    """Lines of random words over a small alphabet, with multi-byte characters and CRLF."""
    rng = np.random.default_rng(3)
    words = ["the", "café", "naïve", "日本", "x", "don't", "12,5", "ab", "abc", "b"]
    out = []
    for number in range(lines):
        line = " ".join(words[i] for i in rng.integers(0, len(words), rng.integers(1, 25)))
        out.append(line + ("\r\n" if number % 7 == 0 else "\n"))
    return "".join(out)


def test_pieces_of_the_given_size_join_to_the_text(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(_text(300), encoding="utf-8", newline="")
    text = path.read_bytes().decode("utf-8")
    default = list(CorpusPieces([path]))
    small = list(CorpusPieces([path], chunk_bytes=64))
    assert len(default) <= 2 and len(small) > 50
    assert "".join(small) == "".join(default) == text


def test_tokenize_train_counts_pieces_and_learns_the_whole_text_merges(tmp_path, monkeypatch):
    from seqlab.nlp import corpora

    sizes = []

    def recording(*args, **options):
        sizes.append(options.get("chunk_bytes"))
        return iter_pieces(*args, **options)

    iter_pieces = corpora.iter_pieces
    monkeypatch.setattr(corpora, "iter_pieces", recording)
    path = tmp_path / "c.txt"
    path.write_text(_text(40_000), encoding="utf-8", newline="")
    assert path.stat().st_size > 3 * COUNTING_CHUNK_BYTES  # several pieces
    out = tmp_path / "bpe.json"
    done = invoke("tokenize", "train", path, "--level", "bpe", "--vocab-size", "300",
                  "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    whole = BPETokenizer.train(path.read_bytes().decode("utf-8"), vocab_size=300)
    assert load_tokenizer(out).merges == whole.merges
    assert sizes and set(sizes) == {COUNTING_CHUNK_BYTES}
