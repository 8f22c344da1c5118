"""Reading files/folders/stdin in chunks with error policies, and the corpora embedded in gensim."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.nlp import corpora
from seqlab.nlp.corpora import CorpusDecodeError, iter_chunks, iter_lines, read_text

# ---------------------------------------------------------------- reading


def test_read_text_returns_a_file_exactly(tmp_path):
    text = "line one\r\nzwei — drei\n日本語\nno newline at end"
    path = tmp_path / "a.txt"
    path.write_bytes(text.encode("utf-8"))
    assert read_text(path) == text
    assert read_text(str(path)) == text


def test_folders_are_read_recursively_in_order_with_a_pattern(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text("second\n")
    (tmp_path / "a.txt").write_text("first")  # no trailing newline: one is added between files
    (tmp_path / "sub" / "c.txt").write_text("third\n")
    (tmp_path / "notes.md").write_text("ignored\n")
    assert read_text(tmp_path) == "first\nsecond\nthird\n"
    assert read_text(tmp_path, pattern="*.md") == "ignored\n"
    assert read_text([tmp_path / "sub" / "c.txt", tmp_path / "a.txt"]) == "third\nfirst"


def test_an_empty_path_is_refused_not_read_as_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("would be read\n")
    for source in ("", ["", "a.txt"]):
        with pytest.raises(ValueError, match="an input path is empty"):
            corpora.resolve_paths(source)


def test_stdin_is_read_with_a_dash():
    stream = io.BytesIO(b"from stdin\nsecond line\n")
    assert read_text("-", stdin=stream) == "from stdin\nsecond line\n"


@settings(deadline=None, max_examples=40)
# NUL is excluded: a NUL byte marks a binary file, which is rejected (tested below).
@given(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=200),
    st.integers(1, 9),
)
def test_chunks_rejoin_to_the_text_even_when_characters_straddle_blocks(text, chunk_bytes):
    stream = io.BytesIO(text.encode("utf-8"))
    chunks = list(iter_chunks("-", stdin=stream, chunk_bytes=chunk_bytes))
    assert "".join(chunks) == text
    # Chunks end at line ends unless one line outgrows the carry limit.
    for chunk in chunks[:-1]:
        assert chunk.endswith("\n") or len(chunk) > 4 * chunk_bytes


def test_large_inputs_stream_in_bounded_chunks_and_lazily():
    line = "to be or not to be, that is the question\n"
    data = (line * 50_000).encode()  # about 2 MB
    reads = []

    class CountingStream(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    stream = CountingStream(data)
    chunks = iter_chunks("-", stdin=stream, chunk_bytes=64 * 1024)
    first = next(chunks)
    assert len(reads) == 1 and all(size == 64 * 1024 for size in reads)  # nothing read ahead
    sizes = [len(first)] + [len(chunk) for chunk in chunks]
    # A chunk is one block plus the partial line carried over from the block before.
    assert max(sizes) <= 64 * 1024 + len(line) and sum(sizes) == len(data)
    assert len(sizes) >= len(data) // (64 * 1024)


def test_iter_lines_splits_on_newlines_only(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"one\r\ntwo\x0cstill two\n\nlast")
    assert list(iter_lines(path)) == ["one", "two\x0cstill two", "", "last"]
    assert list(iter_lines(path, keep_ends=True)) == ["one\r\n", "two\x0cstill two\n", "\n", "last"]


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 1 << 20])
@pytest.mark.parametrize("prefix", [b"", b"abc", "é日".encode()])
def test_strict_errors_name_the_file_and_byte_offset(tmp_path, chunk_bytes, prefix):
    for bad in (b"\xff", b"\xe6\x97"):  # an invalid byte; a character cut short at the end
        path = tmp_path / "bad.txt"
        path.write_bytes(prefix + b"ok" + bad)
        offset = len(prefix) + 2
        with pytest.raises(CorpusDecodeError, match=rf"bad\.txt.*byte offset {offset}\b"):
            read_text(path, chunk_bytes=chunk_bytes)
        replaced = read_text(path, chunk_bytes=chunk_bytes, errors="replace")
        assert replaced == prefix.decode() + "ok\ufffd"


def test_other_encodings_are_honoured(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("café — ok".encode("cp1252"))
    assert read_text(path, encoding="cp1252") == "café — ok"
    wide = tmp_path / "wide.txt"
    wide.write_bytes("wide text\n".encode("utf-16"))  # full of NUL bytes, yet text
    assert read_text(wide, encoding="utf-16") == "wide text\n"


def test_binary_files_missing_paths_and_bad_options_are_clear_errors(tmp_path):
    binary = tmp_path / "model.txt"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(ValueError, match=r"model\.txt.*binary.*offset 4"):
        read_text(binary)
    with pytest.raises(FileNotFoundError, match=r"nothing-here\.txt"):
        read_text(tmp_path / "nothing-here.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        read_text(empty)
    with pytest.raises(ValueError, match="errors"):
        read_text(binary, errors="ignore-please")
    with pytest.raises(ValueError, match="no input"):
        read_text([])
    with pytest.raises(LookupError):
        read_text(binary, encoding="no-such-codec")


# ---------------------------------------------------------------- embedded corpora


def raw_lines(name):
    return corpora.corpus_path(name).read_bytes().decode("latin-1").splitlines()


def test_list_names_every_corpus_with_its_file_size():
    infos = {info.name: info for info in corpora.list()}
    assert set(infos) == {"lee", "polarity", "wiki", "wordsim353", "simlex999", "questions-words"}
    for name, info in infos.items():
        assert info.size_bytes == corpora.corpus_path(name).stat().st_size > 0
        if info.records is not None:
            assert info.records == len(corpora.load(name)), name


def test_lee_is_one_story_per_line():
    stories = corpora.load("lee")
    assert stories == [line.strip() for line in raw_lines("lee") if line.strip()]
    assert corpora.load_text("lee") == "\n".join(stories) + "\n"


def test_polarity_is_labelled_sentences_decoded_from_cp1252():
    records = corpora.load("polarity")
    lines = [line for line in raw_lines("polarity") if line.strip()]
    assert len(records) == len(lines)
    assert {r.label for r in records} == {"pos", "neg"}
    labels = [line.split()[0].removeprefix("__label__") for line in lines]
    assert [r.label for r in records] == labels
    text = "\n".join(r.text for r in records)
    assert "\u2014" in text and "\ufffd" not in text  # byte 0x97 is an em dash in cp1252


def test_word_similarity_sets_parse_to_scored_pairs():
    for name in ("wordsim353", "simlex999"):
        pairs = corpora.load(name)
        data = [line.split("\t") for line in raw_lines(name) if not line.startswith("#")]
        assert [(p.word1, p.word2, p.score) for p in pairs] == [
            (a, b, float(s)) for a, b, s in data
        ]
        assert all(0.0 <= p.score <= 10.0 for p in pairs)


def test_questions_words_keep_their_sections():
    analogies = corpora.load("questions-words")
    sections = [line[1:].strip() for line in raw_lines("questions-words") if line.startswith(":")]
    assert list(dict.fromkeys(a.section for a in analogies)) == sections
    assert analogies[0] == corpora.Analogy(sections[0], *raw_lines("questions-words")[1].split())


def test_wiki_is_plain_article_text():
    articles = corpora.load("wiki")
    assert len(articles) > 50
    assert len({a.title for a in articles}) == len(articles)
    for article in articles:
        assert not article.text.lower().startswith("#redirect")
        assert "'''" not in article.text and "[[" not in article.text and "{{" not in article.text
    assert len(corpora.load_text("wiki")) > 1_000_000


def test_unknown_names_and_evaluation_sets_as_text_are_refused():
    with pytest.raises(KeyError, match="lee"):
        corpora.load("imdb")
    with pytest.raises(ValueError, match="evaluation"):
        corpora.load_text("wordsim353")
