"""Two processes (subprocesses, not threads) on one id-cache folder at once: the second waits
for the first's cache and reuses it, never corrupts it or crashes; a read-only cache folder is
read without a lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from seqlab.nlp.corpora import cached_token_ids
from seqlab.nlp.tokenizers import CharTokenizer

BUILD = textwrap.dedent("""
    import json, os, sys
    from seqlab.nlp.corpora import cached_token_ids
    from seqlab.nlp.tokenizers import CharTokenizer
    corpus, cache, go = sys.argv[1:4]
    tokenizer = CharTokenizer.train(open(corpus, encoding="utf-8").read())
    while not os.path.exists(go):  # start together
        pass
    ids = cached_token_ids(corpus, tokenizer, cache)
    try:  # another key's build may delete this file once we hold its map (remove_stale)
        inode = os.stat(ids.filename).st_ino
    except FileNotFoundError:
        inode = None
    print(json.dumps({"inode": inode, "sum": int(ids.sum(dtype="int64")),
                      "size": int(ids.size)}), flush=True)
""")


def _corpus(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    words = ["alpha", "beta", "gamma", "delta", "naïve", "x"]
    path.write_text("\n".join(" ".join(rng.choice(words, 12)) for _ in range(60_000)),
                    encoding="utf-8")
    return path


def _race(tmp_path: Path, corpora: list[Path]) -> list[dict]:
    cache = tmp_path / "shared.cache"
    go = tmp_path / "go"
    runs = [subprocess.Popen([sys.executable, "-c", BUILD, str(corpus), str(cache), str(go)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for corpus in corpora]
    go.touch()
    results = []
    for process in runs:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    assert not (cache / ".seqlab-lock").exists()
    return results


def test_two_processes_building_one_cache_share_one_build(tmp_path):
    corpus = _corpus(tmp_path / "c.txt", 0)
    first, second = _race(tmp_path, [corpus, corpus])
    assert first == second and first["inode"] is not None  # the second reused the first's file
    tokenizer = CharTokenizer.train(corpus.read_text(encoding="utf-8"))
    whole = np.asarray(tokenizer.encode(corpus.read_text(encoding="utf-8")), dtype=np.int64)
    assert first["sum"] == int(whole.sum()) and first["size"] == whole.size
    assert len(list((tmp_path / "shared.cache").glob("*.ids"))) == 1


def test_two_processes_building_other_caches_in_one_folder_both_finish(tmp_path):
    corpora = [_corpus(tmp_path / "a.txt", 1), _corpus(tmp_path / "b.txt", 2)]
    for corpus, result in zip(corpora, _race(tmp_path, corpora), strict=True):
        tokenizer = CharTokenizer.train(corpus.read_text(encoding="utf-8"))
        whole = np.asarray(tokenizer.encode(corpus.read_text(encoding="utf-8")), np.int64)
        assert result["sum"] == int(whole.sum()) and result["size"] == whole.size


def test_a_read_only_cache_folder_is_read_without_a_lock(tmp_path):
    corpus = _corpus(tmp_path / "c.txt", 3)
    tokenizer = CharTokenizer.train(corpus.read_text(encoding="utf-8"))
    built = np.array(cached_token_ids(corpus, tokenizer, tmp_path / "cache"))
    view = tmp_path / "read-only"
    view.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    bound = subprocess.run(["mount", "--bind", "-o", "ro", str(tmp_path / "cache"), str(view)],
                           capture_output=True, text=True)
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {bound.stderr.strip()}")
    try:
        with pytest.raises(OSError):
            (view / "probe").touch()
        np.testing.assert_array_equal(cached_token_ids(corpus, tokenizer, view), built)
    finally:
        subprocess.run(["umount", str(view)], check=False)
