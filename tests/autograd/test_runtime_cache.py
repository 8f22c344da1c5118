"""Numba's runtime loaded from cached object code: written once, loaded after, same results.

Each case is a fresh process (the runtime is initialised once per process). The child installs
the hook with a cache folder of the test's own, then compiles and runs functions that need the
runtime (arrays allocated inside, reference counted on return): their results must equal
NumPy's, whether the runtime was compiled, loaded from the file, or compiled again after the
file was damaged.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from numba.core import config

pytestmark = pytest.mark.skipif(config.DISABLE_JIT, reason="no runtime without the JIT")

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from seqlab.autograd import runtime_cache
    installed = runtime_cache.use_cached_runtime(sys.argv[1])
    from numba import njit

    @njit
    def cumulative(values):
        out = np.empty(values.size + 1)  # allocated by the runtime
        out[0] = 0.0
        for i in range(values.size):
            out[i + 1] = out[i] + values[i]
        return out

    @njit
    def pairs(n):
        found = [(i, i * i) for i in range(n)]  # a reflected list: runtime reference counts
        return np.array([b - a for a, b in found])

    values = np.arange(1.0, 9.0)
    sums = cumulative(values).tolist()  # the first call initialises the runtime
    print(json.dumps({
        "installed": installed,
        "miss": runtime_cache.last_miss,
        "cumulative": sums,
        "expected": np.concatenate([[0.0], np.cumsum(values)]).tolist(),
        "pairs": pairs(6).tolist(),
        "pairs_expected": [i * i - i for i in range(6)],
    }))
""")


def _child(folder) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["installed"] is True
    assert result["cumulative"] == result["expected"]
    assert result["pairs"] == result["pairs_expected"]
    return result


def _cache_files(folder):
    from seqlab.autograd.runtime_cache import CACHE_PREFIX, CACHE_SUFFIX

    return sorted(folder.glob(f"{CACHE_PREFIX}*{CACHE_SUFFIX}"))


def test_runtime_compiled_once_then_loaded_and_damage_recompiles(tmp_path):
    first = _child(tmp_path)
    assert first["miss"] == "no cache file: compiled"
    files = _cache_files(tmp_path)
    assert len(files) == 1 and files[0].stat().st_size > 1000
    second = _child(tmp_path)
    assert second["miss"] == ""  # loaded from the file, not compiled
    data = bytearray(files[0].read_bytes())
    data[-100] ^= 0xFF
    files[0].write_bytes(bytes(data))
    third = _child(tmp_path)
    assert third["miss"] == "damaged cache file: compiled"
    assert _child(tmp_path)["miss"] == ""  # the damaged file was replaced by a good one


def test_stale_runtime_files_are_replaced(tmp_path):
    from seqlab.autograd.runtime_cache import CACHE_PREFIX, CACHE_SUFFIX

    stale = tmp_path / f"{CACHE_PREFIX}0123456789abcdef01234567{CACHE_SUFFIX}"
    stale.write_bytes(b"seqlab-nrt-object-1\n" + b"\0" * 48)
    assert _child(tmp_path)["miss"] == "no cache file: compiled"
    files = _cache_files(tmp_path)
    assert len(files) == 1 and files[0] != stale


PROCESS = textwrap.dedent("""
    import json, sys
    from seqlab.autograd import runtime_cache
    if sys.argv[1] == "command":
        from seqlab.cli.app import main
        try:
            main(["ngram", "train", sys.argv[2], "--order", "2", "--out", sys.argv[3], "-q"])
        except SystemExit as done:
            assert not done.code, done.code
    else:
        from seqlab.nlp.ngram import count_kernels  # a kernel module, as a library user
    from numba.core.caching import IndexDataCacheFile
    from numba.core.runtime import nrtdynmod
    print(json.dumps({
        "hooked": bool(getattr(nrtdynmod.compile_nrt_functions, "_seqlab_cached", False)),
        "locked": bool(getattr(IndexDataCacheFile.save, "_seqlab_locked", False)),
    }))
""")


@pytest.mark.parametrize("how", ["command", "library"])
def test_only_the_commands_replace_numbas_runtime_initialisation(tmp_path, how):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, how, str(corpus), str(tmp_path / "model.arpa")],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    changed = json.loads(done.stdout.strip().splitlines()[-1])
    assert changed["hooked"] is (how == "command")  # importing seqlab changes no process-wide
    assert changed["locked"] is (how == "command")  # state (kernel_cache_lock: same rule)
