"""A Seq2Seq checkpoint loads into a PyTorch encoder-decoder with strict=True, which then gives
our teacher-forced loss and every gradient; our BLEU / chrF equal sacreBLEU's."""

from __future__ import annotations

import json

import numpy as np
import pytest
from peer import run_peer

from seqlab.seqmodels import save_checkpoint
from seqlab.seqmodels.seq2seq import Seq2Seq, make_batch
from seqlab.seqmodels.seq2seq.metrics import corpus_bleu, corpus_chrf
from seqlab.seqmodels.seq2seq.text_scoring import score_texts

TORCH_SEQ2SEQ = r"""
import sys, json, numpy as np, torch
from torch import nn
from safetensors import safe_open
from safetensors.torch import load_file
path, batch_path, out_path = sys.argv[1:]
with safe_open(path, framework="pt") as f:
    c = json.loads(f.metadata()["seqlab"])["config"]
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

class Attention(nn.Module):
    def __init__(self, kind, size):
        super().__init__()
        self.kind = kind
        if kind != "dot":
            self.memory_layer = nn.Linear(size, size, bias=False)
        if kind == "additive":
            self.query_layer = nn.Linear(size, size)
            self.score_layer = nn.Linear(size, 1, bias=False)
        self.output_layer = nn.Linear(2 * size, size, bias=False)

    def forward(self, query, memory, keep):
        keys = memory if self.kind == "dot" else self.memory_layer(memory)
        if self.kind == "additive":
            hidden = torch.tanh(self.query_layer(query)[:, :, None] + keys[:, None])
            scores = self.score_layer(hidden).squeeze(3)
        else:
            scores = query @ keys.transpose(1, 2)
        weights = scores.masked_fill(~keep[:, None, :], float("-inf")).softmax(-1)
        return torch.tanh(self.output_layer(torch.cat([weights @ memory, query], 2)))

class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = 2 if c["bidirectional"] else 1
        E, H, L = c["embedding_dim"], c["hidden_size"], c["num_layers"]
        self.source_embedding = nn.Embedding(c["source_vocab_size"], E)
        self.encoder = CELLS[c["cell"]](E, H // d, L, batch_first=True,
                                        bidirectional=c["bidirectional"])
        self.bridge_h = nn.Linear(H, H)
        if c["cell"] == "lstm":
            self.bridge_c = nn.Linear(H, H)
        self.target_embedding = nn.Embedding(c["target_vocab_size"], E)
        self.decoder = CELLS[c["cell"]](E + (H if c["input_feeding"] else 0), H, L,
                                        batch_first=True)
        self.attention = Attention(c["attention"], H)
        self.output = nn.Linear(H, c["target_vocab_size"])
        self.d, self.L, self.H = d, L, H

    def join(self, state):
        n = state.shape[1]
        return state.view(self.L, self.d, n, -1).permute(0, 2, 1, 3).reshape(self.L, n, self.H)

    def forward(self, source, lengths, target_in):
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(source), lengths,
                                                   batch_first=True, enforce_sorted=False)
        out, final = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                     total_length=source.shape[1])
        if isinstance(final, tuple):
            state = (torch.tanh(self.bridge_h(self.join(final[0]))),
                     self.bridge_c(self.join(final[1])))
        else:
            state = torch.tanh(self.bridge_h(self.join(final)))
        keep = torch.arange(source.shape[1])[None, :] < lengths[:, None]
        embedded = self.target_embedding(target_in)
        if not c["input_feeding"]:
            queries, _ = self.decoder(embedded, state)
            return self.output(self.attention(queries, memory, keep))
        previous = torch.zeros(source.shape[0], 1, self.H, dtype=memory.dtype)
        outputs = []
        for t in range(target_in.shape[1]):
            query, state = self.decoder(torch.cat([embedded[:, t:t + 1], previous], 2), state)
            previous = self.attention(query, memory, keep)
            outputs.append(previous)
        return self.output(torch.cat(outputs, 1))

model = Seq2Seq(c).double()
model.load_state_dict(load_file(path), strict=True)
batch = np.load(batch_path)
logits = model(*(torch.from_numpy(batch[k]) for k in ("source", "lengths", "target_in")))
loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   torch.from_numpy(batch["target_out"]).reshape(-1),
                                   ignore_index=c["pad_id"])
loss.backward()
np.savez(out_path, loss=loss.item(), **{n: p.grad.numpy() for n, p in model.named_parameters()})
"""


@pytest.mark.parametrize("attention,input_feeding,cell", [
    ("dot", False, "lstm"), ("general", True, "lstm"), ("additive", False, "gru")])
def test_seq2seq_matches_pytorch(attention, input_feeding, cell, tmp_path):
    model = Seq2Seq(7, 8, 4, 6, num_layers=2, cell=cell, bidirectional=True,
                    attention=attention, input_feeding=input_feeding, dtype=np.float64,
                    generator=0)
    rng = np.random.default_rng(1)
    for _, parameter in model.named_parameters():
        parameter.data[...] = rng.uniform(-0.8, 0.8, parameter.shape)
    batch = make_batch([np.array(s) for s in ([4, 5, 6, 4, 5], [6, 4], [5, 5, 6])],
                       [np.array(t) for t in ([4, 5, 6], [7], [4, 7, 5, 6])], 2, 3, 0)
    path = save_checkpoint(tmp_path / "s2s.safetensors", model)
    np.savez(tmp_path / "batch.npz", source=batch.source, lengths=batch.source_lengths,
             target_in=batch.target_in, target_out=batch.target_out)
    run_peer(TORCH_SEQ2SEQ, str(path), str(tmp_path / "batch.npz"), str(tmp_path / "t.npz"),
             module="torch")
    theirs = np.load(tmp_path / "t.npz")
    loss, _, _ = model.training_loss(batch)
    loss.backward()
    np.testing.assert_allclose(loss.item(), float(theirs["loss"]), rtol=1e-12)
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad, theirs[name], rtol=1e-9, atol=1e-12,
                                   err_msg=name)


SACREBLEU = r"""
import sys, json, sacrebleu
hyps, refs = json.load(open(sys.argv[1]))
print(json.dumps([
    sacrebleu.corpus_bleu(hyps, [refs], tokenize="none", smooth_method="none").score,
    sacrebleu.corpus_chrf(hyps, [refs]).score]))
"""


def test_bleu_and_chrf_match_sacrebleu(tmp_path):
    rng = np.random.default_rng(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "away"]
    refs = [" ".join(rng.choice(words, rng.integers(4, 12))) for _ in range(40)]
    hyps = [" ".join(w if rng.random() < 0.7 else rng.choice(words) for w in r.split())
            for r in refs]
    (tmp_path / "data.json").write_text(json.dumps([hyps, refs]))
    bleu, chrf = json.loads(run_peer(SACREBLEU, str(tmp_path / "data.json"), module="sacrebleu"))
    assert corpus_bleu([h.split() for h in hyps], [r.split() for r in refs]) == \
        pytest.approx(bleu, rel=1e-10)
    assert corpus_chrf(hyps, refs) == pytest.approx(chrf, rel=1e-10)


SACREBLEU_DEFAULTS = r"""
import sys, json, sacrebleu
hyps, refs = json.load(open(sys.argv[1]))
width = max(len(r) for r in refs)
streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
print(json.dumps([sacrebleu.corpus_bleu(hyps, streams).score,
                  sacrebleu.corpus_chrf(hyps, streams).score]))
"""


def test_text_scores_match_sacrebleu_defaults_with_several_references(tmp_path):
    # what `seq2seq eval` reports: raw text, 13a tokenization, 1-3 references a source, some
    # shorter than chrF's 6-grams, punctuation and <unk> in the outputs
    rng = np.random.default_rng(1)
    words = ["the", "cat", "sat", "on", "a", "mat", "3.5", "x-ray", "(big)", "don't", "<unk>"]
    marks = ["", "", ",", ".", "!", "?", ";"]

    def sentence(low: int, high: int) -> str:
        return " ".join(rng.choice(words) + rng.choice(marks)
                        for _ in range(rng.integers(low, high)))

    hyps = [sentence(1, 9) for _ in range(60)]
    refs = [[sentence(1, 9) for _ in range(rng.integers(1, 4))] for _ in hyps]
    (tmp_path / "data.json").write_text(json.dumps([hyps, refs]))
    bleu, chrf = json.loads(run_peer(SACREBLEU_DEFAULTS, str(tmp_path / "data.json"),
                                     module="sacrebleu"))
    scores = score_texts(hyps, refs)
    assert bleu > 0 and scores["bleu"] == pytest.approx(bleu, rel=1e-10)
    assert scores["chrf"] == pytest.approx(chrf, rel=1e-10)


@pytest.mark.parametrize(("hyps", "refs"), [
    # an order with no match: sacreBLEU's default smoothing ('exp') counts it, not 0
    (["the cat sat down", "a b c"], [["the cat sat up"], ["a b d"]]),
    (["the cat sat on the mat", "a dog"], [["the cat lay on a mat", "a cat"], ["a dog ran"]]),
    # empty hypotheses, and one of them only
    (["", "hello world how are you"], [["some words here"], ["hello world how are you"]]),
    ([""], [["some words"]]),
    # a single short sentence: no 3- or 4-grams at all, then no match at all
    (["yes no"], [["yes no"]]),
    (["yes"], [["no"]]),
])
def test_text_bleu_smooths_as_sacrebleu_by_default(tmp_path, hyps, refs):
    (tmp_path / "data.json").write_text(json.dumps([hyps, refs]))
    bleu, chrf = json.loads(run_peer(SACREBLEU_DEFAULTS, str(tmp_path / "data.json"),
                                     module="sacrebleu"))
    scores = score_texts(hyps, refs)
    assert scores["bleu"] == pytest.approx(bleu, rel=1e-10, abs=1e-12)
    assert scores["chrf"] == pytest.approx(chrf, rel=1e-10, abs=1e-12)
