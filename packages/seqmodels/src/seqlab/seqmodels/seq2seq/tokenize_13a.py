"""sacreBLEU's default BLEU tokenization, `13a` (mteval-v13a.pl, as WMT scores): punctuation and
symbols split from words, a period or comma kept inside a number, a dash split after a digit.

BLEU on detokenized text is only comparable between tools when they tokenize alike; this is
sacreBLEU 2's `Tokenizer13a` rule for rule (its regular expressions, in its order), so that
`seq2seq eval` reports the BLEU `sacrebleu.corpus_bleu(hypotheses, [references])` gives.
"""

from __future__ import annotations

import re

_RULES = (
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),  # symbols and punctuation
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),  # a period or comma not after a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),  # ... nor before one
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # a dash after a digit
)


def tokenize_13a(line: str) -> list[str]:
    """The tokens sacreBLEU's BLEU counts n-grams of in `line` (its default `13a` tokenizer,
    applied after stripping trailing whitespace, as sacreBLEU does)."""
    line = line.rstrip().replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<") \
            .replace("&gt;", ">")
    line = f" {line} "
    for pattern, replacement in _RULES:
        line = pattern.sub(replacement, line)
    return line.split()
