"""`seq2seq eval` streams its pairs (sources grouped by hash, texts read back from disk) and
scores exactly as grouping every source in a dict did: repeated sources scattered through the
file (and across files) score against the closest of all their references."""

from __future__ import annotations

import json

import pytest
from inprocess import assert_one_line_failure, invoke

WORDS = ["the cat", "a dog", "my hat", "red sun", "old man", "big sea", "wet day", "hot tea"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2s_eval")
    pairs = folder / "train.tsv"
    pairs.write_text("".join(f"{w}\t{' '.join(reversed(w.split()))} now\n" for w in WORDS * 10))
    out = folder / "m.safetensors"
    done = invoke("seq2seq", "train", pairs, "--hidden", "8", "--layers", "1", "--steps", "3",
                  "--source-level", "char", "--target-level", "word", "--out", out, "-q")
    assert done.returncode == 0, done.stderr
    return out


def _whole_file_scores(model, files, beam):
    """The scores as `seq2seq eval` computed them before it streamed: a dict from each source
    to its references, every hypothesis and reference in lists."""
    from seqlab.cli.commands.seq2seq import _load
    from seqlab.seqmodels.seq2seq.data import read_pairs
    from seqlab.seqmodels.seq2seq.text_scoring import TextScoreTotals, output_tokens
    from seqlab.seqmodels.seq2seq.translate import Translator

    network, source_tokenizer, target_tokenizer, _ = _load(model)
    references: dict[str, list[str]] = {}
    for path in files:
        for source, target in read_pairs(path):
            references.setdefault(source, []).append(target)
    translator = Translator(network, source_tokenizer, target_tokenizer, beam=beam)
    totals = TextScoreTotals(target_tokenizer.tokenize)
    for (_, found), refs in zip(translator.stream(list(references), batch_size=64),
                                references.values(), strict=True):
        totals.add(found[0].text, refs, output_tokens(target_tokenizer, found[0].tokens))
    return totals.scores()


def test_scattered_repeats_score_as_the_whole_file_did(model, tmp_path):
    lines = []
    for round_number in range(5):  # each source again every 8 lines, with other references
        for number, words in enumerate(WORDS):
            target = " ".join(reversed(words.split()))
            lines.append(f"{words}\t{target} {'now' if (round_number + number) % 2 else 'then'}")
    first, second = tmp_path / "a.tsv", tmp_path / "b.tsv"
    first.write_text("\n".join(lines[:23]) + "\n")
    second.write_text("\r\n".join(lines[23:]) + "\r\n")
    done = invoke("seq2seq", "eval", model, first, second, "--beam", "2", "--json")
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)
    expected = _whole_file_scores(model, [first, second], beam=2)
    assert scores["sentences"] == len(WORDS)
    for name in ("exact_match", "token_error_rate", "bleu", "chrf"):
        assert scores[name] == expected[name], name


def test_a_bad_line_after_good_ones_is_one_line(model, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("the cat\tcat the\n" * 3 + "no tab here\n")
    assert_one_line_failure(invoke("seq2seq", "eval", model, pairs, "--beam", "1"),
                            "pairs.tsv:4", "no tab")
    empty = tmp_path / "empty.tsv"
    empty.write_text("\n\n")
    assert_one_line_failure(invoke("seq2seq", "eval", model, empty, "--beam", "1"),
                            "no pairs", "source<TAB>target")


def test_the_line_counts_each_distinct_source_once(model, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w}\t{' '.join(reversed(w.split()))}\n" for w in WORDS * 2))
    done = invoke("seq2seq", "eval", model, pairs, "--beam", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{len(WORDS)} sources (beam 1): exact match ")


def test_eval_json_names_each_scale(model, tmp_path):
    """qaA s22, item 13: exact_match and token_error_rate are fractions, bleu and chrf on
    sacreBLEU's 0-100, and the keys said neither. The fractions also come as
    `*_fraction` (the old keys stay, for scripts that read them); BLEU and chrF keep
    sacreBLEU's scale and names."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("the cat\tcat the now\na dog\tdog a now\n")
    done = invoke("seq2seq", "eval", model, pairs, "--beam", "1", "--json")
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)
    for name in ("exact_match", "token_error_rate"):
        assert scores[f"{name}_fraction"] == scores[name]
    assert 0.0 <= scores["exact_match_fraction"] <= 1.0
    assert 0.0 <= scores["bleu"] <= 100.0 and 0.0 <= scores["chrf"] <= 100.0
