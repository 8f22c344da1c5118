"""`seqlab info` reads every kind of file seqlab writes (QA stop 19, finding 8): tokenizer JSON
and word2vec vectors too, n-gram models as a table of plain values (no Python dict reprs), and
a file it cannot read is refused naming every kind it reads."""

from __future__ import annotations

import json
import struct

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("info")
    (folder / "text.txt").write_text("the cat sat\nthe dog sat\n" * 5)
    return folder


def _json(*args) -> dict:
    done = invoke("info", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_tokenizer(folder):
    path = folder / "bpe.json"
    done = invoke("tokenize", "train", folder / "text.txt", "--level", "bpe", "--vocab-size",
                  "265", "--out", path)
    assert done.returncode == 0, done.stderr
    data = _json(path)
    assert data["kind"] == "tokenizer" and data["type"] == "bpe"
    assert data["vocab_size"] == 4 + 256 + data["merges"]
    table = invoke("info", path).stdout
    assert "bpe" in table and str(data["vocab_size"]) in table


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_word2vec_vectors(folder, binary):
    path = folder / ("v.bin" if binary else "v.txt")
    rows = [("cat", (0.5, -1.0)), ("dog", (0.25, 2.0)), ("sat", (1.0, 0.0))]
    if binary:
        path.write_bytes(b"3 2\n" + b"".join(word.encode() + b" " + struct.pack("<2f", *v)
                                             + b"\n" for word, v in rows))
    else:
        path.write_text("3 2\n" + "".join(f"{w} {v[0]} {v[1]}\n" for w, v in rows))
    data = _json(path)
    assert data == {"kind": "word2vec vectors", "format": "binary" if binary else "text",
                    "words": 3, "dimension": 2, "written_by_seqlab": False}
    assert "dimension" in invoke("info", path).stdout


def test_vectors_seqlab_wrote(folder):
    path = folder / "w2v.txt"
    done = invoke("word2vec", "train", folder / "text.txt", "--dim", "3", "--epochs", "1",
                  "--min-count", "1", "--threads", "1", "--out", path, "-q")
    assert done.returncode == 0, done.stderr
    data = _json(path)
    assert (data["words"], data["dimension"], data["written_by_seqlab"]) == (4, 3, True)


def test_an_arpa_model_is_a_table_of_plain_values(folder):
    path = folder / "lm.arpa"
    done = invoke("ngram", "train", folder / "text.txt", "--order", "2", "--out", path)
    assert done.returncode == 0, done.stderr
    shown = invoke("info", path)
    assert shown.returncode == 0, shown.stderr
    assert "{" not in shown.stdout and "'" not in shown.stdout, shown.stdout
    assert "tokenization" in shown.stdout and "word" in shown.stdout
    assert _json(path)["tokenization"]["level"] == "word"  # --json keeps the structure


def test_another_file_is_refused_naming_what_info_reads(folder):
    done = invoke("info", folder / "text.txt")
    assert_one_line_failure(done, "checkpoint", "classify", "forecast", "seq2seq", "n-gram",
                            "tokenizer", "vectors", code=1)


def test_the_training_state_beside_a_model(folder):
    """The `.train.safetensors` file seqlab writes beside every model is shown, naming the
    model it belongs to (it was refused as "not a seqlab checkpoint", review3 item 2)."""
    model = folder / "lm.safetensors"
    done = invoke("train", folder / "text.txt", "--level", "char", "--hidden", "8",
                  "--steps", "2", "--seq-len", "8", "--batch-size", "2", "--threads", "1",
                  "--out", model, "-q")
    assert done.returncode == 0, done.stderr
    state = folder / "lm.train.safetensors"
    data = _json(state)
    assert data["kind"] == "training state" and data["step"] == 2
    assert data["command"] == "train" and data["model"] == str(model)
    assert data["model_matches"] is True
    table = invoke("info", state).stdout
    assert "training state" in table and str(model) in table
    model.unlink()  # the model it belongs to is gone: still shown, saying so
    assert _json(state)["model_matches"] is None


HF_WORD_LEVEL = ('{\n  "version": "1.0",\n  "truncation": null,\n  "padding": null,\n'
                 '  "added_tokens": [],\n  "normalizer": null,\n  "pre_tokenizer": null,\n'
                 '  "post_processor": null,\n  "decoder": null,\n  "model": {\n'
                 '    "type": "WordLevel",\n    "vocab": {"a": 0, "[UNK]": 1},\n'
                 '    "unk_token": "[UNK]"\n  }\n}')  # as tokenizers 0.22's Tokenizer.save


def test_a_hugging_face_tokenizer_is_refused_by_name(folder):
    """An HF tokenizer.json is a tokenizer JSON, but not seqlab's: the refusal says which
    (review3 item 6), for one seqlab exported and for any other."""
    path = folder / "tokenizer.json"
    path.write_text(HF_WORD_LEVEL)
    assert_one_line_failure(invoke("info", path), "Hugging Face tokenizer.json",
                            "a seqlab tokenizer JSON", code=1)
    seqlab_bpe, exported = folder / "bpe_for_hf.json", folder / "exported" / "tokenizer.json"
    assert invoke("tokenize", "train", folder / "text.txt", "--vocab-size", "262", "--out",
                  seqlab_bpe).returncode == 0
    exported.parent.mkdir()
    assert invoke("tokenize", "export", seqlab_bpe, "--out", exported).returncode == 0
    assert_one_line_failure(invoke("info", exported), "Hugging Face tokenizer.json",
                            "tokenize export", "a seqlab tokenizer JSON", code=1)
