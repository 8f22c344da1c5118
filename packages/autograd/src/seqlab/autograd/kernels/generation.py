"""Batch-1 generation through a whole recurrent language model: one call per token or per chunk.

A language model's token step at batch 1 is three or four small GEMVs (an (H, G*H) weight each)
and the gate math; called from Python per layer it cost more in call overhead and temporaries
than in arithmetic. Here one jitted call runs every layer, the output layer, the log-softmax and,
for sampling, the draw itself (temperature, top-k, top-p, repetition penalty, banned and stop
tokens), for as many tokens as the caller asks, with the uniform numbers drawn by the caller.

The weights come stacked and pre-transposed (row-major (in, out) blocks, so a GEMV streams each
weight row once):

    kind           LSTM, GRU, RNN_TANH or RNN_RELU
    table          (V, G*H) layer 0's input projection of every token, bias included, or (0, G*H)
                   when it is computed from `embedding` (V, E) @ `w_ih0_t` (E, G*H) + `bias0`
    w_ih_t, bias   (L-1, H, G*H), (L-1, G*H): layers 1.. (bias b_ih + b_hh; b_ih alone for GRU)
    w_hh_t, b_hh   (L, H, G*H), (L, G*H): b_hh is read by GRU only (inside its reset gate)
    decoder_t, decoder_bias   (H, V), (V,)

State `h`, `c` (L, H) is updated in place (`c` is unused but for LSTM), and `logprobs` (V,)
float64 receives the next token's log-probabilities; the step returns their log normalizer
logsumexp(logits), so logits = logprobs + normalizer (the repetition penalty reads logits).
The plain NumPy versions are in `kernels.generation_reference`; tests compare the two and run
these with NUMBA_DISABLE_JIT=1.
"""

import numpy as np
from numba import njit
from numba.extending import register_jitable

from .recurrent_activations import sigmoid, tanh

LSTM, GRU, RNN_TANH, RNN_RELU = 0, 1, 2, 3


@register_jitable
def add_vector_matrix(x, w, out):
    """out += x @ w for x (K,), w (K, M) row-major, out (M,).

    Four rows of w per pass over out: one load and store of out per four multiply-adds
    (one row per pass ran 1.5x slower on an L2-resident weight, as fast as OpenBLAS's sgemv
    once the weight streams from L3).
    """
    rows, cols = w.shape
    whole = rows - rows % 4
    for k in range(0, whole, 4):
        x0, x1, x2, x3 = x[k], x[k + 1], x[k + 2], x[k + 3]
        w0, w1, w2, w3 = w[k], w[k + 1], w[k + 2], w[k + 3]
        for j in range(cols):
            out[j] += x0 * w0[j] + x1 * w1[j] + x2 * w2[j] + x3 * w3[j]
    for k in range(whole, rows):
        xk, wk = x[k], w[k]
        for j in range(cols):
            out[j] += xk * wk[j]


@register_jitable
def layer_step(kind, gates, h, c, w_hh_t, b_hh, hidden_gates):
    """One layer's step in place: `gates` (G*H,) holds x @ W_ih^T + bias on entry; h, c (H,)
    become the new state. `hidden_gates` (G*H,) is scratch (GRU's W_hh h + b_hh)."""
    hidden = h.shape[0]
    one = np.ones(1, h.dtype)[0]
    zero = np.zeros(1, h.dtype)[0]
    if kind == GRU:
        for j in range(3 * hidden):
            hidden_gates[j] = b_hh[j]
        add_vector_matrix(h, w_hh_t, hidden_gates)
        for j in range(hidden):
            r = sigmoid(gates[j] + hidden_gates[j])
            z = sigmoid(gates[hidden + j] + hidden_gates[hidden + j])
            n = tanh(gates[2 * hidden + j] + r * hidden_gates[2 * hidden + j])
            h[j] = (one - z) * n + z * h[j]
        return
    add_vector_matrix(h, w_hh_t, gates)
    if kind == LSTM:
        for j in range(hidden):
            gi = sigmoid(gates[j])
            gf = sigmoid(gates[hidden + j])
            gg = tanh(gates[2 * hidden + j])
            go = sigmoid(gates[3 * hidden + j])
            c_new = gf * c[j] + gi * gg
            c[j] = c_new
            h[j] = go * tanh(c_new)
    elif kind == RNN_TANH:
        for j in range(hidden):
            h[j] = tanh(gates[j])
    else:
        for j in range(hidden):
            h[j] = gates[j] if gates[j] > zero else zero


@register_jitable
def model_step_into(token, kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t, b_hh,
                    decoder_t, decoder_bias, h, c, logprobs, gates, hidden_gates, logits):
    """Feed one token through every layer and the output layer; log-softmax into `logprobs`;
    returns the log normalizer logsumexp(logits). gates, hidden_gates (G*H,) and logits (V,)
    are scratch in the weights' dtype."""
    layers = h.shape[0]
    if table.shape[0] > 0:
        row = table[token]
        for j in range(gates.shape[0]):
            gates[j] = row[j]
    else:
        for j in range(gates.shape[0]):
            gates[j] = bias0[j]
        add_vector_matrix(embedding[token], w_ih0_t, gates)
    layer_step(kind, gates, h[0], c[0], w_hh_t[0], b_hh[0], hidden_gates)
    for layer in range(1, layers):
        layer_bias = bias[layer - 1]
        for j in range(gates.shape[0]):
            gates[j] = layer_bias[j]
        add_vector_matrix(h[layer - 1], w_ih_t[layer - 1], gates)
        layer_step(kind, gates, h[layer], c[layer], w_hh_t[layer], b_hh[layer], hidden_gates)
    logits[:] = 0
    add_vector_matrix(h[layers - 1], decoder_t, logits)
    vocab = logits.shape[0]
    top = -np.inf
    for v in range(vocab):
        value = np.float64(logits[v]) + np.float64(decoder_bias[v])
        logprobs[v] = value
        top = max(top, value)
    total = 0.0
    for v in range(vocab):
        logprobs[v] -= top
        total += np.exp(logprobs[v])
    log_total = np.log(total)
    for v in range(vocab):
        logprobs[v] -= log_total
    return top + log_total


@njit(cache=True, nogil=True, error_model="numpy")
def model_step(token, kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t, b_hh,
               decoder_t, decoder_bias, h, c, logprobs):
    """Feed one token: h, c (L, H) updated in place, next-token log-probabilities in logprobs;
    returns their log normalizer (logits = logprobs + normalizer)."""
    gates = np.empty(w_hh_t.shape[2], h.dtype)
    hidden_gates = np.empty(w_hh_t.shape[2], h.dtype)
    logits = np.empty(decoder_t.shape[1], h.dtype)
    return model_step_into(token, kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t,
                           b_hh, decoder_t, decoder_bias, h, c, logprobs, gates, hidden_gates,
                           logits)


@register_jitable
def draw_token(logprobs, log_normalizer, seen, banned, penalty, temperature, top_k, top_p,
               greedy, uniform, scores):
    """The next token from `logprobs` (V,) and one uniform number in [0, 1), as the NumPy sampler
    (`seqlab.nlp.generation.sample`) picks it: banned tokens removed, repetition penalty on seen
    tokens' logits (logprobs + log_normalizer; HF's RepetitionPenaltyLogitsProcessor: a positive
    logit divided by the penalty, a negative one multiplied), then argmax (greedy) or
    temperature, top-k (0: off), top-p (1: off) and the inverse CDF that `Generator.choice(p=...)`
    uses. Scores are logits less the normalizer (a softmax cannot tell them apart).
    `scores` (V,) float64 is scratch."""
    vocab = logprobs.shape[0]
    for v in range(vocab):
        score = -np.inf if banned[v] else logprobs[v]
        if seen[v] and penalty != 1.0:
            logit = score + log_normalizer
            logit = logit / penalty if logit > 0 else logit * penalty
            score = logit - log_normalizer
        scores[v] = score
    if greedy:
        return np.argmax(scores)
    for v in range(vocab):
        scores[v] /= temperature
    if 0 < top_k < vocab:
        kth = np.partition(scores, vocab - top_k)[vocab - top_k]
        for v in range(vocab):
            if scores[v] < kth:
                scores[v] = -np.inf
    # HF's TopPLogitsWarper: the scores sorted ascending, ties stably in id order (HF's own
    # tie order only for vocabularies <= 16: `torch.sort` on CPU is stable up to 16)
    if top_p < 1.0:
        order = np.argsort(scores, kind="mergesort")
    top = np.max(scores)
    total = 0.0
    for v in range(vocab):
        scores[v] = np.exp(scores[v] - top)
        total += scores[v]
    for v in range(vocab):
        scores[v] /= total
    if top_p < 1.0:  # remove while the cumulative probability is <= 1 - top_p; keep the last
        cumulative = 0.0
        for rank in range(vocab - 1):
            cumulative += scores[order[rank]]
            if cumulative > 1.0 - top_p:
                break
            scores[order[rank]] = 0.0
    cdf_total = 0.0
    for v in range(vocab):
        cdf_total += scores[v]
    # inverse CDF: the first token whose cumulative share exceeds the uniform number
    cumulative = 0.0
    for v in range(vocab):
        cumulative += scores[v]
        if cumulative / cdf_total > uniform:
            return v
    last = vocab - 1
    while last > 0 and scores[last] == 0.0:
        last -= 1
    return last


@njit(cache=True, nogil=True, error_model="numpy")
def sample_tokens(pending, kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t, b_hh,
                  decoder_t, decoder_bias, h, c, logprobs, log_normalizer, uniforms, seen, banned,
                  stop, penalty, temperature, top_k, top_p, greedy, tokens):
    """Draw up to len(uniforms) tokens into `tokens`, one uniform each; return how many.

    `logprobs` (V,) and `log_normalizer` (1,) hold the next token's log-probabilities and their
    logsumexp(logits) on entry, and the last fed token's on return.

    `pending` (>= 0) is fed first: the last token of the previous call, fed only now that
    another one is wanted. A drawn token is fed before the next draw, never after the last, and
    marked in `seen` (the repetition penalty's history). Drawing stops after a `stop` token.
    """
    scores = np.empty(logprobs.shape[0], np.float64)
    gates = np.empty(w_hh_t.shape[2], h.dtype)
    hidden_gates = np.empty(w_hh_t.shape[2], h.dtype)
    logits = np.empty(decoder_t.shape[1], h.dtype)
    count = uniforms.shape[0]
    for index in range(count):
        if index > 0 or pending >= 0:
            token = tokens[index - 1] if index > 0 else pending
            log_normalizer[0] = model_step_into(
                token, kind, table, embedding, w_ih0_t, bias0, w_ih_t, bias, w_hh_t, b_hh,
                decoder_t, decoder_bias, h, c, logprobs, gates, hidden_gates, logits)
        drawn = draw_token(logprobs, log_normalizer[0], seen, banned, penalty, temperature, top_k,
                           top_p, greedy, uniforms[index], scores)
        tokens[index] = drawn
        if stop[drawn]:
            return index + 1
        seen[drawn] = True
    return count
