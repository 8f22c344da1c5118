"""seqlab's option parsing without Pydantic against Typer's own (Pydantic's lax mode).

Typer's adapters are built here as Typer builds them for an option with no bounds; both must
give the same value, or both refuse with the same message, on every string tried."""

import math
import random
import re
from pathlib import Path

import pytest

from seqlab.cli import coercion

adapters = pytest.importorskip("typer._adapters")  # this typer coerces through Pydantic
from typer.models import OptionInfo  # noqa: E402

# digits, signs, separators, the letters of inf/nan/e/true/yes..., Unicode spaces and digits
ALPHABET = list("0123456789+-._eEinfaINFAtyrueslo ") + ["\t", "\xa0", "\u2003", "\x1c", "\n",
                                                        "\u0663", "x", "\x00"]
WORDS = ["", " ", "1", "-1", "+1", "1.0", "1.00", "1.", ".0", "1.5", "1_000", "1__0", "_1",
         "1_", "1e3", "1e-3", "1E5_0", "inf", "-inf", "Infinity", "nan", "-nan", "NaN", "snan",
         "0x10", "0b1", "00012", "\u0663", "\u0663.0", " 12 ", "\xa07", "\x1c7", "7\x1c",
         "1e400", "-0.0", "true", "True", " TRUE ", "yes", "on", "t", "y", "1", "0", "off", "no",
         "n", "f", "false", "2", "maybe", "9" * 40, "1." + "0" * 30, "233_.", "1_.5", "1._5",
         "1e_5", "-_1", "+1_", "i_nf", "n_an", "5._", "1.0_0", "1_.0"]

MISREAD_SIGN = re.compile(r"^\s*[+-]?0[0_]*[+-]")


def _strings() -> list[str]:
    rng = random.Random(5)
    drawn = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6)))
             for _ in range(4000)]
    return WORDS + drawn


def _typer_result(annotation, value):
    adapter = adapters.build_adapter(annotation, OptionInfo())
    try:
        return adapter.validate_python(value, context={})
    except Exception as error:  # Pydantic's ValidationError: Typer shows its first message
        return ("error", error.errors()[0]["msg"])


def _ours(parse, value):
    try:
        return parse(value)
    except ValueError as error:
        return ("error", str(error))


def _same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return type(left) is type(right) and left == right


@pytest.mark.parametrize("annotation,parse", [
    (int, coercion.parse_int), (float, coercion.parse_float), (bool, coercion.parse_bool),
    (str, coercion.parse_str)])
def test_same_values_and_messages_as_typer_on_thousands_of_strings(annotation, parse):
    differ = [(value, _ours(parse, value), _typer_result(annotation, value))
              for value in _strings()
              if not _same(_ours(parse, value), _typer_result(annotation, value))]
    if annotation is int:  # Pydantic reads a sign after leading zeros ("0-9" as -9): refused
        misread = [case for case in differ if MISREAD_SIGN.search(case[0])]
        assert all(isinstance(ours, tuple) for _, ours, _ in misread), misread
        differ = [case for case in differ if case not in misread]
    assert differ == []


@pytest.mark.parametrize("annotation,parse,values", [
    (int, coercion.parse_int, [3, 3.0, True, 3.5, float("inf")]),
    (float, coercion.parse_float, [3, 0.25, True]),
    (bool, coercion.parse_bool, [True, False, 0, 1, 2])])
def test_same_as_typer_on_python_defaults(annotation, parse, values):
    for value in values:
        assert _same(_ours(parse, value), _typer_result(annotation, value)), value


def test_every_registered_parameter_gets_the_light_coercion():
    import typer

    from seqlab.cli.app import _register, app
    from seqlab.cli.params import harden

    _register()
    command = harden(typer.main.get_command(app))
    missed = []

    def walk(node, path):
        for param in node.params:
            if type(param._runtime_param).__name__ != "LightRuntimeParam":
                missed.append(f"{path} {param.name}")
        for name, sub in getattr(node, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(command, "seqlab")
    assert missed == []


def test_a_bad_number_is_still_one_line_naming_the_option(tmp_path: Path):
    from inprocess import assert_one_line_failure, invoke

    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n")
    done = invoke("tokenize", "train", str(corpus), "--vocab-size", "1.5", "--out",
                  str(tmp_path / "t.json"))
    assert_one_line_failure(done, "--vocab-size", "valid integer", code=2)
    done = invoke("word2vec", "train", str(corpus), "--sample", "abc", "--out",
                  str(tmp_path / "v.txt"))
    assert_one_line_failure(done, "--sample", "valid number", code=2)
