"""KeyedVectors queries, evaluations and files, checked against gensim on the same vectors."""

import gensim.models
import numpy as np
import pytest
from gensim.test.utils import datapath

from seqlab.nlp.word2vec import KeyedVectors


@pytest.fixture(scope="module")
def vectors_pair():
    """Our KeyedVectors and gensim's holding the same random vectors over gensim's test words."""
    words = []
    for name in ("wordsim353.tsv", "questions-words.txt"):
        with open(datapath(name), encoding="utf8") as lines:
            for line in lines:
                if line.startswith((":", "#")):
                    continue
                words.extend(w for w in line.replace("\t", " ").split()[:4] if not _is_number(w))
    keys = list(dict.fromkeys(words))[:1500]
    keys = [k.lower() if i % 3 else k for i, k in enumerate(keys)]  # mixed case on purpose
    keys = list(dict.fromkeys(keys))
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(len(keys), 16)).astype(np.float32)
    ours = KeyedVectors(16)
    ours.add_vectors(keys, weights)
    theirs = gensim.models.KeyedVectors(16)
    theirs.add_vectors(keys, weights)
    return ours, theirs


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_evaluate_word_pairs_equals_gensim(vectors_pair):
    ours, theirs = vectors_pair
    for name in ("wordsim353.tsv", "simlex999.txt"):
        for restrict in (300000, 400):
            got = ours.evaluate_word_pairs(datapath(name), restrict_vocab=restrict)
            expected = theirs.evaluate_word_pairs(datapath(name), restrict_vocab=restrict)
            assert got[0][0] == pytest.approx(expected[0][0], abs=1e-6)
            assert got[1][0] == pytest.approx(expected[1][0], abs=1e-6)
            assert got[2] == pytest.approx(expected[2])
    got = ours.evaluate_word_pairs(datapath("wordsim353.tsv"), dummy4unknown=True)
    expected = theirs.evaluate_word_pairs(datapath("wordsim353.tsv"), dummy4unknown=True)
    assert got[1][0] == pytest.approx(expected[1][0], abs=1e-6)
    assert got[2] == pytest.approx(expected[2])


def test_evaluate_word_analogies_equals_gensim(vectors_pair):
    ours, theirs = vectors_pair
    got_score, got_sections = ours.evaluate_word_analogies(datapath("questions-words.txt"))
    score, sections = theirs.evaluate_word_analogies(datapath("questions-words.txt"))
    assert got_score == pytest.approx(score)
    assert [s["section"] for s in got_sections] == [s["section"] for s in sections]
    for mine, reference in zip(got_sections, sections):
        assert mine["correct"] == reference["correct"]
        assert mine["incorrect"] == reference["incorrect"]


def test_similarity_queries_equal_gensim(vectors_pair):
    ours, theirs = vectors_pair
    a, b, c = ours.index_to_key[:3]
    assert ours.similarity(a, b) == pytest.approx(float(theirs.similarity(a, b)), abs=1e-6)
    assert ours.n_similarity([a, b], [c]) == pytest.approx(
        float(theirs.n_similarity([a, b], [c])), abs=1e-6
    )
    for query in ({"positive": [a, b], "negative": [c]}, {"positive": a, "restrict_vocab": 200}):
        got = ours.most_similar(**query, topn=5)
        expected = theirs.most_similar(**query, topn=5)
        assert [k for k, _ in got] == [k for k, _ in expected]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-6)
    got = ours.most_similar_cosmul(positive=[a, b], negative=[c], topn=5)
    expected = theirs.most_similar_cosmul(positive=[a, b], negative=[c], topn=5)
    assert [k for k, _ in got] == [k for k, _ in expected]
    words = ours.index_to_key[10:16]
    assert ours.doesnt_match(words) == theirs.doesnt_match(words)


def test_cosmul_scales_a_raw_vector_to_unit_length_like_a_key(vectors_pair):
    """The documented difference from gensim (which uses a raw vector as given): a raw
    vector of any length scores as its key does, so the terms stay cosines."""
    ours, theirs = vectors_pair
    a, b, c = ours.index_to_key[:3]
    by_key = ours.most_similar_cosmul(positive=[a, b], negative=[c], topn=None)
    for scale in (0.1, 10.0):
        raw = ours.most_similar_cosmul(positive=[ours[a] * scale, b], negative=[c], topn=None)
        np.testing.assert_allclose(raw, by_key, rtol=1e-5, atol=1e-6)
    self_match = ours.most_similar_cosmul(positive=[ours[a]], topn=1)[0]
    assert self_match[0] == a and self_match[1] == pytest.approx(1.0, abs=1e-5)
    gensims = theirs.most_similar_cosmul(positive=[theirs[a]], topn=1)[0][1]
    assert gensims == pytest.approx((1 + np.linalg.norm(ours[a])) / 2, abs=1e-5)


def test_unknown_word_raises_key_error_naming_it(vectors_pair):
    ours, _ = vectors_pair
    with pytest.raises(KeyError, match="zzzunknown"):
        ours["zzzunknown"]
    with pytest.raises(KeyError, match="zzzunknown"):
        ours.most_similar("zzzunknown")


@pytest.mark.parametrize("binary", [False, True])
def test_files_we_write_gensim_reads_and_vice_versa(vectors_pair, tmp_path, binary):
    ours, theirs = vectors_pair
    path = tmp_path / "ours.vec"
    ours.save_word2vec_format(path, binary=binary)
    loaded = gensim.models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert loaded.index_to_key == ours.index_to_key
    np.testing.assert_array_equal(loaded.vectors, ours.vectors)

    path = tmp_path / "gensim.vec"
    theirs.save_word2vec_format(str(path), binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(back.vectors, theirs.vectors)


def test_reads_gensims_bundled_word2vec_c_files():
    for name, binary in [
        ("euclidean_vectors.bin", True),
        ("high_precision.kv.bin", True),
        ("high_precision.kv.txt", False),
    ]:
        ours = KeyedVectors.load_word2vec_format(datapath(name), binary=binary)
        reference = gensim.models.KeyedVectors.load_word2vec_format(datapath(name), binary=binary)
        assert ours.index_to_key == reference.index_to_key
        np.testing.assert_array_equal(ours.vectors, reference.vectors)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("two words\nhello 1 2\n", "line 1"),
        ("2 3\nhello 1 2 3\nworld 1 2\n", "line 3"),
        ("2 3\nhello 1 2 3\nworld 1 x 3\n", "line 3"),
        ("3 3\nhello 1 2 3\nworld 1 2 3\n", "line 4"),
    ],
)
def test_malformed_text_file_names_the_line(tmp_path, content, message):
    path = tmp_path / "bad.vec"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        KeyedVectors.load_word2vec_format(path)


def test_truncated_binary_file_is_reported(tmp_path):
    path = tmp_path / "bad.bin"
    path.write_bytes(b"2 3\nhello " + np.ones(3, np.float32).tobytes() + b"world " + b"\x00" * 5)
    with pytest.raises(ValueError, match="entry 2"):
        KeyedVectors.load_word2vec_format(path, binary=True)


def test_evaluation_counts_match_gensims_log(vectors_pair, caplog, tmp_path):
    """`counts` says how many pairs/questions were scored and how many skipped (out of
    vocabulary), the figures gensim logs as percentages (on 600 questions: the whole file
    takes seconds and proves no more)."""
    ours, theirs = vectors_pair
    caplog.set_level("INFO", logger="gensim.models.keyedvectors")
    pairs: dict = {}
    ours.evaluate_word_pairs(datapath("wordsim353.tsv"), restrict_vocab=400, counts=pairs)
    theirs.evaluate_word_pairs(datapath("wordsim353.tsv"), restrict_vocab=400)
    with open(datapath("questions-words.txt"), encoding="utf8") as lines:
        every = lines.readlines()
    analogies = tmp_path / "questions.txt"
    analogies.write_text("".join([*every[:300], ": tail\n", *every[-300:]]), encoding="utf8")
    questions: dict = {}  # the top 700 words: some questions in, some out of vocabulary
    _, sections = ours.evaluate_word_analogies(analogies, restrict_vocab=700, counts=questions)
    theirs.evaluate_word_analogies(str(analogies), restrict_vocab=700)
    logged = caplog.text
    assert pairs["used"] > 0 and pairs["skipped"] > 0
    assert f"{100 * pairs['skipped'] / (pairs['used'] + pairs['skipped']):.1f}%" in logged
    total = sections[-1]
    assert questions["used"] > 0 and questions["skipped"] > 0
    assert questions["used"] == len(total["correct"]) + len(total["incorrect"])
    share = 100 * questions["skipped"] / (questions["used"] + questions["skipped"])
    assert f"out-of-vocabulary words: {share:.1f}%" in logged
