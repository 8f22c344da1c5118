"""CharTokenizer's lowercasing and alphabet cap, against counts made by hand."""

import json
from collections import Counter

from seqlab.nlp.tokenizers import CharTokenizer, load_tokenizer

TEXT = "Abba BAKED a Cake; abc!"


def test_lowercase_folds_case_when_training_and_encoding(tmp_path):
    tokenizer = CharTokenizer.train(TEXT, lowercase=True)
    assert set(tokenizer.alphabet) == set(TEXT.lower())
    assert tokenizer.encode("CAB") == tokenizer.encode("cab")
    assert tokenizer.unk_id not in tokenizer.encode("BAKED")
    path = tmp_path / "char.json"
    tokenizer.save(path)
    assert json.loads(path.read_text())["lowercase"] is True
    assert load_tokenizer(path).encode("ABC") == tokenizer.encode("abc")


def test_a_file_written_before_lowercase_existed_keeps_case(tmp_path):
    tokenizer = CharTokenizer.train(TEXT)
    data = tokenizer.to_dict()
    data.pop("lowercase")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    loaded = load_tokenizer(path)
    assert loaded.encode("A") != loaded.encode("a")


def test_max_size_keeps_the_most_frequent_characters():
    counts = Counter(TEXT)
    tokenizer = CharTokenizer.train(TEXT, max_size=4 + 3)
    expected = sorted(counts, key=lambda c: (-counts[c], c))[:3]
    assert tokenizer.vocab_size == 7 and set(tokenizer.alphabet) == set(expected)
    rare = min(counts, key=lambda c: (counts[c], c))
    assert tokenizer.encode(rare) == [tokenizer.unk_id]
