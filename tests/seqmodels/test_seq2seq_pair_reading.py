"""The pairs reader's fast path (most lines) and careful path (the first line, anything odd)
read what a plain reading of the whole file reads, and the split rule bound once
(`held_out_rule`) is `held_out`: the id caches built from them stay the same."""

from __future__ import annotations

import codecs

import numpy as np
import pytest

from seqlab.seqmodels.seq2seq.data import (
    PairFileError,
    held_out,
    held_out_rule,
    pair_at,
    read_located_pairs,
    read_pairs,
)

LINES = ["abc\tcba", "naïve\tévian", "x y\ty x\r", "", "  ", "a\tb\tc", "tab\t\tdouble",
         "\t ", "caf\u00e9 \u4e2d\tzh", "end\tline\r\r", "  lead\t trail  ", "\u00a0nbsp\tx"]


def _reference(data: bytes, max_chars: int | None, columns=None):
    """(source, target) of each line by splitting the decoded whole file (exactly two fields,
    or the `columns` fields); the line number of the first line that is not a pair (or
    None)."""
    pairs = []
    for number, line in enumerate(data.decode("utf-8-sig").split("\n"), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split("\t")
        if (columns is None and len(fields) != 2) or \
                (columns is not None and len(fields) <= max(columns)):
            return pairs, number
        source, target = fields if columns is None else (fields[columns[0]],
                                                        fields[columns[1]])
        if not source.strip() or not target.strip():
            return pairs, number
        if max_chars is not None and max(len(source), len(target)) > max_chars:
            return pairs, number
        pairs.append((source, target))
    return pairs, None


@pytest.mark.parametrize("columns", [None, (0, 1), (2, 0)])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_chars", [None, 5, 8])
def test_pairs_are_those_of_the_whole_text(tmp_path, seed, max_chars, columns):
    rng = np.random.default_rng(seed)
    lines = [LINES[i] for i in rng.integers(0, len(LINES), 40)]
    if columns == (2, 0):  # most lines with a third field, so that some pairs are read
        lines = [line if rng.random() < 0.2 else line.replace("\t", "\t3rd\t", 1)
                 for line in lines]
    data = ("\n".join(lines) + ("\n" if seed % 2 else "")).encode("utf-8")
    if seed % 3 == 0:
        data = codecs.BOM_UTF8 + data
    path = tmp_path / "pairs.tsv"
    path.write_bytes(data)
    expected, bad_line = _reference(data, max_chars, columns)
    found = []
    try:
        for offset, source, target in read_located_pairs(path, max_chars, columns=columns):
            found.append((source, target))
            with open(path, "rb") as handle:
                assert pair_at(handle, offset, columns=columns) == (source, target)
    except PairFileError as error:
        assert str(error).startswith(f"{path}:{bad_line}:"), (str(error), bad_line)
    else:
        assert bad_line is None
    assert found == expected
    if bad_line is None:
        assert list(read_pairs(path, max_chars, columns=columns)) == expected


def test_a_mark_inside_the_file_is_text(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(codecs.BOM_UTF8 + b"a\tb\n" + codecs.BOM_UTF8 + b"c\td\n")
    assert list(read_pairs(path)) == [("a", "b"), ("\ufeffc", "d")]


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.05, 0.2, 0.5, 1.0])
def test_the_bound_split_rule_is_held_out(fraction):
    rule = held_out_rule(fraction)
    sources = [f"w{n} ø{n % 7}" for n in range(3000)]
    assert [rule(s) for s in sources] == [held_out(s, fraction) for s in sources]
