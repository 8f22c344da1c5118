"""sacreBLEU's corpus BLEU and chrF with its defaults (13a tokenization, every reference of a
source), computed in the peers' Python (`$SEQLAB_PEER_PYTHON`; the project's environment never
has sacrebleu): the tests that compare with it skip where it is unset or lacks sacrebleu."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

SCRIPT = r"""
import json, sys, sacrebleu
hypotheses, references = json.loads(sys.stdin.read())
width = max(len(r) for r in references)
streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
print(json.dumps([sacrebleu.corpus_bleu(hypotheses, streams).score,
                  sacrebleu.corpus_chrf(hypotheses, streams).score]))
"""


def sacrebleu_scores(hypotheses: list[str], references: list[list[str]]) -> tuple[float, float]:
    """(BLEU, chrF) of `hypotheses`, each against its list of references, as sacreBLEU's
    `corpus_bleu` and `corpus_chrf` give them (a variable number of references as None)."""
    python = os.environ.get("SEQLAB_PEER_PYTHON")
    if not python:
        pytest.skip("SEQLAB_PEER_PYTHON is not set (a Python with sacrebleu; see DEVELOPERS.md)")
    probe = subprocess.run([python, "-c", "import sacrebleu"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"the peer Python {python} cannot import sacrebleu")
    done = subprocess.run([python, "-c", SCRIPT], input=json.dumps([hypotheses, references]),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    bleu, chrf = json.loads(done.stdout)
    return bleu, chrf
