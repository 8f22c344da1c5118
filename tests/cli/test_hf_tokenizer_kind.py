"""A Hugging Face tokenizer.json that `tokenize export` wrote, given where a model is needed,
is named as what it is: not "a seqlab tokenizer" that `tokenize encode|decode` reads (they
refuse it: export is one-way)."""

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from seqlab.nlp.tokenizers import WordTokenizer
    from seqlab.nlp.tokenizers.hf_json import to_hf_json
    from seqlab.nlp.vocab import write_json

    path = tmp_path_factory.mktemp("hf") / "tokenizer.json"
    write_json(path, to_hf_json(WordTokenizer.train("the cat sat on the mat\n")))
    return path


@pytest.mark.parametrize("command", ["eval", "generate", "inspect"])
def test_an_exported_tokenizer_is_named_a_hugging_face_tokenizer(exported, command):
    args = (command, exported, exported) if command == "eval" else (command, exported)
    done = invoke(*args)
    assert_one_line_failure(done, "a Hugging Face tokenizer.json")
    assert "seqlab tokenizer," not in done.stderr
    assert "tokenize encode" not in done.stderr  # which refuses it
