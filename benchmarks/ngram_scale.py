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


def timed(command: list[str], stdin=None, stdout=None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds (user + system), peak RSS in GB) of one command, by
    /usr/bin/time -v."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-v", "-o", report.name, *command], stdin=stdin,
                       stdout=stdout if stdout is not None else subprocess.DEVNULL, check=True)
        seconds = time.perf_counter() - started
        text = Path(report.name).read_text()
    kilobytes = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", text).group(1))
              for kind in ("User", "System"))
    return seconds, cpu, kilobytes / 1024**2


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
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    os.environ.clear()
    os.environ.update(env)
    size_mb = args.corpus.stat().st_size / 1e6
    print(f"corpus {args.corpus} ({size_mb:.0f} MB), order {args.order}, memory {args.memory}")
    with tempfile.TemporaryDirectory(dir=args.scratch, prefix="ngram-scale-") as folder:
        folder = Path(folder)
        results = {}
        if "lmplz" not in args.skip and args.lmplz:
            print(f"load average before lmplz: {os.getloadavg()}", flush=True)
            with open(args.corpus, "rb") as text, open(folder / "lmplz.arpa", "wb") as out:
                results["lmplz"] = timed([args.lmplz, "-o", str(args.order), "-S", args.memory,
                                          "-T", str(folder), "--discount_fallback"],
                                         stdin=text, stdout=out)
            print(f"lmplz  {results['lmplz'][0]:8.1f} s  cpu {results['lmplz'][1]:8.1f} s  "
                  f"{results['lmplz'][2]:6.2f} GB  "
                  f"{header_counts(folder / 'lmplz.arpa')}", flush=True)
            (folder / "lmplz.arpa").unlink()
        if "seqlab" not in args.skip:
            print(f"load average before seqlab: {os.getloadavg()}", flush=True)
            seqlab = Path(sys.executable).with_name("seqlab")
            results["seqlab"] = timed([str(seqlab), "ngram", "train", str(args.corpus),
                                       "--order", str(args.order), "--memory", args.memory,
                                       "--level", "whitespace", "--quiet", "--force",
                                       "--out", str(folder / "seqlab.arpa")])
            print(f"seqlab {results['seqlab'][0]:8.1f} s  cpu {results['seqlab'][1]:8.1f} s  "
                  f"{results['seqlab'][2]:6.2f} GB  "
                  f"{header_counts(folder / 'seqlab.arpa')}", flush=True)
        if len(results) == 2:
            wall, cpu = (results["seqlab"][i] / results["lmplz"][i] for i in (0, 1))
            print(f"seqlab / lmplz: wall {wall:.2f}, cpu {cpu:.2f}")


if __name__ == "__main__":
    main()
