"""The stale-temporary cleanup removes only a temporary no live writer holds: `atomic_path`
holds an exclusive flock on its temporary while the write runs (a Python program saving
through `seqlab.autograd.atomic` takes no `--out` lock), and a dead writer's is removed."""

from __future__ import annotations

import os
import re
import tempfile

import pytest

from seqlab.autograd.atomic import atomic_path, atomic_write, remove_stale_temporaries

pytest.importorskip("fcntl")  # POSIX locks (seqlab claims no Windows support)


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_a_live_writers_temporary_is_kept_and_its_write_completes(tmp_path):
    target = tmp_path / "m.safetensors"
    with atomic_write(target, "wb") as file:
        file.write(b"first half ")
        live = _temporaries(tmp_path)
        assert remove_stale_temporaries(tmp_path, re.escape(target.name)) == []
        assert _temporaries(tmp_path) == live
        file.write(b"second half")
    assert target.read_bytes() == b"first half second half"
    assert _temporaries(tmp_path) == []


def test_a_live_atomic_path_temporary_is_kept(tmp_path):
    target = tmp_path / "m.npz"
    with atomic_path(target) as temporary:
        temporary.write_bytes(b"data")  # a writer that reopens the file by its name
        assert remove_stale_temporaries(tmp_path, re.escape(target.name)) == []
        assert temporary.exists()
    assert target.read_bytes() == b"data"


def test_a_dead_writers_temporary_is_removed(tmp_path):
    handle, name = tempfile.mkstemp(dir=tmp_path, prefix=".m.safetensors.", suffix=".tmp")
    os.close(handle)  # its writer died before its rename: no lock held
    removed = remove_stale_temporaries(tmp_path, re.escape("m.safetensors"))
    assert [path.name for path in removed] == [os.path.basename(name)]
    assert _temporaries(tmp_path) == []
