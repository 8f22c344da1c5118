"""Every numeric option with a declared range is checked by every command that has it, in one
line, at parse time (`option_ranges` + `params.harden`)."""

from __future__ import annotations

import pytest
import typer
from inprocess import assert_one_line_failure, invoke

from seqlab.cli import app as cli_app
from seqlab.cli.option_ranges import COMMAND_RANGES, RANGES, Range, range_of
from seqlab.cli.params import _annotation


def numeric_options() -> list[tuple[str, str, type]]:
    """(command path, --option, int | float) for every numeric option of every command."""
    cli_app._register()
    found = []

    def walk(command, path):
        for param in getattr(command, "params", ()):
            annotation = _annotation(param)
            longs = [name for name in getattr(param, "opts", ()) if name.startswith("--")]
            if annotation in (int, float) and longs:
                found.append((path, longs[0], annotation))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(cli_app.app), "")
    return found


def outside(allowed: Range, kind: type) -> list[float | int]:
    """Values just outside each bound of `allowed`."""
    step = 1 if kind is int else 0.5
    values = []
    if allowed.low is not None:
        values.append(allowed.low if allowed.low_open else allowed.low - step)
    if allowed.high is not None:
        values.append(allowed.high if allowed.high_open else allowed.high + step)
    return [kind(value) for value in values]


CASES = [(path, option, value) for path, option, kind in numeric_options()
         if (allowed := range_of(path, option)) is not None
         for value in outside(allowed, kind)]


def test_every_declared_range_names_an_option_some_command_has():
    options = {option for _, option, _ in numeric_options()}
    assert set(RANGES) <= options
    assert {(path, option) for path, option, _ in numeric_options()} >= set(COMMAND_RANGES)
    assert len(CASES) > 60


@pytest.mark.parametrize(("path", "option", "value"), CASES,
                         ids=[f"{p} {o} {v}" for p, o, v in CASES])
def test_a_value_outside_the_range_is_one_line(path, option, value):
    done = invoke(*path.split(), option, str(value))
    assert_one_line_failure(done, f"{option} must be in", code=2)


def test_command_specific_ranges_override_the_shared_one():
    assert range_of("gradients", "--steps").check("--steps", 0) is None
    with pytest.raises(Exception, match="--steps must be in"):
        range_of("train", "--steps").check("--steps", 0)
    assert invoke("eval", "--seq-len", "0").returncode == 2  # eval had no check of its own


def test_integer_options_are_seen_as_integers_under_this_typer():
    """Typer 0.29 keeps each option's annotation; older Typer gives only click's type, whose
    integer is named "int" in the click Typer 0.28 vendors ("integer" in click itself):
    missing it left every integer option without its range check."""
    found = {(path, option): kind for path, option, kind in numeric_options()}
    assert found[("word2vec train", "--dim")] is int
    assert found[("train", "--epochs")] is int
    done = invoke("word2vec", "train", "--dim", "0")
    assert_one_line_failure(done, "--dim must be in", code=2)
