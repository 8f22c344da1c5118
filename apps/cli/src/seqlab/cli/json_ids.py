"""`tokenize decode`'s reader of `tokenize encode --json` on stdin: `seqlab.nlp`'s streamed
reader, its refusals as one-line CliErrors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from seqlab.cli.errors import CliError


def json_id_words(head: str, read: Callable[[int], str],
                  chunk_chars: int) -> Iterator[list[str]]:
    """`seqlab.nlp.tokenizers.json_ids.json_id_words`, whose `IdsJsonError` becomes a
    CliError with the same message."""
    from seqlab.nlp.tokenizers.json_ids import IdsJsonError
    from seqlab.nlp.tokenizers.json_ids import json_id_words as words

    try:
        yield from words(head, read, chunk_chars)
    except IdsJsonError as error:
        raise CliError(str(error)) from None
