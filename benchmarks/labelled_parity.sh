set -e
# Same seed, two trees: classify and seq2seq train bit-identical parameters and equal reports.
# usage: bash benchmarks/labelled_parity.sh BASELINE_ROOT SMALL.csv SMALL.tsv  (run from the repo root)
B=$1; CSV=$2; TSV=$3
W=$(pwd)
$W/.venv/bin/python $W/benchmarks/bench_common.py  # CPU, ISA, BLAS, load
for tree in $B $W; do
  name=$( [ $tree = $W ] && echo new || echo old )
  PP=$tree/packages/autograd/src:$tree/packages/seqmodels/src:$tree/packages/nlp/src:$tree/apps/cli/src
  PYTHONPATH=$PP $W/.venv/bin/python -m seqlab.cli classify train $CSV --hidden 8 --embedding-dim 8 --steps 30 --eval-every 15 --seed 2 --json --quiet --force --out /tmp/data-x-$name.safetensors > /tmp/data-x-$name.json
  PYTHONPATH=$PP $W/.venv/bin/python -m seqlab.cli seq2seq train $TSV --hidden 8 --embedding-dim 8 --layers 1 --steps 12 --eval-every 6 --seed 2 --source-level word --target-level char --json --quiet --force --out /tmp/data-y-$name.safetensors > /tmp/data-y-$name.json
done
$W/.venv/bin/python - <<'PY'
import json, numpy as np
from safetensors.numpy import load_file
for k in "xy":
    a, b = load_file(f"/tmp/data-{k}-old.safetensors"), load_file(f"/tmp/data-{k}-new.safetensors")
    assert a.keys() == b.keys()
    print(k, "tensors", len(a), "bitwise equal:", all(np.array_equal(a[n], b[n]) for n in a))
    ja, jb = json.load(open(f"/tmp/data-{k}-old.json")), json.load(open(f"/tmp/data-{k}-new.json"))
    for key in ("validation", "baseline", "train_loss", "valid_loss", "steps"):
        if key in ja: print(" ", key, "equal:", ja[key] == jb.get(key))
PY
