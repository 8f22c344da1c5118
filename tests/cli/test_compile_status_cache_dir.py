"""The 'Compiling Numba kernels' status follows where Numba really caches (qaA s20 LOW 7: with
NUMBA_CACHE_DIR set to a fresh folder, `generate` compiled for 38 s without a word, because
the check looked only in `__pycache__` beside the sources)."""

from __future__ import annotations

import importlib.util
import sys

from seqlab.cli import numba_status
from seqlab.cli.console import Output
from tests.cli.inprocess import invoke

PROBE = "from numba import njit\n\n\n@njit(cache=True)\ndef double(x):\n    return 2 * x\n"


class _Shown(Output):
    """An Output that shows progress and keeps its info lines."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    @property
    def show_progress(self) -> bool:
        return True

    def info(self, message) -> None:
        self.lines.append(str(message))


def _probe_module(folder, name):
    source = folder / f"{name}.py"
    source.write_text(PROBE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"seqlab.{name}", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_a_compile_into_a_fresh_cache_dir_is_announced(tmp_path, monkeypatch):
    from numba.core import config

    (tmp_path / "src").mkdir()
    module = _probe_module(tmp_path / "src", "fixd_probe_kernel")
    try:
        # the source's own __pycache__ holds a cache, but Numba looks in NUMBA_CACHE_DIR first
        module.double(1)
        monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path / "fresh"))
        module = _probe_module(tmp_path / "src", "fixd_probe_kernel")
        shown = _Shown()
        numba_status.compile_while_showing(shown, lambda: module.double(2), poll_seconds=0.01)
        assert any("compiled and cached" in line for line in shown.lines), shown.lines
        again = _probe_module(tmp_path / "src", "fixd_probe_kernel")
        quiet = _Shown()
        numba_status.compile_while_showing(quiet, lambda: again.double(3), poll_seconds=0.01)
        assert quiet.lines == []  # loaded from the fresh folder's cache now: nothing to say
    finally:
        sys.modules.pop("seqlab.fixd_probe_kernel", None)


def test_generate_watches_for_compiles(trained_model, monkeypatch):
    from seqlab.cli.commands import generate

    called = []

    def spy(output, warm_up, *args, **kwargs):
        called.append(True)
        warm_up()

    monkeypatch.setattr(generate, "compile_while_showing", spy)
    done = invoke("generate", trained_model, "--length", "2", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert called  # the cache-miss watch, whichever folder Numba caches in
