"""A write to a symbolic link replaces the file the link points to and keeps the link, as
`open(path, "w")`, a shell's `> path`, KenLM's lmplz, torch.save and gensim's save do; the
temporary goes beside that file, so the rename stays within one folder (qaA s22 finding 5)."""

from __future__ import annotations

import os

import pytest

from seqlab.autograd.atomic import atomic_write, write_target


def test_a_write_through_a_link_replaces_its_target_and_keeps_the_link(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "v1.arpa").write_text("old")
    link = tmp_path / "latest.arpa"
    link.symlink_to(os.path.join("runs", "v1.arpa"))
    with atomic_write(link) as file:
        file.write("new")
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "v1.arpa")
    assert (runs / "v1.arpa").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.arpa", "runs"]
    assert sorted(p.name for p in runs.iterdir()) == ["v1.arpa"]


def test_a_chain_of_links_and_a_dangling_link_write_their_last_target(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("c.txt")  # c.txt does not exist yet: created, as by `>`
    assert write_target(tmp_path / "a") == tmp_path / "c.txt"
    with atomic_write(tmp_path / "a") as file:
        file.write("x")
    assert (tmp_path / "c.txt").read_text() == "x" and (tmp_path / "a").is_symlink()


def test_a_link_into_a_missing_folder_names_the_link(tmp_path):
    link = tmp_path / "d.arpa"
    link.symlink_to(os.path.join("nowhere", "x.arpa"))
    with pytest.raises(FileNotFoundError, match=r"d\.arpa.*nowhere"), \
            atomic_write(link) as file:
        file.write("x")
    assert link.is_symlink()


def test_a_plain_path_is_its_own_target(tmp_path):
    assert write_target(tmp_path / "m.txt") == tmp_path / "m.txt"
