"""Streaming training input: a text file with one sentence per line, tokens split on whitespace."""

from collections.abc import Iterator
from pathlib import Path

MAX_SENTENCE_LENGTH = 10000  # gensim's LineSentence splits longer lines into pieces of this size


class LineSentences:
    """Re-iterable over a text file's lines as token lists, like gensim's ``LineSentence``."""

    def __init__(self, path: str | Path, max_sentence_length: int = MAX_SENTENCE_LENGTH):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(
                f"corpus_file {str(self.path)!r} does not exist or is not a file: "
                "pass a text file with one sentence per line"
            )
        self.max_sentence_length = max_sentence_length

    def __iter__(self) -> Iterator[list[str]]:
        # newline="\n": lines end at "\n" only, as gensim reads binary lines (a lone "\r" is
        # whitespace inside a sentence, not universal newlines' line end)
        with open(self.path, encoding="utf8", newline="\n") as lines:
            for line in lines:
                tokens = line.split()
                for start in range(0, len(tokens), self.max_sentence_length):
                    yield tokens[start : start + self.max_sentence_length]
