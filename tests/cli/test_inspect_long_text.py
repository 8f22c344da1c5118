"""`inspect --file` on a text longer than inspect reads (QA stop 18, fixQ2 item 5): the refusal
writes its numbers with thousands separators and says what to do, and --max-tokens reads the
text's first N tokens."""

from __future__ import annotations

import json

from inprocess import invoke


def test_a_long_text_is_refused_with_what_to_do(tmp_path, trained_model):
    chapter = tmp_path / "chapter.txt"
    chapter.write_text("the cat sat on the mat. " * 400, encoding="utf-8")  # 9,600 chars
    done = invoke("inspect", str(trained_model), "--file", str(chapter))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert "9,600 tokens" in said and "at most 5,000" in said, said
    assert "--max-tokens 5000" in said, said


def test_max_tokens_reads_the_first_tokens(tmp_path, trained_model):
    chapter = tmp_path / "chapter.txt"
    chapter.write_text("the cat sat on the mat. " * 400, encoding="utf-8")
    done = invoke("inspect", str(trained_model), "--file", str(chapter), "--max-tokens", "300",
                  "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert len(data["tokens"]) == len(data["shown"]["values"]) == 300
    assert "".join(data["tokens"]) == ("the cat sat on the mat. " * 400)[:300]
