"""Every script in benchmarks/ still parses, its imports from other benchmark scripts name what
those scripts define, and it prints the shared machine report: a broken script fails here, in
well under a second, rather than when someone next runs it. Nothing is run or imported: the
scripts' own imports (gensim, torch, Numba kernels) take tens of seconds on a loaded machine."""

from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("*.py"))
MODULES = {path.stem: path for path in SCRIPTS}
# shared helpers, not benchmarks
LIBRARIES = {"bench_common", "tree_ab"}
# corpus generators: they measure nothing
GENERATORS = {"make_corpus", "make_zipf_corpus"}
# one-off A/B scripts cited in BENCHMARKS.md that print CPU, ISA and BLAS (or "BLAS not
# used") in a line of their own
OWN_REPORT = {"bpe_train_ab", "cache_fingerprint_ab", "embedding_checks_ab", "kept_panels_fix_ab",
              "word_tokenizer"}


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _top_level_statements(body: list[ast.stmt]):
    """The statements at module level, descending into `if` / `try` blocks."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _top_level_statements(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level_statements(
                node.body + node.orelse + node.finalbody
                + [s for handler in node.handlers for s in handler.body])


def _top_level_names(tree: ast.Module) -> set[str]:
    """What `from module import name` can take from a module: its top-level definitions,
    assignments and imports (those under a top-level `if` / `try` too)."""
    names: set[str] = set()
    for node in _top_level_statements(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_script_compiles(path: Path) -> None:
    compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_imports_between_scripts_name_what_the_scripts_define() -> None:
    defined = {name: _top_level_names(_tree(path)) for name, path in MODULES.items()}
    missing = []
    for path in SCRIPTS:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.module in MODULES and node.level == 0:
                missing += [f"{path.name}: {node.module}.{alias.name}" for alias in node.names
                            if alias.name not in defined[node.module]]
    assert not missing, missing


def _prints_cpu_isa_and_blas(source: str) -> bool:
    """The shared report, or `machine_info()` (CPU, ISA) beside `library_info()` (BLAS)."""
    return "print_machine_report(" in source or (
        "machine_info(" in source and "library_info(" in source)


def test_every_script_prints_the_machine_report() -> None:
    lacking = [path.name for path in SCRIPTS
               if path.stem not in LIBRARIES | GENERATORS | OWN_REPORT
               and not _prints_cpu_isa_and_blas(path.read_text(encoding="utf-8"))]
    lacking += [path.name for path in sorted(BENCHMARKS.glob("*.sh"))
                if "benchmarks/bench_common.py" not in path.read_text(encoding="utf-8")]
    assert not lacking, (f"{lacking}: print CPU model, ISA and BLAS: "
                         "`bench_common.print_machine_report()` in the driver")


def test_bench_common_imports_only_the_standard_library_at_module_level() -> None:
    """The peer's interpreter (PyTorch's, gensim's) imports it: no seqlab, NumPy or torch."""
    tree = _tree(BENCHMARKS / "bench_common.py")
    imported = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in tree.body
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
