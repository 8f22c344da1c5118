"""Sentences passed through once on their way to counting or scoring, counted as they go: the
sentence and token totals an n-gram command reports, without a list of the corpus."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

TOKENS_EVERY = 4096  # sentences between the token-count reports to `on_tokens`


class SentenceTally:
    """Passes sentences through once, counting sentences and tokens; a `ContinuedLine` is
    part of the sentence the next item ends. One item at a time, never a batch ahead: a long
    line's parts are only read as counting or scoring takes them (2M items: +0.05 s).

    `on_tokens` hears the token count so far every `TOKENS_EVERY` sentences and once at the
    end; with `known` (a model's vocabulary) `unknown` counts the tokens not in it."""

    def __init__(self, sentences: Iterable[list[str]], known: set[str] | None = None,
                 on_tokens: Callable[[int], None] | None = None) -> None:
        self.source, self.sentences, self.tokens = sentences, 0, 0
        self.on_tokens = on_tokens
        self.known, self.unknown = known, 0

    def __iter__(self) -> Iterator[list[str]]:
        from seqlab.nlp.ngram.sentences import ContinuedLine

        for sentence in self.source:
            self.tokens += len(sentence)
            if not isinstance(sentence, ContinuedLine):
                self.sentences += 1
                if self.on_tokens is not None and self.sentences % TOKENS_EVERY == 0:
                    self.on_tokens(self.tokens)
            if self.known is not None:
                self.unknown += len(sentence) - sum(map(self.known.__contains__, sentence))
            yield sentence
        if self.on_tokens is not None:
            self.on_tokens(self.tokens)
