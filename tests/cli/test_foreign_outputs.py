"""Nothing seqlab writes replaces a file it did not write: an ARPA file without seqlab's mark
(KenLM's, SRILM's) and any word2vec vectors file seqlab did not write (no mark in its header)
are refused without --force; seqlab's own marked ARPA file is replaced as before."""

from __future__ import annotations

import pytest
from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.cli import file_kinds
from seqlab.nlp.ngram.arpa import SEQLAB_MARK
from seqlab.nlp.ngram.mark import MARK_PREFIX

KENLM_ARPA = """\\data\\
ngram 1=3

\\1-grams:
-0.5\t<s>\t0
-0.3\t</s>
-0.4\ta

\\end\\
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    return tmp_path


def test_the_cli_and_the_writer_agree_on_the_mark():
    assert file_kinds.ARPA_MARK == SEQLAB_MARK


def test_an_arpa_file_seqlab_did_not_write_is_refused(folder):
    foreign = folder / "kenlm.arpa"
    foreign.write_text(KENLM_ARPA)
    assert file_kinds.kind_of(foreign) == file_kinds.FOREIGN_ARPA
    before = snapshot(folder)
    refused = invoke("ngram", "train", folder / "corpus.txt", "--out", foreign)
    assert_one_line_failure(refused, str(foreign), "without seqlab's mark", "--force", code=1)
    assert snapshot(folder) == before
    forced = invoke("ngram", "train", folder / "corpus.txt", "--out", foreign, "--force")
    assert forced.returncode == 0, forced.stderr
    assert foreign.read_bytes().startswith(MARK_PREFIX)
    assert file_kinds.kind_of(foreign) == file_kinds.ARPA


def test_seqlabs_own_arpa_file_is_replaced_without_force(folder):
    out = folder / "lm.arpa"
    assert invoke("ngram", "train", folder / "corpus.txt", "--order", "2",
                  "--out", out).returncode == 0
    first = out.read_bytes()
    again = invoke("ngram", "train", folder / "corpus.txt", "--order", "3", "--out", out)
    assert again.returncode == 0, again.stderr
    assert out.read_bytes() != first and out.read_bytes().startswith(MARK_PREFIX)
    # export-arpa too replaces a marked file, and refuses an unmarked one
    npz = folder / "lm.npz"
    assert invoke("ngram", "train", folder / "corpus.txt", "--out", npz).returncode == 0
    assert invoke("ngram", "export-arpa", npz, out).returncode == 0
    foreign = folder / "kenlm.arpa"
    foreign.write_text(KENLM_ARPA)
    refused = invoke("ngram", "export-arpa", npz, foreign)
    assert_one_line_failure(refused, str(foreign), "--force", code=1)
    assert foreign.read_text() == KENLM_ARPA


def test_an_existing_vectors_file_is_replaced_only_with_force(folder):
    vectors = folder / "vec.txt"
    assert invoke("word2vec", "train", folder / "corpus.txt", "--dim", "4", "--min-count", "1",
                  "--epochs", "1", "--out", vectors).returncode == 0
    foreign = folder / "vforeign.txt"
    foreign.write_text("2 3\nfoo 1 2 3\nbar 4 5 6\n")
    before = snapshot(folder)
    refused = invoke("word2vec", "export", vectors, foreign)
    assert_one_line_failure(refused, str(foreign), "--force", code=1)
    assert "--out" not in refused.stderr  # export's output is the argument OUT
    assert snapshot(folder) == before
    again = invoke("word2vec", "train", folder / "corpus.txt", "--dim", "4", "--min-count", "1",
                   "--epochs", "1", "--out", vectors)
    assert again.returncode == 0, again.stderr  # seqlab's own (marked) file: replaced
    forced = invoke("word2vec", "export", vectors, foreign, "--force")
    assert forced.returncode == 0, forced.stderr
    assert foreign.read_text().split()[0] != "2"  # now the exported vocabulary's count
