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
sys.modules[_spec.name] = bench_common  # dataclasses look their module up there
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


def test_the_window_rate_is_the_mean_step_and_the_median_one_draw() -> None:
    """Two fast steps and one slow: the median step reads the fast state, the window the
    throughput of all three (units x steps over their total time)."""
    timed = bench_common.TimedSteps(walls=[1.0, 1.0, 4.0], cpus=[0.5, 0.5, 2.0],
                                    faults=[0, 0, 9000])
    rates = timed.summary(units=60.0)
    assert rates["wall"] == 60.0 and rates["cpu"] == 120.0
    assert rates["window_wall"] == 60.0 * 3 / 6.0 and rates["window_cpu"] == 60.0 * 3 / 3.0
    assert rates["faults_median"] == 0 and rates["faults_mean"] == 3000.0
    assert rates["steps"] == 3
    empty = bench_common.TimedSteps().summary(units=60.0)
    assert math.isnan(empty["wall"]) and math.isnan(empty["window_wall"])
    assert math.isnan(empty["faults_mean"])


@pytest.mark.skipif(bench_common.resource is None, reason="no getrusage on this platform")
def test_each_step_counts_the_pages_it_faults_in_and_takes_items_outside_it() -> None:
    """A step that writes every page of a fresh 8 MiB anonymous mapping faults them in (at
    least half are asserted, in case huge pages map some at once); a step that touches no new
    memory faults (almost) none; the items are taken in order, one a step."""
    import mmap

    pages, page = 2048, mmap.PAGESIZE
    taken = []

    def step(item: str) -> None:
        taken.append(item)
        if item == "touch":
            block = mmap.mmap(-1, pages * page)
            for offset in range(0, pages * page, page):
                block[offset] = 1
            block.close()

    timed = bench_common.time_steps(step, iter(["idle", "touch", "idle", "touch"]), count=4)
    assert taken == ["idle", "touch", "idle", "touch"]
    assert len(timed.walls) == len(timed.cpus) == len(timed.faults) == 4
    assert timed.faults[1] >= pages // 2 and timed.faults[3] >= pages // 2
    assert timed.faults[0] < pages // 4 and timed.faults[2] < pages // 4


def test_steps_run_until_both_the_count_and_the_seconds_are_reached() -> None:
    timed = bench_common.time_steps(lambda item: None, iter(range(1000)), count=5)
    assert len(timed.walls) == 5
    timed = bench_common.time_steps(lambda item: None, iter(range(10**7)), count=1,
                                    seconds=0.02)
    assert len(timed.walls) > 1 and sum(timed.walls) <= 0.02 * 10


def test_counts_print_in_thousands_and_millions() -> None:
    assert [bench_common.thousands(v) for v in (0, 940, 12_345, 2_500_000, math.nan)] == [
        "0", "940", "12.3k", "2.5M", "-"]
