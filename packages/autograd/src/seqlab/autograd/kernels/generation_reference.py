"""Plain NumPy references for `kernels.generation`: same arguments, whole-array NumPy.

Written from the formulas (PyTorch's gate rows, `Generator.choice`'s inverse CDF) so that a
reader can check them; tests compare the jitted kernels with these.
"""

from __future__ import annotations

import numpy as np

from .generation import GRU, LSTM, RNN_TANH


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def model_step(token, kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t, b_hh,
               decoder_t, decoder_bias, h, c, logprobs):
    """NumPy version of kernels.generation.model_step (h, c, logprobs updated in place; returns
    the log normalizer logsumexp(logits))."""
    layers = h.shape[0]
    x_gates = table[token].copy() if table.shape[0] else embedding[token] @ w_ih0_t + bias0
    for layer in range(layers):
        if layer:
            x_gates = h[layer - 1] @ w_ih_t[layer - 1] + bias[layer - 1]
        h_gates = h[layer] @ w_hh_t[layer]
        if kind == LSTM:
            i, f, g, o = np.split(x_gates + h_gates, 4)
            c[layer] = _sigmoid(f) * c[layer] + _sigmoid(i) * np.tanh(g)
            h[layer] = _sigmoid(o) * np.tanh(c[layer])
        elif kind == GRU:
            x_r, x_z, x_n = np.split(x_gates, 3)
            h_r, h_z, h_n = np.split(h_gates + b_hh[layer], 3)
            r, z = _sigmoid(x_r + h_r), _sigmoid(x_z + h_z)
            h[layer] = (1 - z) * np.tanh(x_n + r * h_n) + z * h[layer]
        elif kind == RNN_TANH:
            h[layer] = np.tanh(x_gates + h_gates)
        else:
            h[layer] = np.maximum(x_gates + h_gates, 0)
    logits = (h[-1] @ decoder_t).astype(np.float64) + decoder_bias
    top = logits.max()
    log_total = np.log(np.exp(logits - top).sum())
    logprobs[:] = logits - top - log_total
    return top + log_total


def draw_token(logprobs, log_normalizer, seen, banned, penalty, temperature, top_k, top_p,
               greedy, uniform, scores=None) -> int:
    """NumPy version of kernels.generation.draw_token (`scores` unused): HF's repetition
    penalty on the seen tokens' logits, logprobs + log_normalizer."""
    scores = np.where(banned.astype(bool), -np.inf, logprobs)
    logits = scores + log_normalizer
    penalised = seen.astype(bool) & (penalty != 1.0)
    scores = np.where(penalised,
                      np.where(logits > 0, logits / penalty, logits * penalty) - log_normalizer,
                      scores)
    if greedy:
        return int(np.argmax(scores))
    scores = scores / temperature
    if 0 < top_k < scores.size:
        scores = np.where(scores >= np.sort(scores)[-top_k], scores, -np.inf)
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    # HF's TopPLogitsWarper, ties stably (seqlab.nlp.generation.sampling.top_p_removed)
    if top_p < 1.0:
        order = np.argsort(scores, kind="stable")
        removed = np.cumsum(probs[order]) <= 1.0 - top_p
        removed[-1] = False
        probs[order[removed]] = 0.0
    cdf = np.cumsum(probs)
    return int(np.searchsorted(cdf / cdf[-1], uniform, side="right"))


def sample_tokens(pending, kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t, b_hh,
                  decoder_t, decoder_bias, h, c, logprobs, log_normalizer, uniforms, seen, banned,
                  stop, penalty, temperature, top_k, top_p, greedy, tokens) -> int:
    """NumPy version of kernels.generation.sample_tokens."""
    weights = (kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t, b_hh, decoder_t,
               decoder_bias, h, c, logprobs)
    for index, uniform in enumerate(uniforms):
        if index or pending >= 0:
            log_normalizer[0] = model_step(tokens[index - 1] if index else pending, *weights)
        token = draw_token(logprobs, log_normalizer[0], seen, banned, penalty, temperature, top_k,
                           top_p, greedy, uniform)
        tokens[index] = token
        if stop[token]:
            return index + 1
        seen[token] = True
    return len(uniforms)
