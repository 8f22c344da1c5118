"""`seqlab.cli.app.main` run many times in one process (as the in-process tests do) builds the
same command tree each time: registering the commands again on every call made each build
slower than the last (quadratic over a test session)."""

from __future__ import annotations

from inprocess import invoke

from seqlab.cli import app as cli_app


def test_repeated_main_calls_register_each_command_once():
    assert invoke("info", "--help").returncode == 0
    commands = [info.name for info in cli_app.app.registered_commands]
    groups = [info.name for info in cli_app.app.registered_groups]
    for _ in range(3):
        assert invoke("info", "--help").returncode == 0
    assert [info.name for info in cli_app.app.registered_commands] == commands
    assert [info.name for info in cli_app.app.registered_groups] == groups
    assert len(set(commands)) == len(commands) and len(set(groups)) == len(groups)
