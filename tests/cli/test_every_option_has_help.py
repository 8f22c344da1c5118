"""Every option of every command says what it does in --help (qaA s23 finding 9): a walk of
the Typer app's commands (no command runs) fails on any option without a help text."""

from __future__ import annotations

import typer


def undocumented_options() -> list[str]:
    from seqlab.cli import app

    app._register()
    missing: list[str] = []

    def walk(command: typer.core.TyperCommand, path: list[str]) -> None:
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden and \
                    not (param.help or "").strip() and param.name != "help":
                missing.append(f"{' '.join(path)} {param.opts[0]}")
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app.app), ["seqlab"])
    return missing


def test_every_option_has_a_help_text():
    assert undocumented_options() == []
