"""Text in, text out: encode a prompt, stream decoded pieces, honour stop strings."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

import numpy as np

from seqlab.nlp.generation.protocol import TokenModel
from seqlab.nlp.generation.sampling import SamplingOptions, sample_chunks

# How many previous tokens to re-decode for each new piece: enough for a multi-byte character
# split across byte-level BPE tokens to come out whole.
DECODE_WINDOW = 8
MAX_HELD = 3  # ids held back at most while a character is incomplete


class UnknownPromptWarning(UserWarning):
    """The prompt held characters or words the model never saw; they became <unk>."""


def encode_prompt(encode: Callable[[str], list[int]], prompt: str,
                  unk_id: int | None) -> list[int]:
    """Encode the prompt, warning (never failing) when parts of it map to <unk>."""
    ids = encode(prompt)
    if unk_id is not None:
        unknown = sum(1 for i in ids if i == unk_id)
        if unknown:
            warnings.warn(
                f"{unknown} token(s) of the prompt are not in the model's vocabulary and were "
                "replaced by <unk>",
                UnknownPromptWarning,
                stacklevel=2,
            )
    return ids


def stream_pieces(ids: Iterator[int], decode: Callable[[Sequence[int]], str],
                  history: Sequence[int] = ()) -> Iterator[str]:
    """Decode ids one at a time into the text each adds (held back while a character is split)."""
    window = list(history)[-DECODE_WINDOW:]
    pending: list[int] = []
    for token in ids:
        pending.append(token)
        before = decode(window)
        after = decode(window + pending)
        if after.endswith("\ufffd") and len(pending) < 4:
            continue  # an incomplete UTF-8 sequence: wait for its next byte
        piece = after[_common_prefix(before, after):]
        window = (window + pending)[-DECODE_WINDOW:]
        pending = []
        if piece:
            yield piece
    if pending:  # the ids ended inside a character: its bytes are dropped (`_rest`)
        yield from _rest(window, pending, decode)


def stream_chunk_pieces(chunks: Iterable[Sequence[int]], decode: Callable[[Sequence[int]], str],
                        history: Sequence[int] = ()) -> Iterator[str]:
    """`stream_pieces` for lists of ids: one piece (two decodes) per list, not per id.

    An incomplete UTF-8 sequence at the end of a list waits for the next list, at most
    MAX_HELD ids, as `stream_pieces` waits for the next id.
    """
    window = list(history)[-DECODE_WINDOW:]
    pending: list[int] = []
    for chunk in chunks:
        pending.extend(chunk)
        ready, after = _complete_prefix(window, pending, decode)
        if ready < 0:
            if len(pending) <= MAX_HELD:
                continue  # all of it may still be one character: wait for the next ids
            # not UTF-8 after all: show the replacement characters, up to a last character
            # that may still be whole with the next ids
            ready = len(pending) - _incomplete_tail(window + pending, decode)
            after = decode(window + pending[:ready])
        before = decode(window)
        piece = after[_common_prefix(before, after):]
        window = (window + pending[:ready])[-DECODE_WINDOW:]
        pending = pending[ready:]
        if piece:
            yield piece
    if pending:
        yield from _rest(window, pending, decode)


def _rest(window: list[int], pending: list[int],
          decode: Callable[[Sequence[int]], str]) -> Iterator[str]:
    """The text of the ids left when generation ends, without an incomplete last character
    (at most MAX_HELD ids, the ones streaming held back): see `whole_text`."""
    before, after = decode(window), whole_text(window + pending, decode)
    piece = after[_common_prefix(before, after):]
    if piece:
        yield piece


def whole_text(ids: Sequence[int], decode: Callable[[Sequence[int]], str]) -> str:
    """`decode(ids)` without the bytes of a character the ids end inside of.

    Generation stops at its token limit (`max_tokens`, the CLI's --length) wherever that
    falls, also between the byte tokens of one character (byte-level BPE). Those bytes are
    dropped, not shown as a U+FFFD the model never wrote: the limit stays a limit on tokens
    generated (as Hugging Face's `max_new_tokens`; finishing the character would take up to 3
    more tokens, which the model may not spend on it), and streamed, buffered and beam
    output read the same. At most MAX_HELD ids are dropped: the fewest whose text is the one
    U+FFFD a decoder gives an incomplete sequence at the end (bytes that are not UTF-8 before
    them are still shown as U+FFFD)."""
    ids = list(ids)
    return decode(ids[:len(ids) - _incomplete_tail(ids, decode)])


def _incomplete_tail(ids: list[int], decode: Callable[[Sequence[int]], str]) -> int:
    """How many of the last ids (0 to MAX_HELD) are the start of a character they end
    before: the fewest whose text is the one U+FFFD that ends the ids' text."""
    text = decode(ids)
    if not text.endswith("\ufffd"):
        return 0
    for dropped in range(1, min(MAX_HELD, len(ids)) + 1):
        if decode(ids[:-dropped]) + "\ufffd" == text:
            return 0 if _whole_character(ids[-dropped:], decode) else dropped
    return 0


def _whole_character(ids: list[int], decode: Callable[[Sequence[int]], str]) -> bool:
    """Whether `ids`, whose text is one U+FFFD, are a whole character the model wrote (a
    U+FFFD of the training text, read with --errors replace, or <unk>), not the start of one.
    Told by the tokens' bytes where `decode` is a tokenizer's (`token_bytes`); any other
    decoder is judged by its text alone (a U+FFFD at the end is a cut character)."""
    token_bytes = getattr(getattr(decode, "__self__", None), "token_bytes", None)
    if token_bytes is None:
        return False
    try:
        b"".join(token_bytes(int(index)) for index in ids).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


def _complete_prefix(window: list[int], pending: list[int],
                     decode: Callable[[Sequence[int]], str]) -> tuple[int, str]:
    """(n, text): the most pending ids, holding back at most MAX_HELD, whose text ends with a
    whole character, and that text (window included); (-1, all of it) when none does."""
    whole = decode(window + pending)
    if not whole.endswith("\ufffd"):
        return len(pending), whole
    for held in range(1, min(MAX_HELD, len(pending)) + 1):
        text = decode(window + pending[: len(pending) - held])
        if not text.endswith("\ufffd"):
            return len(pending) - held, text
    return -1, whole


def generate_text(model: TokenModel, encode: Callable[[str], list[int]],
                  decode: Callable[[Sequence[int]], str], prompt: str = "",
                  options: SamplingOptions | None = None, stop_strings: Sequence[str] = (),
                  unk_id: int | None = None, start_ids: Sequence[int] = (),
                  special_ids: Sequence[int] = (),
                  prompt_ids: Sequence[int] | None = None) -> Iterator[str]:
    """Yield generated text piece by piece.

    An empty prompt starts from `start_ids` (e.g. `<s>`); with none, from a uniformly drawn
    non-special first token, which is yielded too. Generation stops at the first stop string,
    which is not yielded. `prompt_ids`: the prompt's ids, encoded beforehand (with
    `encode_prompt`, so that its warning comes before anything is generated or shown).
    """
    options = options or SamplingOptions()
    if prompt_ids is not None:
        prompt_ids = list(prompt_ids)
    else:
        prompt_ids = encode_prompt(encode, prompt, unk_id) if prompt else list(start_ids)
    first: list[int] = []
    if not prompt_ids:
        rng = np.random.default_rng(options.seed)
        choices = [i for i in range(model.vocab_size) if i not in set(special_ids)]
        first = [int(rng.choice(choices))]
        prompt_ids = first
        options = replace(options, max_tokens=max(options.max_tokens - 1, 0))
    chunks = sample_chunks(model, prompt_ids, options)
    held = ""
    longest_stop = max((len(s) for s in stop_strings), default=0)
    for piece in stream_chunk_pieces(_chain(first, chunks), decode, [] if first else prompt_ids):
        if not stop_strings:
            yield piece
            continue
        held += piece
        for stop in stop_strings:
            position = held.find(stop)
            if position >= 0:
                if held[:position]:
                    yield held[:position]
                return
        # keep back only what could still be the start of a stop string
        safe = len(held) - (longest_stop - 1)
        if safe > 0:
            yield held[:safe]
            held = held[safe:]
    if held:
        yield held


def cut_at_stop(text: str, stop_strings: Sequence[str]) -> str:
    """`text` up to the earliest of `stop_strings` (which is not kept), as `generate_text`
    stops: for text made whole, such as a beam search's."""
    positions = [text.find(stop) for stop in stop_strings if stop]
    return text[:min((p for p in positions if p >= 0), default=len(text))]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (text already shown is never shown again)."""
    if b.startswith(a):
        return len(a)
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _chain(first: list[int], rest: Iterator[list[int]]) -> Iterator[list[int]]:
    if first:
        yield first
    yield from rest
