"""Resident memory by stage in one process, with and without LLVM's clean pages given back
(`seqlab.autograd.llvm_pages`, as the commands request it): CLI modules, `import numba`, the
word2vec counting kernels loaded, every word2vec kernel (a tiny model trained). Prints VmRSS
(and the high-water mark) per stage, one fresh process per side. Numba caches must be warm.

    uv run python benchmarks/llvm_pages_stages.py
"""

from __future__ import annotations

import subprocess
import sys

from bench_common import print_machine_report

CHILD = """
import sys
def stage(name):
    fields = {}
    for line in open("/proc/self/status"):
        key = line.split(":")[0]
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = round(int(line.split()[1]) / 1024, 1)
    print(sys.argv[1], name, fields, flush=True)
import seqlab.cli.app, seqlab.cli.commands.word2vec
from seqlab.autograd.runtime_cache import CACHED_RUNTIME
from seqlab.autograd.llvm_pages import RELEASED_LLVM_PAGES
CACHED_RUNTIME.request()
if sys.argv[1] == "release":
    RELEASED_LLVM_PAGES.request()
stage("CLI modules")
from seqlab.nlp.word2vec import count_kernels, kernels
stage("+ import numba (kernel modules)")
from seqlab.nlp.word2vec.counting import count_words
count_words([["a", "b"]], 1)
stage("+ counting kernels loaded")
from seqlab.nlp.word2vec import Word2Vec
model = Word2Vec(vector_size=8, min_count=1, epochs=1, workers=2)
model.build_vocab([["a", "b", "c", "d"]] * 50)
model.train([["a", "b", "c", "d"]] * 50, total_examples=50, epochs=1)
stage("+ every word2vec kernel")
"""


def main() -> None:
    print_machine_report(isolated=True)
    for side in ("keep", "release"):
        subprocess.run([sys.executable, "-c", CHILD, side], check=True)


if __name__ == "__main__":
    main()
