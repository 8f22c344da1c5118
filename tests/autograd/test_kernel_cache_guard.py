"""Numba caches of the kernel folder are cleared when any of its sources changes."""

from __future__ import annotations

from pathlib import Path

from seqlab.autograd.kernels import cache_guard
from seqlab.autograd.kernels.cache_guard import STAMP_NAME, clear_stale_caches, sources_digest


def _folder_with_caches(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "caller.py").write_text("def f():\n    return helper()\n")
    (tmp_path / "helper.py").write_text("def helper():\n    return 1\n")
    return tmp_path


def _write_caches(cache: Path) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    files = [cache / "caller.f-1.py311.nbi", cache / "caller.f-1.py311.1.nbc"]
    for path in files:
        path.write_bytes(b"compiled")
    return files


def test_caches_without_a_stamp_are_cleared_then_kept_while_sources_stay(tmp_path):
    folder = _folder_with_caches(tmp_path)
    caches = _write_caches(folder / "__pycache__")
    (folder / "__pycache__" / "caller.cpython-311.pyc").write_bytes(b"bytecode")

    assert clear_stale_caches(folder, [folder / "__pycache__"]) is True
    assert not any(path.exists() for path in caches)
    assert (folder / "__pycache__" / "caller.cpython-311.pyc").exists()
    assert (folder / "__pycache__" / STAMP_NAME).read_text().strip() == sources_digest(folder)

    caches = _write_caches(folder / "__pycache__")
    assert clear_stale_caches(folder, [folder / "__pycache__"]) is False
    assert all(path.exists() for path in caches)


def test_a_changed_helper_file_clears_the_callers_cache(tmp_path):
    folder = _folder_with_caches(tmp_path)
    beside = [folder / "__pycache__"]
    clear_stale_caches(folder, beside)
    caches = _write_caches(folder / "__pycache__")

    (folder / "helper.py").write_text("def helper():\n    return 2\n")

    assert clear_stale_caches(folder, beside) is True
    assert not any(path.exists() for path in caches)
    assert clear_stale_caches(folder, beside) is False


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
    assert clear_stale_caches(folder, [folder / "__pycache__"]) is False


def test_caches_kept_elsewhere_are_cleared_too(tmp_path):
    """NUMBA_CACHE_DIR or the user-wide folder: the one Numba writes to now comes first."""
    folder = _folder_with_caches(tmp_path / "src")
    elsewhere, beside = tmp_path / "numba-cache" / "kernels_0123", folder / "__pycache__"
    assert clear_stale_caches(folder, [elsewhere, beside]) is False  # nothing cached yet
    assert (elsewhere / STAMP_NAME).is_file() and not beside.exists()

    caches = _write_caches(elsewhere) + _write_caches(folder / "__pycache__")
    assert clear_stale_caches(folder, [elsewhere, beside]) is True  # beside had no stamp
    assert all(path.exists() for path in caches[:2]) and not any(p.exists() for p in caches[2:])

    caches = _write_caches(elsewhere) + _write_caches(folder / "__pycache__")
    (folder / "helper.py").write_text("def helper():\n    return 3\n")
    assert clear_stale_caches(folder, [elsewhere, beside]) is True
    assert not any(path.exists() for path in caches)


def test_numba_cache_dir_comes_first(tmp_path, monkeypatch):
    from numba.core import config

    from seqlab.autograd.kernels.cache_guard import numba_cache_folders

    folder = Path(cache_guard.__file__).parent
    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path))
    folders = numba_cache_folders(folder)
    assert folders[0].parent == tmp_path and folders[0].name.startswith("kernels_")
    assert folder / "__pycache__" in folders


def test_importing_the_kernels_stamps_their_folder():
    folder = Path(cache_guard.__file__).parent
    stamp = folder / "__pycache__" / STAMP_NAME
    assert stamp.read_text().strip() == sources_digest(folder)
