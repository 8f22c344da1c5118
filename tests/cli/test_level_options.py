"""--vocab-size and --lowercase act at every --level they are accepted for, or are refused in
one line (never silently ignored)."""

from __future__ import annotations

import json

from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke

from seqlab.seqmodels.checkpoint import load_checkpoint


def test_tokenize_char_vocab_size_keeps_the_most_frequent_characters(tmp_path, corpus_file):
    capped, full = tmp_path / "capped.json", tmp_path / "full.json"
    assert invoke("tokenize", "train", corpus_file, "--level", "char", "--vocab-size", "10",
                  "--out", capped, "-q").returncode == 0
    assert invoke("tokenize", "train", corpus_file, "--level", "char", "--out", full,
                  "-q").returncode == 0
    assert len(json.loads(capped.read_text())["alphabet"]) == 10 - 4
    assert len(json.loads(full.read_text())["alphabet"]) == len(set(CORPUS))


def test_train_char_vocab_size_caps_the_model_vocabulary(tmp_path, corpus_file):
    out = tmp_path / "char.safetensors"
    done = invoke("train", corpus_file, "--level", "char", "--vocab-size", "12", "--steps", "1",
                  "--out", out, *TINY)
    assert done.returncode == 0, done.stderr
    assert json.loads(invoke("info", out, "--json").stdout)["vocab_size"] == 12
    small = invoke("train", corpus_file, "--level", "char", "--vocab-size", "4", "--out",
                   tmp_path / "x.safetensors", *TINY)
    assert_one_line_failure(small, "--vocab-size 4", code=2)


def test_classify_lowercase_at_char_level_and_refused_for_bpe(tmp_path):
    data = tmp_path / "reviews.csv"
    data.write_text("label,text\n" + "".join(
        f"{label},{text}\n" for label, text in [("pos", "Great FILM"), ("neg", "Awful Plot")] * 10))
    out = tmp_path / "clf.safetensors"
    done = invoke("classify", "train", data, "--level", "char", "--lowercase", "--steps", "1",
                  "--hidden", "4", "--embedding-dim", "4", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    tokenizer = load_checkpoint(out, training=False).tokenizer
    assert tokenizer["lowercase"] is True
    assert not any(c.isupper() for c in tokenizer["alphabet"])
    refused = invoke("classify", "train", data, "--level", "bpe", "--lowercase",
                     "--out", tmp_path / "bpe.safetensors")
    assert_one_line_failure(refused, "--lowercase", "bpe", code=2)
    cased = invoke("classify", "train", data, "--init-from", out, "--keep-case",
                   "--out", tmp_path / "tuned.safetensors")
    assert_one_line_failure(cased, "lowercases", "--keep-case", code=2)


def test_fine_tuning_refuses_tokenizer_options_it_would_ignore(tmp_path, trained_model,
                                                               corpus_file):
    info = json.loads(invoke("info", trained_model, "--json").stdout)
    out = tmp_path / "tuned.safetensors"
    other = invoke("train", corpus_file, "--init-from", trained_model, "--vocab-size",
                   str(info["vocab_size"] + 3), "--out", out, *TINY)
    assert_one_line_failure(other, "--vocab-size", str(info["vocab_size"]), code=2)
    same = invoke("train", corpus_file, "--init-from", trained_model, "--vocab-size",
                  str(info["vocab_size"]), "--steps", "1", "--out", out, *TINY)
    assert same.returncode == 0, same.stderr


def test_tokenize_bpe_min_count_is_the_merge_pair_threshold(tmp_path, corpus_file):
    def merges(*options):
        out = tmp_path / f"bpe{len(options)}{options[-1] if options else ''}.json"
        done = invoke("tokenize", "train", corpus_file, "--level", "bpe", "--vocab-size", "400",
                      "--out", out, "-q", *options)
        assert done.returncode == 0, done.stderr
        return json.loads(out.read_text())["merges"]

    default, two, rare = merges(), merges("--min-count", "2"), merges("--min-count", "50")
    assert default == two  # the trainer's own threshold, 2, is the default
    assert 0 < len(rare) < len(default) and rare == default[:len(rare)]
