"""`seqlab ngram train` vs KenLM's `lmplz` on a large corpus: wall time and peak RSS.

Both read the same whitespace-split tokens (`--level whitespace`, which splits as str.split;
lmplz splits on spaces and tabs) and write an ARPA file; the n-gram counts of the two headers
are printed side by side as a check that both counted the same thing. Peak RSS comes from
`/usr/bin/time -v` (the largest resident set of the process), with wall and CPU (user + system)
time: lmplz runs several threads, and on a busy machine wall time is mostly waiting.
Make the corpus with `benchmarks/make_corpus.py`.

    uv run python benchmarks/ngram_scale.py --corpus /work/corpora/synth200m.txt \\
        --lmplz /tmp/kenlm/build/bin/lmplz --order 5 --memory 2G

The machine is shared: the load average before each run is printed; read the ratio.
`--together` starts both at once, so both run under the same load (they then share the
CPUs with each other too: compare CPU times).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import print_machine_report


def timed(command: list[str], stdin=None, stdout=None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds (user + system), peak RSS in GB) of one command, by
    /usr/bin/time -v."""
    return Timed(command, stdin, stdout).wait()


class Timed:
    """One command started under /usr/bin/time -v; `wait()` gives (wall s, CPU s, peak GB)."""

    def __init__(self, command: list[str], stdin=None, stdout=None) -> None:
        self.report = tempfile.NamedTemporaryFile("r", suffix=".time")  # noqa: SIM115
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            ["/usr/bin/time", "-v", "-o", self.report.name, *command], stdin=stdin,
            stdout=stdout if stdout is not None else subprocess.DEVNULL)

    def wait(self) -> tuple[float, float, float]:
        if self.process.wait() != 0:
            raise subprocess.CalledProcessError(self.process.returncode, self.process.args)
        seconds = time.perf_counter() - self.started
        with self.report:
            return (seconds, *usage(Path(self.report.name).read_text()))


def usage(text: str) -> tuple[float, float]:
    """(CPU seconds, peak RSS in GB) of a /usr/bin/time -v report."""
    kilobytes = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", text).group(1))
              for kind in ("User", "System"))
    return cpu, kilobytes / 1024**2


def header_counts(arpa: Path) -> list[int]:
    counts = []
    with open(arpa, encoding="utf-8") as file:
        for line in file:
            match = re.match(r"ngram (\d+)=(\d+)", line)
            if match:
                counts.append(int(match.group(2)))
            elif counts and not line.strip():
                break
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--lmplz", default=os.environ.get("SEQLAB_LMPLZ") or shutil.which("lmplz"))
    parser.add_argument("--order", type=int, default=5)
    parser.add_argument("--memory", default="2G")
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--skip", choices=["seqlab", "lmplz"], action="append", default=[])
    parser.add_argument("--together", action="store_true",
                        help="start both at once (the same machine load for both; on 2 cores "
                        "they share them, so compare CPU times)")
    parser.add_argument("--lmplz-to-null", action="store_true",
                        help="lmplz's ARPA to /dev/null (saves its size on disk)")
    args = parser.parse_args(argv)
    print_machine_report(isolated=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    os.environ.clear()
    os.environ.update(env)
    size_mb = args.corpus.stat().st_size / 1e6
    print(f"corpus {args.corpus} ({size_mb:.0f} MB), order {args.order}, memory {args.memory}")
    with tempfile.TemporaryDirectory(dir=args.scratch, prefix="ngram-scale-") as folder:
        folder = Path(folder)
        results = {}
        lmplz_out = Path(os.devnull) if args.lmplz_to_null else folder / "lmplz.arpa"
        seqlab = Path(sys.executable).with_name("seqlab")
        commands = {
            "lmplz": [args.lmplz, "-o", str(args.order), "-S", args.memory, "-T", str(folder),
                      "--discount_fallback"],
            "seqlab": [str(seqlab), "ngram", "train", str(args.corpus), "--order",
                       str(args.order), "--memory", args.memory, "--level", "whitespace",
                       "--quiet", "--force", "--out", str(folder / "seqlab.arpa")],
        }
        if not args.lmplz:
            args.skip.append("lmplz")
        names = [name for name in ("lmplz", "seqlab") if name not in args.skip]
        running = {}
        with open(args.corpus, "rb") as text, open(lmplz_out, "wb") as out:
            for name in names:
                print(f"load average before {name}: {os.getloadavg()}", flush=True)
                started = Timed(commands[name], stdin=text if name == "lmplz" else None,
                                stdout=out if name == "lmplz" else None)
                if args.together:
                    running[name] = started
                else:
                    results[name] = started.wait()
            for name, started in running.items():
                results[name] = started.wait()
        print(f"load average after: {os.getloadavg()}", flush=True)
        for name in names:
            arpa = folder / f"{name}.arpa"
            counts = header_counts(arpa) if arpa.exists() else "(ARPA not kept)"
            print(f"{name:6s} {results[name][0]:8.1f} s  cpu {results[name][1]:8.1f} s  "
                  f"{results[name][2]:6.2f} GB  {counts}", flush=True)
        if len(results) == 2:
            wall, cpu = (results["seqlab"][i] / results["lmplz"][i] for i in (0, 1))
            print(f"seqlab / lmplz: wall {wall:.2f}, cpu {cpu:.2f}")


if __name__ == "__main__":
    main()
