"""A NAME.cache that is a link to a folder not there is refused naming the link's target and
what to do (create that folder or remove the link), as a dangling NAME.checkpoints link is,
not called a file that "exists and is not a folder"."""

from __future__ import annotations

import pytest

from seqlab.cli.errors import CliError
from seqlab.cli.sidecar_folders import check_cache_folder


def test_a_dangling_cache_link_is_refused_naming_its_target(tmp_path):
    (tmp_path / "m.cache").symlink_to("gone")
    with pytest.raises(CliError) as refused:
        check_cache_folder(tmp_path / "m.safetensors", force=True)
    line = str(refused.value)
    assert "link to gone" in line and "create that folder" in line, line
    assert "exists" not in line, line
