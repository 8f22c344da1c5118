"""`seqlab tokenize export --format hf`: what it writes, replaces and refuses (the file read by
HF `tokenizers` itself: tests/interop/test_hf_tokenizers_interop.py)."""

from __future__ import annotations

import json

from inprocess import invoke

from seqlab.cli import file_kinds
from seqlab.nlp.tokenizers import BPETokenizer, CharTokenizer
from seqlab.nlp.tokenizers.hf_json import EXPORT_MARK

TEXT = "the cat sat on the mat. the cat ate the rat.\n" * 5


def test_export_writes_a_marked_tokenizer_json_and_replaces_only_its_own(tmp_path):
    source, out = tmp_path / "bpe.json", tmp_path / "tokenizer.json"
    tokenizer = BPETokenizer.train(TEXT, vocab_size=280)
    tokenizer.save(source)
    done = invoke("tokenize", "export", str(source), "--format", "hf", "--out", str(out),
                  "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["vocab_size"] == tokenizer.vocab_size > 270
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["model"]["type"] == "BPE"
    assert len(document["model"]["merges"]) == len(tokenizer.merges)
    assert document["pre_tokenizer"][EXPORT_MARK[0]] == EXPORT_MARK[1]
    assert file_kinds.kind_of(out) == file_kinds.HF_TOKENIZER
    again = invoke("tokenize", "export", str(source), "--out", str(out))  # its own: replaced
    assert again.returncode == 0, again.stderr


def test_export_refuses_what_it_did_not_write_and_what_hf_cannot_read_alike(tmp_path):
    source, theirs = tmp_path / "bpe.json", tmp_path / "theirs.json"
    BPETokenizer.train(TEXT, vocab_size=280).save(source)
    theirs.write_text('{"version": "1.0", "model": {}}')
    refused = invoke("tokenize", "export", str(source), "--out", str(theirs))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert theirs.read_text() == '{"version": "1.0", "model": {}}'
    chars, custom = tmp_path / "char.json", tmp_path / "custom.json"
    CharTokenizer.train(TEXT).save(chars)
    BPETokenizer.train(TEXT, vocab_size=270, pattern=r"\S+|\s+").save(custom)
    for path, reason in ((chars, "no Hugging Face equivalent"), (custom, "built-in pre-token")):
        out = tmp_path / f"hf-{path.name}"
        done = invoke("tokenize", "export", str(path), "--out", str(out))
        assert done.returncode == 1 and reason in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()
    bad = invoke("tokenize", "export", str(source), "--format", "spm", "--out",
                 str(tmp_path / "x.json"))
    assert bad.returncode == 2 and "choose one of hf" in bad.stderr
