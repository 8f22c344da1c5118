"""A NAME.checkpoints that is a symbolic link (onto a bigger disk) is the user's: a finished run
never removes the link, even when it leaves the folder empty, and an error about a file seqlab
writes beside --out names that file, not --out (qaA s22 finding 6)."""

from __future__ import annotations

import errno

from seqlab.cli import errors
from seqlab.cli.run_files import tidy_periodic_checkpoints


def test_a_linked_checkpoint_folder_left_empty_is_kept(tmp_path):
    target = tmp_path / "big" / "ck"
    target.mkdir(parents=True)
    link = tmp_path / "s.checkpoints"
    link.symlink_to(target)
    out = tmp_path / "s.safetensors"
    out.write_bytes(b"")
    kept = tidy_periodic_checkpoints(out, link, run_id="r" * 32)
    assert kept.startswith("Kept")
    assert link.is_symlink() and target.is_dir()


def test_a_real_checkpoint_folder_left_empty_is_removed(tmp_path):
    folder = tmp_path / "s.checkpoints"
    folder.mkdir()
    tidy_periodic_checkpoints(tmp_path / "s.safetensors", folder, run_id="r" * 32)
    assert not folder.exists()


def test_an_error_on_a_file_beside_out_names_that_file(tmp_path):
    out = tmp_path / "m.safetensors"
    errors.forget_outputs()
    errors.note_output(out)
    try:
        for name, shown in (("m.checkpoints", "m.checkpoints"),
                            ("m.checkpoints/step-00000003.safetensors",
                             "m.checkpoints/step-00000003.safetensors"),
                            ("m.cache/ab.ids", "m.cache/ab.ids"),
                            (".m.train.safetensors.abcd1234.tmp", "m.train.safetensors")):
            error = OSError(errno.ENOTDIR, "Not a directory", str(tmp_path / name))
            line = errors.output_error_line(error)
            assert line.startswith(f"cannot write {tmp_path / shown} (beside --out {out}): "
                                   "Not a directory"), line
    finally:
        errors.forget_outputs()


def test_a_dangling_checkpoint_folder_link_is_refused_before_any_work(tmp_path):
    from cli_helpers import CORPUS, TINY
    from inprocess import assert_one_line_failure, invoke

    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    (tmp_path / "s.checkpoints").symlink_to("gone")
    done = invoke("train", tmp_path / "corpus.txt", "--steps", "1", *TINY,
                  "--out", tmp_path / "s.safetensors")
    assert_one_line_failure(done, "s.checkpoints", "link to gone", "create that folder", code=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "s.checkpoints"]
