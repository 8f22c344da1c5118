"""KenLM's perplexity of an ARPA file, computed in the peers' Python (`$SEQLAB_PEER_PYTHON`,
which has the kenlm module; the project's environment never does): the tests that compare
with it skip where the variable is unset."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

needs_kenlm = pytest.mark.skipif(not os.environ.get("SEQLAB_PEER_PYTHON"),
                                 reason="set SEQLAB_PEER_PYTHON to a python that has kenlm to "
                                        "run this")


def kenlm_perplexity(model_path: Path, lines: list[str]) -> float:
    """10^(-mean log10 probability) of `lines` (each with <s> and </s>, tokens between
    whitespace, one </s> counted a line) as `kenlm.Model(model_path)` scores them."""
    script = textwrap.dedent(f"""\
        import kenlm
        model = kenlm.Model({str(model_path)!r})
        lines = {lines!r}
        total = sum(model.score(line, bos=True, eos=True) for line in lines)
        print(repr(10 ** (-total / sum(len(line.split()) + 1 for line in lines))))
        """)
    done = subprocess.run([os.environ["SEQLAB_PEER_PYTHON"], "-c", script],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return float(done.stdout.split()[-1])
