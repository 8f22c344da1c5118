"""The lock file's holder line (QA stop 18, fixQ2 item 4): the command is quoted as a shell
would need it (shlex.join), and a newline in an argument never breaks the file's format
(the mark line, then one holder line)."""

from __future__ import annotations

from seqlab.autograd import file_lock
from seqlab.autograd.file_lock import FileLock, describe_process, lock_path


def test_the_command_keeps_its_quoting():
    text = describe_process(["seqlab", "train", "my book.txt", "--out", "a'b.safetensors"])
    assert "seqlab train 'my book.txt' --out 'a'\"'\"'b.safetensors'" in text, text


def test_a_newline_in_an_argument_stays_on_one_line(tmp_path):
    holder = describe_process(["seqlab", "generate", "m", "--prompt", "one\ntwo\r"])
    assert "\n" not in holder and "\r" not in holder, holder
    path = lock_path(tmp_path / "m.safetensors")
    with FileLock(path, wait=False, holder="a note\nwith a line break") as lock:
        assert lock.held
        lines = path.read_text().splitlines()
        assert lines[0] == file_lock.MARK and len(lines) == 2, lines
        assert "a note" in lines[1] and "with a line break" in lines[1], lines
