"""A literal U+2581 at the character level, where it spells the space: `ngram eval` refuses it
as `ngram train` does (one line naming the file and line, non-zero exit) instead of scoring it
as a space; the model was trained on text that could not hold it (stop 21's closing note)."""

from __future__ import annotations

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.fixture(scope="module")
def char_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("char")
    (folder / "train.txt").write_text("ab cd\nef gh\nab gh\n" * 5, encoding="utf-8")
    done = invoke("ngram", "train", folder / "train.txt", "--level", "char", "--order", "2",
                  "--out", folder / "m.arpa", "-q")
    assert done.returncode == 0, done.stderr
    return folder / "m.arpa"


def test_eval_refuses_a_literal_space_mark_naming_the_line(char_model, tmp_path):
    test = tmp_path / "test.txt"
    test.write_text("ab cd\nab\u2581cd\n", encoding="utf-8")
    done = invoke("ngram", "eval", char_model, test)
    assert_one_line_failure(done, "test.txt line 2", "U+2581", "space")


def test_eval_scores_the_same_text_with_a_plain_space(char_model, tmp_path):
    test = tmp_path / "test.txt"
    test.write_text("ab cd\nab cd\n", encoding="utf-8")
    done = invoke("ngram", "eval", char_model, test)
    assert done.returncode == 0, done.stderr


def test_generate_refuses_a_literal_space_mark_in_the_prompt(char_model):
    done = invoke("ngram", "generate", char_model, "--prompt", "ab\u2581c", "--seed", "1")
    assert_one_line_failure(done, "--prompt", "U+2581", "space")
    assert invoke("ngram", "generate", char_model, "--prompt", "ab c", "--seed", "1",
                  "--length", "5").returncode == 0
