"""qaA s24 #1 and #5: `tokenize encode MODEL` gives the ids the model reads (a word language
model reads </s> after each non-blank line, as `eval` and training do), and a
sequence-to-sequence model, which holds two tokenizers, is read with --side, never called
malformed."""

import json

import pytest
from inprocess import assert_one_line_failure, invoke

TEXT = "the cat sat on the mat\n\nthe dog sat on the log\n"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A word language model, its tokenizer JSON, and a seq2seq model (char source, word
    target), saved as the training commands save them (untrained: only the ids matter)."""
    from seqlab.nlp.tokenizers import CharTokenizer, WordTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint
    from seqlab.seqmodels.seq2seq.model import Seq2Seq
    from seqlab.seqmodels.seq2seq.translate import save_seq2seq

    folder = tmp_path_factory.mktemp("models")
    words = WordTokenizer.train(TEXT)
    words.save(folder / "word.json")
    lm = save_checkpoint(folder / "lm.safetensors",
                         LanguageModel(words.vocab_size, 4, 4, cell="gru", generator=0),
                         tokenizer=words.to_dict())
    chars = CharTokenizer.train(TEXT)
    s2s = save_seq2seq(folder / "s2s.safetensors",
                       Seq2Seq(chars.vocab_size, words.vocab_size, 4, 4, generator=0),
                       chars, words)
    text_file = folder / "text.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    return {"lm": lm, "json": folder / "word.json", "s2s": s2s, "words": words,
            "chars": chars, "text": text_file}


def _ids(done) -> list[int]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["ids"]


def test_a_word_models_ids_end_each_line_with_its_line_end(models):
    words = models["words"]
    by_hand = []
    for line in TEXT.splitlines():
        if line.strip():
            by_hand += [*words.encode(line), words.eos_id]
    assert _ids(invoke("tokenize", "encode", models["lm"], models["text"], "--json")) == by_hand
    assert _ids(invoke("tokenize", "encode", models["lm"], "--text", TEXT, "--json")) == by_hand
    # the tokenizer file alone gives the tokenizer's ids: no line ends
    plain = _ids(invoke("tokenize", "encode", models["json"], models["text"], "--json"))
    assert plain == words.encode(TEXT) and words.eos_id not in plain


def test_the_ids_are_the_ones_the_models_own_reader_makes(models):
    from seqlab.nlp.lm_text import encode_corpus

    done = invoke("tokenize", "encode", models["lm"], models["text"], "--json")
    assert _ids(done) == encode_corpus(models["words"], TEXT).tolist()


def test_a_seq2seq_model_names_its_two_tokenizers(models):
    done = invoke("tokenize", "encode", models["s2s"], "--text", "the cat")
    assert_one_line_failure(done, "sequence-to-sequence", "--side source", "--side target")
    assert "malformed" not in done.stderr
    source = _ids(invoke("tokenize", "encode", models["s2s"], "--side", "source", "--text",
                         "the cat", "--json"))
    assert source == models["chars"].encode("the cat")
    target = _ids(invoke("tokenize", "encode", models["s2s"], "--side", "target", "--text",
                         "the cat", "--json"))
    assert target == models["words"].encode("the cat")
    back = invoke("tokenize", "decode", models["s2s"], "--side", "target", *map(str, target))
    assert back.returncode == 0 and back.stdout.strip() == "the cat"


def test_export_takes_a_side_too(models, tmp_path):
    done = invoke("tokenize", "export", models["s2s"], "-o", tmp_path / "x.json")
    assert_one_line_failure(done, "--side source")
    done = invoke("tokenize", "export", models["s2s"], "--side", "target", "-o",
                  tmp_path / "t.json")
    assert done.returncode == 0, done.stderr
    assert invoke("tokenize", "export", models["json"], "-o", tmp_path / "w.json").returncode == 0
    assert (tmp_path / "t.json").read_text() == (tmp_path / "w.json").read_text()


def test_side_is_refused_where_there_is_one_tokenizer(models):
    done = invoke("tokenize", "encode", models["lm"], "--side", "source", "--text", "the")
    assert_one_line_failure(done, "--side", "sequence-to-sequence")


ROUND_TRIP = "the cat sat on the mat\nthe dog sat on the log\nthe cat\n"


def test_a_word_models_ids_decode_back_to_its_lines(models, tmp_path):
    """qaA s24 #1 follow-up: `decode MODEL` turns </s> into a line end, as the model's own
    decoder (and `generate`) does, so `encode MODEL FILE | decode MODEL` gives the lines back
    (blank lines, which give no ids, are the documented loss)."""
    from seqlab.nlp.lm_text import decoder

    source = tmp_path / "round.txt"
    source.write_text(ROUND_TRIP, encoding="utf-8")
    ids = _ids(invoke("tokenize", "encode", models["lm"], source, "--json"))
    back = invoke("tokenize", "decode", models["lm"], *map(str, ids))
    assert back.returncode == 0, back.stderr
    assert back.stdout == ROUND_TRIP == decoder(models["words"])(ids)
    # a blank line gives no ids, so it does not come back
    with_blank = invoke("tokenize", "encode", models["lm"], models["text"], "--json")
    back = invoke("tokenize", "decode", models["lm"], *map(str, _ids(with_blank)))
    assert back.stdout == TEXT.replace("\n\n", "\n")
    # the tokenizer file alone has no line rule: </s> is a special token, skipped
    plain = invoke("tokenize", "decode", models["json"], *map(str, ids))
    assert "\n" not in plain.stdout


def test_streamed_line_ends_join_as_the_whole_decode():
    from seqlab.nlp.lm_text import decode_model_pieces, decoder
    from seqlab.nlp.tokenizers import WordTokenizer

    words = WordTokenizer.train("the cat , sat . on ( the ) mat\n")
    ids = []
    for line in ("the cat , sat", "( the ) mat .", "on the mat"):
        ids += [*words.encode(line), words.eos_id]
    whole = decoder(words)(ids)
    assert whole == "the cat, sat\n(the) mat.\non the mat\n"  # the word spacing, per line
    for size in (1, 2, 3, 5, len(ids)):
        pieces = [ids[i:i + size] for i in range(0, len(ids), size)]
        assert "".join(decode_model_pieces(words, pieces)) == whole
