"""qa2 items 6 and 7: the tokenize commands read the tokenizer a model stores (the ids train
made), and a --tokenizer that is not JSON gets one line pointing to `seqlab tokenize train`."""

import json

import pytest
from inprocess import invoke

TEXT = "the cat sat on the mat\nthe dog sat on the log\n"


@pytest.fixture(scope="module")
def word_model(tmp_path_factory):
    """A word language model saved as `seqlab train` saves one, and its tokenizer's JSON."""
    from seqlab.nlp.tokenizers import WordTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    folder = tmp_path_factory.mktemp("model")
    tokenizer = WordTokenizer.train(TEXT)
    tokenizer.save(folder / "word.json")
    model = LanguageModel(tokenizer.vocab_size, 4, 4, cell="gru", generator=0)
    path = save_checkpoint(folder / "m.safetensors", model, tokenizer=tokenizer.to_dict())
    return path, folder / "word.json", tokenizer


def test_encode_and_decode_read_a_models_tokenizer(word_model):
    path, _, tokenizer = word_model
    done = invoke("tokenize", "encode", str(path), "--text", "the dog sat", "--json")
    assert done.returncode == 0, done.stderr
    ids = json.loads(done.stdout)["ids"]
    # the ids the word model reads: the line ends with </s> (qaA s24 #1)
    assert ids == [*tokenizer.encode("the dog sat"), tokenizer.eos_id]
    back = invoke("tokenize", "decode", str(path), *map(str, ids))
    assert back.returncode == 0 and back.stdout.strip() == "the dog sat"


def test_export_of_a_model_writes_what_its_tokenizer_file_exports(word_model, tmp_path):
    path, json_path, _ = word_model
    assert invoke("tokenize", "export", str(path), "-o", str(tmp_path / "a.json")).returncode == 0
    assert invoke("tokenize", "export", str(json_path), "-o", str(tmp_path / "b.json")) \
        .returncode == 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()


def test_a_tokenizer_that_is_not_json_points_to_tokenize_train(tmp_path):
    corpus = tmp_path / "corp.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    done = invoke("tokenize", "encode", str(corpus), "--text", "the")
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert "seqlab tokenize train" in done.stderr and "Expecting value" not in done.stderr
    done = invoke("train", str(corpus), "--tokenizer", str(corpus), "-o",
                  str(tmp_path / "m.safetensors"))
    assert done.returncode == 1 and "seqlab tokenize train" in done.stderr
    assert "Expecting value" not in done.stderr and not (tmp_path / "m.safetensors").exists()
