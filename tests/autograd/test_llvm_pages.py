"""LLVM's clean pages given back between compiles: only clean read-only mappings of
`libllvmlite.so` are dropped, never while traced or while another thread holds Numba's
compiler lock, and Numba compiles (a cold cache too) and runs correctly after they are.

The process-wide cases run in a fresh process each (the release and Numba's event listener
last for the process). A release that dropped a page the process had written (the library's
relocated read-only data) would crash the next compile: the child compiles new functions
after releasing, and their results must equal NumPy's.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from numba.core import config

from seqlab.autograd import llvm_pages

linux_jit = pytest.mark.skipif(
    config.DISABLE_JIT or not sys.platform.startswith("linux"),
    reason="needs the JIT (LLVM) and Linux's /proc/self/smaps")

SMAPS = """\
7f0000000000-7f0000100000 r--p 00000000 08:01 42 /venv/llvmlite/binding/libllvmlite.so
Rss:                 400 kB
Private_Clean:         0 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0000100000-7f0000900000 r-xp 00100000 08:01 42 /venv/llvmlite/binding/libllvmlite.so
Rss:                2000 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0000900000-7f0000a00000 r--p 00900000 08:01 42 /venv/llvmlite/binding/libllvmlite.so
Rss:                 100 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  8 kB
7f0000a00000-7f0000b00000 r--p 00a00000 08:01 42 /venv/llvmlite/binding/libllvmlite.so
Rss:                1800 kB
Private_Dirty:      1800 kB
Anonymous:          1800 kB
Swap:                  0 kB
7f0000b00000-7f0000c00000 rw-p 00b00000 08:01 42 /venv/llvmlite/binding/libllvmlite.so
Rss:                 200 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0000c00000-7f0000d00000 r-xp 00000000 08:01 43 /usr/lib/libpython3.11.so
Rss:                5000 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0000d00000-7f0000e00000 r-xp 00000000 08:01 42 /venv/llvmlite/binding/libllvmlite.so
Rss:                   0 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
7f0000e00000-7f0000f00000 r--p 00000000 08:01 44 /usr/lib/libllvmlite.so.bak
Rss:                 300 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]
Rss:                  12 kB
Private_Dirty:        12 kB
Anonymous:            12 kB
Swap:                  0 kB
"""


def test_only_clean_read_only_library_mappings_are_chosen(tmp_path):
    smaps = tmp_path / "smaps"
    smaps.write_text(SMAPS)
    chosen = llvm_pages._clean_library_mappings(str(smaps))
    # not: a swapped page, written (relocated) pages, a writable mapping, other libraries
    assert chosen == [(0x7f0000000000, 0x7f0000100000, 400),
                      (0x7f0000100000, 0x7f0000900000, 2000),
                      (0x7f0000d00000, 0x7f0000e00000, 0)]


CHILD = textwrap.dedent("""
    import json, os, sys, threading
    import numpy as np
    from numba import njit
    from numba.core.compiler_lock import global_compiler_lock
    from seqlab.autograd import llvm_pages

    def library_kib():  # resident KiB of the library's clean read-only mappings
        mappings = llvm_pages._clean_library_mappings(llvm_pages.SMAPS)
        return sum(resident for _, _, resident in mappings)

    def traced():  # a debugger attached: its breakpoints would be private pages
        with open(sys.argv[2], "w") as status:
            status.write("Name: python\\nTracerPid:\\t4242\\n")
        return llvm_pages.release_llvm_pages(status=sys.argv[2])

    def locked_elsewhere():  # another thread inside Numba's compiler (holding its lock)
        holding, done = threading.Event(), threading.Event()
        def compile_elsewhere():
            with global_compiler_lock:
                holding.set()
                done.wait()
        thread = threading.Thread(target=compile_elsewhere)
        thread.start()
        holding.wait()
        released = llvm_pages._release_holding_compiler_lock(only_if_grown=False)
        done.set()
        thread.join()
        return released

    def kept():
        os.environ[llvm_pages.KEEP_VARIABLE] = "1"
        released = llvm_pages.release_after_compiles()
        del os.environ[llvm_pages.KEEP_VARIABLE]
        return released

    @njit
    def cumulative(values):
        out = np.empty(values.size + 1)  # allocated by Numba's runtime
        out[0] = 0.0
        for i in range(values.size):
            out[i + 1] = out[i] + values[i]
        return out

    values = np.arange(1.0, 9.0)
    results = {"before": library_kib(), "refused": {}}
    if sys.argv[1] == "refusals":
        for name, attempt in (("traced", traced), ("locked", locked_elsewhere), ("kept", kept)):
            results["refused"][name] = [attempt(), library_kib()]
        results["released"] = llvm_pages.release_llvm_pages()  # no listener: once
    else:
        results["released"] = llvm_pages.release_after_compiles()
    results["after_release"] = library_kib()
    results["cumulative"] = cumulative(values).tolist()  # compiled after the release

    @njit
    def pairs(n):
        found = [(i, i * i) for i in range(n)]  # a reflected list: the runtime's refcounts
        return np.array([b - a for a, b in found])

    results["pairs"] = pairs(6).tolist()  # compiled after the first compile's release, if any
    results["after_compiles"] = library_kib()
    results["expected"] = np.concatenate([[0.0], np.cumsum(values)]).tolist()
    results["pairs_expected"] = [i * i - i for i in range(6)]
    print(json.dumps(results))
""")


def _child_env(**extra: str) -> dict[str, str]:
    drop = ("NUMBA_DISABLE_JIT", llvm_pages.KEEP_VARIABLE)
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env or _child_env(), timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@linux_jit
def test_nothing_is_released_when_traced_locked_elsewhere_or_kept_then_compiles_work(tmp_path):
    """No release while a debugger is attached, while another thread holds Numba's compiler
    lock, or under SEQLAB_KEEP_LLVM_PAGES=1; then one release, and compiles after it give
    NumPy's results and fault LLVM's pages back (no listener here)."""
    result = _run(CHILD, "refusals", str(tmp_path / "status"))
    assert result["before"] > 10_000  # LLVM's static initialisers touched MBs of the library
    assert result["refused"] == {"traced": [0, result["before"]],
                                 "locked": [0, result["before"]],
                                 "kept": [False, result["before"]]}
    assert result["released"] >= 2  # the text and the read-only data before it
    assert result["after_release"] == 0
    assert result["cumulative"] == result["expected"]
    assert result["pairs"] == result["pairs_expected"]
    assert result["after_compiles"] > 1_000  # compiling faulted LLVM's pages back


@linux_jit
def test_release_after_compiles_drops_what_each_compile_touched():
    result = _run(CHILD, "listen")
    assert result["released"] is True
    assert result["after_release"] == 0
    assert result["cumulative"] == result["expected"]
    assert result["pairs"] == result["pairs_expected"]
    assert result["after_compiles"] < 1_000  # released again when each compile ended


COMMAND_CHILD = textwrap.dedent("""
    import json, os
    import numpy as np
    from seqlab.autograd.llvm_pages import RELEASED_LLVM_PAGES
    from seqlab.autograd.runtime_cache import CACHED_RUNTIME
    CACHED_RUNTIME.request()  # as a `seqlab` command asks (app.py)
    RELEASED_LLVM_PAGES.request()
    from seqlab.autograd import llvm_pages
    from seqlab.autograd.kernels import embedding_backward, reference  # the guard applies both
    rng = np.random.default_rng(0)
    grad_output = rng.standard_normal((50, 8))
    indices = rng.integers(0, 12, 50)
    got, want = np.empty((12, 8)), np.empty((12, 8))
    embedding_backward(grad_output, indices, 3, got)
    reference.embedding_backward(grad_output, indices, 3, want)
    cached = sorted(name for _, _, files in os.walk(os.environ["NUMBA_CACHE_DIR"])
                    for name in files if name.startswith("embedding.embedding_backward"))
    print(json.dumps({"listening": llvm_pages._listener is not None,
                      "error": float(np.abs(got - want).max()), "cached": cached}))
""")


@linux_jit
def test_a_command_compiles_a_kernel_on_a_cold_cache_after_a_release_and_loads_it_after(
        tmp_path):
    """The commands' path: requested, applied by the kernel package's cache guard (a release
    at once), then the kernel compiled on an empty cache (NUMBA_CACHE_DIR), saved, and loaded
    from that cache by the next process; both give the NumPy reference's gradient."""
    env = _child_env(NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    cold = _run(COMMAND_CHILD, env=env)
    assert cold["listening"] and cold["error"] < 1e-12
    assert any(name.endswith(".nbi") for name in cold["cached"])
    warm = _run(COMMAND_CHILD, env=env)
    assert warm["listening"] and warm["error"] < 1e-12 and warm["cached"] == cold["cached"]


def test_importing_seqlab_requests_nothing():
    code = ("import seqlab.nlp.word2vec.kernels, seqlab.autograd.kernels\n"
            "from seqlab.autograd import llvm_pages\n"
            "print(llvm_pages.RELEASED_LLVM_PAGES.requested, llvm_pages._listener is None)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_unreadable_proc_releases_nothing(tmp_path):
    missing = str(tmp_path / "missing")
    assert llvm_pages.release_llvm_pages(missing, missing, missing) == 0


def test_keep_variable_values(monkeypatch):
    for value, kept in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv(llvm_pages.KEEP_VARIABLE, value)
        assert llvm_pages.kept_by_environment() is kept
    monkeypatch.delenv(llvm_pages.KEEP_VARIABLE)
    assert llvm_pages.kept_by_environment() is False
