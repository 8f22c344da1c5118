"""Files a training run writes beside --out, and outputs inside input folders, never replace or
delete what seqlab did not write (qaA s22 findings 1, 2 and 3): a foreign file in NAME.cache or
with a checkpoint's name in NAME.checkpoints is refused as a foreign --out is, and an --out
inside an input folder is refused when new too, not only on the rerun."""

from __future__ import annotations

import pytest
from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke, snapshot


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "corpus.txt").write_text(CORPUS, encoding="utf-8")
    return tmp_path


def refused_and_untouched(folder, args, *words):
    before = snapshot(folder)
    done = invoke(*args)
    assert_one_line_failure(done, *words, code=1)
    assert snapshot(folder) == before
    return done


def test_a_cache_folder_holding_the_users_files_is_refused(folder):
    cache = folder / "m.cache"
    cache.mkdir()
    (cache / "settings.json").write_text('{"my": 1}')
    (cache / "keep.ids").write_text("x")
    train = ["train", folder / "corpus.txt", "--steps", "1", *TINY,
             "--out", folder / "m.safetensors"]
    refused_and_untouched(folder, train, "m.cache", "keep.ids", "settings.json", "--force")
    (cache / "labels.csv").write_text("label,text\n")
    classify = ["classify", "train", folder / "corpus.txt", "--out", folder / "m.safetensors"]
    refused_and_untouched(folder, classify, "m.cache", "seqlab did not write")


def test_a_cache_path_that_is_a_file_is_refused_even_with_force(folder):
    (folder / "m.cache").write_text("mine")
    refused_and_untouched(folder, ["train", folder / "corpus.txt", "--steps", "1", *TINY,
                                   "--force", "--out", folder / "m.safetensors"],
                          "m.cache", "not a folder")


def test_with_force_the_cache_folder_is_used(folder):
    """(The library keeps the user's files there: tests/nlp/test_cache_folder_ownership.py;
    checked here without a training run, which would add seconds for nothing more.)"""
    from seqlab.cli.output_locks import release_outputs
    from seqlab.cli.outputs import check_checkpoint_output

    (folder / "m.cache").mkdir()
    (folder / "m.cache" / "settings.json").write_text('{"my": 1}')
    try:
        check_checkpoint_output(folder / "m.safetensors", [folder / "corpus.txt"], force=True,
                                model="LanguageModel")
    finally:
        release_outputs()


@pytest.mark.parametrize("name", ["best.safetensors", "step-00000001.safetensors",
                                  "step-00000001.train.safetensors"])
def test_a_file_with_a_checkpoints_name_seqlab_did_not_write_is_refused(folder, name):
    checkpoints = folder / "n.checkpoints"
    checkpoints.mkdir()
    (checkpoints / name).write_text("{}")
    refused_and_untouched(folder, ["train", folder / "corpus.txt", "--steps", "1", *TINY,
                                   "--out", folder / "n.safetensors"], name, "--force")


def test_a_new_out_inside_an_input_folder_is_refused(folder):
    docs = folder / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(CORPUS, encoding="utf-8")
    refused_and_untouched(folder, ["word2vec", "train", docs, "--out", docs / "vectors.txt"],
                          "inside the input folder")
    refused_and_untouched(folder, ["ngram", "train", docs, "--out", docs / "lm.arpa"],
                          "inside the input folder")
    refused_and_untouched(folder, ["train", docs, "--steps", "1", *TINY,
                                   "--out", docs / "m.safetensors"], "inside the input folder")
    refused_and_untouched(folder, ["tokenize", "train", docs, "--out", docs / "tok.json"],
                          "inside the input folder")
