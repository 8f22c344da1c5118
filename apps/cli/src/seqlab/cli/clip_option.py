"""`--clip`, one rule for every training command (train, classify, forecast, seq2seq).

Gradients are clipped to a global L2 norm, as `torch.nn.utils.clip_grad_norm_`; each command
has its own default (5, or 1 for the forecaster). PyTorch and Keras clip nothing unless asked,
so clipping can be turned off: `--clip 0`, `--clip none` (or `off`) and `--clip inf` all mean
no clipping and are kept as 0 (a run's record is JSON, which has no infinity).
"""

from __future__ import annotations

import math

import typer

OFF_WORDS = ("none", "off")


def parse_clip(text: str) -> float:
    """--clip's value as a number: a norm, or 0.0 for no clipping (0, none, off, inf)."""
    if text.strip().lower() in OFF_WORDS:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value) or value < 0:  # one wording for words, nan and negative norms
        raise typer.BadParameter(
            f"{text!r} is not a norm: give one such as 5, or 0 / none / inf to turn clipping "
            "off")
    return 0.0 if math.isinf(value) else value


def clip_option(default: float) -> typer.models.OptionInfo:
    """The `--clip` option of a training command whose default norm is `default`."""
    return typer.Option(
        None, "--clip", parser=parse_clip, metavar="<norm>",
        help=f"Clip gradients to this global norm (default {default:g}); "
        "0, none or inf: no clipping.")


def clip_norm(value: float | None) -> float | None:
    """The Trainer's `clip_norm` for a resolved --clip value: None (no clipping) for 0
    (`parse_clip` has already turned inf into 0)."""
    return value or None
