"""qaA s24 #9: one rule for an option that has no effect: a one-line note, as --beam wider
than the vocabulary had: --top-k at least the vocabulary, --seq-len longer than the streams,
a sampling option with --greedy."""

import pytest
from inprocess import invoke


@pytest.fixture(scope="module")
def char_model(tmp_path_factory):
    """An untrained char language model (the notes come before any text is made)."""
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    folder = tmp_path_factory.mktemp("char")
    tokenizer = CharTokenizer.train("the cat sat on the mat\n")
    model = LanguageModel(tokenizer.vocab_size, 4, 4, cell="gru", generator=0)
    path = save_checkpoint(folder / "m.safetensors", model, tokenizer=tokenizer.to_dict())
    return path, tokenizer.vocab_size


def _warnings(done) -> list[str]:
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("warning:")]


def test_top_k_at_least_the_vocabulary_is_noted(char_model):
    path, size = char_model
    usable = size - 4  # <pad> <unk> <s> </s> are never written at char level
    notes = _warnings(invoke("generate", path, "--top-k", "1000", "--length", "3", "--seed", "1"))
    assert notes == [f"warning: --top-k 1000 keeps all {usable} tokens the model can write: "
                     "it has no effect (sampling from the whole distribution)"]
    assert _warnings(invoke("generate", path, "--top-k", str(usable - 1), "--length", "3",
                            "--seed", "1")) == []


def test_greedy_notes_a_temperature(char_model):
    notes = _warnings(invoke("generate", char_model[0], "--greedy", "--temperature", "0.5",
                             "--length", "3"))
    assert len(notes) == 1 and "--temperature has no effect with --greedy" in notes[0]


def test_a_seq_len_longer_than_the_streams_is_noted(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\n" * 5, encoding="utf-8")  # 115 characters
    done = invoke("train", corpus, "--seq-len", "100000", "--batch-size", "56", "--hidden",
                  "4", "--steps", "1", "--val-fraction", "0", "-o", tmp_path / "m.safetensors",
                  "-q")
    notes = [line for line in _warnings(done) if "--seq-len" in line]
    # 115 tokens in 56 streams of 2 (3 left over): 1 target each ("1 step")
    assert notes == ["warning: --seq-len 100000 is longer than each of the 56 batch streams "
                     "(1 step of the training text): each step reads 1, as --seq-len 1 "
                     "would"]


def test_with_top_p_the_top_k_note_does_not_claim_the_whole_distribution(char_model):
    notes = _warnings(invoke("generate", char_model[0], "--top-k", "1000", "--top-p", "0.5",
                             "--length", "3", "--seed", "1"))
    assert len(notes) == 1 and "--top-k 1000 keeps all" in notes[0]
    assert "whole distribution" not in notes[0] and "--top-p" in notes[0]
