"""A write through an --out that is a symbolic link lands in the folder of the file it points
to (`atomic.write_target`): a full disk, a folder without permission or a read-only file system
there is named as that folder, not the link's, or the remedy sends the user to the wrong disk."""

from __future__ import annotations

import errno

import pytest

from seqlab.cli.errors import write_error_line


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_an_error_writing_through_a_link_names_the_folder_written(tmp_path, code):
    big = tmp_path / "big" / "runs"
    big.mkdir(parents=True)
    link = tmp_path / "here" / "latest.arpa"
    link.parent.mkdir()
    link.symlink_to(big / "v1.arpa")
    line = write_error_line(OSError(code, "failed", str(link)), link)
    assert str(big) in line, line
    assert f"{tmp_path / 'here'} " not in line and f"{tmp_path / 'here'}:" not in line, line
