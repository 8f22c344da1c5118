"""`blas_probe`: Numba's array functions loaded without importing scipy.linalg, np.dot and
seqlab's kernels computing as before. Each case runs in a fresh process (the change is
process-wide, and the test process has Numba and SciPy loaded already)."""

import subprocess
import sys


def _environment(**changes: str) -> dict[str, str]:
    """This process's environment with Numba's JIT on (what these tests are about), and
    `changes`."""
    import os

    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    return {**environment, **changes}


def _run(code: str, **changes: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_environment(**changes), check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_importing_and_requesting_change_nothing_until_the_kernels_prepare():
    code = ("import sys\n"
            "from seqlab.autograd.blas_probe import SKIPPED_BLAS_PROBE\n"
            "SKIPPED_BLAS_PROBE.request()\n"
            "print('numba' in sys.modules, 'numba.np.arraymath' in sys.modules)\n")
    assert _run(code) == "False False"


def test_skipped_probe_loads_no_scipy_linalg_and_blas_still_computes():
    """After the skip, Numba's array functions are loaded without scipy.linalg; a kernel
    compiled afterwards that calls np.dot loads SciPy's BLAS then and agrees with NumPy, and
    np.correlate (the one function the probe's answer steers) still agrees too."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from numba import njit\n"
        "from seqlab.autograd.blas_probe import skip_blas_probe\n"
        "first, again = skip_blas_probe(), skip_blas_probe()\n"
        "loaded = 'scipy.linalg' in sys.modules\n"
        "import numba.np.arraymath as arraymath\n"
        "blas = arraymath._HAVE_BLAS\n"
        "@njit\n"
        "def product(a, b):\n"
        "    return np.dot(a, b)\n"
        "@njit\n"
        "def correlation(a, b):\n"
        "    return np.correlate(a, b)\n"
        "rng = np.random.default_rng(0)\n"
        "a, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 3))\n"
        "same = np.allclose(product(a, b), a @ b, rtol=1e-12, atol=1e-12)\n"
        "u, v = rng.standard_normal(9), rng.standard_normal(4)\n"
        "close = np.allclose(correlation(u, v), np.correlate(u, v), rtol=1e-12, atol=1e-12)\n"
        "print(first, again, loaded, blas, same, close, 'scipy.linalg' in sys.modules)\n")
    assert _run(code) == "True False False False True True True"


def test_a_no_op_where_the_probe_already_ran_or_jit_is_off():
    ran = ("import numba.np.arraymath\n"
           "from seqlab.autograd.blas_probe import skip_blas_probe\n"
           "import numba.np.arraymath as arraymath\n"
           "print(skip_blas_probe(), arraymath._HAVE_BLAS)\n")
    assert _run(ran) == "False True"
    off = ("import sys\n"
           "from seqlab.autograd.blas_probe import skip_blas_probe\n"
           "print(skip_blas_probe(), 'numba.np.arraymath' in sys.modules)\n")
    assert _run(off, NUMBA_DISABLE_JIT="1") == "False False"


def test_commands_ask_for_it_and_a_kernel_command_never_loads_scipy_linalg(tmp_path):
    """`seqlab word2vec train` (kernels, no BLAS) runs to the same vectors with the probe
    skipped (the command's default) as with it run; scipy.linalg stays unloaded."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat and the dog sat on the log\n" * 60)
    code = ("import sys\n"
            "{setup}"
            "from seqlab.cli.app import main\n"
            "try:\n"
            "    main(['word2vec', 'train', sys.argv[1], '--dim', '8', '--epochs', '1',\n"
            "          '--workers', '1', '--seed', '3', '--out', sys.argv[2], '--quiet'])\n"
            "except SystemExit as stop:\n"
            "    assert not stop.code, stop.code\n"
            "from seqlab.autograd.blas_probe import SKIPPED_BLAS_PROBE\n"
            "print(SKIPPED_BLAS_PROBE.requested, 'scipy.linalg' in sys.modules)\n")
    outputs = []
    for label, setup in (("skipped", ""),
                         ("probed", "import numba.np.arraymath\n")):  # the probe ran first
        out = tmp_path / f"{label}.txt"
        done = subprocess.run([sys.executable, "-c", code.format(setup=setup), str(corpus),
                               str(out)], capture_output=True, text=True, env=_environment(),
                              check=False)
        assert done.returncode == 0, done.stderr
        outputs.append((done.stdout.splitlines()[-1], out.read_text()))
    (skipped_line, skipped), (probed_line, probed) = outputs
    assert skipped_line == "True False"
    assert probed_line == "True True"
    assert skipped == probed
