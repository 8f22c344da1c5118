"""Corpora and evaluation sets that ship with gensim's test data, by name."""

from __future__ import annotations

import builtins
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from seqlab.nlp.corpora.wiki import WikiArticle, extract_articles


class LabelledText(NamedTuple):
    """A sentence with its label ("pos" or "neg" for polarity)."""

    label: str
    text: str


class WordPair(NamedTuple):
    """A word pair with its human similarity score (wordsim353, simlex999)."""

    word1: str
    word2: str
    score: float


class Analogy(NamedTuple):
    """a : b :: c : d, from one section of questions-words (e.g. "capital-common-countries")."""

    section: str
    a: str
    b: str
    c: str
    d: str


@dataclass(frozen=True)
class CorpusInfo:
    """What list() says about one embedded corpus."""

    name: str
    kind: str  # "text" (for training) or "evaluation"
    description: str
    path: Path
    size_bytes: int
    records: int | None  # lines/pairs/questions; None where counting means parsing (wiki)


def _lines(path: Path, encoding: str = "utf-8") -> list[str]:
    return [line.rstrip("\r\n") for line in path.read_text(encoding=encoding).split("\n")]


def _load_lee(path: Path) -> list[str]:
    return [line.strip() for line in _lines(path) if line.strip()]


def _load_polarity(path: Path) -> list[LabelledText]:
    records = []
    # The file is Windows-1252 (its dashes are byte 0x97), not UTF-8.
    for number, line in enumerate(_lines(path, encoding="cp1252"), start=1):
        if not line.strip():
            continue
        label, _, text = line.partition(" ")
        if not label.startswith("__label__"):
            raise ValueError(f"{path}:{number}: expected '__label__<name> text', got {line[:40]!r}")
        records.append(LabelledText(label.removeprefix("__label__"), text.strip()))
    return records


def _load_word_pairs(path: Path) -> list[WordPair]:
    pairs = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path}:{number}: expected 'word1<TAB>word2<TAB>score'")
        pairs.append(WordPair(fields[0], fields[1], float(fields[2])))
    return pairs


def _load_analogies(path: Path) -> list[Analogy]:
    analogies, section = [], ""
    for number, line in enumerate(_lines(path), start=1):
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            words = line.split()
            if len(words) != 4:
                raise ValueError(f"{path}:{number}: expected 4 words, got {len(words)}")
            analogies.append(Analogy(section, *words))
    return analogies


def _load_wiki(path: Path) -> list[WikiArticle]:
    return extract_articles(path)


@dataclass(frozen=True)
class _Entry:
    file: str
    kind: str
    description: str
    loader: Callable[[Path], builtins.list[Any]]
    count_records: Callable[[Path], int] | None


def _count_nonblank(path: Path) -> int:
    return sum(1 for line in _lines(path, "latin-1") if line.strip())


def _count_data_lines(path: Path) -> int:
    return sum(1 for line in _lines(path) if line.strip() and not line.startswith(("#", ":")))


_CORPORA: dict[str, _Entry] = {
    "lee": _Entry(
        "lee_background.cor",
        "text",
        "Lee news corpus: one Australian news story per line",
        _load_lee,
        _count_nonblank,
    ),
    "polarity": _Entry(
        "pang_lee_polarity.cor",
        "text",
        "Pang & Lee movie-review sentences labelled pos/neg -> LabelledText(label, text)",
        _load_polarity,
        _count_nonblank,
    ),
    "wiki": _Entry(
        "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
        "text",
        "shortened English Wikipedia dump -> WikiArticle(title, text), extracted on load (seconds)",
        _load_wiki,
        None,
    ),
    "wordsim353": _Entry(
        "wordsim353.tsv",
        "evaluation",
        "WordSim-353 similarity -> WordPair(word1, word2, score)",
        _load_word_pairs,
        _count_data_lines,
    ),
    "simlex999": _Entry(
        "simlex999.txt",
        "evaluation",
        "SimLex-999 similarity -> WordPair(word1, word2, score)",
        _load_word_pairs,
        _count_data_lines,
    ),
    "questions-words": _Entry(
        "questions-words.txt",
        "evaluation",
        "Mikolov et al. word analogies -> Analogy(section, a, b, c, d)",
        _load_analogies,
        _count_data_lines,
    ),
}


def names() -> builtins.list[str]:
    """Names of the embedded corpora."""
    return builtins.list(_CORPORA)


def _entry(name: str) -> _Entry:
    try:
        return _CORPORA[name]
    except KeyError:
        raise KeyError(f"unknown corpus {name!r}; embedded corpora are {names()}") from None


def _gensim_test_data() -> Path:
    """gensim's test-data folder, the one `gensim.test.utils.datapath` joins names to, found
    without importing gensim: its import brings SciPy (~90 MB resident, seconds) to commands
    that only read a file from it (`corpora`, `word2vec evaluate`, lee, polarity)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'gensim'", name="gensim")
    return Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data"


def corpus_path(name: str) -> Path:
    """The gensim test-data file behind a corpus (for tools that read the file themselves)."""
    path = _gensim_test_data() / _entry(name).file
    if not path.is_file():
        raise FileNotFoundError(f"corpus {name!r} should be at {path}; is gensim fully installed?")
    return path


def list() -> builtins.list[CorpusInfo]:
    """Every embedded corpus with its kind, file, size in bytes and record count."""
    infos = []
    for name, entry in _CORPORA.items():
        path = corpus_path(name)
        records = entry.count_records(path) if entry.count_records else None
        size = path.stat().st_size
        infos.append(CorpusInfo(name, entry.kind, entry.description, path, size, records))
    return infos


@cache
def _load_cached(name: str) -> tuple[Any, ...]:
    # Parsed once per process (wiki takes seconds); nothing is written to disk.
    return tuple(_entry(name).loader(corpus_path(name)))


def load(name: str) -> builtins.list[Any]:
    """Records of a corpus: lee -> str, polarity -> LabelledText, wiki -> WikiArticle,
    wordsim353/simlex999 -> WordPair, questions-words -> Analogy."""
    return builtins.list(_load_cached(name))


def load_text(name: str) -> str:
    """A text corpus as one training string: one line per story/sentence, articles split by a
    blank line."""
    entry = _entry(name)
    if entry.kind != "text":
        raise ValueError(
            f"corpus {name!r} is an evaluation set, not text; text corpora: "
            f"{[n for n, e in _CORPORA.items() if e.kind == 'text']}"
        )
    records = load(name)
    if name == "wiki":
        return "\n\n".join(f"{article.title}\n\n{article.text}" for article in records) + "\n"
    if name == "polarity":
        return "\n".join(record.text for record in records) + "\n"
    return "\n".join(records) + "\n"
