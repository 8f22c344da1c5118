"""The CLI's output lock names its holder's command with shell quoting (QA stop 18, fixQ2
item 4: `" ".join` lost it), and an argument's newline keeps the holder to one line."""

from __future__ import annotations

from seqlab.autograd import file_lock
from seqlab.autograd.file_lock import lock_path
from seqlab.cli import output_locks


def test_the_holder_line_quotes_the_command(tmp_path):
    out = tmp_path / "m.safetensors"
    output_locks.start_command(["train", "my book.txt", "--prompt", "a\nb", "--out", str(out)])
    try:
        output_locks.lock_output(out)
        lines = lock_path(out).read_text().splitlines()
    finally:
        output_locks.release_outputs()
    assert lines[0] == file_lock.MARK and len(lines) == 2, lines
    assert "seqlab train 'my book.txt' --prompt 'a\\nb' --out" in lines[1], lines
