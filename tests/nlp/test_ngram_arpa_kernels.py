"""The ARPA byte writer against Python's repr and the plain-Python writer (kernels marker:
CI reruns these with NUMBA_DISABLE_JIT=1)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from seqlab.nlp.ngram import KneserNey, WittenBell, arpa_kernels, load_arpa
from seqlab.nlp.ngram.arpa import write_arpa
from seqlab.nlp.ngram.reference import arpa_lines_reference

pytestmark = pytest.mark.kernels


def _written(value: float) -> str | None:
    out = np.zeros(64, dtype=np.uint8)
    at = arpa_kernels.write_number(value, out, 0, np.empty(17, dtype=np.uint8))
    return None if at < 0 else out[:at].tobytes().decode()


def test_numbers_read_back_exactly_across_magnitudes():
    rng = random.Random(0)
    values = [-rng.uniform(1, 10) * 10.0 ** rng.randint(-6, 2) for _ in range(3000)]
    values += [math.nextafter(-x, 0.0) for x in (1e-3, 0.1, 1.0, 10.0, 99.0)]
    values += [math.nextafter(-x, -1.0) for x in (1e-6, 1e-3, 0.1, 1.0, 10.0, 99.0)]
    values += [-x for x in (1e-6, 1e-5, 0.001, 0.1, 1.0, 10.0, 100.0, 999.9999999999999)]
    for value in values:
        text = _written(value)
        assert text is not None and float(text) == value, (value, text)
        assert "e" not in text and text.count(".") == 1
        assert len(text.lstrip("-0.").replace(".", "").rstrip("0")) <= 17


@pytest.mark.parametrize("value", [0.0, -0.0, -0.5, -99.0, -1.25, 0.125, -12.0, -0.001953125])
def test_short_values_are_written_as_repr(value):
    assert _written(value) == repr(value)


@pytest.mark.parametrize("value", [-1e-7, 2.5e-300, 1e3, -5e4, math.nan, math.inf, -math.inf])
def test_values_it_cannot_write_exactly_are_left_to_the_caller(value):
    assert _written(value) is None


def _corpus(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = ["a", "bb", "ccc", "é", "日本", "x-y"]
    return [[rng.choice(words) for _ in range(rng.randint(0, 9))] for _ in range(60)]


@pytest.mark.parametrize("make", [lambda: KneserNey(4), lambda: WittenBell(3),
                                  lambda: KneserNey(1)])
def test_written_file_equals_the_python_writer(make, tmp_path, monkeypatch):
    from seqlab.nlp.ngram import arpa

    monkeypatch.setattr(arpa, "WRITE_BLOCK_ROWS", 7)  # several blocks per order
    model = make().fit(_corpus(1))
    keys, logprob, logbackoff = model._keys, model._logprob, model._logbackoff
    logbackoff = [b.copy() for b in logbackoff]
    if model.order > 1:  # values only Python's repr writes exactly: the fallback row path
        logbackoff[0][3] = -1e-9 * math.log(10.0)
        logbackoff[1][2] = 2e-300
    write_arpa(tmp_path / "m.arpa", model.vocab, keys, logprob, logbackoff)
    lines = (tmp_path / "m.arpa").read_text(encoding="utf-8").split("\n")
    ours = [line for line in lines if "\t" in line]
    reference = arpa_lines_reference(model.vocab, keys, logprob, logbackoff)
    assert len(ours) == len(reference)
    for mine, theirs in zip(ours, reference):
        mine_fields, their_fields = mine.split("\t"), theirs.split("\t")
        assert mine_fields[1] == their_fields[1]
        assert [float(f) for f in mine_fields[::2]] == [float(f) for f in their_fields[::2]]
    loaded = load_arpa(tmp_path / "m.arpa")
    assert loaded.counts == model.counts
