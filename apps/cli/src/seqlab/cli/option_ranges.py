"""The allowed range of every numeric option, declared once for all commands.

`params.harden` checks each option named here when the command line is parsed, for every
command that has it, so a command declares no range of its own: `--hidden 0` is refused by
`seqlab train`, `classify train`, `forecast train` and `seq2seq train` alike, in one line
("--hidden must be in [1, inf), got 0"). An option that means something else in one command
(`gradients --steps 0` trains nothing and only measures) gets a `COMMAND_RANGES` entry.
Ranges that depend on another value (a layer index below the model's layer count) stay with
the command.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.cli.errors import require_range


@dataclass(frozen=True)
class Range:
    """[low, high], either bound open or absent."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def check(self, option: str, value: float | int | None) -> None:
        """A one-line CliError naming `option` when `value` lies outside the range."""
        require_range(option, value, self.low, self.high, self.low_open, self.high_open)


COUNT = Range(1)  # sizes, counts, step budgets: at least one
NON_NEGATIVE = Range(0)
POSITIVE = Range(0, low_open=True)  # rates, seconds, norms, scales
FRACTION = Range(0, 1, high_open=True)  # a share that may be empty but not everything
PROBABILITY_MASS = Range(0, 1, low_open=True)  # top-p: some mass, at most all

RANGES: dict[str, Range] = {
    **dict.fromkeys((
        "--hidden", "--layers", "--embedding-dim", "--seq-len", "--batch-size", "--steps",
        "--epochs", "--eval-every", "--checkpoint-every", "--keep-last", "--threads",
        "--vocab-size", "--max-length", "--patience", "--window", "--horizon", "--season",
        "--ar-order", "--dim", "--workers", "--min-count", "--topn", "--top", "--train-steps",
        "--top-k", "--beam", "--nbest", "--order", "--unk-cutoff", "--max-len",
    ), COUNT),
    "--dropout": FRACTION,
    "--val-fraction": FRACTION,
    "--test-fraction": Range(0, 1, low_open=True, high_open=True),
    "--lr": POSITIVE,
    # --clip has none here: its parser refuses a negative norm first (cli/clip_option.py)
    "--time-budget": POSITIVE,
    "--seconds": POSITIVE,
    "--scale": POSITIVE,
    "--max-norm": POSITIVE,
    "--repetition-penalty": POSITIVE,
    "--k": POSITIVE,
    "--temperature": NON_NEGATIVE,
    "--negative": NON_NEGATIVE,
    "--max-len-a": NON_NEGATIVE,
    "--max-len-b": NON_NEGATIVE,
    "--sample": NON_NEGATIVE,
    "--warmup-steps": NON_NEGATIVE,
    "--length": NON_NEGATIVE,
    "--top-p": PROBABILITY_MASS,
}

COMMAND_RANGES: dict[tuple[str, str], Range] = {
    ("gradients", "--steps"): NON_NEGATIVE,  # 0: measure the untrained model only
    ("gradients", "--length"): Range(2),  # a gradient needs two time steps to flow back
    ("demo", "--length"): COUNT,
    # the smallest depends on --level (5 for char and word, 260 for bpe): `check_vocab_size`
    ("tokenize train", "--vocab-size"): Range(),
}


def range_of(command: str, option: str) -> Range | None:
    """The range `option` must lie in for `command` ("train", "ngram generate"), or None."""
    return COMMAND_RANGES.get((command, option), RANGES.get(option))
