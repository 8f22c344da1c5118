"""Plain text of the shortened English Wikipedia dump in gensim's test data, via gensim."""

from __future__ import annotations

import bz2
import re
from pathlib import Path
from typing import NamedTuple

_BOLD_ITALIC = re.compile(r"'{2,}")
_HEADING = re.compile(r"^(={2,6})\s*(.*?)\s*\1\s*$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_INNER_SPACES = re.compile(r"[ \t]+")


class WikiArticle(NamedTuple):
    """One article: its title and its text with the wiki markup removed."""

    title: str
    text: str


def clean_wiki_text(markup: str) -> str:
    """Wiki markup -> plain paragraphs: gensim's filter_wiki, then quotes, headings, spacing."""
    from gensim.corpora import wikicorpus  # here: gensim costs ~60 MB and 2 s to import

    text = wikicorpus.filter_wiki(markup)
    text = _BOLD_ITALIC.sub("", text)
    text = _HEADING.sub(r"\2", text)
    text = _INNER_SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def extract_articles(dump_path: str | Path) -> list[WikiArticle]:
    """Articles of a .xml.bz2 dump, skipping redirects and the stubs gensim's WikiCorpus skips."""
    from gensim.corpora import wikicorpus

    articles = []
    with bz2.open(dump_path, "rb") as dump:
        # Namespace 0 holds the articles (not talk, user, category ... pages).
        for title, markup, _page_id in wikicorpus.extract_pages(dump, filter_namespaces=("0",)):
            if markup.lstrip().lower().startswith("#redirect"):
                continue
            text = clean_wiki_text(markup)
            tokens = wikicorpus.tokenize(
                text, wikicorpus.TOKEN_MIN_LEN, wikicorpus.TOKEN_MAX_LEN, True
            )
            if len(tokens) < wikicorpus.ARTICLE_MIN_WORDS:
                continue
            articles.append(WikiArticle(title, text))
    return articles
