"""An --out that is a symbolic link is written through: the file it points to is replaced and
the link stays (as lmplz's `> latest.arpa`, torch.save and gensim do); a link into a missing
folder is refused naming the link and that folder (qaA s22 finding 5)."""

from __future__ import annotations

import os

from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke


def test_ngram_train_onto_a_link_replaces_its_target_and_keeps_the_link(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    (tmp_path / "runs").mkdir()
    first = tmp_path / "runs" / "v1.arpa"
    assert invoke("ngram", "train", corpus, "--order", "2", "--out", first).returncode == 0
    link = tmp_path / "latest.arpa"
    link.symlink_to(os.path.join("runs", "v1.arpa"))
    done = invoke("ngram", "train", corpus, "--order", "3", "--out", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "v1.arpa")
    assert "ngram 3=" in first.read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["v1.arpa"]


def test_a_dangling_link_is_written_through_or_refused_naming_its_folder(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    (tmp_path / "made.arpa").symlink_to("new.arpa")  # to a file not there yet: created
    done = invoke("ngram", "train", corpus, "--order", "2", "--out", tmp_path / "made.arpa")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "made.arpa").is_symlink() and (tmp_path / "new.arpa").is_file()
    (tmp_path / "d.arpa").symlink_to(os.path.join("nowhere", "x.arpa"))
    done = invoke("ngram", "train", corpus, "--out", tmp_path / "d.arpa")
    assert_one_line_failure(done, "d.arpa", "is a link to", str(tmp_path / "nowhere"),
                            "mkdir -p", code=1)
    assert (tmp_path / "d.arpa").is_symlink() and not (tmp_path / "nowhere").exists()
