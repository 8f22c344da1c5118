"""safetensors save/load: round trips, atomic replacement, clear errors for bad files."""

from __future__ import annotations

import contextlib
import errno
import json

import numpy as np
import pytest
import safetensors
import safetensors.numpy

from seqlab.autograd import io as seqlab_io
from seqlab.autograd.io import load, save


def sample_state():
    rng = np.random.default_rng(0)
    return {
        "encoder.weight": rng.normal(size=(4, 3)).astype(np.float32),
        "encoder.bias": rng.normal(size=(3,)),
        "token_ids": rng.integers(-(2**40), 2**40, size=(2, 5), dtype=np.int64),
        "step": np.array(7, dtype=np.int64),
        "empty": np.zeros((0, 2), dtype=np.float32),
    }


METADATA = {
    "config": {"hidden_size": 32, "cell": "lstm", "dropout": 0.25, "bidirectional": False},
    "vocab": ["<unk>", "a", "é", "日本"],
    "best_loss": None,
    "lrs": [0.001, 1e-05],
}


def test_round_trip_keeps_values_dtypes_shapes_and_metadata(tmp_path):
    path = tmp_path / "model.safetensors"
    state = sample_state()
    save(path, state, METADATA)
    loaded, metadata = load(path)
    assert metadata == METADATA
    assert sorted(loaded) == sorted(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype, name
        assert loaded[name].shape == array.shape, name
        np.testing.assert_array_equal(loaded[name], array)
    loaded["encoder.weight"] += 1.0  # writable, not a view of the file


def test_non_contiguous_and_big_endian_arrays_are_saved_by_value(tmp_path):
    matrix = np.arange(12.0).reshape(3, 4)
    state = {"transposed": matrix.T, "strided": matrix[:, ::2], "big": matrix.astype(">f8")}
    save(tmp_path / "views.safetensors", state)
    loaded, _ = load(tmp_path / "views.safetensors")
    np.testing.assert_array_equal(loaded["transposed"], matrix.T)
    np.testing.assert_array_equal(loaded["strided"], matrix[:, ::2])
    np.testing.assert_array_equal(loaded["big"], matrix)


def test_no_metadata_loads_as_empty_dict(tmp_path):
    path = tmp_path / "plain.safetensors"
    save(path, {"x": np.ones(2)})
    assert load(path)[1] == {}
    with safetensors.safe_open(path, framework="np") as reader:
        assert not reader.metadata()


def test_file_is_read_by_safetensors_directly(tmp_path):
    path = tmp_path / "model.safetensors"
    state = sample_state()
    save(path, state, METADATA)
    direct = safetensors.numpy.load_file(path)
    assert sorted(direct) == sorted(state)
    for name, array in state.items():
        assert direct[name].shape == array.shape
        assert direct[name].dtype == array.dtype
        np.testing.assert_array_equal(direct[name], array)
    with safetensors.safe_open(path, framework="np") as reader:
        header = reader.metadata()
    assert set(header) == {"seqlab"}
    assert json.loads(header["seqlab"]) == METADATA


def test_file_written_by_safetensors_directly_loads(tmp_path):
    path = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file({"w": np.eye(2)}, path, metadata={"format": "np"})
    state, metadata = load(path)
    np.testing.assert_array_equal(state["w"], np.eye(2))
    assert metadata == {}


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "model.safetensors"
    save(path, {"x": np.zeros(3)}, {"version": 1})
    save(path, {"y": np.ones(2)}, {"version": 2})
    state, metadata = load(path)
    assert list(state) == ["y"] and metadata == {"version": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_failure_mid_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save(path, {"x": np.arange(3.0)}, {"version": 1})
    before = path.read_bytes()
    real_atomic_write = seqlab_io.atomic_write

    class HalfFull:  # the disk fills up half way through the write
        def __init__(self, file):
            self.file = file

        def write(self, data):
            self.file.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    @contextlib.contextmanager
    def filling_disk(target, mode):
        with real_atomic_write(target, mode) as file:
            yield HalfFull(file)

    monkeypatch.setattr(seqlab_io, "atomic_write", filling_disk)
    with pytest.raises(OSError, match="No space left"):
        save(path, {"x": np.arange(1000.0)}, {"version": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]
    monkeypatch.undo()
    state, metadata = load(path)
    np.testing.assert_array_equal(state["x"], np.arange(3.0))
    assert metadata == {"version": 1}


def test_failure_at_rename_removes_the_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"

    def refuse(source, target):
        raise PermissionError(f"cannot replace {target}")

    monkeypatch.setattr("seqlab.autograd.io.os.replace", refuse)
    with pytest.raises(PermissionError):
        save(path, {"x": np.zeros(2)})
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "model.safetensors"
    save(path, sample_state(), METADATA)
    data = path.read_bytes()
    for length in (len(data) - 4, len(data) // 2, 12, 3):
        path.write_bytes(data[:length])
        with pytest.raises(ValueError, match=r"model\.safetensors is not a valid safetensors"):
            load(path)


def test_garbage_and_empty_files_give_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are not tensors, just some words in a text file\n" * 20)
    with pytest.raises(ValueError, match=r"notes\.txt .*safetensors.*: it starts with text"):
        load(path)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.safetensors is not a valid safetensors"):
        load(empty)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.safetensors.*check the path"):
        load(tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="is not a file"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(tmp_path / "no" / "such" / "dir.safetensors", {"x": np.zeros(1)})


def test_bad_metadata_entry_in_the_file(tmp_path):
    path = tmp_path / "odd.safetensors"
    safetensors.numpy.save_file({"x": np.zeros(1)}, path, metadata={"seqlab": "{not json"})
    with pytest.raises(ValueError, match="not valid JSON"):
        load(path)
    safetensors.numpy.save_file({"x": np.zeros(1)}, path, metadata={"seqlab": "[1, 2]"})
    with pytest.raises(ValueError, match="expected a JSON object"):
        load(path)


def test_bad_arguments_to_save(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        save(path, {"x": np.zeros(1)}, {"when": object()})
    with pytest.raises(TypeError, match=r"state\['x'\] is a list"):
        save(path, {"x": [1.0, 2.0]})
    with pytest.raises(TypeError, match="dtype <U1, which safetensors cannot store"):
        save(path, {"x": np.array(["a", "b"])})
    with pytest.raises(TypeError, match="is not a string"):
        save(path, {1: np.zeros(1)})
    with pytest.raises(TypeError, match="metadata must be a dict"):
        save(path, {"x": np.zeros(1)}, ["not", "a", "dict"])
    assert not path.exists()
