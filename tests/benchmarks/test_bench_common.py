"""benchmarks/bench_common.py: the alternating order, medians and ratios, the worker's
environment and JSON line, and the machine report's lines."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_common.py"
_spec = importlib.util.spec_from_file_location("bench_common_under_test", PATH)
bench_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_common)


def test_rounds_alternate_and_swap_the_first_two_sides_in_odd_rounds() -> None:
    calls = []
    results = bench_common.alternate_rounds(
        3, ("old", "new", "torch"), lambda side: calls.append(side) or len(calls),
        swap_first_two=True)
    assert calls == ["old", "new", "torch", "new", "old", "torch", "old", "new", "torch"]
    assert results == {"old": [1, 5, 7], "new": [2, 4, 8], "torch": [3, 6, 9]}


def test_rounds_keep_their_order_without_swapping() -> None:
    calls = []
    bench_common.alternate_rounds(2, ("seqlab", "torch"), calls.append)
    assert calls == ["seqlab", "torch", "seqlab", "torch"]


def test_ratio_of_medians_and_empty_or_zero_give_nan() -> None:
    assert bench_common.ratio_of_medians([1.0, 9.0, 3.0], [2.0, 1.0, 0.5, 4.0]) == 3.0 / 1.5
    assert math.isnan(bench_common.median([]))
    assert math.isnan(bench_common.ratio(1.0, 0.0))
    assert math.isnan(bench_common.ratio(1.0, math.nan))


def test_median_time_takes_the_median_and_returns_the_last_result() -> None:
    calls = iter(range(5))
    seconds, result = bench_common.median_time(lambda: next(calls), 5)
    assert result == 4
    assert seconds >= 0.0


def test_worker_environment_sets_omp_only_and_names_the_tree(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MKL_NUM_THREADS", "7")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    monkeypatch.setenv("NUMBA_NUM_THREADS", "7")
    env = bench_common.worker_environment(2, tmp_path)
    assert env["OMP_NUM_THREADS"] == "2"
    assert not {"MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"} & set(env)
    assert env["PYTHONPATH"].split(":") == [str(tmp_path / part)
                                            for part in bench_common.SOURCE_DIRS]


def test_a_worker_answers_with_its_last_line_and_a_failed_one_stops_the_driver() -> None:
    said = bench_common.run_json_worker(
        [sys.executable, "-c", "print('compiling...'); print('{\"rate\": 2.5}')"])
    assert said == {"rate": 2.5}
    with pytest.raises(SystemExit, match="boom"):
        bench_common.run_json_worker(
            [sys.executable, "-c", "import sys; sys.exit('boom')"], label="seqlab worker")


def test_the_report_names_cpu_isa_blas_load_and_threads(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    cpu, blas, load = bench_common.machine_report()
    assert cpu.startswith("CPU: ") and "ISA: host" in cpu and "Numba target" in cpu
    assert blas.startswith("BLAS (NumPy, this process): ") and "threads" in blas
    assert load.startswith("load average: ") and "OMP_NUM_THREADS=3" in load
