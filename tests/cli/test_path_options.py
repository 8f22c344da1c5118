"""One rule for every file or folder a command takes (`seqlab.cli.path_options`): a leading
`~` is expanded (also in `--out=~/x`, which the shell leaves alone), so the model, its lock,
training state, checkpoints, metrics log and caches all go to the home folder; an empty value
(`""`, an unset "$VAR") is refused in one line instead of meaning the current folder."""

from __future__ import annotations

import pytest
import typer
from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke

from seqlab.autograd.file_lock import FileLock, lock_path
from seqlab.cli.path_options import is_path_parameter


def _path_cases() -> list[tuple[str, ...]]:
    """For each path parameter of each command: the words that give it "" (earlier arguments
    get "x": the empty one must be refused whatever else the command line lacks)."""
    from seqlab.cli.app import _register, app

    _register()
    cases: list[tuple[str, ...]] = []

    def walk(command, words: tuple[str, ...]) -> None:
        before: list[str] = []
        for param in getattr(command, "params", ()):
            option = next((o for o in getattr(param, "opts", ()) if o.startswith("-")), None)
            if is_path_parameter(param):
                cases.append((*words, *before, "") if option is None
                             else (*words, option, ""))
            if option is None:
                before.append("x")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*words, name))

    walk(typer.main.get_command(app), ())
    return cases


PATH_CASES = _path_cases()


def test_the_walk_finds_every_kind_of_path_parameter():
    assert ("train", "--out", "") in PATH_CASES  # an option
    assert ("train", "") in PATH_CASES  # a list argument
    assert ("ngram", "export-arpa", "x", "") in PATH_CASES  # a second argument
    assert ("seq2seq", "eval", "--scratch", "") in PATH_CASES
    assert len(PATH_CASES) > 50


@pytest.mark.parametrize("words", PATH_CASES, ids=" ".join)
def test_an_empty_path_is_refused_in_one_line(words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text(CORPUS, encoding="utf-8")  # what "" would have read
    done = invoke(*words)
    assert_one_line_failure(done, "the path is empty", code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.mark.parametrize("command", [("train",), ("classify", "train"), ("forecast", "train"),
                                     ("seq2seq", "train")])
@pytest.mark.parametrize("out", [".", "/"])
def test_a_checkpoint_out_without_a_file_name_is_refused_in_one_line(command, out, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = invoke(*command, "--out", out)
    assert_one_line_failure(done, f"--out {out}", "must end with .safetensors", code=2)


def test_tilde_puts_the_model_its_lock_and_its_side_files_in_the_home_folder(tmp_path,
                                                                             monkeypatch):
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    (work / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    train = ("train", "corpus.txt", "--steps", "2", "--out=~/m.safetensors", *TINY)

    with FileLock(lock_path(home / "m.safetensors"), wait=False, holder="a test"):
        held = invoke(*train)  # the lock is the home folder's
    assert_one_line_failure(held, "a test", code=1)

    done = invoke(*train)  # two steps: enough to write every side file
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in work.iterdir()) == ["corpus.txt"]  # no folder named "~"
    written = {p.name for p in home.iterdir()}
    assert {"m.safetensors", "m.train.safetensors", "m.metrics.jsonl", "m.checkpoints",
            "m.cache"} <= written, written

    info = invoke("info", "~/m.safetensors", "--json")  # an input: the same rule
    assert info.returncode == 0, info.stderr


def test_a_text_or_file_argument_expands_tilde_only_in_a_file_name(tmp_path, monkeypatch):
    """`seq2seq translate` and `tokenize encode` take text or a file: `~/a.txt` is the home
    folder's file, as in a path option; text that merely starts with `~` stays text."""
    from seqlab.cli.text_argument import named_file

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "a.txt").write_text("some text\n", encoding="utf-8")
    assert named_file("~/a.txt") == tmp_path / "a.txt"
    assert named_file("~ is a tilde") is None
