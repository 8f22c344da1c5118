"""`seq2seq translate FILE` names the line that holds unknown source tokens (QA stop 18,
fixQ2 item 2): lines are decoded 32 at a time, and the warning named line 1 whenever any
line of the first batch had one."""

from __future__ import annotations

from inprocess import invoke


def test_the_warning_names_the_offending_line(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{' '.join(w[::-1])}\n"
                             for w in ["ab", "ba", "abc", "cab", "bca", "cc"] * 20))
    model = tmp_path / "m.safetensors"
    done = invoke("seq2seq", "train", str(pairs), "--out", str(model), "--steps", "2",
                  "--hidden", "8", "--layers", "1", "--embedding-dim", "4", "--quiet")
    assert done.returncode == 0, done.stderr
    inputs = tmp_path / "in.txt"
    inputs.write_text("ab\nba\n\ncab\nxyzx\nab\nzz\n", encoding="utf-8")
    translated = invoke("seq2seq", "translate", str(model), str(inputs))
    assert translated.returncode == 0, translated.stderr
    said = " ".join(translated.stderr.split())
    assert "line 5 " in said and "line 1 " not in said, said
    assert "4 source tokens" in said, said


def test_one_unknown_token_is_worded_in_the_singular(tmp_path):
    """QA stop 20, fixQ2 item 8: `1 source tokens were never seen` and `line 2 has 1 source
    token ...; they are read as <unk>`."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{' '.join(w[::-1])}\n" for w in ["ab", "ba", "abc"] * 20))
    model = tmp_path / "m.safetensors"
    done = invoke("seq2seq", "train", str(pairs), "--out", str(model), "--steps", "2",
                  "--hidden", "8", "--layers", "1", "--embedding-dim", "4", "--quiet")
    assert done.returncode == 0, done.stderr
    inputs = tmp_path / "in.txt"
    inputs.write_text("ab\naq\n", encoding="utf-8")
    translated = invoke("seq2seq", "translate", str(model), str(inputs))
    said = " ".join(translated.stderr.split())
    assert "line 2 has 1 source token never seen in training; it is read as <unk>" in said, said
    test = tmp_path / "test.tsv"
    test.write_text("aq\tq a\nab\tb a\n", encoding="utf-8")
    evaluated = invoke("seq2seq", "eval", str(model), str(test))
    said = " ".join(evaluated.stderr.split())
    assert "1 source token was never seen in training (read as <unk>)" in said, said
