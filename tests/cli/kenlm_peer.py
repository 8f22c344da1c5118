"""KenLM's perplexity and scores of an ARPA file, computed in the peers' Python
(`$SEQLAB_PEER_PYTHON`, which has the kenlm module; the project's environment never does): the
tests that compare with it skip where the variable is unset (`needs_kenlm`)."""

from __future__ import annotations

import json
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


def kenlm_scores(model_path: Path, texts: list[str]) -> list[dict[tuple[bool, bool], tuple]]:
    """For each text, keyed by (bos, eos), `kenlm.Model(model_path)`'s `score` (log10) and its
    `full_scores` as a list of (log10 probability, n-gram length, oov) lists."""
    script = textwrap.dedent("""\
        import json, sys, kenlm
        model = kenlm.Model(sys.argv[1])
        out = []
        for text in json.loads(sys.argv[2]):
            for bos in (True, False):
                for eos in (True, False):
                    out.append([model.score(text, bos=bos, eos=eos),
                                [list(s) for s in model.full_scores(text, bos=bos, eos=eos)]])
        print(json.dumps(out))
        """)
    done = subprocess.run([os.environ["SEQLAB_PEER_PYTHON"], "-c", script, str(model_path),
                           json.dumps(texts)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    found = iter(json.loads(done.stdout.strip().splitlines()[-1]))
    return [{(bos, eos): tuple(next(found)) for bos in (True, False) for eos in (True, False)}
            for _ in texts]
