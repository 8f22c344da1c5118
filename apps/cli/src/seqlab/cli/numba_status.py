"""Numba compiles kernels once (cache=True); the first run says so instead of pausing silently."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from seqlab.cli.console import Output


def cache_present(module_names: Iterable[str]) -> bool:
    """True when every named kernel module has Numba cache files beside it."""
    for name in module_names:
        module = importlib.import_module(name)
        folder = Path(module.__file__).parent / "__pycache__"
        stem = Path(module.__file__).stem
        if not any(folder.glob(f"{stem}.*.nbi")):
            return False
    return True


def compile_with_status(output: Output, module_names: Iterable[str],
                        warm_up: Callable[[], None]) -> None:
    """Run `warm_up` (which calls the kernels once); show a status line if it must compile."""
    names = list(module_names)
    if cache_present(names) or not output.show_progress:
        warm_up()
        return
    from seqlab.cli.console import stderr

    with stderr.status("Compiling Numba kernels (first run only, cached afterwards)..."):
        warm_up()
    output.info("[dim]Kernels compiled and cached.[/]")
