"""`seq2seq translate --json`: one JSON object, `{"translations": [...]}`, written as each line
is translated (the input is never held whole), like `classify predict --json`'s: each item
names its input line, and an error after the first item still closes the object, saying why
it stopped."""

from __future__ import annotations

import sys
from typing import Any

from seqlab.cli import json_text
from seqlab.cli.errors import first_line


class TranslationsJson:
    """The `--json` object, one translation at a time."""

    def __init__(self, input_name: str) -> None:
        self.input_name = input_name
        self.written = 0

    def add(self, number: int, line: str, hypotheses: list[Any], nbest: int) -> None:
        """Line `number` (from 1): its source text, best translation, score and logprob, and
        with --nbest N > 1 each hypothesis. `logprob` is the translation's total
        log-probability (</s> included) and `score` is logprob / length ** --length-penalty
        (the length counts </s>) at every --beam, greedy included; fairseq gives both."""
        best = hypotheses[0]
        item: dict[str, Any] = {"input": f"{self.input_name}:{number}", "source": line,
                                "translation": best.text, "score": float(best.score),
                                "logprob": float(best.logprob)}
        if nbest > 1:
            item["nbest"] = [{"text": h.text, "score": float(h.score),
                              "logprob": float(h.logprob)} for h in hypotheses]
        opening = '{"translations": [' if not self.written else ", "
        sys.stdout.write(opening + json_text.dumps(item))
        self.written += 1

    def close(self, error: BaseException | None = None) -> None:
        """End the object (with an "error" member when `error` stopped the run)."""
        head = "" if self.written else '{"translations": ['
        tail = "" if error is None else ', "error": ' + json_text.dumps(
            first_line(error))
        sys.stdout.write(head + "]" + tail + "}\n")
        sys.stdout.flush()
