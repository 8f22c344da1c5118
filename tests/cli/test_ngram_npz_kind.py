"""An n-gram .npz is recognised from the first characters of its header, not the whole JSON."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from seqlab.cli.file_kinds import NGRAM_NPZ, is_ngram_npz, kind_of
from seqlab.nlp import ngram


def _npz_with_header(path, header_text: str, dtype: str = "<U") -> None:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array(header_text, dtype=f"{dtype}{len(header_text)}"))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.npy", buffer.getvalue())
        archive.writestr("keys_1.npy", b"")


def test_a_saved_model_is_recognised(tmp_path):
    model = ngram.KneserNey(2).fit([["a", "b", "a"], ["b", "a"]])
    model.save(tmp_path / "lm.npz")
    assert is_ngram_npz(tmp_path / "lm.npz")
    assert kind_of(tmp_path / "lm.npz") == NGRAM_NPZ


def test_only_the_start_of_the_header_is_read(tmp_path):
    """A 40 MB header whose JSON is cut off after the format: the old whole-header parse
    failed on it; reading the first characters recognises it."""
    header = json.dumps({"format": "seqlab-ngram", "version": 1})[:-1] + ", " + "x" * 10_000_000
    _npz_with_header(tmp_path / "big.npz", header)
    assert is_ngram_npz(tmp_path / "big.npz")


def test_big_endian_headers_and_other_formats(tmp_path):
    text = json.dumps({"format": "seqlab-ngram", "vocab": ["<unk>"]})
    _npz_with_header(tmp_path / "be.npz", text, ">U")
    assert is_ngram_npz(tmp_path / "be.npz")
    for name, other in {"other.npz": json.dumps({"format": "something-else"}),
                        "late.npz": json.dumps({"version": 1, "format": "seqlab-ngram"}),
                        "short.npz": '{"format": "seqlab-ng'}.items():
        _npz_with_header(tmp_path / name, other)
        assert not is_ngram_npz(tmp_path / name), name
    np.savez(tmp_path / "numbers.npz", header=np.arange(4))
    assert not is_ngram_npz(tmp_path / "numbers.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    assert not is_ngram_npz(tmp_path / "text.npz")
