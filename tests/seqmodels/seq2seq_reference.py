"""An independent plain-NumPy encoder-decoder with attention, with hand-written derivatives.

Used only by tests; it shares no code with seqlab. Each primitive below records its output on a
tape with its own backward rule; `Tape.backward` walks the tape in reverse. The model is written
from the equations, one sentence and one time step at a time, over the valid positions only
(padding simply does not exist here), so it checks the masks as well as the arithmetic.
"""

from __future__ import annotations

import numpy as np


class Node:
    def __init__(self, value: np.ndarray) -> None:
        self.value = value
        self.grad = np.zeros_like(value)


class Tape:
    def __init__(self) -> None:
        self.rules: list = []

    def leaf(self, value: np.ndarray) -> Node:
        return Node(np.asarray(value, dtype=np.float64))

    def _record(self, value: np.ndarray, rule) -> Node:
        out = Node(value)
        self.rules.append((out, rule))
        return out

    def backward(self, loss: Node) -> None:
        loss.grad = np.ones_like(loss.value)
        for out, rule in reversed(self.rules):
            rule(out.grad)

    # ---------------------------------------------------------------- primitives
    def linear(self, x: Node, w: Node, b: Node | None = None) -> Node:
        """x (1, F) @ w (G, F)^T + b (G,)."""
        value = x.value @ w.value.T + (0 if b is None else b.value)

        def rule(g):
            x.grad += g @ w.value
            w.grad += g.T @ x.value
            if b is not None:
                b.grad += g.sum(0)
        return self._record(value, rule)

    def matmul(self, a: Node, b: Node) -> Node:
        value = a.value @ b.value

        def rule(g):
            a.grad += g @ b.value.T
            b.grad += a.value.T @ g
        return self._record(value, rule)

    def add(self, a: Node, b: Node) -> Node:
        def rule(g):
            a.grad += g
            b.grad += g
        return self._record(a.value + b.value, rule)

    def mul(self, a: Node, b: Node) -> Node:
        def rule(g):
            a.grad += g * b.value
            b.grad += g * a.value
        return self._record(a.value * b.value, rule)

    def one_minus(self, a: Node) -> Node:
        def rule(g):
            a.grad -= g
        return self._record(1.0 - a.value, rule)

    def tanh(self, a: Node) -> Node:
        value = np.tanh(a.value)

        def rule(g):
            a.grad += g * (1 - value**2)
        return self._record(value, rule)

    def sigmoid(self, a: Node) -> Node:
        value = 1 / (1 + np.exp(-a.value))

        def rule(g):
            a.grad += g * value * (1 - value)
        return self._record(value, rule)

    def columns(self, a: Node, start: int, stop: int) -> Node:
        def rule(g):
            a.grad[:, start:stop] += g
        return self._record(a.value[:, start:stop], rule)

    def concat(self, parts: list[Node], axis: int) -> Node:
        value = np.concatenate([p.value for p in parts], axis=axis)
        bounds = np.cumsum([p.value.shape[axis] for p in parts])[:-1]

        def rule(g):
            for part, piece in zip(parts, np.split(g, bounds, axis=axis)):
                part.grad += piece
        return self._record(value, rule)

    def row(self, table: Node, index: int) -> Node:
        def rule(g):
            table.grad[index] += g[0]
        return self._record(table.value[index : index + 1], rule)

    def softmax(self, a: Node) -> Node:
        e = np.exp(a.value - a.value.max())
        value = e / e.sum()

        def rule(g):
            a.grad += value * (g - (g * value).sum())
        return self._record(value, rule)

    def nll_of_logits(self, logits: Node, target: int) -> Node:
        shifted = logits.value - logits.value.max()
        log_probs = shifted - np.log(np.exp(shifted).sum())

        def rule(g):
            probs = np.exp(log_probs)
            probs[0, target] -= 1
            logits.grad += g * probs
        return self._record(-log_probs[:, target : target + 1], rule)

    def scale(self, a: Node, factor: float) -> Node:
        def rule(g):
            a.grad += g * factor
        return self._record(a.value * factor, rule)


def cell(tape: Tape, mode: str, x: Node, h: Node, c: Node | None, w):
    """One LSTM or GRU step (PyTorch's gate order) on (1, F) input."""
    w_ih, w_hh, b_ih, b_hh = w
    size = h.value.shape[1]
    if mode == "lstm":
        gates = tape.add(tape.linear(x, w_ih, b_ih), tape.linear(h, w_hh, b_hh))
        i = tape.sigmoid(tape.columns(gates, 0, size))
        f = tape.sigmoid(tape.columns(gates, size, 2 * size))
        g = tape.tanh(tape.columns(gates, 2 * size, 3 * size))
        o = tape.sigmoid(tape.columns(gates, 3 * size, 4 * size))
        c_next = tape.add(tape.mul(f, c), tape.mul(i, g))
        return tape.mul(o, tape.tanh(c_next)), c_next
    gi, gh = tape.linear(x, w_ih, b_ih), tape.linear(h, w_hh, b_hh)
    r = tape.sigmoid(tape.add(tape.columns(gi, 0, size), tape.columns(gh, 0, size)))
    z = tape.sigmoid(tape.add(tape.columns(gi, size, 2 * size), tape.columns(gh, size, 2 * size)))
    n = tape.tanh(tape.add(tape.columns(gi, 2 * size, 3 * size),
                           tape.mul(r, tape.columns(gh, 2 * size, 3 * size))))
    return tape.add(tape.mul(tape.one_minus(z), n), tape.mul(z, h)), None


def seq2seq_loss(params: dict[str, np.ndarray], config: dict, sources: list[list[int]],
                 targets: list[list[int]]) -> tuple[float, dict[str, np.ndarray]]:
    """Mean token cross-entropy of teacher-forced decoding, and d loss / d every parameter.

    targets are the reference tokens without <s> / </s>; <s> is config["bos_id"], </s> eos_id.
    """
    tape = Tape()
    nodes = {name: tape.leaf(value) for name, value in params.items()}
    if config["tie_weights"]:
        nodes["output.weight"] = nodes["target_embedding.weight"]
    mode, layers, hidden = config["cell"], config["num_layers"], config["hidden_size"]
    directions = 2 if config["bidirectional"] else 1

    def weights(prefix: str, layer: int, reverse: bool = False):
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        return tuple(nodes[f"{prefix}.{kind}{suffix}"]
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def zero(size: int) -> Node:
        return tape.leaf(np.zeros((1, size)))

    losses = []
    for source, target in zip(sources, targets):
        # ---- encoder over the valid positions
        inputs = [tape.row(nodes["source_embedding.weight"], token) for token in source]
        finals_h, finals_c = [], []
        for layer in range(layers):
            outputs_by_direction, layer_h, layer_c = [], [], []
            for direction in range(directions):
                size = hidden // directions
                h, c = zero(size), zero(size)
                outputs = [None] * len(inputs)
                order = range(len(inputs) - 1, -1, -1) if direction else range(len(inputs))
                for t in order:
                    h, c = cell(tape, mode, inputs[t], h, c if mode == "lstm" else None,
                                weights("encoder", layer, bool(direction)))
                    outputs[t] = h
                outputs_by_direction.append(outputs)
                layer_h.append(h)
                layer_c.append(c)
            inputs = [tape.concat([d[t] for d in outputs_by_direction], axis=1)
                      if directions == 2 else outputs_by_direction[0][t]
                      for t in range(len(inputs))]
            finals_h.append(tape.concat(layer_h, 1) if directions == 2 else layer_h[0])
            finals_c.append(tape.concat(layer_c, 1) if directions == 2 and mode == "lstm"
                            else layer_c[0])
        memory = tape.concat(inputs, axis=0)  # (S, H)
        # ---- bridge
        state_h = [tape.tanh(tape.linear(h, nodes["bridge_h.weight"], nodes["bridge_h.bias"]))
                   for h in finals_h]
        state_c = [tape.linear(c, nodes["bridge_c.weight"], nodes["bridge_c.bias"])
                   if mode == "lstm" else None for c in finals_c]
        # ---- attention keys
        kind = config["attention"]
        if kind == "dot":
            keys = memory
        else:
            keys = tape.concat([tape.linear(m, nodes["attention.memory_layer.weight"])
                                for m in inputs], axis=0)
        # ---- decoder, teacher forced
        previous = zero(hidden)
        steps_in = [config["bos_id"], *target]
        steps_out = [*target, config["eos_id"]]
        for token_in, token_out in zip(steps_in, steps_out):
            x = tape.row(nodes["target_embedding.weight"], token_in)
            if config["input_feeding"]:
                x = tape.concat([x, previous], axis=1)
            for layer in range(layers):
                state_h[layer], state_c[layer] = cell(tape, mode, x, state_h[layer],
                                                      state_c[layer], weights("decoder", layer))
                x = state_h[layer]
            query = x
            if kind == "additive":
                projected = tape.linear(query, nodes["attention.query_layer.weight"],
                                        nodes["attention.query_layer.bias"])
                scores = tape.concat([
                    tape.linear(tape.tanh(tape.add(projected, tape.row(keys, j))),
                                nodes["attention.score_layer.weight"])
                    for j in range(len(source))], axis=1)
            else:
                scores = tape.linear(query, keys)  # q . k_j for every j: (1, S)
            attention = tape.softmax(scores)
            context = tape.matmul(attention, memory)
            previous = tape.tanh(tape.linear(tape.concat([context, query], axis=1),
                                             nodes["attention.output_layer.weight"]))
            logits = tape.linear(previous, nodes["output.weight"], nodes["output.bias"])
            losses.append(tape.nll_of_logits(logits, token_out))
    total = losses[0]
    for term in losses[1:]:
        total = tape.add(total, term)
    loss = tape.scale(total, 1.0 / len(losses))
    tape.backward(loss)
    grads = {name: node.grad for name, node in nodes.items()}
    return float(loss.value[0, 0]), grads
