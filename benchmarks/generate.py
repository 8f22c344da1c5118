"""Batch-1 sampling speed of a 2 x 256 char LSTM, seqlab vs PyTorch, in chars/s.

Model Embedding(V, 256) -> LSTM(256, 256, 2) -> Linear(256, V), float32, V = tinyshakespeare's
65 characters; random weights (speed does not depend on them). A run feeds a prompt once, then
samples --chars characters one at a time from softmax(logits) (temperature 1). Reported: the
median chars/s over --repeats runs of:
  seqlab kernels   one fused `kernels.recurrent_lstm.lstm_step` per layer per token, the
                   embedding folded into layer 0's input projection (a (V, 4H) table lookup);
  seqlab LM.step   `seqmodels.language_model.LanguageModel.step` (if importable);
  torch default    nn.LSTM step by step under no_grad (oneDNN as PyTorch ships it);
  torch no-oneDNN  the same inside torch.backends.mkldnn.flags(enabled=False).

    uv run python benchmarks/generate.py --peer-python /work/peers/bin/python

The PyTorch side runs this file under --peer-python (default $SEQLAB_PEER_PYTHON) in a
subprocess with the same thread count (default 1).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from charlm_train import worker_environment

HIDDEN, LAYERS, VOCAB = 256, 2, 65
PROMPT = [18, 27, 26, 17, 27, 10, 0]  # 7 ids; their values do not matter for speed


def median_rate(sample, chars: int, repeats: int) -> float:
    """Median chars/s of `sample(chars, seed)` over `repeats` runs after one warm-up run."""
    sample(min(chars, 50), 0)
    rates = []
    for seed in range(repeats):
        start = time.perf_counter()
        sample(chars, seed)
        rates.append(chars / (time.perf_counter() - start))
    return statistics.median(rates)


def draw(logits: np.ndarray, uniform: float) -> int:
    """Index drawn from softmax(logits) with one uniform number (inverse CDF)."""
    weights = np.exp(logits - logits.max())
    cumulative = np.cumsum(weights)
    return min(int(np.searchsorted(cumulative, uniform * cumulative[-1])), len(logits) - 1)


# ---------------------------------------------------------------- seqlab side
def seqlab_model():
    """The seqlab modules (random init, seed 0): embedding, LSTM stack, head."""
    from seqlab.autograd import manual_seed, nn
    from seqlab.seqmodels.recurrent import LSTM

    manual_seed(0)
    return nn.Embedding(VOCAB, HIDDEN), LSTM(HIDDEN, HIDDEN, LAYERS), nn.Linear(HIDDEN, VOCAB)


def seqlab_kernel_sampler():
    """sample(chars, seed) on the fused single-step kernel, weights prepared once."""
    from seqlab.autograd.kernels.recurrent_lstm import lstm_step

    embedding, stack, head = seqlab_model()
    layers = [[w.data for w in stack.layer_weights(layer, 0)] for layer in range(LAYERS)]
    w_ih0, _, b_ih0, b_hh0 = layers[0]
    table = embedding.weight.data @ w_ih0.T + (b_ih0 + b_hh0)  # token -> layer-0 gates (V, 4H)
    w_ih_t = [np.ascontiguousarray(w_ih.T) for w_ih, *_ in layers]
    w_hh_t = [np.ascontiguousarray(w_hh.T) for _, w_hh, *_ in layers]
    biases = [b_ih + b_hh for *_, b_ih, b_hh in layers]
    w_out_t = np.ascontiguousarray(head.weight.data.T)
    b_out = head.bias.data

    def advance(token: int, states: list) -> np.ndarray:
        xg = table[token: token + 1]
        for layer in range(LAYERS):
            if layer:
                xg = states[layer - 1][0] @ w_ih_t[layer]
                xg += biases[layer]
            states[layer] = lstm_step(xg, *states[layer], w_hh_t[layer])
        return (states[-1][0] @ w_out_t)[0] + b_out

    def sample(chars: int, seed: int) -> list[int]:
        uniforms = np.random.default_rng(seed).random(chars)
        zero = np.zeros((1, HIDDEN), np.float32)
        states = [(zero, zero) for _ in range(LAYERS)]
        for token in PROMPT:
            logits = advance(token, states)
        out = []
        for index in range(chars):
            token = draw(logits, uniforms[index])
            out.append(token)
            logits = advance(token, states)
        return out

    return sample


def seqlab_language_model_sampler():
    """sample(chars, seed) through LanguageModel.step, or None if seqmodels has none yet."""
    try:
        from seqlab.seqmodels.language_model import LanguageModel
    except ImportError:
        return None
    model = LanguageModel(VOCAB, HIDDEN, HIDDEN, LAYERS, cell="lstm")
    model.eval()

    def sample(chars: int, seed: int) -> list[int]:
        uniforms = np.random.default_rng(seed).random(chars)
        logprobs, state = model.step(np.array(PROMPT[:1]))
        for token in PROMPT[1:]:
            logprobs, state = model.step(np.array([token]), state)
        out = []
        for index in range(chars):
            token = draw(logprobs[0], uniforms[index])
            out.append(token)
            logprobs, state = model.step(np.array([token]), state)
        return out

    return sample


def seqlab_worker(chars: int, repeats: int) -> dict:
    results = {"seqlab kernels": median_rate(seqlab_kernel_sampler(), chars, repeats)}
    language_model = seqlab_language_model_sampler()
    if language_model is not None:
        results["seqlab LM.step"] = median_rate(language_model, chars, repeats)
    return results


# ---------------------------------------------------------------- PyTorch side
def torch_worker(chars: int, repeats: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(VOCAB, HIDDEN)
    lstm = torch.nn.LSTM(HIDDEN, HIDDEN, LAYERS)
    head = torch.nn.Linear(HIDDEN, VOCAB)

    def sample(chars: int, seed: int) -> list[int]:
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            out, state = lstm(embedding(torch.tensor(PROMPT).reshape(-1, 1)))
            logits = head(out[-1])
            tokens = []
            for _ in range(chars):
                token = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
                tokens.append(int(token))
                out, state = lstm(embedding(token), state)
                logits = head(out[0])
        return tokens

    results = {"torch default": median_rate(sample, chars, repeats)}
    with torch.backends.mkldnn.flags(enabled=False):
        results["torch no-oneDNN"] = median_rate(sample, chars, repeats)
    return results


def spawn_worker(python: str, side: str, args: argparse.Namespace) -> dict:
    threads = str(args.threads)
    env = worker_environment(args.threads, args.keep_openblas_env)
    command = [python, __file__, "--worker", side, "--threads", threads, "--chars",
               str(args.chars), "--repeats", str(args.repeats)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{side} worker ({python}) failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", default=os.environ.get("SEQLAB_PEER_PYTHON"),
                        help="python with torch installed (default $SEQLAB_PEER_PYTHON)")
    parser.add_argument("--chars", type=int, default=2000, help="characters sampled per run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median taken)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads")
    parser.add_argument("--rounds", type=int, default=1, help="alternating seqlab/torch rounds")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the workers")
    parser.add_argument("--worker", choices=["seqlab", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "seqlab":
        print(json.dumps(seqlab_worker(args.chars, args.repeats)))
        return
    if args.worker == "torch":
        print(json.dumps(torch_worker(args.chars, args.repeats, args.threads)))
        return
    if args.peer_python is None:
        print("no --peer-python (or $SEQLAB_PEER_PYTHON): timing seqlab only")
    rounds: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        sides = [sys.executable] + ([args.peer_python] if args.peer_python else [])
        for python, side in zip(sides, ("seqlab", "torch")):
            for name, rate in spawn_worker(python, side, args).items():
                rounds.setdefault(name, []).append(rate)
    results = {name: statistics.median(rates) for name, rates in rounds.items()}
    print(f"batch-1 sampling, {LAYERS}x{HIDDEN} LSTM, vocab {VOCAB}, {args.chars} chars a run, "
          f"{args.threads} thread(s), median of {args.repeats} runs x {args.rounds} round(s)")
    reference = results.get("torch no-oneDNN")
    for name, rate in results.items():
        versus = f"  {rate / reference:5.2f}x torch no-oneDNN" if reference else ""
        print(f"  {name:<18} {rate:>10,.0f} chars/s{versus}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
