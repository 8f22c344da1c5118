"""Every command says when it compiles kernels (qaA s23 finding 11: `ngram train` sat for a
minute at "counting 3-grams" on a fresh cache without a word): one listener on Numba's compile
event, put in place by `app.main`, notes the first compilation of each command."""

from __future__ import annotations

import pytest
from numba import config, njit

from seqlab.cli import compile_note
from seqlab.cli.console import Output
from tests.cli.inprocess import invoke


def _fresh_kernel():
    """A kernel Numba has not compiled yet (cache=False: every call of this compiles anew)."""

    @njit
    def add_one(x):
        return x + 1

    return add_one


@pytest.mark.skipif(config.DISABLE_JIT, reason="NUMBA_DISABLE_JIT: nothing compiles")
def test_a_command_that_compiles_a_kernel_says_so(monkeypatch):
    from seqlab.nlp import corpora

    def listing():
        _fresh_kernel()(1)
        _fresh_kernel()(2)  # a second compilation in the same command: no second note
        return []

    monkeypatch.setattr(corpora, "list", listing)
    done = invoke("corpora")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(compile_note.NOTE) == 1
    done = invoke("corpora")  # the next command notes its own first compilation
    assert done.stderr.count(compile_note.NOTE) == 1


def test_no_note_without_a_compilation_or_under_quiet(capsys):
    compile_note.begin_command()
    Output(quiet=True)
    _fresh_kernel()(1)
    compile_note.begin_command()
    Output(as_json=True)
    _fresh_kernel()(1)
    compile_note.begin_command()
    Output()
    assert compile_note.NOTE not in capsys.readouterr().err
