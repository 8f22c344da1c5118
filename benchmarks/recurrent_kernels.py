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

STEPS, BATCH = 64, 32
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
VOCAB, GEN_HIDDEN, GEN_LAYERS, GEN_TOKENS = 65, 256, 2, 2000


def median_seconds(run, repeats):
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
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
        for symbol in ("scipy_openblas_get_corename", "scipy_openblas_get_corename64_",
                       "openblas_get_corename"):
            function = getattr(library, symbol, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                names[os.path.basename(path)] = function().decode()
                break
    return names


def gemm_gflops(repeats):
    a, b = (np.random.default_rng(0).random((512, 512), dtype=np.float32) for _ in range(2))
    out = np.empty_like(a)
    seconds = median_seconds(lambda: [np.dot(a, b, out=out) for _ in range(20)], repeats)
    return 20 * 2 * 512**3 / seconds / 1e9


def seqlab_worker(sizes, kinds, repeats):
    import scipy.linalg.cython_blas  # noqa: F401  (loads the BLAS numba calls, to name its core)

    from seqlab.autograd.kernels import recurrent_ops as ops
    from seqlab.autograd.kernels.recurrent_lstm import lstm_step

    rng = np.random.default_rng(0)
    results = {"gemm_gflops": gemm_gflops(repeats), "blas": blas_core_names(), "layers": {}}
    for kind in kinds:
        for hidden in sizes:
            x = rng.standard_normal((STEPS, BATCH, hidden)).astype(np.float32)
            h0 = np.zeros((BATCH, hidden), np.float32)
            d_out = rng.standard_normal((STEPS, BATCH, hidden)).astype(np.float32)
            w_ih, w_hh, b_ih, b_hh = random_layer(kind, hidden, rng)

            def train_step(kind=kind, x=x, h0=h0, d_out=d_out, w=(w_ih, w_hh, b_ih, b_hh)):
                if kind == "lstm":
                    *_, saved = ops.lstm_layer_forward(x, h0, h0, *w)
                    ops.lstm_layer_backward(saved, d_out, None, None)
                elif kind == "gru":
                    *_, saved = ops.gru_layer_forward(x, h0, *w)
                    ops.gru_layer_backward(saved, d_out, None)
                else:
                    *_, saved = ops.rnn_layer_forward(x, h0, *w)
                    ops.rnn_layer_backward(saved, d_out, None)

            results["layers"][f"{kind}-{hidden}"] = median_seconds(train_step, repeats)

    # generation: embedding folded into layer 0's input projection (a table lookup per token)
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

    results["generate_chars_per_s"] = GEN_TOKENS / median_seconds(generate, max(3, repeats // 2))
    return results


def torch_worker(sizes, kinds, repeats, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    modules = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
    results = {"layers": {}}
    for kind in kinds:
        for hidden in sizes:
            layer = modules[kind](hidden, hidden)
            x = torch.randn(STEPS, BATCH, hidden, requires_grad=True)
            d_out = torch.randn(STEPS, BATCH, hidden)

            def train_step(layer=layer, x=x, d_out=d_out):
                layer.zero_grad(set_to_none=True)
                x.grad = None
                out, _ = layer(x)
                out.backward(d_out)

            results["layers"][f"{kind}-{hidden}"] = median_seconds(train_step, repeats)

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

    results["generate_chars_per_s"] = GEN_TOKENS / median_seconds(generate, max(3, repeats // 2))
    return results


def run_worker(python, side, threads, args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    if not args.keep_openblas_env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    command = [python, __file__, "--worker", side, "--threads", str(threads), "--sizes",
               args.sizes, "--kinds", args.kinds, "--repeats", str(args.repeats)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{side} worker failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def merge_rounds(rounds):
    """Median over rounds of each measurement."""
    merged = dict(rounds[0])
    merged["layers"] = {key: statistics.median(r["layers"][key] for r in rounds)
                        for key in rounds[0]["layers"]}
    merged["generate_chars_per_s"] = statistics.median(r["generate_chars_per_s"] for r in rounds)
    if "gemm_gflops" in rounds[0]:
        merged["gemm_gflops"] = statistics.median(r["gemm_gflops"] for r in rounds)
    return merged


def report(threads, ours, peer):
    print(f"\n== {threads} thread(s): float32 GEMM {ours['gemm_gflops']:.0f} GFLOP/s, "
          f"BLAS cores {ours['blas']}")
    print(f"{'layer':<10} {'seqlab ms':>10} {'torch ms':>10} {'ratio':>7} "
          f"{'seqlab %ceil':>13} {'torch %ceil':>12}")
    ceiling = ours["gemm_gflops"] * 1e9
    for key, seconds in ours["layers"].items():
        kind, hidden = key.split("-")
        flops = layer_flops(kind, int(hidden))
        line = f"{key:<10} {seconds * 1e3:>10.2f} "
        if peer is not None:
            peer_seconds = peer["layers"][key]
            line += f"{peer_seconds * 1e3:>10.2f} {peer_seconds / seconds:>6.2f}x "
        else:
            line += f"{'-':>10} {'-':>7} "
        line += f"{100 * flops / seconds / ceiling:>12.0f}%"
        if peer is not None:
            line += f" {100 * flops / peer['layers'][key] / ceiling:>11.0f}%"
        print(line)
    line = f"generate 2x{GEN_HIDDEN} LSTM, batch 1: seqlab {ours['generate_chars_per_s']:,.0f} chars/s"
    if peer is not None:
        line += (f", torch {peer['generate_chars_per_s']:,.0f} chars/s "
                 f"({ours['generate_chars_per_s'] / peer['generate_chars_per_s']:.1f}x)")
    print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"),
                        help="python with torch installed (default $SEQLAB_PEER_PYTHON)")
    parser.add_argument("--threads", default="1,2", help="comma-separated BLAS thread counts")
    parser.add_argument("--sizes", default="128,256,512", help="comma-separated hidden sizes")
    parser.add_argument("--kinds", default="lstm,gru,rnn", help="comma-separated: lstm,gru,rnn")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating seqlab/torch rounds")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the workers")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = args.kinds.split(",")
    if args.worker == "seqlab":
        print(json.dumps(seqlab_worker(sizes, kinds, args.repeats)))
        return
    if args.worker == "torch":
        print(json.dumps(torch_worker(sizes, kinds, args.repeats, int(args.threads))))
        return
    if args.peer_python is None:
        print("no --peer-python (or $SEQLAB_PEER_PYTHON): timing seqlab only")
    print(f"batch {BATCH} x {STEPS} steps, input = hidden, float32, forward + backward of one "
          f"layer; medians of {args.rounds} rounds x {args.repeats} runs")
    for threads in (int(t) for t in args.threads.split(",")):
        ours_rounds, peer_rounds = [], []
        for _ in range(args.rounds):
            ours_rounds.append(run_worker(sys.executable, "seqlab", threads, args))
            if args.peer_python is not None:
                peer_rounds.append(run_worker(args.peer_python, "torch", threads, args))
        report(threads, merge_rounds(ours_rounds), merge_rounds(peer_rounds) if peer_rounds else None)


if __name__ == "__main__":
    main()
