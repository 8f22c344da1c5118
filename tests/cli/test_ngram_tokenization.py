"""An n-gram model remembers how its training text was tokenized (--level, --lowercase):
`ngram eval`, `seqlab eval` and `ngram generate` read text the same way, and KenLM, given the
same tokens, gives the same perplexity from the same ARPA file (whose mark line it skips)."""

from __future__ import annotations

import json

import pytest
from inprocess import assert_one_line_failure, invoke
from kenlm_peer import kenlm_perplexity, needs_kenlm

from seqlab.cli import file_kinds
from seqlab.nlp.ngram import load, load_arpa
from seqlab.nlp.ngram.mark import SEQLAB_MARK, mark_line, tokenization_of_line

# word-level and whitespace tokens differ ("dog," vs "dog" ","), and so do the cases
TRAIN = ("The Dog, the cat. THE DOG barked!\nA cat sat on the Mat, the dog's mat.\n"
         "the Cat and The dog ran; the mat stayed.\n") * 6
TEST = "The dog sat, the Cat ran.\nTHE MAT barked!\nA dog's cat.\n"


def _perplexity(*args: str) -> float:
    done = invoke(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["perplexity"]


def _by_hand(model, text: str) -> float:
    """The library's perplexity on the text tokenized as `--level whitespace --lowercase`."""
    return model.perplexity([line.lower().split() for line in text.splitlines() if line.split()])


@pytest.fixture
def texts(tmp_path):
    (tmp_path / "train.txt").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "test.txt").write_text(TEST, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("out,smoothing", [("kn.arpa", "kneser-ney"),  # streamed writer
                                           ("wb.arpa", "witten-bell"),  # the model's writer
                                           ("kn.npz", "kneser-ney")])
def test_eval_tokenizes_as_training_did(texts, out, smoothing):
    model_path, test = texts / out, texts / "test.txt"
    done = invoke("ngram", "train", texts / "train.txt", "--level", "whitespace", "--lowercase",
                  "--smoothing", smoothing, "--out", model_path, "-q")
    assert done.returncode == 0, done.stderr
    model = load_arpa(model_path) if out.endswith(".arpa") else load(model_path)
    assert model.tokenization == {"level": "whitespace", "lowercase": True}
    expected = _by_hand(model, TEST)
    assert _perplexity("ngram", "eval", model_path, test) == pytest.approx(expected, rel=1e-12)
    assert _perplexity("eval", model_path, test) == pytest.approx(expected, rel=1e-12)
    exported = texts / "exported.arpa"  # export-arpa keeps the record
    assert invoke("ngram", "export-arpa", model_path, exported).returncode == 0
    assert load_arpa(exported).tokenization == model.tokenization
    # the word level without lowercasing (what eval did before) scores other tokens
    other = _perplexity("ngram", "eval", model_path, test, "--level", "word", "--no-lowercase")
    assert other != pytest.approx(expected, rel=1e-3)


def test_a_file_without_the_record_keeps_the_old_reading_or_takes_options(texts):
    marked = texts / "kn.arpa"
    assert invoke("ngram", "train", texts / "train.txt", "--level", "whitespace",
                  "--lowercase", "--out", marked, "-q").returncode == 0
    body = marked.read_bytes().split(b"\n", 1)[1]
    old = texts / "old.arpa"  # as seqlab wrote it before: the mark alone
    old.write_bytes(SEQLAB_MARK + body)
    model = load_arpa(old)
    assert model.tokenization is None
    word_level = model.perplexity(
        [t for t in (model_words(line) for line in TEST.splitlines()) if t])
    assert _perplexity("ngram", "eval", old, texts / "test.txt") == \
        pytest.approx(word_level, rel=1e-12)
    explicit = _perplexity("ngram", "eval", old, texts / "test.txt", "--level", "whitespace",
                           "--lowercase")
    assert explicit == pytest.approx(_by_hand(model, TEST), rel=1e-12)
    assert file_kinds.kind_of(marked) == file_kinds.ARPA  # still seqlab's: replaced freely
    assert invoke("ngram", "train", texts / "train.txt", "--out", marked, "-q").returncode == 0
    assert load_arpa(marked).tokenization == {"level": "word", "lowercase": False,
                                              "pattern": "graphemes"}


def model_words(line: str) -> list[str]:
    from seqlab.nlp.tokenizers import WordTokenizer

    return WordTokenizer().tokenize(line) if line.strip() else []


def test_generate_reads_the_prompt_as_training_did(texts):
    model_path = texts / "c.npz"
    assert invoke("ngram", "train", texts / "train.txt", "--level", "whitespace", "--lowercase",
                  "--out", model_path, "-q").returncode == 0
    # "THE DOG," is two known tokens once lowercased ("the" "dog,"): the greedy next token
    # follows them as it follows "the dog," in the training text
    done = invoke("ngram", "generate", model_path, "--prompt", "THE DOG,", "--greedy", "-n", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["THE", "DOG,", "the"]


def test_the_mark_line_round_trips_and_refuses_what_it_does_not_know(tmp_path):
    for level in ("word", "whitespace", "char"):
        for lowercase in (False, True):
            recorded = {"level": level, "lowercase": lowercase}
            line = mark_line(recorded)
            assert line.startswith(b"# written by seqlab; tokenization: ")
            if level == "word":  # a word record without its pattern is an old one
                recorded["pattern"] = "before-marks"
            assert tokenization_of_line(line) == recorded
    assert mark_line(None) == SEQLAB_MARK and tokenization_of_line(SEQLAB_MARK) is None
    assert tokenization_of_line(b"# written by someone else\n") is None
    bad = tmp_path / "future.arpa"
    bad.write_bytes(b"# written by seqlab; tokenization: level=bpe lowercase=false\n"
                    b"\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\t<unk>\n\n\\end\\\n")
    assert_one_line_failure(invoke("ngram", "eval", bad, tmp_path / "future.arpa"),
                            "upgrade seqlab")


@needs_kenlm
@pytest.mark.parametrize("level", ["whitespace", "char"])
def test_kenlm_gives_the_same_perplexity_on_the_same_tokens(texts, level):
    model_path = texts / "m.arpa"
    assert invoke("ngram", "train", texts / "train.txt", "--level", level, "--lowercase",
                  "--out", model_path, "-q").returncode == 0
    assert model_path.read_bytes().startswith(
        mark_line({"level": level, "lowercase": True}))  # KenLM must skip this line
    if level == "whitespace":
        lines = [line.lower() for line in TEST.splitlines()]
    else:  # KenLM reads space-separated tokens: a char model's space is spelled U+2581
        lines = [" ".join("\u2581" if ch == " " else ch for ch in line.lower())
                 for line in TEST.splitlines()]
    theirs = kenlm_perplexity(model_path, lines)
    assert _perplexity("ngram", "eval", model_path, texts / "test.txt") == \
        pytest.approx(theirs, rel=1e-5)
