"""atomic_write: the target is replaced only by a complete file, with the umask's permissions."""

import os
import stat

import numpy as np
import pytest

from seqlab.autograd.atomic import atomic_path, atomic_write, current_umask


def test_text_and_bytes_written_completely(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_write(target) as file:
        file.write("héllo\nworld\n")
    assert target.read_bytes() == "héllo\nworld\n".encode()
    with atomic_write(target, "wb") as file:
        file.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failure_leaves_target_and_no_temporary(tmp_path):
    target = tmp_path / "model.arpa"
    target.write_text("precious")
    with pytest.raises(RuntimeError), atomic_write(target) as file:
        file.write("half a model")
        raise RuntimeError("disk full")
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["model.arpa"]


def test_atomic_path_for_writers_taking_a_name(tmp_path):
    target = tmp_path / "arrays.npz"
    with atomic_path(target) as temporary:
        with open(temporary, "wb") as file:
            np.savez(file, a=np.arange(3))
        assert not target.exists()
    assert np.load(target)["a"].tolist() == [0, 1, 2]


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        assert current_umask() == 0o027
        with atomic_write(tmp_path / "f") as file:
            file.write("x")
        assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"), \
            atomic_write(tmp_path / "nope" / "f"):
        pass


def test_errors_name_the_file_asked_for_not_the_hidden_temporary(tmp_path):
    import errno

    long_name = tmp_path / ("n" * 250)  # a legal name; its temporary's is too long
    with pytest.raises(OSError) as caught, atomic_write(long_name) as file:
        file.write("x")
    assert caught.value.errno == errno.ENAMETOOLONG
    assert caught.value.filename == str(long_name)
    assert "hidden temporary" in caught.value.strerror
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_are_the_names_temporary_path_gives(tmp_path):
    from seqlab.autograd.atomic import remove_stale_temporaries, temporary_path

    made = [temporary_path(tmp_path / name) for name in ("a.txt", "a.txt", "b-1.txt", "c.txt")]
    (tmp_path / "a.txt").write_text("kept")  # a target itself is never a temporary
    (tmp_path / ".a.txt.tmp").write_text("kept")  # not mkstemp's name
    removed = remove_stale_temporaries(tmp_path, r"a\.txt|b-\d+\.txt")
    assert sorted(removed) == sorted(made[:3])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.txt.tmp", made[3].name, "a.txt"]
