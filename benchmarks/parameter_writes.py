"""Time the writes to a Parameter's attributes that go through `Parameter.__setattr__` (the
guard that keeps `.data` on a 64-byte line): a user's `p.grad = array`, `Module.zero_grad()`
and `Module.to(dtype)`, per parameter, beside a plain Tensor's `t.grad = array` and the slot
write (`Tensor.grad.__set__`). Best of 5 timeit repeats in a process, median over
alternating processes (this tree, the baseline); prints the CPU and the load.

    uv run python benchmarks/parameter_writes.py [--baseline-src /tmp/base-leftovers]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from bench_common import print_machine_report

CODE = r'''
import timeit, numpy as np
import seqlab.autograd
print('seqlab.autograd from', seqlab.autograd.__file__)
from seqlab.autograd import Tensor
from seqlab.autograd.nn import Parameter
from seqlab.seqmodels.recurrent import LSTM
p, t, g = Parameter(np.zeros(8)), Tensor(np.zeros(8)), np.zeros(8)
model = LSTM(16, 16, num_layers=4, bidirectional=True, dtype=np.float64, generator=0)
count = len(list(model.parameters()))
set_grad = Tensor.grad.__set__
def best(stmt, number, per=1):
    return min(timeit.repeat(stmt, globals=globals(), number=number, repeat=5)) / number / per
print(f"p.grad = array           {best('p.grad = g', 200_000) * 1e9:7.0f} ns")
print(f"t.grad = array (Tensor)  {best('t.grad = g', 200_000) * 1e9:7.0f} ns")
print(f"slot write               {best('set_grad(p, g)', 200_000) * 1e9:7.0f} ns")
print(f"zero_grad, a parameter   {best('model.zero_grad()', 5_000, count) * 1e9:7.0f} ns")
def cast():
    model.to(np.float32); model.to(np.float64)
print(f"to(dtype), a parameter   {best('cast()', 200, 2 * count) * 1e9:7.0f} ns")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", help="a tree of an earlier seqlab to time beside")
    parser.add_argument("--rounds", type=int, default=3, help="alternating processes per tree")
    options = parser.parse_args()
    print_machine_report()
    trees = [("this tree", None)]
    if options.baseline_src:
        trees.append(("baseline", options.baseline_src))
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(options.rounds):  # alternating processes
        for label, source in trees:
            env_path = [] if source is None else [
                f"{source}/packages/{name}/src" for name in ("autograd", "seqmodels", "nlp")]
            prefix = f"import sys; sys.path[:0] = {env_path!r}\n"
            lines = subprocess.run([sys.executable, "-c", prefix + CODE], check=True,
                                   capture_output=True, text=True).stdout.splitlines()
            print(f"-- {label}: {lines[0]}")
            for line in lines[1:]:
                name, value = line.rsplit(None, 2)[0], float(line.split()[-2])
                times.setdefault((label, name), []).append(value)
    names = list(dict.fromkeys(name for _, name in times))
    print(f"median of {options.rounds} rounds, ns" + "".join(f"{label:>12s}" for label, _ in trees)
          + ("       ratio" if len(trees) > 1 else ""))
    for name in names:
        medians = [statistics.median(times[(label, name)]) for label, _ in trees]
        ratio = f"{medians[1] / medians[0]:11.2f}x" if len(medians) > 1 else ""
        print(f"{name:25s}" + "".join(f"{m:12.0f}" for m in medians) + ratio)
    with open("/proc/loadavg") as load:
        print(f"load after: {load.read().split()[:3]}")

if __name__ == "__main__":
    main()
