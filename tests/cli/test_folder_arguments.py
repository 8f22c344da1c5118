"""A folder argument reads every *.txt file under it in any case (.TXT too) and says, in one
line, how many other files it skipped and their extensions (qaC stop 21, finding 5)."""

from __future__ import annotations

import json

from inprocess import invoke


def test_a_folder_reads_txt_in_any_case_and_names_what_it_skips(tmp_path, caplog):
    # the note is a library warning: Python's last-resort handler prints it on stderr in a
    # real run; pytest's log capture takes it here
    folder = tmp_path / "code"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.py").write_text("import os\n")
    (folder / "b.py").write_text("import sys\n")
    (folder / "README").write_text("notes words here\n")
    (folder / "sub" / "x.md").write_text("md words\n")
    (folder / "sub" / "Y.TXT").write_text("upper words\n")
    (folder / "sub" / "z.txt").write_text("text words\n")
    done = invoke("tokenize", "train", folder, "--level", "word", "--out",
                  tmp_path / "t.json", "--json")
    assert done.returncode == 0, done.stderr
    vocab = json.loads((tmp_path / "t.json").read_text())["vocab"]["tokens"]
    assert {"upper", "text", "words"} <= set(vocab) and "import" not in vocab
    notes = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(notes) == 1, notes  # once, though the folder is read twice (count, then train)
    assert "read 2 *.txt files, skipped 4 others (2 .py, 1 .md, 1 no extension)" in notes[0]
