"""A command line imports its own command's module only; help, unknown names and completion
still see every command, listed in the same order whichever was registered first."""

import subprocess
import sys

import pytest

from seqlab.cli.command_table import COMMANDS, NAMES, named_command


@pytest.mark.parametrize(("args", "name"), [
    (["tokenize", "train", "x.txt"], "tokenize"),
    (["--errors", "replace", "train", "book.txt"], "train"),
    (["--errors=ignore", "eval", "m.safetensors"], "eval"),
    (["word2vec", "--help"], "word2vec"),
    ([], None),                      # no command: help lists them all
    (["--help"], None),
    (["-h"], None),
    (["trian", "book.txt"], None),   # unknown: the error suggests the nearest name
    (["--errors"], None),
    (["--install-completion"], None),
])
def test_the_command_a_line_names(args, name, monkeypatch):
    monkeypatch.delenv("_SEQLAB_COMPLETE", raising=False)
    assert named_command(args) == name


def test_shell_completion_needs_every_command(monkeypatch):
    monkeypatch.setenv("_SEQLAB_COMPLETE", "bash_complete")
    assert named_command(["tokenize", "train"]) is None


def test_the_table_names_every_command_module():
    import pkgutil

    import seqlab.cli.commands as package

    modules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    assert {module for _, module, _, _ in COMMANDS} == modules - {"tokenize_export"}
    assert len(set(NAMES)) == len(NAMES)


def test_a_command_imports_only_its_module_and_help_keeps_the_order():
    code = (
        "import sys\n"
        "from seqlab.cli import app as cli_app\n"
        "def run(*args):\n"
        "    try:\n"
        "        cli_app.main(list(args))\n"
        "    except SystemExit:\n"
        "        pass\n"
        "run('tokenize', '--help')\n"
        "loaded = sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "                if m.startswith('seqlab.cli.commands.'))\n"
        "print('loaded', loaded)\n"
        "run('info', '--help')\n"
        "run('--help')\n"
        "print('registered', [i.name for i in cli_app.app.registered_commands]\n"
        "      + [i.name for i in cli_app.app.registered_groups])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines()
                 if line.startswith(("loaded ", "registered ")))
    loaded, registered = lines["loaded"], lines["registered"]
    assert loaded == "['tokenize', 'tokenize_export']"
    commands = [name for name, _, _, group in COMMANDS if not group]
    groups = [name for name, _, _, group in COMMANDS if group]
    assert registered == repr(commands + groups)
