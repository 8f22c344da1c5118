"""BPE byte ids in Hugging Face's order for new training; old files keep their byte order."""

import json

import pytest

from seqlab.nlp.corpora.token_cache import cache_key
from seqlab.nlp.tokenizers import BPETokenizer, Tokenizer, bpe
from seqlab.nlp.tokenizers.base import FORMAT_VERSION
from seqlab.nlp.vocab import check_version


def test_printable_order_numbers_bytes_as_hf_byte_level_alphabet():
    # GPT-2's table keeps printable bytes 33-126, 161-172 and 174-255 as themselves and maps
    # the other 68 bytes to U+0100.. in byte order; sorted by character: the kept ones first
    ids = bpe.byte_ids("printable")
    kept = [*range(33, 127), *range(161, 173), *range(174, 256)]
    moved = [b for b in range(256) if b not in kept]
    assert [ids[b] for b in kept] == list(range(4, 4 + 188))
    assert [ids[b] for b in moved] == list(range(192, 260))
    assert bpe.byte_ids("bytes") == tuple(range(4, 260))


@pytest.mark.parametrize("numba", [pytest.param(False, id="python-loop"),
                                   pytest.param(True, id="numba-kernel",
                                                marks=pytest.mark.kernels)])
def test_count_ties_go_to_the_smallest_pair_of_hf_ids(monkeypatch, numba):
    # "ab" and " c" are each seen once: a tie. In byte order " " (32) < "a"; in HF's order
    # " " is the character U+0120, after every printable ASCII character.
    if numba:
        monkeypatch.setattr(bpe, "PYTHON_MERGE_LIMIT", 0)  # every corpus is "large": Numba
    text = "ab c"
    printable = BPETokenizer.train(text, vocab_size=261, min_frequency=1)
    in_bytes = BPETokenizer.train(text, vocab_size=261, min_frequency=1, alphabet_order="bytes")
    assert [printable.token_bytes(260)] == [b"ab"]
    assert [in_bytes.token_bytes(260)] == [b" c"]
    assert printable.merges == [(ord("a") - 33 + 4, ord("b") - 33 + 4)]


def test_either_order_round_trips_and_encodes_the_same_pieces():
    text = "Naïve café owners don't pay 1,000€ \x00\t\x7f\u00ad — 日本語 speakers.\n" * 3
    printable = BPETokenizer.train(text, vocab_size=300)
    in_bytes = BPETokenizer.train(text, vocab_size=300, alphabet_order="bytes")
    for tokenizer in (printable, in_bytes):
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text
        assert b"".join(tokenizer.token_bytes(i) for i in ids) == text.encode()
    for byte in range(256):  # every byte id stands for its byte
        assert printable.token_bytes(bpe.byte_ids("printable")[byte]) == bytes([byte])


def test_a_file_saved_before_loads_and_encodes_as_before(tmp_path):
    # version 1, no alphabet_order: id 4 + byte; "h" + "i" (108, 109) merged into 260
    data = {"type": "bpe", "version": 1, "pattern": bpe.PRETOKEN_PATTERN_BEFORE_HF,
            "merges": [[108, 109]]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    tokenizer = Tokenizer.load(path)
    assert tokenizer.alphabet_order == "bytes"
    assert tokenizer.encode("hi!") == [260, ord("!") + 4]
    assert tokenizer.decode([260, 37]) == "hi!"
    assert tokenizer.to_dict() == data  # saved again byte for byte: the same cache key


def test_a_trained_file_says_its_order_and_an_older_reader_refuses_it(tmp_path):
    tokenizer = BPETokenizer.train("hello hello world", vocab_size=270)
    data = tokenizer.to_dict()
    assert data["version"] == 3 and data["alphabet_order"] == "printable"
    with pytest.raises(ValueError, match="newer"):
        check_version(data, FORMAT_VERSION, "tokenizer")  # what a version-1 seqlab does
    path = tmp_path / "bpe.json"
    tokenizer.save(path)
    loaded = Tokenizer.load(path)
    assert loaded.merges == tokenizer.merges and loaded.alphabet_order == "printable"
    assert loaded.encode("hello world!") == tokenizer.encode("hello world!")
    with pytest.raises(ValueError, match="alphabet_order"):
        Tokenizer.from_dict({**data, "alphabet_order": "ebcdic"})


def test_the_token_cache_keys_on_the_order(tmp_path):
    # the same merges under the two orders are different ids: never the other's cached ids
    merges = [(108, 109)]
    path = tmp_path / "corpus.txt"
    path.write_text("hi\n")
    keys = {cache_key([path], BPETokenizer(merges, alphabet_order=order), False, {})
            for order in bpe.ALPHABET_ORDERS}
    assert len(keys) == 2
