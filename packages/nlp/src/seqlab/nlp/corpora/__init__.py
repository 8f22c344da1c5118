"""Text input: files, folders and stdin streamed in chunks, and corpora embedded in gensim."""

from __future__ import annotations

from seqlab.nlp.corpora.embedded import (
    Analogy,
    CorpusInfo,
    LabelledText,
    WordPair,
    corpus_path,
    load,
    load_text,
    names,
)

# corpora.list() is the API the issue names; it stays out of __all__ so that a star import
# never shadows the builtin list.
from seqlab.nlp.corpora.embedded import list as list
from seqlab.nlp.corpora.reading import (
    COUNTING_CHUNK_BYTES,
    DEFAULT_CHUNK_BYTES,
    STDIN,
    CorpusDecodeError,
    FileRange,
    iter_chunks,
    iter_line_parts,
    iter_lines,
    read_text,
    resolve_paths,
)
from seqlab.nlp.corpora.spool import copy_stdin, has_stdin, replace_stdin, spooled_stdin
from seqlab.nlp.corpora.streaming import (
    TokenizedLines,
    builtin_pattern,
    encode_pieces,
    iter_pieces,
    safe_pieces,
    stream_token_ids,
    token_pattern,
)
from seqlab.nlp.corpora.wiki import WikiArticle

# The id cache needs NumPy (~20 MB resident): its names load on first use, so that counting a
# corpus (`tokenize train`) never imports it (PEP 562).
_TOKEN_CACHE_NAMES = ("cached_token_ids", "mapped_token_ids", "narrowest_unsigned",
                      "write_token_ids")


def __getattr__(name: str):
    if name in _TOKEN_CACHE_NAMES:
        from seqlab.nlp.corpora import token_cache

        return getattr(token_cache, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "COUNTING_CHUNK_BYTES",
    "DEFAULT_CHUNK_BYTES",
    "STDIN",
    "Analogy",
    "CorpusDecodeError",
    "CorpusInfo",
    "FileRange",
    "LabelledText",
    "TokenizedLines",
    "WikiArticle",
    "WordPair",
    "builtin_pattern",
    "cached_token_ids",
    "copy_stdin",
    "corpus_path",
    "encode_pieces",
    "has_stdin",
    "iter_chunks",
    "iter_line_parts",
    "iter_lines",
    "iter_pieces",
    "load",
    "load_text",
    "mapped_token_ids",
    "names",
    "narrowest_unsigned",
    "read_text",
    "replace_stdin",
    "resolve_paths",
    "safe_pieces",
    "spooled_stdin",
    "stream_token_ids",
    "token_pattern",
    "write_token_ids",
]
