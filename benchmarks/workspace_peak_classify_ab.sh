#!/bin/bash
# seqlab classify train (embedded corpus, bucketed text lengths) on this tree and the start tree,
# alternating; wall, user, sys seconds and max RSS KB from /usr/bin/time.
cd "$(dirname "$0")/.."
.venv/bin/python benchmarks/bench_common.py  # CPU, ISA, BLAS, load
BASE=${1:?usage: workspace_peak_classify_ab.sh BASELINE_TREE (git archive COMMIT | tar -x -C DIR)}
BASEPATH=$BASE/packages/autograd/src:$BASE/packages/seqmodels/src:$BASE/packages/nlp/src:$BASE/apps/cli/src
for round in 1 2; do
  for side in new old; do
    if [ $((round % 2)) = 0 ]; then side=$([ $side = new ] && echo old || echo new); fi
    out=${TMPDIR:-/tmp}/cls-$side-$round.safetensors
    if [ $side = old ]; then export PYTHONPATH=$BASEPATH; else unset PYTHONPATH; fi
    /usr/bin/time -f "$side round $round: wall %e user %U sys %S maxrss_kb %M" \
      .venv/bin/python -m seqlab.cli classify train --epochs 1 --out $out --force --quiet --json > /dev/null 2>${TMPDIR:-/tmp}/cls-$side-$round.err
    tail -1 ${TMPDIR:-/tmp}/cls-$side-$round.err
    cat /proc/loadavg
  done
done
