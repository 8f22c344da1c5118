"""What every benchmark shares: the machine report, the driver/worker protocol, alternating
rounds, and medians and ratios of medians.

The driver prints the report once, then runs each side in a fresh process per round (seqlab
under this interpreter, the peer under `--peer-python`), alternating them so that a change in
the machine's load falls on both sides alike; each worker prints one JSON line, the last line
of its stdout. Tables give medians over rounds and ratios of those medians (seqlab / peer, or
new / old), wall-clock beside CPU time (user + sys of the process: `time.process_time`).

    from bench_common import alternate_rounds, print_machine_report, ratio, run_json_worker
    print_machine_report()
    runs = alternate_rounds(3, ("seqlab", "torch"), lambda side: run_json_worker(...))

The peer's interpreter imports this file too (a worker's `library_info("torch")`): nothing
here imports seqlab, NumPy or torch at module level.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

try:
    import resource
except ImportError:  # not on Windows: no page-fault counts there
    resource = None

Result = TypeVar("Result")
Item = TypeVar("Item")

# the host's vector features that decide GEMM and kernel speed
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile")
# a source tree's import folders: PYTHONPATH for a worker that runs seqlab from another tree
SOURCE_DIRS = ("packages/autograd/src", "packages/seqmodels/src", "packages/nlp/src",
               "apps/cli/src")
# thread variables a driver clears in a worker's environment: OMP_NUM_THREADS alone sets them
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


# ---------------------------------------------------------------- the machine report
def _cpuinfo() -> tuple[str | None, set[str]]:
    """The model name and the flags of /proc/cpuinfo's first processor (None, {} elsewhere)."""
    model, flags = None, set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name") and model is None:
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return model, flags


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo), or the platform's processor or machine."""
    return _cpuinfo()[0] or platform.processor() or platform.machine()


def usable_cores() -> int | None:
    """The cores this process may run on (its affinity), or the CPU count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def host_isa(wanted: Sequence[str] = ISA_FLAGS) -> str:
    """The `wanted` vector features the host CPU has, space-separated."""
    flags = _cpuinfo()[1]
    return " ".join(flag for flag in wanted if flag in flags)


def numba_target(wanted: Sequence[str] = ISA_FLAGS) -> str:
    """The CPU name, the `wanted` features and the vector width seqlab's Numba kernels are
    built for (NUMBA_CPU_NAME / NUMBA_CPU_FEATURES may name an older target than the host's)."""
    try:
        from seqlab.autograd.kernels.cpu_features import (
            target_cpu_name,
            target_features,
            vector_bytes,
        )
    except ImportError:
        return "Numba target unknown (no seqlab here)"
    features = target_features()
    named = " ".join(flag for flag in wanted if flag.replace("_", "") in features
                     or flag in features)
    return (f"Numba target {target_cpu_name()} ({named or 'no explicit features'}), "
            f"{vector_bytes()}-byte vectors")


def machine_info() -> dict:
    """CPU model, usable cores, and the ISA line: the host's vector flags that matter for
    GEMMs and the target Numba compiles the kernels for."""
    return {"cpu": cpu_model(), "isa": f"host {host_isa()}; {numba_target()}",
            "cores": usable_cores()}


def load_averages() -> str:
    """The 1, 5 and 15-minute load averages, as /proc/loadavg gives them."""
    try:
        with open("/proc/loadavg", encoding="utf-8") as file:
            return " ".join(file.read().split()[:3])
    except OSError:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())


def numpy_blas() -> str:
    """The BLAS libraries NumPy and SciPy loaded in this process: API, version, kernels
    (architecture), thread count and the package that ships it."""
    import numpy  # noqa: F401
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS the Numba kernels' np.dot calls)
    from threadpoolctl import threadpool_info

    return ", ".join(f"{info['internal_api']} {info['version']} {info.get('architecture')} "
                     f"({info['num_threads']} threads, {Path(info['filepath']).parent.name})"
                     for info in threadpool_info() if info["user_api"] == "blas") or "none found"


def torch_blas() -> str:
    """PyTorch's version, its thread count, and the BLAS / oneDNN its build names."""
    import torch

    settings = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", settings)
    onednn = re.search(r"(?:MKL-DNN|oneDNN) (v[\w.]+)", settings)
    blas, onednn = blas.group(1) if blas else "unknown", onednn.group(1) if onednn else "none"
    return (f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {blas}, "
            f"oneDNN {onednn} (available {torch.backends.mkldnn.is_available()}), "
            f"MKL {torch.backends.mkl.is_available()}")


def library_info(side: str) -> str:
    """Thread count the library chose and the BLAS it computes with ("torch": PyTorch's;
    any other side: seqlab's, with NumPy's BLAS)."""
    if side == "torch":
        return torch_blas()
    from seqlab.autograd import get_num_threads

    return f"seqlab {get_num_threads()} threads; BLAS: {numpy_blas()}"


def machine_report() -> list[str]:
    """The lines every benchmark prints first: CPU model and cores, ISA, NumPy's BLAS, the
    load average and OMP_NUM_THREADS as the driver sees them."""
    machine = machine_info()
    try:
        blas = numpy_blas()
    except ImportError as error:
        blas = f"unknown ({error.name} missing)"
    return [f"CPU: {machine['cpu']}, {machine['cores']} usable cores; ISA: {machine['isa']}",
            f"BLAS (NumPy, this process): {blas}",
            f"load average: {load_averages()}; OMP_NUM_THREADS="
            f"{os.environ.get('OMP_NUM_THREADS', 'unset')}; Python {platform.python_version()}"]


def print_machine_report(isolated: bool = False) -> None:
    """Print `machine_report()`, flushed (workers' output follows). `isolated`: from a fresh
    process of this interpreter, so that this one imports nothing more (a script that
    measures its own memory or start-up)."""
    if isolated:
        sys.stdout.flush()
        subprocess.run([sys.executable, __file__], check=False)
        return
    print("\n".join(machine_report()), flush=True)


# ---------------------------------------------------------------- driver and workers
def peer_python_default() -> str | None:
    """The peer interpreter named by $SEQLAB_PEER_PYTHON (None: not set)."""
    return os.environ.get("SEQLAB_PEER_PYTHON")


def add_peer_python(parser, required_what: str = "torch") -> None:
    """`--peer-python`, defaulting to $SEQLAB_PEER_PYTHON."""
    parser.add_argument("--peer-python", default=peer_python_default(),
                        help=f"python with {required_what} installed "
                             "(default $SEQLAB_PEER_PYTHON)")


def require_peer_python(peer_python: str | None, what: str = "torch") -> str:
    """`peer_python`, or one clear line and a non-zero exit where none was given."""
    if peer_python is None:
        raise SystemExit(f"pass --peer-python (or set $SEQLAB_PEER_PYTHON): a python with {what}")
    return peer_python


def source_pythonpath(tree: str | Path) -> str:
    """PYTHONPATH that imports seqlab from the source tree `tree` (a checkout or an archive)."""
    return os.pathsep.join(str(Path(tree) / part) for part in SOURCE_DIRS)


def worker_environment(threads: int | None = None, tree: str | Path | None = None,
                       clear: Iterable[str] = THREAD_VARIABLES) -> dict[str, str]:
    """This environment for a worker: OMP_NUM_THREADS=threads (None: as it is), the other
    thread variables in `clear` removed so that each library reads OMP_NUM_THREADS as a
    user's script would, and PYTHONPATH naming `tree`'s sources where a tree is given."""
    env = {key: value for key, value in os.environ.items() if key not in clear}
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    if tree is not None:
        env["PYTHONPATH"] = source_pythonpath(tree)
    return env


def run_json_worker(command: list[str], env: dict[str, str] | None = None,
                    label: str = "worker") -> dict:
    """Run `command`; the JSON object on the last line of its stdout. A failed worker stops
    the driver with its stderr."""
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{label} ({command[0]}) failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def emit_result(result: dict) -> None:
    """A worker's answer: one JSON line on stdout."""
    print(json.dumps(result), flush=True)


def alternate_rounds(rounds: int, sides: Sequence[str], run: Callable[[str], Result],
                     swap_first_two: bool = False) -> dict[str, list[Result]]:
    """`run(side)` for each side in turn, `rounds` times: every side's results, in order.
    With `swap_first_two` the first two sides change places in odd rounds (old, new, peer;
    new, old, peer), so neither tree always runs right after the peer."""
    results: dict[str, list[Result]] = {side: [] for side in sides}
    for round_ in range(rounds):
        order = list(sides)
        if swap_first_two and round_ % 2 == 1 and len(order) > 1:
            order[0], order[1] = order[1], order[0]
        for side in order:
            results[side].append(run(side))
    return results


# ---------------------------------------------------------------- medians and ratios
def median(values: Iterable[float]) -> float:
    """The median of `values`; NaN where there are none."""
    values = list(values)
    return statistics.median(values) if values else math.nan


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator; NaN where the denominator is 0 or NaN."""
    if not denominator or math.isnan(denominator):
        return math.nan
    return numerator / denominator


def ratio_of_medians(ours: Iterable[float], theirs: Iterable[float]) -> float:
    """median(ours) / median(theirs)."""
    return ratio(median(ours), median(theirs))


def wall_and_cpu(function: Callable[[], object]) -> tuple[float, float, object]:
    """Call `function`: (wall seconds, process CPU seconds, its result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def median_time(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    """The median wall seconds of `repeats` calls of `function`, and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        seconds, _, result = wall_and_cpu(function)
        times.append(seconds)
    return median(times), result


# ---------------------------------------------------------------- timed steps
def minor_faults() -> int:
    """The minor page faults this process (every thread) has taken so far; 0 where getrusage
    is missing. A fault is a page the kernel maps (and zeroes) on first touch: memory the
    allocator gave back and asks for again costs one per 4 KiB page."""
    if resource is None:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@dataclass
class TimedSteps:
    """Wall seconds, CPU seconds (user + sys, every thread) and minor page faults of each
    timed step, in order."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)

    def summary(self, units: float) -> dict[str, float]:
        """`units` (tokens, texts...) a step turned into rates and fault counts:
        - "wall", "cpu": units over the median step (one draw of a step's state);
        - "window_wall", "window_cpu": units x steps over the timed window's total seconds,
          i.e. over the mean step: the throughput a long run gets, every state weighed by
          how often it comes (a library whose allocator gives memory back between steps
          faults it in again in some steps and not others);
        - "faults_median", "faults_mean": minor page faults a step; "steps": how many."""
        count = len(self.walls)
        return {"wall": ratio(units, median(self.walls)), "cpu": ratio(units, median(self.cpus)),
                "window_wall": ratio(units * count, sum(self.walls)),
                "window_cpu": ratio(units * count, sum(self.cpus)),
                "faults_median": median(self.faults),
                "faults_mean": statistics.fmean(self.faults) if self.faults else math.nan,
                "steps": count}


def time_steps(step: Callable[[Item], object], items: Iterator[Item], count: int = 1,
               seconds: float = 0.0) -> TimedSteps:
    """Call `step(next(items))` at least `count` times and until `seconds` have passed,
    timing each call alone (wall, process CPU and minor faults around the call; taking the
    next item is outside the step)."""
    timed, began = TimedSteps(), time.perf_counter()
    while len(timed.walls) < count or time.perf_counter() - began < seconds:
        item = next(items)
        faults, wall, cpu = minor_faults(), time.perf_counter(), time.process_time()
        step(item)
        timed.walls.append(time.perf_counter() - wall)
        timed.cpus.append(time.process_time() - cpu)
        timed.faults.append(minor_faults() - faults)
    return timed


def thousands(value: float) -> str:
    """A count in a narrow column: 940, 12.3k, 1.2M (NaN: "-")."""
    if math.isnan(value):
        return "-"
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"


if __name__ == "__main__":
    print_machine_report()
