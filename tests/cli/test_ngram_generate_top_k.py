"""qaA s24 #9 follow-up: `ngram generate --top-k` at or above what the model can write gets the
same one-line note as the neural `generate` (one rule, `seqlab.cli.sampling_notes`)."""

import pytest
from inprocess import invoke


@pytest.fixture(scope="module")
def ngram_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ngram")
    corpus = folder / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat\n", encoding="utf-8")
    out = folder / "m.arpa"
    done = invoke("ngram", "train", corpus, "--order", "2", "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    return out


def _warnings(done) -> list[str]:
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("warning:")]


def test_top_k_at_least_the_vocabulary_is_noted(ngram_model):
    from seqlab.nlp.ngram import load_arpa

    size = load_arpa(ngram_model).vocab_size
    usable = size - 1  # every entry but <s>, which is never predicted
    assert usable == 8  # <unk> </s> the cat sat on mat dog
    for top_k in (usable, 1000):
        notes = _warnings(invoke("ngram", "generate", ngram_model, "--top-k", str(top_k),
                                 "--length", "3", "--seed", "1"))
        assert notes == [f"warning: --top-k {top_k} keeps all {usable} tokens the model can "
                         "write: it has no effect (sampling from the whole distribution)"]
    assert _warnings(invoke("ngram", "generate", ngram_model, "--top-k", str(usable - 1),
                            "--length", "3", "--seed", "1")) == []


def test_no_note_where_nothing_is_sampled(ngram_model):
    for option in (["--greedy"], ["--temperature", "0"]):
        done = invoke("ngram", "generate", ngram_model, "--top-k", "1000", "--length", "3",
                      *option)
        assert "--top-k 1000 keeps all" not in done.stderr
