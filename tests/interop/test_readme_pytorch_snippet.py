"""README's PyTorch snippet, as printed, loads a language model of every cell kind (it once
built `torch.nn.LSTM` whatever the file held, so a GRU or RNN checkpoint failed `strict=True`),
and the loaded model gives seqlab's logits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from peer import run_peer

from seqlab.seqmodels.checkpoint import save_checkpoint
from seqlab.seqmodels.language_model import LanguageModel

README = Path(__file__).resolve().parents[2] / "README.md"
LOGITS = r"""
import sys, numpy as np
tokens = torch.from_numpy(np.load(sys.argv[1]))
with torch.no_grad():
    out = model.rnn(model.embedding(tokens))[0]
    np.save(sys.argv[2], model.decoder(out).numpy())
"""


def readme_snippet() -> str:
    blocks = README.read_text(encoding="utf-8").split("```python\n")[1:]
    code = next(block.split("```")[0] for block in blocks
                if 'load_file("model.safetensors")' in block)
    return "\n".join(line[2:] if line.startswith("  ") else line for line in code.splitlines())


@pytest.mark.parametrize("cell", ["gru", "rnn", "rnn_relu", "lstm"])
def test_the_readme_snippet_loads_every_cell(cell, tmp_path):
    model = LanguageModel(11, 5, 6, num_layers=2, cell=cell, generator=3)
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model, step=0)
    tokens = np.random.default_rng(4).integers(0, 11, size=(6, 2))
    np.save(tmp_path / "tokens.npy", tokens)
    script = readme_snippet().replace('"model.safetensors"', repr(str(path))) + LOGITS
    run_peer(script, str(tmp_path / "tokens.npy"), str(tmp_path / "logits.npy"),
             module="torch")
    logits, _ = model(tokens)
    np.testing.assert_allclose(np.load(tmp_path / "logits.npy"), logits.data, rtol=1e-4,
                               atol=1e-5)
