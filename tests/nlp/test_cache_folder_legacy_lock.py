"""A cache folder a killed run of seqlab 5 December 2026 left (its cache lock was `.lock`,
holding `process PID on HOST (...)`, written before lock files carried a mark line) is still
seqlab's: a training run does not refuse it as holding a user's file; a user's `.lock` of
other content is still foreign."""

from __future__ import annotations

from seqlab.nlp.corpora.cache_folder import foreign_entries


def test_an_older_seqlab_cache_lock_left_by_a_killed_run_is_not_foreign(tmp_path):
    (tmp_path / ".lock").write_text("process 4242 on host (started 21:16:59 UTC: seqlab train "
                                    "corpus.txt --out m.safetensors)")
    assert foreign_entries(tmp_path) == []
    (tmp_path / ".lock").write_text("")  # killed before it wrote its holder line
    assert foreign_entries(tmp_path) == []


def test_a_users_lock_file_is_foreign(tmp_path):
    (tmp_path / ".lock").write_text("my own notes")
    assert foreign_entries(tmp_path) == [tmp_path / ".lock"]
