"""Refusing to replace a file seqlab did not write names it truly (QA stop 18, finding 15): a
user's own HTML page is an HTML page, a tokenizer.json of another library is a tokenizer, so the
line says seqlab did not write it (not that it "is not an HTML page"), or what seqlab file it
is; and how to go on."""

from __future__ import annotations

from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke, snapshot


def test_a_users_own_html_page(trained_model, tmp_path):
    notes = tmp_path / "notes.html"
    notes.write_text("<!DOCTYPE html>\n<html><body>my notes</body></html>\n")
    before = snapshot(tmp_path)
    done = invoke("inspect", trained_model, "--text", "hello there", "--html", notes)
    assert_one_line_failure(done, str(notes), "seqlab did not write", "choose another --html",
                            "--force", code=1)
    assert "is not an HTML page" not in done.stderr
    assert snapshot(tmp_path) == before


def test_another_librarys_tokenizer_json(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS)
    theirs = tmp_path / "tokenizer.json"
    theirs.write_text('{"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}')
    done = invoke("tokenize", "train", tmp_path / "corpus.txt", "--out", theirs)
    assert_one_line_failure(done, str(theirs), "seqlab did not write", "--force", code=1)
    assert "is not a tokenizer" not in done.stderr


def test_a_seqlab_file_of_another_kind_is_named(trained_model, tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(trained_model.read_bytes())
    done = invoke("inspect", trained_model, "--text", "hello there", "--html", page)
    assert_one_line_failure(done, str(page), "seqlab checkpoint", "--force", code=1)
