"""An id-cache folder may hold a user's files: rebuilding a cache removes only the entries
seqlab's caches wrote (named by a key and described by a seqlab manifest), never a user's
`settings.json`, `keep.ids` or a key-named file holding something else (qaA s22 finding 1)."""

from __future__ import annotations

import json

import numpy as np

from seqlab.nlp.corpora import cached_token_ids
from seqlab.nlp.corpora.cache_folder import cache_entries, foreign_entries
from seqlab.nlp.corpora.labelled_ids import LabelledSource, cached_row_ids
from seqlab.nlp.corpora.pair_ids import cached_pair_ids
from seqlab.nlp.tokenizers import CharTokenizer

KEY = "0123456789abcdef0123456789abcdef"


def _users_files(cache):
    """Files a user keeps in the folder, some with seqlab's names or extensions."""
    cache.mkdir(exist_ok=True)
    files = {"settings.json": '{"my": 1}', "keep.ids": "x", "notes.offsets": "y",
             f"{KEY}.json": '{"version": 3, "mine": true}',  # a key's name, not a manifest
             f"{KEY}.ids": "mine", f"{'f' * 32}.pairs.json": "[1, 2]"}
    for name, text in files.items():
        (cache / name).write_text(text)
    return files


def _foreign(files):
    """What `foreign_entries` reports of them: all but the key-named data file (seqlab's by
    name, left without its manifest: never removed, not reported)."""
    return sorted(name for name in files if name != f"{KEY}.ids")


def test_a_rebuilt_corpus_cache_keeps_the_users_files_and_drops_its_old_entry(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abc abc\n" * 50)
    tokenizer = CharTokenizer.train("abc \n")
    cache = tmp_path / "run.cache"
    files = _users_files(cache)
    assert [p.name for p in foreign_entries(cache)] == _foreign(files)
    cached_token_ids(corpus, tokenizer, cache)
    first = set(cache_entries(cache))
    # the lock file and the new entry are seqlab's
    assert len(first) == 1 and [p.name for p in foreign_entries(cache)] == _foreign(files)
    corpus.write_text("cab cab\n" * 50)  # another key: the old entry is stale
    ids = cached_token_ids(corpus, tokenizer, cache)
    assert np.array_equal(ids, tokenizer.encode(corpus.read_text()))
    assert set(cache_entries(cache)).isdisjoint(first) and len(cache_entries(cache)) == 1
    for name, text in files.items():
        assert (cache / name).read_text() == text, name


def test_labelled_and_pairs_caches_keep_the_users_files(tmp_path):
    rows = tmp_path / "rows.tsv"
    tokenizer = CharTokenizer.train("abcdefgh \n")
    cache = tmp_path / "run.cache"
    files = _users_files(cache)
    for text in ("label\ttext\npos\tabc\nneg\tdef\n", "label\ttext\npos\tabd\nneg\tgef\n"):
        rows.write_text(text)
        cached_row_ids(LabelledSource([rows]), tokenizer, 10, cache)

        def pairs(text=text):
            yield from (tuple(line.split("\t")) for line in text.splitlines()[1:])

        cached_pair_ids(pairs, [rows], lambda s: False, {"val_fraction": 0}, tokenizer,
                        tokenizer, cache)
    assert len(cache_entries(cache)) == 1  # the last pairs entry: each build drops the others
    for name, text in files.items():
        assert (cache / name).read_text() == text, name
    assert [p.name for p in foreign_entries(cache)] == _foreign(files)


def test_an_old_versions_entry_is_recognised_by_its_manifest(tmp_path):
    cache = tmp_path / "c"
    cache.mkdir()
    old = "a" * 32
    (cache / f"{old}.ids").write_bytes(b"\x00\x01")
    (cache / f"{old}.json").write_text(json.dumps({"dtype": "uint8", "length": 2,
                                                  "version": 1}))
    assert cache_entries(cache) == {old: [cache / f"{old}.ids", cache / f"{old}.json"]}
    assert foreign_entries(cache) == []
