"""What the commands import before they need it: the corpus commands' resident floor.

Numba with LLVM adds ~130 MB to a process, SciPy and gensim ~60 MB, NumPy ~20 MB, `regex`
~4 MB: registering the commands, counting a corpus and training a BPE tokenizer below the
plain-Python merge limit must load none of them; word2vec needs NumPy and Numba, nothing else
heavy. Parsing options loads no Pydantic (~15 MB: Typer 0.29 validates every option with it;
the CLI keeps to Typer < 0.29, which parses with its own click)."""

import subprocess
import sys
import textwrap

import pytest

HEAVY = ("numba", "scipy", "gensim", "seqlab.seqmodels", "seqlab.autograd.tensor", "numpy",
         "regex", "pydantic")


def _loaded_after(code: str, also: tuple[str, ...] = ()) -> list[str]:
    """Which of HEAVY (and `also`) running `code` in a fresh process loaded."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import sys
        print()
        print("loaded:" + ",".join(m for m in {HEAVY + also!r} if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    last = done.stdout.splitlines()[-1]  # after whatever the code printed
    assert last.startswith("loaded:"), done.stdout
    return [m for m in last.removeprefix("loaded:").split(",") if m]


def test_registering_every_command_imports_none_of_the_heavy_libraries():
    assert _loaded_after("""
        from seqlab.cli.app import _register
        _register()
    """) == []


def test_small_bpe_training_runs_without_numba():
    assert _loaded_after("""
        from seqlab.nlp.tokenizers import BPETokenizer
        tokenizer = BPETokenizer.train("low lower newest widest the " * 50, vocab_size=280)
        assert len(tokenizer.merges) > 5
    """) == []


def test_word2vec_counts_words_before_loading_numba():
    assert _loaded_after("""
        from seqlab.nlp.word2vec import Word2Vec
        from seqlab.nlp.word2vec.vocab import build_vocabulary, scan_vocab
        raw = scan_vocab([["a", "b", "a"], ["b", "c"]])
        assert sorted(build_vocabulary(raw, 1, 1e-3).index_to_key) == ["a", "b", "c"]
    """) == ["numpy"]  # the model's arrays; no Numba yet


def _command_probe(*args: str) -> str:
    """Code that runs `seqlab ARGS` through the real entry point, as the console script does."""
    return f"""
        from seqlab.cli.app import main
        try:
            main({[str(a) for a in args]!r})
        except SystemExit as stop:
            assert not stop.code, stop.code
    """


def _corpus(tmp_path, ascii_only: bool = False) -> str:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat . the dog sat on the log .\n" * 300
                      + ("" if ascii_only else "naïve café owners don't pay 1,000€ .\n" * 50),
                      encoding="utf-8")
    return str(corpus)


@pytest.mark.parametrize("ascii_only", [True, False])
def test_tokenize_train_bpe_from_the_command_line_loads_none_of_them(tmp_path, ascii_only):
    """The whole command: options parsed, --out checked, corpus streamed, merges, JSON written.
    Non-ASCII text needs `regex`'s \\p{L} and \\p{N} (Hugging Face's split): only that."""
    out = tmp_path / "bpe.json"
    assert _loaded_after(_command_probe(
        "tokenize", "train", _corpus(tmp_path, ascii_only), "--level", "bpe", "--vocab-size",
        "300", "--out", out, "--json")) == ([] if ascii_only else ["regex"])
    assert out.exists()


def test_tokenize_train_loads_no_hashing_progress_bar_or_other_command(tmp_path):
    """What every command loaded at start-up before it needed it (~6 MB in all, most of a
    small BPE training's floor): OpenSSL's hashing, Rich's progress bar and tables, the other
    commands' modules."""
    light = ("hashlib", "rich.progress", "rich.table", "seqlab.cli.commands.train",
             "seqlab.cli.commands.ngram")
    out = tmp_path / "bpe.json"
    assert _loaded_after(_command_probe(
        "tokenize", "train", _corpus(tmp_path, True), "--level", "bpe", "--vocab-size", "300",
        "--out", out, "--json"), also=light) == []
    assert out.exists()


def _word2vec_train_loads(tmp_path, ascii_only: bool) -> set[str]:
    out = tmp_path / "vectors.txt"
    loaded = _loaded_after(_command_probe(
        "word2vec", "train", _corpus(tmp_path, ascii_only), "--dim", "8", "--epochs", "1",
        "--min-count", "1", "--workers", "1", "--out", out, "--json", "--quiet"))
    assert out.exists()
    return set(loaded)


def test_word2vec_train_from_the_command_line_loads_only_numpy_and_numba(tmp_path):
    """Nothing else heavy may come in on an ASCII corpus (the word pattern runs on `re` there);
    not SciPy's linear algebra either, which Numba's BLAS probe would import (the commands skip
    it: `blas_probe`; SciPy's top package, ~1 MB, is what Numba itself imports)."""
    loaded = _word2vec_train_loads(tmp_path, ascii_only=True)
    assert loaded <= {"numba", "numpy", "scipy"}, loaded
    assert "scipy.linalg" not in _loaded_after(_command_probe(
        "word2vec", "train", _corpus(tmp_path, True), "--dim", "8", "--epochs", "1",
        "--min-count", "1", "--workers", "1", "--out", tmp_path / "again.txt", "--quiet"),
        also=("scipy.linalg",))


def test_word2vec_train_on_non_ascii_text_adds_only_regex(tmp_path):
    """Combining marks need `regex`'s \\p{M}: loaded on the first non-ASCII line, not before."""
    loaded = _word2vec_train_loads(tmp_path, ascii_only=False)
    assert loaded <= {"numba", "numpy", "scipy", "regex"}, loaded
    assert "regex" in loaded


def test_word_tokenizer_on_ascii_text_loads_no_regex():
    assert _loaded_after("""
        from seqlab.nlp.tokenizers import WordTokenizer
        tokenizer = WordTokenizer()
        assert tokenizer.tokenize("don't stop, 1,000 times") == [
            "don't", "stop", ",", "1", ",", "000", "times"]
    """) == []
