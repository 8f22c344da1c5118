"""Model arguments are recognised by content: ARPA files with any name (comments before
`\\data\\` included), and one line saying what a model file must be for anything else."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke

ARPA = ("\\data\\\nngram 1=4\nngram 2=2\n\n\\1-grams:\n-1.0\t</s>\n0\t<s>\t-0.5\n-0.5\tab\t-0.25\n"
        "-0.7\tcd\n\n\\2-grams:\n-0.3\t<s> ab\n-0.2\tab cd\n\n\\end\\\n")


@pytest.mark.parametrize("args", [["generate", "FILE", "--length", "3"],
                                  ["eval", "FILE", "FILE"]])
def test_a_text_file_is_not_a_model(args, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("just some text\nnot a model\n")
    done = invoke(*[str(text) if a == "FILE" else a for a in args])
    assert_one_line_failure(done, "notes.txt", "`seqlab train`", "`seqlab ngram train`",
                            code=1)
    assert "pickle" not in done.stderr


def test_ngram_commands_name_what_they_read(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_bytes(b"PK\x03\x04 not really a zip")
    done = invoke("ngram", "generate", text, "--length", "3")
    assert_one_line_failure(done, "notes.npz", "not an n-gram model", "`seqlab ngram train`",
                            code=1)


def test_an_arpa_file_under_any_name_with_a_long_preamble(tmp_path):
    model = tmp_path / "lm.txt"
    model.write_text("# written by hand; comments before the header are allowed\n" * 3 + ARPA)
    done = invoke("ngram", "generate", model, "--length", "5", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) <= {"ab", "cd"}
    done = invoke("generate", model, "--length", "5", "--seed", "1")
    assert done.returncode == 0, done.stderr
