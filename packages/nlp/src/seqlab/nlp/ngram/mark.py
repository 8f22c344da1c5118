"""The first line of an ARPA file seqlab writes: its mark, and how the text was tokenized.

`# written by seqlab` alone (files of before December 2026), or followed by the tokenization
the model was trained with, which `seqlab ngram eval`, `seqlab eval` and `ngram generate` use
to read text as training did:

    # written by seqlab; tokenization: level=whitespace lowercase=true
    # written by seqlab; tokenization: level=word lowercase=false pattern=graphemes

The word level names its pattern (`pattern=graphemes`: the word tokenizer's default since
stop 23, which keeps grapheme clusters whole and drops lone format characters; `marks`: the
default before it, since December 2026, which keeps combining marks in their words); a
word-level record without one was written before that and reads `pattern=before-marks`, so
old models keep their tokens.

KenLM (`ReadARPACounts`) and SRILM skip '#' lines before `\\data\\`, so the line costs them
nothing. The same tokenization is kept in a .npz model's JSON header (`"tokenization"`).
"""

from __future__ import annotations

SEQLAB_MARK = b"# written by seqlab\n"
MARK_PREFIX = SEQLAB_MARK.rstrip(b"\n")
TOKENIZATION_TAG = "; tokenization:"
LEVELS = ("word", "whitespace", "char")  # as `sentences.LEVELS`
_BOOLEANS = {"true": True, "false": False}
# the word level's patterns (see `sentences.WORD_PATTERNS`); a record without one is older
WORD_PATTERN_NAMES = ("graphemes", "marks", "before-marks")
PATTERN_WHEN_UNRECORDED = "before-marks"


def checked_tokenization(tokenization: dict) -> dict[str, str | bool]:
    """`{"level": ..., "lowercase": ...}` (and `"pattern"` for the word level: "before-marks"
    where none is recorded) from a recorded tokenization; ValueError naming what is wrong (an
    unknown level, pattern or key: a file of a newer seqlab)."""
    unknown = sorted(set(tokenization) - {"level", "lowercase", "pattern"})
    level, lowercase = tokenization.get("level"), tokenization.get("lowercase", False)
    pattern = tokenization.get("pattern", PATTERN_WHEN_UNRECORDED if level == "word" else None)
    known_pattern = (pattern in WORD_PATTERN_NAMES) if level == "word" else pattern is None
    if unknown or level not in LEVELS or not isinstance(lowercase, bool) or not known_pattern:
        raise ValueError(f"the model records a tokenization this seqlab does not know "
                         f"({tokenization!r}; it knows level={'|'.join(LEVELS)}, "
                         f"lowercase=true|false, pattern={'|'.join(WORD_PATTERN_NAMES)} for "
                         "the word level): read it with the seqlab that wrote it, or "
                         "upgrade seqlab")
    checked: dict[str, str | bool] = {"level": level, "lowercase": lowercase}
    if level == "word":
        checked["pattern"] = pattern
    return checked


def mark_line(tokenization: dict | None) -> bytes:
    """The mark line (with its newline), naming `tokenization` when one is given."""
    if tokenization is None:
        return SEQLAB_MARK
    checked = checked_tokenization(tokenization)
    fields = f"level={checked['level']} lowercase={str(checked['lowercase']).lower()}"
    if "pattern" in checked:
        fields += f" pattern={checked['pattern']}"
    return MARK_PREFIX + f"{TOKENIZATION_TAG} {fields}\n".encode()


def tokenization_of_line(line: bytes | str) -> dict[str, str | bool] | None:
    """The tokenization a first line records; None when it is no seqlab mark or names none."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\r\n")
    prefix = MARK_PREFIX.decode() + TOKENIZATION_TAG
    if not text.startswith(prefix):
        return None
    recorded: dict[str, str | bool] = {}
    for field in text[len(prefix):].split():
        key, _, value = field.partition("=")
        recorded[key] = _BOOLEANS.get(value, value)
    return checked_tokenization(recorded)


def is_marked(head: bytes) -> bool:
    """Whether a file starting with `head` starts with seqlab's mark line."""
    return head.startswith(SEQLAB_MARK) or head.startswith(MARK_PREFIX + b";")
