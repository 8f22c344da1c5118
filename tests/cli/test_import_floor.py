"""What the commands import before they need it: the corpus commands' resident floor.

Numba with LLVM adds ~130 MB to a process, SciPy and gensim ~60 MB: registering the commands,
counting a corpus and training a small BPE tokenizer must not load them."""

import subprocess
import sys
import textwrap

HEAVY = ("numba", "scipy", "gensim", "seqlab.seqmodels", "seqlab.autograd.tensor")


def _loaded_after(code: str) -> list[str]:
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import sys
        print(",".join(m for m in {HEAVY!r} if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return [m for m in done.stdout.strip().split(",") if m]


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
    """) == []
