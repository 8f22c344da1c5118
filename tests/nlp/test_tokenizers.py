"""Char, word and byte-level BPE tokenizers: round trips, unknowns, batches, JSON, BPE kernel."""

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp.tokenizers import (
    SPECIAL_TOKENS,
    BPETokenizer,
    CharTokenizer,
    Tokenizer,
    WordTokenizer,
    load_tokenizer,
)
from seqlab.nlp.tokenizers.bpe import FIRST_MERGE_ID
from seqlab.nlp.tokenizers.bpe_kernels import reference_train_merges, train_merges

CORPUS = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n"
    "Naïve café owners don't pay 1,000€ — they're 日本語 speakers.\n"
) * 3


@pytest.fixture(scope="module")
def bpe() -> BPETokenizer:
    return BPETokenizer.train(CORPUS, vocab_size=350, min_frequency=2)


def all_tokenizers(bpe_tokenizer):
    return [
        CharTokenizer.train(CORPUS),
        CharTokenizer(byte_level=True),
        WordTokenizer.train(CORPUS, lowercase=True),
        bpe_tokenizer,
    ]


# ---------------------------------------------------------------- shared behaviour


def test_special_ids_are_shared(bpe):
    for tokenizer in all_tokenizers(bpe):
        special_ids = (tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id)
        assert special_ids == (0, 1, 2, 3)
        assert [tokenizer.id_to_token(i) for i in range(4)] == list(SPECIAL_TOKENS)
        assert [tokenizer.token_to_id(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3]


def test_encode_batch_pads_and_reports_lengths(bpe):
    texts = ["Speak, speak.", "", "You are all resolved"]
    for tokenizer in all_tokenizers(bpe):
        ids, lengths = tokenizer.encode_batch(texts, add_bos=True, add_eos=True)
        assert ids.dtype == np.int64 and lengths.dtype == np.int64
        assert ids.shape == (3, lengths.max())
        for row, length, text in zip(ids, lengths, texts):
            expected = [tokenizer.bos_id, *tokenizer.encode(text), tokenizer.eos_id]
            assert row[:length].tolist() == expected
            assert (row[length:] == tokenizer.pad_id).all()
        assert tokenizer.decode_batch(ids, lengths) == [
            tokenizer.decode(tokenizer.encode(t)) for t in texts
        ]
        empty_ids, empty_lengths = tokenizer.encode_batch([])
        assert empty_ids.shape == (0, 0) and empty_lengths.shape == (0,)


def test_save_load_round_trip_for_every_type(tmp_path, bpe):
    for number, tokenizer in enumerate(all_tokenizers(bpe)):
        path = tmp_path / f"tokenizer{number}.json"
        tokenizer.save(path)
        for loaded in (load_tokenizer(path), type(tokenizer).load(path)):
            assert type(loaded) is type(tokenizer)
            assert loaded.to_dict() == tokenizer.to_dict()
            assert loaded.encode(CORPUS) == tokenizer.encode(CORPUS)


def test_load_rejects_non_tokenizer_files(tmp_path, bpe):
    cases = {
        "garbage.json": "{ not json",
        "vocab.json": json.dumps({"type": "vocabulary", "tokens": []}),
        "list.json": json.dumps([1, 2, 3]),
        "bad_merges.json": json.dumps({"type": "bpe", "merges": [[5, 999]]}),
        "no_merges.json": json.dumps({"type": "bpe"}),
        "bad_vocab.json": json.dumps({"type": "word", "pattern": "\\w+", "vocab": {"tokens": 3}}),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(ValueError, match=re.escape(name)):
            load_tokenizer(path)
    bpe.save(tmp_path / "bpe.json")
    with pytest.raises(ValueError, match=r"bpe\.json"):
        CharTokenizer.load(tmp_path / "bpe.json")
    with pytest.raises(FileNotFoundError, match=r"nowhere\.json"):
        load_tokenizer(tmp_path / "nowhere.json")


def test_from_dict_dispatches_on_type(bpe):
    assert isinstance(Tokenizer.from_dict(bpe.to_dict()), BPETokenizer)
    with pytest.raises(ValueError, match="type"):
        Tokenizer.from_dict({"type": "sentencepiece"})


# ---------------------------------------------------------------- characters


def test_char_decode_is_exact_for_seen_text_and_unknowns_never_crash():
    tokenizer = CharTokenizer.train(CORPUS)
    assert tokenizer.decode(tokenizer.encode(CORPUS)) == CORPUS
    assert tokenizer.vocab_size == 4 + len(set(CORPUS))
    probe = "ZQ!e"
    ids = tokenizer.encode(probe)
    assert [i == tokenizer.unk_id for i in ids] == [c not in CORPUS for c in probe]
    assert "Z" not in CORPUS and {"a", "e"} <= set(CORPUS)
    assert tokenizer.decode(tokenizer.encode("aZe")) == "a\ufffde"
    assert tokenizer.decode(tokenizer.encode("aZe"), skip_special_tokens=False) == "a<unk>e"


def test_char_min_count_and_max_size_keep_the_most_frequent():
    tokenizer = CharTokenizer.train("aaaabbbcc d", min_count=2)
    assert tokenizer.alphabet == ["a", "b", "c"]
    tokenizer = CharTokenizer.train("aaaabbbcc d", max_size=6)
    assert sorted(tokenizer.alphabet) == ["a", "b"]


def test_char_nfc_normalisation_merges_combining_sequences():
    decomposed = "cafe\u0301"  # e + combining acute accent
    plain = CharTokenizer.train(decomposed)
    nfc = CharTokenizer.train(decomposed, normalize="NFC")
    assert len(plain.encode(decomposed)) == 5
    assert nfc.encode(decomposed) == nfc.encode("caf\u00e9") and len(nfc.encode(decomposed)) == 4
    with pytest.raises(ValueError, match="normalize"):
        CharTokenizer(normalize="NFX")


@settings(deadline=None, max_examples=60)
@given(st.text())
def test_char_byte_mode_round_trips_any_text(text):
    tokenizer = CharTokenizer(byte_level=True)
    ids = tokenizer.encode(text)
    assert len(ids) == len(text.encode("utf-8"))
    assert tokenizer.decode(ids) == text


@settings(deadline=None, max_examples=40)
@given(st.text())
def test_char_encode_never_crashes_and_matches_a_dict_lookup(text):
    tokenizer = CharTokenizer.train(CORPUS)
    expected = [tokenizer.token_to_id(c) for c in text]
    assert tokenizer.encode(text) == expected


# ---------------------------------------------------------------- words


def test_word_tokenize_keeps_punctuation_and_contractions():
    tokenizer = WordTokenizer()
    assert tokenizer.tokenize("Don't stop, O'Neil! (Now.)") == [
        "Don't",
        "stop",
        ",",
        "O'Neil",
        "!",
        "(",
        "Now",
        ".",
        ")",
    ]
    assert WordTokenizer(lowercase=True).tokenize("The THE the") == ["the"] * 3


def test_word_vocabulary_pruning_and_unknowns():
    tokenizer = WordTokenizer.train(CORPUS, min_count=6, lowercase=True)
    # Every line is repeated 3 times, so min_count=6 keeps only words seen twice per copy.
    once_per_copy = {"before", "we", "proceed", "hear", "me", "you"}
    assert once_per_copy.isdisjoint(tokenizer.vocab.tokens)
    assert {"first", "citizen", ":", "speak", "."} <= set(tokenizer.vocab.tokens)
    assert tokenizer.encode("proceed")[0] == tokenizer.unk_id
    assert WordTokenizer.train(CORPUS, max_size=10).vocab_size == 10


def test_word_decode_rebuilds_readable_text():
    tokenizer = WordTokenizer.train(CORPUS + "(aside)")
    line = "You are all resolved rather to die than to famish?"
    assert tokenizer.decode(tokenizer.encode(line)) == line
    assert tokenizer.decode([tokenizer.bos_id, *tokenizer.encode("(Speak, speak.)")]) == (
        "(Speak, speak.)"
    )


def test_word_tokenizer_without_vocabulary_explains_itself():
    with pytest.raises(ValueError, match="train"):
        WordTokenizer().encode("hello")


# ---------------------------------------------------------------- byte-level BPE


@settings(deadline=None, max_examples=150)
@given(st.text())
def test_bpe_round_trips_any_text(bpe, text):
    assert bpe.decode(bpe.encode(text)) == text


@settings(deadline=None, max_examples=30)
@given(st.text(alphabet="ab cd\n", max_size=60))
def test_bpe_pretokens_cover_the_text(bpe, text):
    assert "".join(bpe.pretokenize(text)) == text


def test_bpe_hand_computed_merges():
    # "aaabdaaabac": (a,a) is seen 4 times; then (a,b) and (aa,a) tie at 2 and the smaller
    # key (a,b) wins; then (aa,ab) is seen twice; every other pair once, below min_frequency.
    tokenizer = BPETokenizer.train("aaabdaaabac", vocab_size=300, min_frequency=2)
    # bytes numbered as Hugging Face's trainer does: printable characters in code-point
    # order after the 4 specials, "!" (33) first, so printable ASCII c has id c - 33 + 4
    a, b, c, d = (ord(ch) - ord("!") + 4 for ch in "abcd")
    assert tokenizer.merges == [(a, a), (a, b), (260, 261)]
    assert tokenizer.encode("aaabdaaabac") == [262, d, 262, a, c]
    assert tokenizer.token_bytes(262) == b"aaab" and tokenizer.vocab_size == 263


def test_bpe_reaches_the_target_vocab_size_and_compresses(bpe):
    assert bpe.vocab_size == 350
    assert len(bpe.encode(CORPUS)) < len(CORPUS.encode("utf-8")) / 2


def test_bpe_stops_when_every_word_is_one_token():
    # Each line of CORPUS occurs 3 times, so with no size limit every word ends up merged whole.
    tokenizer = BPETokenizer.train(CORPUS, vocab_size=100_000, min_frequency=2)
    assert tokenizer.vocab_size < 100_000
    for word in set(tokenizer.pretokenize(CORPUS)):
        assert len(tokenizer.encode(word)) == 1, word


def apply_merges_in_order(tokenizer: BPETokenizer, text: str) -> list[int]:
    """Independent encoder: apply merge k to every word, left to right, for k = 0, 1, ..."""
    byte_id = {tokenizer.token_bytes(i): i for i in range(4, 260)}
    ids = []
    for word in tokenizer.pretokenize(text):
        symbols = [byte_id[bytes([byte])] for byte in word.encode("utf-8")]
        for rank, (left, right) in enumerate(tokenizer.merges):
            merged, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == (left, right):
                    merged.append(FIRST_MERGE_ID + rank)
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        ids.extend(symbols)
    return ids


def test_bpe_encode_matches_merges_applied_in_order(bpe):
    text = CORPUS + "Speakers proceed; citizens famish. 1,000€?"
    assert bpe.encode(text) == apply_merges_in_order(bpe, text)


def test_bpe_rejects_bad_arguments():
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train(CORPUS, vocab_size=100)
    with pytest.raises(ValueError, match="merge 0"):
        BPETokenizer([(4, 260)])


@pytest.mark.kernels
def test_train_merges_kernel_matches_reference():
    rng = np.random.default_rng(7)
    for _ in range(40):
        n_words = int(rng.integers(1, 7))
        lengths = rng.integers(1, 9, n_words)
        # Tiny alphabets make overlapping pairs like (a, a) in "aaaa" common.
        symbols = rng.integers(4, 4 + int(rng.integers(1, 4)), int(lengths.sum()))
        counts = rng.integers(1, 5, n_words)
        n_merges, min_frequency = int(rng.integers(0, 10)), int(rng.integers(1, 3))
        got = train_merges(symbols, lengths, counts, n_merges, min_frequency, 8)
        expected = reference_train_merges(symbols, lengths, counts, n_merges, min_frequency, 8)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.kernels
def test_train_merges_kernel_matches_reference_on_text():
    words = {"low": 5, "lower": 2, "newest": 6, "widest": 3, " the": 9, "aaaa": 2}
    encoded = [w.encode() for w in words]
    symbols = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.int64) + 4
    lengths = np.array([len(w) for w in encoded])
    counts = np.array(list(words.values()))
    got = train_merges(symbols, lengths, counts, 12, 2, FIRST_MERGE_ID)
    expected = reference_train_merges(symbols, lengths, counts, 12, 2, FIRST_MERGE_ID)
    np.testing.assert_array_equal(got, expected)
    assert len(got) > 5


def test_tokenize_keeps_what_the_vocabulary_lacks():
    # tokenize is the split before the vocabulary: encode's <unk> pieces stay as written
    # (what seq2seq eval compares the model's output with)
    char = CharTokenizer.train("abc", lowercase=True)
    assert char.tokenize("AbZ!") == ["a", "b", "z", "!"]
    assert [char.token_to_id(t) for t in char.tokenize("AbZ!")] == char.encode("AbZ!")
    assert CharTokenizer(byte_level=True).tokenize("é") == ["<0xC3>", "<0xA9>"]
    word = WordTokenizer.train("the cat")
    assert word.tokenize("the dog!") == ["the", "dog", "!"]
    bpe = BPETokenizer.train("hello hello world", vocab_size=262)
    pieces = bpe.tokenize("hello, wörld")
    assert [bpe.token_to_id(p) for p in pieces] == bpe.encode("hello, wörld")
    assert bpe.unk_id not in bpe.encode("hello, wörld")
