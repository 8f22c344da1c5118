"""Our safetensors files load into PyTorch with load_state_dict(strict=True), and PyTorch's
recurrent layers (packed sequences included) then give our outputs."""

from __future__ import annotations

import numpy as np
import pytest
from peer import run_peer

from seqlab.autograd import Tensor, io
from seqlab.seqmodels import GRU, LSTM, RNN, LanguageModel, save_checkpoint

STACK_SCRIPT = r"""
import sys, numpy as np, torch
from safetensors.torch import load_file
kind, path, x_path, lengths_path, out_path = sys.argv[1:]
state = load_file(path)
layers = 1 + max(int(k.split("_l")[1].split("_")[0]) for k in state)
bidirectional = any(k.endswith("_reverse") for k in state)
hidden = state["weight_hh_l0"].shape[1]
x = torch.from_numpy(np.load(x_path))
cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
module = cls(x.shape[2], hidden, num_layers=layers, bidirectional=bidirectional).double()
module.load_state_dict(state, strict=True)
lengths = torch.from_numpy(np.load(lengths_path))
packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
x.requires_grad_(True)
out, state_n = module(torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
h_n = state_n[0] if kind == "lstm" else state_n
(out.sum() + h_n.sum()).backward()
np.savez(out_path, out=out.detach().numpy(), h_n=h_n.detach().numpy(), dx=x.grad.numpy(),
         **{name: p.grad.numpy() for name, p in module.named_parameters()})
"""


@pytest.mark.parametrize("kind,factory", [("lstm", LSTM), ("gru", GRU), ("rnn", RNN)])
def test_stack_matches_pytorch_packed_sequences(kind, factory, tmp_path):
    model = factory(4, 5, num_layers=2, bidirectional=True, dtype=np.float64, generator=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 4))
    lengths = np.array([6, 2, 4])
    io.save(tmp_path / "stack.safetensors", dict(model.state_dict()))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "lengths.npy", lengths)
    run_peer(STACK_SCRIPT, kind, str(tmp_path / "stack.safetensors"), str(tmp_path / "x.npy"),
             str(tmp_path / "lengths.npy"), str(tmp_path / "torch.npz"), module="torch")
    theirs = np.load(tmp_path / "torch.npz")
    x_tensor = Tensor(x, requires_grad=True)
    out, state = model(x_tensor, lengths=lengths)
    h_n = state[0] if kind == "lstm" else state
    (out.sum() + h_n.sum()).backward()
    np.testing.assert_allclose(out.data, theirs["out"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n.data, theirs["h_n"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x_tensor.grad, theirs["dx"], rtol=1e-9, atol=1e-11)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad, theirs[name], rtol=1e-9, atol=1e-11,
                                   err_msg=name)


LM_SCRIPT = r"""
import sys, json, numpy as np, torch
from safetensors import safe_open
from safetensors.torch import load_file
path, tokens_path, out_path = sys.argv[1:]
with safe_open(path, framework="pt") as f:
    config = json.loads(f.metadata()["seqlab"])["config"]
class LM(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embedding = torch.nn.Embedding(c["vocab_size"], c["embedding_dim"])
        cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[c["cell"]]
        self.rnn = cls(c["embedding_dim"], c["hidden_size"], c["num_layers"])
        self.decoder = torch.nn.Linear(c["hidden_size"], c["vocab_size"])
    def forward(self, tokens):
        return self.decoder(self.rnn(self.embedding(tokens))[0])
model = LM(config)
model.load_state_dict(load_file(path), strict=True)
with torch.no_grad():
    np.save(out_path, model(torch.from_numpy(np.load(tokens_path))).numpy())
"""


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_language_model_checkpoint_loads_in_pytorch(cell, tmp_path):
    model = LanguageModel(13, 6, 8, num_layers=2, cell=cell, generator=1)
    path = tmp_path / "lm.safetensors"
    save_checkpoint(path, model, step=0)
    tokens = np.random.default_rng(2).integers(0, 13, size=(7, 2))
    np.save(tmp_path / "tokens.npy", tokens)
    run_peer(LM_SCRIPT, str(path), str(tmp_path / "tokens.npy"), str(tmp_path / "logits.npy"),
             module="torch")
    logits, _ = model(tokens)
    np.testing.assert_allclose(np.load(tmp_path / "logits.npy"), logits.data, rtol=1e-4,
                               atol=1e-5)
