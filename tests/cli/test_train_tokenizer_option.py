"""`train --tokenizer FILE` trains on a tokenizer from `seqlab tokenize train` (QA 21 A item
10: such a file could not be used anywhere else), and the model file keeps it as it keeps a
tokenizer train builds; conflicting options get one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from inprocess import assert_one_line_failure, invoke, snapshot

from seqlab.cli.models import load_neural
from seqlab.nlp.tokenizers import load_tokenizer

TEXT = "To be, or not to be: that is the question.\nWhether 'tis nobler in the mind\n" * 20
SMALL = ("--steps", "2", "--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size",
         "4", "--val-fraction", "0", "--quiet")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tok")
    (folder / "book.txt").write_text(TEXT)
    done = invoke("tokenize", "train", folder / "book.txt", "--level", "bpe", "--vocab-size",
                  "300", "--out", folder / "bpe.json")
    assert done.returncode == 0, done.stderr
    return folder


def test_train_keeps_the_given_tokenizer(files):
    out = files / "m.safetensors"
    done = invoke("train", files / "book.txt", "--tokenizer", files / "bpe.json", *SMALL,
                  "--out", out)
    assert done.returncode == 0, done.stderr
    given = load_tokenizer(files / "bpe.json")
    loaded = load_neural(out)
    assert loaded.tokenizer.to_dict() == given.to_dict()
    assert loaded.model.embedding.weight.shape[0] == given.vocab_size
    # the model reads text as the file encodes it: eval and generate use the same ids
    assert loaded.tokenizer.encode(TEXT[:80]) == given.encode(TEXT[:80])
    assert np.isfinite(json.loads(invoke("eval", out, files / "book.txt", "--json")
                                  .stdout)["loss"])


@pytest.mark.parametrize(("extra", "words"), [
    (("--level", "word"), ["--tokenizer", "bpe tokenizer", "--level word"]),
    (("--vocab-size", "500"), ["--tokenizer", "--vocab-size"]),
])
def test_conflicting_options_get_one_line(files, extra, words):
    before = snapshot(files)
    done = invoke("train", files / "book.txt", "--tokenizer", files / "bpe.json", *extra,
                  *SMALL, "--out", files / "x.safetensors")
    assert_one_line_failure(done, *words)
    assert snapshot(files) == before


def test_a_model_given_as_tokenizer_is_named(files):
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    char = CharTokenizer.train(TEXT)
    model = save_checkpoint(files / "lm.safetensors", LanguageModel(char.vocab_size, 4, 4),
                            tokenizer=char.to_dict())
    done = invoke("train", files / "book.txt", "--tokenizer", model, *SMALL, "--out",
                  files / "y.safetensors")
    assert_one_line_failure(done, "a language model", "not a tokenizer")
