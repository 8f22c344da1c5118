"""Kneser-Ney streamed over files on disk in a tiny budget writes the in-memory path's ARPA."""

import os
import shutil
import subprocess

import numpy as np
import pytest

from seqlab.nlp.ngram import KneserNey, load_arpa
from seqlab.nlp.ngram.arpa import write_arpa
from seqlab.nlp.ngram.disk_arrays import ColumnWriter, gather, scatter_count
from seqlab.nlp.ngram.external import CountingStats, Counts, count_orders
from seqlab.nlp.ngram.streamed import (
    Plan,
    StreamedEstimate,
    train_kneser_ney_arpa,
    write_arpa_streamed,
)

TINY = 16384  # bytes: blocks of 64 rows, random-access chunks of 640 float64 rows


def _corpus(seed=0, sentences=400):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(80)] + ["é", "日本"]
    weights = 1.0 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    out = [[words[i] for i in rng.choice(len(words), size=int(rng.integers(0, 14)), p=weights)]
           for _ in range(sentences)]
    out.append(["w1"] * 40)  # one long sentence: a context with many continuations
    return out


@pytest.mark.parametrize("order,unk_cutoff", [(1, 1), (2, 2), (3, 1), (4, 2), (5, 3)])
def test_streamed_arpa_is_the_in_memory_arpa_byte_for_byte(order, unk_cutoff, tmp_path):
    sentences = _corpus(order)
    model = KneserNey(order, unk_cutoff=unk_cutoff).fit(sentences)
    model.save_arpa(tmp_path / "memory.arpa")
    stats = CountingStats()
    result = train_kneser_ney_arpa(iter(sentences), order, tmp_path / "streamed.arpa", TINY,
                                   unk_cutoff, scratch_dir=tmp_path, stream=True, stats=stats)
    assert result.streamed and result.counts == model.counts
    assert result.discounts == model.discounts
    if order > 1:  # several spilled runs, several blocks and several random-access passes
        assert min(stats.runs.values()) >= 3
        assert max(result.counts) > Plan.of(TINY).chunk_rows
    if unk_cutoff > 1:
        assert any(line.split("\t")[1].split()[-1] == "<unk>" for line in
                   (tmp_path / "streamed.arpa").read_text().splitlines() if "\t" in line)
    assert (tmp_path / "streamed.arpa").read_bytes() == (tmp_path / "memory.arpa").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memory.arpa", "streamed.arpa"]


def test_the_in_memory_estimate_of_counts_on_disk_writes_the_same_file(tmp_path):
    sentences = _corpus(9)
    KneserNey(3, unk_cutoff=2).fit(sentences).save_arpa(tmp_path / "memory.arpa")
    result = train_kneser_ney_arpa(iter(sentences), 3, tmp_path / "auto.arpa", TINY, 2,
                                   scratch_dir=tmp_path, stream=False)
    assert not result.streamed
    assert (tmp_path / "auto.arpa").read_bytes() == (tmp_path / "memory.arpa").read_bytes()


def test_range_passes_equal_numpy(tmp_path):
    rng = np.random.default_rng(1)
    index_writer = ColumnWriter(tmp_path / "index.i64", np.int64)
    index = rng.integers(0, 1000, size=5000)
    index_writer.write(index)
    on_disk = index_writer.finish()
    counts = scatter_count(on_disk, 1003, chunk_bytes=97 * 4, block_rows=333,
                           path=tmp_path / "counts.i64")
    np.testing.assert_array_equal(counts, np.bincount(index, minlength=1003))
    source = rng.random(1000)
    source_writer = ColumnWriter(tmp_path / "source.f64", np.float64)
    source_writer.write(source)
    gathered = gather(source_writer.finish(), on_disk, chunk_bytes=128 * 8, block_rows=700,
                      path=tmp_path / "gathered.f64")
    np.testing.assert_array_equal(gathered, source[index])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counts.i64", "gathered.f64", "index.i64", "source.f64"]  # the passes' parts are gone


def test_streamed_writer_writes_what_write_arpa_writes_for_any_values(tmp_path):
    """Values the kernel cannot write (tiny, huge, -inf) go through Python in both writers."""
    vocab = ["<unk>", "<s>", "</s>", "a", "bé"]
    keys = [np.arange(5), np.array([1 * 5 + 3, 1 * 5 + 4, 3 * 5 + 2, 4 * 5 + 3])]
    keys.append(np.array([0 * 5 + 3, 1 * 5 + 2, 3 * 5 + 4]))  # parent row * V + word
    logprob = [np.array([-3.0, -np.inf, -1e-9, -0.5, -2.0]), np.array([-1.0, -2e-8, -0.3, -1.0]),
               np.array([-0.1, -0.2, -5000.0])]
    logbackoff = [np.array([0.0, -1e-12, 0.0, -0.25, 1e-7]), np.array([0.0, -0.5, 5000.0, 0.0]),
                  np.zeros(3)]
    write_arpa(tmp_path / "a.arpa", vocab, keys, logprob, logbackoff)
    higher = [Counts(k, np.ones_like(k), np.zeros_like(k)) for k in keys[1:]]
    log10 = [np.maximum(p / np.log(10), -99.0) for p in logprob]
    log10_backoff = [np.maximum(b / np.log(10), -99.0) for b in logbackoff[:-1]] + [np.zeros(0)]
    write_arpa_streamed(tmp_path / "b.arpa", vocab, higher, log10, log10_backoff, tmp_path,
                        Plan(block_rows=4, chunk_bytes=16))
    assert (tmp_path / "b.arpa").read_bytes() == (tmp_path / "a.arpa").read_bytes()
    text = (tmp_path / "b.arpa").read_text()
    assert "e-13\n" in text and "\t2171." in text  # rows Python wrote


def test_estimate_keeps_no_column_files_it_no_longer_needs(tmp_path):
    sentences = _corpus(4)
    vocab, unigrams, higher = count_orders(iter(sentences), 3, 1, TINY, tmp_path)
    estimate = StreamedEstimate(tmp_path, len(vocab), unigrams, higher, Plan.of(TINY))
    estimate.run()
    left = {p.name for p in tmp_path.iterdir()}
    assert not any(name.startswith(("adjusted", "lower", "prob")) for name in left), left
    assert len(estimate.log10prob) == 3 and len(estimate.log10backoff) == 3


def _find_lmplz() -> str | None:
    return os.environ.get("SEQLAB_LMPLZ") or shutil.which("lmplz")


@pytest.mark.skipif(_find_lmplz() is None,
                    reason="set SEQLAB_LMPLZ to KenLM's lmplz binary (or put it on PATH)")
def test_streamed_order_5_equals_lmplz_and_reads_back(tmp_path):
    sentences = [s for s in _corpus(11, 300) if s]
    text = "\n".join(" ".join(s) for s in sentences) + "\n"
    with open(tmp_path / "lmplz.arpa", "w") as out:
        subprocess.run([_find_lmplz(), "-o", "5", "-S", "100M", "-T", str(tmp_path),
                        "--discount_fallback"],
                       input=text, stdout=out, stderr=subprocess.DEVNULL, text=True, check=True)
    train_kneser_ney_arpa(iter(sentences), 5, tmp_path / "ours.arpa", TINY,
                          scratch_dir=tmp_path, stream=True)
    assert load_arpa(tmp_path / "ours.arpa").counts == load_arpa(tmp_path / "lmplz.arpa").counts

    def entries(path):
        return {fields[1]: [float(f) for f in fields[:1] + fields[2:]]
                for fields in (line.split("\t") for line in path.read_text().splitlines())
                if len(fields) >= 2 and fields[1] != "<s>"}

    mine, lmplz = entries(tmp_path / "ours.arpa"), entries(tmp_path / "lmplz.arpa")
    assert mine.keys() == lmplz.keys()
    for ngram, values in lmplz.items():  # lmplz computes in float32
        np.testing.assert_allclose(mine[ngram], values, atol=2e-6, err_msg=ngram)


def test_orders_with_no_ngrams_stream_to_the_same_file(tmp_path):
    sentences = [["a"], ["b"], ["a"], ["c", "a"]] * 3  # no 5-grams, one 4-gram
    KneserNey(5).fit(sentences).save_arpa(tmp_path / "memory.arpa")
    result = train_kneser_ney_arpa(iter(sentences), 5, tmp_path / "streamed.arpa", TINY,
                                   scratch_dir=tmp_path)
    assert result.counts[3:] == [1, 0]
    assert (tmp_path / "streamed.arpa").read_bytes() == (tmp_path / "memory.arpa").read_bytes()
