"""`seqlab generate` samples through the fused drawer exactly the text the sampler's per-token
NumPy loop gives for the same seed and options (char and word level; LSTM and GRU)."""

from __future__ import annotations

import pytest
from cli_helpers import TINY, run

from seqlab.cli import lm_text
from seqlab.cli.models import load_any
from seqlab.nlp.generation import SamplingOptions, generate_text


class PerTokenOnly:
    """A model seen through the plain TokenModel interface only (no fused drawer)."""

    def __init__(self, model) -> None:
        self.model, self.vocab_size = model, model.vocab_size

    def initial_state(self):
        return self.model.initial_state()

    def advance(self, state, token_id):
        return self.model.advance(state, token_id)

    def logprobs(self, state):
        return self.model.logprobs(state)

    def logits(self, state):
        return self.model.logits(state)


def per_token_text(path, prompt, length, seed, **rule) -> str:
    """What the command prints, computed with the per-token sampler."""
    _, loaded = load_any(path)
    tokenizer = loaded.tokenizer
    options = SamplingOptions(max_tokens=length, seed=seed, temperature=rule.pop("temperature"),
                              banned_tokens=lm_text.banned_ids(tokenizer), **rule)
    pieces = generate_text(PerTokenOnly(loaded.model), lm_text.encode_prompt_ids(tokenizer),
                           lm_text.decoder(tokenizer), prompt, options,
                           unk_id=tokenizer.unk_id, start_ids=lm_text.start_ids(tokenizer),
                           special_ids=sorted(tokenizer.special_ids))
    return prompt + "".join(pieces) + "\n"


@pytest.mark.parametrize(("options", "rule"), [
    ([], {"temperature": 0.8}),
    (["--top-k", "5", "--top-p", "0.9", "--temperature", "1.2", "--repetition-penalty", "1.3"],
     {"temperature": 1.2, "top_k": 5, "top_p": 0.9, "repetition_penalty": 1.3}),
])
def test_char_model_prints_the_per_token_samplers_text(trained_model, options, rule):
    done = run("generate", str(trained_model), "--prompt", "The ", "--length", "300",
               "--seed", "5", *options)
    assert done.returncode == 0, done.stderr
    assert done.stdout == per_token_text(trained_model, "The ", 300, 5, **rule)


def test_word_level_gru_prints_the_per_token_samplers_text(tmp_path, corpus_file):
    out = tmp_path / "w.safetensors"
    two_layers = list(TINY)
    two_layers[two_layers.index("--layers") + 1] = "2"
    trained = run("train", str(corpus_file), "--level", "word", "--cell", "gru", "--steps", "5",
                  "--out", str(out), *two_layers)
    assert trained.returncode == 0, trained.stderr
    done = run("generate", str(out), "--prompt", "the quick", "--length", "60", "--seed", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout == per_token_text(out, "the quick", 60, 2, temperature=0.8)
