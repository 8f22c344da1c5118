"""`seqlab classify` end to end through the real command, on small labelled data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import run
from typer_inprocess import assert_fails, invoke

SMALL = ["--hidden", "8", "--embedding-dim", "6", "--batch-size", "8", "--quiet"]
POSITIVE = ["good", "great", "lovely", "fine", "superb"]
NEGATIVE = ["bad", "awful", "poor", "dull", "boring"]
FILLER = ["the", "film", "was", "really", "quite", "a", "plot", "and", "acting"]


def sentences(words, count, seed):
    rng = np.random.default_rng(seed)
    return [" ".join([*rng.choice(FILLER, 4), rng.choice(words), *rng.choice(FILLER, 2)])
            for _ in range(count)]


def write_csv(path, rows, header="label,text"):
    path.write_text(header + "\n" + "".join(f"{label},{text}\n" for label, text in rows))
    return path


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reviews")
    rows = [("pos", text) for text in sentences(POSITIVE, 30, 0)] + \
           [("neg", text) for text in sentences(NEGATIVE, 30, 1)]
    return write_csv(folder / "reviews.csv", rows)


@pytest.fixture(scope="module")
def classifier(reviews, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "clf.safetensors"
    done = run("classify", "train", str(reviews), "--epochs", "12", "--lr", "0.02",
               "--out", str(out), "--json", *SMALL)
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_train_reports_the_model_beside_the_baseline(classifier):
    out, result = classifier
    assert result["labels"] == ["neg", "pos"] and result["valid_examples"] == 12
    validation, baseline = result["validation"], result["baseline"]
    assert validation["accuracy"] >= 0.8
    for report in (validation, baseline):
        assert set(report) >= {"accuracy", "macro_f1", "per_class", "confusion"}
        assert sum(map(sum, report["confusion"])) == 12
    info = json.loads(invoke("info", str(out), "--json").stdout)
    assert info["config"]["model"] == "SequenceClassifier"


def test_predict_and_eval(classifier, reviews, tmp_path):
    out, _ = classifier
    good, bad = sentences(POSITIVE, 1, 7)[0], sentences(NEGATIVE, 1, 8)[0]
    lines = [good, "", bad]
    source = tmp_path / "new.txt"
    source.write_text("\n".join(lines) + "\n")
    first = run("classify", "predict", str(out), str(source))
    assert first.returncode == 0, first.stderr
    assert first.stdout.split("\n") == ["pos", "", "neg", ""]  # the blank line: an empty one
    piped = run("classify", "predict", str(out), "-", "--probabilities", "--json",
                input="\n".join(lines))
    predictions = json.loads(piped.stdout)["predictions"]
    assert [p["label"] for p in predictions] == ["pos", "neg"]
    assert all(abs(sum(p["probabilities"].values()) - 1) < 1e-6 for p in predictions)
    # a reloaded model predicts exactly what the Python API predicts with the same file
    from seqlab.cli.classify_models import class_probabilities, load_classifier

    again = class_probabilities(load_classifier(out), [good, bad])
    assert [p["probabilities"]["pos"] for p in predictions] == again[:, 1].tolist()
    evaluated = invoke("classify", "eval", str(out), str(reviews), "--json")
    report = json.loads(evaluated.stdout)
    assert set(report) >= {"accuracy", "macro_f1", "per_class", "confusion"}
    assert report["per_class"]["pos"]["support"] == 30
    assert np.trace(np.array(report["confusion"])) == round(report["accuracy"] * 60)
    drawn = invoke("classify", "eval", str(out), str(reviews))
    assert "confusion" in drawn.stdout and "macro F1" in drawn.stdout


def test_jsonl_and_folder_inputs_and_resume(tmp_path):
    jsonl = tmp_path / "data.jsonl"
    texts = sentences(POSITIVE, 8, 2) + sentences(NEGATIVE, 8, 3)
    jsonl.write_text("".join(json.dumps({"y": "pos" if i < 8 else "neg", "body": t}) + "\n"
                             for i, t in enumerate(texts)))
    folder = tmp_path / "folder"
    for label, words, seed in (("pos", POSITIVE, 4), ("neg", NEGATIVE, 5)):
        (folder / label).mkdir(parents=True)
        for i, text in enumerate(sentences(words, 6, seed)):
            (folder / label / f"{i}.txt").write_text(text)
    out = tmp_path / "m.safetensors"
    done = run("classify", "train", str(jsonl), str(folder), "--label-column", "y",
               "--text-column", "body", "--steps", "3", "--out", str(out), "--json", *SMALL)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["train_examples"] + \
        json.loads(done.stdout)["valid_examples"] == 28
    resumed = run("classify", "train", "--resume", str(out), "--steps", "5", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["steps"] == 5
    by_file = invoke("classify", "predict", str(out), str(folder / "pos"))
    assert by_file.code == 0 and len(by_file.stdout.splitlines()) == 6


@pytest.mark.parametrize("layout", ["word2vec", "binary", "glove"])
def test_vectors_initialise_the_embedding_row_for_row(reviews, tmp_path, layout):
    from seqlab.nlp.tokenizers import Tokenizer
    from seqlab.nlp.word2vec.formats import write_word2vec_format
    from seqlab.seqmodels import load_model

    words = POSITIVE + NEGATIVE + FILLER + ["absent"]
    vectors = np.random.default_rng(0).normal(size=(len(words), 5)).astype(np.float32)
    path = tmp_path / ("vectors.bin" if layout == "binary" else "vectors.txt")
    if layout == "glove":
        path.write_text("".join(w + " " + " ".join(f"{v:.6f}" for v in row) + "\n"
                                for w, row in zip(words, vectors, strict=True)))
    else:
        write_word2vec_format(path, words, vectors, binary=layout == "binary")
    out = tmp_path / "v.safetensors"
    done = run("classify", "train", str(reviews), "--vectors", str(path), "--freeze-vectors",
               "--steps", "1", "--out", str(out), "--hidden", "8", "--quiet")
    assert done.returncode == 0, done.stderr
    model, checkpoint = load_model(out)
    tokenizer = Tokenizer.from_dict(checkpoint.tokenizer)
    table = model.embedding.weight.data
    assert table.shape[1] == 5 and model.config["embeddings_frozen"]
    for word, row in zip(words[:-1], vectors[:-1], strict=True):
        assert np.allclose(table[tokenizer.token_to_id(word)], row, atol=1e-6), word


def test_bad_inputs_are_one_clear_line(tmp_path, reviews, classifier, trained_model):
    out = str(tmp_path / "x.safetensors")
    assert_fails(invoke("classify", "train", str(reviews), "--label-column", "stars",
                             "--out", out), "stars", "--label-column", code=1)
    one = write_csv(tmp_path / "one.csv", [("pos", t) for t in sentences(POSITIVE, 5, 0)])
    assert_fails(invoke("classify", "train", str(one), "--out", out), "one class")
    single = write_csv(tmp_path / "single.csv", [("pos", "good"), ("pos", "great"),
                                                 ("neg", "bad")])
    assert_fails(invoke("classify", "train", str(single), "--out", out),
                         "'neg'", "single example")
    empty = write_csv(tmp_path / "empty.csv", [("pos", "good"), ("neg", " ")])
    assert_fails(invoke("classify", "train", str(empty), "--out", out), "empty.csv:3",
                         "empty")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("label,text\npos,good\nneg,bad,extra\n")
    assert_fails(invoke("classify", "train", str(ragged), "--out", out), "ragged.csv:3")
    model, _ = classifier
    unseen = write_csv(tmp_path / "unseen.csv", [("pos", "good"), ("meh", "so so")])
    assert_fails(invoke("classify", "eval", str(model), str(unseen)), "'meh'")
    assert_fails(invoke("classify", "predict", str(trained_model), "-", input="hi\n"),
                         "language model", "not a classifier", code=1)
    assert_fails(invoke("generate", str(model), "--length", "3"), "classifier",
                 "seqlab classify")
    arpa = tmp_path / "lm.arpa"
    arpa.write_text("\\data\\\nngram 1=1\n\n\\1-grams:\n-1.0 a\n\n\\end\\\n")
    assert_fails(invoke("classify", "predict", str(arpa), "-", input="hi\n"),
                         "is an ARPA n-gram model", "not a neural model checkpoint")
    assert not (tmp_path / "x.safetensors").exists()
    assert_fails(invoke("classify", "train", str(reviews), "--pooling", "sum",
                             "--out", out), "--pooling", code=2)


def test_a_semicolon_csv_evaluates_as_the_comma_one(classifier, reviews, tmp_path):
    """Excel writes ';' where the decimal mark is a comma: the header line gives the delimiter."""
    out, _ = classifier
    semicolons = tmp_path / "reviews_semi.csv"
    semicolons.write_text(reviews.read_text().replace(",", ";"))
    comma = json.loads(invoke("classify", "eval", str(out), str(reviews), "--json").stdout)
    semi = invoke("classify", "eval", str(out), str(semicolons), "--json")
    assert semi.code == 0, semi.message
    assert json.loads(semi.stdout) == comma


def test_a_csv_without_a_header_row_is_told_so(tmp_path, reviews):
    headerless = tmp_path / "noheader.csv"
    headerless.write_text("".join(reviews.read_text().splitlines(keepends=True)[1:]))
    assert_fails(invoke("classify", "train", str(headerless), "--out",
                        str(tmp_path / "c.safetensors")),
                 "has no column 'label'", "first row is read as the header", "label,text")
    assert not (tmp_path / "c.safetensors").exists()
