"""`word2vec evaluate` says how many pairs and questions it scored and skipped, as gensim's
evaluations report them, and cautions when most were out of vocabulary (qaA s20 MEDIUM 6:
a Spearman of 0.80 over 4 of 353 pairs read as an excellent result)."""

from __future__ import annotations

import json

import pytest
from cli_helpers import write_vectors

from tests.cli.inprocess import invoke


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v_counts")
    vectors = write_vectors(folder / "vectors.txt")
    known = "king\tqueen\t9\nman\twoman\t8\ncat\tdog\t7\nking\tcat\t1\n"
    covered, sparse = folder / "covered.tsv", folder / "sparse.tsv"
    covered.write_text(known + "zebra\tking\t2\n", encoding="utf-8")
    sparse.write_text(known + "".join(f"zebra{i}\tyak\t{i % 10}\n" for i in range(6)),
                      encoding="utf-8")
    analogies = folder / "questions.txt"
    analogies.write_text(": family\nman king woman queen\nking man queen woman\n"
                         "man king zebra yak\n", encoding="utf-8")
    return vectors, covered, sparse, analogies


def test_json_has_the_counts(files):
    vectors, covered, sparse, analogies = files
    done = invoke("word2vec", "evaluate", vectors, "--pairs", covered, "--pairs", sparse,
                  "--analogies", analogies, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["covered.tsv"]["pairs_used"], report["covered.tsv"]["pairs_skipped"]) == (4, 1)
    assert (report["sparse.tsv"]["pairs_used"], report["sparse.tsv"]["pairs_skipped"]) == (4, 6)
    assert report["sparse.tsv"]["oov_percent"] == pytest.approx(60.0)
    assert report["analogies"]["questions_used"] == 2
    assert report["analogies"]["questions_skipped"] == 1


def test_text_names_counts_and_cautions_on_low_coverage(files):
    vectors, covered, sparse, analogies = files
    done = invoke("word2vec", "evaluate", vectors, "--pairs", covered, "--pairs", sparse,
                  "--analogies", analogies)
    assert done.returncode == 0, done.stderr
    lines = {line.split(":")[0].strip(): line for line in done.stdout.splitlines()}
    assert "4 of 5 pairs" in lines["covered.tsv"] and "20.0% out of vocabulary" in \
        lines["covered.tsv"]
    assert "4 of 10 pairs" in lines["sparse.tsv"]
    assert "2 of 3 questions" in lines["analogies"]
    assert "oov_percent" not in done.stdout  # no raw key names in the text
    warned = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warned) == 1 and "sparse.tsv" in warned[0], done.stderr


def test_one_pair_in_vocabulary_has_no_correlation(files, tmp_path):
    vectors, _, _, analogies = files
    one = tmp_path / "one.tsv"
    one.write_text("king\tqueen\t9\nzebra\tyak\t3\n", encoding="utf-8")
    done = invoke("word2vec", "evaluate", vectors, "--pairs", one, "--analogies", analogies,
                  "--json")
    assert done.returncode == 0, done.stderr  # was an internal error from scipy
    report = json.loads(done.stdout)["one.tsv"]
    assert report["spearman"] is None and (report["pairs_used"], report["pairs_skipped"]) == (1, 1)
