"""ARPA files: round trips, reading foreign files, clear errors, and KenLM agreement."""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import subprocess
import textwrap

import numpy as np
import pytest

from seqlab.nlp.ngram import MLE, AddK, KneserNey, Laplace, WittenBell, load_arpa
from seqlab.nlp.ngram.arpa import SEQLAB_MARK

CORPUS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["the", "dog", "sat", "on", "the", "log"],
    ["a", "cat", "saw", "the", "dog"],
    ["the", "cat", "ate"],
    [],
    ["dog", "dog", "dog"],
]
TEST = [["the", "cat", "sat", "on", "the", "log"], ["a", "zebra", "ate", "the", "mat"], ["dog"], []]


@pytest.mark.parametrize("make", [
    lambda: KneserNey(3), lambda: KneserNey(4, unk_cutoff=2), lambda: WittenBell(3),
    lambda: AddK(3, k=0.1), lambda: Laplace(2), lambda: KneserNey(1),
])
def test_arpa_round_trip_keeps_every_score(make, tmp_path):
    model = make().fit(CORPUS)
    path = tmp_path / "model.arpa"
    model.save_arpa(path)
    loaded = load_arpa(path)
    assert loaded.order == model.order and loaded.counts == model.counts
    assert loaded.perplexity(TEST) == pytest.approx(model.perplexity(TEST), rel=1e-12)
    np.testing.assert_allclose(loaded.sentence_logprobs(TEST), model.sentence_logprobs(TEST),
                               rtol=1e-12)
    for context in (["<s>"], ["the", "cat"], ["zebra"]):
        np.testing.assert_allclose(loaded.next_token_logprobs(context),
                                   [model.logprob(w, context) for w in loaded.vocab], rtol=1e-12)


def test_mle_round_trip_on_seen_text(tmp_path):
    model = MLE(3).fit(CORPUS)
    model.save_arpa(tmp_path / "mle.arpa")
    loaded = load_arpa(tmp_path / "mle.arpa")
    assert loaded.perplexity(CORPUS) == pytest.approx(model.perplexity(CORPUS), rel=1e-12)
    assert "-99" in (tmp_path / "mle.arpa").read_text()  # log zero, the ARPA way


def test_mle_zero_probabilities_come_back_as_arpas_finite_log_zero(tmp_path):
    """What does not round-trip, as the docs say: an unseen event of an MLE model scores
    -inf in memory; the ARPA file writes log zero as -99 (its convention), which KenLM and
    `load_arpa` read as the number 10**-99, backed off through: `b a` costs -99 (the zero
    backoff of each seen context) plus the unigram, three times, about log10 -298 as KenLM
    gives. Perplexity counts those words as zero probabilities in both: infinite."""
    model = MLE(2).fit([["a", "b"], ["a", "b", "b"]])
    model.save_arpa(tmp_path / "mle.arpa")
    loaded = load_arpa(tmp_path / "mle.arpa")
    assert model.score(["b", "a"]) == -np.inf
    unigram = {w: model.logprob(w, []) / np.log(10) for w in ("a", "b", "</s>")}
    backed_off = sum(-99 + unigram[w] for w in ("b", "a", "</s>"))
    assert loaded.score(["b", "a"]) / np.log(10) == pytest.approx(backed_off, rel=1e-12)
    assert model.perplexity([["b", "a"]]) == loaded.perplexity([["b", "a"]]) == np.inf
    assert model.perplexity_detail([["b", "a"]])[1:] == loaded.perplexity_detail([["b", "a"]])[1:]


def test_arpa_layout(tmp_path):
    KneserNey(2).fit([["a", "b"], ["b"]]).save_arpa(tmp_path / "toy.arpa")
    lines = (tmp_path / "toy.arpa").read_text().splitlines()
    assert lines[:5] == ["# written by seqlab", "\\data\\", "ngram 1=5", "ngram 2=4", ""]
    assert lines[5] == "\\1-grams:" and lines[-1] == "\\end\\"
    unigrams = [line.split("\t") for line in lines[6:11]]
    assert all(len(fields) == 3 for fields in unigrams)  # prob, word, backoff
    assert [f[1] for f in unigrams] == ["<unk>", "<s>", "</s>", "a", "b"]
    assert float(unigrams[1][0]) == -99  # <s> is never predicted
    bigrams = [line.split("\t") for line in lines[13:17]]
    assert all(len(fields) == 2 for fields in bigrams)  # highest order: no backoff


def test_reads_a_foreign_arpa_file_by_the_backoff_rule(tmp_path):
    # No <unk>, a 3-gram whose 2-gram prefix "x y" is missing, 0 for <s> as KenLM writes it.
    path = tmp_path / "foreign.arpa"
    path.write_text(textwrap.dedent("""\
        some preamble the reader skips

        \\data\\
        ngram 1=4
        ngram 2=2
        ngram 3=1

        \\1-grams:
        -1.0\t</s>
        0\t<s>\t-0.5
        -0.5\tx\t-0.25
        -0.7\ty\t-0.125

        \\2-grams:
        -0.3\t<s> x\t-0.1
        -0.2\ty </s>

        \\3-grams:
        -0.05\tx y </s>

        \\end\\
        """))
    model = load_arpa(path)
    ln10 = math.log(10)
    assert model.logprob("x", ["<s>"]) == pytest.approx(-0.3 * ln10)
    assert model.logprob("y", ["<s>"]) == pytest.approx((-0.5 - 0.7) * ln10)
    assert model.logprob("y", ["x"]) == pytest.approx((-0.25 - 0.7) * ln10)  # missing "x y"
    assert model.logprob("</s>", ["x", "y"]) == pytest.approx(-0.05 * ln10)
    assert model.logprob("</s>", ["<s>", "y"]) == pytest.approx(-0.2 * ln10)
    assert model.logprob("zebra") == pytest.approx(-100 * ln10)  # KenLM's missing-<unk> value
    assert model.logprob("<s>") == -math.inf
    # "<s> x y </s>": p(x|<s>) p(y|<s> x) p(</s>|x y); "<s> x" backs off with -0.1
    expected = (-0.3 + (-0.1 + -0.25 - 0.7) + -0.05) * ln10
    assert model.score(["x", "y"]) == pytest.approx(expected)


BAD_FILES = {
    "no header": ("hello\nworld\n", 1),
    "bad count line": ("\\data\\\nngram one=3\n", 2),
    "missing section": ("\\data\\\nngram 1=1\n\n\\2-grams:\n", 4),
    "too few fields": ("\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1\ta\n\n"
                       "\\2-grams:\n-1\ta\n\n\\end\\\n", 9),
    "bad number": ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\nminus\tb\n\n\\end\\\n", 6),
    "wrong count": ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\tb\n\n\\end\\\n", 7),
    "unknown word": ("\\data\\\nngram 1=1\nngram 2=1\n\n\\1-grams:\n-1\ta\t0\n\n"
                     "\\2-grams:\n-1\ta b\n\n\\end\\\n", 9),
    "duplicate": ("\\data\\\nngram 1=1\nngram 2=2\n\n\\1-grams:\n-1\ta\t0\n\n"
                  "\\2-grams:\n-1\ta a\n-2\ta a\n\n\\end\\\n", 10),
    "no end": ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n\n", 7),
    "positive log": ("\\data\\\nngram 1=1\n\n\\1-grams:\n2.5\ta\n\n\\end\\\n", 5),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_arpa_file_names_the_file_and_line(name, tmp_path):
    text, line = BAD_FILES[name]
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    with pytest.raises(ValueError, match=f"{path}:{line}:"):
        load_arpa(path)


def test_missing_arpa_file_and_unwritable_tokens(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_arpa(tmp_path / "missing.arpa")
    with pytest.raises(ValueError, match="whitespace"):
        KneserNey(2).fit(["a b"]).save_arpa(tmp_path / "chars.arpa")  # the space character
    with pytest.raises(TypeError, match="already estimated"):
        load_arpa_model = KneserNey(2).fit(CORPUS)
        load_arpa_model.save_arpa(tmp_path / "m.arpa")
        load_arpa(tmp_path / "m.arpa").fit(CORPUS)


def _kenlm_perplexity_script(arpa_path, sentences) -> str:
    lines = [" ".join(s) for s in sentences]
    return textwrap.dedent(f"""\
        import kenlm
        model = kenlm.Model({str(arpa_path)!r})
        lines = {lines!r}
        total = sum(model.score(line, bos=True, eos=True) for line in lines)
        words = sum(len(line.split()) + 1 for line in lines)
        print(repr(10 ** (-total / words)))
        """)


def _peer_corpus():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(60)]
    zipf = 1 / np.arange(1, 61)
    return [list(rng.choice(words, size=rng.integers(1, 12), p=zipf / zipf.sum()))
            for _ in range(400)]


@pytest.mark.skipif(importlib.util.find_spec("kenlm") is None,
                    reason="the kenlm module is not installed in this environment")
def test_kenlm_module_reads_our_arpa_with_the_same_perplexity(tmp_path):
    import kenlm

    sentences = _peer_corpus()
    model = KneserNey(3, unk_cutoff=2).fit(sentences[:300])
    model.save_arpa(tmp_path / "kn.arpa")
    assert (tmp_path / "kn.arpa").read_bytes().startswith(SEQLAB_MARK)  # KenLM skips '#' lines
    theirs = kenlm.Model(str(tmp_path / "kn.arpa"))
    total = sum(theirs.score(" ".join(s), bos=True, eos=True) for s in sentences[300:])
    words = sum(len(s) + 1 for s in sentences[300:])
    assert 10 ** (-total / words) == pytest.approx(model.perplexity(sentences[300:]), rel=1e-5)


@pytest.mark.skipif(not os.environ.get("SEQLAB_PEER_PYTHON"),
                    reason="set SEQLAB_PEER_PYTHON to a python that has kenlm to run this")
def test_peer_kenlm_reads_our_arpa_with_the_same_perplexity(tmp_path):
    sentences = _peer_corpus()
    for model in (KneserNey(3, unk_cutoff=2), WittenBell(4), AddK(2, k=0.5)):
        model.fit(sentences[:300])
        model.save_arpa(tmp_path / "m.arpa")
        assert (tmp_path / "m.arpa").read_bytes().startswith(SEQLAB_MARK)  # KenLM skips it
        script = _kenlm_perplexity_script(tmp_path / "m.arpa", sentences[300:])
        result = subprocess.run([os.environ["SEQLAB_PEER_PYTHON"], "-c", script],
                                capture_output=True, text=True, check=True)
        theirs = float(result.stdout.strip().splitlines()[-1])
        assert theirs == pytest.approx(model.perplexity(sentences[300:]), rel=1e-5)


def _find_lmplz() -> str | None:
    return os.environ.get("SEQLAB_LMPLZ") or shutil.which("lmplz")


@pytest.mark.skipif(_find_lmplz() is None,
                    reason="set SEQLAB_LMPLZ to KenLM's lmplz binary (or put it on PATH)")
def test_kneser_ney_equals_lmplz_for_every_ngram(tmp_path):
    sentences = _peer_corpus()
    text = "\n".join(" ".join(s) for s in sentences) + "\n"
    with open(tmp_path / "lmplz.arpa", "w") as out:
        subprocess.run([_find_lmplz(), "-o", "3", "-S", "100M", "-T", str(tmp_path),
                        "--discount_fallback"],
                       input=text, stdout=out, stderr=subprocess.DEVNULL, text=True, check=True)
    theirs = load_arpa(tmp_path / "lmplz.arpa")
    ours = KneserNey(3).fit(sentences)
    assert sorted(theirs.vocab) == sorted(ours.vocab) and theirs.counts == ours.counts
    ours.save_arpa(tmp_path / "ours.arpa")

    def entries(path):
        table = {}
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) >= 2 and fields[1] != "<s>":
                table[fields[1]] = [float(f) for f in fields[:1] + fields[2:]]
        return table

    mine, lmplz = entries(tmp_path / "ours.arpa"), entries(tmp_path / "lmplz.arpa")
    assert mine.keys() == lmplz.keys()
    for ngram, values in lmplz.items():  # lmplz computes in float32
        np.testing.assert_allclose(mine[ngram], values, atol=2e-6, err_msg=ngram)
