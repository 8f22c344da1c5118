"""A root option given after the command (QA stop 18, fixQ2 item 3): `seqlab generate M
--errors replace` said only "No such option: --errors"; it now says the option goes before
the command, in one line, exit 2."""

from __future__ import annotations

from inprocess import invoke


def test_errors_after_the_command_says_where_it_goes(trained_model):
    done = invoke("generate", str(trained_model), "--prompt", "the", "--errors", "replace")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert "No such option" not in said, said
    assert "goes before the command" in said and "seqlab --errors POLICY generate" in said, said
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # one line, maybe wrapped


def test_a_nested_command_says_the_same(tmp_path):
    done = invoke("classify", "train", "--errors=ignore")
    assert done.returncode == 2
    assert "seqlab --errors POLICY classify train" in " ".join(done.stderr.split()), done.stderr


def test_an_unknown_option_keeps_the_usual_words(trained_model):
    done = invoke("generate", str(trained_model), "--no-such-thing")
    assert done.returncode == 2 and "No such option" in done.stderr, done.stderr
