"""Fused recurrent layer kernels vs PyTorch's nn.LSTM / nn.GRU / nn.RNN, forward + backward.

One layer, one direction, float32, batch 32 x 64 steps, input size = hidden size, at 1 and 2
BLAS threads; plus batch-1 LSTM generation steps (2 layers x 256, 65 symbols). Each side runs in
its own subprocess with the thread count fixed by environment; rounds alternate between the two
sides and the table shows medians. Ratios are PyTorch time / seqlab time (> 1: seqlab faster);
"% ceiling" is achieved FLOP/s over this machine's float32 GEMM rate (np.dot 512x512).

    uv run python benchmarks/recurrent_kernels.py --peer-python /work/peers/bin/python

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the workers' environment unless
--keep-openblas-env is given; the BLAS core in use is printed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from bench_common import print_machine_report

STEPS, BATCH = 64, 32
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
VOCAB, GEN_HIDDEN, GEN_LAYERS, GEN_TOKENS = 65, 256, 2, 2000


def median_seconds(run, repeats, clock=time.perf_counter):
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append(clock() - start)
    return statistics.median(times)


def layer_flops(kind, hidden):
    """Training FLOPs of one layer on one batch: 3 x forward, forward = 2 (F + H) G H per token."""
    return 3 * 2 * (hidden + hidden) * GATES[kind] * hidden * STEPS * BATCH


def random_layer(kind, hidden, rng):
    width, bound = GATES[kind] * hidden, 1.0 / np.sqrt(hidden)
    shapes = [(width, hidden), (width, hidden), (width,), (width,)]
    return [rng.uniform(-bound, bound, shape).astype(np.float32) for shape in shapes]


def blas_core_names():
    """The OpenBLAS core each loaded OpenBLAS library dispatches to (numpy's and numba's)."""
    import ctypes

    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    names = {}
    for path in paths:
        library = ctypes.CDLL(path)
        for symbol in (
            "scipy_openblas_get_corename",
            "scipy_openblas_get_corename64_",
            "openblas_get_corename",
        ):
            function = getattr(library, symbol, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                names[os.path.basename(path)] = function().decode()
                break
    return names


def seqlab_tasks(threads):
    """Benchmark tasks for the seqlab side: name -> (setup(kind, hidden) -> callable)."""
    import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS numba calls, to name its core)

    from seqlab.autograd import set_num_threads
    from seqlab.seqmodels import recurrent_ops as ops

    set_num_threads(threads)
    from seqlab.autograd.kernels.recurrent_lstm import lstm_step

    rng = np.random.default_rng(0)

    def layer(kind, hidden):
        x = rng.standard_normal((STEPS, BATCH, hidden)).astype(np.float32)
        h0 = np.zeros((BATCH, hidden), np.float32)
        d_out = rng.standard_normal((STEPS, BATCH, hidden)).astype(np.float32)
        weights = random_layer(kind, hidden, rng)
        forward = {
            "lstm": ops.lstm_layer_forward,
            "gru": ops.gru_layer_forward,
            "rnn": ops.rnn_layer_forward,
        }[kind]
        backward = {
            "lstm": ops.lstm_layer_backward,
            "gru": ops.gru_layer_backward,
            "rnn": ops.rnn_layer_backward,
        }[kind]
        states = (h0, h0) if kind == "lstm" else (h0,)
        no_grads = (None, None) if kind == "lstm" else (None,)

        def train_step():
            *_, saved = forward(x, *states, *weights)
            backward(saved, d_out, *no_grads)

        return train_step

    def generation():
        # the embedding is folded into layer 0's input projection: a table lookup per token
        layers = [random_layer("lstm", GEN_HIDDEN, rng) for _ in range(GEN_LAYERS)]
        embedding = rng.standard_normal((VOCAB, GEN_HIDDEN)).astype(np.float32)
        table = embedding @ layers[0][0].T + layers[0][2] + layers[0][3]
        w_ih_t = [np.ascontiguousarray(w_ih.T) for w_ih, *_ in layers]
        w_hh_t = [np.ascontiguousarray(w_hh.T) for _, w_hh, *_ in layers]
        biases = [b_ih + b_hh for *_, b_ih, b_hh in layers]
        w_out_t = rng.uniform(-0.06, 0.06, (GEN_HIDDEN, VOCAB)).astype(np.float32)

        def generate():
            states = [[np.zeros((1, GEN_HIDDEN), np.float32)] * 2 for _ in range(GEN_LAYERS)]
            token, uniforms = 0, rng.random(GEN_TOKENS)
            for index in range(GEN_TOKENS):
                xg = table[token : token + 1]
                for layer in range(GEN_LAYERS):
                    if layer:
                        xg = states[layer - 1][0] @ w_ih_t[layer] + biases[layer]
                    states[layer] = lstm_step(xg, *states[layer], w_hh_t[layer])
                logits = (states[-1][0] @ w_out_t)[0]
                weights = np.exp(logits - logits.max())
                cumulative = np.cumsum(weights)
                token = int(np.searchsorted(cumulative, uniforms[index] * cumulative[-1]))

        return generate

    def gemm():
        a, b = (np.random.default_rng(0).random((512, 512), dtype=np.float32) for _ in range(2))
        out = np.empty_like(a)
        return lambda: [np.dot(a, b, out=out) for _ in range(20)]

    return {"layer": layer, "generate": generation, "gemm": gemm, "info": blas_core_names}


def torch_tasks(threads):
    """Benchmark tasks for the PyTorch side, same names as seqlab_tasks."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    modules = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}

    def layer(kind, hidden):
        module = modules[kind](hidden, hidden)
        x = torch.randn(STEPS, BATCH, hidden, requires_grad=True)
        d_out = torch.randn(STEPS, BATCH, hidden)

        def train_step():
            module.zero_grad(set_to_none=True)
            x.grad = None
            out, _ = module(x)
            out.backward(d_out)

        return train_step

    def generation():
        lstm = torch.nn.LSTM(GEN_HIDDEN, GEN_HIDDEN, GEN_LAYERS)
        embedding = torch.nn.Embedding(VOCAB, GEN_HIDDEN)
        head = torch.nn.Linear(GEN_HIDDEN, VOCAB)

        def generate():
            with torch.no_grad():
                state, token = None, torch.zeros(1, 1, dtype=torch.long)
                for _ in range(GEN_TOKENS):
                    out, state = lstm(embedding(token), state)
                    probs = torch.softmax(head(out[0]), dim=-1)
                    token = torch.multinomial(probs, 1)

        return generate

    return {"layer": layer, "generate": generation, "info": torch.get_num_threads}


def serve(tasks):
    """Worker loop: read one JSON request per line, answer with one JSON line."""
    prepared = {}
    for line in sys.stdin:
        request = json.loads(line)
        name, args = request["task"], tuple(request.get("args", ()))
        if name == "info":
            answer = tasks["info"]()
        else:
            if (name, args) not in prepared:
                prepared[name, args] = tasks[name](*args)
                prepared[name, args]()  # warm-up: compilation, first-touch allocations
            clock = time.process_time if request.get("clock") == "cpu" else time.perf_counter
            answer = median_seconds(prepared[name, args], request["repeats"], clock)
        print(json.dumps(answer), flush=True)


class Worker:
    """A benchmark worker subprocess with its BLAS thread count fixed at start."""

    def _start(self, python, side, threads, keep_openblas_env):
        env = dict(
            os.environ,
            OPENBLAS_NUM_THREADS=str(threads),
            OMP_NUM_THREADS=str(threads),
            MKL_NUM_THREADS=str(threads),
        )
        if not keep_openblas_env:
            env.pop("OPENBLAS_CORETYPE", None)
            env.pop("OPENBLAS_L2_SIZE", None)
        command = [python, __file__, "--worker", side, "--threads", str(threads)]
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def __init__(self, python, side, threads, keep_openblas_env, clock="wall"):
        self.clock = clock
        self._start(python, side, threads, keep_openblas_env)

    def ask(self, task, args=(), repeats=1):
        request = {"task": task, "args": args, "repeats": repeats, "clock": self.clock}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise SystemExit(f"benchmark worker {self.process.args} died")
        return json.loads(answer)

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def interleaved(workers, task, args, rounds, settle=0.0):
    """Median seconds per worker, alternating single runs so both see the same machine load.

    `settle` seconds pass before each run: the side that just ran may leave threads spinning
    (OpenMP waits actively for a while), which would slow the other side's threads.
    """
    samples = [[] for _ in workers]
    for worker in workers:
        worker.ask(task, args)  # set-up and warm-up outside the timed rounds
    for _ in range(rounds):
        for worker, worker_samples in zip(workers, samples):
            time.sleep(settle)
            worker_samples.append(worker.ask(task, args))
    return [statistics.median(s) for s in samples]


def run_threads(threads, sizes, kinds, args):
    ours = Worker(sys.executable, "seqlab", threads, args.keep_openblas_env, args.clock)
    workers = [ours]
    if args.peer_python is not None:
        workers.append(
            Worker(args.peer_python, "torch", threads, args.keep_openblas_env, args.clock)
        )
    gemm_gflops = 20 * 2 * 512**3 / interleaved([ours], "gemm", (), args.rounds)[0] / 1e9
    print(
        f"\n== {threads} thread(s): float32 GEMM 512x512 {gemm_gflops:.0f} GFLOP/s; "
        f"OpenBLAS cores {ours.ask('info')}"
    )
    print(
        f"{'layer':<9} {'seqlab ms':>10} {'torch ms':>9} {'ratio':>7} {'seqlab':>7} {'torch':>7}"
        f"   (ratio = torch time / seqlab time; last two: % of GEMM ceiling)"
    )
    for kind in kinds:
        for hidden in sizes:
            seconds = interleaved(workers, "layer", (kind, hidden), args.rounds,
                                  settle=0.5 if threads > 1 else 0.0)
            flops = layer_flops(kind, hidden)
            percent = [f"{100 * flops / s / (gemm_gflops * 1e9):>6.0f}%" for s in seconds]
            line = f"{kind}-{hidden:<4} {seconds[0] * 1e3:>10.2f} "
            if len(seconds) == 2:
                line += f"{seconds[1] * 1e3:>9.2f} {seconds[1] / seconds[0]:>6.2f}x {percent[0]} "
                line += percent[1]
            else:
                line += f"{'-':>9} {'-':>7} {percent[0]}"
            print(line, flush=True)
    rates = [GEN_TOKENS / s for s in interleaved(workers, "generate", (), max(3, args.rounds // 2))]
    line = f"generate 2x{GEN_HIDDEN} LSTM, batch 1: seqlab {rates[0]:,.0f} chars/s"
    if len(rates) == 2:
        line += f", torch {rates[1]:,.0f} chars/s ({rates[0] / rates[1]:.1f}x)"
    print(line, flush=True)
    for worker in workers:
        worker.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("SEQLAB_PEER_PYTHON"),
        help="python with torch installed (default $SEQLAB_PEER_PYTHON)",
    )
    parser.add_argument("--threads", default="1,2", help="comma-separated BLAS thread counts")
    parser.add_argument("--sizes", default="128,256,512", help="comma-separated hidden sizes")
    parser.add_argument("--kinds", default="lstm,gru,rnn", help="comma-separated: lstm,gru,rnn")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved timed runs per side")
    parser.add_argument(
        "--keep-openblas-env",
        action="store_true",
        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the workers",
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="cpu: process CPU time, steadier on a busy machine (meaningful at 1 thread only)",
    )
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "seqlab":
        serve(seqlab_tasks(int(args.threads)))
        return
    if args.worker == "torch":
        serve(torch_tasks(int(args.threads)))
        return
    print_machine_report(isolated=True)
    if args.peer_python is None:
        print("no --peer-python (or $SEQLAB_PEER_PYTHON): timing seqlab only")
    print(
        f"one layer, one direction, forward + backward, batch {BATCH} x {STEPS} steps, "
        f"input = hidden, float32; medians of {args.rounds} interleaved runs, {args.clock} clock"
    )
    sizes = [int(s) for s in args.sizes.split(",")]
    for threads in (int(t) for t in args.threads.split(",")):
        run_threads(threads, sizes, args.kinds.split(","), args)


if __name__ == "__main__":
    main()
