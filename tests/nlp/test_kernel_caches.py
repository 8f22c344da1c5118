"""seqlab.nlp's kernel files share one Numba cache guard, so they may call each other's helpers."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from fnmatch import fnmatch
from pathlib import Path

import pytest

from seqlab.autograd.kernel_caches import STAMP_NAME, clear_stale_caches, sources_digest
from seqlab.nlp import kernel_caches

ROOT = kernel_caches.PACKAGE_ROOT
PATTERN = kernel_caches.KERNEL_PATTERN


def _is_kernel_file(path: Path) -> bool:
    return fnmatch(path.name, PATTERN.removeprefix("**/"))


def _kernel_files() -> list[Path]:
    return [path for path in sorted(ROOT.glob(PATTERN)) if "__pycache__" not in path.parts]


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def _module_file(module: str) -> Path:
    relative = Path(*module.split(".")[2:])  # seqlab.nlp.<...>
    package = ROOT / relative / "__init__.py"
    return package if package.exists() else (ROOT / relative).with_suffix(".py")


def test_every_file_using_numba_is_a_guarded_kernel_file():
    using_numba = [path for path in sorted(ROOT.rglob("*.py"))
                   if any(module.split(".")[0] == "numba" for module, _ in _imports(path))]
    assert len(using_numba) >= 7  # the n-gram, BPE and word2vec kernels
    for path in using_numba:
        assert _is_kernel_file(path), f"{path.name}: jitted code belongs in a *kernels*.py file"
        assert ("seqlab.nlp", ["kernel_caches"]) in _imports(path), f"{path.name}: not guarded"


def test_jitted_helpers_come_only_from_guarded_kernel_files():
    cross_file = []
    for path in _kernel_files():
        for module, names in _imports(path):
            if module.startswith("seqlab.") and names != ["kernel_caches"]:
                assert module.startswith("seqlab.nlp."), f"{path.name} imports {module}"
                assert _is_kernel_file(_module_file(module)), f"{path.name} imports {module}"
                cross_file.append((path.name, module))
    # the deduplicated helpers: Dekker's product and the sorted search
    assert ("arpa_read_kernels.py", "seqlab.nlp.ngram.arpa_kernels") in cross_file
    assert ("arpa_read_kernels.py", "seqlab.nlp.ngram.kernels") in cross_file


def test_importing_a_kernel_module_stamps_every_kernel_folder():
    import seqlab.nlp.word2vec.kernels  # noqa: F401

    folders = {path.parent for path in _kernel_files()}
    assert {folder.name for folder in folders} >= {"ngram", "tokenizers", "word2vec"}
    digest = sources_digest(ROOT, PATTERN)
    for folder in folders:
        assert (folder / "__pycache__" / STAMP_NAME).read_text().strip() == digest


def _package(tmp_path: Path) -> Path:
    for name, text in {"a/x_kernels.py": "def helper():\n    return 1\n",
                       "b/y_kernels.py": "def caller():\n    return helper()\n",
                       "b/model.py": "SIZE = 1\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _caches(folder: Path) -> list[Path]:
    (folder / "__pycache__").mkdir(exist_ok=True)
    files = [folder / "__pycache__" / "y_kernels.caller-1.py311.nbi",
             folder / "__pycache__" / "y_kernels.caller-1.py311.1.nbc"]
    for path in files:
        path.write_bytes(b"compiled")
    return files


def test_a_helper_changed_in_another_folder_clears_its_callers_cache(tmp_path):
    root = _package(tmp_path)

    def beside(folder: Path) -> list[Path]:
        return [folder / "__pycache__"]

    assert clear_stale_caches(root, pattern=PATTERN, locate=beside) is False
    assert (root / "a" / "__pycache__" / STAMP_NAME).is_file()
    callers = _caches(root / "b")

    (root / "b" / "model.py").write_text("SIZE = 2\n")  # not a kernel file: caches stay
    assert clear_stale_caches(root, pattern=PATTERN, locate=beside) is False
    assert all(path.exists() for path in callers)

    (root / "a" / "x_kernels.py").write_text("def helper():\n    return 2\n")
    assert clear_stale_caches(root, pattern=PATTERN, locate=beside) is True
    assert not any(path.exists() for path in callers)
    assert clear_stale_caches(root, pattern=PATTERN, locate=beside) is False


CALLER = """
import sys
from pathlib import Path
from numba import njit
if sys.argv[1] == "guarded":
    from seqlab.autograd.kernel_caches import clear_stale_caches
    clear_stale_caches(Path(__file__).parent, pattern="*kernels*.py")
from helper_kernels import helper

@njit(cache=True)
def caller():
    return helper()

print(caller())
"""


@pytest.mark.skipif(bool(os.environ.get("NUMBA_DISABLE_JIT")), reason="needs the JIT")
def test_numba_keeps_a_stale_helper_and_the_guard_drops_it(tmp_path):
    """The hazard itself, in fresh processes: a cached caller keeps its old helper unguarded."""
    (tmp_path / "caller_kernels.py").write_text(textwrap.dedent(CALLER))

    def run(helper_value: int, mode: str) -> str:
        (tmp_path / "helper_kernels.py").write_text(
            "from numba import njit\n\n@njit(cache=True)\n"
            f"def helper():\n    return {helper_value}\n")
        result = subprocess.run([sys.executable, str(tmp_path / "caller_kernels.py"), mode],
                                capture_output=True, text=True, check=True, cwd=tmp_path)
        return result.stdout.strip()

    assert run(1, "unguarded") == "1"
    assert run(2, "unguarded") == "1"  # Numba's cache of caller_kernels.py is stale
    assert run(3, "guarded") == "3"
    # and with nothing changed the guard keeps the caches it stamped (it does not always clear)
    cached = {path: path.stat().st_mtime_ns
              for path in (tmp_path / "__pycache__").glob("caller_kernels.*.nb*")}
    assert cached
    assert run(3, "guarded") == "3"
    assert {path: path.stat().st_mtime_ns for path in cached if path.exists()} == cached
