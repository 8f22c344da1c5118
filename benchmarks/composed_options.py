"""What users compose around the recurrent layer, seqlab vs PyTorch CPU side by side.

`composed_train.py` times Embedding -> stack -> Linear with Adam and clipping, `config_sweep.py`
the bare stack over raw features. This script times what those leave out, each written as a
PyTorch user would write it on the PyTorch side (library defaults, no `set_num_threads`: each
worker gets OMP_NUM_THREADS=n and nothing else):

- training options (`opt-*`): dropout between layers (`nn.LSTM(..., dropout=p)`) and Dropout
  layers around the stack, SGD with momentum / Nesterov, AdamW(weight_decay), RMSprop, Adagrad,
  no clipping, batch_first=True, weight tying (head weight = embedding weight), float64;
- the PTB word-LM loop (`ptb-small`, `ptb-medium`): vocabulary 10k, 2 x 200 / 2 x 650 LSTM,
  batch 20 x 35, SGD(lr 1), clip 5 (medium: dropout 0.5 around and between the layers, tied
  weights off as in Zaremba et al.), hidden state carried and detached between batches;
- heads (`clf-*`, `fc-*`, `classify10k-*`, `gen-*`): seqlab's `SequenceClassifier` (bidirectional,
  per-text lengths) against a PyTorch model with `pack_padded_sequence`; seqlab's
  `SequenceRegressor` (F features -> stack -> Linear on the last step) against the same in
  PyTorch; `SequenceClassifier.predict` over 10k short texts in batches of 256 against
  PyTorch under no_grad; `seqlab.nlp.generation.sample` of a `LanguageModel` against PyTorch's
  step loop (torch.multinomial on the softmax, state carried, inference_mode);
- shapes at the edges (`edge-*`): Embedding(V, H) -> stack -> Linear at hidden sizes, batches,
  lengths, vocabularies and depths the other scripts do not name, and F 300 raw features
  (pretrained word vectors) -> stack -> Linear on the last step.

Rates: training points in tokens (batch x steps) per second of a whole step (forward, loss,
backward, clipping when on, optimizer step, zero_grad); `infer` points in tokens per second of a
no-grad forward; `classify10k` in texts per second; `gen` in generated tokens per second. Each
point runs one or two untimed steps, then timed steps for about `--seconds` (at least 3); the
point's rate is the median step (`ratio`, `cpu`). Rounds alternate seqlab and PyTorch processes;
the table gives medians over rounds, ratio = seqlab / PyTorch of wall-clock rates and of CPU-time
rates (process_time, both threads counted at 2 threads), then `window` / `w cpu`: the same
ratios of the rates over each worker's whole timed window (units over the timed steps' total
time: a long run's throughput, the figure claims use and the flags read; see
`composed_train.py`), each side's minor page faults a step (`faults`, mean, seqlab/PyTorch),
the load average, and seqlab's own 2-thread / 1-thread ratio (`2t/1t`, median step, wall and
CPU) when both thread counts ran.

    uv run python benchmarks/composed_options.py --peer-python /work/peers/bin/python --rounds 1
    uv run python benchmarks/composed_options.py --peer-python /work/peers/bin/python \\
        --points opt-lstm-256x2-drop,ptb-small --threads 1,2 --rounds 3

The PyTorch side runs this file under the peer interpreter; nothing of seqlab is imported there.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from bench_common import (
    add_peer_python,
    alternate_rounds,
    emit_result,
    library_info,
    load_averages,
    median,
    print_machine_report,
    require_peer_python,
    run_json_worker,
    thousands,
    time_steps,
    worker_environment,
)

CLIP = 5.0
# the base point every `opt-*` / `edge-*` point changes one thing of
BASE = {"kind": "lm", "cell": "lstm", "hidden": 128, "embed": None, "layers": 1, "batch": 32,
        "steps": 64, "vocab": 65, "dropout": 0.0, "outer_dropout": 0.0, "optimizer": "adam",
        "lr": 2e-3, "clip": True, "batch_first": False, "tie": False, "dtype": "float32",
        "carry": True, "mode": "train", "bidirectional": False, "features": 0, "classes": 0,
        "texts": 0}


def _point(**changes) -> dict:
    unknown = set(changes) - set(BASE)
    assert not unknown, unknown
    return {**BASE, **changes}


POINTS: dict[str, dict] = {
    # 1. training options
    "opt-lstm-256x2-drop": _point(hidden=256, layers=2, dropout=0.2),
    "opt-gru-256x2-drop": _point(cell="gru", hidden=256, layers=2, dropout=0.5),
    "opt-lstm-256x2-outdrop": _point(hidden=256, layers=2, dropout=0.5, outer_dropout=0.5),
    "opt-lstm-128-sgdmom": _point(optimizer="sgd-momentum", lr=0.1),
    "opt-lstm-128-nesterov": _point(optimizer="sgd-nesterov", lr=0.1),
    "opt-lstm-128-adamw": _point(optimizer="adamw"),
    "opt-lstm-128-rmsprop": _point(optimizer="rmsprop", lr=1e-3),
    "opt-lstm-128-adagrad": _point(optimizer="adagrad", lr=1e-2),
    "opt-lstm-128-noclip": _point(clip=False),
    "opt-gru-128-noclip": _point(cell="gru", clip=False),
    "opt-lstm-128-bfirst": _point(batch_first=True),
    "opt-gru-128-bfirst": _point(cell="gru", batch_first=True),
    "opt-lstm-256-tied-v10k": _point(hidden=256, vocab=10_000, steps=35, tie=True),
    "opt-lstm-128-f64": _point(dtype="float64"),
    "opt-gru-128-f64": _point(cell="gru", dtype="float64"),
    "opt-rnn-128-f64": _point(cell="rnn", dtype="float64"),
    "ptb-small": _point(hidden=200, layers=2, vocab=10_000, batch=20, steps=35,
                        optimizer="sgd", lr=1.0),
    "ptb-medium": _point(hidden=650, layers=2, vocab=10_000, batch=20, steps=35,
                         optimizer="sgd", lr=1.0, dropout=0.5, outer_dropout=0.5),
    "ptb-medium-infer": _point(hidden=650, layers=2, vocab=10_000, batch=20, steps=35,
                               mode="infer"),
    # 2. heads and tasks
    "clf-bigru-128": _point(kind="clf", cell="gru", hidden=128, embed=100, vocab=20_000,
                            batch=64, steps=60, bidirectional=True, classes=2),
    "clf-bilstm-128": _point(kind="clf", hidden=128, embed=100, vocab=20_000, batch=64,
                             steps=60, bidirectional=True, classes=2),
    "clf-lstm-256": _point(kind="clf", hidden=256, embed=128, vocab=20_000, batch=32,
                           steps=100, classes=5),
    "classify10k-bigru-128": _point(kind="clf", cell="gru", hidden=128, embed=100,
                                    vocab=20_000, batch=256, steps=40, bidirectional=True,
                                    classes=2, mode="infer", texts=10_000),
    "classify10k-lstm-128": _point(kind="clf", hidden=128, embed=100, vocab=20_000,
                                   batch=256, steps=40, classes=2, mode="infer",
                                   texts=10_000),
    "fc-lstm-64-t24-b64": _point(kind="fc", hidden=64, features=8, batch=64, steps=24,
                                 lr=1e-3),
    "fc-lstm-128-t96-b256": _point(kind="fc", hidden=128, features=8, batch=256, steps=96,
                                   lr=1e-3),
    "fc-gru-64-t48-b128": _point(kind="fc", cell="gru", hidden=64, features=4, batch=128,
                                 steps=48, lr=1e-3),
    "fc-lstm-128x2-t48-b64": _point(kind="fc", hidden=128, layers=2, features=16, batch=64,
                                    steps=48, lr=1e-3),
    "fc-infer-lstm-128-t96-b256": _point(kind="fc", hidden=128, features=8, batch=256,
                                         steps=96, mode="infer"),
    "gen-gru-256x2": _point(kind="gen", cell="gru", hidden=256, layers=2, steps=400),
    "gen-rnn-256x2": _point(kind="gen", cell="rnn", hidden=256, layers=2, steps=400),
    "gen-lstm-512x1": _point(kind="gen", hidden=512, steps=400),
    "gen-lstm-256x3": _point(kind="gen", hidden=256, layers=3, steps=400),
    "gen-word-lstm-256x2-v10k": _point(kind="gen", hidden=256, layers=2, vocab=10_000,
                                       steps=300),
    # 3. shapes at the edges (composed Embedding -> stack -> Linear, Adam, clip 5)
    "edge-lstm-h32": _point(hidden=32),
    "edge-lstm-h48": _point(hidden=48),
    "edge-lstm-h96": _point(hidden=96),
    "edge-lstm-h384": _point(hidden=384),
    "edge-lstm-h768": _point(hidden=768),
    "edge-gru-h96": _point(cell="gru", hidden=96),
    "edge-gru-h384": _point(cell="gru", hidden=384),
    "edge-rnn-h384": _point(cell="rnn", hidden=384),
    "edge-lstm-h1024": _point(hidden=1024, batch=16),
    "edge-lstm-b2": _point(batch=2),
    "edge-lstm-b16": _point(batch=16),
    "edge-lstm-b64": _point(batch=64),
    "edge-lstm-b128": _point(batch=128),
    "edge-lstm-b256": _point(batch=256, steps=32),
    "edge-gru-b2": _point(cell="gru", batch=2),
    "edge-gru-b256": _point(cell="gru", batch=256, steps=32),
    "edge-lstm-t8": _point(steps=8),
    "edge-lstm-t16": _point(steps=16),
    "edge-lstm-t512": _point(steps=512, batch=8),
    "edge-gru-t8": _point(cell="gru", steps=8),
    "edge-lstm-v100": _point(hidden=256, vocab=100),
    "edge-lstm-256x2-v30k": _point(hidden=256, layers=2, vocab=30_000, steps=35),
    "edge-lstm-256x3": _point(hidden=256, layers=3),
    "edge-lstm-128x4": _point(layers=4),
    "edge-gru-256x4": _point(cell="gru", hidden=256, layers=4),
    "edge-lstm-f300": _point(kind="feat", hidden=256, features=300, batch=32, steps=50,
                             classes=5),
    "edge-gru-f300-bidir": _point(kind="feat", cell="gru", hidden=128, features=300,
                                  batch=32, steps=50, classes=5, bidirectional=True),
    "edge-infer-lstm-h768": _point(hidden=768, mode="infer"),
    "edge-infer-lstm-h48": _point(hidden=48, mode="infer"),
    "edge-infer-lstm-b256-t16": _point(batch=256, steps=16, mode="infer"),
    "edge-infer-gru-256x4": _point(cell="gru", hidden=256, layers=4, mode="infer"),
    "edge-infer-lstm-f300": _point(kind="feat", hidden=256, features=300, batch=32,
                                   steps=50, classes=5, mode="infer"),
}
DEFAULT_POINTS = ",".join(POINTS)


def target_of(name: str, spec: dict) -> float:
    """The issue's bar: RNN training 1.5x, LSTM / GRU training and inference 1.2x."""
    if spec["mode"] == "infer" or spec["kind"] == "gen":
        return 1.2
    return 1.5 if spec["cell"] == "rnn" else 1.2


# ---------------------------------------------------------------- data (NumPy only)
def make_data(spec: dict, seed: int = 0):
    """Endless batches for a point: (inputs, targets, lengths); token ids time-major (T, N)
    for lm points, (N, T) for clf points, float (N, T, F) for fc / feat points."""
    rng = np.random.default_rng(seed)
    batch, steps, vocab = spec["batch"], spec["steps"], spec["vocab"]
    dtype = np.dtype(spec["dtype"])
    while True:
        if spec["kind"] == "lm":
            ids = rng.integers(0, vocab, (steps + 1, batch))
            if spec["batch_first"]:
                yield ids[:-1].T.copy(), ids[1:].T.copy(), None
            else:
                yield ids[:-1].copy(), ids[1:].copy(), None
        elif spec["kind"] == "clf":
            count = spec["texts"] or batch
            lengths = rng.integers(max(2, steps // 6), steps + 1, count)
            ids = rng.integers(1, vocab, (count, steps))
            ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
            yield ids, rng.integers(0, spec["classes"], count), lengths
        elif spec["kind"] in ("fc", "feat"):
            x = rng.standard_normal((batch, steps, spec["features"])).astype(dtype)
            y = (rng.standard_normal((batch, 1)).astype(dtype) if spec["kind"] == "fc"
                 else rng.integers(0, spec["classes"], batch))
            yield x, y, None
        else:
            yield None, None, None


# ---------------------------------------------------------------- seqlab side
class SeqlabPoint:
    def __init__(self, spec: dict) -> None:
        from seqlab.autograd import Tensor, nn, no_grad, optim
        from seqlab.seqmodels import GRU, LSTM, RNN, SequenceClassifier, SequenceRegressor

        self.spec, self.no_grad, self.Tensor, self.F = spec, no_grad, Tensor, nn.functional
        self.clip = nn.utils.clip_grad_norm_
        dtype = np.dtype(spec["dtype"])
        cell, hidden, layers = spec["cell"], spec["hidden"], spec["layers"]
        stack_class = {"lstm": LSTM, "gru": GRU, "rnn": RNN}[cell]
        self.state = None
        if spec["kind"] == "gen":
            from seqlab.seqmodels import LanguageModel

            self.model = LanguageModel(spec["vocab"], hidden, hidden, layers, cell=cell,
                                       generator=0)
            self.model.eval()
            return
        if spec["kind"] == "clf":
            self.model = SequenceClassifier(spec["vocab"], spec["embed"], hidden, spec["classes"],
                                            num_layers=layers, cell=cell,
                                            bidirectional=spec["bidirectional"],
                                            dropout=spec["dropout"], generator=0)
        elif spec["kind"] == "fc":
            self.model = SequenceRegressor(spec["features"], hidden, num_layers=layers, cell=cell,
                                           dtype=dtype, generator=0)
        else:
            embed = spec["embed"] or hidden
            feat = spec["kind"] == "feat"

            class Net(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    if not feat:
                        self.embedding = nn.Embedding(spec["vocab"], embed, dtype=dtype)
                    self.drop = nn.Dropout(spec["outer_dropout"])
                    self.stack = stack_class(spec["features"] if feat else embed, hidden, layers,
                                             batch_first=spec["batch_first"] or feat,
                                             dropout=spec["dropout"],
                                             bidirectional=spec["bidirectional"], dtype=dtype)
                    width = hidden * (2 if spec["bidirectional"] else 1)
                    self.head = nn.Linear(width, spec["classes"] if feat else spec["vocab"],
                                          dtype=dtype)
                    if spec["tie"]:
                        self.head.weight = self.embedding.weight

                def forward(self, inputs, state=None):
                    x = Tensor(inputs) if feat else self.embedding(inputs)
                    out, state = self.stack(self.drop(x), state)
                    if feat:
                        return self.head(out[:, inputs.shape[1] - 1]), state
                    return self.head(self.drop(out)), state

            self.model = Net()
        params = list(self.model.parameters())
        self.params = [p for p in params if p.requires_grad]
        name, lr = spec["optimizer"], spec["lr"]
        self.optimizer = {
            "adam": lambda: optim.Adam(self.params, lr=lr),
            "adamw": lambda: optim.AdamW(self.params, lr=lr, weight_decay=0.01),
            "sgd": lambda: optim.SGD(self.params, lr=lr),
            "sgd-momentum": lambda: optim.SGD(self.params, lr=lr, momentum=0.9),
            "sgd-nesterov": lambda: optim.SGD(self.params, lr=lr, momentum=0.9, nesterov=True),
            "rmsprop": lambda: optim.RMSprop(self.params, lr=lr),
            "adagrad": lambda: optim.Adagrad(self.params, lr=lr),
        }[name]()

    def step(self, inputs, targets, lengths) -> None:
        spec, F = self.spec, self.F
        if spec["kind"] == "gen":
            from seqlab.nlp.generation import SamplingOptions, sample

            list(sample(self.model, [1, 2, 3, 4], SamplingOptions(max_tokens=spec["steps"],
                                                                  seed=0)))
            return
        if spec["mode"] == "infer":
            if spec["kind"] == "clf":
                for start in range(0, len(inputs), spec["batch"]):
                    part = slice(start, start + spec["batch"])
                    self.model.predict(inputs[part], lengths[part])
            elif spec["kind"] == "fc":
                self.model.predict(inputs, batch_size=spec["batch"])
            else:
                self.model.eval()
                with self.no_grad():
                    self.model(inputs)
            return
        if spec["kind"] == "clf":
            loss = F.cross_entropy(self.model(inputs, lengths), targets)
        elif spec["kind"] == "fc":
            loss = F.mse_loss(self.model(inputs).reshape(len(inputs), 1), targets)
        elif spec["kind"] == "feat":
            loss = F.cross_entropy(self.model(inputs)[0], targets)
        else:
            logits, state = self.model(inputs, self.state if spec["carry"] else None)
            if spec["carry"]:
                self.state = (tuple(s.detach() for s in state) if isinstance(state, tuple)
                              else state.detach())
            loss = F.cross_entropy(logits.reshape(-1, spec["vocab"]), targets.reshape(-1))
        loss.backward()
        if spec["clip"]:
            self.clip(self.params, CLIP)
        self.optimizer.step()
        self.optimizer.zero_grad()


# ---------------------------------------------------------------- PyTorch side
class TorchPoint:
    def __init__(self, spec: dict) -> None:
        import torch

        torch.manual_seed(0)
        self.torch, self.spec = torch, spec
        dtype = getattr(torch, spec["dtype"])
        cell, hidden, layers = spec["cell"], spec["hidden"], spec["layers"]
        stack_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.state = None
        nn = torch.nn
        kind = spec["kind"]
        embed = spec["embed"] or hidden
        batch_first = spec["batch_first"] or kind in ("clf", "fc", "feat")
        inputs = spec["features"] if kind in ("fc", "feat") else embed
        width = hidden * (2 if spec["bidirectional"] else 1)
        outputs = {"fc": 1, "feat": spec["classes"], "clf": spec["classes"]}.get(kind,
                                                                                 spec["vocab"])

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                if kind not in ("fc", "feat"):
                    self.embedding = nn.Embedding(spec["vocab"], embed,
                                                  padding_idx=0 if kind == "clf" else None)
                self.drop = nn.Dropout(spec["outer_dropout"])
                self.stack = stack_class(inputs, hidden, layers, batch_first=batch_first,
                                         dropout=spec["dropout"],
                                         bidirectional=spec["bidirectional"])
                self.head = nn.Linear(width, outputs)
                if spec["tie"]:
                    self.head.weight = self.embedding.weight

            def forward(self, x, state=None, lengths=None):
                if kind == "clf":
                    packed = nn.utils.rnn.pack_padded_sequence(
                        self.embedding(x), lengths, batch_first=True, enforce_sorted=False)
                    _, h_n = self.stack(packed)
                    h_n = h_n[0] if isinstance(h_n, tuple) else h_n
                    last = (torch.cat([h_n[-2], h_n[-1]], dim=1) if spec["bidirectional"]
                            else h_n[-1])
                    return self.head(last), None
                if kind in ("fc", "feat"):
                    out, _ = self.stack(x)
                    return self.head(out[:, -1]), None
                out, state = self.stack(self.drop(self.embedding(x)), state)
                return self.head(self.drop(out)), state

        self.model = Net().to(dtype)
        self.params = list(self.model.parameters())
        name, lr, optim = spec["optimizer"], spec["lr"], torch.optim
        self.optimizer = {
            "adam": lambda: optim.Adam(self.params, lr=lr),
            "adamw": lambda: optim.AdamW(self.params, lr=lr, weight_decay=0.01),
            "sgd": lambda: optim.SGD(self.params, lr=lr),
            "sgd-momentum": lambda: optim.SGD(self.params, lr=lr, momentum=0.9),
            "sgd-nesterov": lambda: optim.SGD(self.params, lr=lr, momentum=0.9, nesterov=True),
            "rmsprop": lambda: optim.RMSprop(self.params, lr=lr),
            "adagrad": lambda: optim.Adagrad(self.params, lr=lr),
        }[name]()
        if kind == "gen":
            self.model.eval()

    def generate(self) -> None:
        torch, model = self.torch, self.model
        generator = torch.Generator().manual_seed(0)
        prompt = torch.tensor([[1], [2], [3], [4]])
        with torch.inference_mode():
            out, state = model.stack(model.embedding(prompt))
            logits = model.head(out[-1])
            for _ in range(self.spec["steps"]):
                token = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
                int(token)
                out, state = model.stack(model.embedding(token), state)
                logits = model.head(out[0])

    def step(self, inputs, targets, lengths) -> None:
        torch, spec, F = self.torch, self.spec, self.torch.nn.functional
        if spec["kind"] == "gen":
            self.generate()
            return
        x = torch.from_numpy(inputs)
        if spec["mode"] == "infer":
            self.model.eval()
            with torch.no_grad():
                if spec["kind"] == "clf":
                    lengths = torch.from_numpy(lengths)
                    for start in range(0, len(x), spec["batch"]):
                        part = slice(start, start + spec["batch"])
                        self.model(x[part], None, lengths[part])[0].argmax(1)
                else:
                    self.model(x)
            return
        if spec["kind"] == "clf":
            loss = F.cross_entropy(self.model(x, None, torch.from_numpy(lengths))[0],
                                   torch.from_numpy(targets))
        elif spec["kind"] == "fc":
            loss = F.mse_loss(self.model(x)[0], torch.from_numpy(targets))
        elif spec["kind"] == "feat":
            loss = F.cross_entropy(self.model(x)[0], torch.from_numpy(targets))
        else:
            logits, state = self.model(x, self.state if spec["carry"] else None)
            if spec["carry"]:
                self.state = (tuple(s.detach() for s in state) if isinstance(state, tuple)
                              else state.detach())
            loss = F.cross_entropy(logits.reshape(-1, spec["vocab"]),
                                   torch.from_numpy(targets).reshape(-1))
        loss.backward()
        if spec["clip"]:
            torch.nn.utils.clip_grad_norm_(self.params, CLIP)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


# ---------------------------------------------------------------- workers
def units_per_step(spec: dict) -> int:
    if spec["kind"] == "gen":
        return spec["steps"]
    if spec["texts"]:
        return spec["texts"]
    return spec["batch"] * spec["steps"]


def run_worker(side: str, args: argparse.Namespace) -> dict:
    """Time every point on one library in this process: {point: [wall rate, CPU rate, window
    wall rate, window CPU rate, mean faults a step]} (rates of the median step, then of the
    whole timed window)."""
    library_info(side)
    results = {}
    for name in args.points.split(","):
        spec = POINTS[name]
        runner = (TorchPoint if side == "torch" else SeqlabPoint)(spec)
        data = make_data(spec)
        for _ in range(args.warmup):
            runner.step(*next(data))
        timed = time_steps(lambda batch, run=runner: run.step(*batch), data, 3, args.seconds)
        rates = timed.summary(units_per_step(spec))
        results[name] = [rates["wall"], rates["cpu"], rates["window_wall"], rates["window_cpu"],
                         rates["faults_mean"]]
    return {"points": results, "library": library_info(side)}


def spawn_worker(python: str, side: str, threads: int, args: argparse.Namespace,
                 source: str | None = None) -> dict:
    """This file as a worker under `python`; `source`: seqlab from that tree's sources."""
    command = [python, __file__, "--worker", side, "--points", args.points, "--seconds",
               str(args.seconds), "--warmup", str(args.warmup)]
    return run_json_worker(command, worker_environment(threads, source), f"{side} worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_peer_python(parser)
    parser.add_argument("--points", default=DEFAULT_POINTS, help="comma-separated")
    parser.add_argument("--threads", default="1,2", help="comma-separated OMP_NUM_THREADS values")
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per point")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds per thread count")
    parser.add_argument("--seqlab-only", action="store_true",
                        help="time seqlab alone (its 2-thread / 1-thread ratios; PyTorch's "
                             "threads collapse on a loaded machine and take minutes a point)")
    parser.add_argument("--baseline-src",
                        help="also run seqlab from this source tree (an A/B in the same run)")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = [name for name in args.points.split(",") if name not in POINTS]
    if unknown:
        raise SystemExit(f"unknown points {unknown}; known: {DEFAULT_POINTS}")
    if args.worker:
        emit_result(run_worker(args.worker, args))
        return
    if not args.seqlab_only:
        require_peer_python(args.peer_python)
    print_machine_report()
    print(f"{args.rounds} alternating round(s) per thread count, ~{args.seconds}s timed per "
          f"point after {args.warmup} warm-up step(s); ratio = seqlab / PyTorch (medians)")
    medians: dict[int, dict] = {}
    for threads in (int(t) for t in args.threads.split(",")):
        loads = [load_averages()]
        sides = (("seqlab",) if args.seqlab_only else ("seqlab", "torch")) + (
            ("base",) if args.baseline_src else ())
        # seqlab and PyTorch change places every other round; the baseline tree runs last
        rounds = {"seqlab": [], "torch": [], "base": []}
        rounds.update(alternate_rounds(
            args.rounds, sides, lambda side, n=threads: spawn_worker(
                args.peer_python if side == "torch" else sys.executable,
                "torch" if side == "torch" else "seqlab", n, args,
                args.baseline_src if side == "base" else None),
            swap_first_two=not args.seqlab_only))
        loads.append(load_averages())
        print(f"\n== OMP_NUM_THREADS={threads}; load average before / after: "
              f"{loads[0]} / {loads[1]}")
        for side in ("seqlab", "torch"):
            if rounds[side]:
                print(f"  {side}: {rounds[side][0]['library']}")
        medians[threads] = {}
        if args.seqlab_only:
            for name in args.points.split(","):
                ours = [median(r["points"][name][i] for r in rounds["seqlab"]) for i in range(5)]
                medians[threads][name] = ours
                print(f"{name:<28} {ours[0]:>10,.0f} seqlab/s wall {ours[1]:>10,.0f} per CPU-s "
                      f"(window {ours[2]:,.0f} / {ours[3]:,.0f}; {thousands(ours[4])} faults)",
                      flush=True)
            continue
        print(f"{'point':<28} {'seqlab/s':>10} {'torch/s':>10} {'ratio':>6} {'cpu':>6} "
              f"{'target':>6} {'window':>6} {'w cpu':>6} {'faults':>11}")
        for name in args.points.split(","):
            ours = [median(r["points"][name][i] for r in rounds["seqlab"]) for i in range(5)]
            peer = [median(r["points"][name][i] for r in rounds["torch"]) for i in range(5)]
            medians[threads][name] = ours
            ratio, cpu_ratio = ours[0] / peer[0], ours[1] / peer[1]
            window, window_cpu = ours[2] / peer[2], ours[3] / peer[3]
            target = target_of(name, POINTS[name])
            flag = "  SHORT" if window < target else ("  <1.15" if window < 1.15 else "")
            base_columns = ""
            if rounds["base"]:
                base = [median(r["points"][name][i] for r in rounds["base"]) for i in (0, 1)]
                base_columns = (f"  base {base[0] / peer[0]:.2f}x/{base[1] / peer[1]:.2f}x"
                                f" now/base {ours[0] / base[0]:.2f}x/{ours[1] / base[1]:.2f}x")
            faults = f"{thousands(ours[4])}/{thousands(peer[4])}"
            print(f"{name:<28} {ours[0]:>10,.0f} {peer[0]:>10,.0f} {ratio:>5.2f}x "
                  f"{cpu_ratio:>5.2f}x {target:>5.1f}x {window:>5.2f}x {window_cpu:>5.2f}x "
                  f"{faults:>11}{flag}{base_columns}", flush=True)
    if 1 in medians and 2 in medians:
        print("\nseqlab 2 threads / 1 thread (wall, CPU):")
        for name in args.points.split(","):
            one, two = medians[1][name], medians[2][name]
            flag = "  2t SLOWER" if two[0] < one[0] else ""
            print(f"{name:<28} {two[0] / one[0]:>5.2f}x {two[1] / one[1]:>5.2f}x{flag}")


if __name__ == "__main__":
    main()
