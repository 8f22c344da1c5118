"""Numba caches of the kernel folder are cleared when any of its sources changes."""

from __future__ import annotations

from pathlib import Path

from seqlab.autograd.kernels import cache_guard
from seqlab.autograd.kernels.cache_guard import STAMP_NAME, clear_stale_caches, sources_digest


def _folder_with_caches(tmp_path: Path) -> Path:
    (tmp_path / "caller.py").write_text("def f():\n    return helper()\n")
    (tmp_path / "helper.py").write_text("def helper():\n    return 1\n")
    return tmp_path


def _write_caches(folder: Path) -> list[Path]:
    cache = folder / "__pycache__"
    cache.mkdir(exist_ok=True)
    files = [cache / "caller.f-1.py311.nbi", cache / "caller.f-1.py311.1.nbc"]
    for path in files:
        path.write_bytes(b"compiled")
    return files


def test_caches_without_a_stamp_are_cleared_then_kept_while_sources_stay(tmp_path):
    folder = _folder_with_caches(tmp_path)
    caches = _write_caches(folder)
    (folder / "__pycache__" / "caller.cpython-311.pyc").write_bytes(b"bytecode")

    assert clear_stale_caches(folder) is True
    assert not any(path.exists() for path in caches)
    assert (folder / "__pycache__" / "caller.cpython-311.pyc").exists()
    assert (folder / "__pycache__" / STAMP_NAME).read_text().strip() == sources_digest(folder)

    caches = _write_caches(folder)
    assert clear_stale_caches(folder) is False
    assert all(path.exists() for path in caches)


def test_a_changed_helper_file_clears_the_callers_cache(tmp_path):
    folder = _folder_with_caches(tmp_path)
    clear_stale_caches(folder)
    caches = _write_caches(folder)

    (folder / "helper.py").write_text("def helper():\n    return 2\n")

    assert clear_stale_caches(folder) is True
    assert not any(path.exists() for path in caches)
    assert clear_stale_caches(folder) is False


def test_added_or_renamed_sources_change_the_digest(tmp_path):
    folder = _folder_with_caches(tmp_path)
    before = sources_digest(folder)
    (folder / "new_kernel.py").write_text("")
    added = sources_digest(folder)
    (folder / "new_kernel.py").rename(folder / "other_kernel.py")
    assert len({before, added, sources_digest(folder)}) == 3


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path):
    folder = _folder_with_caches(tmp_path)
    (folder / "__pycache__").write_text("not a folder")  # mkdir and the stamp write fail
    assert clear_stale_caches(folder) is False


def test_importing_the_kernels_stamps_their_folder():
    folder = Path(cache_guard.__file__).parent
    stamp = folder / "__pycache__" / STAMP_NAME
    assert stamp.read_text().strip() == sources_digest(folder)
