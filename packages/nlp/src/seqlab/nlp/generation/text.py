"""Text in, text out: encode a prompt, stream decoded pieces, honour stop strings."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np

from seqlab.nlp.generation.protocol import TokenModel
from seqlab.nlp.generation.sampling import SamplingOptions, sample

# How many previous tokens to re-decode for each new piece: enough for a multi-byte character
# split across byte-level BPE tokens to come out whole.
DECODE_WINDOW = 8


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


def generate_text(model: TokenModel, encode: Callable[[str], list[int]],
                  decode: Callable[[Sequence[int]], str], prompt: str = "",
                  options: SamplingOptions | None = None, stop_strings: Sequence[str] = (),
                  unk_id: int | None = None, start_ids: Sequence[int] = (),
                  special_ids: Sequence[int] = ()) -> Iterator[str]:
    """Yield generated text piece by piece.

    An empty prompt starts from `start_ids` (e.g. `<s>`); with none, from a uniformly drawn
    non-special first token, which is yielded too. Generation stops at the first stop string,
    which is not yielded.
    """
    options = options or SamplingOptions()
    prompt_ids = encode_prompt(encode, prompt, unk_id) if prompt else list(start_ids)
    first: list[int] = []
    if not prompt_ids:
        rng = np.random.default_rng(options.seed)
        choices = [i for i in range(model.vocab_size) if i not in set(special_ids)]
        first = [int(rng.choice(choices))]
        prompt_ids = first
        options = replace(options, max_tokens=max(options.max_tokens - 1, 0))
    ids = sample(model, prompt_ids, options)
    tokens = _chain(first, ids)
    held = ""
    longest_stop = max((len(s) for s in stop_strings), default=0)
    for piece in stream_pieces(tokens, decode, [] if first else prompt_ids):
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


def _chain(first: list[int], rest: Iterator[int]) -> Iterator[int]:
    yield from first
    yield from rest
