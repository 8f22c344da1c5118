"""`train`/`demo` compile every kernel of the run before its clock starts (cliqa stop 17,
item 1: the first `seqlab demo` spent its minute compiling the batch-split kernels that the
old one-token warm-up never reached).

The first test runs in a fresh process, where a Numba dispatcher's `signatures` list only
what this process has called: after `warm_up_step`, one real training step and one evaluation
must add no signature to any seqlab kernel (timing-free, and it fails for a warm-up whose
batch shape, thread count or mode differ from the run's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from seqlab.autograd import optim
from seqlab.cli.kernel_warm_up import warm_up_step
from seqlab.seqmodels import LanguageModel, Trainer
from seqlab.seqmodels.data import train_valid_streams

PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from numba.core.dispatcher import Dispatcher
    from seqlab.autograd import optim
    from seqlab.cli.kernel_warm_up import warm_up_step
    from seqlab.cli.threads import set_threads
    from seqlab.seqmodels import LanguageModel, Trainer
    from seqlab.seqmodels.data import train_valid_streams

    cell, hidden, threads, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \\
        int(sys.argv[4])
    dropout = float(sys.argv[5])
    set_threads(threads)

    def signatures():
        found = {}
        for name, module in list(sys.modules.items()):
            if name.startswith("seqlab.") and module is not None:
                for value in list(vars(module).values()):
                    if isinstance(value, Dispatcher):
                        key = value.py_func.__module__ + "." + value.py_func.__qualname__
                        found[key] = sorted(str(s) for s in value.signatures)
        return found

    tokens = np.random.default_rng(0).integers(0, 40, 20_000)
    train, valid = train_valid_streams(tokens, 0.1, batch, 16)
    model = LanguageModel(40, 16, hidden, 2, cell=cell, dropout=dropout, generator=0)
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-3), train, valid,
                      clip_norm=1.0, eval_every=1, max_steps=1)
    warm_up_step(trainer)
    warmed = signatures()
    trainer.train_step()
    trainer.evaluate()
    after = signatures()
    added = {key: sorted(set(value) - set(warmed.get(key, [])))
             for key, value in after.items() if set(value) - set(warmed.get(key, []))}
    print(json.dumps({"added": added, "warmed": sum(map(len, warmed.values()))}))
""")


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                    reason="no Numba dispatchers without the JIT")
@pytest.mark.parametrize("cell, hidden, threads, batch, dropout", [
    ("lstm", 256, 2, 32, 0.0),  # the demo's: a batch split over two threads (rows kernels)
    ("gru", 48, 1, 4, 0.2),     # one thread, dropout: no embedding-table read in training
])
def test_warm_up_reaches_every_kernel_of_a_step(cell, hidden, threads, batch, dropout):
    done = subprocess.run([sys.executable, "-c", PROBE, cell, str(hidden), str(threads),
                           str(batch), str(dropout)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["warmed"] > 0
    assert report["added"] == {}, f"kernels first compiled inside the timed run: {report}"


def _trainer(seed_run: bool) -> Trainer:
    tokens = np.random.default_rng(1).integers(0, 30, 6_000)
    train, valid = train_valid_streams(tokens, 0.1, 8, 12)
    model = LanguageModel(30, 8, 24, 1, cell="lstm", dropout=0.3, generator=3)
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), train, valid,
                      clip_norm=0.5, eval_every=2, max_steps=3)
    if seed_run:
        warm_up_step(trainer)
    return trainer


def test_warm_up_leaves_the_run_as_it_was():
    """Weights, dropout draws, data position and optimizer state: a warmed-up run trains
    exactly as one that was not."""
    cold, warm = _trainer(False), _trainer(True)
    assert warm.train_data.position == 0 and not warm.optimizer.state
    assert all(p.grad is None for p in warm.model.parameters())
    cold_result, warm_result = cold.fit(), warm.fit()
    assert [h["loss"] for h in warm_result.history] == [h["loss"] for h in cold_result.history]
    for a, b in zip(cold.model.parameters(), warm.model.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_the_optimizer_warm_up_warns_nothing_for_a_huge_lr():
    # the review's `--lr 1e38`: the throwaway update overflowed float32 ("overflow encountered
    # in cast") before the run's own steps, which silence NumPy, began
    import warnings

    import numpy as np

    from seqlab.autograd.nn.parameter import Parameter
    from seqlab.autograd.optim import Adam
    from seqlab.cli.kernel_warm_up import _warm_up_optimizer

    weights = [Parameter(np.zeros(4, np.float32))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warm_up_optimizer(Adam(weights, lr=1e38), weights)
    assert weights[0].data.tolist() == [0.0] * 4  # the run's own weights are not touched
