"""The commands see a file saved with a UTF-8 byte-order mark as the same text without it
(tokenizer vocabularies, n-gram counts, word2vec words, generation prompts), and name
UTF-16 input as such, with the iconv command that converts it."""

from __future__ import annotations

import codecs
import json

from cli_helpers import CORPUS
from inprocess import assert_one_line_failure, invoke

BOM = codecs.BOM_UTF8


def _pair(tmp_path, text: str = CORPUS):
    marked, plain = tmp_path / "marked.txt", tmp_path / "plain.txt"
    marked.write_bytes(BOM + text.encode("utf-8"))
    plain.write_bytes(text.encode("utf-8"))
    return marked, plain


def test_char_tokenizer_and_ngram_counts_have_no_mark(tmp_path):
    marked, plain = _pair(tmp_path)
    outputs = []
    for name, source in (("m", marked), ("p", plain)):
        out = tmp_path / f"{name}.json"
        done = invoke("tokenize", "train", source, "--level", "char", "--out", out)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_text(encoding="utf-8"))
        arpa = tmp_path / f"{name}.arpa"
        done = invoke("ngram", "train", source, "--order", "2", "--out", arpa, "-q")
        assert done.returncode == 0, done.stderr
        outputs.append(arpa.read_text(encoding="utf-8"))
    assert "\ufeff" not in "".join(outputs) and "\\ufeff" not in "".join(outputs)
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]


def test_encode_from_stdin_and_generation_prompt_drop_the_mark(tmp_path, monkeypatch):
    import io
    import sys

    marked, plain = _pair(tmp_path, "To be or not to be\n")
    tokenizer = tmp_path / "char.json"
    assert invoke("tokenize", "train", plain, "--level", "char", "--out", tokenizer
                  ).returncode == 0
    encoded = []
    for source in (marked, plain):
        stdin = io.TextIOWrapper(io.BytesIO(source.read_bytes()), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stdin)
        done = invoke("tokenize", "encode", tokenizer, "-", "--json")
        assert done.returncode == 0, done.stderr
        encoded.append(json.loads(done.stdout)["ids"])
    assert encoded[0] == encoded[1]
    model = tmp_path / "m.arpa"
    assert invoke("ngram", "train", plain, "--order", "2",
                  "--out", model, "-q").returncode == 0
    generated = [invoke("generate", model, "--prompt-file", source, "-n", "3", "--seed", "1")
                 for source in (marked, plain)]
    assert all(done.returncode == 0 for done in generated), generated
    assert generated[0].stdout == generated[1].stdout
    assert generated[0].stdout.startswith("To be")


def test_utf16_corpus_and_prompt_are_named_with_iconv(tmp_path):
    wide = tmp_path / "wide.txt"
    wide.write_bytes(CORPUS.encode("utf-16"))
    done = invoke("tokenize", "train", wide, "--level", "char", "--out", tmp_path / "t.json")
    assert_one_line_failure(done, "looks like UTF-16", f"iconv -f UTF-16 -t UTF-8 {wide}")
    assert "binary" not in done.stderr
    plain = tmp_path / "plain.txt"
    plain.write_text(CORPUS, encoding="utf-8")
    model = tmp_path / "m.arpa"
    assert invoke("ngram", "train", plain, "--order", "2", "--out", model, "-q").returncode == 0
    done = invoke("generate", model, "--prompt-file", wide, "-n", "3")
    assert_one_line_failure(done, "prompt file", "looks like UTF-16", "iconv -f UTF-16")


def test_inspect_file_drops_the_mark_and_names_utf16(tmp_path):
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    text = "to be or not to be\n"
    tokenizer = CharTokenizer.train(text)
    model = save_checkpoint(tmp_path / "lm.safetensors",
                            LanguageModel(tokenizer.vocab_size, 4, 4, generator=0),
                            tokenizer=tokenizer.to_dict())
    marked, plain = _pair(tmp_path, text)
    shown = []
    for source in (marked, plain):
        done = invoke("inspect", model, "--file", source, "--json")
        assert done.returncode == 0, done.stderr
        shown.append(json.loads(done.stdout)["tokens"])
    assert shown[0] == shown[1] == list(text)
    wide = tmp_path / "wide.txt"
    wide.write_bytes(text.encode("utf-16"))
    assert_one_line_failure(invoke("inspect", model, "--file", wide), "--file",
                            "looks like UTF-16", "iconv -f UTF-16")
