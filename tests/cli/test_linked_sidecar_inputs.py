"""A file seqlab writes beside --out (NAME.train.safetensors, NAME.metrics.jsonl, a checkpoint
in NAME.checkpoints) that is a symbolic link to one of the run's inputs is refused, --force
or not: writes go through links (`atomic.write_target`), and an input is never overwritten."""

from __future__ import annotations

from cli_helpers import CORPUS, TINY
from inprocess import assert_one_line_failure, invoke


def test_a_training_state_linked_to_the_corpus_is_refused_even_with_force(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    (tmp_path / "m.train.safetensors").symlink_to("corpus.txt")
    done = invoke("train", corpus, "--steps", "1", *TINY, "--force",
                  "--out", tmp_path / "m.safetensors")
    assert_one_line_failure(done, "m.train.safetensors", "input", code=1)
    assert corpus.read_text(encoding="utf-8") == CORPUS


def test_a_checkpoint_linked_to_the_corpus_is_refused_even_with_force(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    (tmp_path / "m.checkpoints").mkdir()
    (tmp_path / "m.checkpoints" / "step-00000001.safetensors").symlink_to(corpus)
    done = invoke("train", corpus, "--steps", "2", *TINY, "--force", "--checkpoint-every", "1",
                  "--out", tmp_path / "m.safetensors")
    assert_one_line_failure(done, "step-00000001.safetensors", "input", code=1)
    assert corpus.read_text(encoding="utf-8") == CORPUS
