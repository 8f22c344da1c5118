"""word2vec's train_chunk kernel, this tree's against another checkout's, on the same arrays.

An A/B of a kernel edit (stop 20: the `shrink_windows` flag in the window loop): both kernels
train copies of the same matrices on the same chunk (tinyshakespeare's words, skip-gram and
CBOW, negative sampling), alternating, rounds of each; prints medians of CPU and wall time.

    uv run python benchmarks/word2vec_kernel_ab.py --baseline-src /tmp/base \\
        --corpus ../shared/data/tinyshakespeare.txt [--rounds 3]
"""

import argparse
import importlib.util
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import print_machine_report

from seqlab.nlp.word2vec import Word2Vec
from seqlab.nlp.word2vec import kernels as ours


def _baseline_kernels(root: Path):
    """The other checkout's word2vec/kernels.py, loaded under a name of its own."""
    path = root / "packages/nlp/src/seqlab/nlp/word2vec/kernels.py"
    spec = importlib.util.spec_from_file_location("baseline_word2vec_kernels", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Numba's cache names the module its code belongs to
    spec.loader.exec_module(module)
    return module


def _cpu() -> str:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.*)", text)
    isa = "avx512f" if " avx512f" in text else ("avx2" if " avx2" in text else "?")
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    return f"{model.group(1) if model else platform.processor()}, ISA {isa}, BLAS {blas}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print_machine_report(isolated=True)
    words = args.corpus.read_text(encoding="utf-8").lower().split()
    sentences = [words[i:i + 1000] for i in range(0, len(words), 1000)]
    base = _baseline_kernels(args.baseline_src)
    print(f"CPU: {_cpu()}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; "
          f"load {Path('/proc/loadavg').read_text().split()[:3]}; {len(words)} words")
    for sg in (1, 0):
        model = Word2Vec(vector_size=100, min_count=5, sg=sg, workers=1, seed=1)
        model.build_vocab(sentences)
        get = model.wv.key_to_index.get
        ids = [[get(w) for w in s if get(w) is not None] for s in sentences]
        flat = np.array([i for s in ids for i in s], np.int64)
        ends = np.cumsum([len(s) for s in ids]).astype(np.int64)
        times: dict[str, list[tuple[float, float]]] = {"this tree": [], "baseline": []}
        for _ in range(args.rounds + 1):  # the first round compiles or loads: not counted
            for name, module in (("this tree", ours), ("baseline", base)):
                syn0, syn1neg = model.wv.vectors.copy(), model.syn1neg.copy()
                work = np.zeros(100, np.float32)
                neu1 = np.zeros(100, np.float32)
                extra = (True,) if module is ours else ()
                cpu, wall = time.process_time(), time.perf_counter()
                module.train_chunk(syn0, syn1neg, model.syn1, flat, ends, model.sample_ints,
                                   model.cum_table, model.cum_guide, model.codes, model.points,
                                   model.codelens, sg, 5, 0, 5, 1, 0.025, 0.0001, 1, work,
                                   neu1, False, *extra)
                times[name].append((time.process_time() - cpu, time.perf_counter() - wall))
        medians = {name: [statistics.median(t[k] for t in runs[1:]) for k in (0, 1)]
                   for name, runs in times.items()}
        this, baseline = medians["this tree"], medians["baseline"]
        print(f"{'sg' if sg else 'cbow'}: this tree cpu {this[0]:.3f}s wall {this[1]:.3f}s; "
              f"baseline cpu {baseline[0]:.3f}s wall {baseline[1]:.3f}s; "
              f"ratio (this/baseline) cpu {this[0] / baseline[0]:.3f} "
              f"wall {this[1] / baseline[1]:.3f}")
    print(f"load after {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
