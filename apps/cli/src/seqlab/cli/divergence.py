"""The training commands' words for a run that diverged (the Trainer detects it and decides
what to keep: `seqlab.seqmodels.trainer.NonFiniteLossError`, `metrics.far_above_uniform`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from seqlab.cli.loss_display import loss_text


def _clipping(error: Any) -> str:
    if error.clip_norm is None:
        return "no gradient clipping (--clip 0)"
    return f"gradient clipping on (--clip {error.clip_norm:g})"


def diverged_line(error: Any, learning_rate: float, metrics_file: Path) -> str:
    """One line for a `NonFiniteLossError`: where the run diverged, with which --lr and --clip,
    what to try, and what it kept (no checkpoint of the weights that failed is left)."""
    kept = []
    if error.kept is not None:
        kept.append(f"{error.kept} (the last checkpoint before it)")
    if error.best is not None:
        kept.append(f"{error.best} (the best validated model, saved before the divergence)")
    saved = (f"kept {' and '.join(kept)}" if kept else
             "no checkpoint predates the divergence, so none was kept")
    if metrics_file.exists():
        saved += f"; the metrics so far are in {metrics_file}"
    return (f"training diverged at step {error.first_step}: the loss or gradient was "
            f"non-finite for {error.count} steps in a row (through step {error.step}) with "
            f"--lr {learning_rate:g} and {_clipping(error)}; try a lower --lr; {saved}")


def far_above_uniform_line(loss: float, classes: int, what: str, learning_rate: float,
                           clipping_off: bool = False) -> str:
    """One warning line: the validation loss ended far above a uniform guess over `classes`
    `what` (tokens, classes): the run diverged although its losses stayed finite. With
    `clipping_off` (--clip 0 / none / inf) it also suggests clipping again."""
    clip = " or turn gradient clipping back on (--clip 5)" if clipping_off else ""
    return (f"the validation loss ended at {loss_text(loss)} nats, far above a uniform guess "
            f"over the {classes:,} {what} (ln {classes:,} = {loss_text(math.log(classes))}): "
            f"training diverged; try a lower --lr (it was {learning_rate:g}){clip}")
