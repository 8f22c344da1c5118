"""Run the real `seqlab` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CORPUS = (
    "The quick brown fox jumps over the lazy dog. " * 3 + "\n"
    "A journey of a thousand miles begins with a single step.\n"
    "To be or not to be, that is the question.\n"
) * 40


def seqlab_env() -> dict[str, str]:
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "120"
    env.pop("SEQLAB_DEBUG", None)
    return env


def run(*args: str, input: str | None = None, cwd: Path | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    """`seqlab ARGS...` as a user would run it; returns the finished process."""
    return subprocess.run([sys.executable, "-m", "seqlab.cli", *args], input=input,
                          capture_output=True, text=True, cwd=cwd, env=seqlab_env(),
                          timeout=timeout)


def popen(*args: str, cwd: Path | None = None, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "seqlab.cli", *args], cwd=cwd,
                            env=seqlab_env(), **options)


TINY = ["--hidden", "16", "--layers", "1", "--embedding-dim", "8", "--batch-size", "4",
        "--seq-len", "16", "--eval-every", "5", "--quiet"]

# Six 3-dimensional word vectors (two analogy pairs, two unrelated words) for `word2vec evaluate`
VECTOR_ROWS = {"KING": "1 0 0.1", "QUEEN": "0.9 0.1 0.1", "MAN": "1 0 0.9",
               "WOMAN": "0.9 0.1 0.9", "CAT": "0 1 0", "DOG": "0.1 0.9 0.1"}


def write_vectors(path: Path) -> Path:
    """Write VECTOR_ROWS to `path` in word2vec's text format; return `path`."""
    path.write_text(f"{len(VECTOR_ROWS)} 3\n" +
                    "".join(f"{w} {v}\n" for w, v in VECTOR_ROWS.items()), encoding="utf-8")
    return path
