"""Commands stream files: `train` encodes once into a memory-mapped id cache beside the run,
`tokenize train` counts streamed pieces and learns what it learns from the whole text."""

from __future__ import annotations

import json

import numpy as np
from cli_helpers import CORPUS, TINY, run


def test_train_caches_narrow_ids_beside_the_run_and_reuses_them(tmp_path, corpus_file):
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.seqmodels.checkpoint import load_checkpoint

    out = tmp_path / "m.safetensors"
    done = run("train", str(corpus_file), "--steps", "3", "--level", "word", "--out", str(out),
               *TINY)
    assert done.returncode == 0, done.stderr
    (ids_file,) = (tmp_path / "m.cache").glob("*.ids")
    meta = json.loads(ids_file.with_suffix(".json").read_text())
    assert meta["dtype"] == "uint8"  # a word vocabulary of a few dozen words
    tokenizer = Tokenizer.from_dict(load_checkpoint(out).tokenizer)
    expected = []
    for line in CORPUS.split("\n"):
        if line.strip():
            expected += [*tokenizer.encode(line), tokenizer.eos_id]
    np.testing.assert_array_equal(np.fromfile(ids_file, dtype=np.uint8), expected)

    stamp = ids_file.stat().st_mtime_ns
    resumed = run("train", str(corpus_file), "--steps", "5", "--resume", str(out), "--out",
                  str(out), "--batch-size", "4", "--seq-len", "16", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert ids_file.stat().st_mtime_ns == stamp  # the corpus did not change: ids reused


def test_tokenize_train_from_a_stream_learns_the_whole_text_merges(tmp_path):
    from seqlab.nlp.tokenizers import BPETokenizer, load_tokenizer

    text = ("über naïve cafés, 日本語 text\r\n" * 50 + "tail with no newline ") * 30
    corpus = tmp_path / "c.txt"
    corpus.write_text(text, encoding="utf-8", newline="")
    out = tmp_path / "bpe.json"
    done = run("tokenize", "train", str(corpus), "--level", "bpe", "--vocab-size", "300",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert load_tokenizer(out).merges == BPETokenizer.train(text, vocab_size=300).merges
