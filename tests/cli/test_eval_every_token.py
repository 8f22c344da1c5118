"""`seqlab eval` scores every token after the first, whatever --batch-size and --seq-len: the
token count and loss equal one float64 pass of the model over the whole text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli.inprocess import invoke

TEXT = ("Hundreds of people have been forced to vacate their homes in the Southern Highlands of "
        "New South Wales as strong winds today pushed a huge bushfire towards the town.\n")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("every")
    corpus = folder / "corpus.txt"
    corpus.write_text(TEXT * 20, encoding="utf-8")
    path = folder / "lm.safetensors"
    done = invoke("train", corpus, "--steps", "3", "--hidden", "16", "--layers", "1",
                  "--seq-len", "16", "--batch-size", "4", "--val-fraction", "0", "--out", path,
                  "--quiet")
    assert done.returncode == 0, done.stderr
    return path


def one_pass(model_path, text: str) -> tuple[int, float]:
    """(predictions, mean loss in nats): the model in float64 over the whole text in one call,
    from a fresh state, scored on every token after the first (log-softmax in NumPy)."""
    from seqlab.cli import lm_text
    from seqlab.cli.models import load_any

    _, loaded = load_any(model_path)
    model = loaded.model.double()
    model.eval()
    ids = np.asarray(lm_text.encode_corpus(loaded.tokenizer, text), np.int64)
    logits, _ = model(ids[:-1, None], model.init_state(1))
    logits = np.asarray(logits.data, np.float64).reshape(ids.size - 1, -1)
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return ids.size - 1, float(-log_probs[np.arange(ids.size - 1), ids[1:]].mean())


@pytest.mark.parametrize("length", [2, 12, 29, 3000])
def test_eval_scores_every_token_whatever_the_batch_size(model, tmp_path, length):
    text = (TEXT * 30)[:length].replace("\n", " ")
    path = tmp_path / f"n{length}.txt"
    path.write_text(text, encoding="utf-8")
    count, loss = one_pass(model, text)
    assert count == length - 1  # char level: one token a character
    for options in ([], ["--batch-size", "1"], ["--batch-size", "2"], ["--batch-size", "32"],
                    ["--seq-len", "5"]):
        done = invoke("eval", model, path, "--json", *options)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["tokens"] == count, options
        assert result["loss"] == pytest.approx(loss, rel=1e-5), options
        assert ("--batch-size is ignored" in done.stderr) == bool(options[:1] == ["--batch-size"])


def test_eval_of_one_token_is_one_clear_line(model, tmp_path):
    from tests.cli.inprocess import assert_one_line_failure

    path = tmp_path / "one.txt"
    path.write_text("H", encoding="utf-8")
    assert_one_line_failure(invoke("eval", model, path), "gives 1 token;", str(path))
