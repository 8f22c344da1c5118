"""Counting in a memory budget (sorted runs spilled to disk, merged) gives the in-memory model."""

import numpy as np
import pytest

from seqlab.nlp import ngram
from seqlab.nlp.ngram.counting import count_ngrams
from seqlab.nlp.ngram.external import (
    CountingStats,
    Counts,
    count_ngrams_external,
    merge_sorted_runs,
)
from seqlab.nlp.ngram.vocabulary import encode_corpus


def _corpus(seed=0, sentences=300):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(60)]
    weights = 1.0 / np.arange(1, 61)
    weights /= weights.sum()
    out = []
    for _ in range(sentences):
        length = int(rng.integers(0, 12))
        out.append([words[i] for i in rng.choice(60, size=length, p=weights)])
    out.append(["w1"] * 40)  # one long sentence
    return out


@pytest.mark.parametrize("order,unk_cutoff", [(1, 1), (2, 2), (3, 1), (5, 2)])
def test_tables_equal_the_in_memory_count_with_many_spills(order, unk_cutoff, tmp_path):
    sentences = _corpus(order)
    vocab, padded, position = encode_corpus(sentences, unk_cutoff)
    expected = count_ngrams(padded, position, order, len(vocab))
    stats = CountingStats()
    got_vocab, tables = count_ngrams_external(iter(sentences), order, unk_cutoff,
                                              memory_bytes=8192, scratch_dir=tmp_path,
                                              stats=stats)
    assert got_vocab == vocab
    if order > 1:
        assert min(stats.runs.values()) >= 3  # the tiny budget really spilled several runs
    for want, got in zip(expected, tables, strict=True):
        for name in ("keys", "counts", "parent", "words", "suffix", "starts_with_bos"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert list(tmp_path.iterdir()) == []  # scratch files removed


@pytest.mark.parametrize("model_class", [ngram.KneserNey, ngram.WittenBell, ngram.AddK])
def test_arpa_from_the_budgeted_count_is_the_in_memory_arpa(model_class, tmp_path):
    sentences = _corpus(7, 400)
    in_memory = model_class(4, unk_cutoff=2).fit(sentences)
    budgeted = model_class(4, unk_cutoff=2).fit_external(
        (s for s in sentences), memory_bytes=16384, scratch_dir=tmp_path)
    in_memory.save_arpa(tmp_path / "a.arpa")
    budgeted.save_arpa(tmp_path / "b.arpa")
    assert (tmp_path / "a.arpa").read_bytes() == (tmp_path / "b.arpa").read_bytes()


def test_merge_of_sorted_runs_with_small_windows():
    rng = np.random.default_rng(3)
    runs, everything = [], {}
    for _ in range(5):
        keys = np.unique(rng.integers(0, 200, size=int(rng.integers(0, 80))))
        counts = rng.integers(1, 5, size=len(keys))
        runs.append(Counts(keys, counts, keys % 7))
        for key, count in zip(keys.tolist(), counts.tolist()):
            everything[key] = everything.get(key, 0) + count
    merged = merge_sorted_runs(runs, window_rows=3)
    assert merged.keys.tolist() == sorted(everything)
    assert merged.counts.tolist() == [everything[k] for k in sorted(everything)]
    np.testing.assert_array_equal(merged.suffix, merged.keys % 7)


def test_reserved_tokens_and_empty_corpora_are_refused(tmp_path):
    with pytest.raises(ValueError, match="reserved token '<s>'"):
        count_ngrams_external([["a", "<s>"]], 2, scratch_dir=tmp_path)
    with pytest.raises(ValueError, match="empty corpus"):
        count_ngrams_external([], 2, scratch_dir=tmp_path)


def test_padded_blocks_stay_near_the_block_size_whatever_the_sentence_length():
    """A block (the unit --memory is budgeted in) overshoots by a sentence or two, for short
    and for long sentences alike, and every sentence lands in exactly one block in order."""
    import numpy as np

    from seqlab.nlp.ngram.external import VocabularyBuilder, padded_blocks

    rng = np.random.default_rng(0)
    for mean_length in (3, 80, 400):
        sentences = [[f"w{t}" for t in rng.integers(0, 50, size=max(1, int(n)))]
                     for n in rng.poisson(mean_length, size=600)]
        longest = max(map(len, sentences)) + 2
        blocks = list(padded_blocks(iter(sentences), 1000, VocabularyBuilder().add_tokens))
        assert sum(count for _, count in blocks) == len(sentences)
        assert sum(len(padded) for padded, _ in blocks) == sum(len(s) + 2 for s in sentences)
        assert all(len(padded) < 1000 + 2 * longest for padded, _ in blocks[:-1])


def test_block_keys_are_searched_in_slices_that_give_the_table_pages_back(tmp_path,
                                                                         monkeypatch):
    """Each block's sorted keys are found in the memory-mapped table a slice at a time (the
    same rows as np.searchsorted), and the table's pages are released as the slices move on
    rather than all being resident after one search."""
    from seqlab.autograd.mapped_pages import PageReleaser
    from seqlab.nlp.ngram import external

    rng = np.random.default_rng(5)
    table = np.unique(rng.integers(0, 10**9, 200_000, dtype=np.int64))
    table.tofile(tmp_path / "keys.raw")
    mapped = np.memmap(tmp_path / "keys.raw", dtype=np.int64, mode="r")
    needles = np.unique(np.concatenate([rng.choice(table, 3000),
                                        rng.integers(0, 10**9, 3000, dtype=np.int64)]))
    monkeypatch.setattr(external, "SEARCH_SLICE", 97)
    releases = []
    pages = PageReleaser(mapped, every_bytes=64 << 10)
    monkeypatch.setattr(pages, "release", lambda: releases.append(1))
    rows = external._search_table(mapped, needles, pages)
    np.testing.assert_array_equal(rows, np.searchsorted(table, needles))
    assert len(releases) >= 8  # 1.6 MB of table searched, given back every 64 KB or so
