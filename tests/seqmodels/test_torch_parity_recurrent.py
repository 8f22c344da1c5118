"""RNN/LSTM/GRU against PyTorch's numbers, stored by tests/fixtures/torch_parity/make_fixtures.py.

Forty stacks (four cell kinds x ten option sets: layers, bias=False, batch_first, bidirectional,
h0/c0 given or not, packed lengths unsorted / of 1 / equal to T, T = 1 and batch 1, unbatched
(T, F) input, float32, an Embedding's output with padding_idx) on the fused and the composed
path: outputs, final states, the gradients of every parameter, of the input (or embedding table)
and of h0/c0, and the outputs again under no_grad. No PyTorch needed to run them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from seqlab.autograd import Tensor, no_grad
from seqlab.autograd.nn import Embedding
from seqlab.seqmodels import GRU, LSTM, RNN

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "torch_parity"))
from parity_cases import load_cases  # the stored results' reader, beside them

FIXTURES = Path(__file__).parents[1] / "fixtures" / "torch_parity"
RESULTS = FIXTURES / "recurrent.safetensors"  # PyTorch's numbers, by case
CONFIGS = json.loads((FIXTURES / "configs.json").read_text())["recurrent"]
# packed batches at the shapes where the loops skip finished rows (make_fixtures.py)
LENGTH_RESULTS = FIXTURES / "recurrent_lengths.safetensors"
LENGTH_CONFIGS = json.loads((FIXTURES / "configs.json").read_text())["recurrent_lengths"]


def pattern(shape: tuple[int, ...], salt: float) -> np.ndarray:
    """make_fixtures.pattern: the inputs PyTorch was given."""
    size = int(np.prod(shape))
    return np.sin(np.arange(size) * 0.7319 + salt * 1.618 + 0.25).reshape(shape)


def build(cfg: dict):
    options = {"num_layers": cfg["num_layers"], "bias": cfg["bias"],
               "batch_first": cfg["batch_first"], "bidirectional": cfg["bidirectional"],
               "dtype": np.dtype(cfg["dtype"])}
    features, hidden = cfg["input_size"], cfg["hidden_size"]
    if cfg["mode"] == "lstm":
        return LSTM(features, hidden, **options)
    if cfg["mode"] == "gru":
        return GRU(features, hidden, **options)
    return RNN(features, hidden, nonlinearity=cfg["mode"][4:], **options)


def case_id(index: int) -> str:
    cfg = CONFIGS[index]
    return f"{cfg['mode']}-{index % 10}"


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("index", range(len(CONFIGS)), ids=case_id)
def test_stack_matches_pytorch(index, fused):
    matches_pytorch(CONFIGS[index], load_cases(RESULTS)[str(index)], fused)


def length_case_id(index: int) -> str:
    cfg = LENGTH_CONFIGS[index]
    shape = f"{cfg['num_layers']}x{'bi' if cfg['bidirectional'] else 'uni'}"
    source = "embedding" if cfg["embedding"] else ("batch_first" if cfg["batch_first"] else "x")
    equal = "all-T" if len(set(cfg["lengths"])) == 1 else "mixed"
    return f"{cfg['mode']}-h{cfg['hidden_size']}-{shape}-{source}-{equal}"


@pytest.mark.parametrize("index", range(len(LENGTH_CONFIGS)), ids=length_case_id)
def test_training_with_lengths_matches_packed_pytorch(index):
    """Packed batches of 13 sequences (unsorted, ties, length 1 and T, or all T), float64:
    the fused training path runs them longest first and multiplies only each step's running
    rows (`training_length_order`, `kernels.active_rows`), forward and backward."""
    matches_pytorch(LENGTH_CONFIGS[index], load_cases(LENGTH_RESULTS)[str(index)], True)


def matches_pytorch(cfg: dict, theirs: dict, fused: bool) -> None:
    """One stored stack: outputs, final states and every gradient, then the outputs under
    no_grad, against PyTorch's."""
    dtype = np.dtype(cfg["dtype"])
    tolerance = ({"rtol": 1e-9, "atol": 1e-12} if dtype == np.float64
                 else {"rtol": 2e-5, "atol": 2e-6})
    model = build(cfg)
    model.fused = fused
    for k, (_, parameter) in enumerate(model.named_parameters()):
        parameter.data = (pattern(parameter.shape, 10 + k) * 0.6).astype(dtype)
    steps, batch = cfg["T"], cfg["N"]
    shape = ((steps,) if cfg["unbatched"]
             else (batch, steps) if cfg["batch_first"] else (steps, batch))
    if cfg["embedding"]:
        embedding = Embedding(cfg["vocab"], cfg["input_size"], padding_idx=cfg["padding_idx"],
                              dtype=dtype)
        embedding.weight.data = pattern((cfg["vocab"], cfg["input_size"]), 2).astype(dtype)
        ids = np.arange(int(np.prod(shape))).reshape(shape) % cfg["vocab"]
        leaf = embedding.weight

        def make_input():
            return embedding(ids)
    else:
        leaf = Tensor(pattern((*shape, cfg["input_size"]), 1).astype(dtype), requires_grad=True)

        def make_input():
            return leaf
    states = []
    if cfg["hx"]:
        directions = 2 if cfg["bidirectional"] else 1
        state_shape = ((cfg["num_layers"] * directions,) + (() if cfg["unbatched"] else (batch,))
                       + (cfg["hidden_size"],))
        states = [Tensor(pattern(state_shape, 3 + k).astype(dtype), requires_grad=True)
                  for k in range(2 if cfg["mode"] == "lstm" else 1)]
    hx = None if not states else (tuple(states) if cfg["mode"] == "lstm" else states[0])
    lengths = None if cfg["lengths"] is None else np.array(cfg["lengths"])

    out, state = model(make_input(), hx, lengths=lengths)
    finals = state if cfg["mode"] == "lstm" else (state,)
    loss = None
    for k, (name, value) in enumerate(zip(("out", "h_n", "c_n"), (out, *finals))):
        assert value.dtype == dtype, name
        np.testing.assert_allclose(value.data, theirs[name], **tolerance, err_msg=name)
        term = (value * Tensor(pattern(value.shape, 5 + k).astype(dtype))).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    np.testing.assert_allclose(leaf.grad, theirs["grad_input"], **tolerance, err_msg="input")
    for name, state_tensor in zip(("h0", "c0"), states):
        np.testing.assert_allclose(state_tensor.grad, theirs["grad_" + name], **tolerance,
                                   err_msg=name)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad, theirs["grad." + name], **tolerance,
                                   err_msg=name)

    with no_grad():
        out, state = model(make_input(), hx, lengths=lengths)
    finals = state if cfg["mode"] == "lstm" else (state,)
    for name, value in zip(("out", "h_n", "c_n"), (out, *finals)):
        np.testing.assert_allclose(value.data, theirs[name], **tolerance,
                                   err_msg=f"{name} under no_grad")


def test_state_dict_names_and_shapes_are_pytorch_s():
    """Every stored stack's parameter names and shapes are ours (safetensors sorts names, so
    the order is checked against PyTorch's rule: per layer and direction ih, hh, then biases)."""
    for index, cfg in enumerate(CONFIGS):
        theirs = {name[5:]: value.shape for name, value in load_cases(RESULTS)[str(index)].items()
                  if name.startswith("grad.")}
        ours = {name: value.shape for name, value in build(cfg).state_dict().items()}
        assert ours == theirs, cfg
        directions = ["", "_reverse"] if cfg["bidirectional"] else [""]
        kinds = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if cfg["bias"] else [])
        order = [f"{kind}_l{layer}{direction}" for layer in range(cfg["num_layers"])
                 for direction in directions for kind in kinds]
        assert list(ours) == order
