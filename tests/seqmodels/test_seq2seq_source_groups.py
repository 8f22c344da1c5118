"""`seq2seq eval`'s grouping of pairs by source (hashes and locations, texts read back from
disk) gives the groups, and the scores, of a dict from every source to its references, also
when sources repeat far apart and when hashes collide."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

from seqlab.seqmodels.seq2seq import source_groups
from seqlab.seqmodels.seq2seq.data import read_pairs
from seqlab.seqmodels.seq2seq.scoring import G2PTotals, ScoreTotals, g2p_scores, score_outputs
from seqlab.seqmodels.seq2seq.source_groups import grouped_pair_files, grouped_pairs

PHONES = ["AH0", "AH1", "B", "K", "T", "IY1", "IY0", "S", "ER0", "ER1"]


def _pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """Pairs whose sources repeat, scattered (never only adjacent), some targets differing
    only in stress, some sources multi-byte."""
    rng = np.random.default_rng(seed)
    words = [f"w{n}é" if n % 3 == 0 else f"w{n}" for n in range(count // 3)]
    return [(str(rng.choice(words)), " ".join(rng.choice(PHONES, rng.integers(2, 9))))
            for _ in range(count)]


def _dict_groups(pairs):
    references: dict[str, list[str]] = {}
    for source, target in pairs:
        references.setdefault(source, []).append(target)
    return references


def _translations(references: dict[str, list[str]]) -> dict[str, list[str]]:
    """Stand-in translations: a source's last reference, some with the stress of a phoneme
    changed, some cut short, some exact."""
    found = {}
    for number, (source, targets) in enumerate(references.items()):
        tokens = targets[-1].split()
        if number % 3 == 1:
            tokens[0] = tokens[0].replace("1", "0") if "1" in tokens[0] else tokens[0] + "1"
        elif number % 3 == 2:
            tokens = tokens[:-1] or tokens
        found[source] = tokens
    return found


def _grouped(groups):
    found = {}
    for group, source in enumerate(groups.sources()):
        found[source] = list(groups.references(group))
    for source, references in groups.strays():
        assert source not in found
        found[source] = references
    return found


def _write(path, pairs, crlf=False):
    end = "\r\n" if crlf else "\n"
    path.write_bytes(codecs.BOM_UTF8 + "".join(f"{s}\t{t}{end}" for s, t in pairs)
                     .encode("utf-8"))


def test_repeated_sources_far_apart_group_as_a_dict_does(tmp_path):
    pairs = _pairs(600, 0)
    assert any(a[0] == b[0] for a, b in zip(pairs, pairs[50:]))  # repeats far apart
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    _write(first, pairs[:350])
    _write(second, pairs[350:], crlf=True)
    expected = _dict_groups(list(read_pairs(first)) + list(read_pairs(second)))
    with grouped_pair_files([first, second]) as groups:
        assert len(groups) == len(expected)
        found = _grouped(groups)
    assert list(found) == list(expected)  # first-appearance order, as the dict keeps it
    assert found == expected  # each source's references in file order
    assert list(_grouped(grouped_pairs(pairs))) == list(_dict_groups(pairs))


def test_colliding_hashes_are_told_apart_by_text(tmp_path, monkeypatch):
    pairs = _pairs(300, 1)
    path = tmp_path / "pairs.tsv"
    _write(path, pairs)
    monkeypatch.setattr(source_groups, "source_hash", lambda source: len(source) % 2)
    with grouped_pair_files([path]) as groups:
        assert len(groups) == 2
        found = _grouped(groups)
    assert found == _dict_groups(pairs)


@pytest.mark.parametrize("collide", [False, True])
def test_streamed_scores_equal_the_whole_set_scores(tmp_path, monkeypatch, collide):
    if collide:
        monkeypatch.setattr(source_groups, "source_hash", lambda source: 7)
    pairs = _pairs(500, 2)
    path = tmp_path / "pairs.tsv"
    _write(path, pairs)
    expected = _dict_groups(pairs)
    translation = _translations(expected)
    hypotheses = [translation[source] for source in expected]
    references = [[r.split() for r in refs] for refs in expected.values()]
    whole = {"word": score_outputs(hypotheses, references, word_level=True),
             "g2p": g2p_scores(hypotheses, references)}
    streamed = {"word": ScoreTotals(word_level=True), "g2p": G2PTotals()}
    with grouped_pair_files([path]) as groups:
        for group, source in enumerate(groups.sources()):
            references_of = list(groups.references(group))
            for totals in streamed.values():
                totals.add(translation[source], (r.split() for r in references_of))
        for source, references_of in groups.strays():
            for totals in streamed.values():
                totals.add(translation[source], (r.split() for r in references_of))
    for name, totals in streamed.items():
        assert totals.scores() == whole[name]  # identical, not close: the same sums
    assert whole["word"]["bleu"] > 0 and 0 < whole["g2p"]["per"] < whole["g2p"]["per_stress"]


def _spilled_files(folder):
    return sorted(path.name for path in folder.rglob("*"))


@pytest.mark.parametrize("hash_of", ["real", "few", "one"])
def test_a_tiny_budget_spills_and_groups_as_in_memory(tmp_path, monkeypatch, hash_of):
    """1,500 pairs in a budget of 64 records: several spills, partitions split again (and,
    with one hash for all, a partition that is one group), the same groups in the same order
    as the in-memory table and a dict, the scratch folder removed after."""
    if hash_of == "few":  # collisions in every group, partitions that cannot be split far
        monkeypatch.setattr(source_groups, "source_hash",
                            lambda source: (hash(source) % 5) << 60 | hash(source) % 3)
    elif hash_of == "one":
        monkeypatch.setattr(source_groups, "source_hash", lambda source: 7)
    pairs = _pairs(1500, 3)
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    _write(first, pairs[:900])
    _write(second, pairs[900:], crlf=True)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with grouped_pair_files([first, second]) as groups:
        in_memory = _grouped(groups)
        in_memory_sources = len(groups)
    spilled_seen = []

    def spy(folder, capacity):
        spilled_seen.append(capacity)
        return real_spill(folder, capacity)

    from seqlab.seqmodels.seq2seq import spilled_groups
    real_spill = spilled_groups.Spill
    monkeypatch.setattr(spilled_groups, "Spill", spy)
    with grouped_pair_files([first, second], memory_bytes=64 * source_groups.BYTES_PER_RECORD,
                            scratch_dir=scratch) as groups:
        assert _spilled_files(scratch)  # on disk while the groups are read
        assert len(groups) == in_memory_sources
        spilled = _grouped(groups)
    assert spilled_seen == [64]
    assert list(spilled) == list(in_memory)  # first-appearance order: the same batches
    assert spilled == in_memory == _dict_groups(pairs)
    assert _spilled_files(scratch) == []


def test_the_scratch_folder_goes_when_reading_fails(tmp_path):
    pairs = _pairs(400, 4)
    path = tmp_path / "pairs.tsv"
    _write(path, pairs)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(RuntimeError), grouped_pair_files(
            [path], memory_bytes=64 * source_groups.BYTES_PER_RECORD,
            scratch_dir=scratch) as groups:
        next(groups.sources())
        assert _spilled_files(scratch)
        raise RuntimeError("stopped")
    assert _spilled_files(scratch) == []
    assert path.read_bytes().decode("utf-8-sig").count("\n") == 400  # the input untouched
