"""Seq2Seq training throughput, seqlab vs PyTorch: target tokens/s of the same model and batches.

Model (issue 13): bidirectional LSTM encoder, 2 layers, LSTM decoder 2 x 256, Luong "general"
attention without input feeding, embeddings 128, batch 64, float32; the bidirectional encoder
splits the 256 units over its two directions (OpenNMT's convention, so the memory has 256
features), and a tanh bridge maps its final states to the decoder's. PyTorch packs the padded
sources (`pack_padded_sequence`), as it must for a correct bidirectional encoder; seqlab passes
the lengths, and its training loss runs the non-recurrent work of both sides (upper layers'
input projections, attention output layer, output layer, loss) over the valid positions only
(`seqlab.seqmodels.seq2seq.packing`). A step is forward, cross-entropy over the target tokens
(padding ignored), backward, clip_grad_norm_(5), Adam(lr 1e-3) and zero_grad.

Data: grapheme-to-phoneme pairs of the CMU Pronouncing Dictionary (the embedded default of
`seqlab seq2seq train`), shuffled with a fixed seed and cut into batches of 64 in the parent
process; both libraries train on exactly those batches. Each (library, thread count, round)
runs in its own subprocess with every thread count fixed (and OpenBLAS left to pick its own
kernels, as in charlm_train.py); a round's target tokens/s are its total tokens over the total
time of its timed steps after the warm-up ones, and the report gives the median over
`--rounds` rounds that alternate seqlab and PyTorch processes. `cpu ratio` is the ratio of the
same rates from the workers' CPU time (process_time): at one thread it is the work each
library does, free of the time other jobs take the core away, so on a loaded shared machine
read it beside the wall-clock ratio (the load average is printed before and after each thread
count); at two threads it counts both threads, spin-waits included.

    uv run python benchmarks/seq2seq_train.py --peer-python /work/peers/bin/python --steps 30
    uv run python benchmarks/seq2seq_train.py --threads 1 --steps 10 --rounds 1

The PyTorch side runs this same file under the peer interpreter (--peer-python, default
$SEQLAB_PEER_PYTHON; without one only seqlab is timed). Nothing of seqlab is imported there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from bench_common import print_machine_report
from composed_train import library_info, machine_info

BATCH, EMBEDDING, HIDDEN, LAYERS = 64, 128, 256, 2
LEARNING_RATE, CLIP_NORM = 1e-3, 5.0
PAD, BOS, EOS = 0, 2, 3


# ---------------------------------------------------------------- data (parent process)
def make_batches(count: int, path: str) -> tuple[int, int]:
    """Write `count` padded G2P batches to an .npz at `path`; returns the vocabulary sizes."""
    from seqlab.nlp.corpora.cmudict import g2p_split
    from seqlab.seqmodels.seq2seq import make_batch

    train, _ = g2p_split()
    letters = {ch: i + 4 for i, ch in enumerate(sorted({c for w, _ in train for c in w}))}
    phonemes = {p: i + 4 for i, p in enumerate(sorted({p for _, s in train for p in s.split()}))}
    order = np.random.default_rng(0).permutation(len(train))
    arrays = {}
    for index in range(count):
        rows = [train[i] for i in order[index * BATCH : (index + 1) * BATCH]]
        batch = make_batch([np.array([letters[c] for c in w]) for w, _ in rows],
                           [np.array([phonemes[p] for p in s.split()]) for _, s in rows],
                           BOS, EOS, PAD)
        for name in ("source", "source_lengths", "target_in", "target_out"):
            arrays[f"{index}.{name}"] = getattr(batch, name)
    np.savez(path, **arrays)
    return len(letters) + 4, len(phonemes) + 4


def load_batches(path: str) -> list[dict[str, np.ndarray]]:
    data = np.load(path)
    count = len({key.split(".")[0] for key in data.files})
    return [{name: data[f"{i}.{name}"] for name in ("source", "source_lengths", "target_in",
                                                     "target_out")} for i in range(count)]


# ---------------------------------------------------------------- seqlab side
def seqlab_step_function(source_vocab: int, target_vocab: int):
    from seqlab.autograd import optim
    from seqlab.autograd.nn.utils import clip_grad_norm_
    from seqlab.seqmodels.seq2seq import PairBatch, Seq2Seq

    model = Seq2Seq(source_vocab, target_vocab, EMBEDDING, HIDDEN, LAYERS, bidirectional=True,
                    attention="general", generator=0)
    parameters = list(model.parameters())
    optimizer = optim.Adam(parameters, lr=LEARNING_RATE)

    def step(batch: dict[str, np.ndarray]) -> float:
        pairs = PairBatch(batch["source"], batch["source_lengths"], batch["target_in"],
                          batch["target_out"], np.arange(batch["source"].shape[0]))
        loss, _, _ = model.training_loss(pairs)
        loss.backward()
        clip_grad_norm_(parameters, CLIP_NORM)
        optimizer.step()
        optimizer.zero_grad()
        return float(loss.item())
    return step


# ---------------------------------------------------------------- PyTorch side
def torch_step_function(source_vocab: int, target_vocab: int):
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Seq2Seq(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.source_embedding = nn.Embedding(source_vocab, EMBEDDING)
            self.encoder = nn.LSTM(EMBEDDING, HIDDEN // 2, LAYERS, batch_first=True,
                                   bidirectional=True)
            self.bridge_h = nn.Linear(HIDDEN, HIDDEN)
            self.bridge_c = nn.Linear(HIDDEN, HIDDEN)
            self.target_embedding = nn.Embedding(target_vocab, EMBEDDING)
            self.decoder = nn.LSTM(EMBEDDING, HIDDEN, LAYERS, batch_first=True)
            self.memory_layer = nn.Linear(HIDDEN, HIDDEN, bias=False)
            self.output_layer = nn.Linear(2 * HIDDEN, HIDDEN, bias=False)
            self.output = nn.Linear(HIDDEN, target_vocab)

        def join(self, state):
            n = state.shape[1]
            return state.view(LAYERS, 2, n, -1).permute(0, 2, 1, 3).reshape(LAYERS, n, HIDDEN)

        def forward(self, source, lengths, target_in):
            packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(source), lengths,
                                                       batch_first=True, enforce_sorted=False)
            out, (h_n, c_n) = self.encoder(packed)
            memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                         total_length=source.shape[1])
            state = (torch.tanh(self.bridge_h(self.join(h_n))), self.bridge_c(self.join(c_n)))
            queries, _ = self.decoder(self.target_embedding(target_in), state)
            keep = torch.arange(source.shape[1])[None, :] < lengths[:, None]
            scores = queries @ self.memory_layer(memory).transpose(1, 2)
            weights = scores.masked_fill(~keep[:, None, :], float("-inf")).softmax(-1)
            attentional = torch.tanh(self.output_layer(torch.cat([weights @ memory, queries], 2)))
            return self.output(attentional)

    model = Seq2Seq()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    def step(batch: dict[str, np.ndarray]) -> float:
        logits = model(torch.from_numpy(batch["source"]), torch.from_numpy(
            batch["source_lengths"]), torch.from_numpy(batch["target_in"]))
        loss = nn.functional.cross_entropy(logits.reshape(-1, target_vocab),
                                           torch.from_numpy(batch["target_out"]).reshape(-1),
                                           ignore_index=PAD)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        optimizer.step()
        optimizer.zero_grad()
        return float(loss.item())
    return step


# ---------------------------------------------------------------- workers and report
# machine_info / library_info: composed_train.py's (one description of the machine)
def run_worker(args: argparse.Namespace) -> dict:
    if args.worker == "torch":
        import torch

        torch.set_num_threads(args.worker_threads)
        step = torch_step_function(args.source_vocab, args.target_vocab)
    else:
        from seqlab.autograd import set_num_threads

        set_num_threads(args.worker_threads)
        step = seqlab_step_function(args.source_vocab, args.target_vocab)
    batches = load_batches(args.batches)
    tokens = seconds = cpu_seconds = 0.0
    losses = []
    for index, batch in enumerate(batches):
        started, cpu_started = time.perf_counter(), time.process_time()
        losses.append(step(batch))
        elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu_started
        if index >= args.warmup:
            tokens += int(np.count_nonzero(batch["target_out"] != PAD))
            seconds += elapsed
            cpu_seconds += cpu_elapsed
    return {"tokens_per_second": tokens / seconds, "cpu_tokens_per_second": tokens / cpu_seconds,
            "first_loss": losses[0], "last_loss": losses[-1],
            "library": library_info(args.worker)}


def spawn(python: str, side: str, threads: int, args: argparse.Namespace, vocab) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # as charlm_train.py: see there
        env.pop(name, None)
    command = [python, __file__, "--worker", side, "--worker-threads", str(threads), "--batches",
               args.batches, "--warmup", str(args.warmup), "--source-vocab", str(vocab[0]),
               "--target-vocab", str(vocab[1])]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} worker ({python}) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"))
    parser.add_argument("--threads", default="1,2", help="Comma-separated thread counts.")
    parser.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=20, help="Timed steps.")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3,
                        help="Alternating seqlab / PyTorch rounds per thread count (medians).")
    parser.add_argument("--worker", choices=("seqlab", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--batches", help=argparse.SUPPRESS)
    parser.add_argument("--source-vocab", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--target-vocab", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args)))
        return
    print_machine_report(isolated=True)
    if args.rounds < 1 or args.steps < 1 or args.warmup < 0:
        raise SystemExit("--rounds and --steps must be at least 1, --warmup at least 0")
    machine = machine_info()
    with tempfile.TemporaryDirectory() as folder:
        args.batches = os.path.join(folder, "batches.npz")
        vocab = make_batches(args.warmup + args.steps, args.batches)
        print(f"CPU: {machine['cpu']}, {machine['cores']} usable cores; ISA: {machine['isa']}")
        print(f"G2P batches of {BATCH}, bi-LSTM {LAYERS}x{HIDDEN} encoder, LSTM {LAYERS}x{HIDDEN}"
              f" decoder, general attention; vocabularies {vocab[0]} -> {vocab[1]}; "
              f"{args.steps} timed steps after {args.warmup}; {args.rounds} alternating round(s)"
              f" per thread count; target tokens/s, medians over rounds; ratio = seqlab / "
              f"PyTorch; cpu = the same from process time")
        for threads in (int(t) for t in args.threads.split(",")):
            load_before = load_average()
            rounds: dict[str, list[dict]] = {"seqlab": [], "torch": []}
            for _ in range(args.rounds):
                rounds["seqlab"].append(spawn(sys.executable, "seqlab", threads, args, vocab))
                if args.peer_python:
                    rounds["torch"].append(spawn(args.peer_python, "torch", threads, args,
                                                 vocab))
            print(f"\n== {threads} thread(s); load average (1, 5, 15 min) before {load_before},"
                  f" after {load_average()}")
            for side in ("seqlab", "torch"):
                if rounds[side]:
                    rates = " / ".join(f"{r['tokens_per_second']:.0f}" for r in rounds[side])
                    print(f"  {side}: {rounds[side][0]['library']}; rounds {rates} tok/s")
            ours = statistics.median(r["tokens_per_second"] for r in rounds["seqlab"])
            ours_cpu = statistics.median(r["cpu_tokens_per_second"] for r in rounds["seqlab"])
            print(f"{'threads':>7} {'seqlab tok/s':>13} {'torch tok/s':>12} {'ratio':>6} "
                  f"{'cpu ratio':>9}")
            if not rounds["torch"]:
                print(f"{threads:>7} {ours:13.0f} {'-':>12} {'-':>6} {'-':>9}")
                continue
            theirs = statistics.median(r["tokens_per_second"] for r in rounds["torch"])
            theirs_cpu = statistics.median(r["cpu_tokens_per_second"] for r in rounds["torch"])
            print(f"{threads:>7} {ours:13.0f} {theirs:12.0f} {ours / theirs:6.2f} "
                  f"{ours_cpu / theirs_cpu:9.2f}", flush=True)


if __name__ == "__main__":
    main()
