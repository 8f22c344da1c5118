"""Embedded corpora are found where gensim's own `datapath` says, without importing gensim
(its import brings SciPy: ~90 MB resident and seconds to `seqlab corpora` and evaluation)."""

import subprocess
import sys

import pytest

from seqlab.nlp import corpora


@pytest.mark.parametrize("name", corpora.names())
def test_each_corpus_is_the_file_gensims_datapath_names(name):
    from gensim.test.utils import datapath

    from seqlab.nlp.corpora.embedded import _entry

    assert str(corpora.corpus_path(name)) == datapath(_entry(name).file)


def test_listing_the_corpora_imports_neither_gensim_nor_scipy():
    probe = ("import sys\n"
             "from seqlab.nlp import corpora\n"
             "assert len(corpora.list()) == len(corpora.names())\n"
             "print(sorted(m for m in ('gensim', 'scipy') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
